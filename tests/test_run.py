"""End to end: ``python -m xorjax.run`` in a subprocess, from a folder that is not the repository."""

import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import run_dirs

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
    for _ in range(2):
        assert (
            run_xorjax(
                "seed=3", "model.hidden=[3]", "steps=2000", "logger.plots=false", "logger.tensorboard=false"
            ).returncode
            == 0
        )
    a, b = run_dirs(tmp_path)
    assert a != b
    for name in ("metrics.json", "weights.json", "history.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_learned_weights_load_back_into_handcrafted_and_train(run_xorjax, tmp_path, shared_run):
    r, root = shared_run()  # the default run: 10,001 steps from seed 0
    assert r.returncode == 0, r.stderr
    (trained,) = run_dirs(root)
    weights = trained / "weights.json"
    r = run_xorjax("experiment=handcrafted", "init=file", f"init.path={weights}")
    assert r.returncode == 0, r.stderr
    (loaded,) = run_dirs(tmp_path)
    np.testing.assert_allclose(metrics(loaded)["predictions"], metrics(trained)["predictions"], rtol=1e-6)
    # and continue training from them
    r = run_xorjax("init=file", f"init.path={weights}", "steps=10", "logger.plots=false", "logger.tensorboard=false")
    assert r.returncode == 0, r.stderr


def test_handcrafted_shows_the_lecture_and_checks_another_answer(run_xorjax, tmp_path, shared_run):
    r, root = shared_run("experiment=handcrafted")  # test_plots reads its pictures
    assert r.returncode == 0, r.stderr
    assert "These weights compute XOR." in r.stdout and "-8.0000" in r.stdout  # z1 for (0,0)
    (lecture,) = run_dirs(root)
    np.testing.assert_allclose(metrics(lecture)["predictions"], [0.0112, 0.9949, 0.9949, 0.0244], atol=5e-4)
    # Another w and b: OR and NAND into AND.
    quiet = ("logger.plots=false", "logger.tensorboard=false")  # the answer is on the console
    r = run_xorjax(
        "experiment=handcrafted",
        "handcrafted.W1=[[20,-20],[20,-20]]",
        "handcrafted.b1=[-10,30]",
        "handcrafted.W2=[[20],[20]]",
        "handcrafted.b2=[-30]",
        *quiet,
    )
    assert r.returncode == 0 and "These weights compute XOR." in r.stdout
    r = run_xorjax("experiment=handcrafted", "handcrafted.b2=[60]", *quiet)
    assert r.returncode == 0 and "do not compute XOR" in r.stdout
    r = run_xorjax("experiment=handcrafted", "handcrafted.W1=[[1,2,3],[1,2,3]]")
    assert r.returncode == 2 and "handcrafted.W1" in r.stderr


def test_logistic_regression_fails_and_says_why(run_xorjax, tmp_path):
    r = run_xorjax("experiment=logistic")
    assert r.returncode == 0, r.stderr
    assert "no line separates them" in r.stdout
    (folder,) = run_dirs(tmp_path)
    assert metrics(folder)["accuracy"] <= 0.75 and metrics(folder)["hidden"] == []


def test_multirun_sweeps_seeds_and_shapes(run_xorjax, tmp_path):
    r = run_xorjax(
        "-m", "seed=0,1", "model.hidden=[2],[3]", "steps=500", "logger.plots=false", "logger.tensorboard=false"
    )
    assert r.returncode == 0, r.stderr
    runs = run_dirs(tmp_path)
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
    after = {p: p.read_bytes() for p in (tmp_path / "outputs").rglob("*") if p.is_file()}
    assert after == before


def test_a_diverging_run_finishes_with_status_diverged(run_xorjax, tmp_path):
    r = run_xorjax("optimizer.lr=1000")
    assert r.returncode == 0, r.stderr
    assert metrics(run_dirs(tmp_path)[0])["status"] == "diverged"


def test_two_runs_started_together_get_their_own_folders(run_xorjax, tmp_path):
    import os
    import sys

    env = dict(os.environ, JAX_PLATFORMS="cpu")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "xorjax.run", "steps=5", "cache=false", "logger.plots=false"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert len(run_dirs(tmp_path)) == 2
