"""Run a loader in a worker process with a wall-clock timeout and a memory limit.

PDF and DOCX parsers walk attacker-controlled object graphs: a decompression bomb or a
reference loop can make them allocate without bound or never return. Each file is parsed in
its own short-lived process (forked from a clean "forkserver", never from the parent, which may
hold model threads), with its address space capped by RLIMIT_AS and killed when it overruns
the timeout. The result crosses back as plain JSON-able data, rebuilt and checked here.

    loader = sandboxed(load_pdf)   # same signature: Path -> LoadedFile, errors as
                                   # UnreadableFileError with the worker's reason
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from askdocs.errors import UnreadableFileError
from askdocs.ingest.models import Block, LoadedFile

# A parse that takes longer than this is a bomb, a loop or a file too big to be worth it;
# pypdf reads a few hundred ordinary pages well within it on a laptop.
TIMEOUT_S = 30.0
# Address-space cap of a worker. It counts the interpreter and pypdf/python-docx too (~100 MB);
# ordinary documents parse in well under half of it.
MEMORY_MB = 1024
# Modules the fork server imports once, so each worker starts in milliseconds (a missing
# optional parser is skipped here and reported by its loader). Workers also need the main
# module (multiprocessing's rule); it is preloaded too when it is a file, so that it is
# imported once in the server rather than once per worker.
PRELOAD = ["askdocs.ingest.loaders", "pypdf", "docx"]

Loader = Callable[[Path], LoadedFile]


def sandboxed(loader: Loader, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB) -> Loader:
    """`loader` wrapped to run in a worker process; it must be a module-level function."""

    @functools.wraps(loader)
    def run(path: Path) -> LoadedFile:
        return run_sandboxed(loader, path, timeout_s=timeout_s, memory_mb=memory_mb)

    return run


def run_sandboxed(
    loader: Loader, path: Path, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB
) -> LoadedFile:
    """Run `loader(path)` in a worker; raise UnreadableFileError on any failure or overrun."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    worker = ctx.Process(  # type: ignore[attr-defined]
        target=_work, args=(sender, loader, str(path), memory_mb), daemon=True
    )
    try:
        worker.start()
    except (OSError, EOFError, AssertionError) as exc:  # no fork server, or we are a daemon
        receiver.close()
        raise UnreadableFileError(str(path), f"could not start a parser process ({exc})") from exc
    finally:
        sender.close()  # only the worker writes; EOF on our end then means it died
    try:
        # Poll the pipe rather than join the worker: a large result fills the pipe and the
        # worker cannot exit until we read it.
        if not receiver.poll(timeout_s):
            raise UnreadableFileError(str(path), f"parsing took longer than {timeout_s:g} s")
        try:
            message = receiver.recv()
        except EOFError:
            worker.join(1)
            code = worker.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise UnreadableFileError(str(path), f"parser crashed ({how})") from None
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()
    if not isinstance(message, dict) or not message.get("ok"):
        reason = message.get("reason") if isinstance(message, dict) else None
        raise UnreadableFileError(str(path), str(reason or "parser failed"))
    return loaded_from_dict(message["file"], path)


def loaded_to_dict(loaded: LoadedFile) -> dict[str, Any]:
    """A LoadedFile as JSON-able data."""
    return {
        "title": loaded.title,
        "pages": loaded.pages,
        "blocks": [[b.text, b.section, b.page] for b in loaded.blocks],
    }


def loaded_from_dict(data: Any, path: Path) -> LoadedFile:
    """Rebuild a LoadedFile from worker data, refusing anything not shaped like one."""
    try:
        title, pages, rows = data["title"], data["pages"], data["blocks"]
        blocks = [Block(text, section, page) for text, section, page in rows]
        ok = (
            isinstance(title, str)
            and (pages is None or isinstance(pages, int))
            and all(
                isinstance(b.text, str)
                and (b.section is None or isinstance(b.section, str))
                and (b.page is None or isinstance(b.page, int))
                for b in blocks
            )
        )
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise UnreadableFileError(str(path), "parser returned malformed data")
    return LoadedFile(title=title, blocks=blocks, pages=pages)


def _work(sender: Connection, loader: Loader, path: str, memory_mb: int) -> None:
    """Worker body: limit memory, run the loader, send back plain data or a reason."""
    try:
        _limit_memory(memory_mb)
        message: dict[str, Any] = {"ok": True, "file": loaded_to_dict(loader(Path(path)))}
    except UnreadableFileError as exc:
        message = {"ok": False, "reason": exc.reason}
    except MemoryError:
        message = {"ok": False, "reason": f"parsing needed more than {memory_mb} MB of memory"}
    except RecursionError:
        message = {"ok": False, "reason": "structure nested too deeply to parse"}
    except Exception as exc:  # any parser bug on hostile input skips this file, not the run
        message = {"ok": False, "reason": f"could not parse ({type(exc).__name__}: {exc})"}
    try:
        sender.send(message)
    except MemoryError:  # pickling a huge result fails before anything is written
        sender.send({"ok": False, "reason": f"text too large to return within {memory_mb} MB"})
    finally:
        sender.close()


def _limit_memory(memory_mb: int) -> None:
    if sys.platform == "win32":  # no rlimits; the timeout still applies
        return
    import resource

    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashing parser leaves no core file


@functools.cache
def _context() -> BaseContext:
    """The fork server where available (cheap, clean workers), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        main = ["__main__"] if main_file and os.path.isfile(main_file) else []
        ctx.set_forkserver_preload(main + PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")
