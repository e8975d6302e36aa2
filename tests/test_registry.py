"""One record per idea, and it is enough: every entry of ``model.ACTIVATIONS`` trains with its pictures, has
hand-written gradients equal to JAX's and sweeps into an atlas with families; an activation added to the
registry alone passes the settings' checks, trains (by the hand-written chain rule too) and has truth tables;
every entry of ``descent.OPTIMIZERS`` trains starts side by side exactly as each alone.

Runs go in this process through the command line's own path (``run.check_overrides``, the composed config,
``experiments/<name>.run``): no process to start, so each activation costs its compiles only."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import compose_settings, run_here

from xorjax import config, run
from xorjax.core import atlas, data, descent, model

PNG = b"\x89PNG\r\n\x1a\n"
NEW = "softsign"
# softsign(z) = z / (1 + |z|): a tanh-like activation this project has never heard of. Its derivative
# 1 / (1 + |z|)^2 from its output h is (1 - |h|)^2; softsign(-z) = -softsign(z), so the flip symmetry holds.
SOFTSIGN = model.Activation(
    jax.nn.soft_sign,
    lambda z: z / (1 + np.abs(z)),
    lambda h: (1 - jnp.abs(h)) ** 2,
    (-1.0, 1.0),
    0.0,
    1 - 2 * model.SATURATION,
    True,
)


@pytest.mark.parametrize("activation", list(model.ACTIVATIONS))
def test_every_activation_trains_draws_backpropagates_and_sweeps(activation, tmp_path):
    # A short run with its pictures.
    # seed 1: its relu units are on for some patterns and off for others, so both branches of relu' are used
    overrides = [f"model.activation={activation}", "seed=1", "steps=201", "log_every=67", "logger.tensorboard=false"]
    metrics = run_here(tmp_path / "train", *overrides, "logger.plots=true")
    assert metrics["activation"] == activation and metrics["status"] != "diverged"
    for name in ("history", "decision_surface", "hidden_space", "weights"):
        assert (tmp_path / "train" / f"{name}.png").read_bytes()[:8] == PNG, name

    # The chain rule written out (grad=manual) follows jax.grad's trajectory; the auto run is the one above.
    cfg, _ = compose_settings(*overrides)
    start = {k: v[..., 0] for k, v in descent.init_starts([cfg.seed], cfg.model.hidden).items()}
    spec = config.train_spec(cfg)._replace(record_weights=True)
    (auto, a), (manual, m) = (
        descent.train_one(start, cfg.optimizer.lr, data.X, data.Y, spec._replace(grad=g)) for g in ("auto", "manual")
    )
    saved = json.loads((tmp_path / "train" / "weights.json").read_text())
    for k in auto:
        np.testing.assert_array_equal(np.asarray(auto[k], np.float64), saved[k], err_msg=k)
        np.testing.assert_allclose(manual[k], auto[k], rtol=1e-4, atol=1e-5, err_msg=k)
        np.testing.assert_allclose(m.weights[k], a.weights[k], rtol=1e-4, atol=1e-5, err_msg=k)
    np.testing.assert_allclose(m.loss, a.loss, rtol=1e-5)
    assert np.abs(np.asarray(auto["W1"]) - np.asarray(start["W1"])).max() > 1e-3  # it did train

    # A small sweep: its atlas, with the families of the solutions it found (its pictures: test_sweep).
    found = run_here(
        tmp_path / "sweep",
        "experiment=sweep",
        f"model.activation={activation}",
        "sweep.seeds=64",
        "steps=201",
        "log_every=67",
        "sweep.lrs=[1.0,3.0]",
        "logger.plots=false",
        "logger.tensorboard=false",
    )
    assert json.loads((tmp_path / "sweep" / "atlas.json").read_text()) == json.loads(json.dumps(found))
    assert found["activation"] == activation
    families = [f for c in found["configs"] for f in c["families"]]
    assert families and sum(f["count"] for f in families) == sum(c["outcomes"]["solved"] for c in found["configs"])
    assert all(len(f["hidden_gates"]) == 2 and f["class"] for f in families)


def test_a_new_activation_needs_its_record_only(monkeypatch, tmp_path):
    problem = run.check_overrides([f"model.activation={NEW}"])
    assert problem.startswith(f"model.activation={NEW} is not allowed: choose one of")
    # the record is right: its grad is its derivative, and its flip symmetry holds
    z = jnp.linspace(-6.0, 6.0, 101)
    np.testing.assert_allclose(SOFTSIGN.grad(SOFTSIGN.fn(z)), jax.vmap(jax.grad(SOFTSIGN.fn))(z), rtol=1e-6)
    np.testing.assert_allclose(SOFTSIGN.fn(-z), sum(SOFTSIGN.levels) - SOFTSIGN.fn(z), atol=1e-7)

    monkeypatch.setitem(model.ACTIVATIONS, NEW, SOFTSIGN)  # the one change
    assert run.check_overrides([f"model.activation={NEW}", "experiment=sweep", "sweep.seeds=8"]) is None
    # it trains, by the hand-written chain rule too (which takes the derivative from the record), to a solution
    metrics = run_here(
        tmp_path,
        f"model.activation={NEW}",
        "grad=manual",
        "seed=1",
        "steps=300",
        "log_every=100",
        "optimizer.lr=3.0",
        "logger.plots=false",
        "logger.tensorboard=false",
    )
    assert (metrics["activation"], metrics["status"]) == (NEW, "solved")
    # and the atlas reads its units at its levels: a gate for each hidden unit
    weights = {
        k: np.asarray(v, np.float32)[..., None] for k, v in json.loads((tmp_path / "weights.json").read_text()).items()
    }
    hidden, output = atlas.tables(weights, NEW)
    assert hidden.shape == (1, 2, 4) and output.shape == (1, 4)
    assert atlas.describe(atlas.family(atlas.keys(hidden, output)[0])).count("+") == 1


@pytest.mark.parametrize("pair", [False, True], ids=["one step", "two steps"])  # per loop, as a big sweep (Spec.pair)
@pytest.mark.parametrize("optimizer", descent.OPTIMIZERS)
def test_every_optimizer_trains_starts_side_by_side_as_each_alone_bit_for_bit(optimizer, pair):
    spec = descent.Spec(steps=100, log_every=25, optimizer=optimizer)
    params = descent.init_starts(np.arange(8), (2,))
    lrs = np.geomspace(0.05, 5.0, 8)  # a learning rate of its own for each start, too
    final, trained = descent.train_starts(params, lrs, data.X, data.Y, spec._replace(pair=pair))
    for i in range(8):
        one, alone = descent.train_starts(
            {k: v[..., i : i + 1] for k, v in params.items()}, lrs[i : i + 1], data.X, data.Y, spec
        )
        for k in final:
            np.testing.assert_array_equal(one[k][..., 0], final[k][..., i], err_msg=f"{k} of start {i}")
        for name in ("loss", "accuracy", "final_loss", "solved_at", "final_yhat"):
            np.testing.assert_array_equal(
                getattr(alone, name)[..., 0], getattr(trained, name)[..., i], err_msg=f"{name} of start {i}"
            )
