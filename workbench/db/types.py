"""Column types and the database clock shared by the models and the migrations.

`utc_now()` is the database's own clock: `statement_timestamp()` on PostgreSQL (the start of the
statement, not of the transaction, so rows written one after another in a transaction still
order, while one row's `created_at` and `updated_at` agree), millisecond UTC text on SQLite.
Migrations import it: changing what it renders needs a new revision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


class utc_now(FunctionElement[dt.datetime]):
    """The current UTC time, evaluated by the database."""

    type = DateTime(timezone=True)
    inherit_cache = True


@compiles(utc_now, "postgresql")
def _utc_now_postgresql(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "statement_timestamp()"


@compiles(utc_now, "sqlite")
def _utc_now_sqlite(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "strftime('%Y-%m-%d %H:%M:%f', 'now')"


@compiles(utc_now)
def _utc_now_default(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is expected")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# JSON text on every database. Not JSONB: it re-sorts object keys, and the order in which an
# author wrote an agent's inputs and steps is meaning the forms show back. Nothing queries
# inside these documents, so JSONB's indexing would buy nothing.
JSONDocument = JSON()
