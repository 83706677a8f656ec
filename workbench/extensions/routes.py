"""How handlers declare their routes and operations, so the OpenAPI document is built from them.

A handler module lists its routes with `route("/api/projects/{project_id}", ProjectHandler)`:
the path is written once, in OpenAPI form, and compiled to the tornado pattern. Each handler
class describes its methods in `operations` (what goes in, what comes out, which errors), which
is what `workbench.extensions.openapi` turns into the served document. A route without an
`Operation` for one of its methods is a bug the OpenAPI test catches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

_PARAMETER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Query:
    """A query parameter."""

    name: str
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Listing:
    """A response that is one page of `item`s: `{"items": [...], "total", "offset", "limit"}`."""

    item: type


@dataclass(frozen=True)
class Operation:
    """One method of one route, as the OpenAPI document describes it."""

    summary: str
    tag: str
    status: int = 200
    body: type[BaseModel] | None = None  # the request body's model
    # An entity dataclass, a Listing of one, a JSON Schema (dict), or None for no body.
    response: type | Listing | dict[str, Any] | None = None
    errors: tuple[int, ...] = ()
    query: tuple[Query, ...] = ()
    description: str = ""
    content_type: str = "application/json"


MAX_OFFSET = 2**31 - 1
PAGE_QUERY = (
    Query(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        "items to skip",
    ),
    Query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
        "items per page (at most 200)",
    ),
)
ALL_USERS_QUERY = Query(
    "all", {"type": "boolean", "default": False}, "every user's items (administrators only)"
)


def route(path: str, handler: type) -> tuple[str, type, dict[str, str]]:
    """A tornado route for an OpenAPI-style `path` (`{name}` matches one path segment).

    The handler receives `route_path=path`, the label its requests are counted under.
    """
    return _PARAMETER.sub(r"(?P<\1>[^/]+)", path), handler, {"route_path": path}


def path_parameters(path: str) -> list[str]:
    return _PARAMETER.findall(path)
