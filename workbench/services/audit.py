"""The audit trail: who did what to which resource, when and from where.

Every other service writes to it (`workbench.services.base.audit`) in the transaction of the
change itself. Reading it: an ADMIN sees everything; a USER sees their own actions only.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from workbench.db import models
from workbench.errors import InvalidInput, PermissionDenied
from workbench.services.actor import Actor
from workbench.services.base import ServiceBase, paginate
from workbench.services.entities import AuditEvent, Page, from_row
from workbench.services.validation import DEFAULT_LIMIT, parse_id


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(
            f"invalid input: {field}: needs a timezone (e.g. 2025-01-31T12:00:00Z)", field=field
        )
    return value


class AuditService(ServiceBase):
    def list_events(
        self,
        actor: Actor,
        *,
        actor_id: uuid.UUID | str | None = None,
        resource_type: str | None = None,
        resource_id: uuid.UUID | str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[AuditEvent]:
        """Events newest first, filtered by actor, resource and time (`since` ≤ at < `until`)."""
        query = select(models.AuditEvent)
        if actor_id is not None:
            actor_id = parse_id(actor_id, "user")
        if not actor.is_admin:
            if actor_id is not None and not actor.owns(actor_id):
                raise PermissionDenied("only an administrator may read other users' audit events")
            actor_id = actor.id
        if actor_id is not None:
            query = query.where(models.AuditEvent.actor_id == actor_id)
        if resource_type is not None:
            query = query.where(models.AuditEvent.resource_type == resource_type)
        if resource_id is not None:
            query = query.where(models.AuditEvent.resource_id == str(resource_id))
        if _aware(since, "since") is not None:
            query = query.where(models.AuditEvent.at >= since)
        if _aware(until, "until") is not None:
            query = query.where(models.AuditEvent.at < until)
        with self._transaction() as session:
            return paginate(
                session,
                query,
                order_by=(models.AuditEvent.id.desc(),),
                offset=offset,
                limit=limit,
                convert=lambda row: from_row(AuditEvent, row),
            )
