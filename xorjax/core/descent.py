"""Training by gradient descent: an Optax optimizer, the whole run compiled as one ``lax.scan``.

``train_layers`` trains any number of starts side by side: every weight carries a trailing start axis
(see ``model``), the learning rate may differ per start, and since every optimizer in ``OPTIMIZERS`` acts
elementwise, start ``i`` follows the trajectory it would follow alone (exactly, but for adam: see there).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from xorjax.core import data, manual_grad, model

BATCHES = ("full", "online")
# The float type a run trains in (``precision=``). Initial weights are drawn in float32 either way and then
# converted, so that seed i is the same start in both and only the arithmetic of training differs. float64
# needs JAX's 64-bit mode, which the entry point switches on for that run only (``jax.enable_x64``).
PRECISIONS = {"float32": np.float32, "float64": np.float64}
GRADS = ("auto", "manual")  # jax.grad, or the chain rule written out in ``backprop``


class Spec(NamedTuple):
    """Static training settings (they shape the compiled program)."""

    steps: int = 10001
    log_every: int = 1000
    activation: str = "sigmoid"
    loss: str = "bce"
    optimizer: str = "sgd"
    batch: str = "full"
    momentum: float = 0.9
    # Also keep the parameters at every recorded step (pictures, TensorBoard histograms); off for sweeps,
    # where a weight history per start would cost memory for nothing.
    record_weights: bool = False
    grad: str = "auto"  # one of GRADS
    # Freeze a start once its cost falls below this (0: never); the step it did so is ``Trained.stopped_at``.
    # Rumelhart, Hinton & Williams stopped each run at a target error (``experiment=rhw1986``).
    stop_below: float = 0.0
    # Take two steps per loop iteration (nets laid out as units or sums, ``PAIRED`` optimizers): the same numbers,
    # each step up to 1.4x faster on some machines and no faster on others, and the program 1.3-1.6x slower to
    # compile. The sweep engine asks for it for sweeps big enough to repay the compile (``engine.PAIR_WORK``).
    pair: bool = False


class Trained(NamedTuple):
    """A training's result; arrays carry the start axes of the learning rate / parameters."""

    layers: list  # final parameters, in the net's layout (model.to_layers)
    loss: jax.Array  # (records, *B) cost before the update at each of ``record_steps``
    accuracy: jax.Array  # (records, *B)
    solved_at: jax.Array  # (*B) first step whose accuracy was 1.0, -1 if never
    finite: jax.Array  # (*B) every recorded cost, the final cost and the final weights were finite
    final_loss: jax.Array  # (*B) cost after the last update
    final_accuracy: jax.Array
    weights: object = None  # with Spec.record_weights: {"W1": (records, in, out, *B), ...} at ``record_steps``
    final_yhat: object = None  # (patterns, *B) yhat after the last update: the outcome is read from it
    stopped_at: object = None  # (*B) with Spec.stop_below: first step whose cost was below it, -1 if never
    status: object = None  # (*B) how each start ended, an index into STATUSES (``status``)


# Every optimizer here must act elementwise: each parameter's update depends on that parameter's own
# gradient and state alone (no norms, no clipping or statistics across parameters). That is what makes the
# starts of a sweep independent, so start i follows exactly the trajectory it would follow alone;
# tests/test_registry.py checks it for every entry.
OPTIMIZERS = {
    "sgd": lambda lr, momentum: optax.sgd(lr),
    "momentum": lambda lr, momentum: optax.sgd(lr, momentum=momentum),
    "adam": lambda lr, momentum: optax.adam(lr),
}


# The optimizers whose starts keep their numbers to the bit with two steps per loop iteration (``Spec.pair``). With
# adam, XLA then computes the bias-corrected update sqrt(nu / (1 - b2^t)) in another way for several starts than for
# one (the last bits, ~5e-7 after 100 steps): adam takes one step per loop, so that for every optimizer start i of
# any sweep is the run seed=i (tests/test_registry.py).
PAIRED = ("sgd", "momentum")


