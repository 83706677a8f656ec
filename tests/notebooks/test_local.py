"""Prototyping in the notebook: a spec run by the `agents` engine in-process, against the fake
provider server, tracked to a temporary MLflow store, then pushed to the workbench."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.credentials import Credentials, ProviderCredential
from agents.engine import Engine
from agents.spec import AgentSpec, SpecValidationError
from tests.fakes.behaviour import Behaviour
from tests.fakes.provider_server import FakeProvider
from tests.fixtures.mlflow import MlflowStore
from tests.notebooks.conftest import unique
from tests.tracking.helpers import everything_written
from workbench.client import Client, Project
from workbench.client.local import LocalRunner, credentials_from_environment


def loop_spec(model: str) -> AgentSpec:
    """Draft with `openai:<model>`, critique with an Anthropic judge, then a summary."""
    return AgentSpec.parse(
        {
            "name": unique("loop"),
            "defaults": {"model": f"openai:{model}"},
            "inputs": {"question": "text"},
            "substeps": [
                {
                    "id": "answer",
                    "kind": "feedback_loop",
                    "judge": f"anthropic:{model}-judge",
                    "criteria": "short",
                    "max_rounds": 2,
                    "prompt": "{{ question }}",
                },
                {"id": "summary", "prompt": "One sentence:\n{{ answer }}"},
            ],
        }
    )


@pytest.fixture
def local(
    engine: Engine, fake_provider: FakeProvider, mlflow_store: MlflowStore
) -> Iterator[LocalRunner]:
    runner = LocalRunner(
        credentials=fake_provider.credentials(),
        tracking_uri=mlflow_store.tracking_uri,
        artifact_root=mlflow_store.artifact_root,
        project="prototypes",
        engine=engine,
    )
    with runner:
        yield runner


def test_local_run_calls_the_providers_and_tracks_to_mlflow(
    local: LocalRunner, fake_provider: FakeProvider, mlflow_store: MlflowStore
) -> None:
    model = unique("local")
    fake_provider.program(f"{model}-judge", then=Behaviour(text="VERDICT: ACCEPT\nfine"))
    spec = loop_spec(model)
    execution = local.run(spec, {"question": "Why tides?"}, progress=False)
    assert execution.status == "COMPLETED"
    assert [s.step_id for s in execution.steps] == ["answer", "summary"]
    assert {c["model"] for c in execution.step("answer").calls} == {
        f"openai:{model}",
        f"anthropic:{model}-judge",
    }
    assert len(fake_provider.requests(f"{model}-judge")) == 1
    assert execution.tracking_status == "SYNCED" and execution.mlflow_run_id
    runs = local.runs(spec)
    assert list(runs["execution_id"]) == [execution.id]
    assert list(runs["run_id"]) == [execution.mlflow_run_id]
    run = mlflow_store.client().get_run(execution.mlflow_run_id)
    experiment = mlflow_store.client().get_experiment(run.info.experiment_id)
    assert experiment.name == f"{local.user_name}/prototypes"


def test_local_runs_collect_into_a_dataframe(local: LocalRunner) -> None:
    spec = AgentSpec.parse(
        {
            "name": "echo",
            "defaults": {"model": "demo:writer"},
            "inputs": {"topic": "string"},
            "substeps": [{"id": "say", "prompt": "{{ topic }}"}],
        }
    )
    for topic in ("tides", "moons"):
        local.run(spec, {"topic": topic}, progress=False)
    frame = local.frame()
    assert list(frame["input.topic"]) == ["tides", "moons"]
    assert list(frame["status"]) == ["COMPLETED", "COMPLETED"]


def test_spec_problems_are_reported_before_anything_runs(
    local: LocalRunner, fake_provider: FakeProvider
) -> None:
    spec = loop_spec(unique("never"))
    with pytest.raises(SpecValidationError) as raised:
        local.run(spec, {"questoin": "typo"}, progress=False)
    paths = {p.path for p in raised.value.problems}
    assert paths == {"inputs.question", "inputs.questoin"}
    assert local.executions == []


def test_s8_a_rejected_key_stays_out_of_the_result_and_mlflow(
    engine: Engine,
    fake_provider: FakeProvider,
    mlflow_store: MlflowStore,
    tmp_path: Path,
) -> None:
    canary = "sk-canary-" + unique("local") + "-never-shown"
    model = unique("rejected")
    fake_provider.program(model, then=Behaviour(status=401, error_message=f"bad key {canary}"))
    credentials = Credentials(
        {"openai": ProviderCredential(api_key=canary, base_url=fake_provider.openai_base_url)}
    )
    with LocalRunner(
        credentials=credentials,
        tracking_uri=mlflow_store.tracking_uri,
        artifact_root=mlflow_store.artifact_root,
        engine=engine,
    ) as local:
        execution = local.run(loop_spec(model), {"question": "q"}, progress=False)
    assert execution.status == "FAILED"
    assert canary not in execution.model_dump_json()
    assert canary not in execution._repr_html_()
    run = mlflow_store.client().get_run(execution.mlflow_run_id)
    assert canary not in everything_written(mlflow_store.client(), run, tmp_path)


def test_keys_come_from_the_variables_the_sdks_read() -> None:
    credentials = credentials_from_environment(
        {
            "OPENAI_API_KEY": "sk-openai",
            "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
            "GEMINI_API_KEY": "g-key",
            "OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:11434/v1",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:2",  # no key: no Anthropic credential
        }
    )
    assert credentials.providers() == ["google", "openai", "openai-compatible"]
    assert credentials.get("openai").base_url == "http://127.0.0.1:1/v1"
    assert credentials.get("google").api_key.get_secret_value() == "g-key"
    assert credentials.get("openai-compatible").api_key is None
    assert "sk-openai" not in repr(credentials)


def test_keys_and_credentials_are_one_or_the_other() -> None:
    with pytest.raises(ValueError, match="keys, credentials"):
        LocalRunner(keys={"openai": "k"}, credentials=Credentials(), track=False)


@pytest.mark.hub
def test_a_prototyped_spec_is_pushed_to_a_project_as_it_is(
    local: LocalRunner, client: Client, project: Project
) -> None:
    spec = loop_spec(unique("push"))
    agent = client.agents.create(project, spec)
    assert agent.spec == spec
    assert client.agents.get(spec.name, project=project).id == agent.id
