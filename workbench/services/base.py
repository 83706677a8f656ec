"""What every resource service shares: transactions, access checks, the audit trail, paging.

Access rule (DESIGN.md §3.3): the owner may read and change; an ADMIN may read anything but
change only their own; to anyone else the resource does not exist (`NotFound`, the same as a
missing one). Every change is recorded with `audit()` in the transaction that makes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from workbench.db import models
from workbench.db.enums import ExecutionStatus
from workbench.errors import Conflict, NotFound, PermissionDenied
from workbench.services.actor import Actor
from workbench.services.entities import Page
from workbench.services.validation import check_page

T = TypeVar("T")


class RaceLost(Conflict):
    """Two requests changed the same thing at once and the database kept the other one."""


class ServiceBase:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One unit of work. The services check uniqueness before writing, so a constraint
        violation here means a concurrent request won the race: a `Conflict`, not a crash."""
        try:
            with self._session_factory.begin() as session:
                yield session
        except IntegrityError as e:
            raise RaceLost(
                "the change clashes with another one made at the same moment; reload and retry"
            ) from e


def not_found(resource: str, resource_id: object) -> NotFound:
    return NotFound(f"{resource} {resource_id} not found")


def check_access(
    actor: Actor, owner_id: uuid.UUID, *, resource: str, resource_id: object, write: bool
) -> None:
    """Raise unless `actor` may read (or, with `write`, change) what `owner_id` owns."""
    if actor.owns(owner_id):
        return
    if actor.is_admin:
        if not write:
            return
        raise PermissionDenied(
            f"{resource} {resource_id} belongs to another user; administrators may read it "
            "but not change it"
        )
    raise not_found(resource, resource_id)


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"only an administrator may {what}")


def require_user(actor: Actor) -> uuid.UUID:
    """The acting user's id; the system actor owns nothing."""
    if actor.id is None:
        raise PermissionDenied("the system actor cannot own resources")
    return actor.id


def audit(
    session: Session,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None,
    **details: Any,
) -> None:
    """Record who did `action` to which resource, from where. `details` must hold no secret."""
    session.add(
        models.AuditEvent(
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            resource_type=resource_type,
            resource_id=None if resource_id is None else str(resource_id),
            ip=actor.ip,
            user_agent=actor.user_agent[:512] if actor.user_agent else None,
            details=details,
        )
    )


def refuse_if_running(session: Session, where: Any, what: str) -> None:
    """`Conflict` if an execution matching `where` is still PENDING or RUNNING: deleting it
    under the runner would leave engine work with nowhere to report."""
    live = session.scalar(
        select(func.count())
        .select_from(models.Execution)
        .join(models.TaskAgent, models.Execution.task_agent_id == models.TaskAgent.id)
        .where(
            where, models.Execution.status.in_([ExecutionStatus.PENDING, ExecutionStatus.RUNNING])
        )
    )
    if live:
        raise Conflict(f"{what} has {live} execution(s) still running: cancel them first")


def paginate(
    session: Session,
    query: Select[Any],
    *,
    order_by: tuple[Any, ...],
    offset: int,
    limit: int,
    convert: Callable[[Any], T],
) -> Page[T]:
    """One page of `query` (which selects a single entity) and the total it would return."""
    check_page(offset, limit)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.order_by(*order_by).offset(offset).limit(limit)).all()
    return Page(
        items=tuple(convert(row) for row in rows), total=total or 0, offset=offset, limit=limit
    )
