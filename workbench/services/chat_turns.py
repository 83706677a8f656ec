"""Chat turns: asking a session's models, recorded as executions so they are tracked and compared.

Each chat session has a *chat agent* in its owner's "Chat room" project: one prompt step per
model of the session (`model_1`, `model_2`, ...), each reading its own transcript input, so
every model sees the conversation it had. A turn is an execution of that agent through the
execution runner; the user's message and each model's reply are stored in the session with the
turn's execution id.

`ChatTurns(services, runner)` is what the REST API (`POST chat/sessions/{id}/turns`) and the
chat page both call; every method takes the acting user first and reads and writes only through
the service layer, so the same access rules apply (another user's session is `NotFound`).
Replies are stored as each model's step finishes (the turn subscribes to its execution), and
again — idempotently — whenever someone looks (`record_replies`, `reconcile`), so a turn that
finished while its subscriber was gone (a restart) still gets its answers, or the reason there
are none.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from pydantic import StringConstraints

from agents import events
from agents.spec import AgentSpec
from workbench.db.enums import ChatRole, StepStatus
from workbench.errors import (
    ConfigurationError,
    Conflict,
    NotFound,
    PermissionDenied,
    WorkbenchError,
)
from workbench.services.actor import Actor
from workbench.services.chat import MESSAGE_MAX
from workbench.services.entities import ChatMessage, ChatSession, Execution, TaskAgent
from workbench.services.facade import Services
from workbench.services.validation import MAX_LIMIT, Input, validate

log = logging.getLogger(__name__)

CHAT_PROJECT_NAME = "Chat room"
CHAT_PROJECT_DESCRIPTION = "Chat sessions: one agent per session, one execution per turn."
SYSTEM_PROMPT = (
    "You are a helpful assistant in a chat. The conversation so far follows; "
    "reply to the user's last message."
)

# Replies are stored by whoever sees a turn's step finish first (the turn's own subscriber, a
# page watching it, a reader reconciling): one at a time in this process, so never twice.
_RECORDING = threading.Lock()
# The events after which a reply may be stored.
_REPLY_EVENTS = (events.StepFinished, events.StepFailed, events.ExecutionFinished)


class TurnRunner(Protocol):
    """The execution runner, as turns use it (`workbench.runner.ExecutionRunner`)."""

    def start_execution(
        self, actor: Actor, agent_id: uuid.UUID, inputs: Mapping[str, Any]
    ) -> Execution: ...

    def subscribe(
        self, actor: Actor, execution_id: uuid.UUID, callback: Callable[[events.Event], None]
    ) -> Callable[[], None]: ...


class ChatTurnCreate(Input):
    """A turn: what the user says to every model of the session."""

    content: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX)
    ]


@dataclass(frozen=True)
class ChatTurn:
    """A turn just started: the user's message, and the execution that asks the models.

    The answers arrive as assistant messages of the session (with this `execution_id`) as each
    model finishes, and as the execution's events on its live channel, where `models` maps each
    step id to the model answering in it.
    """

    execution_id: uuid.UUID
    message: ChatMessage
    models: dict[str, str]  # step id -> model, e.g. {"model_1": "openai:gpt-4o-mini"}


def step_id_for(index: int) -> str:
    return f"model_{index + 1}"


def transcript(messages: Iterable[ChatMessage], model: str, prompt: str) -> str:
    """The conversation as `model` had it: every user message and its own replies."""
    lines = []
    for message in messages:
        if message.role is ChatRole.USER:
            lines.append(f"User: {message.content}")
        elif message.role is ChatRole.ASSISTANT and message.model == model and not message.error:
            lines.append(f"Assistant: {message.content}")
    lines += [f"User: {prompt}", "Assistant:"]
    return "\n\n".join(lines)


def chat_spec(session: ChatSession, name: str) -> AgentSpec:
    return AgentSpec.parse(
        {
            "name": name,
            "description": f"Chat session {session.id}",
            "inputs": {f"conversation_{i + 1}": "text" for i in range(len(session.models))},
            "substeps": [
                {
                    "id": step_id_for(i),
                    "model": model,
                    "system": SYSTEM_PROMPT,
                    "prompt": f"{{{{ conversation_{i + 1} }}}}",
                }
                for i, model in enumerate(session.models)
            ],
        }
    )


def turn_models(session: ChatSession) -> dict[str, str]:
    """Step id -> model of the session's chat agent."""
    return {step_id_for(i): model for i, model in enumerate(session.models)}


