"""Pictures of one network: how training went, and what the network computes.

- ``history``: cost and accuracy over the steps.
- ``decision_surface``: yhat over the input plane [-0.5, 1.5]^2, its 0.5 contour and the four patterns.
- ``hidden_space``: the four patterns as the output unit sees them (the last hidden layer's outputs), with
  the output unit's decision line; where XOR's four corners become separable by one straight line.
- ``weights_over_training``: every weight and bias along training (lab 9-4's histograms, as lines).

``draw_run`` draws all that a run can show and skips, with a one-line note, whatever it cannot. The drawing
functions take plain numbers and never touch JAX, so ``plots.painter`` can run them in helper processes.
"""

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from xorjax.core import data
from xorjax.errors import WriteError
from xorjax.output.plots import COLORS, figure, room_for_title, save

LIMITS = (-0.5, 1.5)  # the input plane shown around the unit square


def _points(ax, P, Y, bounds=None):
    """The four patterns, coloured and shaped by their XOR target, each named by its input.

    A label sits on its own corner's outer side; near an edge of ``bounds`` ((x0, y0), (x1, y1)) it turns
    inward rather than leave the picture. Patterns the network maps to one point share one label.
    """
    for cls, marker in (("0", "o"), ("1", "s")):
        m = (Y > 0.5) == (cls == "1")
        ax.scatter(
            P[m, 0],
            P[m, 1],
            s=90,
            marker=marker,
            c=COLORS[cls],
            edgecolors="white",
            linewidths=1.5,
            zorder=3,
            label=f"XOR = {cls}",
        )
    (x0, y0), (x1, y1) = bounds if bounds is not None else ((-0.5, -0.5), (1.5, 1.5))
    F = (np.asarray(P, float) - (x0, y0)) / (x1 - x0, y1 - y0)  # where each point sits, as a share of the axes
    done = set()
    for p, x in enumerate(data.X):
        if p in done:
            continue
        group = [q for q in range(len(P)) if q not in done and np.abs(F[q] - F[p]).max() < 0.04]
        done.update(group)
        right, up = bool(x[0]), bool(x[1])
        right = right if 0.2 < F[p, 0] < 0.8 else F[p, 0] <= 0.2
        up = up if 0.15 < F[p, 1] < 0.85 else F[p, 1] <= 0.15
        ax.annotate(
            " ".join(f"({int(data.X[q, 0])},{int(data.X[q, 1])})" for q in group),
            P[p],
            textcoords="offset points",
            fontsize=9,
            zorder=4,
            xytext=(8 if right else -8, 8 if up else -8),
            ha="left" if right else "right",
            va="bottom" if up else "top",
        )


FLAT = 1e-5  # yhat varying less than this over a picture is flat: a 0.5 contour there would only trace round-off


def _decision_line(ax, x, y, z, label: str) -> None:
    """The yhat = 0.5 contour, named in the legend; on a flat surface a note that says so instead (a logistic
    regression on XOR ends at w = 0, b = 0: yhat = 0.5 everywhere, no line at all)."""
    spread = float(z.max() - z.min())
    if spread < FLAT:
        ax.text(
            0.5,
            0.5,
            f"ŷ = {float(np.median(z)):.4f} everywhere\n(it varies by {spread:.0e}: round-off)\n"
            "so there is no ŷ = 0.5 line",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            bbox=dict(boxstyle="round", fc="white", ec="#a0aec0"),
            zorder=5,
        )
    elif z.min() < 0.5 < z.max():
        ax.contour(x, y, z, levels=[0.5], colors="black", linewidths=1.8)
        # Contour sets have no legend entry of their own: a plain line stands in for them.
        ax.plot([], [], color="black", lw=1.8, label=label)


def history(path, steps, loss, accuracy, title: str = "Training: cost and accuracy") -> Path:
    steps, loss, accuracy = np.asarray(steps), np.asarray(loss, float), np.asarray(accuracy, float)
    with figure(1, 2, figsize=(9, 3.6)) as (fig, (a1, a2)):
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.80, wspace=0.25)
        a1.plot(steps, loss, marker="o", ms=3, color=COLORS["1"], label="cost")
        a1.axhline(np.log(2), color=COLORS["plateau"], ls="--", lw=1, label="ln 2 (every ŷ = 0.5)")
        if np.all(np.isfinite(loss)) and np.all(loss > 0) and loss.max() / loss.min() > 20:
            a1.set_yscale("log")
            # Plain numbers: the default 10^k labels go through mathtext, which costs more than the picture.
            a1.yaxis.set_major_formatter(lambda v, _: f"{v:g}")
            a1.yaxis.set_minor_formatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
        a1.set(title="Cost", xlabel="step", ylabel="cost")
        a1.legend()
        a2.step(steps, accuracy, where="post", marker="o", ms=3, color=COLORS["solved"], label="accuracy")
        a2.set(
            title="Accuracy (4 patterns)",
            xlabel="step",
            ylabel="accuracy",
            ylim=(-0.05, 1.05),
            yticks=[0, 0.25, 0.5, 0.75, 1],
        )
        a2.legend(loc="lower right")
        fig.suptitle(title, fontweight="bold")
        return save(fig, path, tight=False)


