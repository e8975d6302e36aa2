"""Lab 9-1: one sigmoid unit (logistic regression) trained on XOR, and why it must fail."""

import logging
from pathlib import Path

from xorjax.config import Config
from xorjax.experiments import train

log = logging.getLogger(__name__)
check = train.check


def run(cfg: Config, out: Path) -> dict:
    metrics = train.run(cfg, out)
    if not cfg.model.hidden:
        log.info(
            "\nA single unit draws one straight line w1*x1 + w2*x2 + b = 0 through the plane. XOR needs "
            "(0,1) and (1,0) on one side, (0,0) and (1,1) on the other: adding the two conditions for the "
            "first pair gives w1 + w2 + 2b > 0, adding those for the second gives w1 + w2 + 2b < 0, so no "
            f"line separates them. At most 3 of 4 patterns can be right; this run got accuracy "
            f"{metrics['accuracy']}. A hidden layer (model.hidden=[2]) bends the space so a line can.")
    return metrics
