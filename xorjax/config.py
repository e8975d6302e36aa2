"""The settings schema: plain dataclasses that Hydra uses to type-check the config, their value checks, and
which experiment reads which settings (``READS``).

Hydra itself is imported only at the edge (``run``, ``command_line``, ``callbacks``); everything below it
receives a ``Config`` instance.
"""

import dataclasses
import functools
import math
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

from xorjax.core import descent, devices, model
from xorjax.errors import XorjaxError
from xorjax.lessons import differences

LECTURE_WEIGHTS = {"W1": [[5.0, -7.0], [5.0, -7.0]], "b1": [-8.0, 3.0], "W2": [[-11.0], [-11.0]], "b2": [6.0]}
# "Can you find another w and b?": OR and NAND in the hidden layer, AND at the output.
ANOTHER_WEIGHTS = {"W1": [[20.0, -20.0], [20.0, -20.0]], "b1": [-10.0, 30.0], "W2": [[20.0], [20.0]], "b2": [-30.0]}
LECTURE_SWEEP = 1000  # the starts of experiment=lecture's small sweep (seeds seed ..); experiment=sweep runs any number


@dataclass
class ModelConfig:
    hidden: list[int] = field(default_factory=lambda: [2])
    activation: str = "sigmoid"


@dataclass
class OptimizerConfig:
    name: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9  # used by ``momentum`` only


@dataclass
class InitConfig:
    name: str = "normal"
    stddev: float = 1.0  # normal
    limit: float = 1.0  # uniform: U(-limit, limit)
    path: Optional[str] = None  # file: a weights.json


@dataclass
class HandcraftedConfig:
    """Weights for ``experiment=handcrafted`` (default: the lecture's); ``init=file`` takes precedence."""

    # Matrices as Any: OmegaConf cannot type nested lists; handcrafted checks them as numbers of the right shape.
    W1: list[Any] = field(default_factory=lambda: LECTURE_WEIGHTS["W1"])
    b1: list[float] = field(default_factory=lambda: LECTURE_WEIGHTS["b1"])
    W2: list[Any] = field(default_factory=lambda: LECTURE_WEIGHTS["W2"])
    b2: list[float] = field(default_factory=lambda: LECTURE_WEIGHTS["b2"])


@dataclass
class LoggerConfig:
    """What a run leaves besides its numbers: TensorBoard event files, pictures, a progress bar."""

    tensorboard: bool = True  # events.out.tfevents.* in the run folder: `tensorboard --logdir outputs`
    plots: bool = True  # PNG pictures in the run folder
    progress: bool = True  # a bar on long work, when a person watches a terminal (never in parallel jobs)


@dataclass
class DerivativesConfig:
    """``experiment=derivatives``: the point the lecture's derivatives are taken at, its step h, the h table."""

    x: float = 2.0
    y: float = 3.0
    h: float = 0.01  # the lecture's step in (f(x + h) - f(x)) / h
    table: str = "cube"  # the example whose error is tabled over h (a key of xorjax.lessons.differences.BY_KEY)
    decades: int = 8  # that table's h = 1e-1 ... 1e-<decades>


@dataclass
class BackpropConfig:
    """``experiment=backprop``: the inputs of the lecture's three graphs, and optionally a graph of yours."""

    wxb: dict[str, float] = field(default_factory=lambda: {"w": -2.0, "x": 5.0, "b": 3.0})
    xyz: dict[str, float] = field(default_factory=lambda: {"x": -2.0, "y": 5.0, "z": -4.0})
    neuron: dict[str, float] = field(
        default_factory=lambda: {"w0": 2.0, "w1": -3.0, "w2": -3.0, "x0": -1.0, "x1": -2.0}
    )
    expr: Optional[str] = None  # a formula, e.g. "x * exp(y) + sin(x)" (see xorjax/lessons/expression.py)
    # its variables' values, e.g. {x: 1, y: 2}; untyped, because a typed empty dict refuses new keys
    inputs: Any = None


@dataclass
class BasinConfig:
    """``experiment=basin``: two initial parameters varied over a grid around one start (``seed``)."""

    x: str = "W1.0.0"  # the parameter along the picture's x axis: W<l>.<i>.<j> or b<l>.<j>, 0-based
    y: str = "W1.1.0"  # ... and along its y axis (W1.1.0 is W1[1][0]: input x2 -> hidden unit 1)
    size: int = 256  # pixels per side: size x size starts
    span: float = 4.0  # each goes from its base value - span to base value + span


