"""The engine runs a spec as a Dask graph: order, concurrency, outputs, kinds of step, streaming."""

from __future__ import annotations

import pytest

from agents.engine import Engine
from agents.events import ExecutionFinished, ExecutionStarted, event_from_dict
from agents.spec import SpecValidationError
from tests.agents.helpers import Recorder, spec, unique
from tests.fakes.provider_server import FakeProvider


def test_independent_steps_overlap_at_the_provider(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("overlap")
    fake_provider.program(model, then={"latency": 0.4})
    steps = [{"id": f"s{i}", "prompt": f"question {i}"} for i in range(6)]
    result = engine.run(spec(*steps, model=f"openai:{model}"), {}, fake_provider.credentials())
    assert result.status == "COMPLETED"
    assert fake_provider.stats()["max_in_flight_by_model"][model] == 6


def test_dependent_step_starts_after_its_upstream_finished(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("chain")
    fake_provider.program(model, then={"latency": 0.05})
    recorder = Recorder()
    agent = spec(
        {"id": "outline", "prompt": "outline tides"},
        {"id": "essay", "prompt": "expand: {{ outline }}"},
        model=f"openai:{model}",
    )
    result = engine.run(agent, {}, fake_provider.credentials(), on_event=recorder)
    assert result.status == "COMPLETED"
    order = [(e.type, getattr(e, "step_id", "")) for e in recorder.events]
    assert order.index(("step_finished", "outline")) < order.index(("step_started", "essay"))
    assert fake_provider.stats()["max_in_flight_by_model"][model] == 1
    # The follow-up's prompt carried the upstream answer.
    essay_prompt = fake_provider.requests(model)[1]["prompt"]
    assert essay_prompt == f"expand: fake answer from {model}: outline tides"


def test_events_keep_the_documented_order(engine: Engine, fake_provider: FakeProvider) -> None:
    model = unique("order")
    fake_provider.program(model, then={"text": "a b c d e f", "token_delay": 0.01})
    recorder = Recorder()
    steps = [
        {"id": "a", "prompt": "x"},
        {"id": "b", "prompt": "{{ a }}"},
        {"id": "c", "prompt": "y"},
    ]
    engine.run(
        spec(*steps, model=f"openai:{model}"), {}, fake_provider.credentials(), on_event=recorder
    )
    assert isinstance(recorder.events[0], ExecutionStarted)
    assert isinstance(recorder.events[-1], ExecutionFinished)
    for step_id in ("a", "b", "c"):
        kinds = recorder.types_for(step_id)
        assert kinds[:2] == ["step_queued", "step_started"]
        assert kinds[-1] == "step_finished"
        assert set(kinds[2:-1]) <= {"step_token", "call_finished", "step_retrying"}
        assert kinds.index("call_finished") > max(
            i for i, k in enumerate(kinds) if k == "step_token"
        )


def test_every_event_survives_a_json_round_trip(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    recorder = Recorder()
    agent = spec(
        {"id": "c", "kind": "compare", "models": ["openai:m1", "demo:echo"], "prompt": "hi"},
        model="openai:m1",
    )
    engine.run(agent, {}, fake_provider.credentials(), on_event=recorder)
    for event in recorder.events:
        assert event_from_dict(event.to_dict()) == event


def test_compare_step_answers_per_model_and_renders_labelled(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    gpt, claude, gemini = unique("gpt"), unique("claude"), unique("gemini")
    agent = spec(
        {
            "id": "opinions",
            "kind": "compare",
            "models": [f"openai:{gpt}", f"anthropic:{claude}", f"google:{gemini}"],
            "prompt": "Is {{ topic }} interesting?",
        },
        {"id": "summary", "model": f"openai:{gpt}", "prompt": "Summarise:\n{{ opinions }}"},
    )
    agent["inputs"] = {"topic": "string"}
    result = engine.run(agent, {"topic": "tides"}, fake_provider.credentials())
    assert result.status == "COMPLETED"
    answers = result.outputs["opinions"]
    assert answers == {
        f"openai:{gpt}": f"fake answer from {gpt}: Is tides interesting?",
        f"anthropic:{claude}": f"fake answer from {claude}: Is tides interesting?",
        f"google:{gemini}": f"fake answer from {gemini}: Is tides interesting?",
    }
    assert [c.role for c in result.steps["opinions"].calls] == ["variant"] * 3
    summary_prompt = fake_provider.requests(gpt)[-1]["prompt"]
    assert f"[anthropic:{claude}]\nfake answer from {claude}" in summary_prompt


def test_streamed_tokens_arrive_in_order(engine: Engine, fake_provider: FakeProvider) -> None:
    model = unique("stream")
    words = " ".join(f"w{i}" for i in range(30))
    fake_provider.program(model, then={"text": words, "token_delay": 0.01})
    recorder = Recorder()
    agent = spec({"id": "a", "prompt": "talk"}, model=f"anthropic:{model}")
    result = engine.run(agent, {}, fake_provider.credentials(), on_event=recorder)
    tokens = recorder.of("step_token", "a")
    assert len(tokens) >= 3  # streamed in pieces, not delivered at the end
    assert "".join(t.text for t in tokens) == words == result.outputs["a"]
    assert result.steps["a"].calls[0].ttft_ms < result.steps["a"].calls[0].latency_ms


def test_feedback_loop_stops_when_the_judge_accepts(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    writer, judge = unique("writer"), unique("judge")
    fake_provider.program(writer, {"text": "draft one"}, {"text": "draft two"})
    fake_provider.program(
        judge, {"text": "VERDICT: REVISE\nToo vague."}, {"text": "VERDICT: ACCEPT\nGood."}
    )
    agent = spec(
        {
            "id": "essay",
            "kind": "feedback_loop",
            "model": f"openai:{writer}",
            "judge": f"openai:{judge}",
            "criteria": "Concrete.",
            "max_rounds": 5,
            "prompt": "Write about tides.",
        }
    )
    result = engine.run(agent, {}, fake_provider.credentials())
    step = result.steps["essay"]
    assert result.outputs["essay"] == "draft two"
    assert [(c.role, c.round, c.verdict) for c in step.calls] == [
        ("draft", 1, None),
        ("critique", 1, "revise"),
        ("refine", 2, None),
        ("critique", 2, "accept"),
    ]
    refine_prompt = fake_provider.requests(writer)[1]["prompt"]
    assert "draft one" in refine_prompt and "Too vague." in refine_prompt


def test_feedback_loop_stops_at_max_rounds(engine: Engine, fake_provider: FakeProvider) -> None:
    writer, judge = unique("writer"), unique("judge")
    fake_provider.program(writer, {"text": "v1"}, {"text": "v2"}, then={"text": "v-later"})
    fake_provider.program(judge, then={"text": "VERDICT: REVISE\nStill not there."})
    agent = spec(
        {
            "id": "essay",
            "kind": "feedback_loop",
            "model": f"openai:{writer}",
            "judge": f"openai:{judge}",
            "criteria": "Perfect.",
            "max_rounds": 2,
            "prompt": "Write.",
        }
    )
    result = engine.run(agent, {}, fake_provider.credentials())
    assert result.status == "COMPLETED"
    assert result.outputs["essay"] == "v2"
    assert [c.verdict for c in result.steps["essay"].calls if c.role == "critique"] == [
        "revise",
        "revise",
    ]
    assert fake_provider.stats()["requests_by_model"][writer] == 2


def test_failed_step_skips_only_its_dependants(engine: Engine, fake_provider: FakeProvider) -> None:
    broken, fine = unique("broken"), unique("fine")
    fake_provider.program(broken, then={"status": 400, "error_message": "no such model"})
    agent = spec(
        {"id": "bad", "model": f"openai:{broken}", "prompt": "x"},
        {"id": "after_bad", "prompt": "use {{ bad }}"},
        {"id": "good", "prompt": "independent"},
        {"id": "after_good", "prompt": "use {{ good }}"},
        model=f"openai:{fine}",
    )
    result = engine.run(agent, {}, fake_provider.credentials())
    assert result.status == "FAILED"
    statuses = {k: s.status for k, s in result.steps.items()}
    assert statuses == {
        "bad": "FAILED",
        "after_bad": "SKIPPED",
        "good": "COMPLETED",
        "after_good": "COMPLETED",
    }
    assert set(result.outputs) == {"good", "after_good"}
    assert result.steps["bad"].error_type == "bad_request"
    assert "no such model" in result.steps["bad"].error
    assert "'bad'" in result.error


def test_missing_key_fails_the_step_and_says_what_to_add(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    agent = spec({"id": "a", "model": "anthropic:claude-x", "prompt": "hi"})
    result = engine.run(agent, {}, fake_provider.credentials(providers=("openai",)))
    step = result.steps["a"]
    assert (step.status, step.error_type) == ("FAILED", "auth")
    assert "no API key for provider 'anthropic'" in step.error


def test_demo_model_runs_offline_and_says_it_is_not_an_llm(engine: Engine) -> None:
    agent = spec({"id": "hello", "prompt": "Say hi to {{ name }}"}, model="demo:echo")
    agent["inputs"] = {"name": "string"}
    result = engine.run(agent, {"name": "Ada"})
    assert result.status == "COMPLETED"
    answer = result.outputs["hello"]
    assert answer.startswith("[Demo model — not an LLM]")
    assert "Say hi to Ada" in answer
    assert result.steps["hello"].cost_usd == 0.0


def test_invalid_spec_or_inputs_raise_before_anything_runs(engine: Engine) -> None:
    agent = spec({"id": "a", "prompt": "{{ topic }} {{ ghost }}"}, model="demo:echo")
    agent["inputs"] = {"topic": "string"}
    with pytest.raises(SpecValidationError) as caught:
        engine.submit(agent, {"topic": 3})
    assert [p.path for p in caught.value.problems] == ["substeps.0.prompt", "inputs.topic"]


def test_handle_is_awaitable_from_async_code(engine: Engine) -> None:
    import asyncio

    async def caller() -> str:
        handle = engine.submit(spec({"id": "a", "prompt": "hi"}, model="demo:echo"))
        result = await handle
        return result.status

    assert asyncio.run(caller()) == "COMPLETED"


def test_unreachable_scheduler_fails_the_execution_clearly() -> None:
    with Engine("tcp://127.0.0.1:9", connect_timeout=0.5) as broken:
        result = broken.run(spec({"id": "a", "prompt": "hi"}, model="demo:echo"), timeout=30)
    assert result.status == "FAILED"
    assert "could not start the Dask client for tcp://127.0.0.1:9" in result.error
    assert result.steps["a"].status == "FAILED"


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        (
            "openai",
            {
                "temperature": 0.7,
                "top_p": 0.9,
                "max_completion_tokens": 50,
                "stop": ["END"],
                "seed": 7,
            },
        ),
        (
            "anthropic",
            {"temperature": 0.7, "top_p": 0.9, "max_tokens": 50, "stop_sequences": ["END"]},
        ),
        (
            "google",
            {
                "generationConfig": {
                    "temperature": 0.7,
                    "topP": 0.9,
                    "maxOutputTokens": 50,
                    "stopSequences": ["END"],
                    "candidateCount": 1,
                }
            },
        ),
    ],
)
def test_parameters_reach_the_provider(
    engine: Engine, fake_provider: FakeProvider, provider: str, expected: dict
) -> None:
    model = unique("params")
    agent = spec(
        {
            "id": "a",
            "system": "Be brief.",
            "prompt": "hi",
            "params": {"stop": ["END"], "seed": 7, "max_tokens": 50},
        },
        model=f"{provider}:{model}",
        temperature=0.7,
        top_p=0.9,
        max_tokens=999,  # the step's own parameter wins over the default
    )
    engine.run(agent, {}, fake_provider.credentials())
    [request] = fake_provider.requests(model)
    body = request["body"]
    for key, value in expected.items():
        assert body[key] == value
    assert "Be brief." in request["prompt"]
