"""A computational graph as the lecture draws it: nodes left to right, each edge carrying the value going
forward (above) and the gradient coming back (below)."""

from pathlib import Path

from xorjax.lessons.graph import Graph, label
from xorjax.output.plots import COLORS, figure, save

DX, DY = 2.0, 1.2  # distance between columns (depth) and between nodes of a column, in data units


def _layout(g: Graph) -> dict:
    """(x, y) per node: x is the node's depth from the inputs; within a column, nodes sit near their inputs."""
    depth = {}
    for n in g.nodes:
        depth[n.name] = 0 if n.op == "input" else 1 + max(depth[a] for a in n.args if isinstance(a, str))
    first_use = {}  # inputs top to bottom in the order the graph first reads them
    for i, n in enumerate(g.nodes):
        for k, a in enumerate(a for a in n.args if isinstance(a, str)):
            first_use.setdefault(a, (i, k))
    pos = {}
    for d in range(max(depth.values()) + 1):
        column = [n for n in g.nodes if depth[n.name] == d]
        if d == 0:
            column.sort(key=lambda n: first_use.get(n.name, (len(g.nodes), 0)))
        else:  # by the mean height of a node's inputs, then spread evenly: few edges cross
            column.sort(
                key=lambda n: (
                    -sum(pos[a][1] for a in n.args if isinstance(a, str)) / sum(1 for a in n.args if isinstance(a, str))
                )
            )
        for i, n in enumerate(column):
            pos[n.name] = (DX * d, DY * ((len(column) - 1) / 2 - i))
    return pos


def _bend(start, end, others) -> float:
    """0 for a straight edge; else how much to bow it (matplotlib's arc3 rad) around a node in its way."""
    (x0, y0), (x1, y1) = start, end
    length2 = (x1 - x0) ** 2 + (y1 - y0) ** 2
    for px, py in others:
        t = ((px - x0) * (x1 - x0) + (py - y0) * (y1 - y0)) / length2
        cross = (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)  # > 0: the node is left of the edge's direction
        if 0 < t < 1 and abs(cross) / length2**0.5 < 0.4:
            return 0.25 if cross >= 0 else -0.25
    return 0.0


def _edge(ax, start, end, value: str, grad: str, others=(), t: float = 0.45) -> None:
    """An arrow with the value it carries forward above it and the gradient it carries back below it."""
    (x0, y0), (x1, y1) = start, end
    rad = _bend(start, end, others)
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle="-|>", color="#4a5568", lw=1.1, shrinkA=14, shrinkB=14, connectionstyle=f"arc3,rad={rad}"
        ),
    )
    # the middle of arc3's curve: half its control point's offset rad·(dy, -dx) from the chord's middle
    x, y = x0 + t * (x1 - x0) + rad * (y1 - y0) / 2, y0 + t * (y1 - y0) - rad * (x1 - x0) / 2
    box = dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85)
    ax.text(
        x, y + 0.06, value, color=COLORS["value"], ha="center", va="bottom", fontsize=9, fontweight="bold", bbox=box
    )
    ax.text(x, y - 0.06, grad, color=COLORS["gradient"], ha="center", va="top", fontsize=9, bbox=box)


def _number(v: float) -> str:
    return f"{v:.4g}"


def draw(g: Graph, title: str, path) -> Path:
    """The graph with every edge's forward value and backward gradient, saved as a PNG at ``path``."""
    pos = _layout(g)
    columns = round(max(x for x, _ in pos.values()) / DX) + 2  # and the output's arrow
    rows = max(sum(1 for p in pos.values() if p[0] == x) for x, _ in pos.values())
    contribution = {}  # x·x reads x twice: one arrow carries both products
    for st in g.steps:
        contribution[st.node, st.arg] = contribution.get((st.node, st.arg), 0.0) + st.product
    value = {n.name: n.value for n in g.nodes}
    with figure(figsize=(max(6.0, 0.8 * (DX * columns + 1)), max(3.0, 0.8 * (DY * rows + 1.5)))) as (fig, ax):
        ax.axis("off")
        for n in g.nodes:
            for a in dict.fromkeys(a for a in n.args if isinstance(a, str)):
                others = [p for k, p in pos.items() if k not in (a, n.name)]
                _edge(ax, pos[a], pos[n.name], _number(value[a]), _number(contribution.get((n.name, a), 0.0)), others)
        out = g.nodes[-1]
        x, y = pos[out.name]
        _edge(ax, (x, y), (x + DX, y), _number(g.output), "1" if out.op != "input" else _number(1.0))
        for n in g.nodes:
            x, y = pos[n.name]
            op = n.op != "input"
            ax.text(
                x,
                y,
                label(n) if op else n.name,
                ha="center",
                va="center",
                fontsize=11,
                bbox=dict(
                    boxstyle="circle,pad=0.3" if op else "round,pad=0.4", fc="white" if op else "#edf2f7", ec="#2d3748"
                ),
            )
            if op:
                ax.text(x, y + 0.38, n.name, ha="center", va="bottom", fontsize=8, color="#4a5568")
        ys = [y for _, y in pos.values()]
        ax.set_xlim(-0.6, DX * (columns - 1) + 0.3)
        ax.set_ylim(min(ys) - 0.7, max(ys) + 0.8)
        ax.set_title(title)
        fig.text(0.01, 0.01, "above an edge: the value it carries forward", color=COLORS["value"], fontsize=8)
        fig.text(
            0.99,
            0.01,
            "below: the gradient ∂f/∂(its source) it carries back, upstream × local",
            color=COLORS["gradient"],
            fontsize=8,
            ha="right",
        )
        return save(fig, path)
