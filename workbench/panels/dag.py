"""The picture of an agent's substep DAG: steps left to right in dependency order.

In the editor a step's colour says its kind; in the execution view it says its status (queued,
running, done, failed) and fills in live: `DagPicture.show_statuses` patches the colours of the
figure the browser already has, instead of sending a new figure for every event. Step ids are
identifiers and model names are shown by Bokeh as text, never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import panel as pn
from bokeh.models import Arrow, ColumnDataSource, HoverTool, LabelSet, Range1d, VeeHead
from bokeh.plotting import figure

from workbench.i18n import Translator
from workbench.panels.visuals import status_colour

KIND_COLOURS = {"prompt": "#1f77b4", "compare": "#7b1fa2", "feedback_loop": "#00897b"}
EDGE_COLOUR = "#90a4ae"

# The picture is drawn in pixels: one data unit is one screen pixel, so a node's border, where
# its edges end, is where the visitor sees it at any page width.
NODE_RADIUS_PX = 17.0
COLUMN_GAP_PX = 130.0  # centre to centre, unless the step ids need more
ROW_GAP_PX = 78.0
LABEL_GAP_PX = 4.0  # between a node and its step id below it
LABEL_HEIGHT_PX = 16.0
LABEL_CHAR_PX = 7.5  # a generous width of one character of a 10pt step id
MARGIN_PX = 12.0


@dataclass(frozen=True)
class DagStep:
    id: str
    kind: str = "prompt"
    depends_on: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodePlace:
    """A step's circle (centre and radius) and the box it takes with its label below it."""

    x: float
    y: float
    radius: float
    label_width: float

    @property
    def left(self) -> float:
        return self.x - max(self.radius, self.label_width / 2)

    @property
    def right(self) -> float:
        return self.x + max(self.radius, self.label_width / 2)

    @property
    def top(self) -> float:
        return self.y + self.radius

    @property
    def bottom(self) -> float:
        return self.y - self.radius - LABEL_GAP_PX - LABEL_HEIGHT_PX


@dataclass(frozen=True)
class EdgePlace:
    """A dependency arrow from border to border: `source` is needed by `target`."""

    source: str
    target: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class DagLayout:
    """Where everything goes, in pixels with y pointing up; the canvas is `width` × `height`."""

    nodes: dict[str, NodePlace]
    edges: tuple[EdgePlace, ...]
    width: float
    height: float


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


def layout(steps: Sequence[DagStep]) -> DagLayout:
    """The picture of `steps` in pixels: columns by dependency depth, the canvas fitted to it."""
    grid = positions(steps)
    if not grid:
        return DagLayout({}, (), 2 * MARGIN_PX, 2 * MARGIN_PX)
    label_widths = {s.id: len(s.id) * LABEL_CHAR_PX for s in steps}
    column_gap = max(COLUMN_GAP_PX, max(label_widths.values()) + 2 * MARGIN_PX)
    nodes = {
        step_id: NodePlace(
            x=column * column_gap, y=row * ROW_GAP_PX, radius=NODE_RADIUS_PX,
            label_width=label_widths[step_id],
        )
        for step_id, (column, row) in grid.items()
    }  # fmt: skip
    # Shift everything so the graph's bounds start one margin in from the canvas's corner.
    dx = MARGIN_PX - min(n.left for n in nodes.values())
    dy = MARGIN_PX - min(n.bottom for n in nodes.values())
    nodes = {i: NodePlace(n.x + dx, n.y + dy, n.radius, n.label_width) for i, n in nodes.items()}
    edges = tuple(
        _edge(dependency, step.id, nodes[dependency], nodes[step.id])
        for step in steps
        for dependency in step.depends_on
        if dependency in nodes and step.id in nodes and dependency != step.id
    )
    width = max(n.right for n in nodes.values()) + MARGIN_PX
    height = max(n.top for n in nodes.values()) + MARGIN_PX
    return DagLayout(nodes, edges, width, height)


def _edge(source: str, target: str, a: NodePlace, b: NodePlace) -> EdgePlace:
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    return EdgePlace(
        source,
        target,
        a.x + a.radius * ux,
        a.y + a.radius * uy,
        b.x - b.radius * ux,
        b.y - b.radius * uy,
    )


class DagPicture:
    """One Bokeh figure of the DAG, sized to it; colours change in place."""

    def __init__(self, steps: Sequence[DagStep], t: Translator) -> None:
        self._t = t
        self._steps = list(steps)
        self.layout = placed = layout(self._steps)
        self.nodes = ColumnDataSource(
            {
                "x": [placed.nodes[s.id].x for s in self._steps],
                "y": [placed.nodes[s.id].y for s in self._steps],
                "id": [s.id for s in self._steps],
                "kind": [t(f"agent.kind.{s.kind}") for s in self._steps],
                "models": [", ".join(s.models) for s in self._steps],
                "state": ["" for _ in self._steps],
                "colour": [KIND_COLOURS.get(s.kind, "#607d8b") for s in self._steps],
            }
        )
        width, height = math.ceil(placed.width), math.ceil(placed.height)
        plot = figure(
            width=width,
            height=height,
            frame_width=width,
            frame_height=height,
            sizing_mode="fixed",
            x_range=Range1d(0, width),
            y_range=Range1d(0, height),
            min_border=0,
            toolbar_location=None,
            tools="",
            outline_line_color=None,
        )
        plot.axis.visible = False
        plot.grid.visible = False
        plot.add_layout(
            Arrow(
                end=VeeHead(size=9, fill_color=EDGE_COLOUR, line_color=EDGE_COLOUR),
                line_color=EDGE_COLOUR,
                line_width=2,
                source=ColumnDataSource(
                    {
                        "x0": [e.x0 for e in placed.edges],
                        "y0": [e.y0 for e in placed.edges],
                        "x1": [e.x1 for e in placed.edges],
                        "y1": [e.y1 for e in placed.edges],
                    }
                ),
                x_start="x0",
                y_start="y0",
                x_end="x1",
                y_end="y1",
            )
        )
        nodes = plot.circle(
            "x",
            "y",
            radius=NODE_RADIUS_PX,
            source=self.nodes,
            fill_color="colour",
            line_color=None,  # no outline: the fill's edge is the border the arrows touch
        )
        plot.add_layout(
            LabelSet(
                x="x",
                y="y",
                text="id",
                source=self.nodes,
                y_offset=-(NODE_RADIUS_PX + LABEL_GAP_PX),
                text_align="center",
                text_baseline="top",
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
        self.pane = pn.pane.Bokeh(plot, sizing_mode="fixed")

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
