"""Each loader on a real file, and unreadable files skipped with a reason naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from askdocs.errors import UnreadableFileError
from askdocs.ingest.documents import Skipped, discover, load_documents
from askdocs.ingest.loaders import load_file
from tests.ingest.fixture_files import write_file
from tests.ingest.text_fixtures import UNREADABLE


def test_text_loader_keeps_text_and_titles_after_file_name(tmp_path: Path) -> None:
    text = "First paragraph.\n\nSecond paragraph."
    loaded = load_file(write_file(tmp_path / "annual-report_2023.txt", text))
    assert loaded.title == "Annual report 2023"
    assert loaded.blocks[0].text == "First paragraph.\n\nSecond paragraph."


@pytest.mark.parametrize(
    ("text", "title", "sections"),
    [
        (  # ATX headings, nested
            "# Install guide\n\nIntro text.\n\n## Linux\n\nRun the installer.\n\n"
            "### Debian\n\nUse apt.\n\n## Windows\n\nDouble-click it.\n",
            "Install guide",
            {
                "Install guide": "Install guide\n\nIntro text.",
                "Install guide › Linux": "Linux\n\nRun the installer.",
                "Install guide › Linux › Debian": "Debian\n\nUse apt.",
                "Install guide › Windows": "Windows\n\nDouble-click it.",
            },
        ),
        (  # setext headings; a pipe table becomes "Header: value" rows; emphasis goes
            "Price list\n==========\n\nValid from *May*.\n\nTickets\n-------\n\n"
            "| Ticket | Price |\n|---|---:|\n| Adult | 12 euros |\n| Child | free |\n\nThe end.\n",
            "Price list",
            {
                "Price list": "Price list\n\nValid from May.",
                "Price list › Tickets": "Tickets\n\nTicket: Adult; Price: 12 euros\n"
                "Ticket: Child; Price: free\n\nThe end.",
            },
        ),
    ],
)
def test_markdown_loader_uses_headings_as_sections(
    tmp_path: Path, text: str, title: str, sections: dict[str, str]
) -> None:
    loaded = load_file(write_file(tmp_path / "doc.md", text))
    assert loaded.title == title
    assert {b.section: b.text for b in loaded.blocks} == sections


def test_html_loader_drops_scripts_styles_and_navigation(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Refund policy</title><style>p{color:red}</style></head><body>"
        "<nav><a href='/'>Home</a> <a href='/shop'>Shop menu</a></nav>"
        "<h1>Refunds</h1><p>Refunds are paid within <b>14 days</b>.</p>"
        "<script>var secret = 'tracking';</script><footer>Copyright footer</footer>"
        "</body></html>"
    )
    loaded = load_file(write_file(tmp_path / "page.html", page))
    text = "\n".join(b.text for b in loaded.blocks)
    assert loaded.title == "Refund policy"
    assert "Refunds are paid within 14 days." in text
    for boilerplate in ("Shop menu", "tracking", "color:red", "Copyright footer"):
        assert boilerplate not in text


@pytest.mark.parametrize(("name", "content", "reason"), UNREADABLE)
def test_unreadable_files_raise_an_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = write_file(tmp_path / name, content)
    with pytest.raises(UnreadableFileError) as error:
        load_file(path)
    assert reason in str(error.value)
    assert str(path) in str(error.value)


def test_a_bad_file_is_skipped_and_the_rest_still_load(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Useful content about refunds.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    files, skipped = discover([tmp_path])
    results = list(load_documents(files))
    docs = [r for r in results if not isinstance(r, Skipped)]
    skipped += [r for r in results if isinstance(r, Skipped)]
    assert [d.title for d in docs] == ["Good"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["bad.txt"] == "binary data, not text"
    assert reasons["image.png"].startswith("unsupported file type")


def test_html_nested_past_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    depth = 100_000  # a 1 MB file the parser would take over a minute on
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<div>" * depth + "text" + "</div>" * depth + "</body></html>")
    with pytest.raises(UnreadableFileError, match=r"nested deeper than \d+ levels"):
        load_file(path)
    shallow = tmp_path / "shallow.html"
    shallow.write_text("<p>" + "<span>" * 50 + "kept text" + "</span>" * 50 + "<br><img src=x></p>")
    assert "kept text" in load_file(shallow).blocks[0].text
