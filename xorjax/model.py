"""The lecture's network as pure functions: parameters, forward pass, cost, accuracy.

Parameters are a plain dict with the lecture's names: ``W1`` (in x out), ``b1`` (out), ``W2``, ``b2``, ...
for any list of hidden sizes (``[2]`` is the lecture's net, ``[]`` is logistic regression).

The forward pass is written unit by unit ("unrolled at trace time") over *units*: a units pytree holds
every weight as its own array, ``W[l][i][j]``.  Every array may carry extra trailing batch axes (one entry
per training start), so the same arithmetic trains one network or a million side by side; XLA fuses it
into elementwise loops with no tiny matrix products.  ``unstack`` and ``stack`` convert between the two.
"""

from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp

ACTIVATIONS: dict[str, Callable] = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu}
INITS = ("normal", "uniform", "file")


def sigmoid(z):
    return jax.nn.sigmoid(z)


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


def _mse(z, y):
    return (sigmoid(z) - y) ** 2


def _sse(z, y):
    # Rumelhart, Hinton & Williams (1986): E = 1/2 sum of squared errors; per pattern 1/2 (yhat - y)^2.
    return 0.5 * (sigmoid(z) - y) ** 2


LOSSES: dict[str, Callable] = {"bce": _bce, "mse": _mse, "sse": _sse}


def layer_sizes(hidden, n_in: int = 2) -> list[int]:
    return [n_in, *hidden, 1]


def param_shapes(hidden, n_in: int = 2) -> dict[str, tuple[int, ...]]:
    sizes = layer_sizes(hidden, n_in)
    shapes = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        shapes[f"W{l}"] = (a, b)
        shapes[f"b{l}"] = (b,)
    return shapes


def init_params(key, hidden, init: str = "normal", scale: float = 1.0, n_in: int = 2) -> dict:
    """Random parameters: ``normal`` has stddev ``scale``; ``uniform`` is U(-scale, scale)."""
    shapes = param_shapes(hidden, n_in)
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


def unstack(params) -> list[tuple]:
    """``{"W1": (in, out, *B), "b1": (out, *B), ...}`` -> ``[(W, b), ...]`` with ``W[i][j]``, ``b[j]`` of shape B."""
    layers = []
    for l in range(1, n_layers(params) + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        layers.append((tuple(tuple(W[i, j] for j in range(W.shape[1])) for i in range(W.shape[0])),
                       tuple(b[j] for j in range(b.shape[0]))))
    return layers


def stack(layers) -> dict:
    params = {}
    for l, (W, b) in enumerate(layers, start=1):
        params[f"W{l}"] = jnp.stack([jnp.stack(row) for row in W])
        params[f"b{l}"] = jnp.stack(b)
    return params


def forward_units(layers, x, activation: str = "sigmoid"):
    """One input pattern ``x`` (a sequence of ``in`` numbers) through the net.

    Returns the output logit and the activations of every hidden layer (a list of lists of units).
    Each unit is ``z_j = sum_i h_i * W[i][j] + b[j]``; hidden units apply the activation, the output
    unit is left as a logit so the cost can be computed stably.
    """
    act = ACTIVATIONS[activation]
    h = [x[i] for i in range(len(layers[0][0]))]
    hidden = []
    for l, (W, b) in enumerate(layers):
        z = [b[j] + sum(h[i] * W[i][j] for i in range(len(h))) for j in range(len(b))]
        if l == len(layers) - 1:
            return z[0], hidden
        h = [act(zj) for zj in z]
        hidden.append(h)


def cost_units(layers, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    """Mean cost over the patterns, and the accuracy (mean of (yhat > 0.5) == y), per start."""
    costs, hits = [], []
    for p in range(X.shape[0]):
        z, _ = forward_units(layers, X[p], activation)
        costs.append(LOSSES[loss](z, Y[p]))
        hits.append(((sigmoid(z) > 0.5) == (Y[p] > 0.5)).astype(jnp.float32))
    return sum(costs) / len(costs), sum(hits) / len(hits)


@partial(jax.jit, static_argnames="activation")
def predict(params, X, activation: str = "sigmoid"):
    """Hypothesis for each row of ``X``: yhat of shape (N,) and each hidden layer's output (N, width)."""
    layers = unstack(params)

    def one(x):
        z, hidden = forward_units(layers, x, activation)
        return sigmoid(z), [jnp.stack(h) for h in hidden]

    return jax.vmap(one)(X)


def cost(params, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    return cost_units(unstack(params), jnp.asarray(X), jnp.asarray(Y), activation, loss)[0]


def accuracy(yhat, Y):
    return jnp.mean((yhat > 0.5) == (jnp.asarray(Y) > 0.5))
