"""The picture of an agent's substep DAG: steps left to right in dependency order.

In the editor a step's colour says its kind; in the execution view it says its status (queued,
running, done, failed) and fills in live: `DagPicture.show_statuses` patches the colours of the
figure the browser already has, instead of sending a new figure for every event. Step ids are
identifiers and model names are shown by Bokeh as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import panel as pn
from bokeh.models import Arrow, ColumnDataSource, HoverTool, LabelSet, VeeHead
from bokeh.plotting import figure

from workbench.i18n import Translator
from workbench.panels.visuals import status_colour

KIND_COLOURS = {"prompt": "#1f77b4", "compare": "#7b1fa2", "feedback_loop": "#00897b"}
ROW_HEIGHT_PX = 90


@dataclass(frozen=True)
class DagStep:
    id: str
    kind: str = "prompt"
    depends_on: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


def positions(steps: Sequence[DagStep]) -> dict[str, tuple[float, float]]:
    """x: how many steps lie before it on its longest path; y: spread within that column."""
    by_id = {step.id: step for step in steps}
    depth: dict[str, int] = {}

    def depth_of(step_id: str, visiting: frozenset[str] = frozenset()) -> int:
        if step_id in depth:
            return depth[step_id]
        parents = [d for d in by_id[step_id].depends_on if d in by_id and d not in visiting]
        value = 1 + max((depth_of(p, visiting | {step_id}) for p in parents), default=-1)
        depth[step_id] = value
        return value

    columns: dict[int, list[str]] = {}
    for step in steps:
        columns.setdefault(depth_of(step.id), []).append(step.id)
    placed = {}
    for x, ids in columns.items():
        for row, step_id in enumerate(ids):
            placed[step_id] = (float(x), (len(ids) - 1) / 2 - row)
    return placed


class DagPicture:
    """One Bokeh figure of the DAG; colours change in place."""

    def __init__(self, steps: Sequence[DagStep], t: Translator) -> None:
        self._t = t
        self._steps = list(steps)
        placed = positions(self._steps)
        self.nodes = ColumnDataSource(
            {
                "x": [placed[s.id][0] for s in self._steps],
                "y": [placed[s.id][1] for s in self._steps],
                "id": [s.id for s in self._steps],
                "kind": [t(f"agent.kind.{s.kind}") for s in self._steps],
                "models": [", ".join(s.models) for s in self._steps],
                "state": ["" for _ in self._steps],
                "colour": [KIND_COLOURS.get(s.kind, "#607d8b") for s in self._steps],
            }
        )
        edges = [
            (placed[d], placed[s.id]) for s in self._steps for d in s.depends_on if d in placed
        ]
        columns = max((x for x, _ in placed.values()), default=0) + 1
        rows = max(
            (sum(1 for p in placed.values() if p[0] == x) for x, _ in placed.values()), default=1
        )
        plot = figure(
            height=max(170, ROW_HEIGHT_PX * rows + 40),
            sizing_mode="stretch_width",
            x_range=(-0.6, columns - 0.4),
            y_range=(-rows / 2 - 0.35, rows / 2 + 0.2),
            toolbar_location=None,
            tools="",
            outline_line_color=None,
        )
        plot.axis.visible = False
        plot.grid.visible = False
        radius = 0.12
        plot.add_layout(
            Arrow(
                end=VeeHead(size=9, fill_color="#90a4ae", line_color="#90a4ae"),
                line_color="#90a4ae",
                line_width=2,
                source=ColumnDataSource(
                    {
                        "x0": [a[0] + radius for a, _ in edges],
                        "y0": [a[1] for a, _ in edges],
                        "x1": [b[0] - radius for _, b in edges],
                        "y1": [b[1] for _, b in edges],
                    }
                ),
                x_start="x0",
                y_start="y0",
                x_end="x1",
                y_end="y1",
            )
        )
        nodes = plot.scatter(
            "x", "y", source=self.nodes, size=34, fill_color="colour", line_color="white"
        )
        plot.add_layout(
            LabelSet(
                x="x",
                y="y",
                text="id",
                source=self.nodes,
                y_offset=-30,
                text_align="center",
                text_font_size="10pt",
                text_color="#263238",
            )
        )
        plot.add_tools(
            HoverTool(
                renderers=[nodes],
                tooltips=[
                    (t("agent.step"), "@id"),
                    (t("agent.step_kind"), "@kind"),
                    (t("chat.models"), "@models"),
                    (t("common.status"), "@state"),
                ],
            )
        )
        self.figure = plot
        self.pane = pn.pane.Bokeh(plot, sizing_mode="stretch_width")

    def show_statuses(self, statuses: Mapping[str, str]) -> None:
        """Colour each step by its status (step id -> status); unknown steps keep theirs."""
        colours, states = list(self.nodes.data["colour"]), list(self.nodes.data["state"])
        changes: dict[str, list[tuple[int, str]]] = {"colour": [], "state": []}
        for index, step in enumerate(self._steps):
            status = statuses.get(step.id)
            if status is None:
                continue
            colour, state = status_colour(status), self._t(f"status.{status}")
            if colours[index] != colour:
                changes["colour"].append((index, colour))
            if states[index] != state:
                changes["state"].append((index, state))
        changes = {column: patch for column, patch in changes.items() if patch}
        if changes:
            self.nodes.patch(changes)

    @property
    def colours(self) -> dict[str, str]:
        return dict(zip(self.nodes.data["id"], self.nodes.data["colour"], strict=True))


def steps_of_spec(spec) -> list[DagStep]:  # spec: agents.spec.AgentSpec without problems
    dependencies = spec.dependencies()
    return [
        DagStep(
            id=step.id,
            kind=step.kind,
            depends_on=tuple(dependencies.get(step.id, ())),
            models=tuple(m for m in step.model_refs(spec.defaults).values() if m),
        )
        for step in spec.substeps
    ]
