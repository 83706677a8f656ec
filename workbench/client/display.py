"""HTML for JupyterLab: agent specs with their DAG, executions step by step, model comparisons.

Everything a model or a user wrote (names, descriptions, prompts, inputs, outputs, errors, model
names) goes through `html.escape` before it is placed in the page, SVG text included: output is
text, never markup (SECURITY.md S9). The markup uses inline styles only: no scripts, no external
resources, so a saved notebook renders the same anywhere.

`register_formatters()` teaches IPython to show an `agents.spec.AgentSpec` this way (the spec
class lives in the engine, which knows nothing of notebooks); the client's own records have
`_repr_html_`.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.spec import AgentSpec
    from workbench.client.compare import ModelComparison
    from workbench.client.models import Execution, Project

OUTPUT_PREVIEW_CHARS = 600
PROMPT_PREVIEW_CHARS = 160

STATUS_COLOURS = {
    "QUEUED": "#9e9e9e",
    "PENDING": "#9e9e9e",
    "RUNNING": "#1e88e5",
    "COMPLETED": "#2e7d32",
    "FAILED": "#c62828",
    "SKIPPED": "#bdbdbd",
    "CANCELLED": "#6d4c41",
}
KIND_COLOURS = {"prompt": "#1f77b4", "compare": "#7b1fa2", "feedback_loop": "#00897b"}

_BOX = "font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;line-height:1.4"
_TABLE = "border-collapse:collapse;margin:4px 0"
_CELL = "border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top"
_PRE = (
    "white-space:pre-wrap;margin:0;font-family:var(--jp-code-font-family,monospace);font-size:12px"
)


def esc(value: Any) -> str:
    """`value` as text safe to place in HTML (and SVG) content or a quoted attribute."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return html.escape(value, quote=True)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_of(output: Any) -> str:
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False, indent=2, default=str)


def _badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#757575")
    return (
        f'<span style="background:{colour};color:#fff;border-radius:3px;padding:0 5px;'
        f'font-size:11px">{esc(status)}</span>'
    )


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}{unit}"
    return f"{value:,}{unit}"


def _cost(value: float | None) -> str:
    return "—" if value is None else f"${value:.6f}"


