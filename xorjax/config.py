"""The settings schema: plain dataclasses that Hydra uses to type-check the config, and their value checks.

Hydra itself is imported only by ``run``; everything below it receives a ``Config`` instance.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from xorjax import model, train
from xorjax.errors import XorjaxError

LECTURE_WEIGHTS = {"W1": [[5.0, -7.0], [5.0, -7.0]], "b1": [-8.0, 3.0], "W2": [[-11.0], [-11.0]], "b2": [6.0]}


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
    limit: float = 1.0   # uniform: U(-limit, limit)
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
class Config:
    seed: int = 0
    steps: int = 10001
    loss: str = "bce"
    batch: str = "full"
    log_every: int = 1000
    cache: bool = True  # JAX's persistent compilation cache, so repeated runs skip compiling
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    init: InitConfig = field(default_factory=InitConfig)
    handcrafted: HandcraftedConfig = field(default_factory=HandcraftedConfig)


def _one_of(key: str, value, allowed) -> None:
    if value not in allowed:
        raise XorjaxError(f"{key}={value} is not allowed: choose one of {', '.join(sorted(map(str, allowed)))}")


def _positive(key: str, value) -> None:
    if not (math.isfinite(value) and value > 0):
        raise XorjaxError(f"{key}={value} is not allowed: must be a finite number > 0")


def validate(cfg: Config) -> Config:
    """Checks the values the schema's types cannot; raises XorjaxError naming the setting."""
    _one_of("model.activation", cfg.model.activation, model.ACTIVATIONS)
    _one_of("loss", cfg.loss, model.LOSSES)
    _one_of("batch", cfg.batch, train.BATCHES)
    _one_of("optimizer.name", cfg.optimizer.name, train.OPTIMIZERS)
    _one_of("init.name", cfg.init.name, model.INITS)
    if any(h < 1 for h in cfg.model.hidden):
        raise XorjaxError(f"model.hidden={list(cfg.model.hidden)} is not allowed: every hidden size must be >= 1")
    _positive("optimizer.lr", cfg.optimizer.lr)
    if not (math.isfinite(cfg.optimizer.momentum) and 0 <= cfg.optimizer.momentum < 1):
        raise XorjaxError(f"optimizer.momentum={cfg.optimizer.momentum} is not allowed: must be in [0, 1)")
    _positive("init.stddev", cfg.init.stddev)
    _positive("init.limit", cfg.init.limit)
    if cfg.steps < 1:
        raise XorjaxError(f"steps={cfg.steps} is not allowed: must be an integer >= 1")
    if cfg.log_every < 1:
        raise XorjaxError(f"log_every={cfg.log_every} is not allowed: must be an integer >= 1")
    if cfg.init.name == "file" and not cfg.init.path:
        raise XorjaxError("init=file needs init.path=<a weights.json>")
    return cfg


def train_spec(cfg: Config) -> train.Spec:
    return train.Spec(steps=cfg.steps, log_every=cfg.log_every, activation=cfg.model.activation,
                      loss=cfg.loss, optimizer=cfg.optimizer.name, batch=cfg.batch,
                      momentum=cfg.optimizer.momentum)
