"""Fit the answerer's scorer and abstention model on the dev splits; write weights.json.

    python -m askdocs.evals.train_answerer [--sets sample,product,squad] [--out FILE]

1. Every dev question is run through the real retriever and candidate stage
   (`Answerer.attempt`) and each candidate is measured (`features.CANDIDATE_FEATURES`).
2. Scorer: a linear listwise (softmax) ranker, L2-regularised, fitted with L-BFGS so that
   candidates holding the gold evidence outscore the rest.
3. Abstention: logistic regression on `features.QUESTION_FEATURES`. Positives: dev questions
   whose evidence was retrieved. Negatives: the same questions with every evidence sentence
   removed (a near miss: the topic is there, the fact is not) and the dev splits' real
   unanswerable questions (weighted up, there are few).
4. The threshold for a stated false-abstention rate on dev is printed with the curve; set it
   as `abstain_threshold` in askdocs/settings.py.
Only dev questions are read. Deterministic for a given index and model.
"""

from __future__ import annotations

import argparse
import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from askdocs.evals.indexing import eval_collection, folder_documents
from askdocs.evals.questions import Question, load_questions, of_split
from askdocs.evals.relevance import contains_evidence
from askdocs.evals.sets import question_set
from askdocs.index.embedder import Embedder
from askdocs.service.answerer.abstention import probability
from askdocs.service.answerer.features import (
    CANDIDATE_FEATURES,
    QUESTION_FEATURES,
    question_features,
)
from askdocs.service.answerer.pipeline import Answerer, Attempt
from askdocs.service.answerer.scorer import WEIGHTS_FILE, AnswerModels, LinearModel
from askdocs.service.conversation import in_context
from askdocs.settings import Settings

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "eval-index"
L2 = 1e-3
REAL_NEGATIVE_WEIGHT = 5.0
TARGET_FALSE_ABSTENTION = 0.03


@dataclass
class Example:
    """One dev question as measured for training."""

    set_name: str
    question: Question
    attempt: Attempt
    positive: np.ndarray  # per scorable candidate: holds the evidence


def _blank() -> AnswerModels:
    n, m = len(CANDIDATE_FEATURES), len(QUESTION_FEATURES)

    def zero(k: int, names: tuple[str, ...]) -> LinearModel:
        return LinearModel(names, np.zeros(k), np.ones(k), np.zeros(k), 0.0)

    return AnswerModels(zero(n, CANDIDATE_FEATURES), zero(m, QUESTION_FEATURES), {})


def collect(names: list[str], settings: Settings, embedder: Embedder) -> list[Example]:
    """Measure every dev question of the named sets."""
    out: list[Example] = []
    for name in names:
        qs = question_set(name)
        questions = of_split(load_questions(qs.questions), "dev")
        documents = folder_documents(qs.docs)
        with eval_collection(documents, settings, embedder, index=CACHE / name) as collection:
            answerer = Answerer(collection, settings, models=_blank())
            for q in questions:
                query = q.question
                if q.history:
                    # Train on the reading that holds the evidence (the right one for a
                    # follow-up); the answerer decides between readings at run time.
                    query = in_context(q.question, q.history) or q.question
                attempt = answerer.attempt(query, q.question, settings.top_k)
                positive = np.array(
                    [
                        q.answerable and contains_evidence(c.text, q.answers)
                        for c in attempt.candidates
                    ],
                    dtype=bool,
                )
                out.append(Example(name, q, attempt, positive))
            print(f"{name}: {len(questions)} dev questions measured", flush=True)
    return out


def _balance(examples: list[Example]) -> list[float]:
    """Weights that give every question set the same say, however many questions it has
    (the 2,900 Wikipedia questions would otherwise drown the 60 of each other kind)."""
    sizes: dict[str, int] = {}
    for e in examples:
        sizes[e.set_name] = sizes.get(e.set_name, 0) + 1
    mean_size = len(examples) / len(sizes)
    return [mean_size / sizes[e.set_name] for e in examples]


def fit_scorer(examples: list[Example]) -> LinearModel:
    """The listwise softmax ranker over candidates."""
    groups = [e for e in examples if e.positive.any() and (~e.positive).any()]
    stacked = np.vstack([e.attempt.rows for e in groups])
    mean, scale = stacked.mean(0), stacked.std(0) + 1e-6
    balance = _balance(groups)
    data = [
        ((e.attempt.rows - mean) / scale, e.positive, b)
        for e, b in zip(groups, balance, strict=False)
    ]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, pos, b in data:
            z = x @ w
            z = z - z.max()
            p = np.exp(z) / np.exp(z).sum()
            total -= b * float(np.log((p * pos).sum() + 1e-12))
            # d/dw of -log sum_{pos} p = x^T (p - p_pos / sum p_pos)
            q = p * pos / (p * pos).sum()
            grad += b * (x.T @ (p - q))
        n = float(sum(balance))
        return total / n + L2 * float(w @ w), grad / n + 2 * L2 * w

    w0 = np.zeros(stacked.shape[1])
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return LinearModel(CANDIDATE_FEATURES, mean, scale, res.x.astype(np.float32), 0.0)


