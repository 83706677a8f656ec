"""Usage: model calls, tokens and spend per day, user and provider, from the call records.

Every model call an execution made is recorded in its step's `details["calls"]` (the engine's
`CallRecord`s). `daily_usage` adds them up in the database, one row per (UTC day of the
execution's creation, user, provider), scoped like every other read: a USER gets their own, an
ADMIN everyone's (`all_users`) or one user's (`user_id`).

Money follows the engine's rules (`agents.results.call_totals`): a failed call is not billed, so
its tokens and cost are left out (it is still counted in `calls` and `failed_calls`); an
answered call whose price is unknown is counted in `unpriced_calls` and never as $0 in
`cost_usd`, which is the sum of the known costs only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Integer, case, column, func, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date

from workbench.db import models
from workbench.errors import InvalidInput
from workbench.services.actor import Actor
from workbench.services.base import ServiceBase, require_admin, require_user
from workbench.services.validation import parse_id


@dataclass(frozen=True)
class UsageRow:
    """One user's model calls to one provider on one UTC day."""

    day: dt.date  # the UTC day the execution was created
    user_id: uuid.UUID
    provider: str  # "openai", "anthropic", "google", "openai-compatible", "demo", ...
    calls: int  # every call, answered or failed
    failed_calls: int  # calls that ended in an error: not billed
    input_tokens: int  # of the answered calls that reported them
    output_tokens: int
    cost_usd: float  # the known costs of answered calls only
    unpriced_calls: int  # answered calls whose cost is unknown: not in `cost_usd`

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class utc_day(FunctionElement[dt.date]):
    """The UTC calendar day of a timestamp column (SQLite keeps them naive, in UTC)."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(utc_day)
def _utc_day_default(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


def _call_records(dialect: str) -> Any:
    """A table-valued expression: one row (`value`, a JSON object) per recorded call of a step."""
    details = models.ExecutionStep.details
    if dialect == "postgresql":
        # `details` is `json` (not jsonb) there, so the json_* functions apply.
        calls = func.json_array_elements(details.op("->")("calls"))
    else:
        calls = func.json_each(details, "$.calls")
    return calls.table_valued(column("value", JSON)).alias("call_record")


def provider_of(model: str) -> str:
    """`openai:gpt-4o-mini` -> `openai` (a name without a provider is its own provider)."""
    return model.split(":", 1)[0] if ":" in model else model


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(
            f"invalid input: {field}: must be a timezone-aware date and time", field=field
        )
    return value.astimezone(dt.UTC)


class UsageService(ServiceBase):
    def daily_usage(
        self,
        actor: Actor,
        *,
        since: dt.datetime,
        until: dt.datetime | None = None,
        user_id: uuid.UUID | str | None = None,
        all_users: bool = False,
    ) -> tuple[UsageRow, ...]:
        """Calls, tokens and spend of executions created in [`since`, `until`), per UTC day,
        user and provider; ordered by day, then user, then provider. Days without calls have no
        row.

        A USER gets their own usage. An ADMIN gets their own, everyone's with `all_users`, or
        one user's with `user_id`; anyone else asking for `user_id` or `all_users` gets
        `PermissionDenied`.
        """
        since = _aware(since, "since")
        until = None if until is None else _aware(until, "until")
        if until is not None and until <= since:
            raise InvalidInput("invalid input: until: must be later than since", field="until")
        execution = models.Execution
        scope: Any
        if user_id is not None:
            wanted = parse_id(user_id, "user")
            if not actor.owns(wanted):
                require_admin(actor, "read another user's usage")
            scope = execution.user_id == wanted
        elif all_users:
            require_admin(actor, "read every user's usage")
            scope = None
        else:
            scope = execution.user_id == require_user(actor)

        with self._transaction() as session:
            call = _call_records(session.get_bind().dialect.name)
            record = call.c.value
            failed = record["error"].as_string().is_not(None)
            answered = record["error"].as_string().is_(None)
            cost = record["cost_usd"].as_float()
            day = utc_day(execution.created_at).label("day")
            model = record["model"].as_string().label("model")
            query = (
                select(
                    day,
                    execution.user_id,
                    model,
                    func.count().label("calls"),
                    func.sum(case((failed, 1), else_=0)).label("failed_calls"),
                    func.sum(case((answered, record["input_tokens"].as_integer()))).label(
                        "input_tokens"
                    ),
                    func.sum(case((answered, record["output_tokens"].as_integer()))).label(
                        "output_tokens"
                    ),
                    func.sum(case((answered, cost))).label("cost_usd"),
                    func.sum(case((answered & cost.is_(None), 1), else_=0), type_=Integer).label(
                        "unpriced_calls"
                    ),
                )
                .select_from(execution)
                .join(models.ExecutionStep, models.ExecutionStep.execution_id == execution.id)
                .join(call, true())
                .where(execution.created_at >= since)
                .group_by(day, execution.user_id, model)
            )
            if until is not None:
                query = query.where(execution.created_at < until)
            if scope is not None:
                query = query.where(scope)
            rows = session.execute(query).all()

        totals: dict[tuple[dt.date, uuid.UUID, str], list[Any]] = {}
        for row in rows:
            day_value = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(row.day)
            key = (day_value, row.user_id, provider_of(row.model or ""))
            sums = totals.setdefault(key, [0, 0, 0, 0, 0.0, 0])
            sums[0] += row.calls
            sums[1] += row.failed_calls or 0
            sums[2] += row.input_tokens or 0
            sums[3] += row.output_tokens or 0
            sums[4] += row.cost_usd or 0.0
            sums[5] += row.unpriced_calls or 0
        return tuple(
            UsageRow(
                day=day_value,
                user_id=user,
                provider=provider,
                calls=int(calls),
                failed_calls=int(failed_calls),
                input_tokens=int(input_tokens),
                output_tokens=int(output_tokens),
                cost_usd=round(float(cost_usd), 10),
                unpriced_calls=int(unpriced_calls),
            )
            for (day_value, user, provider), (
                calls,
                failed_calls,
                input_tokens,
                output_tokens,
                cost_usd,
                unpriced_calls,
            ) in sorted(totals.items(), key=lambda item: (item[0][0], str(item[0][1]), item[0][2]))
        )
