"""The ask response's citations are the answerer's records with the server's path removed."""

from __future__ import annotations

from dataclasses import asdict, fields

from askdocs.service.answerer.pipeline import Citation
from askdocs.service.schemas import AskResponse, CitationOut


def test_a_citation_is_published_with_its_file_name_only() -> None:
    record = Citation(2, "d1", "Guide", "/srv/private/docs/guide.md", "Text.", 10, 15, 0.5, "Intro")
    published = AskResponse(
        answer="Text. [2]", abstained=False, citations=[CitationOut(**asdict(record))]
    )
    [citation] = published.model_dump()["citations"]
    assert citation == {**asdict(record), "source": "guide.md"}
    assert list(citation) == [f.name for f in fields(Citation)]  # the order of the record
