"""From hub identity to actor: the User row is read once, then requests know who is asking."""

from __future__ import annotations

import pytest

from workbench.extensions.actors import ActorDirectory
from workbench.extensions.identity import HubIdentity
from workbench.services import Role, Services


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def identity(name: str, *, admin: bool = False, groups: tuple[str, ...] = ()) -> HubIdentity:
    return HubIdentity("user", name, admin, groups, frozenset())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(services: Services, clock: Clock) -> ActorDirectory:
    return ActorDirectory(
        services.users, admin_groups=frozenset({"staff"}), ttl_s=60.0, clock=clock
    )


def test_first_sight_creates_the_user_then_the_actor_is_known(
    directory: ActorDirectory, services: Services
) -> None:
    dora = identity("dora")
    assert directory.cached(dora, ip="10.0.0.1", user_agent="ua") is None
    actor = directory.actor_for(dora, ip="10.0.0.1", user_agent="ua")
    assert services.users.get_user(actor, actor.id).name == "dora"
    known = directory.cached(dora, ip="10.0.0.2", user_agent="other")
    assert known is not None and known.id == actor.id
    assert (known.ip, known.user_agent) == ("10.0.0.2", "other")  # this request's, not the first


def test_a_change_of_role_at_the_hub_is_not_served_from_memory(
    directory: ActorDirectory,
) -> None:
    directory.actor_for(identity("dora"), ip=None, user_agent=None)
    promoted = identity("dora", groups=("staff",))
    assert directory.cached(promoted, ip=None, user_agent=None) is None
    assert directory.actor_for(promoted, ip=None, user_agent=None).role is Role.ADMIN


def test_the_row_is_read_again_after_the_ttl(directory: ActorDirectory, clock: Clock) -> None:
    directory.actor_for(identity("dora"), ip=None, user_agent=None)
    clock.now += 61
    assert directory.cached(identity("dora"), ip=None, user_agent=None) is None
