"""Who is acting, and from where: the first argument of every service call.

The web layers build one `Actor` per request from the hub identity (after `ensure_user`),
with the client's address and user agent, which go into the audit trail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from workbench.db.enums import Role


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID | None  # None only for the system actor
    name: str
    role: Role
    ip: str | None = None
    user_agent: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_system(self) -> bool:
        return self.id is None

    def owns(self, owner_id: uuid.UUID) -> bool:
        return self.id is not None and self.id == owner_id

    def with_client(self, *, ip: str | None, user_agent: str | None) -> Actor:
        return replace(self, ip=ip, user_agent=user_agent)


# The workbench itself: start-up recovery, key rotation from the command line.
SYSTEM = Actor(id=None, name="system", role=Role.ADMIN)
