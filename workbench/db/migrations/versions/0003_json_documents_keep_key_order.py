"""Store JSON documents as `json`, not `jsonb`, on PostgreSQL, so object keys keep their order.

JSONB sorts keys, so an agent's inputs and a spec's fields came back in a different order than
their author wrote them (the run form and the editor showed them reordered). SQLite already
stores JSON as text; this revision changes nothing there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("audit_events", "details"),
    ("chat_sessions", "models"),
    ("task_agents", "configuration"),
    ("task_agents", "substeps"),
    ("executions", "inputs"),
    ("executions", "spec"),
    ("executions", "result"),
    ("execution_steps", "models"),
    ("execution_steps", "depends_on"),
    ("execution_steps", "output"),
    ("execution_steps", "details"),
)


def _retype(to: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in JSON_COLUMNS:
        # Rows written as jsonb already lost their key order; the text cast keeps what is left.
        op.execute(
            f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {to} USING "{column}"::text::{to}'
        )


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
