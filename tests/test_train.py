"""Training: the scanned run against an independent NumPy implementation and a step-by-step loop."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import start

from xorjax.core import data, descent, model

CHECKPOINTS = [0, 1, 10, 100, 1000, 10000]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_sgd(params, steps, lr, dtype):
    """Lab 9-2 in plain NumPy, gradients derived by hand: full-batch SGD on the BCE cost of a 2-2-1 net."""
    W1, b1, W2, b2 = (np.asarray(params[k], dtype) for k in ("W1", "b1", "W2", "b2"))
    X, y = data.X.astype(dtype), data.Y.astype(dtype)[:, None]
    costs = {}
    for step in range(steps):
        h = sigmoid(X @ W1 + b1)
        yhat = sigmoid(h @ W2 + b2)
        if step in CHECKPOINTS:
            costs[step] = float(np.mean(-(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))))
        dz2 = (yhat - y) / len(X)  # d cost / d z2 for sigmoid + BCE
        dz1 = (dz2 @ W2.T) * h * (1 - h)  # chain rule through the hidden sigmoid
        W2, b2 = W2 - lr * h.T @ dz2, b2 - lr * dz2.sum(0)
        W1, b1 = W1 - lr * X.T @ dz1, b1 - lr * dz1.sum(0)
    yhat = sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)[:, 0]
    return costs, yhat


START = {"W1": [[0.5, -1.0], [-0.8, 1.2]], "b1": [0.1, -0.2], "W2": [[1.1], [-0.7]], "b2": [0.05]}


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-9), (np.float32, 1e-5)])
@pytest.mark.floors
def test_sgd_matches_an_independent_numpy_implementation(dtype, rtol):
    expected, yhat_np = numpy_sgd(START, 10001, 0.1, np.float64)
    with jax.enable_x64(dtype == np.float64):
        params = {k: np.asarray(v, dtype) for k, v in START.items()}
        spec = descent.Spec(steps=10001, log_every=1)
        final, trained = descent.train_one(params, 0.1, data.X.astype(dtype), data.Y.astype(dtype), spec)
        yhat, _ = model.predict(final, data.X.astype(dtype))
        status = descent.STATUSES[int(descent.status(trained))]
    for step in CHECKPOINTS:
        assert float(trained.loss[step]) == pytest.approx(expected[step], rel=rtol), step
    np.testing.assert_allclose(yhat, yhat_np, rtol=rtol)
    assert status == "solved" and expected[10000] < 0.05  # this start learns XOR


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("batch", ["full", "online"])
def test_scan_equals_a_python_loop_of_the_same_update(optimizer, batch):
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64) for k, v in START.items()}
        X, Y = jnp.asarray(data.X, jnp.float64), jnp.asarray(data.Y, jnp.float64)
        steps, lr = 300, 0.05
        spec = descent.Spec(steps=steps, log_every=7, optimizer=optimizer, batch=batch)
        final, trained = descent.train_one(params, lr, X, Y, spec)

        opt = descent.make_optimizer(optimizer, lr)
        batches = [(X, Y)] if batch == "full" else [(X[i : i + 1], Y[i : i + 1]) for i in range(4)]

        @jax.jit
        def one_step(p, state):  # one step, compiled alone: the cost it starts from, then an update per batch
            cost = model.cost(p, X, Y)
            for xb, yb in batches:
                g = jax.grad(model.cost)(p, xb, yb)
                updates, state = opt.update(g, state, p)
                p = optax.apply_updates(p, updates)
            return cost, p, state

        state, p, losses = opt.init(params), params, []
        for _ in range(steps):  # the loop itself in Python, one step after another
            cost, p, state = one_step(p, state)
            losses.append(float(cost))
    for k in params:
        np.testing.assert_allclose(final[k], p[k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(trained.loss, [losses[s] for s in descent.record_steps(steps, 7)], rtol=1e-10)


def test_history_keeps_every_log_every_step():
    assert descent.record_steps(10001, 1000) == list(range(0, 10001, 1000))
    assert descent.record_steps(5, 2) == [0, 2, 4]
    params = start(0, [2])
    _, trained = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec(steps=25, log_every=10))
    _, every = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec(steps=25, log_every=1))
    np.testing.assert_array_equal(trained.loss, np.asarray(every.loss)[[0, 10, 20]])


def test_a_last_shorter_block_adds_no_copy_of_the_step():
    # 10,001 steps are ten blocks of 1,000 and one of 1: the step must be traced (and compiled) as often as for
    # 10,000 (once, or with two steps per loop three times: the pair and an odd block's last step), not once more
    # for the last block. Counted by its sigmoids in the program: the hidden units' and the output's.
    def sigmoids(steps, pair):
        params = descent.init_starts(np.arange(8), [2])
        spec = descent.Spec(steps=steps, pair=pair)
        jaxpr = jax.make_jaxpr(lambda p: descent.train_starts_uncompiled(p, np.full(8, 0.1), data.X, data.Y, spec))
        return str(jaxpr(params)).count("logistic")

    for pair in (False, True):
        assert sigmoids(10001, pair) == sigmoids(10000, pair) == sigmoids(1, pair)
    assert sigmoids(1, True) > sigmoids(1, False)


def test_two_steps_per_loop_train_as_one_step_per_loop_bit_for_bit():
    # laid out as sums (units: test_registry.py, for every optimizer); blocks of 10, 10 and 5 steps: an odd
    # block's last step is taken on its own
    spec = descent.Spec(steps=25, log_every=10)
    params, lrs = descent.init_starts(np.arange(8), [6, 6]), np.full(8, 0.5)
    one = descent.train_starts(params, lrs, data.X, data.Y, spec)
    two = descent.train_starts(params, lrs, data.X, data.Y, spec._replace(pair=True))
    for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(two), strict=True):
        np.testing.assert_array_equal(a, b)


# A single run's program is compiled ahead, and with plain gradient descent by XLA's older fusion emitters
# (descent.OLDER_EMITTERS): it must train as train_starts does, to the bit, in every layout (units, sums, matrix), every
# activation, loss, batch, way of taking gradients, stop rule and precision; momentum keeps the newer emitters (with
# the older ones, this 2-10-10-10-1 case differs from the 25th step on).
AHEAD = {
    "units": ([2], {}, "float32"),
    "sums": ([10, 10, 10], {}, "float32"),
    "matrix-float64": ([100], {}, "float64"),
    "tanh-mse-online-stop": ([4, 4], dict(activation="tanh", loss="mse", batch="online", stop_below=0.2), "float32"),
    "relu-manual": ([3], dict(activation="relu", grad="manual"), "float32"),
    "momentum": ([10, 10, 10], dict(optimizer="momentum"), "float32"),
}


@pytest.mark.floors
@pytest.mark.parametrize("case", AHEAD)
def test_a_program_compiled_ahead_from_the_shapes_trains_as_the_run_would_bit_for_bit(case):
    hidden, settings, precision = AHEAD[case]
    spec = descent.Spec(steps=25, log_every=10, record_weights=True, **settings)
    with jax.enable_x64(precision == "float64"):
        # compiled before the start is drawn, as a run does
        program = descent.compile_one(hidden, data.X, data.Y, spec, precision)
        one = descent.in_precision({k: v[..., 0] for k, v in descent.init_starts([3], hidden).items()}, precision)
        ahead = descent.train_one(one, 0.5, data.X, data.Y, spec, program)
        alone = descent.train_one(one, 0.5, data.X, data.Y, spec)
        # as a sweep trains it: by train_starts, compiled with the newer emitters
        lrs = np.asarray([0.5], descent.PRECISIONS[precision])
        here = descent.train_starts({k: v[..., None] for k, v in one.items()}, lrs, data.X, data.Y, spec)
        here = jax.tree.map(lambda a: np.asarray(a)[..., 0], here)
    for a, b, c in zip(jax.tree.leaves(ahead), jax.tree.leaves(alone), jax.tree.leaves(here), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert ahead[1].status == descent.status(jax.tree.map(jnp.asarray, here[1]))


def test_start_i_of_many_equals_the_run_with_seed_i_bit_for_bit():
    seeds = [0, 1, 2, 3, 4, 5, 6, 7]
    # 25 steps, as the tests around: the single run is their compiled program. A start computed otherwise side by
    # side (another seed, another order of sums) shows in its recorded costs from the first steps on.
    spec = descent.Spec(steps=25, log_every=10)
    many = descent.init_starts(seeds, [2])
    final_many, trained_many = descent.train_starts(many, np.full(len(seeds), 0.1), data.X, data.Y, spec)
    for i in (0, 5):
        one = {k: v[..., 0] for k, v in descent.init_starts([seeds[i]], [2]).items()}
        final, trained = descent.train_one(one, 0.1, data.X, data.Y, spec)
        for k in final:
            np.testing.assert_array_equal(final[k], final_many[k][..., i])
        np.testing.assert_array_equal(trained.loss, trained_many.loss[:, i])


@pytest.mark.parametrize("lr", [1000.0, 1e38])
def test_a_huge_learning_rate_is_reported_as_diverged_not_raised(lr):
    params = start(0, [2])
    # 25 steps, as the tests around: one compiled program for the three (a huge step diverges at once)
    _, trained = descent.train_one(params, lr, data.X, data.Y, descent.Spec(steps=25, log_every=10))
    assert descent.STATUSES[int(descent.status(trained))] == "diverged"
    assert float(trained.final_loss) > 10 * float(trained.loss[0])


def test_a_nan_anywhere_is_reported_as_diverged():
    params = start(0, [2])
    params["b2"][0] = np.nan
    _, trained = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec(steps=25, log_every=10))
    assert not bool(trained.finite) and descent.STATUSES[int(descent.status(trained))] == "diverged"


@pytest.mark.floors
def test_logistic_regression_cannot_learn_xor():
    params = start(0, [])
    _, trained = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec())
    assert float(trained.final_accuracy) <= 0.75 and int(descent.status(trained)) != 0


def test_the_reports_predict_is_compiled_beside_the_training_not_after_it():
    # Last in the file: it empties this process's compiled programs, so that the run's are compiled (or loaded from
    # the test session's compilation cache) again, as in a run of its own.
    from conftest import compose_settings

    from xorjax.experiments import train

    cfg, _ = compose_settings("steps=25", "log_every=10")
    programs = []  # each program compiled or loaded from the compilation cache
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, seconds, **kw: (
            programs.append(event) if event == "/jax/core/compile/backend_compile_duration" else None
        )
    )
    jax.monitoring.register_event_listener(
        lambda event, **kw: programs.append(event) if event == "/jax/compilation_cache/cache_hits" else None
    )
    jax.clear_caches()
    try:
        _, final, trained = train.fit(cfg)
        assert programs
        programs.clear()
        yhat, _ = model.predict(final, data.X, cfg.model.activation)  # the report's call: compiled already
    finally:
        jax.monitoring.clear_event_listeners()
    assert programs == []
    np.testing.assert_array_equal(np.asarray(yhat), trained.final_yhat)  # the program's outputs, bit for bit
