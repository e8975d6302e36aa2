"""The sweep engine: start i is the run with seed i, outcomes are classified as documented, the statistics
are right, and the experiments (sweep, rhw1986, basin) leave their files or refuse bad input in one line."""

import json
import logging
import math

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import SWEEP, grid, run_dirs, run_here
from hydra import compose, initialize_config_dir

from xorjax import run
from xorjax.core import data, descent, engine, shares, tally

SPEC = descent.Spec(steps=301, log_every=100)


def sweep_of(seeds, lrs, scales, spec=SPEC, chunk=8192, hidden=(2,), init="normal"):
    cells, per = grid(0, seeds, lrs, scales)
    starts = engine.run_starts(
        {"seed": per["seed"], "scale": per["scale"]},
        per["lr"],
        engine.sweep_init(hidden, init),
        hidden,
        spec,
        group=per["group"],
        chunk=chunk,
    )
    return cells, per, starts


def single(seed, lr, scale, spec=SPEC, hidden=(2,), init="normal"):
    params = {k: v[..., 0] for k, v in descent.init_starts([seed], hidden, init, scale).items()}
    return descent.train_one(params, lr, data.X, data.Y, spec)


# --- start i is the run with seed i --------------------------------------------------------------------


@pytest.mark.floors
def test_every_start_equals_its_single_run_bit_for_bit_across_chunks_lrs_and_scales():
    # 3 chunks of 16 (the last one padded), two learning rates, two init scales
    cells, per, starts = sweep_of(10, [0.5, 2.0], [1.0, 0.5], chunk=16)
    assert cells == [(0.5, 1.0), (0.5, 0.5), (2.0, 1.0), (2.0, 0.5)]
    for i in (0, 9, 10, 17, 25, 39):
        final, trained = single(int(per["seed"][i]), float(per["lr"][i]), float(per["scale"][i]))
        assert float(trained.final_loss) == starts.final_loss[i]
        assert int(trained.solved_at) == starts.solved_at[i]
        assert int(descent.status(trained)) == starts.status[i]


def test_only_a_sweep_big_enough_to_repay_the_compile_takes_two_steps_per_loop():
    # the pair itself trains to the same numbers (test_train.py); here, who gets it: starts x steps x weights
    assert engine.pairs(10000, [10, 10, 10], 10001)  # 261 weights: 2.6e10
    assert not engine.pairs(1000, [2], 10001)  # the default sweep: 9 weights, 9e7
    assert engine.pairs(math.ceil(engine.PAIR_WORK / 9 / 10001), [2], 10001)
    assert not engine.pairs(math.floor(engine.PAIR_WORK / 9 / 10001), [2], 10001)


def test_grid_lays_out_settings_one_after_the_other():
    cells, per = grid(5, 3, [0.1, 1.0], [2.0])
    assert cells == [(0.1, 2.0), (1.0, 2.0)]
    assert per["seed"].tolist() == [5, 6, 7, 5, 6, 7] and per["group"].tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(per["lr"], [0.1] * 3 + [1.0] * 3)  # float64: exact for precision=float64


def test_a_per_start_init_scale_equals_the_scalar_one():
    both = descent.init_starts([3, 4], [2], "uniform", [0.5, 2.0])
    for i, (seed, scale) in enumerate([(3, 0.5), (4, 2.0)]):
        one = descent.init_starts([seed], [2], "uniform", scale)
        for k in both:
            np.testing.assert_array_equal(both[k][..., i], one[k][..., 0])


# --- outcomes ----------------------------------------------------------------------------------------


def trained_with(yhat, loss=(0.7, 0.69, 0.69), final_loss=0.69, finite=True, stopped_at=None):
    yhat = jnp.asarray(yhat, jnp.float32)[:, None]
    return descent.Trained(
        layers=None,
        loss=jnp.asarray(loss, jnp.float32)[:, None],
        accuracy=None,
        solved_at=None,
        finite=jnp.asarray([finite]),
        final_loss=jnp.asarray([final_loss], jnp.float32),
        final_accuracy=jnp.mean(((yhat > 0.5) == (data.Y[:, None] > 0.5)).astype(jnp.float32), 0),
        final_yhat=yhat,
        stopped_at=None if stopped_at is None else jnp.asarray([stopped_at]),
    )


