"""Which MLflow UI requests a user may make through the workbench's proxy, and what they may see.

MLflow cannot limit its UI to some experiments: without its basic-auth app every user reads every
experiment, and that app needs its own user accounts and per-experiment grants kept in sync with
the workbench's projects. Workspaces (`--enable-workspaces`) isolate names, not readers. So the
workbench's proxy asks `authorize` about every request, with the experiment ids of the projects the
user can read, and passes only what the answer allows (SECURITY.md S1, S10).

The rules are an allowlist of the read-only endpoints the MLflow 3 UI uses for experiments, runs,
metrics, artifacts and traces (recorded from the UI's own requests, MLflow 3.17), under both
`/ajax-api/` (the UI) and `/api/` (an MLflow client in a notebook, through the same proxy).
`...` below stands for `/ajax-api` or `/api`:

- always (no data): `GET /`, `/static-files/*`, `/health`, `/version`, `.../3.0/mlflow/server-info`;
- always, the response cut to allowed experiments: `GET|POST .../2.0/mlflow/experiments/search`;
- the experiment is allowed: `GET .../2.0/mlflow/experiments/get?experiment_id=`,
  `GET .../3.0/mlflow/scorers/list?experiment_id=`, and `GET .../experiments/get-by-name` (checked
  on the response);
- every experiment listed in the body is allowed: `POST .../2.0/mlflow/runs/search`,
  `.../experiments/search-datasets`, `.../logged-models/search`, `.../3.0/mlflow/traces/metrics`,
  `.../3.0/mlflow/datasets/search` (`experiment_ids`), `.../3.0/mlflow/traces/search`
  (`locations[].mlflow_experiment.experiment_id`);
- the run's experiment is allowed (`run_id` or `run_uuid`): `GET .../2.0/mlflow/runs/get`,
  `.../metrics/get-history`, `.../artifacts/list`, `GET /get-artifact`; every run's, for
  `.../metrics/get-history-bulk` (`run_id`) and `.../get-history-bulk-interval` (`run_ids`);
- the trace's experiment is allowed: `GET .../3.0/mlflow/traces/<id>`,
  `.../traces/get?trace_id=`, `.../get-trace-artifact?request_id=`;
- a run's artifacts through MLflow's artifact API (what an MLflow client reads them with, and
  what a tracking server started with `--serve-artifacts` answers; the embedded default's local
  server does not serve it, there the UI reads files with `/get-artifact`):
  `GET /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>` (a file) and
  `GET /api/2.0/mlflow-artifacts/artifacts?path=<experiment>/<run>/artifacts[/<folder>]` (a
  listing), when the run is in that experiment and the experiment is allowed;
- `POST /graphql` when every top-level field is `mlflowGetExperiment`, `mlflowGetRun`,
  `mlflowListArtifacts`, `mlflowGetMetricHistoryBulkInterval`, `mlflowSearchRuns` or
  `mlflowSearchDatasets`, on allowed experiments and runs.

Artifact paths (`path=` of `/get-artifact` and `.../artifacts/list` too) must be plain relative
paths: no `..` or `.` segments, no empty segment, no backslash, no encoded or control characters,
so nothing can name a file outside the run's own folder (S10).

Everything else is refused: every write (create, update, delete, tags, notes, uploads), the model
registry, prompts, the AI gateway and its stored provider keys, the assistant, jobs, webhooks,
users, workspaces, GraphQL introspection. A refused endpoint answers 403; an experiment, run or
trace the user may not read answers 404, as if it did not exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse, value_from_ast_untyped


@dataclass(frozen=True)
class MlflowRequest:
    """A request on its way to the MLflow server, as the proxy sees it.

    `path` is the path after the UI's prefix (e.g. `/ajax-api/2.0/mlflow/runs/search`), still
    percent-encoded; `query` maps each query parameter to its values.
    """

    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    body: bytes = b""


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass; if so, whether its response must be filtered first."""

    allowed: bool
    status: int = 200  # when refused: 403 (endpoint not offered), 404 (not visible), 400
    reason: str = ""
    response_filter: str | None = None  # "experiments" (cut the list) or "experiment" (check)


class ExperimentLookup(Protocol):
    """Finds which experiment a run or a trace belongs to (None when there is no such thing)."""

    def experiment_of_run(self, run_id: str) -> str | None: ...

    def experiment_of_trace(self, trace_id: str) -> str | None: ...


def _allow(response_filter: str | None = None) -> Decision:
    return Decision(True, response_filter=response_filter)


def _refuse(reason: str) -> Decision:
    return Decision(False, 403, f"{reason} is not available through the workbench")


