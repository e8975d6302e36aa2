"""TensorBoard events, read back with the real ``tensorboard`` package: what a run writes is what it learned."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import run_dirs
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from xorjax.core import descent
from xorjax.output import tensorboard

HISTOGRAMS = ["W1", "b1", "W2", "b2", "layer1", "yhat"]


def read(logdir) -> EventAccumulator:
    ea = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    ea.Reload()
    return ea


def hparams(ea) -> dict:
    info = plugin_data_pb2.HParamsPluginData.FromString(
        ea.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    ).session_start_info
    return {k: v.string_value or v.number_value for k, v in info.hparams.items()}


@pytest.mark.floors
def test_write_run_keeps_scalars_histograms_and_hparams(tmp_path):
    steps = [0, 10, 20]
    loss, acc = np.float32([0.7, 0.5, 0.1]), np.float32([0.5, 0.75, 1.0])
    weights = {
        "W1": np.arange(12, dtype=np.float32).reshape(3, 2, 2),
        "b1": np.ones((3, 2), np.float32),
        "W2": np.zeros((3, 2, 1), np.float32),
        "b2": np.full((3, 1), -1, np.float32),
    }
    layers = [np.full((3, 4, 2), 0.25, np.float32)]
    yhat = np.float32([[0.1, 0.9, 0.9, 0.1]] * 3)
    tensorboard.write_run(
        tmp_path,
        steps,
        loss,
        acc,
        weights=weights,
        layers=layers,
        yhat=yhat,
        hparams={"hidden": [2], "lr": 0.1, "optimizer": "sgd"},
        metrics={"final_cost": 0.1, "accuracy": 1.0, "solved_at": None},
    )
    ea = read(tmp_path)
    assert [(e.step, e.value) for e in ea.Scalars("cost")] == [(s, float(v)) for s, v in zip(steps, loss)]
    assert [e.value for e in ea.Scalars("accuracy")] == [0.5, 0.75, 1.0]
    assert sorted(ea.Tags()["histograms"]) == sorted(HISTOGRAMS)
    w1 = ea.Histograms("W1")
    assert [h.step for h in w1] == steps
    assert (w1[1].histogram_value.min, w1[1].histogram_value.max, w1[1].histogram_value.num) == (4, 7, 4)
    assert ea.Histograms("layer1")[0].histogram_value.num == 8  # 4 patterns x 2 hidden units
    assert hparams(ea) == {"hidden": "[2]", "lr": 0.1, "optimizer": "sgd"}
    # A metric that has no value (a run that never solved) is left out rather than written as NaN.
    assert ea.Scalars("hparam/final_cost")[0].value == pytest.approx(0.1)
    assert "hparam/solved_at" not in ea.Tags()["scalars"]


def test_events_are_written_without_importing_boto3_and_read_back(tmp_path):
    # tensorboardX imports boto3 whenever it is installed (s3:// folders, which xorjax never writes to): 0.2 s
    # of a run. Kept out, in a process of its own, where neither was imported before.
    pytest.importorskip("boto3")
    code = (
        "import sys, numpy as np\n"
        "from xorjax.output import tensorboard\n"
        f"tensorboard.write_run({str(tmp_path)!r}, [0, 10], np.float32([0.7, 0.1]), np.float32([0.5, 1.0]))\n"
        "print('boto3' in sys.modules)\n"
        "import boto3\n"  # still importable afterwards, for whoever needs it
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr
    assert [e.value for e in read(tmp_path).Scalars("cost")] == pytest.approx([0.7, 0.1])


@pytest.mark.floors
def test_a_diverged_step_writes_scalars_but_no_histogram(tmp_path):
    tensorboard.write_run(
        tmp_path,
        [0, 1],
        [0.7, float("nan")],
        [0.5, 0.5],
        weights={"W1": np.array([[[1.0]], [[np.inf]]]), "b1": np.zeros((2, 1))},
    )
    ea = read(tmp_path)
    assert np.isnan(ea.Scalars("cost")[1].value)
    assert [h.step for h in ea.Histograms("W1")] == [0]


@pytest.mark.slow
@pytest.mark.floors
def test_a_run_writes_events_equal_to_its_history_csv(run_xorjax, tmp_path):
    r = run_xorjax("steps=2001", "log_every=250", "seed=3")
    assert r.returncode == 0, r.stderr
    (run,) = run_dirs(tmp_path)
    ea = read(run)
    with open(run / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == descent.record_steps(2001, 250) == [e.step for e in ea.Scalars("cost")]
    # history.csv holds the float32 values exactly; TensorBoard stores float32 too.
    assert [np.float32(r["loss"]) for r in rows] == [np.float32(e.value) for e in ea.Scalars("cost")]
    assert [float(r["accuracy"]) for r in rows] == [e.value for e in ea.Scalars("accuracy")]
    assert sorted(ea.Tags()["histograms"]) == sorted(HISTOGRAMS)
    # The first histogram of W1 is the start that seed 3 draws.
    w1 = np.asarray(descent.init_starts([3], [2])["W1"])[..., 0]
    h = ea.Histograms("W1")[0]
    assert (h.step, h.histogram_value.num) == (0, 4)
    assert h.histogram_value.min == pytest.approx(w1.min()) and h.histogram_value.max == pytest.approx(w1.max())
    metrics = json.loads((run / "metrics.json").read_text())
    assert ea.Scalars("hparam/final_cost")[0].value == pytest.approx(metrics["final_loss"])
    assert hparams(ea)["seed"] == 3 and hparams(ea)["hidden"] == "[2]"
    # every setting a multirun can vary, and how the run ended
    assert {k: hparams(ea)[k] for k in ("experiment", "grad", "batch", "loss", "init", "init_scale", "status")} == {
        "experiment": "train",
        "grad": "auto",
        "batch": "full",
        "loss": "bce",
        "init": "normal",
        "init_scale": 1.0,
        "status": metrics["status"],
    }
    assert hparams(ea)["momentum"] == pytest.approx(0.9) and hparams(ea)["lr"] == pytest.approx(0.1)
    # the run's name in TensorBoard (its folder) says what differs
    assert run.name.endswith("_train_log_every-250_seed-3_steps-2001"), run.name
    # The pictures came with it, drawn by the painter's helper.
    for name in ("history", "decision_surface", "hidden_space", "weights"):
        assert (run / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
