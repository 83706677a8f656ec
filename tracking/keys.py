"""Names the tracker writes into MLflow: experiment names, tag/metric/param keys, artifact paths.

Anything that comes from users (project, agent and step names, model names) passes through here
before it becomes part of a key or a path. MLflow keys allow letters, digits, `_ - . : /` and
spaces and must not resolve to another path; artifact paths must stay inside the run's folder
(SECURITY.md S10), so `..`, `%2e%2e`, `#`, `?` and slashes never survive into a path segment.
"""

from __future__ import annotations

import hashlib
import re

MAX_KEY_LENGTH = 250  # MLflow's limit for param, tag and metric keys
MAX_PARAM_VALUE_LENGTH = 500  # far below MLflow's 6,000: params are for comparing, not storage
MAX_TAG_VALUE_LENGTH = 5000  # below MLflow's 8,000

TAG_PREFIX = "workbench."
EXECUTION_ID_TAG = "workbench.execution_id"
PROJECT_ID_TAG = "workbench.project_id"
AGENT_ID_TAG = "workbench.agent_id"

_UNSAFE_SEGMENT = re.compile(r"[^\w\-:. ]")
# Ids go into MLflow search filters and artifact paths, so they are limited to the characters of
# UUIDs and slugs.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
_TRUNCATION_MARK = "…"


def is_id(value: object) -> bool:
    """Whether `value` is an id the tracker can put into a filter or a path."""
    return isinstance(value, str) and bool(_ID.match(value))


def experiment_name(owner_name: str, project_name: str) -> str:
    """The MLflow experiment of a project: `<owner>/<project>`, as people look for it."""
    return f"{owner_name}/{project_name}"


def segment(text: str) -> str:
    """One path-safe, key-safe name for `text` (a step id or a model name).

    Unchanged when already safe, which is the normal case (`summarize`, `openai:gpt-4o-mini`).
    Otherwise unsafe characters become `_` and a short hash of the original keeps two different
    names from colliding.
    """
    cleaned = _UNSAFE_SEGMENT.sub("_", text).strip(" ")
    if cleaned == text and cleaned.strip(".") and len(cleaned) <= 64:
        return cleaned
    cleaned = cleaned.strip(".") or "_"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned[:55]}-{digest}"


def bounded_key(key: str) -> str:
    """`key` cut to MLflow's key length, keeping it unique with a hash of the whole key."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{key[: MAX_KEY_LENGTH - 13]}~{digest}"


def truncate(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, with a mark showing it was cut."""
    if len(value) <= limit:
        return value
    return value[: limit - len(_TRUNCATION_MARK)] + _TRUNCATION_MARK


def step_key(step_id: str, name: str) -> str:
    """The key of a per-step value: `step/<step>/<name>`.

    The slash makes MLflow's chart view group each step's metrics in its own section.
    """
    return bounded_key(f"step/{segment(step_id)}/{name}")


def step_artifact_dir(step_id: str) -> str:
    return f"steps/{segment(step_id)}"


# Keys of a spec or of inputs that could hold a credential are never logged, whatever their value.
_SECRET_NAME = re.compile(
    r"(^|[_\-.])(api[_\-]?key|apikey|secret|password|passwd|authorization|bearer|"
    r"access[_\-]?token|refresh[_\-]?token|private[_\-]?key|credentials?)($|[_\-.])",
    re.IGNORECASE,
)


def looks_secret(name: str) -> bool:
    """Whether a setting called `name` could hold a credential (`api_key`, `password`, ...)."""
    return bool(_SECRET_NAME.search(name))