def _output_block(output: Any) -> str:
    text = _text_of(output)
    if not text:
        return ""
    if len(text) <= OUTPUT_PREVIEW_CHARS:
        return f'<pre style="{_PRE}">{esc(text)}</pre>'
    preview = esc(_shorten(text, OUTPUT_PREVIEW_CHARS))
    return (
        f'<details><summary><pre style="{_PRE};display:inline">{preview}</pre></summary>'
        f'<pre style="{_PRE}">{esc(text)}</pre></details>'
    )


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table whose cells are already-escaped HTML."""
    head = "".join(f'<th style="{_CELL};background:#f5f5f5">{esc(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_CELL}">{cell}</td>' for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# ---- the DAG -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """One step in the DAG picture."""

    id: str
    kind: str
    depends_on: tuple[str, ...]
    models: tuple[str, ...]
    status: str | None = None


def layout(nodes: Sequence[Node]) -> dict[str, tuple[int, int]]:
    """Step id -> (column, row): the column is the length of the longest path leading to it."""
    by_id = {node.id: node for node in nodes}
    depth: dict[str, int] = {}

    def depth_of(step_id: str, seen: frozenset[str]) -> int:
        if step_id not in depth:
            parents = [d for d in by_id[step_id].depends_on if d in by_id and d not in seen]
            depth[step_id] = 1 + max((depth_of(p, seen | {step_id}) for p in parents), default=-1)
        return depth[step_id]

    rows: dict[int, int] = {}
    placed: dict[str, tuple[int, int]] = {}
    for node in nodes:
        column = depth_of(node.id, frozenset())
        placed[node.id] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return placed


def dag_svg(nodes: Sequence[Node]) -> str:
    """An SVG of the steps left to right, edges from each step to the steps that need it."""
    if not nodes:
        return ""
    width, height, gap_x, gap_y = 170, 46, 50, 14
    placed = layout(nodes)
    columns = max(c for c, _ in placed.values()) + 1
    rows = max(r for _, r in placed.values()) + 1
    total_w = columns * width + (columns - 1) * gap_x + 2
    total_h = rows * height + (rows - 1) * gap_y + 2

    def origin(step_id: str) -> tuple[int, int]:
        column, row = placed[step_id]
        return 1 + column * (width + gap_x), 1 + row * (height + gap_y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" role="img" aria-label="steps of the agent">',
        '<defs><marker id="wb-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>',
    ]
    for node in nodes:
        x2, y2 = origin(node.id)
        for dep in node.depends_on:
            if dep not in placed:
                continue
            x1, y1 = origin(dep)
            parts.append(
                f'<line x1="{x1 + width}" y1="{y1 + height // 2}" x2="{x2}" '
                f'y2="{y2 + height // 2}" stroke="#888" marker-end="url(#wb-arrow)"/>'
            )
    for node in nodes:
        x, y = origin(node.id)
        colour = (
            STATUS_COLOURS.get(node.status, "#757575")
            if node.status
            else KIND_COLOURS.get(node.kind, "#757575")
        )
        models = ", ".join(node.models)
        caption = node.status.lower() if node.status else node.kind.replace("_", " ")
        parts.append(
            f"<g><title>{esc(node.id)} ({esc(node.kind)}): {esc(models)}</title>"
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" fill="#fff" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{x + 8}" y="{y + 18}" font-size="13" font-family="sans-serif" '
            f'font-weight="bold" fill="#222">{esc(_shorten(node.id, 20))}</text>'
            f'<text x="{x + 8}" y="{y + 36}" font-size="11" font-family="sans-serif" '
            f'fill="{colour}">{esc(_shorten(caption + " · " + models, 26))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def spec_nodes(spec: AgentSpec) -> list[Node]:
    dependencies = spec.dependencies()
    return [
        Node(
            step.id,
            step.kind,
            dependencies.get(step.id, ()),
            _models(spec, step),
        )
        for step in spec.substeps
    ]


def _models(spec: AgentSpec, step: Any) -> tuple[str, ...]:
    """The models a step calls, each once (a feedback loop's judge is often its drafter)."""
    return tuple(dict.fromkeys(m for m in step.model_refs(spec.defaults).values() if m))


# ---- specs, projects, executions ---------------------------------------------------------------


def spec_html(spec: AgentSpec, *, title: str | None = None, description: str | None = None) -> str:
    """An agent spec: its name, inputs, DAG and steps."""
    heading = esc(title or f"agent spec {spec.name}")
    about = description or spec.description
    inputs = _table(
        ["input", "type", "default", "description"],
        [
            [
                f"<code>{esc(name)}</code>",
                esc(item.type),
                esc(item.default) if item.default is not None else "<i>required</i>",
                esc(item.description),
            ]
            for name, item in spec.inputs.items()
        ],
    )
    dependencies = spec.dependencies()
    steps = _table(
        ["step", "kind", "model", "after", "prompt"],
        [
            [
                f"<code>{esc(step.id)}</code>",
                esc(step.kind),
                esc(", ".join(_models(spec, step))),
                esc(", ".join(dependencies.get(step.id, ()))),
                f'<pre style="{_PRE}">{esc(_shorten(step.prompt, PROMPT_PREVIEW_CHARS))}</pre>',
            ]
            for step in spec.substeps
        ],
    )
    return (
        f'<div style="{_BOX}"><b>{heading}</b>'
        + (f"<div>{esc(about)}</div>" if about else "")
        + (inputs if spec.inputs else "")
        + f"<div>{dag_svg(spec_nodes(spec))}</div>{steps}</div>"
    )


def project_html(project: Project) -> str:
    return (
        f'<div style="{_BOX}"><b>project {esc(project.name)}</b> '
        f'<span style="color:#757575">{esc(str(project.id))}</span>'
        + (f"<div>{esc(project.description)}</div>" if project.description else "")
        + "</div>"
    )


def execution_nodes(execution: Execution) -> list[Node]:
    if execution.steps:
        return [
            Node(s.step_id, s.kind, tuple(s.depends_on), tuple(s.models), s.status)
            for s in execution.steps
        ]
    if execution.spec:
        from agents.spec import AgentSpec, SpecValidationError

        try:
            spec = AgentSpec.parse(execution.spec)
            return [Node(n.id, n.kind, n.depends_on, n.models, "QUEUED") for n in spec_nodes(spec)]
        except SpecValidationError:
            return []
    return []


def execution_html(execution: Execution) -> str:
    """An execution: status and totals, the DAG coloured by step status, each step's output."""
    name = execution.agent_name or "execution"
    number = f" #{execution.number}" if execution.number is not None else ""
    totals = (
        f"{_number(execution.latency_ms, ' ms')} · "
        f"{_number(execution.input_tokens)} in / {_number(execution.output_tokens)} out tokens · "
        f"{_cost(execution.cost_usd)}"
    )
    inputs = ", ".join(f"{k}={_shorten(_text_of(v), 60)}" for k, v in execution.inputs.items())
    rows = []
    for step in execution.steps:
        detail = _output_block(step.output)
        if step.error:
            detail += f'<div style="color:#c62828">{esc(step.error)}</div>'
        rows.append(
            [
                f"<code>{esc(step.step_id)}</code>",
                _badge(step.status),
                esc(", ".join(step.models)),
                esc(_number(step.latency_ms, " ms")),
                esc(f"{_number(step.input_tokens)} / {_number(step.output_tokens)}"),
                esc(_cost(step.cost_usd)),
                detail,
            ]
        )
    steps = _table(["step", "status", "models", "latency", "tokens in/out", "cost", "output"], rows)
    error = f'<div style="color:#c62828">{esc(execution.error)}</div>' if execution.error else ""
    return (
        f'<div style="{_BOX}"><b>{esc(name)}{esc(number)}</b> {_badge(execution.status)} '
        f'<span style="color:#555">{esc(totals)}</span>'
        + (f'<div style="color:#555">inputs: {esc(inputs)}</div>' if inputs else "")
        + error
        + f"<div>{dag_svg(execution_nodes(execution))}</div>"
        + (steps if execution.steps else "")
        + "</div>"
    )


def comparison_html(comparison: ModelComparison) -> str:
    """The models' answers side by side, each with its latency, tokens and cost."""
    frame = comparison.frame
    cards = []
    for _, row in frame.iterrows():
        body = _output_block(_plain(row.get("output")))
        error = _plain(row.get("error"))
        if error:
            body += f'<div style="color:#c62828">{esc(error)}</div>'
        metrics = (
            f"{_number(_plain(row.get('latency_ms')), ' ms')} · "
            f"{_number(_plain(row.get('output_tokens')))} tokens · "
            f"{_cost(_plain(row.get('cost_usd')))}"
        )
        cards.append(
            '<div style="flex:1 1 220px;min-width:220px;border:1px solid #ddd;border-radius:6px;'
            f'padding:6px"><b>{esc(row["model"])}</b>'
            f'<div style="color:#555;font-size:11px">{esc(metrics)}</div>{body}</div>'
        )
    prompt = (
        f'<div style="color:#555">prompt: {esc(_shorten(comparison.prompt, 300))}</div>'
        if comparison.prompt
        else ""
    )
    return (
        f'<div style="{_BOX}"><b>{esc(comparison.title)}</b>{prompt}'
        f'<div style="display:flex;gap:8px;flex-wrap:wrap">{"".join(cards)}</div></div>'
    )


def _plain(value: Any) -> Any:
    """A pandas/numpy scalar as a Python one; missing (None, NaN, NA) as None."""
    import pandas as pd

    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def register_formatters() -> bool:
    """Show `AgentSpec` objects as HTML in the running IPython, if any; whether it did."""
    ipython = sys.modules.get("IPython")  # loaded already whenever IPython is running
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    if shell is None:
        return False
    from agents.spec import AgentSpec

    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(AgentSpec, lambda spec: spec_html(spec))
    return True
