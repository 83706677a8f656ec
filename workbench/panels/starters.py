"""Agent specs to start from: a single prompt, a comparison of models, draft–critique–refine.

Each starter uses models the visitor can call: one per provider they hold a key for, else the
offline demo model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# A sensible first model per provider; users change it in the editor.
SUGGESTED_MODELS: dict[str, str] = {
    "openai": "openai:gpt-4o-mini",
    "anthropic": "anthropic:claude-sonnet-4",
    "google": "google:gemini-2.5-flash",
    "openai-compatible": "openai-compatible:llama3",
}
DEMO_MODELS = ("demo:echo", "demo:reverse")
STARTERS = ("single_prompt", "compare_models", "draft_critique_refine")


def suggested_models(providers: Iterable[str]) -> list[str]:
    """Models for the providers the visitor has keys for; the demo model(s) when none."""
    models = [SUGGESTED_MODELS[p] for p in dict.fromkeys(providers) if p in SUGGESTED_MODELS]
    return models or list(DEMO_MODELS)


def starter_spec(kind: str, name: str, models: list[str]) -> dict[str, Any]:
    """The spec data of starter `kind` (one of `STARTERS`)."""
    first = models[0]
    if kind == "single_prompt":
        return {
            "name": name,
            "defaults": {"model": first, "temperature": 0.2},
            "inputs": {"text": "text"},
            "substeps": [
                {"id": "answer", "prompt": "Summarise in three bullet points:\n{{ text }}"}
            ],
        }
    if kind == "compare_models":
        compared = models if len(models) > 1 else [first, *[m for m in DEMO_MODELS if m != first]]
        return {
            "name": name,
            "defaults": {"temperature": 0.2},
            "inputs": {"question": "text"},
            "substeps": [
                {
                    "id": "answers",
                    "kind": "compare",
                    "models": compared[:4],
                    "prompt": "Answer concisely:\n{{ question }}",
                }
            ],
        }
    if kind == "draft_critique_refine":
        return {
            "name": name,
            "defaults": {"model": first, "temperature": 0.4},
            "inputs": {"topic": "string"},
            "substeps": [
                {
                    "id": "outline",
                    "prompt": "Write a short outline for an article about {{ topic }}.",
                },
                {
                    "id": "article",
                    "kind": "feedback_loop",
                    "judge": models[-1],
                    "criteria": "Clear, correct, under 300 words, follows the outline.",
                    "max_rounds": 3,
                    "prompt": "Write the article from this outline:\n{{ outline }}",
                },
            ],
        }
    raise ValueError(f"starter {kind!r} is unknown (known: {', '.join(STARTERS)})")
