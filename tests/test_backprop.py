"""Back-propagation by hand (labs 9-x, 9-7): equal to jax.grad and to finite differences, and it trains the
same network as jax.grad does."""

import json
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import run_dirs
from hypothesis import given, settings
from hypothesis import strategies as st

from xorjax.core import data, descent, manual_grad, model


def float64_params(seed, hidden, scale=1.0, starts=None):
    """N(0, scale²) parameters in float64 from NumPy's generator; with ``starts``, that many on a trailing axis."""
    rng = np.random.default_rng(seed)
    extra = () if starts is None else (starts,)
    return {
        k: jnp.asarray(scale * rng.standard_normal(shape + extra)) for k, shape in model.param_shapes(hidden).items()
    }


def autodiff(params, activation, loss):
    """jax.grad of the model's own cost; summed over the starts, which are independent (as ``train`` does)."""
    X, Y = (jnp.asarray(a, jnp.float64) for a in (data.X, data.Y))
    return jax.grad(lambda p: jnp.sum(model.cost(p, X, Y, activation, loss)))(params)


def perturbed_starts(params, h):
    """Every θ of every start nudged by +h and by -h: each perturbation one more start on a trailing axis."""
    coords = [(k, i) for k in params for i in np.ndindex(params[k].shape[:-1])]
    n = len(coords)
    perturbed = {k: np.repeat(np.asarray(v)[..., None], 2 * n, axis=-1) for k, v in params.items()}
    for j, (k, i) in enumerate(coords):
        perturbed[k][i + (slice(None), j)] += h
        perturbed[k][i + (slice(None), n + j)] -= h
    return coords, perturbed


def central_differences(params, costs, coords, h):
    """∂cost/∂θ for every θ of every start, from the costs (starts, 2n) of ``perturbed_starts``."""
    c, n = np.asarray(costs), len(coords)
    slopes = (c[:, :n] - c[:, n:]) / (2 * h)
    grads = {k: np.zeros(v.shape) for k, v in params.items()}
    for j, (k, i) in enumerate(coords):
        grads[k][i] = slopes[:, j]
    return grads


@partial(jax.jit, static_argnames=("activation", "loss"))
def three_ways(params, perturbed, activation, loss):
    """By hand, by jax.grad, and the costs that central differences are taken of (by ``manual_grad``'s own
    forward pass); with the model's own cost. One compiled program per example, where eager operations on
    new shapes would be compiled one by one (about 60 of them)."""
    c, _, manual = manual_grad.value_and_grad(params, data.X, data.Y, activation, loss)
    auto = autodiff(params, activation, loss)
    reference = model.cost(params, data.X.astype("float64"), data.Y.astype("float64"), activation, loss)
    return c, reference, manual, auto, manual_grad.cost(perturbed, data.X, data.Y, activation, loss)


@pytest.mark.floors
@settings(max_examples=10, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    seed=st.integers(0, 2**16),
    activation=st.sampled_from(list(model.ACTIVATIONS)),
    loss=st.sampled_from(list(model.LOSSES)),
    scale=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_hand_written_gradients_equal_jax_grad_and_central_differences(hidden, seed, activation, loss, scale):
    with jax.enable_x64(True):
        params = float64_params(seed, hidden, scale, starts=8)  # eight seeds, seed ... seed + 7
        h = 1e-6
        coords, perturbed = perturbed_starts(params, h)
        c, reference, manual, auto, costs = three_ways(params, perturbed, activation, loss)
        numeric = central_differences(params, costs, coords, h)
        np.testing.assert_allclose(c, reference, rtol=1e-12)
        for k in params:
            np.testing.assert_allclose(manual[k], auto[k], atol=1e-6, rtol=0, err_msg=k)
            np.testing.assert_allclose(manual[k], numeric[k], atol=1e-6, rtol=0, err_msg=k)


@pytest.mark.parametrize("name", list(model.ACTIVATIONS))
@pytest.mark.floors
def test_every_activation_s_written_derivative_equals_jax_grad(name):
    act = model.ACTIVATIONS[name]
    z = jnp.linspace(-6, 6, 101, dtype=jnp.float32) + 0.013  # off relu's kink at 0
    np.testing.assert_allclose(act.grad(act.fn(z)), jax.vmap(jax.grad(act.fn))(z), atol=1e-6)


@pytest.mark.parametrize("name", list(model.LOSSES))
def test_every_loss_s_written_derivative_equals_jax_grad(name):
    loss = model.LOSSES[name]
    z = jnp.linspace(-6, 6, 101, dtype=jnp.float32)
    for y in (0.0, 1.0):
        np.testing.assert_allclose(
            loss.dz(model.sigmoid(z), y), jax.vmap(jax.grad(loss.fn), (0, None))(z, y), atol=1e-6
        )


@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.floors
def test_the_lab_9x_network_by_hand(loss):
    """2-2-1 sigmoid at the lecture's hand-set weights, checked against the chain rule spelled out in NumPy."""
    with jax.enable_x64(True):
        W1, b1, W2, b2 = (np.asarray(v, np.float64) for v in ([[5, -7], [5, -7]], [-8, 3], [[-11], [-11]], [6]))
        X, Y = data.X.astype(np.float64), data.Y.astype(np.float64)
        K = 1 / (1 + np.exp(-(X @ W1 + b1)))
        yhat = 1 / (1 + np.exp(-(K @ W2 + b2)))[:, 0]
        dz2 = (yhat - Y if loss == "bce" else 2 * (yhat - Y) * yhat * (1 - yhat))[:, None] / 4
        dz1 = dz2 @ W2.T * K * (1 - K)
        expected = {"W2": K.T @ dz2, "b2": dz2.sum(0), "W1": X.T @ dz1, "b1": dz1.sum(0)}
        params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        got = manual_grad.grad({k: jnp.asarray(v) for k, v in params.items()}, data.X, data.Y, "sigmoid", loss)
        for k in expected:
            np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, atol=1e-15, err_msg=k)


