"""The API key page, without a browser, against the real service layer."""

from __future__ import annotations

import secrets

import pytest

from agents.events import CallRecord, ExecutionStarted, StepFinished
from tests.panels.conftest import shown_text
from workbench.i18n import Translator
from workbench.panels.keys import KeysPage, check_sentence
from workbench.runner import ExecutionRunner, KeyCheck

CANARY = "sk-canary-0123456789abcdefWXYZ"


def test_adding_a_key_shows_only_its_mask_and_clears_the_box(services, alice, page_context):
    page = KeysPage(page_context(alice))
    page.provider, page.label, page.api_key = "openai", "team", CANARY
    page.add()
    assert page.api_key == ""
    shown = page.frame().to_csv()
    assert CANARY not in shown and CANARY not in page.message_text
    assert list(page.frame()["hint"]) == ["sk-…WXYZ"]
    assert services.keys.list_keys(alice).total == 1


def test_a_key_without_a_value_names_the_field(services, alice, page_context):
    page = KeysPage(page_context(alice))
    page.provider, page.api_key = "anthropic", ""
    page.add()
    assert services.keys.list_keys(alice).total == 0
    assert page.t("field.api_key") in page.message_text


def test_an_openai_compatible_key_needs_its_server(services, alice, page_context):
    page = KeysPage(page_context(alice))
    page.provider, page.api_key = "openai-compatible", "local-key-123456"
    page.add()
    assert page.t("field.base_url") in page.message_text
    page.base_url = "http://127.0.0.1:11434/v1"
    page.add()
    assert list(page.frame()["base_url"]) == ["http://127.0.0.1:11434/v1"]


def test_other_users_keys_are_not_listed(services, alice, bob, page_context):
    services.keys.create_key(bob, {"provider": "openai", "api_key": CANARY})
    assert KeysPage(page_context(alice)).frame().empty


def test_delete_needs_confirmation(services, alice, page_context):
    services.keys.create_key(alice, {"provider": "openai", "api_key": CANARY})
    page = KeysPage(page_context(alice))
    page.select(page.keys[0])
    page.confirm_delete()
    assert services.keys.list_keys(alice).total == 1
    page.request_delete()
    page.confirm_delete()
    assert services.keys.list_keys(alice).total == 0


def test_usage_per_user_is_for_administrators_only(services, alice, bob, admin, page_context):
    project = services.projects.create_project(alice, {"name": "Usage"})
    agent = services.agents.create_agent(
        alice,
        project.id,
        {"name": "one", "substeps": [{"id": "a", "model": "openai:gpt-4o", "prompt": "Hi"}]},
    )
    eid = str(services.executions.create_execution(alice, agent.id).id)
    calls = (
        CallRecord(
            model="openai:gpt-4o", role="answer", input_tokens=3, output_tokens=4, cost_usd=0.5
        ),
        CallRecord(
            model="openai-compatible:llama",
            role="answer",
            input_tokens=1,
            output_tokens=1,
            cost_usd=None,
        ),
    )
    services.executions.record_event(ExecutionStarted(eid, step_ids=("a",)))
    services.executions.record_event(StepFinished(eid, step_id="a", calls=calls))

    assert KeysPage(page_context(alice)).usage_by_user().empty
    table = KeysPage(page_context(admin)).usage_by_user()
    assert table.to_dict("records") == [
        {"user": "alice", "calls": 2, "tokens": "9", "cost": "$0.5000", "unpriced_calls": 1}
    ]


# ---- testing a key, in the visitor's language --------------------------------------------------


@pytest.fixture
def key_runner(services, fake_provider):
    """The real runner's key check (never started: checking a key needs no engine), asking the
    session's fake provider server."""

    def no_engine():
        raise AssertionError("checking a key must not start the engine")

    return ExecutionRunner(
        services,
        no_engine,
        provider_base_urls={name: fake_provider.base_url(name) for name in ("openai", "anthropic")},
    )


def shown_after_testing(page: KeysPage) -> str:
    page.select(page.keys[0])
    page.test_selected()
    return shown_text(page._actions())


def test_a_working_key_is_reported_in_japanese(services, alice, page_context, key_runner):
    services.keys.create_key(alice, {"provider": "openai", "api_key": CANARY})
    page = KeysPage(page_context(alice, "ja", runner=key_runner))
    shown = shown_after_testing(page)
    assert page.check_ok is True
    assert "キーは有効です。 openai はキー sk-…WXYZ を受け付けました。" in shown
    assert "accepted the key" not in shown and CANARY not in shown


def test_a_refused_key_is_reported_in_japanese(
    services, alice, page_context, key_runner, fake_provider
):
    key = f"sk-revoked-{secrets.token_hex(8)}"
    fake_provider.reject_key(key)
    services.keys.create_key(alice, {"provider": "anthropic", "api_key": key})
    page = KeysPage(page_context(alice, "ja", runner=key_runner))
    shown = shown_after_testing(page)
    assert page.check_ok is False
    assert f"anthropic はキー sk-…{key[-4:]} を拒否しました（401）。有効なキーを" in shown
    assert shown.startswith(page.t("keys.test_failed"))
    assert "refused the key" not in shown and key not in shown


def test_an_unreachable_server_is_reported_in_japanese(services, alice, page_context, key_runner):
    data = {"provider": "openai-compatible", "api_key": CANARY, "base_url": "http://127.0.0.1:9/v1"}
    services.keys.create_key(alice, data)
    page = KeysPage(page_context(alice, "ja", runner=key_runner))
    shown = shown_after_testing(page)
    assert page.check_ok is False
    assert "openai-compatible（http://127.0.0.1:9/v1）に接続できませんでした: " in shown
    assert "could not reach" not in shown and CANARY not in shown


def test_english_visitors_read_the_runners_verdict(services, alice, page_context, key_runner):
    services.keys.create_key(alice, {"provider": "openai", "api_key": CANARY})
    page = KeysPage(page_context(alice, runner=key_runner))
    page.select(page.keys[0])
    page.test_selected()
    verdict = key_runner.check_key(alice, page.keys[0].id)
    assert page.check_text == f"The key works. {verdict.message}."


@pytest.mark.parametrize(
    ("result", "japanese"),
    [
        (
            KeyCheck(
                True,
                "openai knows the key sk-…1234 but is rate-limiting it (429)",
                "rate_limited",
                {"provider": "openai", "hint": "sk-…1234"},
            ),
            "レート制限中です（429）",
        ),
        (
            KeyCheck(
                False,
                "google answered 500 when asked to list its models",
                "unexpected_status",
                {"provider": "google", "status": "500"},
            ),
            "google はモデル一覧の問い合わせに 500",
        ),
        (
            KeyCheck(
                False,
                "the openai-compatible key sk-…1 has no server URL to try",
                "no_url",
                {"provider": "openai-compatible", "hint": "sk-…1"},
            ),
            "試すためのサーバー URL",
        ),
    ],
)
def test_every_outcome_of_a_key_check_has_a_japanese_sentence(result, japanese):
    assert japanese in check_sentence(Translator("ja"), result)


def test_an_outcome_not_known_here_keeps_the_runners_words_after_the_verdict():
    result = KeyCheck(False, "the key vault could not decrypt this key")
    said = check_sentence(Translator("ja"), result)
    assert said == "詳細: the key vault could not decrypt this key"
