"""Entities to JSON, through the pydantic adapters the OpenAPI document takes its schemas from."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from workbench.services import Page


@functools.cache
def adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def to_data(entity: Any) -> Any:
    """An entity (frozen dataclass) as JSON-ready data."""
    return adapter(type(entity)).dump_python(entity, mode="json")


def page_data(page: Page[Any]) -> dict[str, Any]:
    return {
        "items": [to_data(item) for item in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }
