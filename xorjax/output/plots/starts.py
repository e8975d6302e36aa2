"""Pictures of many starts: how often each setting ends how, what the solutions look like, where training
goes from a grid of starts, and the success rate over a multirun's shapes x learning rates.

NumPy and matplotlib, drawn after the sweep from the numbers it kept (``solutions``' planes too: its caller
computes them, by ``network.surface_grid``).
"""

from pathlib import Path

import numpy as np

from xorjax.core import data
from xorjax.output.plots import COLORS, figure, save
from xorjax.output.plots.network import LIMITS


def outcome_shares(path, labels: list[str], outcomes: list[dict], statuses) -> Path:
    """One horizontal bar per setting, split into the share of every outcome."""
    shares = np.array([[o.get(s, 0) for s in statuses] for o in outcomes], float)
    shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1)
    height = 1.6 + 0.4 * len(labels)  # inches: title, axis and legend take a fixed band, each bar 0.4
    with figure(figsize=(9, height)) as (fig, ax):
        fig.subplots_adjust(left=0.22, right=0.97, top=1 - 0.4 / height, bottom=0.95 / height)
        left = np.zeros(len(labels))
        for k, s in enumerate(statuses):
            ax.barh(labels, shares[:, k], left=left, color=COLORS[s], label=s, edgecolor="white", lw=0.5)
            for i, v in enumerate(shares[:, k]):
                if v >= 0.06:
                    ax.text(left[i] + v / 2, i, f"{100 * v:.0f}%", ha="center", va="center", fontsize=8, color="white")
            left += shares[:, k]
        ax.set(xlim=(0, 1), xlabel="share of starts", title="How the starts ended, per setting")
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        fig.legend(*ax.get_legend_handles_labels(), ncol=len(statuses), loc="lower center", fontsize=8)
        return save(fig, path, tight=False)


def solutions(path, rows: list[dict]) -> Path:
    """The most common solutions (a sweep's mechanisms, each by its reduced net): yhat over the input plane with
    its 0.5 line (solid), each first-layer hidden unit's line w1 x1 + w2 x2 + b = 0 where it switches (dashed), and
    the four patterns. ``rows``: dicts with ``title`` and ``panels``, dicts with ``weights``, ``surface`` (its
    ``surface_grid``, computed by the caller: a painter's helper draws without loading JAX), ``title`` and
    optionally ``units``, the hidden units whose lines are drawn (all by default: a removed unit has none)."""
    from matplotlib.lines import Line2D

    cols = max(len(r["panels"]) for r in rows)
    width, band, row_height = 1.2 + 3.4 * cols, 0.8, 3.9
    height = band + row_height * len(rows)
    with figure(figsize=(width, height)) as (fig, ax):
        ax.remove()  # laid out as sub-figures: a band for the title and key, then one per class
        top, *subs = fig.subfigures(len(rows) + 1, 1, height_ratios=[band] + [row_height] * len(rows))
        top.suptitle(
            "The most common mechanisms found, each drawn as its reduced net", fontweight="bold", fontsize=11, y=0.97
        )
        key = [
            Line2D([], [], color="black", lw=1.5, label="ŷ = 0.5 (the output's line)"),
            Line2D([], [], color="#2d3748", lw=1, ls="--", label="each essential hidden unit's line"),
            Line2D([], [], marker="o", ls="none", color=COLORS["0"], label="XOR = 0"),
            Line2D([], [], marker="s", ls="none", color=COLORS["1"], label="XOR = 1"),
        ]
        top.legend(handles=key, loc="lower center", ncol=4, fontsize=9, bbox_to_anchor=(0.5, 0.0))
        for sub, row in zip(subs, rows):
            sub.suptitle(row["title"], fontsize=10, fontweight="bold", y=0.99)
            axes = sub.subplots(1, cols, squeeze=False)[0]
            sub.subplots_adjust(left=0.6 / width, right=1 - 1.0 / width, bottom=0.12, top=0.80, wspace=0.35)
            for ax in axes[len(row["panels"]) :]:
                ax.set_visible(False)
            for ax, rep in zip(axes, row["panels"]):
                xs, yhat = rep["surface"]
                im = ax.imshow(
                    yhat, origin="lower", extent=(*LIMITS, *LIMITS), vmin=0, vmax=1, cmap="RdBu_r", alpha=0.75
                )
                ax.contour(xs, xs, yhat, levels=[0.5], colors="black", linewidths=1.5)
                W1, b1 = np.asarray(rep["weights"]["W1"], float), np.asarray(rep["weights"]["b1"], float)
                for j in rep.get("units", range(W1.shape[1])):  # the unit's line, where its pre-activation is 0
                    w, b = W1[:, j], b1[j]
                    if abs(w[1]) > 1e-9:
                        ax.plot(xs, -(w[0] * xs + b) / w[1], ls="--", lw=1, color="#2d3748")
                    elif abs(w[0]) > 1e-9:
                        ax.axvline(-b / w[0], ls="--", lw=1, color="#2d3748")
                for cls, marker in (("0", "o"), ("1", "s")):
                    m = (data.Y > 0.5) == (cls == "1")
                    ax.scatter(
                        data.X[m, 0], data.X[m, 1], s=60, marker=marker, c=COLORS[cls], edgecolors="white", zorder=3
                    )
                ax.set(xlim=LIMITS, ylim=LIMITS, xlabel="x1", ylabel="x2", aspect="equal", xticks=[0, 1], yticks=[0, 1])
                ax.set_title(rep["title"], fontsize=8.5, fontweight="normal")
                ax.grid(False)
        # One colour bar for every panel, at the right, as tall as the rows.
        cax = fig.add_axes(
            [1 - 0.75 / width, 0.12 * row_height / height, 0.18 / width, 1 - (band + 0.25 * row_height) / height]
        )
        fig.colorbar(im, cax=cax, label="ŷ (network output)")
        return save(fig, path, tight=False)