def surface_grid(params, activation: str = "sigmoid", n: int = 161):
    """yhat on an n x n grid over LIMITS^2: (xs, yhat[n, n]) with yhat[i, j] at (x1, x2) = (xs[j], xs[i])."""
    from xorjax.core import model  # here only: the drawing functions run in processes that never load JAX

    xs = np.linspace(*LIMITS, n, dtype=np.float32)
    g1, g2 = np.meshgrid(xs, xs)
    _, z = _forward(params, activation, np.stack([g1.ravel(), g2.ravel()], axis=1))
    return xs, model.OUTPUT.host(z).reshape(n, n)


def _forward(params, activation: str, *points):
    """The net on ``points`` (P, 2), by default the four patterns, in NumPy and float64 (``mechanism.forward``):
    JAX would trace and compile a program of its own for a picture's numbers, while the pictures wait."""
    from xorjax.core import mechanism  # here only, as in surface_grid

    return mechanism.forward({k: np.asarray(v, np.float64) for k, v in params.items()}, activation, *points)


def decision_surface(path, xs, z, title: str = "Decision surface: ŷ over the input plane") -> Path:
    """``xs, z`` as ``surface_grid`` returns them."""
    with figure(figsize=(5.4, 4.6)) as (fig, ax):
        fig.subplots_adjust(left=0.12, right=0.95, bottom=0.2, top=0.92)
        im = ax.imshow(
            z, extent=(*LIMITS, *LIMITS), origin="lower", vmin=0, vmax=1, alpha=0.75, interpolation="bilinear"
        )
        fig.colorbar(im, ax=ax, label="ŷ (network output)")
        _decision_line(ax, xs, xs, z, "ŷ = 0.5")
        _points(ax, data.X, data.Y)
        ticks = [-0.5, 0, 0.5, 1, 1.5]
        ax.set(
            title=title, xlabel="x1", ylabel="x2", xlim=LIMITS, ylim=LIMITS, aspect="equal", xticks=ticks, yticks=ticks
        )
        ax.grid(False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
        return save(fig, path, tight=False)


def _output_plane(H, w, b):
    """Coordinates of the hidden vectors H (4, width) in a plane, and the output logit as a*c + a0 there.

    Width 2 is the plane itself; width 1 a line (second coordinate 0); wider layers use the first two
    principal directions of the four points, where the output's logit is exact only within that plane.
    """
    width = H.shape[1]
    if width == 1:
        return np.c_[H[:, 0], np.zeros(len(H))], np.array([w[0], 0.0]), b, ("y1", ""), None
    if width == 2:
        return H, w, b, ("y1 (hidden unit 1)", "y2 (hidden unit 2)"), None
    mean = H.mean(axis=0)
    _, s, Vt = np.linalg.svd(H - mean, full_matrices=False)
    P = Vt[:2].T  # (width, 2)
    share = float((s[:2] ** 2).sum() / max((s**2).sum(), 1e-30))
    return (H - mean) @ P, P.T @ w, b + mean @ w, ("principal direction 1", "principal direction 2"), share


def _hidden_plane(H, w, b, n: int = 121):
    """``_output_plane``, the picture's bounds (lo, hi) around the points, and an n x n grid (g1, g2) there."""
    C, a, a0, labels, share = _output_plane(H, w, b)
    lo, hi = C.min(axis=0), C.max(axis=0)
    pad = np.maximum(0.15 * (hi - lo), 0.15)
    lo, hi = lo - pad, hi + pad
    if H.shape[1] == 1:
        lo[1], hi[1] = -1.0, 1.0
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return C, a, a0, labels, share, lo, hi, g1, g2


def hidden_view(params, activation: str = "sigmoid"):
    """What ``hidden_space`` draws: the last hidden layer's outputs on the four patterns (4, width), the
    output unit's weights (width,) and bias, the layer's number, and ``yhat``, the output unit over the
    picture's plane (computed here by the model's output unit, so that drawing needs no JAX); None without a
    hidden layer."""
    from xorjax.core import model  # here only, as in surface_grid

    L = model.n_layers(params)
    if L < 2:
        return None
    H = _forward(params, activation)[0][-1]
    w, b = np.asarray(params[f"W{L}"], np.float64)[:, 0], float(np.asarray(params[f"b{L}"])[0])
    _, a, a0, *_, g1, g2 = _hidden_plane(H, w, b)
    yhat = model.OUTPUT.host(a[0] * g1 + a[1] * g2 + a0)  # in NumPy: JAX would compile a program for it
    return dict(H=H, w=w, b=b, yhat=yhat, layer=L - 1)


def hidden_space(path, H, w, b, yhat, layer: int = 1, title: str = "Hidden space: what the output unit sees") -> Path:
    """``H, w, b, yhat, layer`` as ``hidden_view`` returns them."""
    C, a, a0, (xl, yl), share, lo, hi, g1, g2 = _hidden_plane(H, w, b, len(yhat))
    z = np.asarray(yhat)
    where = f"hidden layer {layer} of {layer}" if layer > 1 else "the hidden layer"
    with figure(figsize=(5.4, 4.6)) as (fig, ax):
        fig.subplots_adjust(left=0.14, right=0.95, bottom=0.2)
        im = ax.imshow(
            z,
            extent=(lo[0], hi[0], lo[1], hi[1]),
            origin="lower",
            vmin=0,
            vmax=1,
            alpha=0.75,
            aspect="auto",
            interpolation="bilinear",
        )
        fig.colorbar(im, ax=ax, label="ŷ (output unit)")
        _decision_line(ax, g1, g2, z, "output's decision line")
        _points(ax, C, data.Y, bounds=(lo, hi))
        sub = f"{where}, {H.shape[1]} unit{'s' if H.shape[1] > 1 else ''}"
        if share is not None:  # a line of its own: one line would be wider than the picture
            sub += f"\nseen in its principal plane ({100 * share:.0f}% of the spread)"
        room_for_title(fig, ax.set_title(f"{title}\n{sub}", fontsize=10))  # three lines for a wide or deep net
        ax.set(xlabel=xl, ylabel=yl, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
        ax.locator_params(nbins=6)
        if H.shape[1] == 1:
            ax.set_yticks([])
        ax.grid(False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
        return save(fig, path, tight=False)


LINES_MAX = 24  # an array with more values is drawn as bands of percentiles, not one line per value
COLUMNS_MAX = 4  # layers side by side in the weights picture; a deeper net's layers wrap onto more rows


def _bands(ax, steps, v):
    """Many values over training as TensorBoard's distributions do: the median and bands of percentiles."""
    q = np.nanpercentile(v, [0, 10, 25, 50, 75, 90, 100], axis=1)
    for (lo, hi), alpha, label in (((0, 6), 0.15, "min – max"), ((1, 5), 0.25, "10 – 90%"), ((2, 4), 0.4, "25 – 75%")):
        ax.fill_between(steps, q[lo], q[hi], color=COLORS["0"], alpha=alpha, lw=0, label=label)
    ax.plot(steps, q[3], color=COLORS["0"], lw=1.6, label="median")


def weights_over_training(path, steps, weights: dict, title: str = "Weights over training") -> Path:
    """``weights`` as ``Trained.weights``: ``{"W1": (records, in, out), "b1": (records, out), ...}``.

    An array of up to ``LINES_MAX`` values has one line per value (named in a legend up to 8); a larger one is
    drawn as percentile bands, its number of values in its title."""
    steps = np.asarray(steps)
    L = len(weights) // 2
    cols, groups = min(L, COLUMNS_MAX), -(-L // COLUMNS_MAX)
    width, height = 4.2 * cols, 6.2 * groups
    with figure(2 * groups, cols, figsize=(width, height), squeeze=False, sharex=True) as (fig, axes):
        fig.subplots_adjust(
            left=0.85 / width,
            right=1 - 0.15 / width,
            bottom=0.09 * 6.2 / height,
            top=1 - 0.12 * 6.2 / height,
            hspace=0.3,
            wspace=0.3,
        )
        bands = None
        for l in range(1, L + 1):
            group, col = divmod(l - 1, cols)
            for row, kind in enumerate("Wb"):
                ax, name = axes[2 * group + row, col], f"{kind}{l}"
                v = np.asarray(weights[name], float)
                v = v.reshape(len(steps), -1)
                n = v.shape[1]
                what = f"{'weights' if kind == 'W' else 'biases'} of layer {l}"
                if n > LINES_MAX:
                    _bands(ax, steps, v)
                    bands = ax  # its bands are named once, in the figure's corner: on an axes they hide data
                else:
                    for k, ix in enumerate(np.ndindex(*np.shape(weights[name])[1:])):
                        # Counted from 0, as weights.json and sweep.basin.x (W1.0.1 is W1[0][1]) count them.
                        label = name + "".join(f"[{i}]" for i in ix)
                        ax.plot(steps, v[:, k], lw=1.4, marker="." if len(steps) < 30 else None, label=label)
                    if n <= 8:
                        ax.legend(fontsize=8, ncol=2)
                ax.set(
                    title=f"{name} ({what})" if n <= 8 else f"{name} ({what}): {n} values",
                    ylabel="value",
                    xlabel="step" if row == 1 else None,
                )
                if row == 1:  # sharex shows the steps under the last row only; a wrapped net's rows need them
                    ax.tick_params(labelbottom=True)
        for i in range(L, groups * cols):  # the empty places after the last layer
            group, col = divmod(i, cols)
            axes[2 * group, col].set_axis_off()
            axes[2 * group + 1, col].set_axis_off()
        if bands is not None:
            fig.legend(
                *bands.get_legend_handles_labels(),
                loc="upper right",
                ncol=2,
                fontsize=8,
                bbox_to_anchor=(1 - 0.15 / width, 1),
            )
        fig.suptitle(title, fontweight="bold")
        return save(fig, path, tight=False)


def _finite(params) -> bool:
    return all(np.all(np.isfinite(np.asarray(v))) for v in params.values())


def run_jobs(params, activation: str = "sigmoid", steps=None, loss=None, accuracy=None, weights=None):
    """The pictures a run can show, as ``{name: (function name, arguments)}`` holding plain numbers (so a
    helper process can draw them), and one-line notes on those it cannot show."""
    jobs, notes = {}, []
    if steps is not None:
        jobs["history"] = (
            "history",
            dict(steps=np.asarray(steps), loss=np.asarray(loss), accuracy=np.asarray(accuracy)),
        )
    if not _finite(params):
        notes += [
            f"{name}: skipped, the weights are not finite (training diverged)"
            for name in ("decision_surface", "hidden_space")
        ]
    else:
        xs, z = surface_grid(params, activation)
        jobs["decision_surface"] = ("decision_surface", dict(xs=xs, z=z))
        view = hidden_view(params, activation)
        if view is None:
            notes.append("hidden_space: skipped, the model has no hidden layer")
        else:
            jobs["hidden_space"] = ("hidden_space", view)
    if weights is not None and steps is not None:
        jobs["weights"] = (
            "weights_over_training",
            dict(steps=np.asarray(steps), weights={k: np.asarray(v) for k, v in weights.items()}),
        )
    return jobs, notes


def draw(out, jobs: dict, prefix: str = "", painter=None) -> tuple[list[Path], list[str]]:
    """Draws ``jobs`` (from ``run_jobs``) as ``out/<prefix><name>.png``, in ``painter``'s helper processes
    when given; returns (files written, one-line notes on the pictures that failed)."""
    tasks = [(fn, dict(kw, path=str(Path(out) / f"{prefix}{name}.png"))) for name, (fn, kw) in jobs.items()]
    results = painter.draw(tasks) if painter is not None else [call(fn, kw) for fn, kw in tasks]
    files, notes = [], []
    for name, (path, error) in zip(jobs, results):
        if error:
            notes.append(f"{name}: skipped, drawing failed ({error})")
        else:
            files.append(Path(path))
    return files, notes


def draw_later(out, jobs: dict, painter=None) -> Callable[[], tuple[list[Path], list[str]]]:
    """``draw`` started now, by a thread that only waits on the painter's helpers (or draws here when there are
    none), so that this process writes its files meanwhile; returns the function that waits for it."""
    from xorjax.core import devices  # here only: the helpers that draw never load JAX

    return devices.beside(draw, out, jobs, "", painter).result


def cost(fn: str, kwargs: dict) -> int:
    """A picture's drawing time, roughly, in pictures of one axes (an axes' ticks and texts are most of it): the
    weights over training have one axes per array (2-10-10-10-1: 1.1 s, against 0.3-0.5 s for each other one)."""
    return len(kwargs["weights"]) if fn == "weights_over_training" else 1


def call(fn: str, kwargs: dict):
    """One picture, ``fn`` a function of this module or of another picture module (``"starts.solutions"``); a
    picture that fails to draw costs a note, never the run's results: (path, None) or (None, why). One that cannot
    be written (``WriteError``: a full disk, a read-only folder) ends the run as any other file does: the next
    file would fail the same way."""
    module, _, name = fn.rpartition(".")
    try:
        found = importlib.import_module(f"xorjax.output.plots.{module}") if module else sys.modules[__name__]
        return str(getattr(found, name)(**kwargs)), None
    except WriteError:
        raise
    except Exception as e:
        return None, f"{type(e).__name__}: {e}"


def draw_run(
    out, params, activation: str = "sigmoid", steps=None, loss=None, accuracy=None, weights=None, painter=None
) -> tuple[list[Path], list[str]]:
    """Every picture a run can show, into ``out`` (in ``painter``'s helpers when given); returns (files
    written, one-line notes on what was skipped)."""
    jobs, notes = run_jobs(params, activation, steps, loss, accuracy, weights)
    files, failed = draw(out, jobs, painter=painter)
    return files, notes + failed
