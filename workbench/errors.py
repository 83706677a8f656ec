"""Domain errors raised by the service layer, each with a code; one table maps codes to HTTP.

Services raise these and never import tornado: the REST layer turns a `WorkbenchError` into an
HTTP error with `http_status(error)` and `error.to_dict()` as the JSON body. Messages never
contain secrets, and say what to do where they can.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; `field` is a dotted path such as `substeps.0.model`."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose."""

    code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: Iterable[FieldError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors: tuple[FieldError, ...] = tuple(errors)
        if field is not None and not self.errors:
            self.errors = (FieldError(field, message),)

    @property
    def field(self) -> str | None:
        """The first field this error names, if any."""
        return self.errors[0].field if self.errors else None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [error.to_dict() for error in self.errors]
        return body


class NotFound(WorkbenchError):
    """Missing, or not visible to the acting user: the two are indistinguishable on purpose."""

    code = "not_found"


class PermissionDenied(WorkbenchError):
    """The acting user may see the resource but not do this to it."""

    code = "permission_denied"


class Conflict(WorkbenchError):
    """The change clashes with existing state: a duplicate name, a finished execution."""

    code = "conflict"


class InvalidInput(WorkbenchError):
    """The input is malformed; `errors` names every offending field."""

    code = "invalid_input"


class Unprocessable(InvalidInput):
    """The input is well-formed but cannot be used as it is, e.g. inputs an agent cannot run on;
    `errors` names every problem."""

    code = "unprocessable"


class ConfigurationError(WorkbenchError):
    """The process is misconfigured; the message names the setting to fix."""

    code = "configuration_error"


class SecretKeyError(ConfigurationError):
    """The master keys cannot decrypt what is stored, or are missing or malformed."""

    code = "secret_key_error"


class KeyBindingError(SecretKeyError):
    """A stored key decrypted but belongs to another user or provider (SECURITY.md S7)."""

    code = "key_binding_error"


class GatewayUnavailable(ConfigurationError):
    """Dask Gateway cannot be reached, refuses the service's credentials, or fails a cluster."""

    code = "dask_gateway_unavailable"


class SchemaMismatch(ConfigurationError):
    """The database schema is not the one this code expects."""

    code = "schema_mismatch"


HTTP_STATUS: dict[str, int] = {
    NotFound.code: 404,
    PermissionDenied.code: 403,
    Conflict.code: 409,
    InvalidInput.code: 400,
    Unprocessable.code: 422,
    ConfigurationError.code: 500,
    SecretKeyError.code: 500,
    KeyBindingError.code: 500,
    GatewayUnavailable.code: 500,
    SchemaMismatch.code: 500,
    WorkbenchError.code: 500,
}


def http_status(error: WorkbenchError) -> int:
    """The HTTP status that answers `error`."""
    return HTTP_STATUS.get(error.code, 500)
