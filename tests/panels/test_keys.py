"""The API key page, without a browser, against the real service layer."""

from __future__ import annotations

from agents.events import CallRecord, ExecutionStarted, StepFinished
from workbench.panels.keys import KeysPage

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
