"""Spend and tokens by day and provider, as the service layer adds them up (`services.usage`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from workbench.services import UsageRow

MEASURES = ["calls", "failed_calls", "tokens", "cost_usd", "unpriced_calls"]
USAGE_COLUMNS = ["day", "provider", *MEASURES]


def usage_frame(rows: Iterable[UsageRow], *, by: tuple[str, ...] = ("day", "provider")):
    """The rows summed by `by` (columns of `UsageRow`): calls, tokens, known cost in USD, and
    how many answered calls had no known price (left out of the cost, never counted as 0)."""
    records = [
        {
            "day": row.day,
            "user_id": row.user_id,
            "provider": row.provider,
            "calls": row.calls,
            "failed_calls": row.failed_calls,
            "tokens": row.tokens,
            "cost_usd": row.cost_usd,
            "unpriced_calls": row.unpriced_calls,
        }
        for row in rows
    ]
    if not records:
        return pd.DataFrame(columns=[*by, *MEASURES])
    frame = pd.DataFrame(records)
    return frame.groupby(list(by), as_index=False)[MEASURES].sum()


def window_start(days: int, *, now: dt.datetime | None = None) -> dt.datetime:
    """Midnight UTC starting the last `days` days, today included."""
    now = now or dt.datetime.now(dt.UTC)
    return (now - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
