"""From a hub identity to the workbench `Actor`: the User row is created or updated on first sight.

A hub admin, or a member of the configured admin group, is an ADMIN in the workbench; everyone
else a USER. The hub is asked who a token belongs to at most every few minutes (HubOAuth caches
it), and the User row is written only when something changed: a request does not pay for a
database write just to say who it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from workbench.extensions.identity import HubIdentity
from workbench.services import Actor
from workbench.services.users import UserService

DEFAULT_TTL_S = 60.0


class ActorDirectory:
    """Maps hub identities to actors, keeping each user's row in step with the hub."""

    def __init__(
        self,
        users: UserService,
        *,
        admin_groups: frozenset[str] = frozenset(),
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users = users
        self._admin_groups = admin_groups
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, bool], tuple[Actor, float]] = {}

    def is_admin(self, identity: HubIdentity) -> bool:
        return identity.admin or bool(self._admin_groups.intersection(identity.groups))

    def cached(
        self, identity: HubIdentity, *, ip: str | None, user_agent: str | None
    ) -> Actor | None:
        """The actor for a hub user seen recently, unchanged; None if the row must be read."""
        with self._lock:
            cached = self._cache.get((identity.name, self.is_admin(identity)))
        if cached is None or cached[1] <= self._clock():
            return None
        return cached[0].with_client(ip=ip, user_agent=user_agent)

    def actor_for(self, identity: HubIdentity, *, ip: str | None, user_agent: str | None) -> Actor:
        """The actor for a hub user (blocking: may write the User row)."""
        found = self.cached(identity, ip=ip, user_agent=user_agent)
        if found is not None:
            return found
        admin = self.is_admin(identity)
        key = (identity.name, admin)
        now = self._clock()
        user = self._users.ensure_user(identity.name, admin=admin, ip=ip, user_agent=user_agent)
        actor = self._users.actor_for(user)
        with self._lock:
            self._cache.pop((identity.name, not admin), None)
            self._cache[key] = (actor, now + self._ttl_s)
        return actor.with_client(ip=ip, user_agent=user_agent)
