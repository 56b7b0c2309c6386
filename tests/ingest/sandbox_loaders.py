"""Two misbehaving loaders for the sandbox tests. They live in this light module, not in the
test file, because a sandbox worker imports the module of the loader it runs.
"""

from __future__ import annotations

import time
from pathlib import Path

from askdocs.ingest.models import Block, LoadedFile


def sleepy_loader(path: Path) -> LoadedFile:
    """A parser stuck in a loop: never returns on its own."""
    time.sleep(3600)
    return LoadedFile(title=path.name, blocks=[])


def greedy_loader(path: Path) -> LoadedFile:
    """A parser inflating a bomb: keeps allocating 64 MB buffers."""
    hoard = []
    for _ in range(10_000):
        hoard.append(bytearray(64 << 20))
    return LoadedFile(title=path.name, blocks=[Block(str(len(hoard)))])
