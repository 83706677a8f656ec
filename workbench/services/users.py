"""Users: created and kept in step with the hub's identity (the hub owns passwords)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db import models
from workbench.db.enums import Role
from workbench.db.types import utc_now
from workbench.errors import Conflict
from workbench.services.actor import Actor
from workbench.services.base import (
    RaceLost,
    ServiceBase,
    audit,
    check_access,
    not_found,
    paginate,
    require_admin,
)
from workbench.services.entities import Page, User, from_row
from workbench.services.validation import DEFAULT_LIMIT, Input, Name, parse_id, validate

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGIN_REFRESH = dt.timedelta(minutes=15)


def _check_email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if not value:
        return None
    if len(value) > 320 or not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


class UserIdentity(Input):
    """What the hub tells us about a user at login."""

    name: Name
    admin: bool = False
    email: str | None = None

    _email = field_validator("email")(_check_email)


class UserUpdate(Input):
    email: str | None = None

    _email = field_validator("email")(_check_email)


def _check_email_free(session: Session, email: str | None, user_id: uuid.UUID | None) -> None:
    if email is None:
        return
    holder = session.scalar(select(models.User.id).where(models.User.email == email))
    if holder is not None and holder != user_id:
        raise Conflict("email is already used by another account", field="email")


class UserService(ServiceBase):
    def ensure_user(
        self,
        name: str,
        *,
        admin: bool,
        email: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> User:
        """The user the hub calls `name`, created on first login; role follows the hub's flag.

        Safe to call on every request: it writes only on a first login, a change of role or
        email, and (at most every LOGIN_REFRESH) the time the user was last seen.
        """
        identity = validate(UserIdentity, {"name": name, "admin": admin, "email": email})
        try:
            return self._ensure_user(identity, ip=ip, user_agent=user_agent)
        except RaceLost:
            # Another request created the same user a moment ago; it is there now.
            return self._ensure_user(identity, ip=ip, user_agent=user_agent)

    def _ensure_user(
        self, identity: UserIdentity, *, ip: str | None, user_agent: str | None
    ) -> User:
        role = Role.ADMIN if identity.admin else Role.USER
        with self._transaction() as session:
            user = session.scalar(select(models.User).where(models.User.name == identity.name))
            if user is None:
                _check_email_free(session, identity.email, None)
                user = models.User(
                    name=identity.name, email=identity.email, role=role, last_login_at=utc_now()
                )
                session.add(user)
                session.flush()
                actor = Actor(user.id, user.name, role, ip=ip, user_agent=user_agent)
                audit(session, actor, "user.create", "user", user.id, role=role, source="hub")
                return from_row(User, user)
            changes: dict[str, str | None] = {}
            if user.role != role:
                changes["role"] = role
                user.role = role
            if identity.email is not None and identity.email != user.email:
                _check_email_free(session, identity.email, user.id)
                changes["email"] = identity.email
                user.email = identity.email
            if changes:
                actor = Actor(user.id, user.name, user.role, ip=ip, user_agent=user_agent)
                audit(session, actor, "user.update", "user", user.id, source="hub", **changes)
            seen = user.last_login_at
            if seen is None or dt.datetime.now(dt.UTC) - seen > LOGIN_REFRESH:
                user.last_login_at = utc_now()
            session.flush()
            return from_row(User, user)

    def actor_for(
        self, user: User, *, ip: str | None = None, user_agent: str | None = None
    ) -> Actor:
        return Actor(user.id, user.name, user.role, ip=ip, user_agent=user_agent)

    def get_user(self, actor: Actor, user_id: uuid.UUID | str) -> User:
        user_id = parse_id(user_id, "user")
        with self._transaction() as session:
            user = session.get(models.User, user_id)
            if user is None:
                raise not_found("user", user_id)
            check_access(actor, user.id, resource="user", resource_id=user_id, write=False)
            return from_row(User, user)

    def list_users(
        self, actor: Actor, *, offset: int = 0, limit: int = DEFAULT_LIMIT
    ) -> Page[User]:
        require_admin(actor, "list users")
        with self._transaction() as session:
            return paginate(
                session,
                select(models.User),
                order_by=(models.User.name,),
                offset=offset,
                limit=limit,
                convert=lambda row: from_row(User, row),
            )

    def update_user(self, actor: Actor, user_id: uuid.UUID | str, data: UserUpdate | dict) -> User:
        user_id = parse_id(user_id, "user")
        update = validate(UserUpdate, data)
        with self._transaction() as session:
            user = session.get(models.User, user_id)
            if user is None:
                raise not_found("user", user_id)
            check_access(actor, user.id, resource="user", resource_id=user_id, write=True)
            if "email" in update.model_fields_set and update.email != user.email:
                _check_email_free(session, update.email, user.id)
                user.email = update.email
                session.flush()
                audit(session, actor, "user.update", "user", user.id, email=update.email)
            return from_row(User, user)
