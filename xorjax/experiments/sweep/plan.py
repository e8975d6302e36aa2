"""A sweep's plan: its starts (every learning rate x init scale, ``sweep.seeds`` seeds each), how its settings are
described and one start replayed alone, and the settings that decide its results (``fingerprint``), which the
chunk store and the parts' files stamp their files with."""

import dataclasses

from xorjax.config import Config
from xorjax.core import engine


def init_scale(cfg: Config) -> float:
    return cfg.init.stddev if cfg.init.name == "normal" else cfg.init.limit


def axes(cfg: Config) -> tuple[list[float], list[float]]:
    """The sweep's learning rates and init scales (by default the optimizer's lr, the init's own scale)."""
    return list(cfg.sweep.lrs or [cfg.optimizer.lr]), list(cfg.sweep.init_scales or [init_scale(cfg)])


def grid(cfg: Config) -> engine.Grid:
    """The sweep's starts: ``sweep.seeds`` seeds for every learning rate x init scale, whichever part trains them."""
    return engine.Grid(cfg.seed, cfg.sweep.seeds, *axes(cfg))


def describe(cfg: Config) -> str:
    init = {"normal": "N(0, s^2)", "uniform": "U(-s, s)"}.get(cfg.init.name, cfg.init.name)
    return (
        f"net 2-{'-'.join(map(str, cfg.model.hidden))}{'-' if cfg.model.hidden else ''}1 "
        f"{cfg.model.activation} | {cfg.optimizer.name} | {cfg.loss} | {cfg.batch} batch | {cfg.steps} steps"
        f" | init {init}"
        + (f" | stop at SSE < {cfg.sweep.stop_sse}" if cfg.sweep.stop_sse else "")
        + (f" | {cfg.precision}" if cfg.precision != "float32" else "")
    )


def replay(cfg: Config, lr: float, scale: float) -> str:
    """The command that trains one start of this setting alone (add seed=<its seed>)."""
    scale_key = "init.stddev" if cfg.init.name == "normal" else "init.limit"
    hidden = "[" + ",".join(map(str, cfg.model.hidden)) + "]"
    overrides = [
        f"model.hidden={hidden}",
        f"model.activation={cfg.model.activation}",
        f"loss={cfg.loss}",
        f"batch={cfg.batch}",
        f"optimizer={cfg.optimizer.name}",
        f"optimizer.lr={lr:g}",
        f"init={cfg.init.name}",
        f"{scale_key}={scale:g}",
        f"steps={cfg.steps}",
    ]
    if cfg.optimizer.name == "momentum":
        overrides.append(f"optimizer.momentum={cfg.optimizer.momentum:g}")
    if cfg.sweep.stop_sse is not None:
        overrides.append(f"sweep.stop_sse={cfg.sweep.stop_sse:g}")
    if cfg.precision != "float32":
        overrides.append(f"precision={cfg.precision}")
    return "python -m xorjax.run " + " ".join(overrides) + " seed=<seed>"


# What decides a start's outcome; the rest (chunk size, devices, logging, the folder) may change on resume.
RESULT_KEYS = (
    "seed",
    "precision",
    "steps",
    "loss",
    "batch",
    "log_every",
    "grad",
    "model",
    "optimizer",
    "init",
    "sweep.seeds",
    "sweep.lrs",
    "sweep.init_scales",
    "sweep.stop_sse",
    "sweep.parts",  # a part resumes as that part only; the merge groups parts by the rest (``merge_key``)
    "sweep.part",
)


def fingerprint(cfg: Config) -> dict:
    """The settings that decide the results, flat: {"steps": 11, "model.hidden": [2], ...}."""

    def flat(prefix, v):
        if isinstance(v, dict):
            return {k: x for key, val in v.items() for k, x in flat(f"{prefix}.{key}", val).items()}
        return {prefix: v}

    everything = flat("", dataclasses.asdict(cfg))
    return {
        k: v
        for k, v in ((k[1:], v) for k, v in everything.items())
        if any(k == r or k.startswith(r + ".") for r in RESULT_KEYS)
    }


def size(settings: dict) -> int:
    """The number of starts of the sweep with these settings (a ``fingerprint``)."""
    return settings["sweep.seeds"] * len(settings["sweep.lrs"] or [None]) * len(settings["sweep.init_scales"] or [None])
