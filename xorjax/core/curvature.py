"""The cost landscape at the points where training stopped: the gradient, the Hessian's eigenvalues, and what
kind of point each is (a saddle, a plateau that leads off to infinity, a minimum), for thousands of starts at
once, in float64.

The 2-2-1 XOR network's error surface has no local minimum at finite weights (Hamey 1998; Sprinkhuizen-Kuyper
and Boers 1998, 1999): gradient descent is stopped by saddle points, and by plateaus where units saturate and
the cost keeps falling, ever more slowly, as the weights grow without bound. ``classify`` tells these apart
from the numbers alone, so that a stuck start that is a true minimum would show.

Every function takes parameters with the start axis last (as the engine returns them) and works on any net:
a start's parameters are flattened into one vector θ of P numbers, and its Hessian is P x P.
"""

from functools import lru_cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from xorjax.core import data, descent, model

KINDS = ("saddle", "plateau", "minimum", "other")
# The Hessians of at most this many numbers are computed at once, so that a wide net's thousands of P x P
# matrices never sit in memory together (32 MB in float64).
BATCH_NUMBERS = 1 << 22


class Tolerances(NamedTuple):
    """What "clearly", "small" and "growing" mean in ``classify`` (``landscape.*`` settings)."""

    eig: float = 1e-3  # an eigenvalue is clearly negative (positive) below -eig (above +eig) x the largest |eigenvalue|
    grad: float = 1e-2  # a gradient norm below this is small: the cost there is flat to first order
    growth: float = (
        1e-3  # the weights are still growing when their norm rose by more than this share over the last tenth
    )


DEFAULT = Tolerances()


def round_off(precision: str) -> float:
    """The gradient norm a true minimum reached in ``precision`` cannot be told from: √ε of that float type
    (3.5e-4 in float32, 1.5e-8 in float64), the classic bound on how close to stationary a computed point is."""
    return float(np.sqrt(np.finfo(descent.PRECISIONS[precision]).eps))


KIND_MEANING = {
    "saddle": "a clearly negative eigenvalue: a direction of descent exists, gradient descent is only slow to find it",
    "plateau": "a small gradient, no clearly negative eigenvalue, and weights still growing: a flat region that "
    "leads off to infinity as units saturate",
    "minimum": "a gradient at round-off level, every eigenvalue clearly positive, weights not growing: a true "
    "local minimum",
    "other": "none of the above (e.g. still descending with a gradient that is not small, or not finite)",
}


def flat(params: dict) -> tuple[np.ndarray, callable]:
    """Parameters with the start axis last -> (θ as an (N, P) float64 array, ``unravel`` of one start's θ)."""
    n = next(iter(params.values())).shape[-1]
    unravel = _unravel(tuple((k, v.shape[:-1]) for k, v in params.items()))
    # ravel_pytree's order: the dict's keys sorted, each array in C order, which for the start axis last is
    # the reshape below.
    thetas = np.concatenate([np.asarray(params[k], np.float64).reshape(-1, n) for k in sorted(params)]).T
    return np.ascontiguousarray(thetas), unravel


@lru_cache(maxsize=16)
def _unravel(shapes: tuple):
    """One ``unravel`` per net shape, so that the functions built on it (``cost_of``) and their compilations are
    made once, however many times a net of that shape is analysed."""
    return ravel_pytree({k: np.zeros(shape, np.float64) for k, shape in shapes})[1]


def unflat(thetas: np.ndarray, unravel) -> dict:
    """(N, P) -> parameters with the start axis last (float64)."""
    with jax.enable_x64(True):
        return jax.tree.map(lambda v: np.moveaxis(np.asarray(v), 0, -1), jax.vmap(unravel)(jnp.asarray(thetas)))


