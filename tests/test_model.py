"""The lecture's network: hand-set weights, the cost, its gradient (checked by finite differences)."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import start

from xorjax.config import LECTURE_WEIGHTS
from xorjax.core import data, descent, model


def lecture_params(dtype=np.float32):
    return {k: np.asarray(v, dtype) for k, v in LECTURE_WEIGHTS.items()}


@pytest.mark.floors
def test_data_is_xor_in_the_lectures_order():
    np.testing.assert_array_equal(data.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(data.Y, [0, 1, 1, 0])
    assert data.X.dtype == data.Y.dtype == np.float32


@pytest.mark.floors
def test_handcrafted_weights_give_the_lectures_outputs():
    yhat, (hidden,) = model.predict(lecture_params(), data.X)
    np.testing.assert_allclose(yhat, [0.0112, 0.9949, 0.9949, 0.0244], atol=5e-4)
    # Hidden 1 is AND, hidden 2 is NOR; worked example (0,0): sigma(-8) ~ 0, sigma(3) ~ 1.
    np.testing.assert_array_equal(np.asarray(hidden) > 0.5, [[0, 1], [0, 0], [0, 0], [1, 0]])
    np.testing.assert_allclose(hidden[0], [1 / (1 + np.exp(8)), 1 / (1 + np.exp(-3))], rtol=1e-6)
    assert float(model.accuracy(yhat, data.Y)) == 1.0


@pytest.mark.parametrize("hidden", [[], [2], [3], [10, 10, 10]])
def test_param_shapes_follow_the_layer_sizes(hidden):
    params = start(0, hidden)
    sizes = [2, *hidden, 1]
    assert list(model.param_shapes(hidden)) == [n for l in range(1, len(sizes)) for n in (f"W{l}", f"b{l}")]
    assert set(params) == set(model.param_shapes(hidden))
    for l in range(1, len(sizes)):
        assert params[f"W{l}"].shape == (sizes[l - 1], sizes[l])
        assert params[f"b{l}"].shape == (sizes[l],)
    yhat, hiddens = model.predict(params, data.X)
    assert yhat.shape == (4,) and [h.shape for h in hiddens] == [(4, n) for n in hidden]


def test_init_normal_and_uniform_scales():
    W = start(1, [2000])["W1"]
    assert abs(float(W.std()) - 1.0) < 0.03
    W = start(1, [2000], "normal", 0.5)["W1"]
    assert abs(float(W.std()) - 0.5) < 0.015
    U = start(1, [2000], "uniform", 1.0)["W1"]
    assert -1.0 <= float(U.min()) < -0.99 and 0.99 < float(U.max()) <= 1.0


def jax_random_params(hidden, init, seed, scale):
    """A start's parameters drawn by jax.random a parameter at a time, as its documentation says: one key each
    from splitting the seed's key, then ``scale * normal`` or ``uniform(-scale, scale)``."""
    shapes = model.param_shapes(hidden)
    keys = jax.random.split(jax.random.PRNGKey(seed), len(shapes))
    if init == "normal":
        return {
            name: scale * jax.random.normal(k, shape, jnp.float32) for k, (name, shape) in zip(keys, shapes.items())
        }
    return {
        name: jax.random.uniform(k, shape, jnp.float32, -scale, scale) for k, (name, shape) in zip(keys, shapes.items())
    }


@pytest.mark.parametrize("init, x64", [("uniform", False), ("normal", True)])  # 32- and 64-bit seeds
@pytest.mark.floors
def test_the_initial_weights_are_jax_randoms_numbers_bit_for_bit(init, x64):
    # Negative and 32-bit extreme seeds (a key is the seed's two 32-bit halves), scales that round (not powers of
    # two), parameters of one number and of several (rounded apart: model.init_params), and 64-bit mode (float64
    # runs), where seeds are 64-bit integers.
    seeds = [0, 1, 252, -3, 2**31 - 1, -(2**31), 12345, *([2**40, -(2**33) - 5] if x64 else [])]
    scales = np.resize(np.float32([1.0, 0.3, 2.5, 0.1, 1.7, 0.7, 3.3]), len(seeds))
    hidden = (2, 1)  # W1 2x2, b1 2, W2 2x1, b2, W3 and b3 1
    with jax.enable_x64(x64):
        drawn = {k: np.asarray(v) for k, v in descent.init_starts(seeds, hidden, init, scales).items()}
        # every start at once, as sweeps and runs drew them (a run's start is a sweep's: tests/test_wide.py) ...
        expected = jax.jit(jax.vmap(partial(jax_random_params, hidden, init)))(jnp.asarray(seeds), scales)
        assert {k: v.tobytes() for k, v in drawn.items()} == {
            k: np.moveaxis(np.asarray(v), 0, -1).tobytes() for k, v in expected.items()
        }
        # ... and operation by operation, at scale 1: compiled, XLA rounds scale * sqrt(2) * z in an order of its
        # own (model.init_params), which at scale 1 is every order
        op_by_op = jax_random_params(hidden, init, seeds[0], 1.0)
        assert scales[0] == 1.0
        assert {k: v[..., 0].tobytes() for k, v in drawn.items()} == {
            k: np.asarray(v).tobytes() for k, v in op_by_op.items()
        }


def numpy_cost(params, loss):
    h = data.X.astype(np.float64)
    n = len(params) // 2
    for l in range(1, n + 1):
        z = h @ params[f"W{l}"] + params[f"b{l}"]
        h = 1 / (1 + np.exp(-z))
    yhat, y = h[:, 0], data.Y.astype(np.float64)
    if loss == "bce":
        return np.mean(-(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)))
    return np.mean((yhat - y) ** 2)


