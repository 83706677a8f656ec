"""Input checking shared by the services: pydantic models to `InvalidInput`, pagination, ids."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from workbench.errors import FieldError, InvalidInput, NotFound

NAME_MAX = 200
TEXT_MAX = 10_000
JSON_MAX_BYTES = 512 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """Base of every service input: unknown fields are refused, so nobody sets `owner_id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _field_error(error: Any) -> FieldError:
    field = ".".join(str(part) for part in error["loc"]) or "body"
    if error["type"] == "extra_forbidden":
        return FieldError(field, "is not a field you can set")
    return FieldError(field, error["msg"])


def invalid(errors: list[FieldError]) -> InvalidInput:
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return InvalidInput(f"invalid input: {summary}", errors=errors)


def validate(model: type[M], data: M | Mapping[str, Any]) -> M:
    """`data` as a `model`, or `InvalidInput` naming every bad field."""
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise InvalidInput("invalid input: expected a JSON object", field="body")
    try:
        return model.model_validate(dict(data))
    except ValidationError as e:
        raise invalid([_field_error(error) for error in e.errors()]) from None


def check_json_size(value: Any, field: str, limit: int = JSON_MAX_BYTES) -> None:
    size = len(json.dumps(value, separators=(",", ":"), default=str).encode("utf-8"))
    if size > limit:
        raise InvalidInput(
            f"invalid input: {field}: is {size} bytes, more than the {limit} allowed",
            field=field,
        )


def check_page(offset: int, limit: int) -> None:
    errors = []
    if not isinstance(offset, int) or offset < 0:
        errors.append(FieldError("offset", "must be an integer of 0 or more"))
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}"))
    if errors:
        raise invalid(errors)


def parse_id(value: uuid.UUID | str, resource: str) -> uuid.UUID:
    """An id from a path or body; a malformed one is simply not found."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{resource} {value!s:.64} not found") from None
