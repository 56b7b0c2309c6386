"""What `pip install askdocs` puts in site-packages: one top-level package, `askdocs`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_installs_only_the_askdocs_package_with_its_data(tmp_path: Path) -> None:
    # Built from a copy: setuptools leaves build/ and *.egg-info in the folder it builds.
    source = tmp_path / "source"
    skip = shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "tests")
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    build = ["wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(tmp_path)]
    subprocess.run([sys.executable, "-m", "pip", *build, "--quiet"], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("askdocs-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"askdocs", wheel.name.split("-py3")[0] + ".dist-info"}
    for needed in (
        "askdocs/index/store.py",
        "askdocs/service/static/core.js",
        "askdocs/service/static/widget.js",
        "askdocs/service/static/layout.html",
        "askdocs/service/answerer/weights.json",
        "askdocs/evals/questions/sample.jsonl",
    ):
        assert needed in names


def test_importing_the_cli_leaves_the_evals_package_unloaded() -> None:
    probe = "import sys, askdocs.cli; print(sorted(m for m in sys.modules if 'evals' in m))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
