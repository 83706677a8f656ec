"""The SQLAlchemy models: users, projects, task agents, executions and their steps, API keys,
chat sessions and messages, audit events.

UUID primary keys (the audit log counts up instead); `created_at` / `updated_at` come from
the database clock (`utc_now`).
Every foreign key is indexed, and so is every listing order the service layer uses. Deleting a
user or a project deletes what hangs off it (agents → executions → steps) in the database
itself (`ON DELETE CASCADE`), so nothing dangles even when rows are deleted outside the ORM.
Only the service layer touches these classes; it hands out frozen dataclasses instead.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from workbench.db.enums import ChatRole, ExecutionStatus, Role, StepStatus, TrackingStatus
from workbench.db.types import JSONDocument, UTCDateTime, utc_now

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME_LENGTH = 200


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the values."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared configuration attribute
        uuid.UUID: Uuid(),
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSONDocument,
        list[Any]: JSONDocument,
    }


class _Row:
    """UUID id, database-set timestamps, and server values fetched back after each write."""

    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - SQLAlchemy mapper configuration

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4, sort_order=-1)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=utc_now(), sort_order=1)
    updated_at: Mapped[dt.datetime] = mapped_column(
        server_default=utc_now(), onupdate=utc_now(), sort_order=1
    )


class User(_Row, Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.USER)
    # The hub owns passwords in the shipped setup; kept for deployments that do not.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    last_login_at: Mapped[dt.datetime | None]

    projects: Mapped[list[Project]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )
    api_keys: Mapped[list[APIKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    chat_sessions: Mapped[list[ChatSession]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )


class Project(_Row, Base):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("owner_id", "name"),  # also the index of a user's listing, by name
        Index("ix_projects_name", "name"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")

    owner: Mapped[User] = relationship(back_populates="projects")
    agents: Mapped[list[TaskAgent]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class TaskAgent(_Row, Base):
    __tablename__ = "task_agents"
    __table_args__ = (UniqueConstraint("project_id", "name"),)  # also the listing's index

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text, default="")
    # The agent spec, split as `agents.spec.AgentSpec.to_columns()` does.
    configuration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    substeps: Mapped[list[Any]] = mapped_column(default=list)

    project: Mapped[Project] = relationship(back_populates="agents")
    executions: Mapped[list[Execution]] = relationship(
        back_populates="task_agent", cascade="all, delete-orphan", passive_deletes=True
    )


class Execution(_Row, Base):
    __tablename__ = "executions"
    __table_args__ = (
        UniqueConstraint("task_agent_id", "number"),  # also the index of an agent's listing
        Index("ix_executions_user_id_created_at", "user_id", "created_at"),
        Index("ix_executions_created_at", "created_at"),  # an admin's listing of everyone's
        Index("ix_executions_status", "status"),
        Index("ix_executions_tracking_status", "tracking_status"),
    )

    task_agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("task_agents.id", ondelete="CASCADE")
    )
    # Who started it; the agent's project owner in practice, kept for per-user listings.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, 3, ... per agent: "run #12", and the listing order
    status: Mapped[ExecutionStatus] = mapped_column(
        _enum(ExecutionStatus, "execution_status"), default=ExecutionStatus.PENDING
    )
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The agent's whole spec (`AgentSpec.to_dict()`) when the execution was created: what ran.
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    latency_ms: Mapped[float | None]
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cost_usd: Mapped[float | None]  # None when some model has no known price
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    tracking_status: Mapped[TrackingStatus] = mapped_column(
        _enum(TrackingStatus, "tracking_status"), default=TrackingStatus.PENDING
    )

    task_agent: Mapped[TaskAgent] = relationship(back_populates="executions")
    steps: Mapped[list[ExecutionStep]] = relationship(
        back_populates="execution",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExecutionStep.position",
    )


class ExecutionStep(_Row, Base):
    __tablename__ = "execution_steps"
    __table_args__ = (UniqueConstraint("execution_id", "step_id"),)

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(NAME_LENGTH))  # the substep's id in the spec
    position: Mapped[int] = mapped_column(default=0)  # order in which the engine queued it
    kind: Mapped[str] = mapped_column(String(32), default="prompt")
    status: Mapped[StepStatus] = mapped_column(
        _enum(StepStatus, "step_status"), default=StepStatus.QUEUED
    )
    models: Mapped[list[Any]] = mapped_column(default=list)
    depends_on: Mapped[list[Any]] = mapped_column(default=list)
    queued_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    latency_ms: Mapped[float | None]
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cost_usd: Mapped[float | None]
    retries: Mapped[int] = mapped_column(default=0)
    output: Mapped[Any | None] = mapped_column(JSONDocument)
    error: Mapped[str | None] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(String(64))
    # {"calls": [CallRecord.to_dict(), ...], "reason": why it was skipped}
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    execution: Mapped[Execution] = relationship(back_populates="steps")


class APIKey(_Row, Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        Index("ix_api_keys_user_id_provider_created_at", "user_id", "provider", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    # A Fernet token whose payload also names the owner and provider (see workbench.keyvault).
    ciphertext: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(String(32))  # e.g. "sk-…abcd"
    base_url: Mapped[str | None] = mapped_column(String(2048))
    last_used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="api_keys")


class ChatSession(_Row, Base):
    __tablename__ = "chat_sessions"
    __table_args__ = (Index("ix_chat_sessions_owner_id_updated_at", "owner_id", "updated_at"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    models: Mapped[list[Any]] = mapped_column(default=list)  # "provider:model" strings

    owner: Mapped[User] = relationship(back_populates="chat_sessions")
    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ChatMessage.seq",
    )


class ChatMessage(_Row, Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),  # also the index of the history's order
        Index("ix_chat_messages_execution_id", "execution_id"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE")
    )
    seq: Mapped[int]  # 1, 2, 3, ... within the session: the order of the history
    role: Mapped[ChatRole] = mapped_column(_enum(ChatRole, "chat_role"))
    model: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # set on assistant replies
    content: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None]
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cost_usd: Mapped[float | None]
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )

    session: Mapped[ChatSession] = relationship(back_populates="messages")


class AuditEvent(Base):
    """Who did what to which resource, when and from where. Never holds a secret."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_actor_id_id", "actor_id", "id"),
        Index("ix_audit_events_resource", "resource_type", "resource_id", "id"),
    )
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - SQLAlchemy mapper configuration

    # A log, so an increasing number rather than a UUID: it orders events written within the
    # same clock tick (SQLite's clock counts milliseconds).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[dt.datetime] = mapped_column(server_default=utc_now())
    # Kept when the user is deleted: the trail outlives the account.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(64))  # "project.create", "key.reveal", ...
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
