"""Alembic environment for the workbench schema; driven by `workbench.db.migrate`, not alembic.ini.

The caller passes either an open connection (`config.attributes["connection"]`) or a URL
(`config.attributes["url"]`). SQLite gets batch mode, since it cannot ALTER most things in place.
Autogenerate renders our column types as plain SQLAlchemy types and the database clock as
`utc_now()`, so revisions depend on nothing else of the application.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, pool
from sqlalchemy.schema import DefaultClause

from workbench.db.engine import make_engine
from workbench.db.models import Base
from workbench.db.types import UTCDateTime, utc_now

config = context.config
target_metadata = Base.metadata


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "server_default":
        arg = obj.arg if isinstance(obj, DefaultClause) else obj
        if isinstance(arg, utc_now):
            autogen_context.imports.add("from workbench.db.types import utc_now")
            return "utc_now()"
    return False


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.attributes["url"],
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=config.attributes["url"].startswith("sqlite"),
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(config.attributes["url"], poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure_and_run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
