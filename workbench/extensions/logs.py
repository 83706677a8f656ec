"""The service's logs: one JSON object per line when asked (`WORKBENCH_LOG_FORMAT=json`), and
the audit trail as log events.

- `RequestContext` carries the request id (the client's `X-Request-Id`, else a new one, echoed
  back in the response header) and the acting user's id through everything a request does, so
  each line logged while serving it names both.
- `JsonFormatter` writes `{"time", "level", "logger", "message", "request_id", "user_id", ...}`.
- `log_audit_events()` logs every audit event once its transaction has committed, as
  `{"event": "audit", "action", "actor", "actor_id", "resource_type", "resource_id", "ip"}` in
  JSON (a readable line otherwise). Audit details never hold secrets (the service layer's rule);
  only these fields are logged.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from workbench.db import models

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "workbench_request_id", default=None
)
USER_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "workbench_user_id", default=None
)
REQUEST_ID_HEADER = "X-Request-Id"
JSON = "json"

audit_log = logging.getLogger("workbench.audit")
_PENDING = "workbench_audit_pending"
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record; extra fields given with `extra=` are included."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
            "user_id": USER_ID.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def use_json_logs(loggers: list[logging.Logger]) -> None:
    """Format the root logger's and `loggers`' handlers as JSON (adding one where none is)."""
    formatter = JsonFormatter()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    for logger in [root, *loggers]:
        for handler in logger.handlers:
            handler.setFormatter(formatter)


def skip_filtered_records(loggers: list[logging.Logger]) -> None:
    """Raise each logger's level to the lowest of its handlers' levels.

    traitlets leaves an application's logger at DEBUG and filters in its handlers, so every
    debug call (jupyter-server logs each successful request at debug) built a record only for
    the handlers to drop it: a few per cent of the service's CPU under load. A handler that
    lets everything through keeps its logger at DEBUG.
    """
    for logger in loggers:
        if logger.handlers:
            logger.setLevel(max(logging.DEBUG, min(h.level for h in logger.handlers)))


def _collect(session: Session, _flush_context: Any, _instances: Any) -> None:
    found = [obj for obj in session.new if isinstance(obj, models.AuditEvent)]
    if found:
        session.info.setdefault(_PENDING, []).extend(found)


def _emit(session: Session) -> None:
    for item in session.info.pop(_PENDING, []):
        fields = {
            "event": "audit",
            "action": item.action,
            "actor": item.actor_name,
            "actor_id": None if item.actor_id is None else str(item.actor_id),
            "resource_type": item.resource_type,
            "resource_id": item.resource_id,
            "ip": item.ip,
        }
        audit_log.info(
            "audit %s by %s on %s %s",
            item.action,
            item.actor_name,
            item.resource_type,
            item.resource_id or "-",
            extra=fields,
        )


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def log_audit_events() -> None:
    """Log each audit event after its transaction commits (idempotent)."""
    if not event.contains(Session, "before_flush", _collect):
        event.listen(Session, "before_flush", _collect)
        event.listen(Session, "after_commit", _emit)
        event.listen(Session, "after_rollback", _forget)
