"""Agent specs to start from: a single prompt, a comparison of models, draft–critique–refine.

Each starter uses models the visitor can call: one per provider they hold a key for, else the
offline demo model. Its prompts and criteria are written in the visitor's language (the
catalogue's `starter.*` texts); its ids and input names stay as they are, since templates name them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.i18n import Translator

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


def _slot(name: str) -> str:
    """A template's reference to `name`, for a catalogue text's `{name}` placeholder."""
    return f"{{{{ {name} }}}}"


def starter_spec(
    kind: str, name: str, models: list[str], t: Translator | None = None
) -> dict[str, Any]:
    """The spec data of starter `kind` (one of `STARTERS`), its texts in `t`'s language."""
    t = t or Translator()
    first = models[0]
    if kind == "single_prompt":
        return {
            "name": name,
            "defaults": {"model": first, "temperature": 0.2},
            "inputs": {"text": "text"},
            "substeps": [
                {"id": "answer", "prompt": t("starter.single_prompt.prompt", text=_slot("text"))}
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
                    "prompt": t("starter.compare_models.prompt", question=_slot("question")),
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
                    "prompt": t(
                        "starter.draft_critique_refine.outline_prompt", topic=_slot("topic")
                    ),
                },
                {
                    "id": "article",
                    "kind": "feedback_loop",
                    "judge": models[-1],
                    "criteria": t("starter.draft_critique_refine.criteria"),
                    "max_rounds": 3,
                    "prompt": t(
                        "starter.draft_critique_refine.article_prompt", outline=_slot("outline")
                    ),
                },
            ],
        }
    raise ValueError(f"starter {kind!r} is unknown (known: {', '.join(STARTERS)})")
