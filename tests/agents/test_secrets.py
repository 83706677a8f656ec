"""Keys never leak (S8), and nothing is taken from the server's environment."""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest

from agents.credentials import Credentials, ProviderCredential
from agents.engine import Engine
from agents.events import StepStarted
from tests.agents.helpers import Recorder, spec, unique
from tests.fakes.provider_server import FakeProvider


def canary() -> str:
    return f"sk-canary-{uuid.uuid4().hex}"


def test_s8_canary_key_is_absent_from_events_errors_and_logs(
    engine: Engine, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    key = canary()
    model = unique("leaky")
    # Providers do echo keys back ("Incorrect API key provided: sk-...").
    fake_provider.program(
        model, then={"status": 401, "error_message": f"Incorrect API key provided: {key}"}
    )
    recorder = Recorder()
    caplog.set_level(logging.DEBUG)
    agent = spec(
        {"id": "a", "prompt": "hi"},
        {"id": "b", "kind": "compare", "models": [f"openai:{model}", "demo:x"], "prompt": "x"},
        model=f"openai:{model}",
    )
    credentials = fake_provider.credentials(api_key=key)
    result = engine.run(agent, {}, credentials, on_event=recorder)

    assert result.steps["a"].error_type == "auth"
    assert "[redacted]" in result.steps["a"].error  # the provider's message, scrubbed
    seen = [
        json.dumps([e.to_dict() for e in recorder.events]),
        json.dumps(result.to_dict()),
        "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records),
        repr(credentials),
        str(credentials.get("openai")),
    ]
    assert all(key not in text for text in seen)
    # The key did reach the provider: it was used, only never repeated.
    assert fake_provider.requests(model)[0]["headers"]["Authorization"] == f"Bearer {key}"


def test_s8_key_is_not_in_dask_task_keys_or_scheduler_events(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    key = canary()
    model = unique("slowish")
    fake_provider.program(model, then={"latency": 0.5})
    recorder = Recorder()
    handle = engine.submit(
        spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}"),
        {},
        fake_provider.credentials(api_key=key),
        on_event=recorder,
    )
    recorder.wait_for(lambda e: isinstance(e, StepStarted))
    client = engine._client
    assert client is not None
    task_keys = client.sync(client.run_on_scheduler, _task_keys)
    assert any("agent-step-a-" in k for k in task_keys)
    assert all(key not in k for k in task_keys)
    handle.result(timeout=30)
    stored = json.dumps(client.sync(client.get_events, engine._topic), default=str)
    assert key not in stored


def _task_keys(dask_scheduler) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(k) for k in dask_scheduler.tasks]


ENVIRONMENT_CANARIES = {
    "OPENAI_API_KEY": "env-openai-key-canary",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    "OPENAI_API_BASE": "http://127.0.0.1:9/v1",
    "OPENAI_ORG_ID": "env-org-canary",
    "OPENAI_PROJECT_ID": "env-project-canary",
    "OPENAI_CUSTOM_HEADERS": "X-Env-Header: env-header-canary",
    "OPENAI_PROXY": "http://127.0.0.1:9",
    "ANTHROPIC_API_KEY": "env-anthropic-key-canary",
    "ANTHROPIC_AUTH_TOKEN": "env-anthropic-token-canary",
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
    "ANTHROPIC_CUSTOM_HEADERS": "X-Env-Header: env-header-canary",
    "GOOGLE_API_KEY": "env-google-key-canary",
    "GEMINI_API_KEY": "env-gemini-key-canary",
    "GOOGLE_GENAI_USE_VERTEXAI": "true",
    "GOOGLE_CLOUD_PROJECT": "env-project-canary",
    "LANGSMITH_TRACING": "true",
    "LANGCHAIN_TRACING_V2": "true",
    "LANGSMITH_API_KEY": "env-langsmith-canary",
}


def test_process_environment_is_never_used(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENVIRONMENT_CANARIES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANGSMITH_ENDPOINT", fake_provider.url)  # a trace would show up there
    user_key = canary()
    gpt, claude, gemini = unique("gpt"), unique("claude"), unique("gemini")
    agent = spec(
        {
            "id": "all",
            "kind": "compare",
            "models": [f"openai:{gpt}", f"anthropic:{claude}", f"google:{gemini}"],
            "prompt": "hello",
        },
        {"id": "nokey", "model": "openai-compatible:llama3", "prompt": "hi"},
    )
    only_these = Credentials(
        {
            name: ProviderCredential(api_key=user_key, base_url=fake_provider.base_url(name))
            for name in ("openai", "anthropic", "google")
        }
    )
    with Engine() as fresh:  # SDK clients are built (and the environment read) while it runs
        result = fresh.run(agent, {}, only_these, timeout=60)

    assert result.steps["all"].status == "COMPLETED"
    # openai-compatible has no base URL from the caller; OPENAI_BASE_URL must not stand in.
    assert result.steps["nokey"].error_type == "auth"
    assert "needs a base URL" in result.steps["nokey"].error
    time.sleep(0.5)  # a LangSmith trace would be posted from a background thread
    requests = fake_provider.requests()
    mine = [r for r in requests if r["model"] in (gpt, claude, gemini)]
    assert len(mine) == 3
    for request in mine:
        sent = {k.lower(): v for k, v in request["headers"].items()}
        credential = sent.get("x-goog-api-key") or sent["authorization"].removeprefix("Bearer ")
        assert credential == user_key
        assert not any("canary" in v and user_key not in v for v in sent.values()), sent
    assert [r["path"] for r in requests if r["protocol"] == "stray"] == []
