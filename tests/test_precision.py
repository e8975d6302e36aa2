"""precision=float32|float64: the same starts either way, training in the chosen float type, start i of a
float64 sweep equal to its float64 single run, recorded in every result file, bit-for-bit reproducible."""

import json

import jax
import numpy as np
import pytest
from conftest import MULTIRUN_OF_RUNS, run_dirs

from xorjax.core import data, descent, engine

SPEC = descent.Spec(steps=301, log_every=100)


def metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def test_the_starts_are_the_same_in_both_precisions():
    with jax.enable_x64(True):
        p32 = descent.init_starts(np.arange(5), (2,), "normal", 1.0, "float32")
        p64 = descent.init_starts(np.arange(5), (2,), "normal", 1.0, "float64")
    for k in p32:
        assert p32[k].dtype == np.float32 and p64[k].dtype == np.float64
        np.testing.assert_array_equal(np.asarray(p32[k], np.float64), np.asarray(p64[k]))


def test_a_float64_sweeps_start_is_its_float64_single_run_bit_for_bit():
    lrs = np.array([0.5, 0.5, 2.0, 2.0])
    seeds = np.array([3, 4, 3, 4])
    with jax.enable_x64(True):
        starts = engine.run_starts(
            {"seed": seeds, "scale": np.ones(4)},
            lrs,
            engine.sweep_init((2,), "normal", "float64"),
            (2,),
            SPEC,
            finals=True,
        )
        for i in range(4):
            params = {k: v[..., 0] for k, v in descent.init_starts([seeds[i]], (2,), "normal", 1.0, "float64").items()}
            final, trained = descent.train_one(params, float(lrs[i]), data.X, data.Y, SPEC)
            assert trained.final_loss.dtype == np.float64
            assert np.float32(trained.final_loss) == starts.final_loss[i]  # the engine keeps costs in float32
            for k, v in final.items():
                np.testing.assert_array_equal(np.asarray(v), starts.final[k][..., i])
    # ... and the same start trained in float32 ends elsewhere, if only in the last bits
    f32 = engine.run_starts(
        {"seed": seeds, "scale": np.ones(4)},
        lrs,
        engine.sweep_init((2,), "normal"),
        (2,),
        SPEC,
        finals=True,
    )
    assert not np.array_equal(f32.final["W1"], starts.final["W1"])
    np.testing.assert_allclose(f32.final["W1"], starts.final["W1"], atol=1e-3)


@pytest.mark.slow
def test_a_float64_run_says_so_and_repeats_bit_for_bit(run_xorjax, tmp_path, shared_run):
    common = ("steps=500", "logger.plots=false", "logger.tensorboard=false")
    for _ in range(2):
        r = run_xorjax("precision=float64", *common)
        assert r.returncode == 0, r.stderr
        assert "| float64" in r.stdout
    a, b = run_dirs(tmp_path)
    # the same run in float32: the job seed=0 model.hidden=[2] of a multirun with the same settings otherwise
    r, root = shared_run(*MULTIRUN_OF_RUNS)  # -m seed=0,1 model.hidden=[2],[3] *common (test_run reads it too)
    assert r.returncode == 0, r.stderr
    assert set(common) <= set(MULTIRUN_OF_RUNS)
    (c,) = [d for d in run_dirs(root) if (metrics(d)["seed"], metrics(d)["hidden"]) == (0, [2])]
    ma, mb, mc = (metrics(d) for d in (a, b, c))
    assert ma["precision"] == "float64" and mc["precision"] == "float32"
    assert (ma["seed"], ma["hidden"], ma["steps"]) == (mc["seed"], mc["hidden"], mc["steps"])
    assert (a / "weights.json").read_bytes() == (b / "weights.json").read_bytes()
    assert ma["final_loss"] == mb["final_loss"] != mc["final_loss"]
    # float64 keeps digits float32 cannot hold
    w = json.loads((a / "weights.json").read_text())["W1"][0][0]
    assert float(np.float32(w)) != w
    # ... and a float64 sweep records it in atlas.json
    r = run_xorjax("experiment=sweep", "precision=float64", "sweep.seeds=8", *common)
    assert r.returncode == 0, r.stderr
    (sweep_dir,) = run_dirs(tmp_path, "atlas.json")
    assert json.loads((sweep_dir / "atlas.json").read_text())["precision"] == "float64"
