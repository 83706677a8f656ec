"""S1/S10: through the proxy, a user's MLflow UI shows only experiments of projects they read."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.tracking.scenarios import context_for, new_id, rich_execution
from tracking import Tracker
from tracking.tracing import trace_id_for
from tracking.ui_access import (
    MlflowExperimentLookup,
    MlflowRequest,
    allowed_experiment_ids,
    authorize,
    filter_response,
)


@dataclass(frozen=True)
class World:
    """Alice's and Bob's recorded executions, and what Alice may read."""

    lookup: MlflowExperimentLookup
    allowed: frozenset[str]
    alice_experiment: str
    alice_run: str
    alice_trace: str
    bob_experiment: str
    bob_run: str
    bob_trace: str


@pytest.fixture(scope="module")
def world(mlflow_module_store) -> World:
    store = mlflow_module_store
    alice, bob = new_id(), new_id()
    bob_context = context_for(bob, project_id="proj-bob", owner_name="bob", user_name="bob")
    with Tracker(store.tracking_uri, artifact_root=store.artifact_root) as tracker:
        alice_run = tracker.record(context_for(alice), rich_execution(alice)).run_id
        bob_run = tracker.record(bob_context, rich_execution(bob)).run_id
    client = store.client()
    allowed = allowed_experiment_ids(client, ["proj-1", "proj-without-runs"])
    return World(
        lookup=MlflowExperimentLookup(client),
        allowed=allowed,
        alice_experiment=client.get_run(alice_run).info.experiment_id,
        alice_run=alice_run,
        alice_trace=trace_id_for(alice),
        bob_experiment=client.get_run(bob_run).info.experiment_id,
        bob_run=bob_run,
        bob_trace=trace_id_for(bob),
    )


def ask(world: World, method: str, path: str, query=None, body=None) -> int:
    """The status the proxy would answer with: 200 when the request may pass."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    request = MlflowRequest(method, path, query or {}, raw)
    decision = authorize(request, world.allowed, world.lookup)
    return 200 if decision.allowed else decision.status


def runs_search(experiments: list[str]) -> dict:
    return {"experiment_ids": experiments, "max_results": 50}


def graphql(query: str, variables: dict | None = None) -> dict:
    return {"operationName": None, "query": query, "variables": variables or {}}


GET_RUN = "query GetRun($data: MlflowGetRunInput!) { mlflowGetRun(input: $data) { run { info { runUuid } } } }"  # noqa: E501


def test_allowed_experiments_are_those_of_the_readable_projects(world):
    assert world.allowed == {world.alice_experiment}


def test_pages_and_static_files_pass(world):
    assert ask(world, "GET", "/") == 200
    assert ask(world, "GET", "/static-files/static/js/main.8a1b.js") == 200
    assert ask(world, "GET", "/ajax-api/3.0/mlflow/server-info") == 200


