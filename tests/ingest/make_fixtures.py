"""Generate the small real files the format tests ingest (no binaries are committed).

    python -m tests.ingest.make_fixtures DIR     # from the repository root: every fixture in DIR

Good files: a four-page PDF whose answer is on page 3 (with an outline), a DOCX with a title,
headings, lists and a table, an HTML page wrapped in navigation, cookie-banner and footer
boilerplate, and a Markdown guide with a list and a code block. Bad files: a PDF with no text
layer (a drawn rectangle), a password-protected PDF, a PDF cut in half and a DOCX carrying a
zip bomb.

Each format family has its module: pdf_fixtures.py, docx_fixtures.py and text_fixtures.py
(HTML, Markdown and unreadable text), all writing through fixture_files.py. The misbehaving
loaders of the sandbox tests are in sandbox_loaders.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tests.ingest.docx_fixtures import BOMB_NAME, write_bomb_docx, write_handbook_docx
from tests.ingest.pdf_fixtures import (
    ENCRYPTED_NAME,
    SCANNED_NAME,
    TRUNCATED_NAME,
    write_encrypted_pdf,
    write_report_pdf,
    write_scanned_pdf,
    write_truncated_pdf,
)
from tests.ingest.text_fixtures import write_deploy_markdown, write_observatory_html

# What each bad file's skip reason starts with.
BAD_REASONS = {
    SCANNED_NAME: "no text layer, skipped",
    ENCRYPTED_NAME: "encrypted PDF: cannot read without the password",
    TRUNCATED_NAME: "malformed PDF: ",
    BOMB_NAME: "refused: archive expands to ",
}

GOOD: list[Callable[[Path], Path]] = [
    write_report_pdf,
    write_handbook_docx,
    write_observatory_html,
    write_deploy_markdown,
]
BAD: list[Callable[[Path], Path]] = [
    write_scanned_pdf,
    write_encrypted_pdf,
    write_truncated_pdf,
    write_bomb_docx,
]


def make_all(folder: Path) -> list[Path]:
    """Write every good and bad fixture into `folder` (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write(folder) for write in GOOD + BAD]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.ingest.make_fixtures DIR")
    for written in make_all(Path(sys.argv[1])):
        print(written)
