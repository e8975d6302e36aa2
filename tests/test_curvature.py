"""The landscape analysis (xorjax/core/curvature.py): the Hessian against finite differences and by hand, the
kinds of point on functions whose stationary points are known, the kick, and XOR's stuck starts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from xorjax.core import curvature, descent, engine, model

KIND = {k: i for i, k in enumerate(curvature.KINDS)}


def xor_thetas(n=5, hidden=(2,), seed=0, scale=2.0):
    params = {k: np.asarray(v, np.float64) for k, v in descent.init_starts(np.arange(seed, seed + n), hidden).items()}
    params = {k: scale * v for k, v in params.items()}
    return curvature.flat(params), params


def test_flat_orders_theta_as_ravel_pytree_and_unflat_inverts_it():
    (thetas, unravel), params = xor_thetas(4, hidden=(3,))
    back = curvature.unflat(thetas, unravel)
    for k, v in params.items():
        np.testing.assert_array_equal(back[k], v)
    with jax.enable_x64(True):
        one = unravel(jnp.asarray(thetas[2]))
    for k, v in params.items():
        np.testing.assert_array_equal(np.asarray(one[k]), v[..., 2])


@pytest.mark.parametrize("hidden, loss", [((2,), "bce"), ((2, 2), "bce"), ((3,), "sse"), ((), "mse")])
def test_hessian_equals_central_finite_differences_in_float64(hidden, loss):
    (thetas, unravel), _ = xor_thetas(3, hidden=hidden, seed=11)
    cost = curvature.cost_of(unravel, "sigmoid", loss)
    h = 1e-4
    with jax.enable_x64(True):
        # Compiled once each (per net), not once per θ: the cost at a batch of points, the derivatives at one.
        f, at = jax.jit(jax.vmap(cost)), jax.jit(curvature.local(cost))
        for theta in thetas:
            _, g, H = at(jnp.asarray(theta))
            p = len(theta)
            E = np.eye(p) * h
            # C(θ ± h e_i ± h e_j) for every i, j at once: the four corners of a central difference of a difference;
            # then C(θ ± h e_i) for the gradient. All in one batch, so one shape and one compilation.
            corners = [theta + a * E[:, None] + b * E[None, :] for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
            costs = np.asarray(f(np.concatenate([c.reshape(p * p, p) for c in corners] + [theta + E, theta - E])))
            pp, pm, mp, mm = costs[: 4 * p * p].reshape(4, p, p)
            fd = (pp - pm - mp + mm) / (4 * h * h)
            np.testing.assert_allclose(np.asarray(H), fd, atol=2e-7 * max(1.0, np.abs(fd).max()))
            plus, minus = costs[4 * p * p :].reshape(2, p)
            fd_g = (plus - minus) / (2 * h)
            np.testing.assert_allclose(np.asarray(g), fd_g, atol=1e-8)


def test_hessian_of_the_sse_cost_by_hand_at_the_lectures_weights():
    """For C = mean_p 1/2 (yhat_p - y_p)^2, d2C/db2^2 = mean_p (yhat'(z))^2 + (yhat - y) yhat''(z), with
    yhat' = s(1-s) and yhat'' = s(1-s)(1-2s): the chain rule written out for the output bias."""
    lecture = {"W1": [[5.0, -7.0], [5.0, -7.0]], "b1": [-8.0, 3.0], "W2": [[-11.0], [-11.0]], "b2": [6.0]}
    params = {k: np.asarray(v, np.float64)[..., None] for k, v in lecture.items()}
    thetas, unravel = curvature.flat(params)
    point = curvature.analyse(params, "sigmoid", "sse")
    with jax.enable_x64(True):
        _, _, H = jax.jit(curvature.local(curvature.cost_of(unravel, "sigmoid", "sse")))(jnp.asarray(thetas[0]))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    X, Y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0], float)
    hidden = sig(X @ np.array(lecture["W1"]) + lecture["b1"])
    s = sig(hidden @ np.array(lecture["W2"])[:, 0] + lecture["b2"][0])
    d1, d2 = s * (1 - s), s * (1 - s) * (1 - 2 * s)
    by_hand = np.mean(d1**2 + (s - Y) * d2)
    b2 = sorted(params).index("b2")  # b2 is a single number: its place in θ is after W1, W2, b1
    offset = sum(np.asarray(params[k]).size for k in sorted(params)[:b2])
    assert H[offset, offset] == pytest.approx(by_hand, rel=1e-12)
    assert point.eigenvalues[0, 0] <= point.eigenvalues[0, -1]
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(np.asarray(H))), point.eigenvalues[0], atol=1e-14)


def gradient_descent(cost, theta, lr, steps):
    """Plain gradient descent in float64; returns the point at 90% of the run and at its end."""
    with jax.enable_x64(True):
        grad = jax.jit(jax.grad(cost))
        theta = jnp.asarray(theta, jnp.float64)
        late = None
        for t in range(steps):
            if t == round(0.9 * steps):
                late = theta
            theta = theta - lr * grad(theta)
    return np.asarray(late), np.asarray(theta)


