"""The sweep's pictures: the outcomes of every setting (outcomes.png), and which solutions to draw as reduced nets
(solutions.png)."""

import textwrap
from collections.abc import Callable
from pathlib import Path

from xorjax.config import Config
from xorjax.core import mechanism
from xorjax.output import io
from xorjax.output.plots import network

PICTURED_MECHANISMS = 6  # solutions.png: the most common mechanisms, each by its representative's reduced net,
PICTURED_PER_ROW = 3  # this many to a row
SURFACE_POINTS = 121  # each panel's plane: this many points a side


def draw(cfg: Config, atlas: dict, out: Path, painter=None) -> Callable[[], list[str]]:
    """Starts drawing outcomes.png and solutions.png (by ``painter``'s helpers when given, see ``plots.painter``);
    returns the function that waits for them and returns one-line notes on those that could not be drawn."""
    labels = [f"h={c['hidden']} lr={c['lr']:g} s={c['init_scale']:g}" for c in atlas["configs"]]
    outcomes = [c["outcomes"] for c in atlas["configs"]]
    jobs = {"outcomes": ("starts.outcome_shares", dict(labels=labels, outcomes=outcomes, statuses=atlas["statuses"]))}
    rows = pictured(atlas)
    if rows:
        for row in rows:
            for panel in row["panels"]:
                kept = panel.pop("kept")
                weights = io.read_weights(out / panel.pop("file"))
                flat = [j in k for k, width in zip(kept, cfg.model.hidden) for j in range(width)]
                panel["weights"] = mechanism.explain(weights, cfg.model.activation, flat)["reduced"]
                panel["surface"] = network.surface_grid(panel["weights"], cfg.model.activation, SURFACE_POINTS)
                panel["units"] = kept[0]
        jobs["solutions"] = ("starts.solutions", dict(rows=rows))
    drawn = network.draw_later(out, jobs, painter)
    return lambda: drawn()[1]


def pictured(atlas: dict) -> list[dict]:
    """solutions.png's rows: the ``PICTURED_MECHANISMS`` most common mechanisms over the sweep's settings,
    ``PICTURED_PER_ROW`` to a row, each drawn by its representative (the lowest seed of the setting where it is
    most frequent) as its reduced net, titled with its share of all the solutions. Each panel: ``file`` (the
    weights), ``kept`` (its essential units) and ``title``."""
    by = {}
    for c in atlas["configs"]:
        for m in c.get("mechanisms", []):
            by.setdefault(m["mechanism"], []).append((c, m))
    total = sum(m["count"] for found in by.values() for _, m in found)
    count = {k: sum(m["count"] for _, m in found) for k, found in by.items()}
    several = len(atlas["configs"]) > 1
    panels = []
    for name in sorted(by, key=lambda k: (-count[k], k)):
        drawn = [(c, m) for c, m in sorted(by[name], key=lambda cm: -cm[1]["count"]) if m["weights"]]
        if not drawn:
            continue
        c, m = drawn[0]
        units = "-".join(map(str, m["units"]))
        panels.append(
            {
                "file": m["weights"],
                "kept": m["kept"],
                "title": textwrap.fill(name.replace(" -> ", " → "), 46)
                + f"\n{count[name] / total:.1%} of the solutions ({count[name]}), {units} units"
                + f"\ne.g. seed {m['seed']}"
                + (f", lr {c['lr']:g}" if several else ""),
            }
        )
        if len(panels) == PICTURED_MECHANISMS:
            break
    rows = []
    for i in range(0, len(panels), PICTURED_PER_ROW):
        shown = panels[i : i + PICTURED_PER_ROW]
        rows.append(
            {
                "title": f"Mechanisms {i + 1}-{i + len(shown)} of {len(by)}: each solution's essential units, "
                "the spare ones removed",
                "panels": shown,
            }
        )
    return rows