def _hidden(what: str) -> Decision:
    return Decision(False, 404, f"{what} not found")


def _bad(reason: str) -> Decision:
    return Decision(False, 400, reason)


ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
_ARTIFACT_ROOT = re.compile(r"^(?P<experiment_id>[\w-]{1,64})/(?P<run_id>[\w-]{1,64})/artifacts$")


@dataclass(frozen=True)
class ArtifactRead:
    """A read of one run's artifacts through MLflow's artifact API.

    `path` is relative to the run's artifact root ("" is the root itself, for a listing).
    """

    experiment_id: str
    run_id: str
    path: str
    listing: bool


def plain_artifact_path(path: str) -> bool:
    """Whether `path` is a plain relative path that stays inside its folder (S10)."""
    if not path or path.startswith("/") or "\\" in path:
        return False
    if any(ord(c) < 32 or c in "%#?" for c in path):
        return False
    return all(segment not in ("", ".", "..") for segment in path.split("/"))


def artifact_read(request: MlflowRequest) -> ArtifactRead | None:
    """What a GET of MLflow's artifact API reads, or None when it is not one (or not plain).

    `GET /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>` reads a file;
    `GET /api/2.0/mlflow-artifacts/artifacts?path=<experiment>/<run>/artifacts[/<folder>]`
    lists a folder.
    """
    if request.method.upper() not in ("GET", "HEAD"):
        return None
    if request.path == ARTIFACTS_API:
        wanted = _query_values(request.query, "path")
        if len(wanted) != 1 or not plain_artifact_path(wanted[0]):
            return None
        target, listing = wanted[0], True
    elif request.path.startswith(ARTIFACTS_API + "/"):
        target, listing = request.path[len(ARTIFACTS_API) + 1 :], False
        if "%" in target or not plain_artifact_path(target):
            return None
    else:
        return None
    parts = target.split("/", 3)
    root = _ARTIFACT_ROOT.match("/".join(parts[:3]))
    if root is None:
        return None
    path = parts[3] if len(parts) > 3 else ""
    if not listing and not path:
        return None  # a file read names a file
    return ArtifactRead(root["experiment_id"], root["run_id"], path, listing)


_NO_DATA = re.compile(r"^/(|static-files/[\w./-]+|favicon\.ico|health|version)$")
_API = re.compile(r"^/(?:ajax-)?api/(?P<version>2\.0|3\.0)/mlflow/(?P<endpoint>[\w/-]+)$")
_TRACE_BY_ID = re.compile(r"^traces/(?P<trace_id>tr-[0-9a-f]{32})$")

# POST endpoints whose body names the experiments they read, as `experiment_ids`.
_EXPERIMENT_LIST_ENDPOINTS = {
    ("2.0", "runs/search"),
    ("2.0", "experiments/search-datasets"),
    ("2.0", "logged-models/search"),
    ("3.0", "traces/metrics"),
    ("3.0", "datasets/search"),
}
# GET endpoints that read one run, named by `run_id` or `run_uuid`.
_RUN_ENDPOINTS = {("2.0", "runs/get"), ("2.0", "metrics/get-history"), ("2.0", "artifacts/list")}
# GraphQL fields the UI uses, and what each reads.
_GRAPHQL_FIELDS = {
    "mlflowGetExperiment",
    "mlflowGetRun",
    "mlflowListArtifacts",
    "mlflowGetMetricHistoryBulkInterval",
    "mlflowSearchRuns",
    "mlflowSearchDatasets",
}