def heatmap(
    path,
    rows: list[str],
    cols: list[str],
    values: np.ndarray,
    title: str,
    xlabel: str = "learning rate",
    ylabel: str = "hidden",
) -> Path:
    """Success rate (0..1) over rows x cols; a missing cell (NaN) is left blank."""
    values = np.asarray(values, float)
    # At least as wide as its title: two learning rates alone would cut it.
    with figure(figsize=(max(1.6 + 1.1 * len(cols), 0.5 + 0.09 * len(title)), 1.3 + 0.55 * len(rows))) as (fig, ax):
        im = ax.imshow(np.ma.masked_invalid(values), vmin=0, vmax=1, cmap="Greens", aspect="auto")
        for i in range(len(rows)):
            for j in range(len(cols)):
                if np.isfinite(values[i, j]):
                    ax.text(
                        j,
                        i,
                        f"{100 * values[i, j]:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="white" if values[i, j] > 0.6 else "black",
                    )
        ax.set_xticks(range(len(cols)), cols)
        ax.set_yticks(range(len(rows)), rows)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="success rate", fraction=0.05)
        return save(fig, path)


def basin(
    path,
    xs,
    ys,
    status: np.ndarray,
    statuses,
    cls: np.ndarray,
    class_names: list[str],
    base: tuple[float, float],
    xlabel: str,
    ylabel: str,
    title: str,
    around: str = "seed 0",
) -> Path:
    """Two maps of the same grid of starts: the outcome of each, and the solution class it reached; a "+" marks
    the base start (``base``: the grid's centre, the start of ``around``).

    ``status`` and ``cls`` are (len(ys), len(xs)); ``cls`` is -1 where the start did not solve XOR."""
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    extent = (xs[0], xs[-1], ys[0], ys[-1])
    palette = ["#3182ce", "#d53f8c", "#b7791f", "#319795", "#6b46c1"]
    # Classes reached by at least 0.5% of the grid get a colour of their own, the rest share a grey.
    shown = [n for i, n in enumerate(class_names[: len(palette)]) if np.mean(cls == i) >= 0.005]
    with figure(1, 2, figsize=(11, 6.2)) as (fig, (a1, a2)):
        fig.subplots_adjust(left=0.07, right=0.98, top=0.87, bottom=0.27, wspace=0.25)
        present = [i for i in range(len(statuses)) if np.any(status == i)]
        a1.imshow(
            status,
            origin="lower",
            extent=extent,
            aspect="auto",
            interpolation="nearest",
            cmap=ListedColormap([COLORS[s] for s in statuses]),
            vmin=-0.5,
            vmax=len(statuses) - 0.5,
        )
        plus = dict(marker="+", color="black", ms=12, mew=2, ls="none")
        base_entry = Line2D([], [], **plus, label=f"the base start ({around})")
        a1.legend(
            handles=[
                Patch(color=COLORS[statuses[i]], label=f"{statuses[i]}  {np.mean(status == i):.1%}") for i in present
            ]
            + [base_entry],
            loc="upper left",
            bbox_to_anchor=(0, -0.12),
            ncol=2,
            fontsize=8,
        )
        a1.set(title="Outcome", xlabel=xlabel, ylabel=ylabel)
        colours = ["#ffffff"] + palette[: len(shown)] + ["#a0aec0"]
        index = np.where(cls < 0, 0, np.where(cls < len(shown), cls + 1, len(shown) + 1))
        a2.imshow(
            index,
            origin="lower",
            extent=extent,
            aspect="auto",
            interpolation="nearest",
            cmap=ListedColormap(colours),
            vmin=-0.5,
            vmax=len(colours) - 0.5,
        )
        handles = [Patch(color=palette[i], label=f"{n}  {np.mean(cls == i):.1%}") for i, n in enumerate(shown)]
        if np.any(cls >= len(shown)):
            handles.append(Patch(color="#a0aec0", label=f"other classes  {np.mean(cls >= len(shown)):.1%}"))
        handles.append(Patch(facecolor="#ffffff", edgecolor="#a0aec0", label=f"not solved  {np.mean(cls < 0):.1%}"))
        a2.legend(handles=handles + [base_entry], loc="upper left", bbox_to_anchor=(0, -0.12), ncol=1, fontsize=8)
        a2.set(title="Solution class (symmetry class of the gates found)", xlabel=xlabel, ylabel=ylabel)
        for ax in (a1, a2):
            ax.plot(*base, **plus)
            ax.grid(False)
        fig.suptitle(title, fontweight="bold")
        return save(fig, path, tight=False)


