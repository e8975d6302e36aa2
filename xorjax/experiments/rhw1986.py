"""Rumelhart, Hinton & Williams (1986)'s XOR setting as a sweep: how often does it reach its goal, and when?

2-2-1 sigmoid, E = 1/2 sum of squared errors, one update per pattern, W ~ U(-1, 1), learning rate 0.5, a run
stopped once the sum of squared errors is below ``sweep.stop_sse`` (0.01), at most ``steps`` epochs (10,000).
A start is *solved* when it reached that goal; its epochs are the step it did so. Everything else is the
``sweep`` experiment's: atlas.json, atlas.md, the pictures.
"""

import logging
from pathlib import Path

from xorjax.config import Config
from xorjax.errors import XorjaxError
from xorjax.experiments import sweep
from xorjax.experiments.sweep import report

log = logging.getLogger(__name__)


def check(cfg: Config) -> None:
    sweep.check(cfg)
    if cfg.sweep.stop_sse is None:
        raise XorjaxError(
            "sweep.stop_sse=null is not allowed with experiment=rhw1986: its runs stop at a target "
            "sum of squared errors (0.01)"
        )


def run(cfg: Config, out: Path) -> dict:
    atlas = sweep.run(cfg, out)
    for c in atlas["configs"]:
        lo, hi = c["ci95"]
        epochs = c.get("median_stop_step")
        log.info(
            f"\nRHW 1986 setting, lr {c['lr']:g}: {c['outcomes']['solved']} of {c['seeds']} starts "
            f"({c['success_rate']:.1%}, 95% CI {lo:.1%}-{hi:.1%}) reached a sum of squared errors below "
            f"{cfg.sweep.stop_sse:g} within {cfg.steps} epochs"
        )
        if epochs is not None and c["median_steps"] is not None:  # two medians, each named: the goal, and
            # accuracy 1.0, which a start reaches first
            log.info(
                f"median epochs until the sum of squared errors fell below {cfg.sweep.stop_sse:g} (the goal): "
                f"{epochs:.0f}; median first epoch with accuracy 1.0 (the table's '{report.MEDIAN_STEPS}'): "
                f"{c['median_steps']:.0f}"
            )
    return atlas
