"""Schema migrations: upgrade, downgrade, current revision, and the start-up schema check.

Alembic is configured in code (no alembic.ini), with the revisions packaged inside
`workbench/db/migrations`, so `workbench db upgrade` works from an installed package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from workbench.db.models import Base
from workbench.errors import SchemaMismatch

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(bind: str | Connection) -> Config:
    """An Alembic config for a URL or an open connection (which the caller commits)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if isinstance(bind, Connection):
        config.attributes["connection"] = bind
    else:
        config.attributes["url"] = bind
    return config


def upgrade(bind: str | Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(bind), revision)


def downgrade(bind: str | Connection, revision: str) -> None:
    command.downgrade(alembic_config(bind), revision)


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


def current_revision(bind: Engine | Connection) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    return MigrationContext.configure(bind).get_current_revision()


def check_schema(bind: Engine | Connection) -> None:
    """Refuse to run on a database whose schema is not this code's head revision.

    The server calls this at start-up, as JupyterHub does, so a forgotten migration is a clear
    message instead of errors on the first query.
    """
    current = current_revision(bind)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaMismatch(
            "the database has no workbench schema yet: run `workbench db upgrade` "
            "(it reads WORKBENCH_DATABASE_URL)"
        )
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}
    if current not in known:
        raise SchemaMismatch(
            f"the database is at revision {current}, which this version of the workbench does "
            f"not know (newest known: {head}); upgrade the workbench or point "
            "WORKBENCH_DATABASE_URL at the right database"
        )
    raise SchemaMismatch(
        f"the database is at revision {current} but this version needs {head}: "
        "run `workbench db upgrade`"
    )


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty: in sync)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)
