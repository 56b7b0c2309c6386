"""Benchmarks and harnesses run their work in fresh interpreters: a measured phase inherits no
other phase's loaded model, warm caches or memory peak, and a server can be killed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from typing import Any


def run_module(module: str, *args: str) -> dict[str, Any]:
    """Run `python -m module args…` offline; the JSON object on its last line of output.

    Raises RuntimeError with the end of its stderr when it fails."""
    command = [sys.executable, "-m", module, *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def free_port() -> int:
    """A loopback port nothing listens on now, for a child server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
