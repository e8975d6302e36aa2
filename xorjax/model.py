"""The lecture's network as pure functions: parameters, forward pass, cost, accuracy.

Parameters are a plain dict with the lecture's names: ``W1`` (in x out), ``b1`` (out), ``W2``, ``b2``, ...
for any list of hidden sizes (``[2]`` is the lecture's net, ``[]`` is logistic regression). Every array may
carry trailing start axes (one entry per training start), so the same arithmetic trains one network or a
million side by side.

The forward pass is written once (``forward``), layer by layer through ``dense``. How the layers are laid
out for XLA is decided in one place, ``layout``, by the size of the widest layer:

- ``units``: every weight its own array over starts, ``W[i][j]``, and each pattern computed on its own, so
  training is elementwise over the start axis: XLA fuses a whole step into one loop (about 220 M net-steps/s
  for the 2-2-1 net on 2 cores). Tracing and compiling grow with the number of weights, so only for tiny
  layers: a 2-16-1 net compiles in about 3 s, a 2-10-10-10-1 net in 30 to 45 s.
- ``matrix``: ``W`` an (in, out, *starts) array and all patterns at once, ``z = h·W + b`` as one ``einsum``:
  tracing and compiling do not grow with the width.
"""

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp


def sigmoid(z):
    return jax.nn.sigmoid(z)


# A hidden unit's truth table reads a value as 0 or 1 only when it is this close to the activation's low or
# high level (for the sigmoid: below 0.2 or above 0.8); in between it is "not saturated" (``atlas``).
SATURATION = 0.2


class Activation(NamedTuple):
    """Everything the project knows of a hidden activation: adding one is adding one record here."""

    fn: Callable          # the activation, in JAX
    grad: Callable        # its derivative from its output h = fn(z), for the chain rule written out (backprop)
    levels: tuple         # (low, high): the values a binary hidden unit stands for (atlas)
    middle: float         # where a unit's truth table turns from 0 to 1
    margin: float         # how far from the middle a value is saturated (0: any value above it is on)
    flips: bool           # fn(-z) = low + high - fn(z): the sign-flip symmetry of the atlas holds


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, lambda h: h * (1 - h), (0.0, 1.0), 0.5, 0.5 - SATURATION, True),
    "tanh": Activation(jnp.tanh, lambda h: 1 - h ** 2, (-1.0, 1.0), 0.0, 1 - 2 * SATURATION, True),
    # relu has no upper saturation and no flip symmetry; its derivative is 0 at z = 0, as jax.nn.relu's.
    "relu": Activation(jax.nn.relu, lambda h: (h > 0).astype(h.dtype), (0.0, 1.0), 0.0, 0.0, False),
}
OUTPUT = ACTIVATIONS["sigmoid"]  # the output unit is always a sigmoid, whatever the hidden activation
INITS = ("normal", "uniform", "file")


@jax.custom_jvp
def _bce(z, y):
    # From the logit, so log(0) never happens: -(y log s + (1 - y) log(1 - s)) with s = sigmoid(z)
    # equals softplus(z) - y z = max(z, 0) - y z + log(1 + exp(-|z|)).
    return jnp.maximum(z, 0) - y * z + jnp.log1p(jnp.exp(-jnp.abs(z)))


@_bce.defjvp
def _bce_jvp(primals, tangents):
    # d bce / dz = sigmoid(z) - y (the lecture's yhat - y), given directly: autodiff of the stable formula
    # above costs several exp/log per pattern and made a training step about 3x slower.
    z, y = primals
    dz, dy = tangents
    return _bce(z, y), (sigmoid(z) - y) * dz - z * dy


class Loss(NamedTuple):
    """A cost per pattern from the output logit z, and its derivative by z written out (backprop)."""

    fn: Callable      # (z, y) -> cost of one pattern
    dz: Callable      # (yhat, y) -> d cost / dz, with yhat = sigmoid(z)


# d cost / dz = d cost / d yhat * d yhat / dz with d yhat / dz = yhat (1 - yhat):
#   bce = -(y log yhat + (1-y) log(1-yhat)):  (yhat - y)/(yhat(1 - yhat)) * yhat(1 - yhat) = yhat - y
#   mse = (yhat - y)^2:                        2 (yhat - y) yhat (1 - yhat)
#   sse = (yhat - y)^2 / 2:                    (yhat - y) yhat (1 - yhat)
# (lab 9-x divides and multiplies by yhat(1 - yhat), with a 1e-7 against 0/0; cancelling it is exact.)
LOSSES: dict[str, Loss] = {
    "bce": Loss(_bce, lambda yhat, y: yhat - y),
    "mse": Loss(lambda z, y: (sigmoid(z) - y) ** 2, lambda yhat, y: 2 * (yhat - y) * yhat * (1 - yhat)),
    # Rumelhart, Hinton & Williams (1986): E = 1/2 sum of squared errors; per pattern 1/2 (yhat - y)^2.
    "sse": Loss(lambda z, y: 0.5 * (sigmoid(z) - y) ** 2, lambda yhat, y: (yhat - y) * yhat * (1 - yhat)),
}


def layer_sizes(hidden) -> list[int]:
    return [2, *hidden, 1]


def param_shapes(hidden) -> dict[str, tuple[int, ...]]:
    sizes = layer_sizes(hidden)
    shapes = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes[f"W{l}"] = (a, b)
        shapes[f"b{l}"] = (b,)
    return shapes


