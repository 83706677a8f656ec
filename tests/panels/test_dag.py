"""The DAG picture's geometry: arrows meet the nodes, and the canvas fits the graph."""

from __future__ import annotations

import math

import pytest

from workbench.i18n import Translator
from workbench.panels.dag import MARGIN_PX, DagLayout, DagPicture, DagStep, NodePlace, layout

ONE_STEP = [DagStep("answer")]
CHAIN = [
    DagStep("draft"),
    DagStep("critique", depends_on=("draft",)),
    DagStep("refine", depends_on=("critique",)),
]
FAN_OUT_FAN_IN = [
    DagStep("question"),
    DagStep("openai", depends_on=("question",)),
    DagStep("anthropic", depends_on=("question",)),
    DagStep("gemini", depends_on=("question",)),
    DagStep("judge", kind="compare", depends_on=("openai", "anthropic", "gemini")),
]
GRAPHS = {"one step": ONE_STEP, "chain": CHAIN, "fan-out, fan-in": FAN_OUT_FAN_IN}
TOLERANCE_PX = 1.5


def distance_to_border(x: float, y: float, node: NodePlace) -> float:
    return abs(math.hypot(x - node.x, y - node.y) - node.radius)


def graph_bounds(placed: DagLayout) -> tuple[float, float, float, float]:
    nodes = placed.nodes.values()
    return (
        min(n.left for n in nodes),
        min(n.bottom for n in nodes),
        max(n.right for n in nodes),
        max(n.top for n in nodes),
    )


@pytest.mark.parametrize("steps", GRAPHS.values(), ids=GRAPHS.keys())
def test_every_arrow_starts_and_ends_on_a_node_border(steps: list[DagStep]) -> None:
    placed = layout(steps)
    assert len(placed.edges) == sum(len(s.depends_on) for s in steps)
    for edge in placed.edges:
        source, target = placed.nodes[edge.source], placed.nodes[edge.target]
        assert distance_to_border(edge.x0, edge.y0, source) <= TOLERANCE_PX, edge
        assert distance_to_border(edge.x1, edge.y1, target) <= TOLERANCE_PX, edge
        # and it points from the needed step towards the step that needs it
        assert edge.x1 > edge.x0


@pytest.mark.parametrize("steps", GRAPHS.values(), ids=GRAPHS.keys())
def test_the_canvas_is_the_graph_plus_a_margin(steps: list[DagStep]) -> None:
    placed = layout(steps)
    left, bottom, right, top = graph_bounds(placed)
    assert left == pytest.approx(MARGIN_PX, abs=TOLERANCE_PX)
    assert bottom == pytest.approx(MARGIN_PX, abs=TOLERANCE_PX)
    assert placed.width == pytest.approx(right + MARGIN_PX, abs=TOLERANCE_PX)
    assert placed.height == pytest.approx(top + MARGIN_PX, abs=TOLERANCE_PX)


def test_one_step_gets_a_small_canvas() -> None:
    placed = layout(ONE_STEP)
    assert placed.width < 120 and placed.height < 100


def test_nodes_do_not_overlap_with_their_labels() -> None:
    placed = layout(FAN_OUT_FAN_IN)
    boxes = list(placed.nodes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a.right <= b.left or b.right <= a.left
            apart = apart or a.top <= b.bottom or b.top <= a.bottom
            assert apart, (a, b)


@pytest.mark.parametrize("steps", GRAPHS.values(), ids=GRAPHS.keys())
def test_the_figure_draws_one_pixel_per_unit(steps: list[DagStep]) -> None:
    picture = DagPicture(steps, Translator("en"))
    plot, placed = picture.figure, picture.layout
    assert (plot.x_range.start, plot.x_range.end) == (0, plot.frame_width)
    assert (plot.y_range.start, plot.y_range.end) == (0, plot.frame_height)
    assert plot.frame_width == math.ceil(placed.width)
    assert plot.frame_height == math.ceil(placed.height)
    assert (plot.width, plot.height) == (plot.frame_width, plot.frame_height)
    assert plot.min_border == 0
    assert plot.sizing_mode == "fixed"
