"""Exceptions the client raises: one per kind of answer the workbench API gives.

Every error response of the API has the body `{"error", "field", "code", "errors"}`; the client
raises the exception class of its HTTP status with the server's own message, so what a notebook
shows is what the server said (e.g. "provider 'opnai' is unknown (known: ...)"). `field` and
`errors` name the offending inputs, as dotted paths such as `substeps.1.prompt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One input the server refused: its dotted path and why."""

    field: str
    message: str


class WorkbenchClientError(Exception):
    """Base of everything this client raises on purpose."""


class ConfigurationError(WorkbenchClientError):
    """The client does not know where the workbench is or which token to use."""


class ConnectionFailed(WorkbenchClientError):
    """The workbench could not be reached (down, wrong URL, network)."""


class APIError(WorkbenchClientError):
    """An error answer of the workbench API, carrying the server's message."""

    status: int = 0

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        errors: tuple[FieldProblem, ...] = (),
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.code = code
        self.field = field
        self.errors = errors
        self.method = method
        self.url = url

    def __str__(self) -> str:
        extra = [f"{p.field}: {p.message}" for p in self.errors if p.message != self.message]
        return self.message + "".join(f"\n  {line}" for line in extra)


class BadRequest(APIError):
    """400: the input was refused; `field` and `errors` say which parts."""

    status = 400


class Unprocessable(BadRequest):
    """422: well-formed, but cannot be used (e.g. inputs the agent cannot run on)."""

    status = 422


class Unauthenticated(APIError):
    """401: no token, or the hub did not accept it."""

    status = 401


class PermissionDenied(APIError):
    """403: the token may not do this (e.g. it lacks `access:services!service=workbench`)."""

    status = 403


class NotFound(APIError):
    """404: no such resource, or not yours (the two look the same on purpose)."""

    status = 404


class Conflict(APIError):
    """409: clashes with the current state (a duplicate name, a finished execution)."""

    status = 409


class PayloadTooLarge(APIError):
    """413: the request body is larger than the server accepts."""

    status = 413


class ServerError(APIError):
    """5xx: the server failed; its log has the details."""

    status = 500


_BY_STATUS: dict[int, type[APIError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unprocessable,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        Conflict,
        PayloadTooLarge,
    )
}


def error_for(
    status: int, body: Any, *, method: str = "", url: str = "", reason: str = ""
) -> APIError:
    """The exception for an error answer with JSON `body` (or anything else the server sent)."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        problems = tuple(
            FieldProblem(str(item.get("field", "")), str(item.get("message", "")))
            for item in body.get("errors") or ()
            if isinstance(item, dict)
        )
        field = body.get("field")
        return cls(
            body["error"],
            status=status,
            code=body.get("code"),
            field=field if isinstance(field, str) else None,
            errors=problems,
            method=method,
            url=url,
        )
    message = f"{method} {url} answered {status} {reason}".strip()
    return cls(message, status=status, method=method, url=url)
