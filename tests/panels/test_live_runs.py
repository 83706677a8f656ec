"""Pages driving the real execution runner (Dask engine, fake provider), without a browser."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from tests.panels.conftest import URLS, ServedWorkbench
from workbench.i18n import Translator
from workbench.panels.chat import ChatPage
from workbench.panels.context import PageContext
from workbench.panels.execution import ExecutionPage
from workbench.panels.keys import KeysPage


def context(served: ServedWorkbench, user: str = "alice", **args: str) -> PageContext:
    return PageContext(
        actor=served.actors[user],
        services=served.services,
        t=Translator("en"),
        urls=URLS,
        path=URLS.page("/"),
        args=args,
        runner=served.dependencies.runner,
        analysis=served.dependencies.analysis,
    )


def eventually(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def keyed(served: ServedWorkbench) -> ServedWorkbench:
    alice = served.actors["alice"]
    for provider in ("openai", "anthropic"):
        if not any(k.provider == provider for k in served.services.keys.list_keys(alice).items):
            served.services.keys.create_key(
                alice, {"provider": provider, "api_key": f"sk-live-{secrets.token_hex(8)}"}
            )
    return served


def make_agent(served: ServedWorkbench, substeps: list[dict], inputs: dict | None = None):
    alice = served.actors["alice"]
    project = served.services.projects.create_project(alice, {"name": unique("live")})
    return served.services.agents.create_agent(
        alice,
        project.id,
        {
            "name": unique("agent"),
            "configuration": {"inputs": inputs or {"question": {"type": "text"}}},
            "substeps": substeps,
        },
    )


def test_a_run_started_from_the_page_fills_in_live(keyed: ServedWorkbench) -> None:
    models = [f"openai:{unique('gpt')}", f"anthropic:{unique('claude')}"]
    agent = make_agent(
        keyed,
        [
            {"id": "answers", "kind": "compare", "models": models, "prompt": "{{ question }}"},
            {"id": "pick", "model": models[0], "prompt": "Pick one: {{ answers }}"},
        ],
    )
    page = ExecutionPage(context(keyed, agent=str(agent.id)))
    page._inputs["question"].value = "What is 2+2?"
    execution = page.run()
    assert execution is not None, page.message_text
    eventually(lambda: page.status == "COMPLETED")
    assert page.progress == (2, 2)
    assert set(page.steps["answers"].output) == set(models)
    assert page.steps["pick"].status == "COMPLETED"
    assert page.execution.cost_usd is None or page.execution.cost_usd >= 0


def test_cancel_from_the_page_stops_the_run(keyed: ServedWorkbench, fake_provider) -> None:
    model = unique("slow")
    fake_provider.program(model, then={"latency": 30.0})
    agent = make_agent(
        keyed, [{"id": "slow", "model": f"openai:{model}", "prompt": "{{ q }}"}], {"q": "string"}
    )
    page = ExecutionPage(context(keyed, agent=str(agent.id)))
    page._inputs["q"].value = "wait"
    page.run()
    eventually(lambda: page.steps["slow"].status == "RUNNING")
    page.cancel()
    assert page.status == "CANCELLED"


def test_a_chat_turn_answers_with_every_model(keyed: ServedWorkbench) -> None:
    alice = keyed.actors["alice"]
    models = [f"openai:{unique('a')}", f"anthropic:{unique('b')}"]
    session = keyed.services.chat.create_session(alice, {"title": "live", "models": models})
    page = ChatPage(context(keyed, session=str(session.id)))
    page.prompt = "Hello there"
    turn = page.send()
    assert turn is not None, page.message_text

    def answered() -> bool:
        return len(page.grouped_turns()[0][1]) == 2

    eventually(answered)
    replies = page.grouped_turns()[0][1]
    assert [r.model for r in replies] == models
    assert all(r.execution_id == turn.execution_id and r.content for r in replies)
    # the turn is an execution of the session's chat agent: tracked like any other
    execution = keyed.services.executions.get_execution(alice, turn.execution_id)
    assert execution.status.value == "COMPLETED"


def test_testing_a_key_shows_the_runners_verdict(keyed: ServedWorkbench) -> None:
    page = KeysPage(context(keyed))
    key = page.keys[0]
    page.select(key)
    page.test_selected()
    verdict = keyed.dependencies.runner.check_key(keyed.actors["alice"], key.id)
    assert page.check_ok is verdict.ok
    assert verdict.message in page.check_text
    assert page.check_text.startswith(page.t("keys.test_ok" if verdict.ok else "keys.test_failed"))


def test_analysis_compares_both_models_and_diffs_two_runs(keyed: ServedWorkbench) -> None:
    from workbench.panels.analysis import AnalysisPage

    alice = keyed.actors["alice"]
    models = [f"openai:{unique('gpt')}", f"anthropic:{unique('claude')}"]
    agent = make_agent(
        keyed,
        [{"id": "answers", "kind": "compare", "models": models, "prompt": "{{ question }}"}],
    )
    runner = keyed.dependencies.runner
    ids = [runner.start_execution(alice, agent.id, {"question": q}).id for q in ("one", "two")]

    def tracked() -> bool:
        rows = [keyed.services.executions.get_execution(alice, i) for i in ids]
        return all(r.tracking_status.value == "SYNCED" for r in rows)

    eventually(tracked)
    page = AnalysisPage(context(keyed, agent=str(agent.id)))
    assert len(page.runs_frame()) == 2
    assert sorted(page.models_frame()["model"]) == sorted(models)
    page.run_a, page.run_b = str(ids[0]), str(ids[1])
    page.compute_diff()
    [(step, frame)] = page.diff
    assert step == "answers"
    assert (frame["change"] != "equal").any()


def test_analysis_of_another_users_agent_is_not_found(keyed: ServedWorkbench) -> None:
    from workbench.errors import NotFound
    from workbench.panels.analysis import AnalysisPage

    agent = make_agent(keyed, [{"id": "a", "model": "demo:x", "prompt": "{{ question }}"}])
    with pytest.raises(NotFound):
        AnalysisPage(context(keyed, user="bob", agent=str(agent.id)))


def test_the_dashboard_follows_a_running_execution_to_its_end(
    keyed: ServedWorkbench, fake_provider
) -> None:
    from workbench.panels.dashboard import DashboardPage

    model = unique("steady")
    fake_provider.program(model, then={"latency": 1.0})
    step = {"id": "only", "model": f"openai:{model}", "prompt": "{{ q }}"}
    agent = make_agent(keyed, [step], {"q": "string"})
    alice = keyed.actors["alice"]
    execution = keyed.dependencies.runner.start_execution(alice, agent.id, {"q": "go"})
    page = DashboardPage(context(keyed))
    mine = next(e for e in page.recent if e.id == execution.id)
    assert not mine.is_finished
    # No refresh from here on: the runner's events bring the end.
    eventually(
        lambda: next(e for e in page.recent if e.id == execution.id).status.value == "COMPLETED"
    )
