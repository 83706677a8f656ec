"""The database layer: models, engine and sessions, migrations.

Names are imported on first use, so `workbench.db.commands` (and `workbench --help`) stay light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.db.engine import Database, make_engine, make_session_factory
    from workbench.db.enums import ChatRole, ExecutionStatus, Role, StepStatus, TrackingStatus
    from workbench.db.migrate import (
        check_schema,
        current_revision,
        downgrade,
        head_revision,
        upgrade,
    )

_EXPORTS = {
    "Database": "workbench.db.engine",
    "make_engine": "workbench.db.engine",
    "make_session_factory": "workbench.db.engine",
    "ChatRole": "workbench.db.enums",
    "ExecutionStatus": "workbench.db.enums",
    "Role": "workbench.db.enums",
    "StepStatus": "workbench.db.enums",
    "TrackingStatus": "workbench.db.enums",
    "check_schema": "workbench.db.migrate",
    "current_revision": "workbench.db.migrate",
    "downgrade": "workbench.db.migrate",
    "head_revision": "workbench.db.migrate",
    "upgrade": "workbench.db.migrate",
}

__all__ = [
    "ChatRole",
    "Database",
    "ExecutionStatus",
    "Role",
    "StepStatus",
    "TrackingStatus",
    "check_schema",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "upgrade",
]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'workbench.db' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)
