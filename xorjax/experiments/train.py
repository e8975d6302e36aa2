"""Lab 9-2: train the network (any hidden sizes) by gradient descent and show what it learned."""

import logging
from pathlib import Path

import numpy as np

from xorjax import config
from xorjax.config import Config
from xorjax.core import data, descent, devices, mechanism, model
from xorjax.output import io, tables, tensorboard
from xorjax.output.plots import network as pictures
from xorjax.output.plots import painter

log = logging.getLogger(__name__)


def check(cfg: Config) -> None:
    if cfg.init.name == "file":
        io.read_weights(cfg.init.path, cfg.model.hidden)


def initial_params(cfg: Config) -> dict:
    """The run's start, in its precision (drawn in float32 either way: ``descent.PRECISIONS``)."""
    if cfg.init.name == "file":
        params = io.read_weights(cfg.init.path, cfg.model.hidden)
    else:
        scale = cfg.init.stddev if cfg.init.name == "normal" else cfg.init.limit
        # A sweep of one start (the same numbers as start i of a sweep, by construction), taken off on the host
        params = descent.init_starts([cfg.seed], cfg.model.hidden, cfg.init.name, scale)
        params = {k: np.asarray(v)[..., 0] for k, v in params.items()}
    return descent.in_precision(params, cfg.precision)


def describe(cfg: Config) -> str:
    opt = cfg.optimizer
    init = {
        "normal": f"N(0, {cfg.init.stddev}^2)",
        "uniform": f"U(-{cfg.init.limit}, {cfg.init.limit})",
        "file": cfg.init.path,
    }[cfg.init.name]
    return (
        f"net 2-{'-'.join(map(str, cfg.model.hidden))}{'-' if cfg.model.hidden else ''}1 "
        f"{cfg.model.activation} | {opt.name} lr={opt.lr} | {cfg.loss} | {cfg.batch} batch | "
        f"{cfg.steps} steps | init {init} | seed {cfg.seed}"
        + (" | gradients by hand (grad=manual)" if cfg.grad == "manual" else "")
        + (f" | {cfg.precision}" if cfg.precision != "float32" else "")
    )


def start_and_predict(cfg: Config) -> dict:
    """The configured start, and ``model.predict`` compiled on it for the report (the final weights have the start's
    shapes): compiled beside the training's program, not after it while the pictures are drawn."""
    params = initial_params(cfg)
    model.predict(params, data.X, cfg.model.activation)
    return params


def fit(cfg: Config, record_weights: bool = False):
    """Trains from the configured start; returns (initial params, final params, per-run result).

    ``record_weights`` also keeps the parameters at every recorded step (``trained.weights``).
    """
    spec = config.train_spec(cfg)._replace(record_weights=record_weights)
    # The start is drawn (its own small program compiled and run) beside the compiling of the training's program,
    # which needs the net's shapes only: on 2 cores, 2-10-10-10-1 trains about half a second sooner.
    start = devices.beside(start_and_predict, cfg)
    program = descent.compile_one(cfg.model.hidden, data.X, data.Y, spec, cfg.precision)
    params = start.result()
    final, trained = descent.train_one(params, cfg.optimizer.lr, data.X, data.Y, spec, program)
    return params, final, trained


def run(cfg: Config, out: Path) -> dict:
    # The painter's helpers load matplotlib while this process trains (see plots.painter).
    with painter.start(None if cfg.logger.plots else 0) as helpers:
        return train_and_report(cfg, out, helpers)


def train_and_report(cfg: Config, out: Path, helpers=None) -> dict:
    """The run itself; ``helpers`` (a ``plots.painter.Painter``) draw its pictures, or this process does."""
    log.info(describe(cfg))
    _, final, trained = fit(cfg, record_weights=cfg.logger.plots or cfg.logger.tensorboard)
    steps = descent.record_steps(cfg.steps, cfg.log_every)
    # The pictures are drawn (by the helpers) while this process reports and writes its files and events.
    pictures_drawn = draw_pictures(cfg, out, steps, final, trained, helpers) if cfg.logger.plots else None
    log.info(
        tables.table(
            ["step", "cost", "accuracy"],
            [[s, tables.cost(l), float(a)] for s, l, a in zip(steps, trained.loss, trained.accuracy)],
        )
    )
    status = descent.STATUSES[int(trained.status)]
    metrics = summarise(cfg, final, trained, status)
    if all(np.all(np.isfinite(v)) for v in final.values()):  # a diverged run's table, too, while it has numbers
        yhat, hidden = model.predict(final, data.X, cfg.model.activation)
        log.info("\n" + tables.truth_table(data.X, hidden, yhat, data.Y))
    log.info(
        f"\naccuracy {metrics['accuracy']}  cost {tables.cost(trained.final_loss)}  status {status}"
        + (f" (first at step {metrics['solved_at']})" if status == "solved" else "")
    )
    if metrics.get("mechanism"):
        log.info(spare_line(metrics))
    if status == "diverged":  # the part of the rule that fired, with its numbers
        log.info(f"diverged: {descent.why_diverged(trained, final, cfg.log_every)} — try a smaller optimizer.lr")
    elif status != "solved":
        log.info(f"{status}: {descent.STATUS_MEANING[status]}")
    log.info(tables.weights(final))
    io.write_json(out / "metrics.json", metrics)
    io.write_json(out / "weights.json", io.weights_to_json(final))
    io.write_history(out / "history.csv", steps, trained.loss, trained.accuracy)
    if cfg.logger.tensorboard:
        write_events(cfg, out, steps, trained, metrics)
    if pictures_drawn is not None:
        for note in pictures_drawn():
            log.info(note)
    log.info(f"\nwrote {out}")
    return metrics