def init_params(key, hidden, init: str = "normal", scale: float = 1.0) -> dict:
    """Random parameters: ``normal`` has stddev ``scale``; ``uniform`` is U(-scale, scale)."""
    shapes = param_shapes(hidden)
    keys = jax.random.split(key, len(shapes))
    params = {}
    for k, (name, shape) in zip(keys, shapes.items()):
        if init == "normal":
            params[name] = scale * jax.random.normal(k, shape, jnp.float32)
        elif init == "uniform":
            params[name] = jax.random.uniform(k, shape, jnp.float32, -scale, scale)
        else:
            raise ValueError(f"init must be normal or uniform, got {init!r}")
    return params


def n_layers(params) -> int:
    return len(params) // 2


# The most weights a layer may have for the net to be laid out as units. Measured on 2 cores (4,096 starts):
# 2-16-1 as units compiles in 3.4 s and trains 4.6 M net-steps/s, 20x faster than a matrix net one start at a
# time; 2-10-10-10-1 (100-weight layers) as units takes 30-45 s to compile, as matrices under 1 s.
UNITS_MAX = 32


def layout(hidden) -> str:
    """``units`` or ``matrix`` (see the module's docstring): the one place the choice is made."""
    sizes = layer_sizes(hidden)
    return "units" if max(a * b for a, b in zip(sizes[:-1], sizes[1:])) <= UNITS_MAX else "matrix"


def hidden_of(params) -> tuple:
    return tuple(params[f"b{l}"].shape[0] for l in range(1, n_layers(params)))


def to_layers(params, laid_out: str | None = None) -> list[tuple]:
    """``{"W1": (in, out, *B), "b1": (out, *B), ...}`` -> ``[(W, b), ...]`` in the net's layout (or
    ``laid_out``): for units, ``W[i][j]`` and ``b[j]`` arrays of shape B; for matrices, the arrays themselves."""
    if (laid_out or layout(hidden_of(params))) == "matrix":
        return [(params[f"W{l}"], params[f"b{l}"]) for l in range(1, n_layers(params) + 1)]
    layers = []
    for l in range(1, n_layers(params) + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        layers.append((tuple(tuple(W[i, j] for j in range(W.shape[1])) for i in range(W.shape[0])),
                       tuple(b[j] for j in range(b.shape[0]))))
    return layers


def from_layers(layers) -> dict:
    params = {}
    for l, (W, b) in enumerate(layers, start=1):
        units = isinstance(W, tuple)
        params[f"W{l}"] = jnp.stack([jnp.stack(row) for row in W]) if units else W
        params[f"b{l}"] = jnp.stack(b) if units else b
    return params


def dense(h, W, b):
    """z_j = sum_i h_i W_ij + b_j. Units: ``h`` one pattern's units, a list of arrays over starts. Matrices:
    ``h`` (patterns, in, *B) and ``W`` (in, out, *B)."""
    if isinstance(W, tuple):
        return [b[j] + sum(h[i] * W[i][j] for i in range(len(h))) for j in range(len(b))]
    return jnp.einsum("pi...,ij...->pj...", h, W) + b


def forward(layers, X, activation: str = "sigmoid"):
    """The patterns ``X`` (P, 2) through the net: the output logit z (P, *B) and every hidden layer's output.

    Hidden layers apply the activation; the output unit is left as a logit so the cost can be computed
    stably. Units go pattern by pattern (each hidden layer a list over patterns of lists of units); matrices
    take all patterns at once (each hidden layer (P, width, *B)).
    """
    act = ACTIVATIONS[activation].fn

    def through(h):
        hidden = []
        for W, b in layers[:-1]:
            h = jax.tree.map(act, dense(h, W, b))
            hidden.append(h)
        return dense(h, *layers[-1]), hidden

    W1 = layers[0][0]
    if isinstance(W1, tuple):
        outs = [through([x[i] for i in range(len(x))]) for x in X]
        return jnp.stack([z[0] for z, _ in outs]), [[h[l] for _, h in outs] for l in range(len(layers) - 1)]
    X = jnp.asarray(X, W1.dtype)
    z, hidden = through(jnp.broadcast_to(X.reshape(X.shape + (1,) * (W1.ndim - 2)), X.shape + W1.shape[2:]))
    return z[:, 0], hidden


def cost_and_accuracy(layers, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    """Mean cost over the patterns, and the accuracy (mean of (yhat > 0.5) == y), per start."""
    z, _ = forward(layers, X, activation)
    Y = jnp.asarray(Y, z.dtype).reshape((-1,) + (1,) * (z.ndim - 1))
    costs = LOSSES[loss].fn(z, Y)
    hits = ((sigmoid(z) > 0.5) == (Y > 0.5)).astype(z.dtype)
    # Summed pattern by pattern, in order: the same additions whatever the number of starts.
    return sum(costs[p] for p in range(len(costs))) / len(costs), sum(hits[p] for p in range(len(hits))) / len(hits)


@partial(jax.jit, static_argnames="activation")
def predict(params, X, activation: str = "sigmoid"):
    """Hypothesis for each row of ``X``: yhat (N, *B) and each hidden layer's output (N, width, *B), for
    parameters with any trailing start axes (B)."""
    layers = to_layers(params)
    z, hidden = forward(layers, X, activation)
    if isinstance(layers[0][0], tuple):  # units: lists over patterns of lists of units
        hidden = [jnp.stack([jnp.stack(units) for units in h]) for h in hidden]
    return sigmoid(z), hidden


def cost(params, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    return cost_and_accuracy(to_layers(params), X, Y, activation, loss)[0]


def accuracy(yhat, Y):
    return jnp.mean((yhat > 0.5) == (jnp.asarray(Y) > 0.5))
