"""The chat room page, without a browser: sessions, history, turns as executions, save as agent."""

from __future__ import annotations

import pytest

from agents.events import (
    CallRecord,
    ExecutionFinished,
    ExecutionStarted,
    StepFinished,
    StepToken,
)
from tests.panels.conftest import shown_text
from workbench.errors import NotFound
from workbench.panels.chat import ChatPage
from workbench.services.chat_turns import ChatTurns, chat_spec, transcript


def test_starting_a_chat_opens_it_with_its_models(services, alice, page_context):
    page = ChatPage(page_context(alice))
    page.new_title, page.new_models = "Two models", ["demo:echo", "demo:reverse"]
    session = page.create_session()
    assert page.session.id == session.id
    assert session.models == ["demo:echo", "demo:reverse"]
    assert [s.title for s in page.sessions] == ["Two models"]


def test_a_badly_written_model_is_named(services, alice, page_context):
    page = ChatPage(page_context(alice))
    page.new_models, page.other_model = [], "gpt-4o"
    assert page.create_session() is None
    assert page.t("field.models") in page.message_text
    assert services.chat.list_sessions(alice).total == 0


def test_sending_without_a_runner_explains_why(services, alice, page_context):
    session = services.chat.create_session(alice, {"models": ["demo:echo"]})
    page = ChatPage(page_context(alice, session=str(session.id)))
    page.prompt = "hello"
    assert page.send() is None
    assert page.message_text == page.t("execution.no_runner")


def test_history_reopens_grouped_by_turn(services, alice, page_context):
    session = services.chat.create_session(alice, {"models": ["demo:a", "demo:b"]})
    services.chat.add_message(alice, session.id, {"role": "user", "content": "hi"})
    services.chat.add_message(
        alice, session.id, {"role": "assistant", "model": "demo:b", "content": "B"}
    )
    services.chat.add_message(
        alice, session.id, {"role": "assistant", "model": "demo:a", "content": "A"}
    )
    page = ChatPage(page_context(alice, session=str(session.id)))
    [(question, replies)] = page.grouped_turns()
    assert question.content == "hi"
    assert [r.content for r in replies] == ["A", "B"]  # in the session's model order


def test_each_model_sees_its_own_side_of_the_conversation(services, alice):
    session = services.chat.create_session(alice, {"models": ["demo:a", "demo:b"]})
    services.chat.add_message(alice, session.id, {"role": "user", "content": "hi"})
    for model in ("demo:a", "demo:b"):
        services.chat.add_message(
            alice,
            session.id,
            {"role": "assistant", "model": model, "content": f"reply of {model}"},
        )
    history = services.chat.get_session(alice, session.id).messages
    text = transcript(history, "demo:a", "and now?")
    assert "reply of demo:a" in text and "reply of demo:b" not in text
    assert text.endswith("User: and now?\n\nAssistant:")


def test_the_chat_agent_is_a_valid_spec_with_one_step_per_model(services, alice):
    session = services.chat.create_session(alice, {"models": ["demo:a", "openai:gpt-4o-mini"]})
    spec = chat_spec(session, "chat")
    assert spec.problems() == []
    assert spec.step_ids() == ("model_1", "model_2")
    agent = ChatTurns(services, None).chat_agent(alice, session)
    assert services.projects.get_project(alice, agent.project_id).name == "Chat room"


def test_replies_of_a_turn_finished_unwatched_are_stored_on_opening(services, alice, page_context):
    session = services.chat.create_session(alice, {"models": ["demo:a", "demo:b"]})
    agent = ChatTurns(services, None).chat_agent(alice, session)
    execution = services.executions.create_execution(
        alice, agent.id, {"conversation_1": "x", "conversation_2": "x"}
    )
    services.chat.add_message(
        alice, session.id, {"role": "user", "content": "hi", "execution_id": execution.id}
    )
    eid = str(execution.id)
    for event in (
        ExecutionStarted(eid, step_ids=("model_1", "model_2")),
        StepFinished(eid, step_id="model_1", output="A!", latency_ms=120.0, cost_usd=0.001),
        StepFinished(eid, step_id="model_2", output="B!", latency_ms=80.0),
        ExecutionFinished(eid, status="COMPLETED"),
    ):
        services.executions.record_event(event)
    page = ChatPage(page_context(alice, session=str(session.id)))
    [(_, replies)] = page.grouped_turns()
    assert [(r.model, r.content, r.execution_id) for r in replies] == [
        ("demo:a", "A!", execution.id),
        ("demo:b", "B!", execution.id),
    ]
    ChatPage(page_context(alice, session=str(session.id)))  # opening again adds nothing
    assert len(services.chat.get_session(alice, session.id).messages) == 3


