"""The audit trail: every change recorded with who, what, where from; filtered listings."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.errors import InvalidInput, PermissionDenied
from workbench.services import Actor, Services


def test_each_change_is_recorded_with_its_actor_and_origin(
    services: Services, alice: Actor
) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    services.projects.update_project(alice, project.id, {"description": "d"})
    services.projects.delete_project(alice, project.id)
    events = services.audit.list_events(alice, resource_type="project").items
    assert [e.action for e in events] == ["project.delete", "project.update", "project.create"]
    assert {(e.actor_name, e.resource_id, e.ip, e.user_agent) for e in events} == {
        ("alice", str(project.id), "127.0.0.1", "pytest")
    }


def test_admin_filters_by_user_resource_and_time(
    services: Services, alice: Actor, bob: Actor, admin: Actor
) -> None:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    alices = services.projects.create_project(alice, {"name": "a"})
    services.projects.create_project(bob, {"name": "b"})
    by_alice = services.audit.list_events(admin, actor_id=alice.id, resource_type="project")
    assert [e.resource_id for e in by_alice.items] == [str(alices.id)]
    on_it = services.audit.list_events(admin, resource_id=alices.id)
    assert [e.action for e in on_it.items] == ["project.create"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    assert services.audit.list_events(admin, since=later).total == 0
    assert services.audit.list_events(admin, since=start, resource_type="project").total == 2
    assert services.audit.list_events(admin, until=start).total == 0


def test_a_user_reads_only_their_own_events(services: Services, alice: Actor, bob: Actor) -> None:
    services.projects.create_project(bob, {"name": "b"})
    assert {e.actor_name for e in services.audit.list_events(alice).items} == {"alice"}
    with pytest.raises(PermissionDenied):
        services.audit.list_events(alice, actor_id=bob.id)


def test_time_filters_need_a_timezone(services: Services, admin: Actor) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.audit.list_events(admin, since=dt.datetime(2025, 1, 1))
    assert caught.value.field == "since"


@pytest.mark.parametrize(
    ("offset", "limit", "field"), [(-1, 10, "offset"), (0, 0, "limit"), (0, 201, "limit")]
)
def test_page_bounds_name_the_field(
    services: Services, admin: Actor, offset: int, limit: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.audit.list_events(admin, offset=offset, limit=limit)
    assert caught.value.field == field