@pytest.mark.parametrize(
    "yhat, final_loss, expected",
    [
        ([0.02, 0.97, 0.98, 0.03], 0.02, "solved"),
        ([0.49, 0.52, 0.47, 0.51], 0.693, "plateau"),  # the PyTorch lab's stuck run
        ([0.03, 0.97, 0.5, 0.5], 0.347, "two-stuck"),  # the Keras lab's
        ([0.01, 0.66, 0.66, 0.67], 0.477, "three-merged"),
        ([0.3, 0.6, 0.45, 0.3], 0.5, "slow"),  # cost 0.69 -> 0.5 over the last tenth
        ([0.3, 0.6, 0.45, 0.3], 0.6899, "unsolved"),
    ],
)
@pytest.mark.floors
def test_outcomes_are_read_from_the_final_outputs(yhat, final_loss, expected):
    assert descent.STATUSES[int(descent.status(trained_with(yhat, final_loss=final_loss))[0])] == expected


def test_diverged_beats_everything_and_a_stop_criterion_decides_solved():
    assert descent.STATUSES[int(descent.status(trained_with([0.02, 0.97, 0.98, 0.03], finite=False))[0])] == "diverged"
    assert descent.STATUSES[int(descent.status(trained_with([0.5] * 4, final_loss=8.0))[0])] == "diverged"
    # accuracy 1.0 but the run's own goal (a cost below stop_below) not reached: not solved
    not_reached = trained_with([0.3, 0.7, 0.7, 0.3], loss=(0.7, 0.36, 0.36), final_loss=0.36, stopped_at=-1)
    assert descent.STATUSES[int(descent.status(not_reached)[0])] == "unsolved"
    assert int(descent.status(trained_with([0.02, 0.97, 0.98, 0.03], stopped_at=812))[0]) == 0


def test_diverging_starts_are_counted_never_raised():
    # 16 starts, one chunk of 16: the first test's compiled program (fewer starts would make a smaller chunk)
    _, per, starts = sweep_of(8, [1e38, 0.5], [1.0], chunk=16)
    stats = tally.statistics(starts, per["group"] == 0)
    assert stats["outcomes"]["diverged"] == 8 and stats["success_rate"] == 0.0
    assert tally.statistics(starts, per["group"] == 1)["outcomes"]["diverged"] == 0


def test_a_stopped_start_keeps_the_weights_that_met_the_criterion():
    # Rumelhart, Hinton & Williams: SSE (= 8 x the sse cost) below 0.01, online, U(-1, 1), lr 0.5
    spec = descent.Spec(steps=3000, log_every=500, loss="sse", batch="online", stop_below=0.01 / 8)
    _, per, starts = sweep_of(12, [0.5], [1.0], spec=spec, init="uniform")
    stopped = starts.stopped_at >= 0
    assert stopped.any() and np.array_equal(stopped, starts.status == 0)
    assert np.all(starts.final_loss[stopped] < 0.01 / 8)
    i = int(np.flatnonzero(stopped)[0])
    _, trained = single(int(per["seed"][i]), 0.5, 1.0, spec=spec, init="uniform")
    assert int(trained.stopped_at) == starts.stopped_at[i] and float(trained.final_loss) == starts.final_loss[i]


# --- statistics ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, n, lo, hi",
    [(0, 10, 0.0, 0.27753), (5, 10, 0.23659, 0.76341), (10, 10, 0.72247, 1.0), (81, 263, 0.25529, 0.36621)],
)
@pytest.mark.floors
def test_wilson_interval_matches_published_values(k, n, lo, hi):
    got = shares.wilson(k, n)
    assert got == pytest.approx((lo, hi), abs=1e-5)
    assert got[0] <= k / n <= got[1]


