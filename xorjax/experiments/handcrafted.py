"""Section 1 of the lecture: the hand-set weights (or yours), every intermediate value, XOR or not; and
playground.html, where the lecture's "can you find another w and b?" is answered by moving the weights."""

import logging
from pathlib import Path

import numpy as np

from xorjax.config import ANOTHER_WEIGHTS, LECTURE_WEIGHTS, Config, OptimizerConfig
from xorjax.core import data, descent, model
from xorjax.errors import XorjaxError
from xorjax.output import io, playground, tables
from xorjax.output.plots import network as pictures
from xorjax.output.plots import painter

log = logging.getLogger(__name__)


def weights(cfg: Config) -> dict:
    """``init=file`` loads a weights.json (any depth); otherwise ``handcrafted.W1 ... b2`` (2-2-1). In the run's
    ``precision``: the forward pass computes in it."""
    dtype = descent.PRECISIONS[cfg.precision]
    if cfg.init.name == "file":
        return {k: v.astype(dtype) for k, v in io.read_weights(cfg.init.path).items()}
    h = cfg.handcrafted
    params = {}
    for k in ("W1", "b1", "W2", "b2"):
        try:
            params[k] = np.asarray(getattr(h, k), dtype=dtype)
        except (ValueError, TypeError):
            raise XorjaxError(
                f"handcrafted.{k}={getattr(h, k)} is not allowed: needs numbers (W as in x out nested lists)"
            ) from None
    hidden = [params["b1"].shape[0]] if params["b1"].ndim == 1 else [-1]
    for name, shape in model.param_shapes(hidden).items():
        if params[name].shape != shape or not np.all(np.isfinite(params[name])):
            raise XorjaxError(
                f"handcrafted.{name}={getattr(h, name)} is not allowed: "
                f"needs finite numbers of shape {list(shape)} (W as in x out lists)"
            )
    return params


def check(cfg: Config) -> None:
    weights(cfg)


def presets(atlas_json=None) -> list[playground.Preset]:
    """The playground's presets: the lecture's weights, its other answer (OR + NAND → AND) and, given a sweep's
    ``atlas.json``, one representative of every class of solutions that sweep found."""
    return [
        playground.preset(LECTURE_WEIGHTS, "the lecture's weights"),
        playground.preset(ANOTHER_WEIGHTS, "the lecture's other answer"),
        *(playground.class_presets(atlas_json) if atlas_json is not None else []),
    ]


def playground_section(atlas_json=None) -> str:
    """The playground as a section of the lecture's page, at the lecture's weights, training at the default
    learning rate and reading its status as a default run does."""
    return playground.section(LECTURE_WEIGHTS, presets(atlas_json), OptimizerConfig.lr, Config.log_every)


def write_playground(out: Path, params: dict, activation: str, lr: float = OptimizerConfig.lr) -> str:
    """Writes ``out/playground.html`` opened at ``params``, training at ``lr`` (a run's default: the handcrafted
    experiment reads no optimizer); returns the line that gives its link (with the weights and ``lr`` in its
    fragment), or that says why there is none."""
    if not playground.fits(params, activation):
        shape = "-".join(str(n) for n in model.layer_sizes(model.hidden_of(params)))
        return f"(playground.html is for the 2-2-1 sigmoid net, not this {shape} {activation} one: not written)"
    page = io.write_atomic(out / "playground.html", playground.page(params, presets(), lr, Config.log_every))
    return f"find another w and b in the browser: {page.resolve().as_uri()}#{playground.fragment(params, lr)}"


def run(cfg: Config, out: Path) -> dict:
    # The painter's helper loads matplotlib while this process computes and prints the tables (plots.painter).
    with painter.start(None if cfg.logger.plots else 0) as helpers:
        return show(cfg, out, helpers)


def show(cfg: Config, out: Path, helpers=None) -> dict:
    params = weights(cfg)
    yhat, hidden = model.predict(params, data.X, cfg.model.activation)
    yhat, hidden = np.asarray(yhat), [np.asarray(h) for h in hidden]
    log.info(tables.weights(params))
    if len(hidden) == 1:  # the lecture's worked table: z and y for each unit
        W1, b1 = params["W1"], params["b1"]
        header = ["x1", "x2"]
        for j in range(W1.shape[1]):
            header += [f"z{j + 1}", f"y{j + 1}"]
        header += ["zhat", "yhat", "XOR"]
        rows = []
        for p, x in enumerate(data.X):
            z1 = x @ W1 + b1
            row = [int(x[0]), int(x[1])]
            for j in range(W1.shape[1]):
                row += [float(z1[j]), float(hidden[0][p, j])]
            row += [
                float(hidden[0][p] @ params["W2"][:, 0] + params["b2"][0]),
                tables.yhat_str(yhat[p]),
                int(data.Y[p]),
            ]
            rows.append(row)
        log.info("\n" + tables.table(header, rows))
    else:
        log.info("\n" + tables.truth_table(data.X, hidden, yhat, data.Y))
    is_xor = bool(np.all((yhat > 0.5) == (data.Y > 0.5)))
    log.info(
        "\nThese weights compute XOR."
        if is_xor
        else f"\nThese weights do not compute XOR: predictions {(yhat > 0.5).astype(int).tolist()}, "
        f"XOR is {data.Y.astype(int).tolist()}."
    )
    metrics = {
        "status": "solved" if is_xor else "unsolved",
        "xor": is_xor,
        "final_loss": float(model.cost(params, data.X, data.Y, cfg.model.activation, cfg.loss)),
        "accuracy": float(model.accuracy(yhat, data.Y)),
        "predictions": yhat.tolist(),
        "hidden_outputs": [h.tolist() for h in hidden],
        "hidden": [int(params[f"b{l}"].shape[0]) for l in range(1, len(params) // 2)],
        "activation": cfg.model.activation,
    }
    io.write_json(out / "metrics.json", metrics)
    io.write_json(out / "weights.json", io.weights_to_json(params))
    log.info("\n" + write_playground(out, params, cfg.model.activation))
    if cfg.logger.plots:  # the decision surface and the hidden space of these weights
        for note in pictures.draw_run(out, params, cfg.model.activation, painter=helpers)[1]:
            log.info(note)
    log.info(f"\nwrote {out}")
    return metrics