def authorize(
    request: MlflowRequest, allowed_experiments: AbstractSet[str], lookup: ExperimentLookup
) -> Decision:
    """Whether `request` may reach MLflow for a user who may read `allowed_experiments`."""
    method = request.method.upper()
    path = request.path
    segments = path.split("/")[1:]
    if (
        "%" in path
        or not path.startswith("/")
        or any(s in (".", "..") for s in segments)
        or "" in segments[:-1]
    ):
        return _bad("the path must be plain: no encoded characters, no '.' or '..' segments")
    checker = _Checker(allowed_experiments, lookup)
    if method in ("GET", "HEAD") and _NO_DATA.match(path):
        return _allow()
    if path == ARTIFACTS_API or path.startswith(ARTIFACTS_API + "/"):
        if method not in ("GET", "HEAD"):
            return _refuse(f"{method} {path}")
        read = artifact_read(request)
        if read is None:
            return _bad(
                "name a run's artifact as <experiment>/<run>/artifacts/<path>, a plain path: "
                "no '..' or '.' segments, no empty segments, no encoded characters"
            )
        return checker.run_in(read.run_id, read.experiment_id)
    if not _plain_path_parameter(request.query):
        return _bad("the artifact path must be plain: no '..' or '.' segments, no '\\'")
    if path == "/get-artifact" and method == "GET":
        return checker.runs(_query_values(request.query, "run_id", "run_uuid"))
    if path == "/graphql" and method == "POST":
        return checker.graphql(request.body)
    match = _API.match(path)
    if match is None:
        return _refuse(f"{method} {path}")
    version, endpoint = match["version"], match["endpoint"]
    key = (version, endpoint)
    if key == ("3.0", "server-info") and method == "GET":
        return _allow()
    if key == ("2.0", "experiments/search") and method in ("GET", "POST"):
        return _allow("experiments")
    if key == ("2.0", "experiments/get") and method == "GET":
        return checker.experiments(_query_values(request.query, "experiment_id"))
    if key == ("2.0", "experiments/get-by-name") and method == "GET":
        return _allow("experiment")
    if key in _EXPERIMENT_LIST_ENDPOINTS and method == "POST":
        body = _json_body(request.body)
        if body is None:
            return _bad("the body must be a JSON object")
        return checker.experiments(_strings(body.get("experiment_ids")))
    if key == ("3.0", "traces/search") and method == "POST":
        body = _json_body(request.body)
        if body is None:
            return _bad("the body must be a JSON object")
        return checker.experiments(_trace_locations(body))
    if key == ("3.0", "scorers/list") and method == "GET":
        return checker.experiments(_query_values(request.query, "experiment_id"))
    if key in _RUN_ENDPOINTS and method == "GET":
        return checker.runs(_query_values(request.query, "run_id", "run_uuid"))
    if key == ("2.0", "metrics/get-history-bulk") and method == "GET":
        return checker.runs(_query_values(request.query, "run_id"))
    if key == ("2.0", "metrics/get-history-bulk-interval") and method == "GET":
        return checker.runs(_query_values(request.query, "run_ids"))
    if method == "GET" and version == "3.0":
        if by_id := _TRACE_BY_ID.match(endpoint):
            return checker.traces([by_id["trace_id"]])
        if endpoint == "traces/get":
            return checker.traces(_query_values(request.query, "trace_id"))
        if endpoint == "get-trace-artifact":
            return checker.traces(_query_values(request.query, "request_id"))
    return _refuse(f"{method} {path}")


def filter_response(
    decision: Decision, body: bytes, allowed_experiments: AbstractSet[str]
) -> bytes | None:
    """The response body the user may see, or None when the whole response must become a 404."""
    if decision.response_filter is None:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if decision.response_filter == "experiments":
        experiments = data.get("experiments") or []
        data["experiments"] = [
            e for e in experiments if str(e.get("experiment_id")) in allowed_experiments
        ]
        return json.dumps(data).encode()
    if decision.response_filter == "experiment":
        experiment = data.get("experiment") or {}
        return body if str(experiment.get("experiment_id")) in allowed_experiments else None
    return None


class _Checker:
    def __init__(self, allowed: AbstractSet[str], lookup: ExperimentLookup) -> None:
        self.allowed = allowed
        self.lookup = lookup

    def experiments(self, ids: Sequence[str]) -> Decision:
        if not ids:
            return _bad("name at least one experiment")
        if all(i in self.allowed for i in ids):
            return _allow()
        return _hidden("experiment")

    def runs(self, run_ids: Sequence[str]) -> Decision:
        return self._owned(run_ids, self.lookup.experiment_of_run, "run")

    def run_in(self, run_id: str, experiment_id: str) -> Decision:
        """The run is in `experiment_id`, which is allowed (the path names both)."""
        owner = self.lookup.experiment_of_run(run_id)
        if owner is None or owner != experiment_id or owner not in self.allowed:
            return _hidden("run")
        return _allow()

    def traces(self, trace_ids: Sequence[str]) -> Decision:
        return self._owned(trace_ids, self.lookup.experiment_of_trace, "trace")

    def _owned(self, ids: Sequence[str], owner: Callable[[str], str | None], what: str) -> Decision:
        if not ids:
            return _bad(f"name at least one {what}")
        for item in ids:
            if not re.fullmatch(r"[\w-]{1,64}", item) or owner(item) not in self.allowed:
                return _hidden(what)
        return _allow()

    def graphql(self, body: bytes) -> Decision:
        request = _json_body(body)
        if request is None or not isinstance(request.get("query"), str):
            return _bad("a GraphQL request needs a JSON body with a query")
        variables = request.get("variables") or {}
        if not isinstance(variables, dict):
            return _bad("GraphQL variables must be an object")
        try:
            document = parse(request["query"])
        except GraphQLError:
            return _bad("the GraphQL query does not parse")
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                return _refuse("GraphQL fragments")
            for selection in definition.selection_set.selections:
                if not isinstance(selection, FieldNode):
                    return _refuse("GraphQL fragments")
                decision = self._graphql_field(selection, variables)
                if not decision.allowed:
                    return decision
        return _allow()

    def _graphql_field(self, field: FieldNode, variables: dict[str, Any]) -> Decision:
        name = field.name.value
        if name == "__typename":
            return _allow()
        if name not in _GRAPHQL_FIELDS:
            return _refuse(f"GraphQL field {name}")
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, variables)
            for argument in field.arguments
        }
        given = arguments.get("input")
        if not isinstance(given, dict):
            return _bad(f"GraphQL field {name} needs an input object")
        if name == "mlflowGetExperiment":
            return self.experiments(_strings(given.get("experimentId")))
        if name in ("mlflowSearchRuns", "mlflowSearchDatasets"):
            return self.experiments(_strings(given.get("experimentIds")))
        if name == "mlflowGetMetricHistoryBulkInterval":
            return self.runs(_strings(given.get("runIds")))
        return self.runs(_strings(given.get("runId") or given.get("runUuid")))


