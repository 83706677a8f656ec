"""Valid request bodies the tests start from (agent specs as `agents.spec` accepts them)."""

from __future__ import annotations

from typing import Any

SUBSTEPS: list[dict[str, Any]] = [
    {"id": "outline", "model": "demo:echo", "prompt": "Outline {{ topic }}"},
    {
        "id": "compare",
        "kind": "compare",
        "models": ["demo:echo", "demo:upper"],
        "prompt": "Write from {{ outline }}",
    },
]


def agent_body(name: str = "writer", **fields: Any) -> dict[str, Any]:
    """An agent with one input, `topic` (default "tides"), and two steps."""
    return {
        "name": name,
        "configuration": {"inputs": {"topic": {"type": "string", "default": "tides"}}},
        "substeps": SUBSTEPS,
        **fields,
    }