@lru_cache(maxsize=16)
def cost_of(unravel, activation: str, loss: str):
    """θ -> the full-batch cost of the four patterns (the mean over them, as training computes it)."""
    X, Y = data.X.astype(np.float64), data.Y.astype(np.float64)

    def cost(theta):
        p = unravel(theta)
        # Every layer as a plain matrix, whatever layout training used: the same function, one that jax.hessian
        # can differentiate (the sums layout's gradient is a custom_vjp, which forward mode cannot), and a program
        # that stays small at any width.
        layers = [(p[f"W{l}"], p[f"b{l}"]) for l in range(1, model.n_layers(p) + 1)]
        return model.cost_and_accuracy(layers, X, Y, activation, loss)[0]

    return cost


class Point(NamedTuple):
    """What the landscape is like at each start's point (start axis first, float64)."""

    cost: np.ndarray  # (N,)
    grad_norm: np.ndarray  # (N,)
    eigenvalues: np.ndarray  # (N, P), ascending
    smallest: np.ndarray  # (N, P, 2): unit eigenvectors of the two smallest eigenvalues, as columns


def local(cost):
    """θ -> (cost, gradient, Hessian) of a scalar function of one vector θ, by ``jax.grad`` and ``jax.hessian``."""

    def at(theta):
        value, g = jax.value_and_grad(cost)(theta)
        return value, g, jax.hessian(cost)(theta)

    return at