def test_statistics_and_families_of_a_small_sweep():
    # SPEC, lr 2.0 and chunks of 16, as in the first test: its compiled programs (sweep and single run). In 301
    # steps 27 of the 48 starts solve, in both saturated classes and in two unsaturated families.
    spec = SPEC
    _, per, starts = sweep_of(48, [2.0], [1.0], spec=spec, chunk=16)
    where = per["group"] == 0
    stats = tally.statistics(starts, where)
    assert sum(stats["outcomes"].values()) == 48 == stats["seeds"]
    k = stats["outcomes"]["solved"]
    assert k > 20 and stats["success_rate"] == k / 48 and stats["ci95"] == list(shares.wilson(k, 48))
    solved_at = starts.solved_at[starts.status == 0]
    assert stats["median_steps"] == float(np.median(solved_at)) and 0 < stats["median_steps"] < spec.steps
    fams = tally.families(starts, where)
    assert sum(f["count"] for f in fams) == k and math.isclose(sum(f["share"] for f in fams), 1.0)
    classes = tally.classes(fams)
    saturated = {c["class"] for c in classes if "unsaturated" not in c["class"]}
    assert saturated <= {"AND + OR -> h2 AND NOT h1", "x1 AND NOT x2 + x2 AND NOT x1 -> OR"}
    for f in fams:  # the kept weights of a family's first start are that start's final weights
        index, weights = starts.firsts[(0, tuple(f["key"]))]
        assert index == f["first_start"]
        final, _ = single(int(per["seed"][index]), 2.0, 1.0, spec=spec)
        for name in final:
            np.testing.assert_array_equal(weights[name], final[name])


# --- settings ----------------------------------------------------------------------------------------


def settings(*overrides):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        return run.settings(compose("config", overrides=list(overrides)))


def test_rhw1986_is_their_setting():
    s = settings("experiment=rhw1986")
    assert (s.model.hidden, s.loss, s.batch, s.optimizer.name, s.optimizer.lr) == ([2], "sse", "online", "sgd", 0.5)
    assert (s.init.name, s.init.limit, s.steps, s.sweep.stop_sse) == ("uniform", 1.0, 10000, 0.01)
    from xorjax import config

    assert config.train_spec(s).stop_below == pytest.approx(0.01 / 8)


@pytest.mark.parametrize(
    "args, message",
    [
        (["experiment=sweep", "sweep.seeds=0"], "sweep.seeds=0 is not allowed: must be an integer >= 1"),
        (["experiment=sweep", "sweep.seeds=2.5"], "sweep.seeds"),
        (["experiment=sweep", "sweep.lrs=[]"], "sweep.lrs=[] is not allowed: give a non-empty list"),
        (["experiment=sweep", "sweep.lrs=[0.1,-1]"], "sweep.lrs=[0.1, -1.0] is not allowed"),
        (["experiment=sweep", "sweep.init_scales=[0]"], "sweep.init_scales=[0.0] is not allowed"),
        (["experiment=sweep", "init=file", "init.path=w.json"], "init=file is not allowed with a sweep"),
        (
            ["experiment=basin", "sweep.basin.x=W3.0.0"],
            "sweep.basin.x=W3.0.0 is not allowed: the model (hidden=[2]) has W1 2x2, b1 2, W2 2x1, b2 1",
        ),
        (["experiment=basin", "sweep.basin.y=b1.2"], "sweep.basin.y=b1.2 is not allowed"),
        (["experiment=basin", "sweep.basin.y=W1.0.0"], "sweep.basin.y=W1.0.0 is not allowed: it must differ"),
        (["experiment=rhw1986", "loss=bce"], "sweep.stop_sse=0.01 is not allowed with loss=bce"),
    ],
)
def test_bad_sweep_settings_are_one_line(args, message):
    problem = run.check_overrides(args)
    assert problem is not None and message in problem and "\n" not in problem


