"""Real PDF, DOCX, HTML and Markdown files: loaders, bad files, the sandbox, and citations that
name the page and the section. The files are written into temp dirs by the fixture modules
beside this file (pdf_fixtures.py, docx_fixtures.py, text_fixtures.py; make_fixtures.py: all)."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from askdocs.cli import print_ingest_report
from askdocs.errors import UnreadableFileError
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.ingest_report import IngestReport
from askdocs.index.writer import ingest_paths
from askdocs.ingest.chunk import chunk_document
from askdocs.ingest.loaders import load_file
from askdocs.ingest.loaders.archive import check_archive
from askdocs.ingest.loaders.docx import load_docx
from askdocs.ingest.loaders.html import load_html
from askdocs.ingest.loaders.markdown import load_markdown
from askdocs.ingest.loaders.pdf import load_pdf, unwrap
from askdocs.ingest.loaders.sandbox import run_sandboxed
from askdocs.service.answerer import Answerer
from askdocs.settings import Settings
from tests.ingest import docx_fixtures as docx_fx
from tests.ingest import fixture_files as files
from tests.ingest import make_fixtures as fx
from tests.ingest import pdf_fixtures as pdf_fx
from tests.ingest import sandbox_loaders
from tests.ingest import text_fixtures as text_fx

# --- One folder with every fixture, ingested once ---------------------------------------------


@dataclass
class Ingested:
    folder: Path
    settings: Settings
    report: IngestReport
    collection: Collection


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("formats") / "docs"
    fx.make_all(target)
    return target


@pytest.fixture(scope="module")
def ingested(
    folder: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[Ingested]:
    settings = Settings(index=tmp_path_factory.mktemp("formats-index") / "index")
    report = ingest_paths(settings.index, [folder], embedder, settings)
    collection = Collection.open(settings.index, embedder)
    yield Ingested(folder, settings, report, collection)
    collection.close()


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_loader_gives_one_block_per_page_under_its_outline_entry(tmp_path: Path) -> None:
    loaded = load_pdf(pdf_fx.write_report_pdf(tmp_path))
    assert loaded.title == "Harbour Point Water Utility Annual Report 2023"
    assert loaded.pages == 4
    assert [b.page for b in loaded.blocks] == [1, 2, 3, 4]
    assert [b.section for b in loaded.blocks] == [
        None,
        "1. Governance",
        "2. Operations",
        "3. Finances",
    ]
    page3 = loaded.blocks[2].text
    # Lines wrapped by the layout are joined again, so the sentence is whole.
    assert pdf_fx.PDF_PAGE3_FACT in page3
    assert page3.startswith("2. Operations\n")


def test_unwrap_joins_layout_lines_and_keeps_short_lines_and_list_items() -> None:
    text = (
        "Results\n"
        "The survey covered forty villages and found that most house-\n"
        "holds walk more than thirty minutes to the nearest water point.\n"
        "Short closing line.\n"
        "• first finding of the survey, written out at some length to be full\n"
        "• second finding"
    )
    assert unwrap(text, width=62).split("\n") == [
        "Results",
        "The survey covered forty villages and found that most households walk more than "
        "thirty minutes to the nearest water point.",
        "Short closing line.",
        "• first finding of the survey, written out at some length to be full",
        "• second finding",
    ]


@pytest.mark.parametrize(
    ("write", "name"),
    [
        (pdf_fx.write_scanned_pdf, pdf_fx.SCANNED_NAME),
        (pdf_fx.write_encrypted_pdf, pdf_fx.ENCRYPTED_NAME),
        (pdf_fx.write_truncated_pdf, pdf_fx.TRUNCATED_NAME),
    ],
)
def test_bad_pdfs_are_refused_with_a_reason_naming_the_file(
    tmp_path: Path, write: Callable[[Path], Path], name: str
) -> None:
    path = write(tmp_path)
    assert path.name == name
    with pytest.raises(UnreadableFileError) as error:
        load_file(path)  # through the registry, so in the sandbox
    assert error.value.reason.startswith(fx.BAD_REASONS[name])
    assert str(path) in str(error.value)


def test_a_pdf_encrypted_without_a_user_password_is_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pdf_fx.write_report_pdf(tmp_path)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "owner-only.pdf"
    with path.open("wb") as out:
        writer.write(out)
    assert pdf_fx.PDF_PAGE3_FACT in load_file(path).blocks[2].text


def test_a_file_that_is_no_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("just some text with a .pdf name", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="malformed PDF: no %PDF header"):
        load_file(path)


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_loader_keeps_headings_lists_and_tables_in_order(tmp_path: Path) -> None:
    loaded = load_docx(docx_fx.write_handbook_docx(tmp_path))
    assert loaded.title == "Field Office Handbook"
    by_text = {b.text: b.section for b in loaded.blocks}
    assert by_text[docx_fx.DOCX_FACT] == docx_fx.DOCX_SECTION
    assert by_text["Water and sanitation unit"] == "Areas of Work › Water and sanitation unit"
    bullets = next(b for b in loaded.blocks if b.text.startswith("- "))
    assert bullets.text.splitlines() == [
        "- opening two new safe houses",
        "- training police officers in survivor-centred interviewing",
        "- publishing the district violence survey",
    ]
    assert bullets.section == docx_fx.DOCX_SECTION
    steps = next(b for b in loaded.blocks if b.text.startswith("1. "))
    assert steps.text == "1. collect your badge at reception\n2. attend the security briefing"
    table = loaded.blocks[-1]
    assert table.section == "Contacts"
    assert table.text.splitlines() == [
        "Unit: Gender unit; Head: Amina Diallo; Extension: 214",
        "Unit: Water and sanitation unit; Head: Pieter de Vries; Extension: 238",
    ]
    texts = [b.text for b in loaded.blocks]
    assert texts.index("Areas of Work") < texts.index(docx_fx.DOCX_FACT) < texts.index("Contacts")


def test_zip_bomb_docx_is_refused_from_its_directory(tmp_path: Path) -> None:
    path = docx_fx.write_bomb_docx(tmp_path)
    assert path.stat().st_size < 5 << 20  # small on disk, 300 MB inflated
    with pytest.raises(UnreadableFileError) as error:
        load_file(path)
    assert error.value.reason == "refused: archive expands to 300 MB (limit 256 MB)"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_archive_guard_limits_entries_and_inflation_ratio(tmp_path: Path) -> None:
    many = tmp_path / "many.docx"
    many.write_bytes(_zip({f"word/part{i}.xml": b"<x/>" for i in range(30)}))
    with pytest.raises(UnreadableFileError, match=r"refused: archive has 30 entries \(limit 20\)"):
        check_archive(many, max_entries=20)
    dense = tmp_path / "dense.docx"
    dense.write_bytes(_zip({"word/document.xml": bytes(8 << 20)}))
    with pytest.raises(UnreadableFileError, match=r"entry word/document.xml expands \d+x"):
        check_archive(dense)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFileError, match="not a valid zip archive"):
        load_file(broken)


# --- HTML and Markdown -------------------------------------------------------------------------


def test_html_keeps_main_content_and_heading_path_without_boilerplate(tmp_path: Path) -> None:
    loaded = load_html(text_fx.write_observatory_html(tmp_path))
    assert loaded.title == "Visiting the Observatory | Northfield Science Park"
    text = "\n".join(b.text for b in loaded.blocks)
    for boilerplate in (
        "cookies", "Plan your visit", "Gift shop menu", "Members get 20%", "Skip to content",
        "Related", "history of the park", "Copyright", "tracking-pageview", "font-family",
    ):  # fmt: skip
        assert boilerplate not in text
    sections = {b.text: b.section for b in loaded.blocks}
    hours = (
        "The observatory is open to visitors on Friday and Saturday evenings from 8 pm until "
        "midnight, weather permitting."
    )
    assert sections[hours] == "Visiting the Observatory › Opening hours"
    # Text straight in a <div>, a list and a table are all kept, readably.
    assert "Stargazing sessions are cancelled when the sky is overcast." in sections
    discounts = "Visiting the Observatory › Tickets › Discounts"
    items = (
        "- Children under twelve enter free of charge.\n- Students pay 6 euros with a valid card."
    )
    assert sections[items] == discounts
    assert sections["Ticket: Family pass; Price: 30 euros"] == discounts


def test_html_furniture_classes_never_drop_the_content_around_them(tmp_path: Path) -> None:
    page = (
        "<html><body class='cookie-banner-visible'><div id='consent-wrapper'>"
        "<div class='hero-banner'><h1>Annual fair</h1></div><p>The fair opens in June.</p>"
        "<div class='cookie-bar'>We use cookies.</div></div></body></html>"
    )
    loaded = load_html(files.write_file(tmp_path / "page.html", page))
    blocks = {b.text: b.section for b in loaded.blocks}
    assert blocks == {"Annual fair": "Annual fair", "The fair opens in June.": "Annual fair"}


def test_markdown_keeps_lists_and_code_readable_under_section_paths(tmp_path: Path) -> None:
    loaded = load_markdown(text_fx.write_deploy_markdown(tmp_path))
    assert loaded.title == "Deployment guide"
    blocks = {b.section: b.text for b in loaded.blocks}
    assert "title:" not in "\n".join(blocks.values())  # front matter dropped
    assert blocks["Deployment guide"].endswith("deploy the Tern service on a single Linux host.")
    assert blocks["Deployment guide › Requirements"].splitlines()[-3:] == [
        "- Python 3.11 or newer",
        "- 2 GB of free disk space",
        "- a user account with sudo rights",
    ]
    installing = blocks["Deployment guide › Installing"]
    # The code keeps its lines; its "#" comment is no heading; the fences are gone.
    assert "pip install tern-service\n# the service listens on port 7300 by default\n" in installing
    assert "```" not in installing
    assert blocks["Deployment guide › Installing › Configuration"].startswith(
        "Configuration\n\nSettings are read from the configuration file at\n/etc/tern/tern.toml."
    )


# --- The sandbox -------------------------------------------------------------------------------


def test_sandbox_returns_what_the_loader_returns_in_process(tmp_path: Path) -> None:
    path = pdf_fx.write_report_pdf(tmp_path)
    assert run_sandboxed(load_pdf, path) == load_pdf(path)


def test_sandbox_kills_a_loader_that_overruns_its_time(tmp_path: Path) -> None:
    path = tmp_path / "loop.pdf"
    path.write_bytes(b"%PDF-1.4")
    run_sandboxed(load_pdf, pdf_fx.write_report_pdf(tmp_path))  # the fork server is up
    started = time.monotonic()
    with pytest.raises(UnreadableFileError) as error:
        run_sandboxed(sandbox_loaders.sleepy_loader, path, timeout_s=1.0)
    assert time.monotonic() - started < 3.0
    assert error.value.reason == "parsing took longer than 1 s"
    assert str(path) in str(error.value)


def test_sandbox_stops_a_loader_that_allocates_past_its_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnreadableFileError) as error:
        run_sandboxed(sandbox_loaders.greedy_loader, path, timeout_s=20.0, memory_mb=512)
    assert error.value.reason == "parsing needed more than 512 MB of memory"


# --- The whole folder: ingest report, offsets, answers -----------------------------------------


def test_bad_files_are_reported_and_the_rest_of_the_folder_is_ingested(
    ingested: Ingested,
) -> None:
    report = ingested.report
    assert sorted(Path(s).name for s in report.added) == sorted(
        [pdf_fx.PDF_NAME, docx_fx.DOCX_NAME, text_fx.HTML_NAME, text_fx.MARKDOWN_NAME]
    )
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == set(fx.BAD_REASONS)
    for name, expected in fx.BAD_REASONS.items():
        assert reasons[name].startswith(expected), (name, reasons[name])


def test_ingest_report_counts_files_skips_pages_and_chunks_per_format(
    ingested: Ingested,
) -> None:
    formats = ingested.report.formats
    assert set(formats) == {".pdf", ".docx", ".html", ".md"}
    assert (formats[".pdf"].files, formats[".pdf"].skipped, formats[".pdf"].pages) == (1, 3, 4)
    assert (formats[".docx"].files, formats[".docx"].skipped) == (1, 1)
    assert (formats[".html"].files, formats[".md"].files) == (1, 1)
    assert all(stats.chunks > 0 for stats in formats.values())
    assert sum(stats.chunks for stats in formats.values()) == ingested.report.chunks


def test_every_chunk_matches_its_document_text_and_carries_page_or_section(
    ingested: Ingested, embedder: Embedder
) -> None:
    collection = ingested.collection
    for info in collection.list_documents():
        doc = collection.get_document(info.id)
        chunks = chunk_document(
            doc, ingested.settings.chunk_tokens, ingested.settings.chunk_overlap, embedder.fits
        )
        assert len(chunks) == info.chunks
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            span = doc.locate(chunk.start)
            assert span is not None and (chunk.section, chunk.page) == (span.section, span.page)
            if info.source.endswith(".pdf"):
                assert chunk.page in (1, 2, 3, 4)
            elif info.source.endswith((".docx", ".html", ".md")):
                assert chunk.section is not None or chunk.start == 0


def _answer(ingested: Ingested, question: str) -> list[tuple[str, str | None, int | None]]:
    answer = Answerer(ingested.collection, ingested.settings).answer(question)
    assert not answer.abstained
    cited = []
    for citation in answer.citations:
        doc = ingested.collection.get_document(citation.doc_id)
        assert doc.text[citation.start : citation.end] == citation.excerpt
        cited.append((Path(citation.source).name, citation.section, citation.page))
    return cited


def test_an_answer_from_page_3_of_the_pdf_cites_page_3(ingested: Ingested) -> None:
    cited = _answer(ingested, pdf_fx.PDF_PAGE3_QUESTION)
    assert cited[0] == (pdf_fx.PDF_NAME, "2. Operations", 3)


def test_an_answer_from_the_docx_cites_its_section_path(ingested: Ingested) -> None:
    cited = _answer(ingested, docx_fx.DOCX_QUESTION)
    assert cited[0] == (docx_fx.DOCX_NAME, docx_fx.DOCX_SECTION, None)


def test_cli_ingest_prints_a_table_per_format_and_the_skipped_files(
    ingested: Ingested, capsys: pytest.CaptureFixture[str]
) -> None:
    print_ingest_report(ingested.report, ingested.settings.index)
    result = capsys.readouterr()
    lines = result.out.splitlines()
    header = lines.index("format      files  skipped  pages  chunks")
    rows = {line.split()[0]: line.split()[1:] for line in lines[header + 1 :]}
    assert rows[".pdf"][:3] == ["1", "3", "4"]
    assert rows[".docx"][:3] == ["1", "1", "-"]
    bomb = ingested.folder / docx_fx.BOMB_NAME
    assert f"warning: skipped {bomb}: refused: archive expands to 300 MB" in result.err
