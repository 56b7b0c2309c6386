"""A streaming client for OpenAI-compatible chat completions (`POST {url}/chat/completions`).

Ollama, llama.cpp's server, vLLM and LM Studio all speak it. The reply is read as Server-Sent
Events (`data: {"choices": [{"delta": {"content": "..."}}]}` ... `data: [DONE]`), or as one
JSON completion when a server ignores `"stream": true`. httpx is imported here, and this module
only when generation is on, so a service without a model server never loads it.

Sync on purpose: the answerer is sync, and the CLI, `POST /api/ask`, the stream route (which
iterates it in the thread pool) and the evals all run this one code path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from askdocs.errors import GenerationError
from askdocs.settings import Settings

log = logging.getLogger("askdocs.generation")

# Enough for a few short sentences; bounds a server that would go on and on.
MAX_TOKENS = 400
TEMPERATURE = 0.0


class EventDecoder:
    """Server-Sent Events decoder: text in, any pieces at all; `data` payloads out.

    A line cut between two network reads is kept until its end arrives (the DocsGPT widget's
    reader did not, and broke on split events); `\\r\\n`, `\\r` and `\\n` all end lines;
    comment lines (`: keep-alive`) are skipped; the `data:` lines of one event are joined.
    """

    def __init__(self) -> None:
        self._partial = ""
        self._data: list[str] = []

    def feed(self, text: str) -> list[str]:
        """The payloads of the events `text` completed."""
        buffer = self._partial + text
        # A trailing "\r" may be the first half of "\r\n": wait for the next piece.
        cut = len(buffer) - 1 if buffer.endswith("\r") else len(buffer)
        lines = buffer[:cut].replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self._partial = lines.pop() + buffer[cut:]
        payloads: list[str] = []
        for line in lines:
            if not line:
                if self._data:
                    payloads.append("\n".join(self._data))
                    self._data = []
            elif line.startswith("data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(" ") else value)
            # other fields (event:, id:, retry:) and comments carry nothing for us
        return payloads

    def close(self) -> list[str]:
        """What remains once the stream ended (a last event without its blank line)."""
        payloads = self.feed("\n\n") if self._partial or self._data else []
        self._partial = ""
        return payloads


def content_of(chunk: Any) -> str:
    """The text of one completion chunk (`delta`) or of a whole completion (`message`)."""
    try:
        choice = chunk["choices"][0]
    except (TypeError, KeyError, IndexError):
        if isinstance(chunk, dict) and "error" in chunk:
            raise GenerationError(f"the model server reported an error: {chunk['error']}") from None
        raise GenerationError("the model server's reply is not a chat completion") from None
    if not choice:  # some servers send a last chunk with usage only
        return ""
    part = choice.get("delta") or choice.get("message") or {}
    content = part.get("content") if isinstance(part, dict) else None
    if content is not None and not isinstance(content, str):
        raise GenerationError("the model server's reply is not a chat completion")
    return content or ""


def _parse(payload: str) -> Any:
    try:
        return json.loads(payload)
    except json.JSONDecodeError:
        raise GenerationError("the model server sent something that is not JSON") from None


def request_body(settings: Settings, messages: list[dict[str, str]]) -> dict[str, Any]:
    """The JSON of one chat completion request."""
    return {
        "model": settings.llm_model or "default",
        "messages": messages,
        "stream": True,
        "temperature": TEMPERATURE,
        "max_tokens": MAX_TOKENS,
    }


def stream_completion(settings: Settings, messages: list[dict[str, str]]) -> Iterator[str]:
    """The model's answer, piece by piece as it arrives. GenerationError when the server
    cannot be reached, answers with an error status, sends what is not a chat completion,
    or is silent for longer than `settings.llm_timeout_s`."""
    import httpx

    headers = {"Accept": "text/event-stream, application/json"}
    if settings.llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
    url = f"{settings.llm_url}/chat/completions"
    body = request_body(settings, messages)
    try:
        with (
            httpx.Client(timeout=settings.llm_timeout_s) as client,
            client.stream("POST", url, json=body, headers=headers) as response,
        ):
            if response.status_code >= 400:
                response.read()
                raise GenerationError(
                    f"the model server answered {response.status_code}: {response.text[:200]}"
                )
            if response.headers.get("content-type", "").startswith("application/json"):
                response.read()
                yield content_of(_parse(response.text))
                return
            decoder = EventDecoder()
            for text in response.iter_text():
                for payload in decoder.feed(text):
                    if payload.strip() == "[DONE]":
                        return
                    piece = content_of(_parse(payload))
                    if piece:
                        yield piece
            for payload in decoder.close():
                if payload.strip() != "[DONE]":
                    yield content_of(_parse(payload))
    except httpx.TimeoutException:
        raise GenerationError(
            f"the model server did not answer within {settings.llm_timeout_s:g} s"
        ) from None
    except httpx.HTTPError as exc:
        raise GenerationError(f"the model server cannot be reached: {type(exc).__name__}") from None
