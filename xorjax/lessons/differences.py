"""The lecture's derivatives, three ways: its finite difference, ``jax.grad``, and the rule written out.

Every example is a function of (x, y) (the one-variable ones ignore y) with the variable it is
differentiated by, the exact rule as text and as numbers, and, for a composite f(g(x)), the two factors
of the chain rule.  The finite differences show why autodiff exists: the lecture's
(f(x + h) - f(x)) / h is off by about h·f''/2 (truncation) plus ε·|f|/h (round-off), so no h is exact.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

LECTURE_H = 0.01


def forward_difference(f: Callable, x, h=LECTURE_H):
    """The lecture's slope: (f(x + h) - f(x)) / h; error O(h)."""
    return (f(x + h) - f(x)) / h


def central_difference(f: Callable, x, h=LECTURE_H):
    """(f(x + h) - f(x - h)) / 2h: the h·f''/2 terms cancel, error O(h²)."""
    return (f(x + h) - f(x - h)) / (2 * h)


class Example(NamedTuple):
    key: str  # how ``derivatives.table=<key>`` names it
    name: str  # the function as the lecture writes it
    f: Callable  # f(x, y)
    wrt: str  # "x" or "y": the variable the derivative is taken by
    rule: str  # the exact derivative, written out
    exact: Callable  # (x, y) -> the rule's value
    chain: Callable | None = None  # composite f(g(x)): (x, y) -> (∂f/∂g, ∂g/∂x)


def _sigmoid_chain(x, y):
    s = jax.nn.sigmoid(2 * x + 1)
    return s * (1 - s), 2.0


EXAMPLES = [
    Example("const", "f(x) = 3", lambda x, y: 3.0, "x", "d/dx 3 = 0: a constant does not change", lambda x, y: 0.0),
    Example("x", "f(x) = x", lambda x, y: x, "x", "d/dx x = 1", lambda x, y: 1.0),
    Example(
        "2x",
        "f(x) = 2x",
        lambda x, y: 2 * x,
        "x",
        "d/dx 2x = 2 · d/dx x = 2: a constant factor carries through",
        lambda x, y: 2.0,
    ),
    Example("x+x", "f(x) = x + x", lambda x, y: x + x, "x", "d/dx (x + x) = 1 + 1 = 2", lambda x, y: 2.0),
    Example("x+3", "f(x) = x + 3", lambda x, y: x + 3, "x", "d/dx (x + 3) = 1 + 0 = 1", lambda x, y: 1.0),
    Example("xy/x", "f(x, y) = xy", lambda x, y: x * y, "x", "∂(xy)/∂x = y: y is held constant", lambda x, y: y),
    Example("xy/y", "f(x, y) = xy", lambda x, y: x * y, "y", "∂(xy)/∂y = x: x is held constant", lambda x, y: x),
    Example("x+y/x", "f(x, y) = x + y", lambda x, y: x + y, "x", "∂(x + y)/∂x = 1 + 0 = 1", lambda x, y: 1.0),
    Example("x+y/y", "f(x, y) = x + y", lambda x, y: x + y, "y", "∂(x + y)/∂y = 0 + 1 = 1", lambda x, y: 1.0),
    Example(
        "sigmoid",
        "f(x) = σ(2x + 1)",
        lambda x, y: jax.nn.sigmoid(2 * x + 1),
        "x",
        "g = 2x + 1, f = σ(g): ∂f/∂x = ∂f/∂g · ∂g/∂x = σ(g)(1 − σ(g)) · 2",
        lambda x, y: _sigmoid_chain(x, y)[0] * 2,
        _sigmoid_chain,
    ),
    Example(
        "cube",
        "f(x) = (x² + 1)³",
        lambda x, y: (x**2 + 1) ** 3,
        "x",
        "g = x² + 1, f = g³: ∂f/∂x = ∂f/∂g · ∂g/∂x = 3g² · 2x",
        lambda x, y: 3 * (x**2 + 1) ** 2 * 2 * x,
        lambda x, y: (3 * (x**2 + 1) ** 2, 2 * x),
    ),
]
BY_KEY = {e.key: e for e in EXAMPLES}


def along(example: Example, x, y) -> Callable:
    """The example as a function of its one variable, the other held constant (a partial derivative)."""
    return (lambda t: example.f(t, y)) if example.wrt == "x" else (lambda t: example.f(x, t))


def compute(example: Example, x: float, y: float, h: float = LECTURE_H) -> dict:
    """One row: the lecture's forward difference, a central one, jax.grad and the rule, each with its error."""
    with jax.enable_x64(True):
        x, y = jnp.float64(x), jnp.float64(y)
        f = along(example, x, y)
        at = x if example.wrt == "x" else y
        exact = float(example.exact(x, y))
        row = {
            "key": example.key,
            "name": example.name,
            "wrt": example.wrt,
            "x": float(x),
            "y": float(y),
            "h": h,
            "rule": example.rule,
            "numerical": float(forward_difference(f, at, h)),
            "central": float(central_difference(f, at, h)),
            "autodiff": float(jax.grad(f)(at)),
            "exact": exact,
        }
        if example.chain is not None:
            df_dg, dg_dx = example.chain(x, y)
            row["chain"] = {"df_dg": float(df_dg), "dg_dx": float(dg_dx)}
    for k in ("numerical", "central", "autodiff"):
        row[f"{k}_error"] = abs(row[k] - exact)
    return row


def step_table(example: Example, x: float, y: float, decades: int = 8) -> list[dict]:
    """The forward and central differences for h = 1e-1 ... 1e-decades, in float64, and the forward one
    in float32 too: truncation error shrinks with h until round-off (ε/h) takes over, far sooner in float32."""
    exact = compute(example, x, y)["exact"]
    rows = []
    for k in range(1, decades + 1):
        h = 10.0**-k
        with jax.enable_x64(True):
            f = along(example, jnp.float64(x), jnp.float64(y))
            at = jnp.float64(x if example.wrt == "x" else y)
            fwd, cen = float(forward_difference(f, at, h)), float(central_difference(f, at, h))
            f32 = along(example, jnp.float32(x), jnp.float32(y))
            fwd32 = float(forward_difference(f32, jnp.float32(at), jnp.float32(h)))
        rows.append(
            {
                "h": h,
                "forward": fwd,
                "forward_error": abs(fwd - exact),
                "central": cen,
                "central_error": abs(cen - exact),
                "forward_float32": fwd32,
                "forward_float32_error": abs(fwd32 - exact),
            }
        )
    return rows
