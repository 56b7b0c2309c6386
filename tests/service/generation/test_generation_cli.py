"""`askdocs ask` answers through the same code path as the API when ASKDOCS_LLM_URL is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from askdocs.index.collection import Collection
from tests.service.generation.scripted_llm import ScriptedLLM, first_sentence, streamed

ASKDOCS = str(Path(sys.executable).with_name("askdocs"))
QUESTION = "How many programmes did Spotlight run in its first phase?"


def supported(request: dict[str, Any]) -> str:
    return f"{first_sentence(request, 1)} [1]."


def test_ask_generates_with_a_model_server(
    llm: ScriptedLLM, sample_collection: Collection, tmp_path: Path
) -> None:
    llm.script = lambda r: streamed(f"{supported(r)} It cost 98765 USD [1].")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKDOCS_")}
    env.update(
        HOME=str(tmp_path),
        HF_HUB_OFFLINE="1",
        ASKDOCS_INDEX=str(sample_collection.root),
        ASKDOCS_LLM_URL=llm.url,
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [ASKDOCS, "ask", QUESTION, *args], capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done

    answer = json.loads(run("--json").stdout)
    expected = supported(llm.requests[0])
    assert answer["answer"] == expected
    assert (answer["mode"], answer["dropped"], answer["abstained"]) == ("generated", 1, False)
    assert [c["n"] for c in answer["citations"]] == [1]
    shown = run()
    assert shown.stdout.startswith(f"{expected}\n\nSources:\n[1] ")
    assert "(generated; 1 unsupported sentence(s) dropped)" in shown.stderr
