"""Domain errors to HTTP: one table, every code in it, and the JSON body a client reads."""

from __future__ import annotations

import pytest

from workbench.errors import (
    HTTP_STATUS,
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SchemaMismatch,
    Unprocessable,
    WorkbenchError,
    http_status,
)
from workbench.extensions.base import ApiError
from workbench.runner import SpecNotExecutable


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("agent not found"), 404),
        (PermissionDenied("not yours to change"), 403),
        (Conflict("already finished"), 409),
        (InvalidInput("bad", field="name"), 400),
        (Unprocessable("cannot run", field="inputs.who"), 422),
        (SpecNotExecutable("the agent cannot run", field="inputs.who"), 422),
        (SchemaMismatch("run `workbench db upgrade`"), 500),
        (WorkbenchError("unexpected"), 500),
    ],
)
def test_each_domain_error_answers_its_status(error: WorkbenchError, status: int) -> None:
    assert http_status(error) == status
    assert ApiError.from_domain(error).status_code == status


def test_every_error_class_has_its_code_in_the_table() -> None:
    def subclasses(cls: type[WorkbenchError]) -> list[type[WorkbenchError]]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    codes = {cls.code for cls in subclasses(WorkbenchError)}
    assert codes <= set(HTTP_STATUS)


def test_an_unprocessable_input_body_names_every_field() -> None:
    error = SpecNotExecutable(
        "the agent cannot run: inputs.who: missing",
        errors=[FieldError("inputs.who", "missing"), FieldError("inputs.when", "not an input")],
    )
    body = ApiError.from_domain(error).body()
    assert body["code"] == "unprocessable"
    assert body["field"] == "inputs.who"
    assert [e["field"] for e in body["errors"]] == ["inputs.who", "inputs.when"]
