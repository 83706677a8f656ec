"""Migrations: up, down and up again on both databases; models and schema agree; start-up check."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, delete, inspect, select, text

from workbench.db import (
    Database,
    check_schema,
    current_revision,
    downgrade,
    head_revision,
    models,
    upgrade,
)
from workbench.db.engine import make_engine
from workbench.db.migrate import schema_differences
from workbench.errors import SchemaMismatch
from workbench.services import Actor, Services

from .bodies import agent_body

APP_TABLES = {table.name for table in models.Base.metadata.sorted_tables}


def tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(empty_database_url)
        assert tables(engine) >= APP_TABLES
        assert current_revision(engine) == head_revision()
        downgrade(empty_database_url, "base")
        assert not APP_TABLES & tables(engine)
        assert current_revision(engine) is None
        upgrade(empty_database_url)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            assert schema_differences(connection) == []
    finally:
        engine.dispose()


def test_models_and_migrated_schema_agree(database_engine: Engine) -> None:
    with database_engine.connect() as connection:
        assert schema_differences(connection) == []


def test_schema_check_passes_at_head(database_engine: Engine) -> None:
    check_schema(database_engine)


def test_schema_check_refuses_an_unmigrated_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        with pytest.raises(SchemaMismatch, match="workbench db upgrade"):
            check_schema(engine)
    finally:
        engine.dispose()


def test_schema_check_refuses_a_revision_it_does_not_know(db: Database) -> None:
    with db.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
        connection = session.connection()
        with pytest.raises(SchemaMismatch, match="does not know"):
            check_schema(connection)


def test_every_foreign_key_is_indexed(database_engine: Engine) -> None:
    with database_engine.connect() as connection:
        inspector = inspect(connection)
        for table in APP_TABLES:
            leading = [index["column_names"] for index in inspector.get_indexes(table)]
            leading += [c["column_names"] for c in inspector.get_unique_constraints(table)]
            leading.append(inspector.get_pk_constraint(table)["constrained_columns"])
            for foreign_key in inspector.get_foreign_keys(table):
                columns = foreign_key["constrained_columns"]
                assert any(cols[: len(columns)] == columns for cols in leading), (table, columns)


def test_deleting_a_user_in_sql_cascades_and_keeps_the_audit_trail(
    services: Services, db: Database, alice: Actor
) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    agent = services.agents.create_agent(alice, project.id, agent_body())
    services.executions.create_execution(alice, agent.id, {})
    services.keys.create_key(alice, {"provider": "openai", "api_key": "sk-1234567890abcdef"})
    services.chat.create_session(alice, {"models": ["openai:gpt-4o"]})
    with db.transaction() as session:
        session.execute(delete(models.User).where(models.User.id == alice.id))  # no ORM cascade
    with db.transaction() as session:
        for model in (models.Project, models.TaskAgent, models.Execution, models.APIKey):
            assert session.scalars(select(model)).all() == []
        trail = session.scalars(select(models.AuditEvent)).all()
        assert trail and {event.actor_id for event in trail} == {None}
        assert {event.actor_name for event in trail} == {"alice"}


def test_timestamps_are_set_by_the_database(services: Services, alice: Actor) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    assert project.created_at == project.updated_at
    time.sleep(0.002)  # SQLite's clock counts milliseconds
    renamed = services.projects.update_project(alice, project.id, {"name": "q"})
    assert renamed.created_at == project.created_at
    assert renamed.updated_at > project.updated_at
