"""Readable messages for what went wrong, in the visitor's language; never a traceback.

A service error carries a code and the fields it is about: the `code` and `field` the REST API
answers with. The headline comes from the catalogue, keyed by code and field (`error.conflict.name`,
else `error.conflict`), with the fields named in the visitor's language (`field.api_key`). The
service's own words follow as details: they name the exact problem, but the service layer speaks
English only, so they never stand alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.errors import NotFound, WorkbenchError
from workbench.i18n import Translator, messages

FALLBACK_CODE = WorkbenchError.code
LIST_SEPARATORS = {"ja": "、"}


class PageProblem(Exception):
    """Something a page found wrong by itself, already worded in the visitor's language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def error_message(t: Translator, error: WorkbenchError | PageProblem | None) -> str:
    """What to tell the visitor about `error` (None: something we did not expect)."""
    if error is None:
        return t("error.unexpected")
    if isinstance(error, PageProblem):
        return error.text
    fields = [e.field for e in error.errors]
    headline = error_headline(t, error_codes(error), fields)
    if isinstance(error, NotFound):
        return headline  # what was not found is the page the visitor is on
    details = error_details(t, error)
    return f"{headline} {t('error.details', details=details)}" if details else headline


def error_codes(error: WorkbenchError) -> list[str]:
    """`error`'s code, then those of the errors it is a kind of: `key_binding_error`,
    `secret_key_error`, `configuration_error`, `internal_error`."""
    kinds = [kind for kind in type(error).__mro__ if issubclass(kind, WorkbenchError)]
    return list(dict.fromkeys([error.code, *(kind.code for kind in kinds)]))


def error_headline(t: Translator, codes: Sequence[str], fields: Sequence[str] = ()) -> str:
    """The catalogue's sentence for the most specific of `codes` (and field) it has."""
    catalogue = messages()
    for code in codes:
        if fields:
            specific = f"error.{code}.{leaf(fields[0])}"
            if specific in catalogue:
                return t(specific)
            listed = f"error.{code}.fields"
            if listed in catalogue:
                labels = dict.fromkeys(field_label(t, field) for field in fields)
                separator = LIST_SEPARATORS.get(t.language, ", ")
                return t(listed, fields=separator.join(labels))
        if f"error.{code}" in catalogue:
            return t(f"error.{code}")
    return t(f"error.{FALLBACK_CODE}")


def error_details(t: Translator, error: WorkbenchError) -> str:
    """The service's words, each field error led by the field's name in the visitor's language."""
    if not error.errors:
        return error.message
    return "; ".join(f"{field_label(t, e.field)}: {e.message}" for e in error.errors)


def field_label(t: Translator, field: str) -> str:
    """`api_key` -> "APIキー"; `inputs.question` -> 入力「question」; `substeps.0.model` ->
    "モデル (substeps.0.model)", the path kept so the visitor can find it; unknown: as it is."""
    parts = field.split(".")
    if parts[0] == "inputs" and len(parts) > 1:
        return t("field.input", name=".".join(parts[1:]))
    key = f"field.{leaf(field)}"
    if key not in messages():
        return field
    return t(key) if len(parts) == 1 else f"{t(key)} ({field})"


def leaf(field: str) -> str:
    """The name of what a dotted field path points at: `substeps.0.model` -> `model`."""
    named = [part for part in field.split(".") if part and not part.isdigit()]
    return named[-1] if named else field