def _qrow(attempt: Attempt, keep: np.ndarray, scorer: LinearModel) -> np.ndarray | None:
    if not keep.any() or attempt.terms is None:
        return None
    rows = attempt.rows[keep]
    logits = scorer(rows)
    top = attempt.hits[0].stored
    passage = f"{top.title}\n{top.chunk.text}"
    for c, k in zip(attempt.candidates, keep, strict=True):
        if not k:  # the evidence sentence is gone from the near-miss passage too
            passage = passage.replace(c.text, " ")
    return question_features(logits, rows, attempt.terms, passage, float(attempt.hits[0].score))


def fit_abstention(examples: list[Example], scorer: LinearModel) -> LinearModel:
    """Logistic regression: does the collection answer the question?"""
    xs, ys, ws = [], [], []
    balance = dict(zip(map(id, examples), _balance(examples), strict=True))

    def add(row: np.ndarray | None, label: float, weight: float) -> None:
        if row is not None:
            xs.append(row)
            ys.append(label)
            ws.append(weight)

    for e in examples:
        b = balance[id(e)]
        if not e.attempt.candidates:
            continue
        everything = np.ones(len(e.attempt.candidates), dtype=bool)
        if not e.question.answerable:
            add(_qrow(e.attempt, everything, scorer), 0.0, b * REAL_NEGATIVE_WEIGHT)
        elif e.positive.any():
            add(_qrow(e.attempt, everything, scorer), 1.0, b)
            add(_qrow(e.attempt, ~e.positive, scorer), 0.0, b)
    x = np.vstack(xs)
    y, weight = np.array(ys), np.array(ws)
    mean, scale = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / scale
    zb = np.hstack([z, np.ones((len(z), 1))])

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logit = zb @ w
        p = 1 / (1 + np.exp(-logit))
        eps = 1e-9
        ll = -(weight * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))).sum() / weight.sum()
        grad = zb.T @ (weight * (p - y)) / weight.sum()
        reg = np.r_[w[:-1], 0.0]
        return float(ll + L2 * reg @ reg), grad + 2 * L2 * reg

    res = minimize(loss, np.zeros(zb.shape[1]), jac=True, method="L-BFGS-B")
    w = res.x
    return LinearModel(QUESTION_FEATURES, mean, scale, w[:-1].astype(np.float32), float(w[-1]))


def print_curve(examples: list[Example], scorer: LinearModel, abstainer: LinearModel) -> float:
    """The abstention curve on dev, per set; returns the highest threshold whose false-abstention
    rate, averaged over the sets, stays within TARGET_FALSE_ABSTENTION."""
    answerable: dict[str, list[float]] = {}
    real_neg: list[float] = []
    near_neg: list[float] = []
    for e in examples:
        row = None
        if e.attempt.candidates:
            row = _qrow(e.attempt, np.ones(len(e.attempt.candidates), dtype=bool), scorer)
        p = probability(abstainer, row) if row is not None else 0.0
        if not e.question.answerable:
            real_neg.append(p)
            continue
        answerable.setdefault(e.set_name, []).append(p)
        if e.positive.any() and (~e.positive).any():
            near = _qrow(e.attempt, ~e.positive, scorer)
            if near is not None:
                near_neg.append(probability(abstainer, near))
    sets = sorted(answerable)
    a = {name: np.array(values) for name, values in answerable.items()}
    r, n = np.array(real_neg), np.array(near_neg)

    def false_abstention(t: float) -> float:
        return float(np.mean([(a[name] < t).mean() for name in sets]))

    print(
        "threshold  "
        + "  ".join(f"FA {s:>8}" for s in sets)
        + "  recall_unanswerable  recall_near_miss"
    )
    for t in np.arange(0.05, 0.96, 0.05):
        per_set = "  ".join(f"{float((a[s] < t).mean()):11.3f}" for s in sets)
        rr = float((r < t).mean()) if len(r) else float("nan")
        print(f"{t:9.2f}  {per_set}  {rr:19.3f}  {float((n < t).mean()):16.3f}")
    best = 0.0
    for t in np.arange(0.01, 0.99, 0.01):
        if false_abstention(float(t)) <= TARGET_FALSE_ABSTENTION:
            best = float(t)
    print(
        f"threshold for mean false abstention <= {TARGET_FALSE_ABSTENTION}: {best:.2f} "
        f"(dev: {sum(len(v) for v in a.values())} answerable, {len(r)} unanswerable, "
        f"{len(n)} near misses)"
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="sample,product,squad")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--cache", type=Path, help="Keep the measured dev questions here.")
    args = parser.parse_args()
    settings = Settings()
    embedder = Embedder.from_settings(settings)
    names = [n for n in args.sets.split(",") if n]
    if args.cache is not None and args.cache.is_file():
        examples = pickle.loads(args.cache.read_bytes())
    else:
        examples = collect(names, settings, embedder)
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(examples))
    scorer = fit_scorer(examples)
    abstainer = fit_abstention(examples, scorer)
    with_evidence = [e for e in examples if e.positive.any()]
    right = sum(bool(e.positive[int(np.argmax(scorer(e.attempt.rows)))]) for e in with_evidence)
    print(f"dev: best sentence holds the evidence {right}/{len(with_evidence)}")
    threshold = print_curve(examples, scorer, abstainer)
    about = {
        "threshold_for_target": round(threshold, 3),
        "trained_on": {n: sum(1 for e in examples if e.set_name == n) for n in names},
        "split": "dev",
        "script": "python -m askdocs.evals.train_answerer",
    }
    data = {"about": about, "scorer": scorer.to_json(), "abstention": abstainer.to_json()}
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
