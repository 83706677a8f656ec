"""Errors as the visitor reads them: a sentence in their language, keyed by code and field."""

from __future__ import annotations

import re

import pytest

from workbench import errors
from workbench.errors import Conflict, FieldError, InvalidInput, NotFound, WorkbenchError
from workbench.i18n import LANGUAGES, Translator, messages
from workbench.panels.messages import PageProblem, error_message, field_label

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ERROR_CLASSES = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, WorkbenchError)
]


@pytest.mark.parametrize("code", sorted(errors.HTTP_STATUS))
def test_every_error_code_has_a_sentence_in_every_language(code: str) -> None:
    assert f"error.{code}" in messages()
    assert set(messages()[f"error.{code}"]) == set(LANGUAGES)


def test_a_new_kind_of_error_reads_as_the_error_it_is_a_kind_of() -> None:
    class StaleKeys(errors.SecretKeyError):
        code = "stale_keys"

    t = Translator("ja")
    assert error_message(t, StaleKeys("rotate")).startswith(t("error.secret_key_error"))


@pytest.mark.parametrize("error_class", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_japanese_visitors_read_japanese_whatever_the_error(error_class) -> None:
    server_words = "something the service said in English"
    shown = error_message(Translator("ja"), error_class(server_words))
    assert JAPANESE.search(shown.split("詳細")[0]), shown
    assert not shown.startswith(server_words)


def test_a_duplicate_name_says_so_in_japanese() -> None:
    error = Conflict("you already have a project named 'Alpha'", field="name")
    shown = error_message(Translator("ja"), error)
    assert shown.startswith("その名前は既に使われています。")
    assert "名前: you already have a project named 'Alpha'" in shown  # the details, field named


def test_an_invalid_field_is_named_in_the_visitors_language() -> None:
    error = InvalidInput("invalid input: api_key: too short", field="api_key")
    assert error_message(Translator("ja"), error).startswith("次の項目を確認してください: APIキー")
    assert error_message(Translator("en"), error).startswith("Please check: API key.")


def test_every_bad_field_is_listed_once() -> None:
    error = InvalidInput(
        "invalid input",
        errors=[
            FieldError("title", "too long"),
            FieldError("models.0", "unknown provider"),
            FieldError("models.1", "unknown provider"),
        ],
    )
    shown = error_message(Translator("en"), error)
    assert shown.startswith("Please check: Title, Models (models.0), Models (models.1).")


@pytest.mark.parametrize(
    ("field", "english", "japanese"),
    [
        ("name", "Name", "名前"),
        ("inputs.question", "input “question”", "入力「question」"),
        ("substeps.0.model", "Model (substeps.0.model)", "モデル (substeps.0.model)"),
        ("no_such_field", "no_such_field", "no_such_field"),
    ],
)
def test_field_labels(field: str, english: str, japanese: str) -> None:
    assert field_label(Translator("en"), field) == english
    assert field_label(Translator("ja"), field) == japanese


def test_not_found_tells_nothing_about_what_exists() -> None:
    shown = error_message(Translator("en"), NotFound("project 1b2c… not found"))
    assert shown == Translator("en")("error.not_found")


def test_an_unknown_code_still_reads_as_a_sentence() -> None:
    class Surprise(WorkbenchError):
        code = "surprise"

    shown = error_message(Translator("ja"), Surprise("boom"))
    assert shown == "操作を完了できませんでした。 詳細: boom"


def test_an_unexpected_failure_shows_no_details() -> None:
    assert error_message(Translator("ja"), None) == Translator("ja")("error.unexpected")


def test_a_pages_own_problem_is_shown_as_written() -> None:
    t = Translator("ja")
    assert error_message(t, PageProblem(t("chat.empty_prompt"))) == t("chat.empty_prompt")
