"""Users come from the hub's identity: created on first login, role kept in step with the hub."""

from __future__ import annotations

import pytest

from workbench.db import Database, models
from workbench.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from workbench.services import Actor, Role, Services

from .rows import count


def test_first_login_creates_the_user_and_audits_it(services: Services, admin: Actor) -> None:
    user = services.users.ensure_user("dora", admin=False, email="Dora@Example.org", ip="10.0.0.9")
    assert (user.name, user.role, user.email) == ("dora", Role.USER, "dora@example.org")
    assert user.last_login_at is not None
    (event,) = services.audit.list_events(admin, actor_id=user.id).items
    assert (event.action, event.resource_id, event.ip) == ("user.create", str(user.id), "10.0.0.9")


def test_next_login_returns_the_same_user_without_writing(services: Services, db: Database) -> None:
    first = services.users.ensure_user("dora", admin=False)
    events = count(db, models.AuditEvent)
    assert services.users.ensure_user("dora", admin=False) == first
    assert count(db, models.AuditEvent) == events


def test_role_follows_the_hubs_admin_flag(services: Services) -> None:
    services.users.ensure_user("dora", admin=False)
    assert services.users.ensure_user("dora", admin=True).role is Role.ADMIN
    assert services.users.ensure_user("dora", admin=False).role is Role.USER


def test_duplicate_email_is_refused_naming_email(
    services: Services, db: Database, alice: Actor
) -> None:
    users = count(db, models.User)
    with pytest.raises(Conflict) as caught:
        services.users.ensure_user("mallory", admin=False, email="ALICE@example.org")
    assert caught.value.field == "email"
    assert count(db, models.User) == users


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [("", None, "name"), ("x" * 10_000, None, "name"), ("dora", "not-an-email", "email")],
)
def test_bad_identity_names_the_field(
    services: Services, db: Database, name: str, email: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.users.ensure_user(name, admin=False, email=email)
    assert caught.value.field == field
    assert count(db, models.User) == 0


def test_users_update_their_own_email_only(
    services: Services, alice: Actor, bob: Actor, admin: Actor
) -> None:
    assert services.users.update_user(alice, alice.id, {"email": "a@x.org"}).email == "a@x.org"
    with pytest.raises(NotFound):
        services.users.update_user(bob, alice.id, {"email": "b@x.org"})
    with pytest.raises(PermissionDenied):
        services.users.update_user(admin, alice.id, {"email": "c@x.org"})
    with pytest.raises(InvalidInput):
        services.users.update_user(alice, alice.id, {"role": "ADMIN"})


def test_only_an_admin_lists_users(services: Services, alice: Actor, admin: Actor) -> None:
    assert {u.name for u in services.users.list_users(admin).items} == {"alice", "admin"}
    with pytest.raises(PermissionDenied):
        services.users.list_users(alice)