# --- end to end ----------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.floors
def test_sweep_writes_the_atlas_and_its_start_replays_as_a_single_run(run_xorjax, tmp_path, shared_run, caplog):
    common = ["steps=1001", "logger.tensorboard=false"]
    quiet = ("logger.plots=false", "logger.tensorboard=false")
    r, root = shared_run(*SWEEP)  # experiment=sweep, 24 seeds, lr 0.5 and 2.0, *common (test_io reads it too)
    assert SWEEP[-2:] == tuple(common)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "x1 AND NOT x2 + x2 AND NOT x1 -> OR" in r.stdout
    (folder,) = run_dirs(root, "atlas.json")
    atlas = json.loads((folder / "atlas.json").read_text())
    assert [(c["hidden"], c["lr"], c["init_scale"], c["seeds"]) for c in atlas["configs"]] == [
        ([2], 0.5, 1.0, 24),
        ([2], 2.0, 1.0, 24),
    ]
    c = atlas["configs"][1]
    assert sum(c["outcomes"].values()) == 24 and c["success_rate"] == c["outcomes"]["solved"] / 24
    assert c["ci95"][0] <= c["success_rate"] <= c["ci95"][1] and sum(f["count"] for f in c["families"]) > 0
    assert {"hidden_gates", "output_gate", "class", "count", "share", "seed", "weights"} <= set(c["families"][0])
    for name in ("atlas.md", "outcomes.png", "solutions.png"):  # drawn by the painter's helpers
        assert (folder / name).stat().st_size > 1000, name
    assert "drawing failed" not in r.stdout + r.stderr
    assert "## Outcomes" in (folder / "atlas.md").read_text()
    # the representative of a family, replayed alone: the very same weights
    f = c["families"][0]
    r = run_xorjax(f"seed={f['seed']}", "optimizer.lr=2.0", "logger.plots=false", *common)
    assert r.returncode == 0, r.stderr
    (single_run,) = run_dirs(tmp_path)
    assert json.loads((single_run / "weights.json").read_text()) == json.loads((folder / f["weights"]).read_text())
    assert json.loads((single_run / "metrics.json").read_text())["status"] == "solved"
    # ... which experiment=handcrafted loads and confirms (in this process)
    with caplog.at_level(logging.INFO):
        run_here(tmp_path / "h", "experiment=handcrafted", "init=file", f"init.path={folder / f['weights']}", *quiet)
    assert "These weights compute XOR." in caplog.text


@pytest.mark.slow
def test_a_bad_sweep_setting_exits_2_without_a_traceback_or_a_folder(run_xorjax, tmp_path):
    r = run_xorjax("experiment=sweep", "sweep.lrs=[]")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("xorjax: sweep.lrs=[] is not allowed")
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_basin_colours_every_start(run_xorjax, tmp_path):
    r = run_xorjax(
        "experiment=basin",
        "sweep.basin.size=6",
        "sweep.basin.x=W2.0.0",
        "sweep.basin.y=b2.0",
        "steps=501",
        "optimizer.lr=2.0",
    )
    assert r.returncode == 0, r.stderr
    (folder,) = run_dirs(tmp_path, "basin.json")
    basin = json.loads((folder / "basin.json").read_text())
    assert (basin["size"], basin["x"], basin["y"], basin["seeds"]) == (6, "W2.0.0", "b2.0", 36)
    maps = np.load(folder / "basin.npz")
    assert maps["status"].shape == (6, 6) and maps["cls"].shape == (6, 6)
    assert np.sum(maps["status"] == 0) == basin["outcomes"]["solved"] == np.sum(maps["cls"] >= 0)
    assert (folder / "basin.png").stat().st_size > 1000


@pytest.mark.parametrize("hidden", [(6, 6), (40,)])  # sums; matrices
def test_a_wide_net_s_start_equals_its_single_run_bit_for_bit(hidden):
    # Matrix layout: XLA sums a matrix product in another order for a batch of starts than for one, so the
    # engine trains such starts one at a time; the sweep must still replay as single runs exactly.
    spec = descent.Spec(steps=61, log_every=20)
    _, per, starts = sweep_of(5, [0.5], [1.0], spec=spec, hidden=hidden, chunk=4)
    for i in (0, 3, 4):
        _, trained = single(i, 0.5, 1.0, spec=spec, hidden=hidden)
        assert float(trained.final_loss) == starts.final_loss[i]
        assert int(descent.status(trained)) == starts.status[i]
