"""Engines and sessions: one `Database` per process, built from a URL.

SQLite gets what it needs to behave like a database the service layer can trust: foreign keys
enforced (the cascades depend on it), WAL so readers do not block the writer, a busy timeout,
and real transactions. Python's sqlite3 driver otherwise starts transactions lazily and ignores
SAVEPOINT; here every transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front
so a read-then-write service call cannot fail half way with "database is locked".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections kept open: the service's request threads, its recorder and dashboard threads all
# hold one at times; past SQLAlchemy's default of 5, every extra checkout opened a new connection.
POOL_SIZE = 16


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`, with SQLite configured as described in the module docstring."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", POOL_SIZE)
        return create_engine(parsed, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    _configure_sqlite(engine, file_backed=bool(parsed.database) and parsed.database != ":memory:")
    return engine


def _configure_sqlite(engine: Engine, *, file_backed: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (the driver would otherwise skip BEGIN).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if file_backed:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(bind: Engine | Connection, **kwargs: Any) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (services copy them out anyway)."""
    kwargs.setdefault("expire_on_commit", False)
    return sessionmaker(bind=bind, **kwargs)


class Database:
    """An engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, engine: Engine, session_factory: sessionmaker[Session] | None = None):
        self.engine = engine
        self.session_factory = session_factory or make_session_factory(engine)

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: Any) -> Database:
        return cls(make_engine(url, **engine_kwargs))

    @property
    def url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self.session_factory.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
