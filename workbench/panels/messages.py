"""Readable messages for what went wrong, in the visitor's language; never a traceback."""

from __future__ import annotations

from workbench.errors import Conflict, InvalidInput, NotFound, PermissionDenied, WorkbenchError
from workbench.i18n import Translator


def error_message(t: Translator, error: WorkbenchError | None) -> str:
    """What to tell the visitor about `error` (None: something we did not expect)."""
    if error is None:
        return t("error.unexpected")
    if isinstance(error, NotFound):
        return t("error.not_found")
    if isinstance(error, InvalidInput):
        details = "; ".join(f"{e.field}: {e.message}" for e in error.errors) or error.message
        return t("error.invalid_input", details=details)
    if isinstance(error, PermissionDenied):
        return t("error.permission_denied", details=error.message)
    if isinstance(error, Conflict):
        return t("error.conflict", details=error.message)
    return t("error.other", details=error.message)
