"""Wide and deep nets (lab 9-3) through the command line: the console stays readable, the files keep every value."""

import json

import numpy as np
import pytest
from conftest import run_dirs

from xorjax.output import tables


@pytest.mark.slow
def test_a_wide_deep_run_summarises_its_console_and_keeps_every_value_in_its_files(run_xorjax, tmp_path):
    r = run_xorjax("model.hidden=[10,10,10]", "steps=201", "logger.plots=false", "logger.tensorboard=false")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    shown = [l for l in lines if not l.startswith("wrote ")]  # a folder's path is as long as it is
    assert max(map(len, shown)) <= 120, max(shown, key=len)
    # The truth table: the first units of each layer, then a "…" column; the line under it says what is left out.
    header = next(l for l in lines if l.lstrip().startswith("x1  x2"))
    assert header.split() == [
        "x1",
        "x2",
        "h1_1",
        "h1_2",
        "h1_3",
        "…",
        "h2_1",
        "h2_2",
        "h2_3",
        "…",
        "h3_1",
        "h3_2",
        "h3_3",
        "…",
        "yhat",
        "pred",
        "XOR",
    ]
    assert "… units left out (7 of 10 in each hidden layer); every weight is in weights.json" in lines
    # The weights: one line per array, and where every value is.
    assert "weights, summarised (every value is in weights.json):" in lines
    rows = {
        l.split()[0]: l for l in lines if l.split() and l.split()[0] in ("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4")
    }
    assert list(rows) == ["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
    assert "10 x 10" in rows["W2"] and "2 x 10" in rows["W1"] and "10 x 1" in rows["W4"]
    assert not any(l.startswith("W2 = ") for l in lines)  # no dump of a 10 x 10 matrix

    (folder,) = run_dirs(tmp_path)
    m = json.loads((folder / "metrics.json").read_text())
    assert m["hidden"] == [10, 10, 10] and m["steps"] == 201 and np.shape(m["predictions"]) == (4,)
    w = json.loads((folder / "weights.json").read_text())
    assert list(w) == ["W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"]
    assert {k: np.shape(v) for k, v in w.items()} == {
        "W1": (2, 10),
        "b1": (10,),
        "W2": (10, 10),
        "b2": (10,),
        "W3": (10, 10),
        "b3": (10,),
        "W4": (10, 1),
        "b4": (1,),
    }
    # The summary's numbers are those of weights.json.
    W2 = np.asarray(w["W2"])
    assert f"{W2.min():.4f}" in rows["W2"] and f"{W2.max():.4f}" in rows["W2"]
    assert not list(folder.glob("*.png")) and not list(folder.glob("events.out.tfevents.*"))


def test_the_lectures_net_is_shown_in_full():
    params = {
        "W1": np.array([[5.0, -7.0], [5.0, -7.0]], np.float32),
        "b1": np.array([-8.0, 3.0], np.float32),
        "W2": np.array([[-11.0], [-11.0]], np.float32),
        "b2": np.array([6.0], np.float32),
    }
    # Every array in full, its rows aligned under the first, every value of every array one width.
    assert tables.weights(params).splitlines() == [
        "W1 = [[  5.0000,  -7.0000],",
        "      [  5.0000,  -7.0000]]",
        "b1 = [ -8.0000,   3.0000]",
        "W2 = [[-11.0000],",
        "      [-11.0000]]",
        "b2 = [  6.0000]",
    ]
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    hidden = [np.full((4, 2), 0.25)]
    table = tables.truth_table(X, hidden, np.full(4, 0.75), np.array([0, 1, 1, 0]))
    assert table.splitlines()[0] == "x1  x2      y1      y2    yhat  pred  XOR" and "…" not in table


@pytest.mark.parametrize("hidden", [[100], [4, 100], [10] * 8])
def test_wide_layers_are_cut_to_a_few_units_and_stay_narrow(hidden):
    rng = np.random.default_rng(0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    H = [rng.random((4, w)) for w in hidden]
    text = tables.truth_table(X, H, rng.random(4), np.array([0, 1, 1, 0]))
    assert max(len(l) for l in text.splitlines()) <= 120 and "every weight is in weights.json" in text
    sizes = [2, *hidden, 1]
    params = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"], params[f"b{l}"] = rng.normal(size=(a, b)), rng.normal(size=b)
    text = tables.weights(params)
    assert max(len(l) for l in text.splitlines()) <= 120 and "every value is in weights.json" in text
    assert len(text.splitlines()) == 3 + len(params)


@pytest.mark.parametrize("hidden", [[2], [10, 10, 10]])
def test_a_runs_start_is_the_sweeps_start_bit_for_bit(hidden):
    from omegaconf import OmegaConf

    from xorjax.config import Config
    from xorjax.core import descent
    from xorjax.experiments import train as experiment

    for init, scale, seed in (("normal", 1.0, 0), ("normal", 0.3, 7), ("uniform", 0.5, 12345)):
        cfg = OmegaConf.to_object(
            OmegaConf.merge(
                OmegaConf.structured(Config),
                {"seed": seed, "model": {"hidden": hidden}, "init": {"name": init, "stddev": scale, "limit": scale}},
            )
        )
        one = experiment.initial_params(cfg)
        sweep = descent.init_starts([seed], hidden, init, scale)
        assert {k: np.asarray(v).tobytes() for k, v in one.items()} == {
            k: np.asarray(v)[..., 0].tobytes() for k, v in sweep.items()
        }
