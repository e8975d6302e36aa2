"""Lab 9-2: train the network (any hidden sizes) by gradient descent and show what it learned."""

import logging
from pathlib import Path

import jax
import numpy as np

from xorjax import config, data, io, model, report, train
from xorjax.config import Config

log = logging.getLogger(__name__)


def check(cfg: Config) -> None:
    if cfg.init.name == "file":
        io.read_weights(cfg.init.path, cfg.model.hidden)


def initial_params(cfg: Config) -> dict:
    if cfg.init.name == "file":
        return io.read_weights(cfg.init.path, cfg.model.hidden)
    scale = cfg.init.stddev if cfg.init.name == "normal" else cfg.init.limit
    # The same initialiser as a sweep's, so seed i here is start i of a sweep.
    return {k: v[..., 0] for k, v in train.init_starts([cfg.seed], cfg.model.hidden, cfg.init.name, scale).items()}


def describe(cfg: Config) -> str:
    opt = cfg.optimizer
    init = {"normal": f"N(0, {cfg.init.stddev}^2)", "uniform": f"U(-{cfg.init.limit}, {cfg.init.limit})",
            "file": cfg.init.path}[cfg.init.name]
    return (f"net 2-{'-'.join(map(str, cfg.model.hidden))}{'-' if cfg.model.hidden else ''}1 "
            f"{cfg.model.activation} | {opt.name} lr={opt.lr} | {cfg.loss} | {cfg.batch} batch | "
            f"{cfg.steps} steps | init {init} | seed {cfg.seed}")


def fit(cfg: Config):
    """Trains from the configured start; returns (initial params, final params, per-run result)."""
    params = initial_params(cfg)
    final, trained = train.train_one(params, cfg.optimizer.lr, data.X, data.Y, config.train_spec(cfg))
    return params, jax.device_get(final), jax.device_get(trained)


def run(cfg: Config, out: Path) -> dict:
    log.info(describe(cfg))
    _, final, trained = fit(cfg)
    steps = train.record_steps(cfg.steps, cfg.log_every)
    log.info(report.table(["step", "cost", "accuracy"],
                          [[s, float(l), float(a)] for s, l, a in zip(steps, trained.loss, trained.accuracy)]))
    status = train.STATUSES[int(train.status(trained))]
    metrics = summarise(cfg, final, trained, status)
    if status == "diverged":
        log.info("training diverged: the cost or a weight became NaN or infinite (try a smaller optimizer.lr)")
    else:
        yhat, hidden = model.predict(final, data.X, cfg.model.activation)
        log.info("\n" + report.truth_table(data.X, hidden, yhat, data.Y))
    log.info(f"\naccuracy {metrics['accuracy']}  cost {metrics['final_loss']}  status {status}"
             + (f" (first at step {metrics['solved_at']})" if status == "solved" else ""))
    log.info(report.weights(final))
    io.write_json(out / "metrics.json", metrics)
    io.write_json(out / "weights.json", io.weights_to_json(final))
    io.write_history(out / "history.csv", steps, trained.loss, trained.accuracy)
    log.info(f"\nwrote {out}")
    return metrics


def summarise(cfg: Config, final, trained, status: str) -> dict:
    yhat, _ = model.predict(final, data.X, cfg.model.activation)
    return {
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
    }
