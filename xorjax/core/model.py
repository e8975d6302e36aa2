"""The lecture's network as pure functions: parameters, forward pass, cost, accuracy.

Parameters are a plain dict with the lecture's names: ``W1`` (in x out), ``b1`` (out), ``W2``, ``b2``, ...
for any list of hidden sizes (``[2]`` is the lecture's net, ``[]`` is logistic regression). Every array may
carry trailing start axes (one entry per training start), so the same arithmetic trains one network or a
million side by side.

The forward pass is written once (``forward``), layer by layer through ``dense``. How each layer is laid out
for XLA (units, sums or a matrix) is decided in one place, ``layouts``, by the layers' sizes: the same
for a single run and a sweep, so start i of a sweep is the run seed=i, bit for bit.
"""

import math
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend.random import threefry2x32_p


def sigmoid(z):
    return jax.nn.sigmoid(z)


def _sigmoid_host(z):
    with np.errstate(over="ignore"):  # exp(-z) is inf below z = -709, where 1 / (1 + inf) = 0 is right
        return 1.0 / (1.0 + np.exp(-z))


# A hidden unit's truth table reads a value as 0 or 1 only when it is this close to the activation's low or
# high level (for the sigmoid: below 0.2 or above 0.8); in between it is "not saturated" (``atlas``).
SATURATION = 0.2


class Activation(NamedTuple):
    """Everything the project knows of a hidden activation: adding one is adding one record here."""

    fn: Callable  # the activation, in JAX
    # The same in NumPy, for what is analysed on the host while a sweep trains its next chunk (``mechanism``): an
    # eager JAX call there is queued behind that chunk on its device, so the analysis waited for the chunk instead
    # of overlapping it. It agrees with ``fn`` to a few ulps (tests/test_mechanism.py).
    host: Callable
    grad: Callable  # its derivative from its output h = fn(z), for the chain rule written out (backprop)
    levels: tuple  # (low, high): the values a binary hidden unit stands for (atlas)
    middle: float  # where a unit's truth table turns from 0 to 1
    margin: float  # how far from the middle a value is saturated (0: any value above it is on)
    flips: bool  # fn(-z) = low + high - fn(z): the sign-flip symmetry of the atlas holds


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, _sigmoid_host, lambda h: h * (1 - h), (0.0, 1.0), 0.5, 0.5 - SATURATION, True),
    "tanh": Activation(jnp.tanh, np.tanh, lambda h: 1 - h**2, (-1.0, 1.0), 0.0, 1 - 2 * SATURATION, True),
    # relu has no upper saturation and no flip symmetry; its derivative is 0 at z = 0, as jax.nn.relu's.
    "relu": Activation(
        jax.nn.relu, lambda z: np.maximum(z, 0.0), lambda h: (h > 0).astype(h.dtype), (0.0, 1.0), 0.0, 0.0, False
    ),
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

    fn: Callable  # (z, y) -> cost of one pattern
    dz: Callable  # (yhat, y) -> d cost / dz, with yhat = sigmoid(z)


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


def _threefry(*words):
    """jax.random's threefry2x32 hash of every element of four uint32 arrays of one shape: raveled, since XLA
    compiles the hash of a 2-D array seven times slower (1.7 s against 0.23 s for 1,000 x 9 numbers)."""
    return [h.reshape(words[0].shape) for h in threefry2x32_p.bind(*(w.ravel() for w in words))]