def landscape(path, rows: list[dict], span: float) -> Path:
    """One row per start (``rows``: dicts with ``status``, ``title`` and ``curvature.slices``' data): the cost
    along the smallest eigen-direction of the Hessian at its final point, over the plane of the two smallest,
    and along the ray of its weights scaled by r (a plateau's cost keeps falling as r grows)."""
    height = 0.9 + 3.0 * len(rows)
    with figure(len(rows), 3, figsize=(15, height), squeeze=False, gridspec_kw={"width_ratios": [1.2, 1, 1]}) as (
        fig,
        axes,
    ):
        fig.subplots_adjust(left=0.06, right=0.97, top=1 - 0.9 / height, bottom=0.5 / height, hspace=0.6, wspace=0.3)
        for (left, middle, right), row in zip(axes, rows):
            color = COLORS.get(row["status"], "#4a5568")
            mid = len(row["t"]) // 2  # t = 0 and r = 1: the point itself (curvature.slices)
            left.plot(row["t"], row["line"], color=color, lw=2)
            left.plot([0], [row["line"][mid]], "o", color="black", ms=5, label="where training stopped")
            left.set(xlabel="t along v1, the eigenvector of the smallest eigenvalue", ylabel="cost")
            left.set_title(row["title"], loc="left", fontsize=10)
            left.legend(loc="best", fontsize=8)
            im = middle.imshow(
                row["grid"].T, origin="lower", extent=(-span, span, -span, span), aspect="auto", cmap="viridis"
            )
            axis = np.linspace(-span, span, row["grid"].shape[0])
            middle.contour(axis, axis, row["grid"].T, levels=12, colors="white", linewidths=0.5, alpha=0.7)
            middle.plot([0], [0], "o", color="black", ms=5, mec="white")
            middle.set(xlabel="along v1", ylabel="along v2 (second smallest)")
            middle.grid(False)
            fig.colorbar(im, ax=middle, label="cost")
            right.plot(row["r"], row["ray"], color=color, lw=2)
            right.plot([1], [row["ray"][mid]], "o", color="black", ms=5)
            right.set(xscale="log", xlabel="r: every weight times r (r = 1 where it stopped)", ylabel="cost")
        fig.suptitle(
            "The cost around where training stopped, one start of each outcome: along the flattest direction, "
            "over the two flattest, and with the weights scaled",
            fontweight="bold",
        )
        return save(fig, path, tight=False)
