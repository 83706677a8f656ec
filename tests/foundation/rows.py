"""Reading what the database holds, for assertions about rows written (or not written)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from workbench.db import Database
from workbench.db.models import Base


def count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: compare two to prove nothing changed."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table)).all()
            tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return tables


def all_text(db: Database) -> str:
    """The text of every row of every table, as the database returns it."""
    parts = []
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(text(f"SELECT * FROM {table.name}")):
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)