def init_params(seeds, hidden, init: str = "normal", scale=1.0) -> dict:
    """Random parameters for the starts ``seeds`` (N,), start axis last: start i's ``W1, b1, ...`` are
    ``scale * jax.random.normal(k, shape)`` (``init="normal"``) or ``jax.random.uniform(k, shape, min=-scale,
    max=scale)``, one key ``k`` each from ``jax.random.split(jax.random.PRNGKey(seeds[i]), len(params))``.
    ``scale`` is one number or one per start.

    These are jax.random's numbers, bit for bit (tests/test_model.py), drawn the way jax.random draws them but
    for every parameter of every start at once: its threefry hash applied once to every start's key (the
    split) and once to every number's counter, and the bits made into numbers by its operations, once. Drawn
    a parameter at a time, each parameter compiles a hash and a transform of its own: the draws of 1,000 2-2-1
    starts took 2.7 s to compile, against 0.8 s so (a sweep's chunk program 4.7 s against 2.9 s)."""
    shapes = param_shapes(hidden)
    sizes = [math.prod(s) for s in shapes.values()]
    seeds = jnp.asarray(seeds)
    n = seeds.shape[0]
    # jax.random.PRNGKey(seed): the seed's high and low 32 bits (the high ones 0 for a 32-bit seed)
    key = [lax.shift_right_logical(seeds, jnp.asarray(32, seeds.dtype)).astype(jnp.uint32), seeds.astype(jnp.uint32)]
    # jax.random.split(key, len(shapes)): key j is the hash of the counter (0, j)
    count = jnp.broadcast_to(jnp.arange(len(shapes), dtype=jnp.uint32), (n, len(shapes)))
    keys = _threefry(*(jnp.broadcast_to(k[:, None], count.shape) for k in key), jnp.zeros_like(count), count)
    # jax.random.bits(key j, shape): number m of parameter j is the hash of the counter (0, m) under key j
    owner = np.repeat(np.arange(len(shapes)), sizes)
    count = jnp.broadcast_to(jnp.asarray(np.concatenate([np.arange(m) for m in sizes]), jnp.uint32), (n, len(owner)))
    bits = jnp.bitwise_xor(*_threefry(keys[0][:, owner], keys[1][:, owner], jnp.zeros_like(count), count))
    # jax.random.uniform's numbers in [1, 2) from the bits' 23 highest, then normal's or uniform's own arithmetic
    one = np.array(1.0, np.float32)
    floats = lax.shift_right_logical(bits, jnp.asarray(9, jnp.uint32)) | jnp.asarray(one.view(np.uint32))
    floats = lax.bitcast_convert_type(floats, jnp.float32) - jnp.asarray(one)
    scale = jnp.broadcast_to(jnp.asarray(scale, jnp.float32), (n,))[:, None]
    if init == "normal":
        low, high = jnp.asarray(np.nextafter(-one, np.float32(0))), jnp.asarray(one)
        z = lax.erf_inv(lax.max(low, floats * (high - low) + low))
        # scale * normal = scale * (sqrt(2) * z), rounded as XLA rounds it when drawn a parameter at a time (so
        # every seed keeps its numbers): as written for a parameter of one number, as (scale * sqrt(2)) * z for
        # a bigger one. Both written out, and the first behind a barrier, so that XLA cannot reorder them here.
        root2 = np.float32(np.sqrt(2))
        single = np.repeat(np.asarray(sizes) == 1, sizes)
        values = jnp.where(single, scale * lax.optimization_barrier(root2 * z), (scale * root2) * z)
    elif init == "uniform":
        low, high = -scale, scale
        values = lax.max(low, floats * (high - low) + low)
    else:
        raise ValueError(f"init must be normal or uniform, got {init!r}")
    ends = np.cumsum(sizes)[:-1]
    return {
        name: jnp.moveaxis(v.reshape(n, *shape), 0, -1)
        for (name, shape), v in zip(shapes.items(), jnp.split(values, ends, axis=1))
    }


def n_layers(params) -> int:
    return len(params) // 2


# The most weights every layer may have for a net laid out as units, and the most inputs + outputs a layer may
# have to be laid out as sums. Measured on 2 cores, 4,096 starts: a 2-16-1 net as units compiles in 3.4 s and
# trains 4.6 M net-steps/s; 2-10-10-10-1 as units takes 30-45 s to compile, as sums 1.6 s (0.4-0.7 M
# net-steps/s a core); as sums, 2-100-1 takes 7.8 s to compile and 2-256-256-1 31 s, as matrices 1.7 and 0.7 s.
UNITS_MAX = 32
SUMS_MAX = 32


def layouts(hidden) -> list[str]:
    """How each layer of the net is laid out for XLA: the one place the choice is made, by the layers' sizes.

    - ``units``: every weight its own array over starts, ``W[i][j]``, each pattern on its own: training is
      elementwise over the start axis and XLA fuses a whole step into one loop (about 220 M net-steps/s for
      the 2-2-1 net on 2 cores), but tracing and compiling grow with the number of weights: only for nets
      whose every layer is tiny (mixed with the other layouts, the conversions cost more than they save).
    - ``sums``: W an (in, out, *starts) array and ``z = b + sum_i h_i W_i`` written as a sum over the fan-in,
      with its gradient by hand (``_sums``): still elementwise over starts, tracing grows with the fan-in only.
    - ``matrix``: W an array and ``z = h·W + b`` one ``einsum``: tracing and compiling do not grow with the
      width; the product's summation order then depends on the number of starts (see ``descent``).
    """
    pairs = list(zip(layer_sizes(hidden)[:-1], layer_sizes(hidden)[1:]))
    if max(a * b for a, b in pairs) <= UNITS_MAX:
        return ["units"] * len(pairs)
    return ["sums" if a + b <= SUMS_MAX else "matrix" for a, b in pairs]


class Sums(NamedTuple):
    """A layer's weights (in, out, *B) marked to be laid out as sums (see ``layouts``)."""

    W: jax.Array


def _units(W) -> bool:
    return isinstance(W, tuple) and not isinstance(W, Sums)


def all_units(layers) -> bool:
    return all(_units(W) for W, _ in layers)


def hidden_of(params) -> tuple:
    return tuple(params[f"b{l}"].shape[0] for l in range(1, n_layers(params)))


