"""MLflow tracking of executions: engine events in, MLflow runs out. Never imports `workbench`.

- `Tracker(tracking_uri, artifact_root=...)`: `start(ExecutionContext) -> Recorder` (the recorder
  only enqueues; a background writer batches into MLflow), `record(context, events)` (synchronous,
  idempotent backfill), `status(execution_id)`, `flush()`, `close()`.
- `tracking.process.TrackerProcess`: the same, with the writer in a child process (the service).
- `tracking.analysis`: pandas DataFrames of executions, steps and models, and a step-by-step diff.
- `tracking.ui`: the `mlflow server` command for the UI behind the workbench, and
  `tracking.ui_access`: which proxied MLflow requests a user may make.

One run per execution, one metric family per step (`step/<id>/latency_ms`, ...), no child runs.
Both layouts were recorded from the same executions and looked at in the MLflow 3.17 UI:

- Users compare *executions*. With a metric family per step, ticking two runs and pressing Compare
  shows every step's latency, tokens and cost side by side, the params table with "show diff only"
  says which model, temperature or input changed, and the artifacts panel previews the same file
  (a step's output, its transcript) of both runs next to each other. A run's "Model metrics" tab
  puts each step in its own collapsible section (`step/compare (8)`): MLflow groups metrics by
  the prefix before the last `/`. With child runs, comparing two executions compares their parents,
  which hold only totals and no params; comparing a step means expanding each parent in the runs
  table and picking children by hand, and the compare view then has no params to explain the
  difference (they sit on the parents).
- The runs table stays one row per execution; with child runs a 5-step agent run four times
  already showed "20 matching runs", and every `search_runs` page and analysis query grows with it.
- Child runs cost a `create_run` request per step; a metric family rides in the `log_batch` the
  writer sends anyway, which keeps tracking within its overhead budget.

What child runs would give, per-call rows, lives in each run's `calls.json` table (listed as a
table artifact), which `tracking.analysis` reads for per-model comparisons; and each call, with
its messages, answer and token usage, is a span of the execution's MLflow trace, shown in the run's
"Traces" tab (`tracking.tracing`).
"""

from tracking.context import ExecutionContext, InvalidContext
from tracking.tracker import (
    Recorder,
    SyncState,
    Tracker,
    TrackingError,
    TrackingStatus,
)

__all__ = [
    "ExecutionContext",
    "InvalidContext",
    "Recorder",
    "SyncState",
    "Tracker",
    "TrackingError",
    "TrackingStatus",
]