HISTOGRAM_RECORDS = 101  # TensorBoard shows a few hundred histograms per tag at most; more only cost time


def outputs_over_training(weights: dict, activation: str):
    """Each hidden layer's output and yhat on the four patterns at every recorded step."""
    # One call per record reuses the predict the run has compiled already; a vmap would trace and compile
    # a new program, which costs more than the few records it serves.
    outputs = [
        model.predict({k: v[i] for k, v in weights.items()}, data.X, activation)
        for i in range(len(next(iter(weights.values()))))
    ]
    yhat = np.stack([np.asarray(y) for y, _ in outputs])
    return yhat, [np.stack([np.asarray(h[l]) for _, h in outputs]) for l in range(len(outputs[0][1]))]


def draw_pictures(cfg: Config, out: Path, steps, final, trained, helpers=None):
    """Starts drawing the run's pictures; returns a function that waits for them and returns one-line notes
    on those that could not be drawn."""
    jobs, notes = pictures.run_jobs(final, cfg.model.activation, steps, trained.loss, trained.accuracy, trained.weights)
    drawn = pictures.draw_later(out, jobs, helpers)
    return lambda: notes + drawn()[1]


def write_events(cfg: Config, out: Path, steps, trained, metrics: dict) -> None:
    """Lab 9-4's TensorBoard events: cost, accuracy, histograms of every weight and layer output, hparams."""
    keep = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), HISTOGRAM_RECORDS)).round().astype(int))
    weights = {k: np.asarray(v)[keep] for k, v in trained.weights.items()}
    yhat, hidden = outputs_over_training(weights, cfg.model.activation)
    tensorboard.write_run(
        out,
        steps,
        trained.loss,
        trained.accuracy,
        histograms=[int(steps[i]) for i in keep],
        weights=weights,
        layers=hidden,
        yhat=yhat,
        hparams=hparams(cfg, metrics["status"]),
        metrics={
            "final_cost": metrics["final_loss"],
            "accuracy": metrics["accuracy"],
            "solved_at": metrics["solved_at"],
        },
    )


def hparams(cfg: Config, status: str) -> dict:
    """Every setting a multirun can vary, and how the run ended: TensorBoard's HPARAMS tab compares runs by them."""
    scale = {"normal": cfg.init.stddev, "uniform": cfg.init.limit}.get(cfg.init.name, "file")
    return {
        "experiment": cfg.experiment,
        "hidden": str(list(cfg.model.hidden)),
        "activation": cfg.model.activation,
        "loss": cfg.loss,
        "batch": cfg.batch,
        "grad": cfg.grad,
        "optimizer": cfg.optimizer.name,
        "lr": cfg.optimizer.lr,
        "momentum": cfg.optimizer.momentum,
        "init": cfg.init.name,
        "init_scale": scale,
        "seed": cfg.seed,
        "steps": cfg.steps,
        "precision": cfg.precision,
        "status": status,
    }


def spare_line(metrics: dict) -> str:
    """E.g. "mechanism AND + OR -> h2 AND NOT h1: essential units 2 of 3; y2 is spare", the units named as in the
    truth table above it (y1.. for one hidden layer, h<layer>_<unit> for deeper nets; ``kept`` counts from 0)."""
    widths, kept = metrics["hidden"], metrics["kept"]
    name = (lambda l, j: f"h{l}_{j + 1}") if len(widths) > 1 else (lambda l, j: f"y{j + 1}")
    spare = [name(l, j) for l, (w, k) in enumerate(zip(widths, kept), start=1) for j in range(w) if j not in k]
    units = "-".join(str(len(k)) for k in kept) + " of " + "-".join(map(str, widths))
    which = "no unit is spare" if not spare else f"{', '.join(spare)} {'are' if len(spare) > 1 else 'is'} spare"
    return f"mechanism {metrics['mechanism']}: essential units {units}; {which}"


def summarise(cfg: Config, final, trained, status: str) -> dict:
    yhat, _ = model.predict(final, data.X, cfg.model.activation)
    explained = (
        mechanism.explain(final, cfg.model.activation)
        if status == "solved" and cfg.model.hidden and all(np.all(np.isfinite(v)) for v in final.values())
        else None
    )
    found = {} if explained is None or not explained["xor"] else {k: explained[k] for k in ("mechanism", "kept")}
    return {
        "experiment": cfg.experiment,
        "status": status,
        "final_loss": io.finite_or_none(trained.final_loss),
        "accuracy": float(trained.final_accuracy),
        "predictions": [io.finite_or_none(v) for v in np.asarray(yhat)],
        "solved_at": int(trained.solved_at),
        "steps": cfg.steps,
        "seed": cfg.seed,
        "hidden": list(cfg.model.hidden),
        "activation": cfg.model.activation,
        "loss": cfg.loss,
        "optimizer": cfg.optimizer.name,
        "lr": cfg.optimizer.lr,
        "batch": cfg.batch,
        "init": cfg.init.name,
        "grad": cfg.grad,
        "precision": cfg.precision,
        "device": devices.describe(),  # what it computed on (device=auto picks the CPU here)
        # A solved run's mechanism (``core/mechanism``): its essential units per hidden layer, as a sweep names them.
        **found,
    }