# Compiled: eager operations would be compiled one by one for every new shape.
by_hand = jax.jit(manual_grad.value_and_grad, static_argnums=(3, 4))
by_jax = jax.jit(jax.grad(model.cost), static_argnums=(3, 4))


def test_a_trailing_start_axis_gives_every_start_its_own_gradient():
    with jax.enable_x64(True):
        starts = [float64_params(s, [3, 2]) for s in range(3)]
        stacked = {k: jnp.stack([p[k] for p in starts], axis=-1) for k in starts[0]}
        c, acc, grads = by_hand(stacked, data.X, data.Y, "tanh", "bce")
        assert c.shape == acc.shape == (3,)
        for i, p in enumerate(starts):
            one = by_hand(p, data.X, data.Y, "tanh", "bce")[2]
            for k in p:
                np.testing.assert_allclose(grads[k][..., i], one[k], rtol=1e-12, atol=1e-15)


def test_one_pattern_at_a_time_as_batch_online_uses_it():
    with jax.enable_x64(True):
        params = float64_params(7, [3])
        for p in range(4):
            X, Y = data.X[p : p + 1].astype(np.float64), data.Y[p : p + 1].astype(np.float64)
            manual = by_hand(params, X, Y, "relu", "bce")[2]
            auto = by_jax(params, X, Y, "relu", "bce")
            for k in params:
                np.testing.assert_allclose(manual[k], auto[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", [0, 1])  # seed 0 learns XOR, seed 1 gets stuck: both the same either way
def test_grad_manual_follows_the_same_trajectory_as_jax_grad(seed):
    """Lab 9-x: the 2-2-1 sigmoid net, BCE, SGD 0.1, 10,001 steps, once with each gradient."""
    params = {k: v[..., 0] for k, v in descent.init_starts([seed], [2]).items()}
    yhat = {}
    for grad in descent.GRADS:
        final, _ = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec(steps=10001, grad=grad))
        yhat[grad] = np.asarray(model.predict(final, data.X)[0])
    np.testing.assert_allclose(yhat["manual"], yhat["auto"], atol=1e-4, rtol=0)


@pytest.mark.slow
def test_command_line_grad_manual_trains_the_same_network(run_xorjax, tmp_path):
    r = run_xorjax("grad=manual", "logger.plots=false", "logger.tensorboard=false")
    assert r.returncode == 0, r.stderr
    assert "gradients by hand (grad=manual)" in r.stdout
    (folder,) = run_dirs(tmp_path)
    m = json.loads((folder / "metrics.json").read_text())
    assert m["grad"] == "manual" and m["status"] == "solved"
    params = {k: v[..., 0] for k, v in descent.init_starts([0], [2]).items()}
    final, _ = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec())  # jax.grad, the lab's settings
    np.testing.assert_allclose(m["predictions"], model.predict(final, data.X)[0], atol=1e-4, rtol=0)