def to_layers(params) -> list[tuple]:
    """``{"W1": (in, out, *B), "b1": (out, *B), ...}`` -> ``[(W, b), ...]``, each layer in its layout: units as
    ``W[i][j]`` and ``b[j]`` arrays of shape B, sums as ``Sums(W)`` and ``b``, a matrix as the arrays."""
    layers = []
    for l, laid_out in enumerate(layouts(hidden_of(params)), start=1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        if laid_out == "units":
            W = tuple(tuple(W[i, j] for j in range(W.shape[1])) for i in range(W.shape[0]))
            b = tuple(b[j] for j in range(b.shape[0]))
        layers.append((Sums(W) if laid_out == "sums" else W, b))
    return layers


def from_layers(layers) -> dict:
    params = {}
    for l, (W, b) in enumerate(layers, start=1):
        if _units(W):
            W, b = jnp.stack([jnp.stack(row) for row in W]), jnp.stack(b)
        params[f"W{l}"], params[f"b{l}"] = (W.W if isinstance(W, Sums) else W), b
    return params


@jax.custom_vjp
def _sums(h, W, b):
    """z = b + sum_i h_i W_i for h (P, in, *B), W (in, out, *B), b (out, *B)."""
    return sum((h[:, i : i + 1] * W[i] for i in range(W.shape[0])), b)


def _sums_forward(h, W, b):
    return _sums(h, W, b), (h, W)


def _sums_backward(saved, dz):
    # The chain rule written out as sums in a fixed order: autodiff would sum over the patterns and the units
    # with reductions whose order XLA picks by the number of starts; these additions are the same for any.
    h, W = saved
    patterns = range(h.shape[0])
    dW = jnp.stack([sum(h[p, i] * dz[p] for p in patterns) for i in range(W.shape[0])])
    db = sum(dz[p] for p in patterns)
    dh = sum(dz[:, j : j + 1] * W[:, j] for j in range(W.shape[1]))
    return dh, dW, db


_sums.defvjp(_sums_forward, _sums_backward)


def dense(h, W, b):
    """z_j = sum_i h_i W_ij + b_j for every pattern. Units: ``h`` a list over patterns of lists of units (arrays
    over starts). Sums and matrices: ``h`` (patterns, in, *B) and ``W`` (in, out, *B)."""
    if isinstance(W, Sums):
        return _sums(h, W.W, b)
    if isinstance(W, tuple):
        return [[b[j] + sum(x[i] * W[i][j] for i in range(len(x))) for j in range(len(b))] for x in h]
    return jnp.einsum("pi...,ij...->pj...", h, W) + b


def _as_array(h):
    """A layer's output as one (P, units, *B) array, from units' lists if need be (what ``logits`` returns)."""
    return jnp.stack([jnp.stack(x) for x in h]) if isinstance(h, list) else h


def logits(layers, X, activation: str = "sigmoid"):
    """The patterns ``X`` (P, 2) through the net: the output logit of each pattern (a list of P arrays over
    starts) and each hidden layer's output (P, width, *B). Hidden layers apply the activation; the output
    unit is left as a logit so that the cost can be computed stably."""
    act = ACTIVATIONS[activation].fn
    if all_units(layers):  # each pattern's inputs one by one
        h = [[x[i] for i in range(len(x))] for x in X]
    else:  # all patterns at once, broadcast over the starts
        b1 = layers[0][1]
        X = jnp.asarray(X, b1.dtype)
        h = jnp.broadcast_to(X.reshape(X.shape + (1,) * (b1.ndim - 1)), X.shape + b1.shape[1:])
    hidden = []
    for l, (W, b) in enumerate(layers):
        z = dense(h, W, b)
        if l == len(layers) - 1:
            return [x[0] for x in z], hidden
        h = jax.tree.map(act, z)
        hidden.append(_as_array(h))


def forward(layers, X, activation: str = "sigmoid"):
    """``logits`` with the output logits as one (P, *B) array."""
    z, hidden = logits(layers, X, activation)
    return jnp.stack(z), hidden


def cost_and_accuracy(layers, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    """Mean cost over the patterns, and the accuracy (mean of (yhat > 0.5) == y), per start."""
    # Pattern by pattern, summed in order: the same additions whatever the number of starts, and for units
    # no array of patterns for XLA to build and take apart in every step.
    z, _ = logits(layers, X, activation)
    dtype = jnp.result_type(z[0])
    costs = [LOSSES[loss].fn(z[p], jnp.asarray(Y[p], dtype)) for p in range(len(z))]
    hits = [((sigmoid(z[p]) > 0.5) == (Y[p] > 0.5)).astype(dtype) for p in range(len(z))]
    return sum(costs) / len(costs), sum(hits) / len(hits)


@partial(jax.jit, static_argnames="activation")
def predict(params, X, activation: str = "sigmoid"):
    """Hypothesis for each row of ``X``: yhat (N, *B) and each hidden layer's output (N, width, *B), for
    parameters with any trailing start axes (B)."""
    # Row by row under vmap: units lay a net out pattern by pattern, so N rows given at once would be traced
    # and compiled N times over (a 161 x 161 picture grid: minutes); one row, mapped, compiles once.
    z, hidden = jax.vmap(lambda x: forward(to_layers(params), x[None], activation))(jnp.asarray(X))
    return sigmoid(z[:, 0]), [h[:, 0] for h in hidden]


def cost(params, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    return cost_and_accuracy(to_layers(params), X, Y, activation, loss)[0]


def accuracy(yhat, Y):
    return jnp.mean((yhat > 0.5) == (jnp.asarray(Y) > 0.5))
