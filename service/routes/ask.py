"""POST /api/ask: a cited answer, or an abstention."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from askdocs.service.conversation import Turn
from askdocs.service.deps import AnswererDep
from askdocs.service.schemas import AskRequest, AskResponse, CitationOut

router = APIRouter(prefix="/api", tags=["ask"])


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, answerer: AnswererDep) -> AskResponse:
    """Answer a question from the documents, quoting the excerpts it rests on."""
    history = [Turn(t.role, t.content) for t in body.history]
    result = answerer.answer(body.question, history, body.top_k)
    return AskResponse(
        answer=result.answer,
        abstained=result.abstained,
        citations=[CitationOut(**asdict(c)) for c in result.citations],
    )