def spectrum(cost, thetas: np.ndarray) -> Point:
    """The cost, gradient norm and Hessian spectrum of ``cost`` at every row of ``thetas`` (N, P), in float64.

    Two compiled calls per batch of starts: the Hessians, mapped over the batch, then their eigen-decompositions
    as one batched eigh. Kept apart on purpose: fused into one program, XLA's eigh ran 10 to 20 times slower
    (2-2-1: 1.5 s against 0.1 s for 10,000 starts; 2-10-10-10-1: 12.5 s against 0.8 s for 64)."""
    n, p = thetas.shape
    size = max(1, min(n, BATCH_NUMBERS // (p * p)))  # starts per batch: their Hessians' memory is bounded
    out = []
    with jax.enable_x64(True):
        for lo in range(0, n, size):
            batch = thetas[np.minimum(np.arange(lo, lo + size), n - 1)]  # the last one padded: one compilation
            value, g, H = _derivatives(cost)(jnp.asarray(batch, jnp.float64))
            w, v = _eigen(H)
            m = min(size, n - lo)
            out.append(jax.device_get((value[:m], jnp.linalg.norm(g, axis=-1)[:m], w[:m], v[:m])))
    value, g, w, v = (np.concatenate(parts) for parts in zip(*out))
    return Point(value, g, w, v)


@lru_cache(maxsize=16)
def _derivatives(cost):
    """``local(cost)`` mapped over a batch of θ, compiled once per cost."""
    return jax.jit(jax.vmap(local(cost)))


@jax.jit
def _eigen(H):
    """Eigenvalues (ascending) and the eigenvectors of the two smallest, of a batch of symmetric matrices."""
    # Symmetric in exact arithmetic: averaging with the transpose removes round-off asymmetry first.
    w, v = jnp.linalg.eigh((H + jnp.swapaxes(H, -1, -2)) / 2)
    return w, v[..., :2]


def analyse(params: dict, activation: str = "sigmoid", loss: str = "bce") -> Point:
    """``spectrum`` of the XOR cost at every start's parameters (start axis last)."""
    thetas, unravel = flat(params)
    return spectrum(cost_of(unravel, activation, loss), thetas)


def norms(params: dict) -> np.ndarray:
    """The Euclidean norm of every start's parameters (all weights and biases together)."""
    return np.sqrt(sum(np.sum(np.asarray(v, np.float64) ** 2, axis=tuple(range(v.ndim - 1))) for v in params.values()))


def growth(final: dict, late: dict) -> np.ndarray:
    """How much the weight norm rose over the last tenth of the run, as a share of where it stood then."""
    before = norms(late)
    return (norms(final) - before) / np.where(before > 0, before, 1.0)


def classify(point: Point, weight_growth: np.ndarray, precision: str, tol: Tolerances = DEFAULT) -> dict:
    """Each start's ``kind`` (index into KINDS) and its counts of clearly negative, near-zero and clearly
    positive eigenvalues: the first rule of KIND_MEANING that holds."""
    w = point.eigenvalues
    scale = np.max(np.abs(w), axis=1, keepdims=True)
    negative = np.sum(w < -tol.eig * scale, axis=1)
    positive = np.sum(w > tol.eig * scale, axis=1)
    zero = w.shape[1] - negative - positive
    finite = np.all(np.isfinite(w), axis=1) & np.isfinite(point.grad_norm)
    growing = weight_growth > tol.growth
    saddle = finite & (negative > 0)
    minimum = finite & (point.grad_norm < round_off(precision)) & (positive == w.shape[1]) & ~growing
    plateau = finite & (point.grad_norm < tol.grad) & (negative == 0) & growing
    kind = np.select(
        [saddle, minimum, plateau], [KINDS.index(k) for k in ("saddle", "minimum", "plateau")], KINDS.index("other")
    )
    return {"kind": kind, "negative": negative, "zero": zero, "positive": positive}


def kick_directions(point: Point, seeds, tol: Tolerances = DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """Per start, a unit direction to leave its point by: the eigenvector of the most negative eigenvalue where
    one is clearly negative, else a random direction drawn from the start's seed (so a run repeats). Returns
    (directions (N, P), whether each is an eigenvector)."""
    w = point.eigenvalues
    along = w[:, 0] < -tol.eig * np.max(np.abs(w), axis=1)
    out = point.smallest[:, :, 0].copy()
    for i in np.flatnonzero(~along):
        r = np.random.default_rng([int(seeds[i]), 1]).standard_normal(w.shape[1])
        out[i] = r / np.linalg.norm(r)
    return out, along


def kicked(thetas: np.ndarray, directions: np.ndarray, size: float, unravel, activation: str, loss: str) -> np.ndarray:
    """θ + size·d or θ - size·d for every start, whichever has the lower cost (an eigenvector's sign is
    arbitrary; + on a tie), so that the kick goes downhill where it can."""
    with jax.enable_x64(True):
        c = jax.jit(jax.vmap(cost_of(unravel, activation, loss)))
        plus, minus = thetas + size * directions, thetas - size * directions
        up = np.asarray(c(jnp.asarray(plus))) <= np.asarray(c(jnp.asarray(minus)))
    return np.where(up[:, None], plus, minus)


def slices(theta: np.ndarray, directions: np.ndarray, span: float, unravel, activation: str, loss: str, n: int = 61):
    """The pictures' data for one start: the cost along θ + t·d1 (t in [-span, span]), over the plane
    θ + s·d1 + t·d2 (an n x n grid), and along the ray r·θ (r from 1/16 to 16: the weights scaled, the way a
    plateau leads off to infinity). t = 0 and r = 1, the point itself, are both the middle entry. Returns
    {"t", "line", "grid", "r", "ray"}."""
    t = np.linspace(-span, span, 4 * n + 1)  # odd: t = 0, the point itself, is one of them
    s = np.linspace(-span, span, n)
    r = np.geomspace(1 / 16, 16, 4 * n + 1)  # symmetric in log r, so the middle is r = 1 exactly
    d1, d2 = directions[:, 0], directions[:, 1]
    a, b = np.meshgrid(s, s, indexing="ij")  # row = along d1, column = along d2
    points = {
        "line": theta + t[:, None] * d1,
        "grid": theta + a.reshape(-1, 1) * d1 + b.reshape(-1, 1) * d2,
        "ray": r[:, None] * theta,
    }
    with jax.enable_x64(True):
        c = jax.jit(jax.vmap(cost_of(unravel, activation, loss)))
        out = {k: np.asarray(c(jnp.asarray(v))) for k, v in points.items()}
    return {"t": t, "r": r, **out, "grid": out["grid"].reshape(n, n)}
