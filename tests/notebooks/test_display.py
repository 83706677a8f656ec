"""How specs, executions and comparisons look in JupyterLab: the DAG, statuses, outputs; and S9,
everything a model or a user wrote shown as text, never as markup."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from agents.spec import AgentSpec
from workbench.client import Execution, ModelComparison, register_formatters
from workbench.client.display import dag_svg, execution_html, spec_html, spec_nodes

SCRIPT = "<script>alert('x')</script>"
IMAGE = '<img src=x onerror="alert(1)">'

SPEC = AgentSpec.parse(
    {
        "name": "brief " + SCRIPT,
        "description": "outline, draft, titles " + IMAGE,
        "defaults": {"model": "demo:writer"},
        "inputs": {"topic": {"type": "string", "description": IMAGE}},
        "substeps": [
            {"id": "outline", "prompt": "Outline {{ topic }} " + SCRIPT},
            {"id": "draft", "prompt": "Draft from {{ outline }}"},
            {
                "id": "titles",
                "kind": "compare",
                "models": ["demo:a", "demo:b"],
                "prompt": "Title for {{ outline }}",
            },
            {"id": "final", "prompt": "{{ draft }} {{ titles }}"},
        ],
    }
)


def finished_execution(output: str, error: str) -> Execution:
    step = {
        "step_id": "outline",
        "kind": "prompt",
        "status": "FAILED",
        "models": ["demo:writer"],
        "output": output,
        "error": error,
    }
    return Execution.model_validate(
        {
            "id": "e1",
            "number": 3,
            "status": "FAILED",
            "inputs": {"topic": IMAGE},
            "spec": SPEC.to_dict(),
            "error": error,
            "steps": [step],
        }
    )


class Elements(HTMLParser):
    """Every element and attribute a browser would build from a piece of HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def assert_inert(html: str) -> None:
    """Only the markup the display itself writes: nothing that runs or loads anything."""
    elements = Elements(html)
    assert not elements.tags & {"script", "img", "iframe", "object", "embed", "a"}
    assert not [name for name in elements.attributes if name.startswith("on")]
    assert "href" not in elements.attributes and "src" not in elements.attributes


def test_s9_spec_html_escapes_names_descriptions_and_prompts() -> None:
    html = spec_html(SPEC)
    assert_inert(html)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_s9_execution_html_escapes_outputs_errors_and_inputs() -> None:
    html = execution_html(finished_execution(output=IMAGE * 300, error=SCRIPT))
    assert_inert(html)
    assert html.count("&lt;img src=x") > 300  # the long output is in the page, escaped


def test_s9_comparison_html_escapes_the_answers() -> None:
    frame = pd.DataFrame(
        [
            {"model": "demo:a" + SCRIPT, "output": IMAGE, "error": None, "latency_ms": 5.0},
            {"model": "demo:b", "output": None, "error": SCRIPT, "latency_ms": float("nan")},
        ]
    )
    html = ModelComparison(title=SCRIPT, prompt=IMAGE, frame=frame)._repr_html_()
    assert_inert(html)
    assert html.count("&lt;script&gt;") == 3


def test_spec_dag_has_a_box_per_step_and_an_arrow_per_dependency() -> None:
    svg = dag_svg(spec_nodes(SPEC))
    assert svg.count("<rect") == 4
    assert svg.count("<line") == 4  # outline→draft, outline→titles, draft→final, titles→final


def test_execution_html_shows_each_steps_status() -> None:
    html = execution_html(finished_execution(output="fine", error="it broke"))
    assert "FAILED" in html and "it broke" in html and "#3" in html
    # steps the execution has not reported yet are drawn from its spec
    pending = Execution.model_validate({"id": "e2", "status": "PENDING", "spec": SPEC.to_dict()})
    assert execution_html(pending).count("<rect") == 4


@pytest.fixture
def shell() -> InteractiveShell:
    shell = InteractiveShell.instance()
    yield shell
    InteractiveShell.clear_instance()


def test_agent_specs_display_as_html_in_ipython(shell: InteractiveShell) -> None:
    assert register_formatters()
    data, _ = shell.display_formatter.format(SPEC)
    assert data["text/html"] == spec_html(SPEC)
