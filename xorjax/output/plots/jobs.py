"""A multirun's runs side by side: each job's final cost, coloured by how its training ended; and the groups of
runs that differ only in their seed, each group's success rate with its 95% interval."""

import math

from xorjax.output.plots import COLORS, figure, save

MAX_LABEL = 48  # characters of a job's settings shown beside its bar; the table in summary.md has them all


def final_costs(path, labels: list[str], costs: list, statuses: list[str]):
    """One bar per job (log scale, since costs span decades); a cost that is not finite (diverged) is a
    cross at the right edge. Reads the same for 2 jobs or 60: the height grows with the jobs."""
    from matplotlib.patches import Patch

    finite = [c for c in costs if c is not None and math.isfinite(c) and c > 0]
    low, high = (min(finite), max(finite)) if finite else (1e-3, 1.0)
    edge = high * 3
    with figure(figsize=(8, 1.6 + 0.3 * len(labels))) as (fig, ax):
        for i, (cost, status) in enumerate(zip(costs, statuses)):
            colour = COLORS.get(status, COLORS["unsolved"])
            if cost is not None and math.isfinite(cost) and cost > 0:
                ax.barh(i, cost, left=low / 3, color=colour)
            else:
                ax.plot([edge], [i], marker="x", color=colour, markersize=9)
        ax.set_xscale("log")
        ax.set_xlim(low / 3, edge * 1.5)
        ax.set_yticks(
            range(len(labels)), [t if len(t) <= MAX_LABEL else t[: MAX_LABEL - 1] + "…" for t in labels], fontsize=8
        )
        ax.set_ylim(len(labels) - 0.5, -0.5)  # job 0 at the top, as in summary.md
        ax.set_xlabel("final cost (log scale)")
        ax.grid(axis="y", visible=False)
        shown = list(dict.fromkeys(statuses))
        ax.legend(
            handles=[Patch(color=COLORS.get(s, COLORS["unsolved"]), label=s) for s in shown],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
        )
        ax.set_title(f"Final cost of each of {len(labels)} runs, by status", loc="left")
        return save(fig, path)


def group_rates(path, labels: list[str], rates: list[float], intervals: list[tuple[float, float]], runs: list[int]):
    """One row per group of runs (every setting but the seed): its success rate as a dot, its 95% Wilson interval
    as a bar, and the number of runs beside it."""
    with figure(figsize=(8, 1.6 + 0.35 * len(labels))) as (fig, ax):
        for i, (rate, (lo, hi), n) in enumerate(zip(rates, intervals, runs)):
            ax.plot([lo, hi], [i, i], color=COLORS["solved"], linewidth=3, alpha=0.5)
            ax.plot([rate], [i], marker="o", color=COLORS["solved"])
            ax.annotate(f"{rate:.0%} of {n}", (1.02, i), va="center", fontsize=8, annotation_clip=False)
        ax.set_xlim(0, 1)
        ax.set_yticks(
            range(len(labels)), [t if len(t) <= MAX_LABEL else t[: MAX_LABEL - 1] + "…" for t in labels], fontsize=8
        )
        ax.set_ylim(len(labels) - 0.5, -0.5)  # the first group at the top, as in summary.md
        ax.set_xlabel("success rate (dot) and its 95% Wilson interval (bar)")
        ax.grid(axis="y", visible=False)
        ax.set_title(f"Success rate of {len(labels)} groups (runs alike but their seed)", loc="left")
        return save(fig, path)