@pytest.mark.parametrize("prefix", ["/ajax-api", "/api"])
def test_own_experiment_runs_and_artifacts_pass(world, prefix):
    run, experiment = world.alice_run, world.alice_experiment
    assert (
        ask(world, "GET", f"{prefix}/2.0/mlflow/experiments/get", {"experiment_id": [experiment]})
        == 200
    )
    assert (
        ask(world, "POST", f"{prefix}/2.0/mlflow/runs/search", body=runs_search([experiment]))
        == 200
    )
    assert ask(world, "GET", f"{prefix}/2.0/mlflow/runs/get", {"run_id": [run]}) == 200
    assert ask(world, "GET", f"{prefix}/2.0/mlflow/artifacts/list", {"run_uuid": [run]}) == 200
    assert ask(world, "GET", "/get-artifact", {"path": ["result.json"], "run_uuid": [run]}) == 200
    assert ask(world, "GET", f"{prefix}/2.0/mlflow/metrics/get-history-bulk-interval",
               {"run_ids": [run], "metric_key": ["calls"]}) == 200  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("GET", "/ajax-api/2.0/mlflow/experiments/get", {"experiment_id": ["BOB_EXP"]}, None),
        ("POST", "/ajax-api/2.0/mlflow/runs/search", None, runs_search(["BOB_EXP"])),
        ("POST", "/ajax-api/2.0/mlflow/runs/search", None, runs_search(["ALICE_EXP", "BOB_EXP"])),
        ("GET", "/ajax-api/2.0/mlflow/runs/get", {"run_id": ["BOB_RUN"]}, None),
        ("GET", "/ajax-api/2.0/mlflow/runs/get", {"run_id": ["0" * 32]}, None),
        ("GET", "/api/2.0/mlflow/metrics/get-history", {"run_uuid": ["BOB_RUN"]}, None),
        ("GET", "/ajax-api/2.0/mlflow/artifacts/list", {"run_uuid": ["BOB_RUN"]}, None),
        ("GET", "/get-artifact", {"path": ["result.json"], "run_uuid": ["BOB_RUN"]}, None),
        (
            "GET",
            "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
            {"run_ids": ["ALICE_RUN", "BOB_RUN"], "metric_key": ["calls"]},
            None,
        ),
        ("GET", "/ajax-api/3.0/mlflow/traces/BOB_TRACE", None, None),
        ("GET", "/ajax-api/3.0/mlflow/traces/get", {"trace_id": ["BOB_TRACE"]}, None),
        ("GET", "/ajax-api/3.0/mlflow/get-trace-artifact", {"request_id": ["BOB_TRACE"]}, None),
        (
            "POST",
            "/ajax-api/3.0/mlflow/traces/search",
            None,
            {
                "locations": [
                    {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "BOB_EXP"}}
                ]
            },
        ),
        ("POST", "/ajax-api/3.0/mlflow/traces/metrics", None, {"experiment_ids": ["BOB_EXP"]}),
        ("GET", "/ajax-api/3.0/mlflow/scorers/list", {"experiment_id": ["BOB_EXP"]}, None),
        ("POST", "/graphql", None, graphql(GET_RUN, {"data": {"runId": "BOB_RUN"}})),
        (
            "POST",
            "/graphql",
            None,
            graphql(
                '{ mlflowGetExperiment(input: {experimentId: "BOB_EXP"}) { experiment { name } } }'
            ),
        ),
        (
            "POST",
            "/graphql",
            None,
            graphql(
                "query Q($data: MlflowGetRunInput!) { mine: mlflowGetRun(input: $data) { run { info { runUuid } } } "  # noqa: E501
                'theirs: mlflowGetRun(input: {runId: "BOB_RUN"}) { run { info { runUuid } } } }',
                {"data": {"runId": "ALICE_RUN"}},
            ),
        ),
        (
            "POST",
            "/graphql",
            None,
            graphql(
                'mutation { mlflowSearchRuns(input: {experimentIds: ["BOB_EXP"]}) '
                "{ runs { info { runUuid } } } }"
            ),
        ),
    ],
)
def test_s1_another_users_experiment_run_or_trace_is_not_found(world, method, path, query, body):
    names = {
        "BOB_EXP": world.bob_experiment,
        "ALICE_EXP": world.alice_experiment,
        "BOB_RUN": world.bob_run,
        "ALICE_RUN": world.alice_run,
        "BOB_TRACE": world.bob_trace,
    }

    def fill(text: str) -> str:
        for name, value in names.items():
            text = text.replace(name, value)
        return text

    query = {k: [fill(v) for v in values] for k, values in (query or {}).items()}
    body = json.loads(fill(json.dumps(body))) if body is not None else None
    assert ask(world, method, fill(path), query, body) == 404