class ChatTurns:
    """Turns of chat sessions; see the module docstring. Cheap to make: it holds no state."""

    def __init__(self, services: Services, runner: TurnRunner | None) -> None:
        self._services = services
        self._runner = runner

    # -- turns ---------------------------------------------------------------------------------

    def start_turn(
        self, actor: Actor, session_id: uuid.UUID | str, data: ChatTurnCreate | Mapping[str, Any]
    ) -> ChatTurn:
        """Ask every model of the session; returns at once (the runner does the work).

        Raises `InvalidInput` naming `content`, `NotFound` for a session the actor may not
        read, `PermissionDenied` for one they may only read (an ADMIN's view of another's).
        """
        turn = validate(ChatTurnCreate, data)
        session = self._services.chat.get_session(actor, session_id)
        if not actor.owns(session.owner_id):  # an ADMIN reading someone else's session
            raise PermissionDenied(
                f"chat session {session.id} belongs to another user; administrators may read "
                "it but not change it"
            )
        if self._runner is None:
            raise ConfigurationError("the execution runner is not running in this process")
        self.reconcile(actor, session.id)  # earlier turns' answers first: they are the history
        session = self._services.chat.get_session(actor, session.id)
        agent = self.chat_agent(actor, session)
        inputs = {
            f"conversation_{i + 1}": transcript(session.messages, model, turn.content)
            for i, model in enumerate(session.models)
        }
        execution = self._runner.start_execution(actor, agent.id, inputs)
        message = self._services.chat.add_message(
            actor,
            session.id,
            {"role": "user", "content": turn.content, "execution_id": execution.id},
        )
        self._store_as_it_finishes(actor, session.id, execution.id)
        return ChatTurn(execution_id=execution.id, message=message, models=turn_models(session))

    def record_replies(
        self, actor: Actor, session_id: uuid.UUID | str, execution_id: uuid.UUID | str
    ) -> list[ChatMessage]:
        """Store each finished model's reply of a turn, once; returns the ones stored now.

        When the execution has finished, a model whose step never finished (the execution
        failed before it ran: no key, a restart) gets a reply carrying the execution's error.
        """
        with _RECORDING:
            session = self._services.chat.get_session(actor, session_id)
            execution = self._services.executions.get_execution(actor, execution_id)
            recorded = {
                m.model
                for m in session.messages
                if m.role is ChatRole.ASSISTANT and m.execution_id == execution.id
            }
            steps = {step.step_id: step for step in execution.steps}
            stored = []
            for step_id, model in _step_models(execution).items():
                if model in recorded:
                    continue
                step = steps.get(step_id)
                if step is not None and step.status.is_terminal:
                    reply = _reply_of_step(model, step)
                elif execution.is_finished:
                    reply = {
                        "model": model,
                        "error": execution.error or execution.status.value,
                    }
                else:
                    continue
                stored.append(
                    self._services.chat.add_message(
                        actor,
                        session.id,
                        {"role": "assistant", "execution_id": execution.id, **reply},
                    )
                )
            return stored

    def reconcile(self, actor: Actor, session_id: uuid.UUID | str) -> list[Execution]:
        """Store replies of the session's turns that finished unwatched; returns the turns still
        running (oldest first)."""
        session = self._services.chat.get_session(actor, session_id)
        answered: dict[uuid.UUID, set[str]] = {}
        for message in session.messages:
            if message.role is ChatRole.ASSISTANT and message.execution_id is not None:
                answered.setdefault(message.execution_id, set()).add(message.model or "")
        running = []
        for message in session.messages:
            if message.role is not ChatRole.USER or message.execution_id is None:
                continue
            if answered.get(message.execution_id, set()) >= set(session.models):
                continue  # every model has answered (the usual case): nothing to read
            try:
                execution = self._services.executions.get_execution(actor, message.execution_id)
            except NotFound:
                continue  # its agent or project was deleted
            if execution.is_finished:
                if actor.owns(session.owner_id):
                    self.record_replies(actor, session.id, execution.id)
            else:
                running.append(execution)
        return running

    # -- the chat agent ------------------------------------------------------------------------

    def chat_project_id(self, actor: Actor) -> uuid.UUID:
        projects = self._services.projects.list_projects(actor, limit=MAX_LIMIT).items
        found = next((p for p in projects if p.name == CHAT_PROJECT_NAME), None)
        if found is not None:
            return found.id
        try:
            created = self._services.projects.create_project(
                actor, {"name": CHAT_PROJECT_NAME, "description": CHAT_PROJECT_DESCRIPTION}
            )
        except Conflict:  # made by a concurrent first turn
            return self.chat_project_id(actor)
        return created.id

    def chat_agent(self, actor: Actor, session: ChatSession) -> TaskAgent:
        """The session's chat agent, made or brought in line with the session's models."""
        agent = self._existing_agent(actor, session)
        name = f"{session.title} ({str(session.id)[:8]})"
        configuration, substeps = chat_spec(session, name).to_columns()
        data = {"configuration": configuration, "substeps": substeps}
        if agent is None:
            return self._services.agents.create_agent(
                actor, self.chat_project_id(actor), {"name": name, **data}
            )
        if agent.substeps != substeps or agent.configuration.get("inputs") != configuration.get(
            "inputs"
        ):
            return self._services.agents.update_agent(actor, agent.id, data)
        return agent

    def _existing_agent(self, actor: Actor, session: ChatSession) -> TaskAgent | None:
        for message in reversed(session.messages):
            if message.execution_id is None:
                continue
            try:
                execution = self._services.executions.get_execution(actor, message.execution_id)
                return self._services.agents.get_agent(actor, execution.task_agent_id)
            except NotFound:
                continue  # the agent or its project was deleted: start a new one
        return None

    # -- internals -----------------------------------------------------------------------------

    def _store_as_it_finishes(
        self, actor: Actor, session_id: uuid.UUID, execution_id: uuid.UUID
    ) -> None:
        """Store each reply when its step finishes, whoever is watching (or nobody)."""
        assert self._runner is not None

        def on_event(event: events.Event) -> None:
            if isinstance(event, _REPLY_EVENTS):
                try:
                    self.record_replies(actor, session_id, execution_id)
                except WorkbenchError as e:  # e.g. the session was deleted meanwhile
                    log.info("chat turn %s: replies not stored: %s", execution_id, e.message)

        unsubscribe = self._runner.subscribe(actor, execution_id, on_event)
        # Whatever finished before the subscription (a fast model, a failed start) is stored
        # now; a finished execution sends nothing more, so its subscription is dropped.
        self.record_replies(actor, session_id, execution_id)
        if self._services.executions.get_execution(actor, execution_id).is_finished:
            unsubscribe()


def _step_models(execution: Execution) -> dict[str, str]:
    substeps: Sequence[dict[str, Any]] = execution.spec.get("substeps", [])
    return {s["id"]: s["model"] for s in substeps if "id" in s and "model" in s}


def _reply_of_step(model: str, step: Any) -> dict[str, Any]:
    latency_ms = step.latency_ms
    if latency_ms is None:
        calls = (step.details or {}).get("calls") or []
        latency_ms = calls[-1].get("latency_ms") if calls else None
    return {
        "model": model,
        "content": step.output if isinstance(step.output, str) else "",
        "error": step.error or (None if step.status is StepStatus.COMPLETED else step.status.value),
        "latency_ms": latency_ms,
        "input_tokens": step.input_tokens,
        "output_tokens": step.output_tokens,
        "cost_usd": step.cost_usd,
    }
