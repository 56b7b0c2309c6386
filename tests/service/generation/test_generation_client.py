"""The OpenAI-compatible client's event decoder and chunk reader (the HTTP side is tested
against the scripted server in test_generation_api.py)."""

from __future__ import annotations

import json

import pytest

from askdocs.errors import GenerationError
from askdocs.service.generation.client import EventDecoder, content_of, request_body
from askdocs.settings import Settings
from tests.service.generation.scripted_llm import sse_chunks

TEXT = "The EU gave over 500 million USD [1]. It was launched in 2017 [2]."


def decode(pieces: list[str]) -> list[str]:
    decoder = EventDecoder()
    payloads: list[str] = []
    for piece in pieces:
        payloads += decoder.feed(piece)
    return payloads + decoder.close()


def text_of(payloads: list[str]) -> str:
    return "".join(content_of(json.loads(p)) for p in payloads if p != "[DONE]")


WHOLE = b"".join(sse_chunks(TEXT)).decode()


def test_whole_stream() -> None:
    payloads = decode([WHOLE])
    assert payloads[-1] == "[DONE]"
    assert text_of(payloads) == TEXT


def test_every_cut_point_gives_the_same_events() -> None:
    expected = decode([WHOLE])
    for cut in range(1, len(WHOLE)):
        assert decode([WHOLE[:cut], WHOLE[cut:]]) == expected, cut


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_pieces_of_any_size(size: int) -> None:
    pieces = [WHOLE[i : i + size] for i in range(0, len(WHOLE), size)]
    assert text_of(decode(pieces)) == TEXT


def test_crlf_comments_multiline_data_and_a_last_event_without_blank_line() -> None:
    stream = ': keep-alive\r\n\r\nevent: x\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: last'
    for cut in range(1, len(stream)):
        assert decode([stream[:cut], stream[cut:]]) == ['{"a":\n1}', "last"], cut


def test_content_of_chunks_and_whole_completions() -> None:
    assert content_of({"choices": [{"delta": {"content": "Hi"}}]}) == "Hi"
    assert content_of({"choices": [{"delta": {"role": "assistant"}}]}) == ""
    assert content_of({"choices": [{"message": {"content": "All [1]."}}]}) == "All [1]."
    assert content_of({"choices": [{}]}) == ""
    garbage: object
    for garbage in ({"nope": 1}, [], "text", {"choices": [{"delta": {"content": 3}}]}):
        with pytest.raises(GenerationError):
            content_of(garbage)
    with pytest.raises(GenerationError, match="boom"):
        content_of({"error": "boom"})


def test_request_body() -> None:
    settings = Settings(llm_url="http://127.0.0.1:1/v1/", llm_model="llama3.2")
    assert settings.llm_url == "http://127.0.0.1:1/v1"
    body = request_body(settings, [{"role": "user", "content": "q"}])
    assert body["model"] == "llama3.2" and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "q"}]