def page_following_a_turn(services, alice, page_context, language="en"):
    """A chat page following a turn of two models ("demo:a", "demo:b"), just started."""
    session = services.chat.create_session(alice, {"models": ["demo:a", "demo:b"]})
    agent = ChatTurns(services, None).chat_agent(alice, session)
    execution = services.executions.create_execution(
        alice, agent.id, {"conversation_1": "x", "conversation_2": "x"}
    )
    services.chat.add_message(
        alice, session.id, {"role": "user", "content": "hi", "execution_id": execution.id}
    )
    eid = str(execution.id)
    services.executions.record_event(ExecutionStarted(eid, step_ids=("model_1", "model_2")))
    page = ChatPage(page_context(alice, language, session=str(session.id)))
    page._follow(execution.id, page.session)
    return page, execution.id


def test_live_tokens_stream_per_model_and_replies_are_stored(services, alice, page_context):
    page, execution_id = page_following_a_turn(services, alice, page_context)
    eid = str(execution_id)
    page.apply_event(StepToken(eid, step_id="model_2", model="demo:b", text="Hel"))
    page.apply_event(StepToken(eid, step_id="model_2", model="demo:b", text="lo"))
    assert page.stream_text(execution_id, "demo:b") == "Hello"
    finished = StepFinished(eid, step_id="model_2", output="Hello")
    services.executions.record_event(finished)
    page.apply_event(finished)
    [(_, replies)] = page.grouped_turns()
    assert [(r.model, r.content) for r in replies] == [("demo:b", "Hello")]


def test_save_as_agent_makes_a_compare_agent(services, alice, page_context):
    project = services.projects.create_project(alice, {"name": "Team"})
    session = services.chat.create_session(
        alice, {"title": "Poems", "models": ["demo:a", "demo:b"]}
    )
    services.chat.add_message(alice, session.id, {"role": "user", "content": "a haiku"})
    page = ChatPage(page_context(alice, session=str(session.id)))
    page.target_project = project.id
    agent = page.save_as_agent()
    assert agent.name == "From chat: Poems"
    assert agent.substeps[0]["models"] == ["demo:a", "demo:b"]
    assert agent.configuration["inputs"]["question"]["default"] == "a haiku"


def test_another_users_chat_is_not_found(services, alice, bob, page_context):
    session = services.chat.create_session(alice, {"models": ["demo:a"]})
    with pytest.raises(NotFound):
        ChatPage(page_context(bob, session=str(session.id)))


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_finished_answer_shows_its_latency_tokens_and_cost(
    services, alice, page_context, language
):
    page, execution_id = page_following_a_turn(services, alice, page_context, language)
    eid = str(execution_id)
    call = CallRecord(
        model="demo:a", role="answer", latency_ms=1234.0, input_tokens=1200, output_tokens=34,
        cost_usd=0.0031,
    )  # fmt: skip
    finished = StepFinished(
        eid, step_id="model_1", output="Hi there", calls=(call,), latency_ms=1234.0,
        input_tokens=1200, output_tokens=34, cost_usd=0.0031,
    )  # fmt: skip
    services.executions.record_event(finished)
    before = shown_text(page._conversation())
    figures = page.t("chat.figures", latency="1.23 s", tokens="1,234", cost="$0.0031")
    assert figures not in before and page.t("chat.answering") in before
    page.apply_event(finished)
    shown = shown_text(page._conversation())
    assert "Hi there" in shown
    assert figures in shown
    # the model still answering shows no figures yet
    assert shown.count(page.t("chat.answering")) == 1
    [(_, [reply])] = page.grouped_turns()
    assert (reply.latency_ms, reply.input_tokens, reply.output_tokens, reply.cost_usd) == (
        1234.0,
        1200,
        34,
        0.0031,
    )
