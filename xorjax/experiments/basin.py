"""Where training goes: two initial parameters of one start varied over a grid, every start trained at once.

The base start is the one of ``seed`` (or ``init=file``'s weights). Each pixel of ``basin.png`` is one start,
coloured by its outcome and by the symmetry class of the solution it reached; ``basin.npz`` holds both
maps, ``basin.json`` their counts.
"""

import logging
import re
import time
from io import BytesIO
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from xorjax import config
from xorjax.config import Config
from xorjax.core import descent, engine, model, tally
from xorjax.errors import XorjaxError
from xorjax.experiments import train
from xorjax.experiments.sweep import plan, report
from xorjax.output import io, progress, tables

log = logging.getLogger(__name__)
NAME = re.compile(r"^(W\d+)[.\[](\d+)(?:\]\[|[.,])(\d+)\]?$|^(b\d+)[.\[](\d+)\]?$")


def base_params(cfg: Config) -> dict:
    """The start the grid is centred on: the run with ``seed`` (or the weights file)."""
    return {k: np.asarray(v) for k, v in train.initial_params(cfg).items()}


def parameter(cfg: Config, axis: str) -> tuple[str, tuple]:
    """``sweep.basin.<axis>`` -> (weight name, index), or one line naming what the model has."""
    text = str(getattr(cfg.sweep.basin, axis))
    shapes = model.param_shapes(cfg.model.hidden)
    m = NAME.match(text)
    if m:
        if m.group(1):
            name, index = m.group(1), (int(m.group(2)), int(m.group(3)))
        else:
            name, index = m.group(4), (int(m.group(5)),)
        if name in shapes and len(index) == len(shapes[name]) and all(i < n for i, n in zip(index, shapes[name])):
            return name, index
    have = ", ".join(f"{k} {'x'.join(map(str, s))}" for k, s in shapes.items())
    raise XorjaxError(
        f"sweep.basin.{axis}={text} is not allowed: the model (hidden={list(cfg.model.hidden)}) has "
        f"{have}; name one entry as W<l>.<i>.<j> or b<l>.<j>, 0-based, e.g. W1.0.1"
    )


def check(cfg: Config) -> None:
    x, y = parameter(cfg, "x"), parameter(cfg, "y")
    if x == y:
        raise XorjaxError(f"sweep.basin.y={cfg.sweep.basin.y} is not allowed: it must differ from sweep.basin.x")
    if cfg.init.name == "file":
        io.read_weights(cfg.init.path, cfg.model.hidden)


def grid_init(base: dict, x: tuple, y: tuple):
    """``init(inputs)``: the base weights for every start, with the two chosen entries set per start."""

    def init(inputs):
        m = inputs["x"].shape[0]
        params = {k: jnp.broadcast_to(jnp.asarray(v)[..., None], v.shape + (m,)) for k, v in base.items()}
        for (name, index), values in ((x, inputs["x"]), (y, inputs["y"])):
            params[name] = params[name].at[index].set(values)
        return params

    return init


def run(cfg: Config, out: Path) -> dict:
    devices = len(jax.local_devices())  # run.py has already given this job its share of the cores
    b = cfg.sweep.basin
    (xn, xi), (yn, yi) = parameter(cfg, "x"), parameter(cfg, "y")
    base = base_params(cfg)
    bx, by = float(base[xn][xi]), float(base[yn][yi])
    dtype = descent.PRECISIONS[cfg.precision]
    xs = np.linspace(bx - b.span, bx + b.span, b.size, dtype=dtype)
    ys = np.linspace(by - b.span, by + b.span, b.size, dtype=dtype)
    gy, gx = np.meshgrid(ys, xs, indexing="ij")  # row = y, column = x
    n = b.size * b.size
    log.info(plan.describe(cfg))
    log.info(
        f"basin: {b.x} x {b.y}, {b.size} x {b.size} = {n} starts around "
        f"{'init.path' if cfg.init.name == 'file' else f'seed {cfg.seed}'} ({b.x}={bx:.3f}, {b.y}={by:.3f}, "
        f"+- {b.span}), on {devices} core(s)"
    )
    t = time.perf_counter()
    with progress.bar(n, "basin", "start", allowed=cfg.logger.progress) as advance:
        starts = engine.run_starts(
            {"x": gx.ravel(), "y": gy.ravel()},
            np.full(n, cfg.optimizer.lr, dtype),
            grid_init(base, (xn, xi), (yn, yi)),
            tuple(cfg.model.hidden),
            config.train_spec(cfg),
            activation=cfg.model.activation,
            chunk=cfg.sweep.chunk,
            advance=advance,
        )
    seconds = time.perf_counter() - t
    everything = np.ones(n, bool)
    fams = tally.families(starts, everything, cfg.model.activation)
    classes = tally.classes(fams)
    names = [c["class"] for c in classes]
    cls = np.full(n, -1, np.int64)
    for f in fams:  # every start of a family gets its class's index
        match = np.all(starts.keys == np.asarray(f["key"]), axis=1) & (starts.status == 0)
        cls[match] = names.index(f["class"])
    status = starts.status.reshape(b.size, b.size)
    stats = tally.statistics(starts, everything)
    result = {
        "x": b.x,
        "y": b.y,
        "base": [bx, by],
        "span": b.span,
        "size": b.size,
        "lr": cfg.optimizer.lr,
        "precision": cfg.precision,
        "settings": plan.describe(cfg),
        **stats,
        "classes": classes,
        "timing": {
            "seconds": seconds,
            "starts": n,
            "steps": cfg.steps,
            "devices": devices,
            "net_steps_per_s": n * cfg.steps / seconds,
        },
    }
    io.write_json(out / "basin.json", result)
    buf = BytesIO()
    np.savez_compressed(
        buf,
        x=xs,
        y=ys,
        status=status,
        cls=cls.reshape(b.size, b.size),
        statuses=np.asarray(descent.STATUSES),
        classes=np.asarray(names, dtype=str),
    )
    io.write_atomic(out / "basin.npz", buf.getvalue())
    log.info(
        f"{n} starts x {cfg.steps} steps in {seconds:.1f} s; solved {stats['success_rate']:.1%}; outcomes "
        + ", ".join(f"{k} {v}" for k, v in stats["outcomes"].items() if v)
    )
    for c in classes[: report.CLASSES_SHOWN]:
        log.info(f"  {c['count']:7d}  {c['share']:6.1%}  {c['class']}")
    cut = tables.more(min(len(classes), report.CLASSES_SHOWN), len(classes), "classes", "basin.json (key classes)")
    if cut:
        log.info(cut)
    if cfg.logger.plots:
        from xorjax.output.plots import starts as pictures

        around = "the given weights" if cfg.init.name == "file" else f"seed {cfg.seed}"
        label = lambda name, index: name + "".join(f"[{i}]" for i in index)  # 0-based, as weights.png names them
        pictures.basin(
            out / "basin.png",
            xs,
            ys,
            status,
            list(descent.STATUSES),
            cls.reshape(b.size, b.size),
            names,
            (bx, by),
            f"start {label(xn, xi)}",
            f"start {label(yn, yi)}",
            f"Basins: {b.size}x{b.size} starts around {around}, lr {cfg.optimizer.lr:g}",
            around,
        )
    log.info(f"\nwrote {out}/basin.json, basin.npz" + (", basin.png" if cfg.logger.plots else ""))
    return result