def kind_of(cost, theta0, lr=0.1, steps=2000, precision="float64"):
    late, end = gradient_descent(cost, theta0, lr, steps)
    point = curvature.spectrum(cost, end[None])
    growth = (np.linalg.norm(end) - np.linalg.norm(late)) / np.linalg.norm(late)
    return curvature.KINDS[int(curvature.classify(point, np.array([growth]), precision)["kind"][0])], point


def test_a_bowl_is_a_minimum():
    kind, point = kind_of(lambda t: (t[0] - 1) ** 2 + 3 * (t[1] + 2) ** 2, [3.0, 1.0])
    assert kind == "minimum"
    np.testing.assert_allclose(point.eigenvalues[0], [2.0, 6.0], rtol=1e-12)


def test_a_saddle_is_a_saddle():
    # x^2 - y^2 from just off the ridge: descent slides to x = 0 and stalls there while y barely moves.
    kind, point = kind_of(lambda t: t[0] ** 2 - t[1] ** 2, [1.0, 1e-12], steps=200)
    assert kind == "saddle"
    np.testing.assert_allclose(point.eigenvalues[0], [-2.0, 2.0], rtol=1e-12)
    directions, along = curvature.kick_directions(point, [0])
    assert along[0] and abs(directions[0, 1]) == pytest.approx(1.0)  # the kick goes along y


def test_a_valley_that_leads_off_to_infinity_is_a_plateau():
    # softplus(-x) + y^2, BCE's shape: x grows like log t, the gradient and curvature fade as e^-x, never zero.
    kind, point = kind_of(lambda t: jnp.logaddexp(0.0, -t[0]) + t[1] ** 2, [0.5, 1.0], lr=0.5, steps=3000)
    assert kind == "plateau"
    assert 0 < point.eigenvalues[0, 0] < 1e-3 * point.eigenvalues[0, 1]  # no clearly negative eigenvalue
    assert point.grad_norm[0] < 1e-2


def test_a_point_that_is_still_descending_fast_is_other():
    kind, _ = kind_of(lambda t: (t[0] - 100.0) ** 2 + t[1] ** 2, [0.0, 0.0], lr=1e-4, steps=50)
    assert kind == "other"


def test_tolerances_decide_clearly_negative():
    point = curvature.Point(np.zeros(2), np.full(2, 1e-3), np.array([[-1e-5, 1.0], [-1e-2, 1.0]]), np.zeros((2, 2, 2)))
    kinds = curvature.classify(point, np.array([0.1, 0.1]), "float32")
    assert [curvature.KINDS[k] for k in kinds["kind"]] == ["plateau", "saddle"]
    assert kinds["negative"].tolist() == [0, 1] and kinds["zero"].tolist() == [1, 0]
    loose = curvature.classify(point, np.array([0.1, 0.1]), "float32", curvature.Tolerances(eig=1e-6))
    assert [curvature.KINDS[k] for k in loose["kind"]] == ["saddle", "saddle"]


def test_non_finite_points_are_other():
    point = curvature.Point(np.array([np.nan]), np.array([np.nan]), np.full((1, 3), np.nan), np.zeros((1, 3, 2)))
    assert curvature.KINDS[int(curvature.classify(point, np.array([np.nan]), "float32")["kind"][0])] == "other"


def test_random_kick_directions_are_unit_and_repeat_from_the_seed():
    point = curvature.Point(np.zeros(2), np.zeros(2), np.ones((2, 9)), np.zeros((2, 9, 2)))
    a, along = curvature.kick_directions(point, [4, 5])
    b, _ = curvature.kick_directions(point, [4, 5])
    assert not along.any()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0)
    assert not np.allclose(a[0], a[1])


def test_xors_stuck_starts_are_saddles_and_plateaus_never_minima():
    """The literature's finding on 300 starts of lab 9-2: about a third stick, none at a minimum."""
    n = 300
    inputs, lrs, _ = engine.Grid(0, n, [0.1], [1.0]).part(0, n)
    starts = engine.run_starts(inputs, lrs, engine.sweep_init((2,), "normal"), (2,), descent.Spec(), finals=True)
    stuck = np.flatnonzero(starts.status != descent.STATUSES.index("solved"))
    assert 60 < len(stuck) < 150
    final = {k: v[..., stuck] for k, v in starts.final.items()}
    late = {k: v[..., stuck] for k, v in starts.late.items()}
    point = curvature.analyse(final)
    kinds = curvature.classify(point, curvature.growth(final, late), "float32")["kind"]
    counts = np.bincount(kinds, minlength=len(curvature.KINDS))
    assert counts[KIND["minimum"]] == 0
    assert counts[KIND["saddle"]] + counts[KIND["plateau"]] >= 0.95 * len(stuck)
    two_stuck = starts.status[stuck] == descent.STATUSES.index("two-stuck")
    assert np.mean(kinds[two_stuck] == KIND["plateau"]) > 0.8  # two stuck patterns: units saturating
    # The cost there is the model's own, in float64.
    with jax.enable_x64(True):
        own = model.cost(
            {k: v[..., 0] for k, v in final.items()},
            np.float64(0) + np.array([[0, 0], [0, 1], [1, 0], [1, 1]]),
            np.array([0.0, 1.0, 1.0, 0.0]),
        )
    assert point.cost[0] == pytest.approx(float(own), rel=1e-12)
