"""`workbench db upgrade | downgrade | current | revision`: schema migrations from the shell.

They act on WORKBENCH_DATABASE_URL (default: the embedded SQLite file), or on `--database-url`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="migrate the database schema")
    db.add_argument(
        "--database-url",
        help="database to act on (default: WORKBENCH_DATABASE_URL, else the embedded SQLite file)",
    )
    commands = db.add_subparsers(title="db commands", metavar="<db command>", required=True)

    upgrade = commands.add_parser("upgrade", help="apply migrations (to the newest by default)")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    upgrade.set_defaults(handler=_upgrade)

    downgrade = commands.add_parser("downgrade", help="revert migrations")
    downgrade.add_argument("revision", help="target: a revision id, -1 for one step, or base")
    downgrade.set_defaults(handler=_downgrade)

    current = commands.add_parser(
        "current", help="show the database's revision; exit 1 unless it is the newest"
    )
    current.set_defaults(handler=_current)

    revision = commands.add_parser(
        "revision", help="(developers) generate a revision from the difference to the models"
    )
    revision.add_argument("-m", "--message", required=True, help="what the revision changes")
    revision.set_defaults(handler=_revision)


def _database_url(args: argparse.Namespace) -> str:
    from workbench.config import Settings

    return args.database_url or Settings.from_env().resolved_database_url


def _run(action: Any) -> int:
    from workbench.errors import WorkbenchError

    # Alembic announces each of its plugins at INFO; only the migrations themselves matter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        return int(action() or 0)
    except WorkbenchError as e:
        print(f"workbench db: {e.message}", file=sys.stderr)
        return 1


def _upgrade(args: argparse.Namespace) -> int:
    from workbench.db import migrate

    def action() -> None:
        migrate.upgrade(_database_url(args), args.revision)
        print(f"database is at revision {args.revision}")

    return _run(action)


def _downgrade(args: argparse.Namespace) -> int:
    from workbench.db import migrate

    def action() -> None:
        migrate.downgrade(_database_url(args), args.revision)
        print(f"downgraded to {args.revision}")

    return _run(action)


def _current(args: argparse.Namespace) -> int:
    from workbench.db import migrate
    from workbench.db.engine import make_engine

    def action() -> int:
        engine = make_engine(_database_url(args))
        try:
            current = migrate.current_revision(engine)
        finally:
            engine.dispose()
        head = migrate.head_revision()
        print(f"current: {current or 'none (not migrated)'}")
        print(f"head:    {head}")
        return 0 if current == head else 1

    return _run(action)


def _revision(args: argparse.Namespace) -> int:
    from alembic import command

    from workbench.db import migrate

    def action() -> None:
        command.revision(
            migrate.alembic_config(_database_url(args)), message=args.message, autogenerate=True
        )

    return _run(action)
