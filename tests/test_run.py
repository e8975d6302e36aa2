"""End to end: ``python -m xorjax.run`` in a subprocess, from a folder that is not the repository."""

import json
import logging
import shutil
import subprocess

import numpy as np
import pytest
from conftest import ANOTHER_ANSWER, MULTIRUN_OF_RUNS, run_dirs, run_here

pytestmark = pytest.mark.slow


def metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def test_default_run_learns_xor_and_leaves_its_files(shared_run):
    r, root = shared_run()  # the default run, which the next tests use too
    assert r.returncode == 0, r.stderr
    assert "x1  x2" in r.stdout and "status solved" in r.stdout and "Traceback" not in r.stderr
    (folder,) = run_dirs(root)
    m = metrics(folder)
    assert m["status"] == "solved" and m["accuracy"] == 1.0
    assert (m["steps"], m["seed"], m["hidden"]) == (10001, 0, [2])
    yhat = np.array(m["predictions"])
    assert yhat.shape == (4,) and np.all((yhat > 0.5) == [0, 1, 1, 0])
    assert 0 < m["final_loss"] < 0.05
    w = json.loads((folder / "weights.json").read_text())
    assert list(w) == ["W1", "b1", "W2", "b2"] and np.shape(w["W1"]) == (2, 2) and np.shape(w["W2"]) == (2, 1)
    lines = (folder / "history.csv").read_text().splitlines()
    assert lines[0] == "step,loss,accuracy" and len(lines) == 12 and lines[-1].startswith("10000,")
    assert (folder / ".hydra" / "config.yaml").is_file()


def test_same_config_and_seed_give_identical_files(run_xorjax, tmp_path):
    # the settings of the multirun's jobs below but the seed: their compiled program is shared through the cache
    settings = ("seed=3", "model.hidden=[3]", "steps=500", "logger.plots=false", "logger.tensorboard=false")
    for _ in range(2):
        assert run_xorjax(*settings).returncode == 0
    a, b = run_dirs(tmp_path)
    assert a != b
    for name in ("metrics.json", "weights.json", "history.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_learned_weights_load_back_into_handcrafted_and_train(run_xorjax, tmp_path, shared_run):
    r, root = shared_run()  # the default run: 10,001 steps from seed 0
    assert r.returncode == 0, r.stderr
    (trained,) = run_dirs(root)
    weights = trained / "weights.json"
    quiet = ("logger.plots=false", "logger.tensorboard=false")  # the test reads the numbers only
    r = run_xorjax("experiment=handcrafted", "init=file", f"init.path={weights}", *quiet)
    assert r.returncode == 0, r.stderr
    (loaded,) = run_dirs(tmp_path)
    np.testing.assert_allclose(metrics(loaded)["predictions"], metrics(trained)["predictions"], rtol=1e-6)
    # and continue training from them (in this process)
    assert run_here(tmp_path / "more", "init=file", f"init.path={weights}", "steps=10", *quiet)["steps"] == 10


def test_handcrafted_shows_the_lecture_and_checks_another_answer(run_xorjax, tmp_path, shared_run, caplog):
    r, root = shared_run("experiment=handcrafted")  # test_plots reads its pictures
    assert r.returncode == 0, r.stderr
    assert "These weights compute XOR." in r.stdout and "-8.0000" in r.stdout  # z1 for (0,0)
    (lecture,) = run_dirs(root)
    np.testing.assert_allclose(metrics(lecture)["predictions"], [0.0112, 0.9949, 0.9949, 0.0244], atol=5e-4)
    # Another w and b: OR and NAND into AND (W1=[[20,-20],[20,-20]] b1=[-10,30] W2=[[20],[20]] b2=[-30]; the
    # run test_playground opens in the browser).
    r, _ = shared_run(*ANOTHER_ANSWER)
    assert r.returncode == 0 and "These weights compute XOR." in r.stdout
    quiet = ("logger.plots=false", "logger.tensorboard=false")  # the answer is on the console
    with caplog.at_level(logging.INFO):  # the experiment itself, in this process
        run_here(tmp_path / "b2", "experiment=handcrafted", "handcrafted.b2=[60]", *quiet)
    assert "do not compute XOR" in caplog.text
    r = run_xorjax("experiment=handcrafted", "handcrafted.W1=[[1,2,3],[1,2,3]]")
    assert r.returncode == 2 and "handcrafted.W1" in r.stderr


def test_logistic_regression_fails_and_says_why(run_xorjax, tmp_path):
    r = run_xorjax("experiment=logistic", "logger.plots=false", "logger.tensorboard=false")
    assert r.returncode == 0, r.stderr
    assert "no line separates them" in r.stdout
    (folder,) = run_dirs(tmp_path)
    assert metrics(folder)["accuracy"] <= 0.75 and metrics(folder)["hidden"] == []


def test_multirun_sweeps_seeds_and_shapes(shared_run):
    r, root = shared_run(*MULTIRUN_OF_RUNS)  # -m seed=0,1 model.hidden=[2],[3] steps=500 (test_summary reads it too)
    assert r.returncode == 0, r.stderr
    runs = run_dirs(root)
    assert len(runs) == 4 and all("multirun" in str(d) for d in runs)
    assert sorted((metrics(d)["seed"], metrics(d)["hidden"][0]) for d in runs) == [(0, 2), (0, 3), (1, 2), (1, 3)]


def test_bad_input_is_one_line_and_touches_no_earlier_run(run_xorjax, tmp_path, shared_run):
    r, root = shared_run()  # an earlier run (the default one), copied here
    assert r.returncode == 0, r.stderr
    shutil.copytree(root / "outputs", tmp_path / "outputs")
    assert run_dirs(tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "outputs").rglob("*") if p.is_file()}
    for args in (["optimizer=nope"], ["optimizer.lr=-1"], ["stpes=3"], ["init=file", "init.path=missing.json"]):
        r = run_xorjax(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("xorjax: ") and "Traceback" not in r.stderr
        if args == ["optimizer.lr=-1"]:  # a value: refused from the config Hydra composes, before any folder
            assert r.stderr.startswith("xorjax: optimizer.lr=-1.0 is not allowed: must be a finite number > 0")
    after = {p: p.read_bytes() for p in (tmp_path / "outputs").rglob("*") if p.is_file()}
    assert after == before


def test_a_diverging_run_finishes_with_status_diverged(run_xorjax, tmp_path):
    r = run_xorjax("optimizer.lr=1000", "steps=500", "logger.plots=false", "logger.tensorboard=false")
    assert r.returncode == 0, r.stderr
    assert metrics(run_dirs(tmp_path)[0])["status"] == "diverged"


def test_two_runs_started_together_get_their_own_folders(tmp_path, jax_cache):
    import os
    import sys

    # The settings of job seed=0 model.hidden=[2] of the multirun above, whose compiled program the second run loads
    # from the cache; the first compiles its own (cache=false: a run that neither reads nor writes the cache).
    env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=str(jax_cache))
    quiet = ("steps=500", "logger.plots=false", "logger.tensorboard=false")
    assert set(quiet) <= set(MULTIRUN_OF_RUNS)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "xorjax.run", *quiet, *extra],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for extra in (["cache=false"], [])
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert len(run_dirs(tmp_path)) == 2
