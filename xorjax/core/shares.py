"""Shares of counts, in plain Python (the multirun summary reads them without importing JAX): the Wilson interval
of a success rate, and how many of the most frequent kinds of solution hold a given share of them."""

import math

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95% by default); sound near 0 and 1, unlike
    p +- z sqrt(p(1-p)/n)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # Exactly 0 and 1 at the ends, where rounding would leave 1e-17 and 1 - 1e-16.
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


def covering(counts: list[int], share: float = 0.95) -> int | None:
    """How many of the largest ``counts`` (sorted, largest first) it takes to hold ``share`` of their sum (None
    for none): the multirun summary's "mechanisms for 95%"."""
    total = sum(counts)
    if not total:
        return None
    return int(_first_reaching(counts, share * total))


def _first_reaching(counts: list[int], target: float) -> int:
    """The number of leading counts whose sum first reaches ``target``."""
    total = 0
    for i, c in enumerate(counts, start=1):
        total += c
        if total >= target * (1 - 1e-12):
            return i
    return len(counts)
