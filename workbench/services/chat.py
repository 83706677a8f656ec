"""Chat rooms: a user's sessions with several models side by side, and their message history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents.modelref import ModelRef, ModelRefError
from workbench.db import models
from workbench.db.enums import ChatRole
from workbench.db.types import utc_now
from workbench.services.actor import Actor
from workbench.services.base import (
    ServiceBase,
    audit,
    check_access,
    not_found,
    paginate,
    require_user,
)
from workbench.services.entities import ChatMessage, ChatSession, Page, from_row
from workbench.services.executions import load_execution
from workbench.services.validation import DEFAULT_LIMIT, Input, Name, parse_id, validate

MODELS_MAX = 8
MESSAGE_MAX = 200_000

ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


def _check_models(models_: list[str]) -> list[str]:
    for index, model in enumerate(models_):
        try:
            ModelRef.parse(model)
        except ModelRefError as e:
            raise ValueError(f"item {index}: {e}") from None
    if len(set(models_)) != len(models_):
        raise ValueError("lists a model twice")
    return models_


class ChatSessionCreate(Input):
    title: Name = "New chat"
    models: Annotated[list[ModelName], Field(min_length=1, max_length=MODELS_MAX)]

    _models = field_validator("models")(_check_models)


class ChatSessionUpdate(Input):
    """Only the fields given change."""

    title: Name | None = None
    models: Annotated[list[ModelName], Field(min_length=1, max_length=MODELS_MAX)] | None = None

    @field_validator("title", "models", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value

    @field_validator("models")
    @classmethod
    def _models_shape(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_models(value)


class ChatMessageCreate(Input):
    role: ChatRole
    content: Annotated[str, StringConstraints(max_length=MESSAGE_MAX)] = ""
    model: ModelName | None = None  # which model answered (assistant messages)
    error: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    latency_ms: Annotated[float, Field(ge=0)] | None = None
    input_tokens: Annotated[int, Field(ge=0)] | None = None
    output_tokens: Annotated[int, Field(ge=0)] | None = None
    cost_usd: Annotated[float, Field(ge=0)] | None = None
    execution_id: uuid.UUID | None = None


def _load_session(
    session: Session, actor: Actor, session_id: uuid.UUID | str, *, write: bool
) -> models.ChatSession:
    session_id = parse_id(session_id, "chat session")
    chat = session.get(models.ChatSession, session_id)
    if chat is None:
        raise not_found("chat session", session_id)
    check_access(actor, chat.owner_id, resource="chat session", resource_id=session_id, write=write)
    return chat


def _session_entity(chat: models.ChatSession, *, with_messages: bool = False) -> ChatSession:
    messages = (
        tuple(from_row(ChatMessage, message) for message in chat.messages) if with_messages else ()
    )
    return from_row(ChatSession, chat, messages=messages)


class ChatService(ServiceBase):
    def create_session(
        self, actor: Actor, data: ChatSessionCreate | Mapping[str, Any]
    ) -> ChatSession:
        owner_id = require_user(actor)
        create = validate(ChatSessionCreate, data)
        with self._transaction() as session:
            chat = models.ChatSession(owner_id=owner_id, title=create.title, models=create.models)
            session.add(chat)
            session.flush()
            audit(session, actor, "chat.create", "chat_session", chat.id, models=create.models)
            return _session_entity(chat)

    def get_session(self, actor: Actor, session_id: uuid.UUID | str) -> ChatSession:
        """The session with its whole history, oldest message first."""
        with self._transaction() as session:
            chat = _load_session(session, actor, session_id, write=False)
            return _session_entity(chat, with_messages=True)

    def list_sessions(
        self, actor: Actor, *, offset: int = 0, limit: int = DEFAULT_LIMIT
    ) -> Page[ChatSession]:
        """The actor's sessions, most recently active first."""
        owner_id = require_user(actor)
        with self._transaction() as session:
            return paginate(
                session,
                select(models.ChatSession).where(models.ChatSession.owner_id == owner_id),
                order_by=(models.ChatSession.updated_at.desc(), models.ChatSession.id.desc()),
                offset=offset,
                limit=limit,
                convert=_session_entity,
            )

    def update_session(
        self,
        actor: Actor,
        session_id: uuid.UUID | str,
        data: ChatSessionUpdate | Mapping[str, Any],
    ) -> ChatSession:
        update = validate(ChatSessionUpdate, data)
        with self._transaction() as session:
            chat = _load_session(session, actor, session_id, write=True)
            changes = update.model_dump(exclude_unset=True)
            for field, value in changes.items():
                setattr(chat, field, value)
            session.flush()
            audit(session, actor, "chat.update", "chat_session", chat.id, fields=sorted(changes))
            return _session_entity(chat)

    def delete_session(self, actor: Actor, session_id: uuid.UUID | str) -> None:
        with self._transaction() as session:
            chat = _load_session(session, actor, session_id, write=True)
            audit(session, actor, "chat.delete", "chat_session", chat.id)
            session.delete(chat)

    def add_message(
        self,
        actor: Actor,
        session_id: uuid.UUID | str,
        data: ChatMessageCreate | Mapping[str, Any],
    ) -> ChatMessage:
        """Append a message (the user's prompt, or one model's reply) to the session."""
        create = validate(ChatMessageCreate, data)
        with self._transaction() as session:
            chat = _load_session(session, actor, session_id, write=True)
            if create.execution_id is not None:
                load_execution(session, actor, create.execution_id, write=False)
            # Locking the session row serialises numbering among concurrent replies.
            session.execute(
                select(models.ChatSession.id)
                .where(models.ChatSession.id == chat.id)
                .with_for_update()
            )
            last = session.scalar(
                select(func.max(models.ChatMessage.seq)).where(
                    models.ChatMessage.session_id == chat.id
                )
            )
            message = models.ChatMessage(
                session_id=chat.id, seq=(last or 0) + 1, **create.model_dump()
            )
            session.add(message)
            chat.updated_at = utc_now()
            session.flush()
            audit(
                session,
                actor,
                "chat.message",
                "chat_session",
                chat.id,
                message_id=str(message.id),
                role=message.role,
                model=message.model,
            )
            return from_row(ChatMessage, message)

    def list_messages(
        self,
        actor: Actor,
        session_id: uuid.UUID | str,
        *,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[ChatMessage]:
        """The session's messages, oldest first."""
        with self._transaction() as session:
            chat = _load_session(session, actor, session_id, write=False)
            return paginate(
                session,
                select(models.ChatMessage).where(models.ChatMessage.session_id == chat.id),
                order_by=(models.ChatMessage.seq,),
                offset=offset,
                limit=limit,
                convert=lambda row: from_row(ChatMessage, row),
            )