def _query_values(query: Mapping[str, Sequence[str]], *names: str) -> list[str]:
    for name in names:
        if values := [v for v in query.get(name, ()) if v]:
            return list(values)
    return []


def _plain_path_parameter(query: Mapping[str, Sequence[str]]) -> bool:
    """`path=` of an artifact endpoint (`/get-artifact`, `artifacts/list`) stays inside."""
    return all(value == "" or plain_artifact_path(value) for value in query.get("path", ()))


def _json_body(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str | int):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    return []


def _trace_locations(body: dict[str, Any]) -> list[str]:
    ids = _strings(body.get("experiment_ids"))
    for location in body.get("locations") or []:
        experiment = location.get("mlflow_experiment") if isinstance(location, dict) else None
        if not isinstance(experiment, dict) or "experiment_id" not in experiment:
            return []  # a location of another kind (a Unity Catalog table): not ours to show
        ids += _strings(experiment["experiment_id"])
    return ids


class MlflowExperimentLookup:
    """`ExperimentLookup` on an MLflow client, remembering recent answers."""

    def __init__(self, client: Any, *, cache_size: int = 4096) -> None:
        from mlflow.tracing.client import TracingClient

        self._client = client
        self._tracing = TracingClient(client.tracking_uri)
        self.experiment_of_run = lru_cache(maxsize=cache_size)(self._experiment_of_run)
        self.experiment_of_trace = lru_cache(maxsize=cache_size)(self._experiment_of_trace)

    def _experiment_of_run(self, run_id: str) -> str | None:
        try:
            return self._client.get_run(run_id).info.experiment_id
        except Exception:  # missing or malformed: the same answer, "not yours"
            return None

    def _experiment_of_trace(self, trace_id: str) -> str | None:
        try:
            return self._tracing.get_trace_info(trace_id).experiment_id
        except Exception:  # missing or malformed: the same answer, "not yours"
            return None


def allowed_experiment_ids(client: Any, project_ids: Iterable[str]) -> frozenset[str]:
    """The experiment ids of the given projects (those that have one yet), in one search."""
    from mlflow.entities import ViewType

    from tracking import keys

    wanted = set(project_ids)
    found: set[str] = set()
    token = None
    while wanted:
        page = client.search_experiments(
            view_type=ViewType.ACTIVE_ONLY,
            filter_string=f"tags.`{keys.PROJECT_ID_TAG}` LIKE '%'",
            max_results=1000,
            page_token=token,
        )
        found.update(e.experiment_id for e in page if e.tags.get(keys.PROJECT_ID_TAG) in wanted)
        token = page.token
        if not token:
            break
    return frozenset(found)


def decode_path(raw_path: str, static_prefix: str) -> str | None:
    """The path after `static_prefix` (None when the request is not for the MLflow UI)."""
    if not raw_path.startswith(static_prefix):
        return None
    rest = raw_path[len(static_prefix) :] or "/"
    return rest if rest.startswith("/") else None


__all__ = [
    "ARTIFACTS_API",
    "ArtifactRead",
    "Decision",
    "ExperimentLookup",
    "MlflowExperimentLookup",
    "MlflowRequest",
    "allowed_experiment_ids",
    "artifact_read",
    "authorize",
    "decode_path",
    "filter_response",
    "plain_artifact_path",
]
