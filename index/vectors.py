"""FAISS vector index over chunk ids: inner product on unit vectors, i.e. cosine similarity.

Small collections get an exact (flat) index. Above `EXACT_MAX` vectors a flat scan of one query
grows past a few milliseconds (evals/scale.py measures it), so the index becomes approximate:
IVF (an inverted file over k-means cells, each query scans the `nprobe` nearest cells). The kind
and its parameters are recorded as a spec string in the manifest, e.g. "ivf:nlist=4096,nprobe=32",
so `load` searches an index exactly as it was built to be searched.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from askdocs.index.fusion import Ranking

FLAT = "flat"
IVF = "ivf"
HNSW = "hnsw"
KINDS = (FLAT, IVF, HNSW)

# Up to this many vectors the index is exact. Measured on 2 shared cores (evals/scale.py, one
# thread per query, 384-d): flat p50 is ~0.9 ms at 10k, ~6 ms at 50k, ~10 ms at 100k, ~95 ms at 1M;
# IVF answers 1M in ~1.3 ms. 50k keeps exact search under ~6 ms with room for slower machines.
EXACT_MAX = 50_000

# IVF: about 4·√n cells (a power of two), at least IVF_MIN_TRAIN training vectors per cell.
IVF_CELLS_PER_SQRT_N = 4
IVF_MIN_TRAIN = 39  # FAISS warns below 39 training points per centroid
IVF_TRAIN_PER_CELL = 64  # k-means on a sample: 64 per cell is plenty and keeps training short
IVF_TRAIN_ITERATIONS = 10
IVF_NPROBE = 32
# A query of depth k scans at least this many candidates per result asked for, so deep requests
# (hybrid search asks for 1000) are not starved by a few small cells.
IVF_CANDIDATES_PER_RESULT = 4

# HNSW (forced use and comparison only): on 2 cores it built 100k vectors in ~100 s, so 1M
# would take well over 15 min, against ~4-6 min for IVF, and a deep k needs efSearch ≥ k.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64

TRAIN_SEED = 1234


class VectorIndex:
    """Chunk vectors in FAISS, addressed by chunk id."""

    def __init__(self, index: faiss.Index, kind: str = FLAT, params: dict[str, int] | None = None):
        if kind not in KINDS:
            raise ValueError(f"unknown vector index kind {kind!r}; expected one of {KINDS}")
        self.index = index
        self.kind = kind
        self.params = dict(params or {})

    @property
    def spec(self) -> str:
        """The kind and its parameters, as recorded in the manifest: "flat", "ivf:nlist=…"."""
        if not self.params:
            return self.kind
        return self.kind + ":" + ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))

    @staticmethod
    def choose_kind(count: int) -> str:
        """The kind `build` uses for `count` vectors: exact up to EXACT_MAX, else IVF."""
        return FLAT if count <= EXACT_MAX else IVF

    @classmethod
    def build(
        cls, dimension: int, ids: np.ndarray, vectors: np.ndarray, kind: str | None = None
    ) -> VectorIndex:
        """An index over `vectors` (rows are unit length), one id per row.

        `kind` forces flat, ivf or hnsw; by default it follows `choose_kind`. An empty index is
        always flat: there is nothing to train on.
        """
        kind = kind or cls.choose_kind(len(ids))
        if kind not in KINDS:
            raise ValueError(f"unknown vector index kind {kind!r}; expected one of {KINDS}")
        ids = ids.astype(np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if kind == FLAT or len(ids) == 0:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
            if len(ids):
                index.add_with_ids(vectors, ids)
            return cls(index, FLAT)
        if kind == IVF:
            return cls._build_ivf(dimension, ids, vectors)
        return cls._build_hnsw(dimension, ids, vectors)

    @classmethod
    def _build_ivf(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        n = len(ids)
        nlist = _ivf_cells(n)
        quantizer = faiss.IndexFlatIP(dimension)
        # IVF keeps the ids in its inverted lists itself, so it needs no IndexIDMap2 wrapper.
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_TRAIN_ITERATIONS
        index.cp.seed = TRAIN_SEED
        # Centroids are compared by inner product, so keep them on the unit sphere too.
        index.cp.spherical = True
        sample = min(n, nlist * IVF_TRAIN_PER_CELL)
        rows = (
            np.random.default_rng(TRAIN_SEED).choice(n, sample, replace=False)
            if sample < n
            else None
        )
        index.train(vectors if rows is None else vectors[np.sort(rows)])
        index.add_with_ids(vectors, ids)
        index.nprobe = min(IVF_NPROBE, nlist)
        return cls(index, IVF, {"nlist": nlist, "nprobe": int(index.nprobe)})

    @classmethod
    def _build_hnsw(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        graph = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        graph.hnsw.efSearch = HNSW_EF_SEARCH
        index = faiss.IndexIDMap2(graph)
        index.add_with_ids(vectors, ids)
        return cls(index, HNSW, {"M": HNSW_M, "ef_search": HNSW_EF_SEARCH})

    def suits(self, count: int) -> bool:
        """Whether this index, changed in place, is still the kind `build` would make for
        `count` vectors: the same kind, and for IVF the same number of cells. HNSW cannot
        remove vectors, so it never suits (it is rebuilt)."""
        if self.kind != self.choose_kind(count) or self.kind == HNSW:
            return False
        return self.kind == FLAT or self.params.get("nlist") == _ivf_cells(count)

    def replace(self, removed: np.ndarray, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Remove the vectors of the ids `removed`, then add `vectors` under `ids`: what a
        build over the same vectors holds (IVF keeps the cells it was trained with)."""
        if len(removed):
            gone = np.ascontiguousarray(removed, dtype=np.int64)
            self.index.remove_ids(faiss.IDSelectorBatch(len(gone), faiss.swig_ptr(gone)))
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def save(self, path: Path) -> None:
        """Write the index to `path` (FAISS's own binary format)."""
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, spec: str = FLAT) -> VectorIndex:
        """Read an index written by `save`; `spec` is the manifest's record of it (`self.spec`)."""
        kind, _, rest = spec.partition(":")
        params: dict[str, int] = {}
        for item in filter(None, rest.split(",")):
            key, _, value = item.partition("=")
            params[key.strip()] = int(value)
        return cls(faiss.read_index(str(path)), kind, params)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def _search_parameters(self, k: int) -> faiss.SearchParameters | None:
        """Per-query search parameters (thread-safe, unlike setting them on the index)."""
        if self.kind == IVF:
            nlist = self.params.get("nlist") or int(faiss.extract_index_ivf(self.index).nlist)
            nprobe = self.params.get("nprobe", IVF_NPROBE)
            # Cells hold n/nlist vectors on average; probe enough of them for a deep k.
            per_cell = max(1.0, len(self) / nlist)
            wanted = math.ceil(k * IVF_CANDIDATES_PER_RESULT / per_cell)
            ivf = faiss.SearchParametersIVF()
            ivf.nprobe = min(nlist, max(nprobe, wanted))
            return ivf
        if self.kind == HNSW:
            # FAISS's type stubs lack SearchParametersHNSW; the class exists at run time.
            hnsw = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            # HNSW returns at most efSearch candidates, so it must be at least k.
            hnsw.efSearch = max(self.params.get("ef_search", 0), k)
            params: faiss.SearchParameters = hnsw
            return params
        return None

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids with their cosine similarity, best first."""
        return self.search_arrays(query, k).pairs()

    def search_arrays(self, query: np.ndarray, k: int) -> Ranking:
        """`search` as arrays (float64 scores), without a Python object per candidate."""
        if len(self) == 0 or k <= 0:
            return Ranking.empty()
        k = min(k, len(self))
        x = query.reshape(1, -1).astype(np.float32)
        params = self._search_parameters(k)
        with _one_thread():
            if params is None:
                scores, ids = self.index.search(x, k)
            else:
                scores, ids = self.index.search(x, k, params=params)
        found = ids[0] >= 0  # FAISS pads with -1 when it finds fewer than k
        return Ranking(ids[0][found].astype(np.int64), scores[0][found].astype(np.float64))


@contextmanager
def _one_thread() -> Iterator[None]:
    """FAISS on one OpenMP thread in the calling thread, for one query's search.

    A single query gains nothing from FAISS's threads and loses much: a flat search measured
    4-10x slower with 2 than with 1, and idle OpenMP threads spin afterwards, taking the cores
    concurrent requests need (a service's ask cost ~24 ms of CPU instead of ~12: README,
    Performance). OpenMP's thread count is per thread, so it is set here, where the search
    runs, not once at start-up; the caller's own setting (an index build's) is restored."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _ivf_cells(count: int) -> int:
    """IVF cells for `count` vectors: about IVF_CELLS_PER_SQRT_N·√n, a power of two, with at
    least IVF_MIN_TRAIN vectors per cell."""
    nlist = int(2 ** round(math.log2(IVF_CELLS_PER_SQRT_N * math.sqrt(max(count, 1)))))
    return max(1, min(nlist, count // IVF_MIN_TRAIN))