def test_own_traces_and_graphql_pass(world):
    location = {
        "type": "MLFLOW_EXPERIMENT",
        "mlflow_experiment": {"experiment_id": world.alice_experiment},
    }
    body = {"locations": [location], "max_results": 25}
    assert ask(world, "POST", "/ajax-api/3.0/mlflow/traces/search", body=body) == 200
    assert ask(world, "GET", f"/ajax-api/3.0/mlflow/traces/{world.alice_trace}") == 200
    run_query = graphql(GET_RUN, {"data": {"runId": world.alice_run}})
    assert ask(world, "POST", "/graphql", body=run_query) == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/ajax-api/2.0/mlflow/runs/create", {"experiment_id": "ALICE"}),
        ("POST", "/ajax-api/2.0/mlflow/runs/delete", {"run_id": "x"}),
        ("POST", "/ajax-api/2.0/mlflow/runs/update", {"run_id": "x", "run_name": "y"}),
        ("POST", "/api/2.0/mlflow/runs/set-tag", {"run_id": "x", "key": "k", "value": "v"}),
        (
            "POST",
            "/ajax-api/2.0/mlflow/experiments/create",
            {"name": "mine", "artifact_location": "/etc"},
        ),
        (
            "POST",
            "/ajax-api/2.0/mlflow/experiments/update",
            {"experiment_id": "1", "new_name": "x"},
        ),
        ("GET", "/ajax-api/2.0/mlflow/gateway-proxy", None),
        ("GET", "/ajax-api/3.0/mlflow/assistant/config", None),
        ("GET", "/ajax-api/2.0/mlflow/model-versions/search", None),
        ("GET", "/ajax-api/2.0/mlflow/registered-models/search", None),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/x/artifacts/evil.html", None),
        ("POST", "/v1/traces", None),
        ("POST", "/graphql", graphql("{ __schema { types { name } } }")),
        (
            "POST",
            "/graphql",
            graphql(
                '{ mlflowSearchModelVersions(input: {filter: ""}) { modelVersions { name } } }'
            ),
        ),
        ("POST", "/graphql", graphql("query { ...F } fragment F on Query { __typename }")),
    ],
)
def test_writes_and_features_outside_tracking_are_refused(world, method, path, body):
    assert ask(world, method, path, body=body) == 403


@pytest.mark.parametrize(
    "path",
    [
        "/ajax-api/2.0/mlflow/runs/../runs/delete",
        "/ajax-api/2.0/mlflow/%2e%2e/runs/delete",
        "/ajax-api/2.0/mlflow//runs/get",
        "/static-files/../../etc/passwd",
    ],
)
def test_s10_paths_with_tricks_are_refused(world, path):
    assert ask(world, "GET", path) == 400


def test_malformed_bodies_are_refused(world):
    assert ask(world, "POST", "/ajax-api/2.0/mlflow/runs/search", body=b"not json") == 400
    assert ask(world, "POST", "/ajax-api/2.0/mlflow/runs/search", body=runs_search([])) == 400
    assert ask(world, "POST", "/graphql", body=graphql("{ mlflowGetRun(")) == 400


def test_experiment_search_response_keeps_only_allowed_experiments(world, mlflow_module_store):
    request = MlflowRequest("GET", "/ajax-api/2.0/mlflow/experiments/search", {}, b"")
    decision = authorize(request, world.allowed, world.lookup)
    everything = {
        "experiments": [
            {"experiment_id": e.experiment_id, "name": e.name}
            for e in mlflow_module_store.client().search_experiments()
        ],
        "next_page_token": "abc",
    }
    assert len(everything["experiments"]) == 3  # Default, alice/Research, bob/Research

    visible = json.loads(filter_response(decision, json.dumps(everything).encode(), world.allowed))

    assert visible == {
        "experiments": [{"experiment_id": world.alice_experiment, "name": "alice/Research"}],
        "next_page_token": "abc",
    }


def test_experiment_by_name_of_another_user_becomes_not_found(world):
    request = MlflowRequest(
        "GET", "/ajax-api/2.0/mlflow/experiments/get-by-name", {"experiment_name": ["bob/x"]}
    )
    decision = authorize(request, world.allowed, world.lookup)
    theirs = json.dumps({"experiment": {"experiment_id": world.bob_experiment}}).encode()
    mine = json.dumps({"experiment": {"experiment_id": world.alice_experiment}}).encode()

    assert filter_response(decision, theirs, world.allowed) is None
    assert filter_response(decision, mine, world.allowed) == mine