def make_optimizer(name: str, lr, momentum: float = 0.9) -> optax.GradientTransformation:
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](lr, momentum)


def record_steps(steps: int, log_every: int) -> list[int]:
    """The steps whose cost and accuracy are kept: 0, log_every, 2*log_every, ... below ``steps``."""
    return list(range(0, steps, log_every))


def _value_and_grad(layers, X, Y, spec: Spec):
    if spec.grad == "manual":
        c, acc, grads = manual_grad.value_and_grad(model.from_layers(layers), X, Y, spec.activation, spec.loss)
        return c, acc, model.to_layers(grads)

    def total(u):
        c, acc = model.cost_and_accuracy(u, X, Y, spec.activation, spec.loss)
        # Starts are independent, so the gradient of the sum is every start's own gradient.
        return jnp.sum(c), (c, acc)

    (_, (c, acc)), grads = jax.value_and_grad(total, has_aux=True)(layers)
    return c, acc, grads


def train_layers(layers, lr, X, Y, spec: Spec) -> Trained:
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    opt = make_optimizer(spec.optimizer, lr, spec.momentum)
    batch_shape = jnp.shape(layers[0][1][0])
    laid_out = model.all_units(layers) or all(isinstance(W, model.Sums) for W, _ in layers)
    unroll = 2 if spec.pair and spec.optimizer in PAIRED and laid_out else 1

    def update(layers, opt_state, grads):
        updates, opt_state = opt.update(grads, opt_state, layers)
        return optax.apply_updates(layers, updates), opt_state

    def step(carry):
        # The cost c is used only with stop_below: elsewhere XLA drops its exp/log entirely, which is why
        # non-finite costs are looked for in the recorded history and at the end, not here.
        layers, opt_state, t, solved_at, stopped_at = carry
        old = layers
        c, acc, grads = _value_and_grad(layers, X, Y, spec)
        if spec.batch == "full":
            layers, opt_state = update(layers, opt_state, grads)
        else:  # online: one update per pattern, in a fixed order; a step is one pass (an epoch)
            for p in range(X.shape[0]):
                _, _, g = _value_and_grad(layers, X[p : p + 1], Y[p : p + 1], spec)
                layers, opt_state = update(layers, opt_state, g)
        solved_at = jnp.where((solved_at < 0) & (acc == 1.0), t, solved_at)
        if spec.stop_below > 0:
            stopped_at = jnp.where((stopped_at < 0) & (c < spec.stop_below), t, stopped_at)
            layers = jax.tree.map(lambda a, b: jnp.where(stopped_at >= 0, a, b), old, layers)
        return layers, opt_state, t + 1, solved_at, stopped_at

    def steps(carry, n: int):
        for _ in range(n):
            carry = step(carry)
        return carry

    def block(carry, n):
        # Record the cost and accuracy the block starts from (and the parameters they were taken at), then
        # take its n steps: the history keeps every log_every-th value only. With ``Spec.pair``, two steps per
        # loop iteration: XLA then fuses one step's update into the next step's forward pass instead of writing
        # every parameter out and reading it back (the same numbers). Otherwise, and for matrices, one: the step
        # is then compiled once.
        c, acc = model.cost_and_accuracy(carry[0], X, Y, spec.activation, spec.loss)
        rec = (c, acc, model.from_layers(carry[0])) if spec.record_weights else (c, acc)
        carry = jax.lax.fori_loop(0, n // unroll, lambda _, c: steps(c, unroll), carry)
        if unroll > 1:  # an odd block's last step
            carry = jax.lax.fori_loop(0, n % unroll, lambda _, c: step(c), carry)
        return carry, rec

    carry = (
        layers,
        opt.init(layers),
        jnp.int32(0),
        jnp.full(batch_shape, -1, jnp.int32),
        jnp.full(batch_shape, -1, jnp.int32),
    )
    # One block per record, the last one shorter if log_every does not divide steps; the number of steps is an
    # argument of the block, so that its steps are compiled once and not again for a last, shorter block.
    n_full, rem = divmod(spec.steps, spec.log_every)
    counts = jnp.asarray([spec.log_every] * n_full + [rem] * (rem > 0), jnp.int32)
    carry, recs = jax.lax.scan(block, carry, counts)
    loss, acc, *weights = recs
    layers, _, _, solved_at, stopped_at = carry
    final_loss, final_acc = model.cost_and_accuracy(layers, X, Y, spec.activation, spec.loss)
    final_yhat = model.sigmoid(model.forward(layers, X, spec.activation)[0])
    finite = jnp.all(jnp.isfinite(loss), axis=0) & jnp.isfinite(final_loss)  # NaN, once there, stays
    return Trained(
        layers,
        loss,
        acc,
        solved_at,
        finite,
        final_loss,
        final_acc,
        weights[0] if weights else None,
        final_yhat,
        stopped_at if spec.stop_below > 0 else None,
    )


# How a training ended, judged from the final outputs yhat on the four patterns (any loss). "Right" means
# |yhat - y| < RIGHT: on the correct side, clearly (a merged value of 2/3 is not "right"). The first rule that
# holds wins, diverged above all. STATUS_MEANING says each rule in words, once: the run's output, atlas.md and
# the README quote it.
STATUSES = ("solved", "plateau", "two-stuck", "three-merged", "diverged", "slow", "unsolved")
NEAR_HALF = 0.1
RIGHT = 0.25
MERGED = 0.1
STILL_IMPROVING = 0.01
DIVERGED_RATIO = 10.0
STATUS_MEANING = {
    "solved": "accuracy 1.0: every pattern on the right side of 0.5 (with a stop criterion: the cost met it)",
    "plateau": f"all four ŷ within {NEAR_HALF:g} of 0.5: the network has not started to separate the patterns "
    "(BCE ≈ ln 2 = 0.693)",
    "two-stuck": f"two patterns right (|ŷ − y| < {RIGHT:g}), two stuck at ŷ≈0.5 (within {NEAR_HALF:g}) — the "
    "network has not yet separated them (BCE ≈ ln 2 / 2 = 0.347)",
    "three-merged": f"one pattern right, the other three merged on one shared ŷ (within {MERGED:g} of each other, "
    "≈ 2/3 or 1/3): one hidden line where XOR needs two (BCE ≈ 0.477)",
    "diverged": f"a cost or weight became NaN or infinite, or the final cost is more than {DIVERGED_RATIO:g} times "
    "the first: the steps overshoot (try a smaller optimizer.lr)",
    "slow": f"none of the above, and the cost still fell by more than {STILL_IMPROVING:.0%} over the last tenth of "
    "the run: give it more steps (a larger steps=…)",
    "unsolved": "none of the above: some pattern is wrong and the cost has stopped falling",
}


LATE = 0.9  # "the last tenth of the run" begins at this fraction of its records


def late_record(records: int) -> int:
    """The record nearest 90% of the run: where "the last tenth of the run" begins for the status rules and
    for the weights' growth (``landscape``)."""
    return round(LATE * (records - 1))


@jax.jit  # one program when called on its own (training calls it inside its own), not one per operation
def status(trained: Trained, Y=None) -> jax.Array:
    """Index into STATUSES for every start (the rules above); ``Y`` defaults to XOR's targets."""
    Y = jnp.asarray(data.Y if Y is None else Y)
    yhat = trained.final_yhat
    y = Y.reshape(Y.shape + (1,) * (yhat.ndim - 1)).astype(yhat.dtype)
    right = jnp.abs(yhat - y) < RIGHT
    half = jnp.abs(yhat - 0.5) < NEAR_HALF
    n_right, n_half = jnp.sum(right, axis=0), jnp.sum(half, axis=0)
    # The three patterns that are not right share one value: their spread (max - min) is small.
    spread = jnp.max(jnp.where(right, -jnp.inf, yhat), axis=0) - jnp.min(jnp.where(right, jnp.inf, yhat), axis=0)
    late = trained.loss[late_record(trained.loss.shape[0])]
    improving = trained.final_loss < (1 - STILL_IMPROVING) * late
    diverged = ~trained.finite | (trained.final_loss > DIVERGED_RATIO * trained.loss[0])
    solved = trained.final_accuracy == 1.0 if trained.stopped_at is None else trained.stopped_at >= 0
    conditions = [
        solved,
        n_half == len(Y),
        (n_right == 2) & (n_half == 2),
        (n_right == 1) & (spread < MERGED),
        diverged,
        improving,
    ]
    code = jnp.full(solved.shape, STATUSES.index("unsolved"), jnp.int32)
    for i in reversed(range(len(conditions))):  # the first rule that holds wins; diverged above all
        code = jnp.where(conditions[i], i, code)
    return jnp.where(diverged, STATUSES.index("diverged"), code)


def why_diverged(trained: Trained, final: dict, log_every: int) -> str:
    """Which part of the diverged rule fired for one run (``train_one``'s result and final parameters), in
    words, with the first recorded step (every ``log_every``-th) where it shows. Costs as the console prints
    them (6 significant digits)."""
    loss = np.asarray(trained.loss, np.float64)
    bad = np.flatnonzero(~np.isfinite(loss))
    if len(bad):
        return f"the cost became NaN or infinite (first recorded at step {bad[0] * log_every})"
    weights = [k for k, v in final.items() if not np.all(np.isfinite(np.asarray(v)))]
    if weights:
        return f"{', '.join(weights)} became NaN or infinite by the last step (every recorded cost was finite)"
    last = float(trained.final_loss)
    if not np.isfinite(last):
        return "the cost after the last step is NaN or infinite (every recorded cost was finite)"
    limit = DIVERGED_RATIO * loss[0]
    above = np.flatnonzero(loss > limit)
    return (
        f"the final cost {last:.6g} is more than {DIVERGED_RATIO:g} times the first cost {loss[0]:.6g} "
        "(every cost and weight is finite"
        + (f"; the cost was first recorded above {limit:.6g} at step {above[0] * log_every}" if len(above) else "")
        + ")"
    )


def init_starts_uncompiled(seeds, hidden, init: str = "normal", scale=1.0, precision: str = "float32") -> dict:
    """``model.init_params`` (start axis last) in ``precision`` (drawn in float32 either way, see
    ``PRECISIONS``). ``scale`` is one number or one per start (a sweep over ``sweep.init_scales``). Traced into a
    bigger program by the sweep engine; ``init_starts`` is the same, compiled on its own."""
    return in_precision(model.init_params(seeds, tuple(hidden), init, scale), precision)


# Compiled with XLA's older fusion emitters, which compile the draws about twice as fast (2-10-10-10-1: 1.7 ->
# 0.9 s, a single run's second largest compile) to the same numbers, bit for bit (tests/test_model.py compares them
# with jax.random's). Training keeps the newer emitters: with the older ones, momentum and adam differ in the last
# bits, and a sweep of 2-2-1 trains 1.6x slower.
_init_starts = jax.jit(
    model.init_params, static_argnames=("hidden", "init"), compiler_options={"xla_cpu_use_fusion_emitters": False}
)


def init_starts(seeds, hidden, init: str = "normal", scale=1.0, precision: str = "float32") -> dict:
    """``init_starts_uncompiled``, compiled on its own: a single run's start, or any starts drawn outside a sweep."""
    return in_precision(_init_starts(jnp.asarray(seeds), tuple(hidden), init, scale), precision)


def in_precision(params: dict, precision: str) -> dict:
    """``params`` converted to ``precision`` (float64 only inside ``jax.enable_x64``)."""
    return {k: jnp.asarray(v, PRECISIONS[precision]) for k, v in params.items()}


# XLA on CPU vectorises 256 bits wide unless told otherwise; on chips with AVX-512 the elementwise step over
# the start axis runs ~1.3x faster 512 bits wide, with bit-identical results. Other backends ignore it.
COMPILER_OPTIONS = {"xla_cpu_prefer_vector_width": 512}


def train_starts_uncompiled(params, lrs, X, Y, spec: Spec):
    """``train_starts`` before it is compiled, for a caller that compiles it into a bigger program (the
    sweep engine: compiler options may only be given to the outermost jit)."""
    dtype = jax.tree.leaves(params)[0].dtype  # float64 params train in float64 (precision=float64)
    lrs, X, Y = jnp.asarray(lrs, dtype), jnp.asarray(X, dtype), jnp.asarray(Y, dtype)
    if "matrix" in model.layouts(model.hidden_of(params)) and lrs.shape[0] > 1:
        # XLA sums a matrix product in another order for a batch of starts than for one start (measured:
        # 2-100-1 and 2-10-10-10-1 differ in the last bits), so matrix nets train one start at a time, each
        # by the very program of a single run: start i of a sweep stays the run seed=i, bit for bit.
        final, trained = jax.lax.map(
            lambda a: train_starts_uncompiled(*a, X, Y, spec),
            ({k: jnp.moveaxis(v, -1, 0)[..., None] for k, v in params.items()}, lrs[:, None]),
        )
        return jax.tree.map(lambda v: jnp.moveaxis(v[..., 0], 0, -1), (final, trained))
    trained = train_layers(model.to_layers(params), lrs, X, Y, spec)
    final = model.from_layers(trained.layers)
    finite = jnp.all(
        jnp.stack([jnp.all(jnp.isfinite(v), axis=tuple(range(v.ndim - 1))) for v in final.values()]), axis=0
    )
    trained = trained._replace(layers=(), finite=trained.finite & finite)
    # Judged in the training's own program: on its own, ``status`` is one more program for a run to compile.
    return final, trained._replace(status=status(trained, Y))


train_starts = jax.jit(train_starts_uncompiled, static_argnames="spec", compiler_options=COMPILER_OPTIONS)
train_starts.__doc__ = """Trains starts laid out with the start axis last; returns (final params, start axis last),
Trained."""


# A single start of plain gradient descent is compiled with XLA's older fusion emitters (see ``_init_starts``): they
# compile it about twice as fast (2-10-10-10-1: 3.7 -> 2.0 CPU-s), to the same numbers bit for bit, so start i of a
# sweep stays the run seed=i (tests/test_train.py checks every layout, activation, loss, batch and precision).
# Not momentum, whose last bits differ, nor a sweep's many starts, which they compile and train 1.2x slower.
OLDER_EMITTERS = ("sgd",)
_train_one_older = jax.jit(
    train_starts_uncompiled,
    static_argnames="spec",
    compiler_options={**COMPILER_OPTIONS, "xla_cpu_use_fusion_emitters": False},
)


def _one(spec: Spec):
    """The compiled ``train_starts`` that trains a single start by ``spec``."""
    return _train_one_older if spec.optimizer in OLDER_EMITTERS else train_starts


def compile_one(hidden, X, Y, spec: Spec, precision: str = "float32"):
    """``train_one``'s program for a net of ``hidden`` in ``precision``, compiled from the shapes alone, before
    the start is known: a run compiles it while its start is drawn."""
    dtype = PRECISIONS[precision]
    shapes = {k: jax.ShapeDtypeStruct((*s, 1), dtype) for k, s in model.param_shapes(hidden).items()}
    return _one(spec).lower(shapes, jax.ShapeDtypeStruct((1,), dtype), X, Y, spec).compile()


def train_one(params, lr: float, X, Y, spec: Spec, program=None):
    """One network: a sweep of a single start, so it follows the very same code (and numbers) as a sweep, by
    ``program`` (``compile_one``'s) if given. Returns host (NumPy) arrays: the start axis is added and taken away
    on the host, where on the device each of those operations would be a program of its own to load and run (17
    for a 2-2-1 run, a fifth of a second)."""
    params = {k: np.asarray(v)[..., None] for k, v in params.items()}
    lrs = np.asarray([lr], next(iter(params.values())).dtype)
    final, trained = _one(spec)(params, lrs, X, Y, spec) if program is None else program(params, lrs, X, Y)
    final, trained = jax.device_get((final, trained))
    return {k: v[..., 0] for k, v in final.items()}, jax.tree.map(lambda a: a[..., 0], trained)
