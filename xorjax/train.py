"""Training by gradient descent: an Optax optimizer, the whole run compiled as one ``lax.scan``.

``train_layers`` trains any number of starts side by side: every weight carries a trailing start axis
(see ``model``), the learning rate may differ per start, and since every Optax optimizer used here acts
elementwise, start ``i`` follows exactly the trajectory it would follow alone.
"""

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from xorjax import model

OPTIMIZERS = ("sgd", "adam", "momentum")
BATCHES = ("full", "online")


class Spec(NamedTuple):
    """Static training settings (they shape the compiled program)."""

    steps: int = 10001
    log_every: int = 1000
    activation: str = "sigmoid"
    loss: str = "bce"
    optimizer: str = "sgd"
    batch: str = "full"
    momentum: float = 0.9


class Trained(NamedTuple):
    """A training's result; arrays carry the start axes of the learning rate / parameters."""

    layers: list            # final parameters, in units form
    loss: jax.Array         # (records, *B) cost before the update at each of ``record_steps``
    accuracy: jax.Array     # (records, *B)
    solved_at: jax.Array    # (*B) first step whose accuracy was 1.0, -1 if never
    finite: jax.Array       # (*B) every cost along the way was finite
    final_loss: jax.Array   # (*B) cost after the last update
    final_accuracy: jax.Array


def make_optimizer(name: str, lr, momentum: float = 0.9) -> optax.GradientTransformation:
    if name == "sgd":
        return optax.sgd(lr)
    if name == "momentum":
        return optax.sgd(lr, momentum=momentum)
    if name == "adam":
        return optax.adam(lr)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def record_steps(steps: int, log_every: int) -> list[int]:
    """The steps whose cost and accuracy are kept: 0, log_every, 2*log_every, ... below ``steps``."""
    return list(range(0, steps, log_every))


def _value_and_grad(layers, X, Y, spec: Spec):
    def total(u):
        c, acc = model.cost_units(u, X, Y, spec.activation, spec.loss)
        # Starts are independent, so the gradient of the sum is every start's own gradient.
        return jnp.sum(c), (c, acc)

    (_, (c, acc)), grads = jax.value_and_grad(total, has_aux=True)(layers)
    return c, acc, grads


def train_layers(layers, lr, X, Y, spec: Spec) -> Trained:
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    opt = make_optimizer(spec.optimizer, lr, spec.momentum)
    batch_shape = jnp.shape(layers[0][1][0])

    def update(layers, opt_state, grads):
        updates, opt_state = opt.update(grads, opt_state, layers)
        return optax.apply_updates(layers, updates), opt_state

    def step(carry):
        layers, opt_state, t, solved_at, finite = carry
        c, acc, grads = _value_and_grad(layers, X, Y, spec)
        if spec.batch == "full":
            layers, opt_state = update(layers, opt_state, grads)
        else:  # online: one update per pattern, in a fixed order; a step is one pass (an epoch)
            for p in range(X.shape[0]):
                _, _, g = _value_and_grad(layers, X[p:p + 1], Y[p:p + 1], spec)
                layers, opt_state = update(layers, opt_state, g)
        solved_at = jnp.where((solved_at < 0) & (acc == 1.0), t, solved_at)
        finite = finite & jnp.isfinite(c)
        return (layers, opt_state, t + 1, solved_at, finite), (c, acc)

    def block(carry, n: int):
        # One recorded step, then n - 1 silent ones: the history keeps every log_every-th value only.
        carry, rec = step(carry)
        carry = jax.lax.fori_loop(1, n, lambda _, c: step(c)[0], carry)
        return carry, rec

    carry = (layers, opt.init(layers), jnp.int32(0),
             jnp.full(batch_shape, -1, jnp.int32), jnp.ones(batch_shape, bool))
    n_full, rem = divmod(spec.steps, spec.log_every)
    carry, (loss, acc) = jax.lax.scan(lambda c, _: block(c, spec.log_every), carry, length=n_full)
    if rem:
        carry, (l, a) = block(carry, rem)
        loss, acc = jnp.concatenate([loss, l[None]]), jnp.concatenate([acc, a[None]])
    layers, _, _, solved_at, finite = carry
    final_loss, final_acc = model.cost_units(layers, X, Y, spec.activation, spec.loss)
    return Trained(layers, loss, acc, solved_at, finite & jnp.isfinite(final_loss), final_loss, final_acc)


STATUSES = ("solved", "unsolved", "diverged")


def status(trained: Trained) -> jax.Array:
    """Index into STATUSES: solved (accuracy 1.0); diverged (a non-finite cost or parameter, or a final cost
    ten times the starting one: gradient descent with a sane step never does that); else unsolved."""
    diverged = ~trained.finite | (trained.final_loss > 10 * trained.loss[0])
    return jnp.where(diverged, 2, jnp.where(trained.final_accuracy == 1.0, 0, 1))


@partial(jax.jit, static_argnames=("hidden", "init"))
def _init_starts(seeds, hidden, init, scale):
    keys = jax.vmap(jax.random.PRNGKey)(seeds)
    params = jax.vmap(lambda k: model.init_params(k, hidden, init, scale))(keys)
    return {k: jnp.moveaxis(v, 0, -1) for k, v in params.items()}


def init_starts(seeds, hidden, init: str = "normal", scale=1.0) -> dict:
    """Parameters for many starts, start axis last: start ``i`` is ``model.init_params(PRNGKey(seeds[i]))``."""
    return _init_starts(jnp.asarray(seeds), tuple(hidden), init, jnp.asarray(scale, jnp.float32))


@partial(jax.jit, static_argnames="spec")
def train_starts(params, lrs, X, Y, spec: Spec):
    """Trains starts laid out with the start axis last; returns (final params, start axis last), Trained."""
    dtype = jax.tree.leaves(params)[0].dtype  # float64 params (tests) train in float64
    trained = train_layers(model.unstack(params), jnp.asarray(lrs, dtype), X, Y, spec)
    final = model.stack(trained.layers)
    finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(v), axis=tuple(range(v.ndim - 1)))
                                for v in final.values()]), axis=0)
    return final, trained._replace(finite=trained.finite & finite)


def train_one(params, lr: float, X, Y, spec: Spec):
    """One network: a sweep of a single start, so it follows the very same code (and numbers) as a sweep."""
    final, trained = train_starts({k: v[..., None] for k, v in params.items()}, [lr], X, Y, spec)
    return {k: v[..., 0] for k, v in final.items()}, jax.tree.map(lambda a: a[..., 0], trained._replace(layers=()))
