"""The service's logs: JSON lines naming the request and the user, and the audit trail."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.db import Database, models, upgrade
from workbench.extensions import logs
from workbench.keyvault import KeyVault, generate_master_key
from workbench.services import Services


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logs.JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def audit_lines() -> Iterator[list[str]]:
    handler = Captured()
    logs.audit_log.addHandler(handler)
    logs.audit_log.setLevel(logging.INFO)
    logs.log_audit_events()
    yield handler.lines
    logs.audit_log.removeHandler(handler)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'logs.sqlite'}"
    upgrade(url)
    database = Database.from_url(url)
    yield database
    database.dispose()


@pytest.fixture
def services(database: Database) -> Services:
    return Services(database.session_factory, KeyVault([generate_master_key()]))


def test_committed_audit_events_are_logged_as_json(
    services: Services, audit_lines: list[str]
) -> None:
    user = services.users.ensure_user("logger", admin=False)
    actor = services.users.actor_for(user, ip="10.0.0.7")
    logs.REQUEST_ID.set("req-0123456789")
    logs.USER_ID.set(str(user.id))
    project = services.projects.create_project(actor, {"name": "logged"})
    events = [json.loads(line) for line in audit_lines]
    created = next(e for e in events if e.get("action") == "project.create")
    assert created["event"] == "audit"
    assert created["resource_id"] == str(project.id)
    assert created["actor"] == "logger"
    assert created["ip"] == "10.0.0.7"
    assert created["request_id"] == "req-0123456789"
    assert created["user_id"] == str(user.id)


def test_a_rolled_back_audit_event_is_not_logged(
    database: Database, audit_lines: list[str]
) -> None:
    with database.session_factory() as session:
        session.add(
            models.AuditEvent(
                actor_name="nobody", action="project.create", resource_type="project", details={}
            )
        )
        session.flush()
        session.rollback()
    assert audit_lines == []


def test_api_keys_are_not_in_audit_lines(services: Services, audit_lines: list[str]) -> None:
    user = services.users.ensure_user("keyholder", admin=False)
    actor = services.users.actor_for(user)
    secret = "sk-audit-canary-" + "9" * 20
    services.keys.create_key(actor, {"provider": "openai", "api_key": secret})
    assert audit_lines
    assert all(secret not in line for line in audit_lines)


def test_a_logger_builds_no_record_its_handlers_would_drop() -> None:
    quiet, verbose = (
        logging.getLogger("workbench-test-quiet"),
        logging.getLogger("workbench-test-verbose"),
    )
    for logger, levels in ((quiet, (logging.INFO, logging.WARNING)), (verbose, (logging.INFO, 0))):
        logger.setLevel(logging.DEBUG)  # as traitlets leaves an application's logger
        logger.propagate = False
        for level in levels:
            handler = Captured()
            handler.setLevel(level)
            logger.addHandler(handler)
    logs.skip_filtered_records([quiet, verbose])
    assert not quiet.isEnabledFor(logging.DEBUG)
    quiet.info("still logged")
    assert [json.loads(line)["message"] for line in quiet.handlers[0].lines] == ["still logged"]
    # A handler that takes everything (level NOTSET) still gets the debug lines.
    verbose.debug("kept for the handler that wants it")
    assert len(verbose.handlers[1].lines) == 1
