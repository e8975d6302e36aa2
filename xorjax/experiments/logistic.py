"""Lab 9-1: one sigmoid unit (logistic regression) trained on XOR, and why it must fail."""

import logging
from pathlib import Path

from xorjax.config import Config
from xorjax.experiments import train

log = logging.getLogger(__name__)
check = train.check


# A run whose four outputs are all this close to 0.5 found no line at all: w = 0, b = 0.
AT_HALF = 1e-3


def found(metrics: dict, loss: str) -> str:
    """When the run found no line (w = 0, b = 0), that in words, else "" (the console and the lecture's report
    say the same)."""
    yhat = metrics["predictions"]
    if any(v is None for v in yhat) or max(abs(v - 0.5) for v in yhat) >= AT_HALF:
        return ""
    best = (
        " For the cross-entropy cost (here ln 2 = 0.693) that is the best one unit can do on XOR: the cost is "
        "convex in w and b, and its gradient at w = 0, b = 0 is zero."
        if loss == "bce"
        else ""
    )
    return (
        "This run found no line at all: w ≈ 0, b ≈ 0, so ŷ = 0.5 on every pattern and its decision surface "
        f"is flat; its predictions (ŷ > 0.5) show round-off, not a line.{best}"
    )


def run(cfg: Config, out: Path) -> dict:
    metrics = train.run(cfg, out)
    if not cfg.model.hidden:
        note = found(metrics, cfg.loss)
        log.info(
            "\nA single unit draws one straight line w1*x1 + w2*x2 + b = 0 through the plane. XOR needs "
            "(0,1) and (1,0) on one side, (0,0) and (1,1) on the other: adding the two conditions for the "
            "first pair gives w1 + w2 + 2b > 0, adding those for the second gives w1 + w2 + 2b < 0, so no "
            f"line separates them. At most 3 of 4 patterns can be right; this run got accuracy {metrics['accuracy']}. "
            + (f"{note} " if note else "")
            + "A hidden layer (model.hidden=[2]) bends the space so a line can."
        )
    return metrics
