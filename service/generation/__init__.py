"""Generated answers (optional, ASKDOCS_LLM_URL): a model server's sentences, each checked
against the sources it cites before it is shown; the extractive answer otherwise.

sources.py (what the model may cite) → prompt.py (what it is sent) → client.py (its streamed
reply) → sentences.py (cut into sentences) → check.py (kept or dropped) → generate.py (the
events the CLI, the API, the stream and the evals share).
"""
