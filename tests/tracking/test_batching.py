"""`tracking.batching.chunk`: a run's writes as `log_batch` requests within MLflow's limits.

The byte limit is checked on the body MLflow's REST client really sends (`message_to_json` of a
`LogBatch`), not on the module's own estimate.
"""

from __future__ import annotations

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.protos.service_pb2 import LogBatch
from mlflow.utils.proto_json_utils import message_to_json
from mlflow.utils.validation import (
    MAX_BATCH_LOG_REQUEST_SIZE,
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_TAGS_PER_BATCH,
)

from tracking.batching import Batch, chunk

RUN_ID = "0123456789abcdef0123456789abcdef"


def params(n: int, value: str = "v") -> list[Param]:
    return [Param(f"param_{i:04d}", value) for i in range(n)]


def tags(n: int, value: str = "v") -> list[RunTag]:
    return [RunTag(f"tag_{i:04d}", value) for i in range(n)]


def metrics(n: int) -> list[Metric]:
    return [Metric(f"metric_{i:04d}", i * 0.5, 1_700_000_000_000 + i, i) for i in range(n)]


def body_bytes(batch: Batch) -> int:
    """The size of the request body `RestStore.log_batch` would send for `batch`."""
    request = LogBatch(
        run_id=RUN_ID,
        metrics=[m.to_proto() for m in batch.metrics],
        params=[p.to_proto() for p in batch.params],
        tags=[t.to_proto() for t in batch.tags],
    )
    return len(message_to_json(request).encode("utf-8"))


def keys(entities: list) -> list[str]:
    return [e.key for e in entities]


def test_chunk_yields_nothing_when_there_is_nothing_to_write() -> None:
    assert list(chunk([], [], [])) == []


def test_chunk_yields_one_batch_when_everything_fits() -> None:
    [batch] = chunk(metrics(10), params(10), tags(10))
    assert (len(batch.metrics), len(batch.params), len(batch.tags)) == (10, 10, 10)


@pytest.mark.parametrize(
    ("kind", "count", "limit"),
    [
        ("params", 250, MAX_PARAMS_TAGS_PER_BATCH),
        ("tags", 250, MAX_PARAMS_TAGS_PER_BATCH),
        ("metrics", 2500, MAX_METRICS_PER_BATCH),
    ],
)
def test_chunk_splits_one_kind_at_its_count_limit_when_there_are_more(
    kind: str, count: int, limit: int
) -> None:
    writes = {"metrics": [], "params": [], "tags": []}
    writes[kind] = {"params": params, "tags": tags, "metrics": metrics}[kind](count)
    batches = list(chunk(writes["metrics"], writes["params"], writes["tags"]))
    assert [len(getattr(b, kind)) for b in batches] == [limit, limit, count - 2 * limit]
    assert [key for b in batches for key in keys(getattr(b, kind))] == keys(writes[kind])


def test_chunk_keeps_every_batch_within_all_count_limits_when_kinds_are_mixed() -> None:
    all_metrics, all_params, all_tags = metrics(2300), params(230), tags(170)
    batches = list(chunk(all_metrics, all_params, all_tags))
    for batch in batches:
        assert len(batch.metrics) <= MAX_METRICS_PER_BATCH
        assert len(batch.params) <= MAX_PARAMS_TAGS_PER_BATCH
        assert len(batch.tags) <= MAX_PARAMS_TAGS_PER_BATCH
        assert len(batch) <= MAX_ENTITIES_PER_BATCH
    assert [k for b in batches for k in keys(b.params)] == keys(all_params)
    assert [k for b in batches for k in keys(b.tags)] == keys(all_tags)
    assert [k for b in batches for k in keys(b.metrics)] == keys(all_metrics)


def test_chunk_writes_params_then_tags_then_metrics_when_kinds_are_mixed() -> None:
    batches = list(chunk(metrics(3), params(150), tags(3)))
    order = [kind for b in batches for kind, es in [("p", b.params), ("t", b.tags)] if es]
    assert order == ["p", "p", "t"]  # the 50 params left over share their batch with the tags
    assert batches[-1].metrics and not batches[0].metrics


def test_chunk_splits_by_bytes_when_large_params_exceed_one_megabyte() -> None:
    big = params(150, value="x" * 20_000)
    batches = list(chunk([], big, []))
    assert len(batches) >= 3
    assert all(body_bytes(b) < MAX_BATCH_LOG_REQUEST_SIZE for b in batches)
    assert [(p.key, p.value) for b in batches for p in b.params] == [(p.key, p.value) for p in big]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("x", id="ascii"),
        pytest.param("é", id="latin-1"),
        pytest.param("Привет", id="cyrillic"),
        pytest.param("漢字", id="cjk"),
        pytest.param("😀", id="emoji"),
        pytest.param('"\\\n', id="json-escapes"),
    ],
)
def test_chunk_keeps_each_request_body_under_one_megabyte_when_values_need_escaping(
    text: str,
) -> None:
    value = (text * 8000)[:8000]  # MLflow's longest tag value
    all_tags = tags(100, value=value)
    all_params = params(100, value=value[:6000])  # MLflow's longest param value
    batches = list(chunk([], all_params, all_tags))
    assert max(body_bytes(b) for b in batches) <= MAX_BATCH_LOG_REQUEST_SIZE
    assert [t.key for b in batches for t in b.tags] == keys(all_tags)
    assert [p.key for b in batches for p in b.params] == keys(all_params)
