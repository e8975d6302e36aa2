"""The command line, checked against the schema before Hydra composes anything.

Every key must be a setting (a typo gets the closest ones: ``modle.hidden is not a setting; did you mean
model.hidden?``), every value of its setting's type, every group option one of its files, and every setting
one that the chosen experiment reads. Each problem is one line in the project's words. Hydra's own flags
(``-sc install=bash``, ``--info``, ``-cd DIR`` …) are read by Hydra's own parser, so their arguments are
never taken for settings. Value ranges (lr > 0, hidden sizes >= 1) need the composed config: ``run``.
"""

import difflib
import typing
from pathlib import Path
from typing import Any

from hydra._internal.utils import get_args_parser
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, Transformer
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from xorjax import config
from xorjax.config import Config

GROUPS = ("experiment", "optimizer", "init")
SCHEMA = config.schema()
# Flags after which Hydra runs nothing of ours: help, shell completion, its info pages, a rerun.
NOTHING_RUNS = ("help", "hydra_help", "shell_completion", "info", "experimental_rerun")


def arguments(argv: list[str]):
    """The command line as Hydra itself reads it (its flags, then the overrides)."""
    return get_args_parser().parse_args(argv)


def options(group: str, config_dirs: list[str]) -> list[str]:
    return sorted({p.stem for d in config_dirs for p in (Path(d) / group).glob("*.yaml")})


def parse(overrides: list[str]) -> list[Override]:
    return OverridesParser.create().parse_overrides(overrides)


def values(o: Override) -> list:
    """The value(s) an override gives: several for a sweep (``seed=0,1,2``, ``range(3)``)."""
    return list(o.sweep_iterator(transformer=Transformer.identity)) if o.is_sweep_override() else [o.value()]


def problem(overrides: list[Override], config_dirs: list[str]) -> str | None:
    """The first problem of these overrides, in one line; None when there is none."""
    chosen = [str(v) for o in overrides if o.key_or_group == "experiment" for v in values(o)]
    experiments = chosen or [Config.experiment]
    for o in overrides:
        key = o.key_or_group
        if key == "hydra" or key.startswith(("hydra.", "hydra/")):
            continue  # Hydra's own settings: Hydra checks them
        if key in GROUPS:
            allowed = options(key, config_dirs)
            for v in values(o):
                if str(v) not in allowed:
                    return f"{key}={v} is not allowed: choose one of {', '.join(allowed)}"
            if key == "experiment":
                continue
        else:
            if o.is_delete():
                return f"~{key}: a setting cannot be removed; give it a value instead ({key}=...)"
            found = unknown(key)
            if found:
                return found
        readers = [e for e in experiments if config.reads(e, key)]
        if not readers:
            owners = [e for e in config.READS if config.reads(e, key)]
            return (
                f"{key} is not read by experiment={' or '.join(experiments)}: it is a setting of "
                f"experiment={', '.join(owners)}"
            )
        if key not in GROUPS:
            for v in values(o):
                wrong = type_problem(key, v)
                if wrong:
                    return wrong
    return None


def unknown(key: str) -> str | None:
    if key in SCHEMA or any(key.startswith(k + ".") and SCHEMA[k] is Any for k in SCHEMA):
        return None
    close = difflib.get_close_matches(key, SCHEMA, n=3, cutoff=0.6)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else "python -m xorjax.run --help lists the settings, --cfg job shows them all"
    )
    return f"{key} is not a setting; {hint}"


_SCHEMA_CONFIG = OmegaConf.structured(Config)


def type_problem(key: str, value) -> str | None:
    """Whether ``value`` fits ``key``'s type, checked as Hydra will (OmegaConf's structured config), and said
    in the project's words."""
    if isinstance(value, str) and "${" in value:
        return None  # an interpolation: its value is known only once composed
    try:
        OmegaConf.update(_SCHEMA_CONFIG.copy(), key, value, merge=True)
    except OmegaConfBaseException:
        return f"{key}={_text(value)} is not allowed: must be {describe(SCHEMA[key])}"
    return None


def describe(t) -> str:
    """A type as a user reads it: ``list[int]`` -> 'a list of integers, e.g. [2,2]'."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is typing.Union:
        return describe(next(a for a in args if a is not type(None))) + " or null"
    if origin is list:
        return {int: "a list of integers, e.g. [2,2]", float: "a list of numbers, e.g. [0.1,1.0]"}.get(
            args[0], "a list"
        )
    if origin is dict:
        return "a name: number for each, e.g. {w: -2, x: 5, b: 3}"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a word"}.get(t, "a value")


def _text(value) -> str:
    return str(value).replace(" ", "").replace("'", "") if isinstance(value, (list, dict)) else str(value)