@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.floors
def test_cost_matches_the_labs_formula(loss):
    params = start(3, [2])
    p64 = {k: np.asarray(v, np.float64) for k, v in params.items()}
    np.testing.assert_allclose(float(model.cost(params, data.X, data.Y, loss=loss)), numpy_cost(p64, loss), rtol=1e-5)


@pytest.mark.floors
def test_bce_stays_finite_where_the_naive_formula_gives_inf():
    params = {k: 100.0 * v for k, v in lecture_params().items()}  # outputs round to exactly 0 or 1 in float32
    params["b2"] = -params["b2"] * 10  # and now confidently wrong
    assert np.isfinite(float(model.cost(params, data.X, data.Y)))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.floors
def test_grad_equals_central_finite_differences_in_float64(activation, loss):
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64) for k, v in start(7, [3]).items()}
        X, Y = jnp.asarray(data.X, jnp.float64), jnp.asarray(data.Y, jnp.float64)
        f = jax.jit(lambda p: model.cost(p, X, Y, activation, loss))  # one program, not one per operation
        grads = jax.jit(jax.grad(f))(params)
        h = 1e-6
        for name, value in params.items():
            flat = np.asarray(value).ravel()
            for i in range(flat.size):
                e = np.zeros_like(flat)
                e[i] = h
                plus = {**params, name: jnp.asarray((flat + e).reshape(value.shape))}
                minus = {**params, name: jnp.asarray((flat - e).reshape(value.shape))}
                numeric = (float(f(plus)) - float(f(minus))) / (2 * h)
                assert float(np.asarray(grads[name]).ravel()[i]) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("hidden, layouts", [([3, 2], ["units"] * 3), ([10, 40], ["sums", "matrix", "matrix"])])
def test_layers_round_trip_with_a_start_axis(hidden, layouts):
    params = {
        k: np.random.default_rng(0).normal(size=(*v.shape, 5)).astype(np.float32) for k, v in start(0, hidden).items()
    }
    assert model.layouts(hidden) == layouts
    back = model.from_layers(model.to_layers(params))
    for k in params:
        np.testing.assert_array_equal(back[k], params[k])


LAYOUTS = ("units", "sums", "matrix")


@pytest.mark.parametrize("hidden", [[2], [6, 7, 5], [32]])
def test_every_layout_computes_the_same_forward_pass_cost_and_gradients(hidden, monkeypatch):
    with jax.enable_x64(True):
        rng = np.random.default_rng(len(hidden))
        params = {k: jnp.asarray(rng.standard_normal((*shape, 3))) for k, shape in model.param_shapes(hidden).items()}
        X, Y = data.X.astype(np.float64), data.Y.astype(np.float64)
        results, natural = {}, model.layouts(hidden)
        for laid_out in LAYOUTS:
            monkeypatch.setattr(model, "layouts", lambda hidden, laid_out=laid_out: [laid_out] * (len(hidden) + 1))

            def everything(params):
                layers = model.to_layers(params)
                grads = jax.grad(lambda l: jnp.sum(model.cost_and_accuracy(l, X, Y)[0]))(layers)
                return *model.forward(layers, X), model.cost_and_accuracy(layers, X, Y), model.from_layers(grads)

            # One program per layout rather than one per operation; but units where model.layouts would not lay
            # them out compile slowly (why it does not), so those run operation by operation.
            slow = laid_out == "units" and "units" not in natural
            results[laid_out] = everything(params) if slow else jax.jit(everything)(params)
        zu, hu, cu, gu = results["units"]
        for laid_out in LAYOUTS[1:]:
            z, h, c, g = results[laid_out]
            assert z.shape == zu.shape == (4, 3)
            np.testing.assert_allclose(z, zu, rtol=1e-13, atol=1e-13)
            for a, b in zip(h, hu, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(c[0], cu[0], rtol=1e-13)
            np.testing.assert_array_equal(c[1], cu[1])
            for k in params:
                np.testing.assert_allclose(g[k], gu[k], rtol=1e-11, atol=1e-13, err_msg=f"{laid_out} {k}")


@pytest.mark.parametrize("hidden", [[3], [4, 6]])
def test_every_layout_trains_along_the_same_trajectory(hidden, monkeypatch):
    with jax.enable_x64(True):
        params = {k: jnp.asarray(v, jnp.float64)[..., None] for k, v in start(1, hidden).items()}
        spec = descent.Spec(steps=500, log_every=100)
        lr = jnp.asarray([0.5], jnp.float64)
        runs = []
        for laid_out in LAYOUTS:
            monkeypatch.setattr(model, "layouts", lambda hidden, laid_out=laid_out: [laid_out] * (len(hidden) + 1))
            # compiled as one program (traced anew for each layout), rather than operation by operation
            runs.append(jax.jit(lambda p: descent.train_layers(model.to_layers(p), lr, data.X, data.Y, spec))(params))
        for run in runs[1:]:
            np.testing.assert_allclose(run.loss, runs[0].loss, rtol=1e-10)
            for k, v in model.from_layers(runs[0].layers).items():
                np.testing.assert_allclose(model.from_layers(run.layers)[k], v, rtol=1e-9, atol=1e-12, err_msg=k)


def test_each_layer_s_layout_is_chosen_by_its_size():
    assert model.layouts([2]) == ["units", "units"]
    assert model.layouts([16]) == ["units", "units"]
    assert model.layouts([10, 10, 10]) == ["sums"] * 4
    assert model.layouts([30]) == ["sums", "sums"]
    assert model.layouts([100]) == ["matrix", "matrix"]
    assert model.layouts([256, 256]) == ["matrix", "matrix", "matrix"]