@dataclass
class SweepConfig:
    """Many starts trained at once: ``experiment=sweep``, ``rhw1986`` and ``basin``."""

    seeds: int = 1000  # starts per setting: seeds seed, seed + 1, ..., seed + seeds - 1
    lrs: Optional[list[float]] = None  # learning rates (default: [optimizer.lr])
    init_scales: Optional[list[float]] = None  # init.stddev (normal) or init.limit (uniform) values (default: its own)
    chunk: int = 8192  # starts per core per compiled call: amortises a call, yet stays in the core's cache
    stop_sse: Optional[float] = None  # stop a start once sum_p (yhat_p - y_p)^2 < this (with loss=sse; rhw1986)
    # the run folder of a sweep that was stopped part way: its finished chunks are kept, the rest trained, and
    # the results written there (experiment=sweep and rhw1986; the same settings as that sweep's)
    resume: Optional[str] = None
    # one sweep over many jobs: this job trains only block ``part`` (0-based) of ``parts`` blocks of consecutive
    # starts, and leaves what a merge needs (python -m xorjax.summary --merge); -m 'sweep.part=range(N)' runs all
    parts: int = 1
    part: int = 0
    basin: BasinConfig = field(default_factory=BasinConfig)


@dataclass
class LandscapeConfig:
    """``experiment=landscape``: the starts whose final points are analysed, their escapes, and the tolerances
    that sort each point into a kind (xorjax/core/curvature.py)."""

    seeds: Optional[list[int]] = None  # these seeds (whatever their outcome) instead of the sweep's unsolved starts
    max_starts: int = 10000  # at most this many unsolved starts are analysed, the first by start index
    more_steps: Optional[int] = None  # escape (a): the run trained this many steps longer (default: 10 x steps)
    kick: float = 1.0  # escape (b): a step of this length along the most negative eigenvector, then more_steps
    span: float = 3.0  # the pictures show the cost from -span to +span along the smallest eigen-directions
    eig_tol: float = (
        1e-3  # an eigenvalue is clearly negative (positive) below -eig_tol (above) x the largest |eigenvalue|
    )
    grad_tol: float = 1e-2  # a gradient norm below this is small
    growth_tol: float = 1e-3  # the weights are growing if their norm rose by more than this share over the last tenth


