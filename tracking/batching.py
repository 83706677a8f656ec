"""Splitting a run's params, tags and metrics into `log_batch` requests MLflow accepts.

MLflow refuses a batch with more than 1,000 metrics, 100 params, 100 tags, 1,000 entities in all,
or a body over 1 MB (`mlflow.utils.validation`). A large execution is therefore written as several
batches, never refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from mlflow.entities import Metric, Param, RunTag
from mlflow.utils.validation import (
    MAX_BATCH_LOG_REQUEST_SIZE,
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_TAGS_PER_BATCH,
)

# Room for the JSON around the entities (run id, field names, quotes, escapes).
_SIZE_BUDGET = MAX_BATCH_LOG_REQUEST_SIZE * 3 // 4


@dataclass
class Batch:
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[RunTag] = field(default_factory=list)
    size: int = 0  # estimated request bytes

    def __len__(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)


def _size(key: str, value: str) -> int:
    # The length as MLflow's REST client sends it: `json.dumps` escapes every non-ASCII character
    # (6 bytes for "é" or "П", 12 for an emoji), which a multiple of the UTF-8 length undercounts.
    return len(json.dumps(key)) + len(json.dumps(value)) + 40


def chunk(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> Iterator[Batch]:
    """Yield batches that each fit MLflow's `log_batch` limits, in order: params, tags, metrics."""
    batch = Batch()
    entities: list[tuple[str, Metric | Param | RunTag, int]] = [
        *(("param", p, _size(p.key, p.value)) for p in params),
        *(("tag", t, _size(t.key, t.value)) for t in tags),
        *(("metric", m, _size(m.key, repr(m.value)) + 40) for m in metrics),
    ]
    for kind, entity, size in entities:
        full = (
            len(batch) >= MAX_ENTITIES_PER_BATCH
            or batch.size + size > _SIZE_BUDGET
            or (kind == "param" and len(batch.params) >= MAX_PARAMS_TAGS_PER_BATCH)
            or (kind == "tag" and len(batch.tags) >= MAX_PARAMS_TAGS_PER_BATCH)
            or (kind == "metric" and len(batch.metrics) >= MAX_METRICS_PER_BATCH)
        )
        if full and len(batch):
            yield batch
            batch = Batch()
        getattr(batch, f"{kind}s").append(entity)
        batch.size += size
    if len(batch):
        yield batch