@dataclass
class Config:
    experiment: str = "train"  # set by conf/experiment/<name>.yaml: which one runs (choose it with experiment=<name>)
    seed: int = 0
    steps: int = 10001
    loss: str = "bce"
    batch: str = "full"
    log_every: int = 1000
    cache: bool = True  # JAX's persistent compilation cache, so repeated runs skip compiling
    device: str = "auto"  # auto: one network on the CPU, sweeps on a GPU if any | cpu | gpu (xorjax/core/devices.py)
    precision: str = "float32"  # the float type training computes in: float32 | float64 (descent.PRECISIONS)
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    init: InitConfig = field(default_factory=InitConfig)
    handcrafted: HandcraftedConfig = field(default_factory=HandcraftedConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    grad: str = "auto"  # auto: jax.grad; manual: the chain rule written out (xorjax/core/manual_grad.py)
    derivatives: DerivativesConfig = field(default_factory=DerivativesConfig)
    backprop: BackpropConfig = field(default_factory=BackpropConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    landscape: LandscapeConfig = field(default_factory=LandscapeConfig)


# The settings each experiment reads: a key, or a section and everything below it. A command line that sets
# one the chosen experiment does not read is refused (xorjax/command_line.py), so no setting does nothing.
EVERY = ("experiment", "cache", "device", "logger")
TRAINING = ("seed", "steps", "loss", "batch", "grad", "log_every", "precision", "model", "optimizer", "init")
SWEEPING = TRAINING + (
    "sweep.seeds",
    "sweep.lrs",
    "sweep.init_scales",
    "sweep.chunk",
    "sweep.stop_sse",
    "sweep.resume",
    "sweep.parts",
    "sweep.part",
)
READS = {
    "train": TRAINING,
    "logistic": TRAINING,
    "sweep": SWEEPING,
    "rhw1986": SWEEPING,
    "basin": TRAINING + ("sweep.basin", "sweep.chunk"),
    "landscape": TRAINING
    + ("sweep.seeds", "sweep.lrs", "sweep.init_scales", "sweep.chunk", "sweep.stop_sse", "landscape"),
    "handcrafted": ("handcrafted", "init.name", "init.path", "model.activation", "loss", "precision"),
    "derivatives": ("derivatives",),
    "backprop": ("backprop", "model.activation", "loss"),
    # the lecture's own net (2-2-1) and sweep size; the rest as its train and sweep sections read them
    "lecture": (
        "handcrafted",
        "seed",
        "steps",
        "loss",
        "batch",
        "grad",
        "log_every",
        "precision",
        "model.activation",
        "optimizer",
        "init",
        "sweep.chunk",
    ),
}


def reads(experiment: str, key: str) -> bool:
    """Whether ``experiment`` reads setting ``key`` (a dotted key, or a section such as ``optimizer``)."""
    return any(
        key == p or key.startswith(p + ".") or p.startswith(key + ".") for p in EVERY + READS.get(experiment, ())
    )


def schema(cls=None, prefix: str = "") -> dict[str, Any]:
    """Every setting's dotted key -> its type, from the dataclasses above. A mapping (``backprop.wxb``) is
    listed with its keys; an untyped value (``Any``) is open: any key below it is its own business."""
    cls = cls or Config
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        key, t = prefix + f.name, hints[f.name]
        if dataclasses.is_dataclass(t):
            out.update(schema(t, key + "."))
            continue
        out[key] = t
        if typing.get_origin(t) is dict:
            for name in f.default_factory():
                out[f"{key}.{name}"] = typing.get_args(t)[1]
    return out


# The settings that name one of a registry's entries: checked against it, and listed by --help.
CHOICES = {
    "model.activation": model.ACTIVATIONS,
    "loss": model.LOSSES,
    "batch": descent.BATCHES,
    "optimizer.name": descent.OPTIMIZERS,
    "init.name": model.INITS,
    "grad": descent.GRADS,
    "device": devices.DEVICES,
    "precision": descent.PRECISIONS,
    "derivatives.table": differences.BY_KEY,
}


def choices(key: str) -> str:
    return " | ".join(CHOICES[key])


def _one_of(key: str, value, allowed) -> None:
    if value not in allowed:
        raise XorjaxError(f"{key}={value} is not allowed: choose one of {', '.join(sorted(map(str, allowed)))}")


def _positive(key: str, value) -> None:
    if not (math.isfinite(value) and value > 0):
        raise XorjaxError(f"{key}={value} is not allowed: must be a finite number > 0")


SEEDS = (-(2**31), 2**31 - 1)  # a seed is one of JAX's default (32-bit) integers: jax.random.PRNGKey(seed)


def _in_seeds(seed: int) -> bool:
    return SEEDS[0] <= seed <= SEEDS[1]


def validate(cfg: Config) -> Config:
    """Checks the values the schema's types cannot; raises XorjaxError naming the setting."""
    for key, allowed in CHOICES.items():
        _one_of(key, functools.reduce(getattr, key.split("."), cfg), allowed)
    if any(h < 1 for h in cfg.model.hidden):
        raise XorjaxError(f"model.hidden={list(cfg.model.hidden)} is not allowed: every hidden size must be >= 1")
    _positive("optimizer.lr", cfg.optimizer.lr)
    if not (math.isfinite(cfg.optimizer.momentum) and 0 <= cfg.optimizer.momentum < 1):
        raise XorjaxError(f"optimizer.momentum={cfg.optimizer.momentum} is not allowed: must be in [0, 1)")
    _positive("init.stddev", cfg.init.stddev)
    _positive("init.limit", cfg.init.limit)
    allowed = f"an integer from {SEEDS[0]} to {SEEDS[1]}"
    if not _in_seeds(cfg.seed):
        raise XorjaxError(f"seed={cfg.seed} is not allowed: must be {allowed}")
    last = cfg.seed + cfg.sweep.seeds - 1  # a sweep's starts are seeds seed .. seed + sweep.seeds - 1
    if reads(cfg.experiment, "sweep.seeds") and not cfg.landscape.seeds and not _in_seeds(last):
        raise XorjaxError(
            f"sweep.seeds={cfg.sweep.seeds} is not allowed with seed={cfg.seed}: its last seed, {last}, "
            f"must be {allowed}"
        )
    if cfg.experiment == "lecture" and not _in_seeds(cfg.seed + LECTURE_SWEEP - 1):
        raise XorjaxError(
            f"seed={cfg.seed} is not allowed with experiment=lecture: its sweep's {LECTURE_SWEEP} seeds from there "
            f"must be {allowed}"
        )
    if not all(map(_in_seeds, cfg.landscape.seeds or ())):
        raise XorjaxError(f"landscape.seeds={list(cfg.landscape.seeds)} is not allowed: each must be {allowed}")
    if cfg.steps < 1:
        raise XorjaxError(f"steps={cfg.steps} is not allowed: must be an integer >= 1")
    if cfg.log_every < 1:
        raise XorjaxError(f"log_every={cfg.log_every} is not allowed: must be an integer >= 1")
    if cfg.init.name == "file" and not cfg.init.path:
        raise XorjaxError("init=file needs init.path=<a weights.json>")
    _validate_lecture(cfg)
    _validate_sweep(cfg)
    _validate_landscape(cfg)
    return cfg


def _validate_lecture(cfg: Config) -> None:
    """The settings of ``experiment=derivatives`` and ``experiment=backprop``."""
    d = cfg.derivatives
    for key in ("x", "y"):
        if not math.isfinite(getattr(d, key)):
            raise XorjaxError(f"derivatives.{key}={getattr(d, key)} is not allowed: must be a finite number")
    _positive("derivatives.h", d.h)
    if not 1 <= d.decades <= 15:
        raise XorjaxError(f"derivatives.decades={d.decades} is not allowed: must be an integer in 1..15")
    inputs = cfg.backprop.inputs
    if inputs is not None and not isinstance(inputs, dict):
        raise XorjaxError(
            f"backprop.inputs={inputs} is not allowed: give a name: number for each variable of "
            "backprop.expr, e.g. backprop.inputs={x: 1, y: 2}"
        )
    defaults = BackpropConfig()
    for key in ("wxb", "xyz", "neuron", "inputs"):
        values = getattr(cfg.backprop, key) or {}
        if key != "inputs" and sorted(values) != sorted(getattr(defaults, key)):
            raise XorjaxError(
                f"backprop.{key}={dict(values)} is not allowed: give the numbers {', '.join(getattr(defaults, key))}"
            )
        for name, v in values.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise XorjaxError(f"backprop.{key}.{name}={v} is not allowed: must be a finite number")


def _validate_sweep(cfg: Config) -> None:
    """The settings of ``sweep.*`` (the basin's parameter names are checked by that experiment)."""
    sw = cfg.sweep
    if sw.seeds < 1:
        raise XorjaxError(f"sweep.seeds={sw.seeds} is not allowed: must be an integer >= 1")
    for key in ("lrs", "init_scales"):
        values = getattr(sw, key)
        if values is not None and (not values or not all(math.isfinite(v) and v > 0 for v in values)):
            raise XorjaxError(
                f"sweep.{key}={list(values)} is not allowed: give a non-empty list of finite "
                "numbers > 0, e.g. [0.1,1.0]"
            )
    if sw.chunk < 1:
        raise XorjaxError(f"sweep.chunk={sw.chunk} is not allowed: must be an integer >= 1")
    if sw.stop_sse is not None:
        _positive("sweep.stop_sse", sw.stop_sse)
        if cfg.loss != "sse":
            raise XorjaxError(
                f"sweep.stop_sse={sw.stop_sse} is not allowed with loss={cfg.loss}: the stop "
                "criterion is a sum of squared errors, so it needs loss=sse"
            )
    if sw.parts < 1:
        raise XorjaxError(f"sweep.parts={sw.parts} is not allowed: must be an integer >= 1")
    if not 0 <= sw.part < sw.parts:
        raise XorjaxError(f"sweep.part={sw.part} is not allowed: must be in 0..{sw.parts - 1} (sweep.parts={sw.parts})")
    starts = sw.seeds * len(sw.lrs or [cfg.optimizer.lr]) * len(sw.init_scales or [None])
    if sw.parts > starts:
        raise XorjaxError(
            f"sweep.parts={sw.parts} is not allowed: must be at most the sweep's {starts} starts "
            "(sweep.seeds x learning rates x init scales), so that no part is empty"
        )
    if sw.basin.size < 2:
        raise XorjaxError(f"sweep.basin.size={sw.basin.size} is not allowed: must be an integer >= 2")
    _positive("sweep.basin.span", sw.basin.span)


def _validate_landscape(cfg: Config) -> None:
    ls = cfg.landscape
    if ls.seeds is not None and not ls.seeds:
        raise XorjaxError("landscape.seeds=[] is not allowed: give a non-empty list of seeds, e.g. [4,5,8], or null")
    if ls.max_starts < 1:
        raise XorjaxError(f"landscape.max_starts={ls.max_starts} is not allowed: must be an integer >= 1")
    if ls.more_steps is not None and ls.more_steps < 1:
        raise XorjaxError(f"landscape.more_steps={ls.more_steps} is not allowed: must be an integer >= 1 (or null)")
    for key in ("kick", "span", "eig_tol", "grad_tol", "growth_tol"):
        _positive(f"landscape.{key}", getattr(ls, key))


def train_spec(cfg: Config) -> descent.Spec:
    return descent.Spec(
        steps=cfg.steps,
        log_every=cfg.log_every,
        activation=cfg.model.activation,
        loss=cfg.loss,
        optimizer=cfg.optimizer.name,
        batch=cfg.batch,
        momentum=cfg.optimizer.momentum,
        grad=cfg.grad,
        stop_below=stop_below(cfg),
    )


def stop_below(cfg: Config) -> float:
    """``sweep.stop_sse`` as a bound on the cost: with loss=sse the cost is the mean over the four patterns
    of 1/2 (yhat - y)^2, i.e. the sum of squared errors / 8. It applies to a single run too, so that start i
    of a sweep can be replayed alone."""
    return cfg.sweep.stop_sse / 8 if cfg.sweep.stop_sse is not None else 0.0
