"""experiment=landscape end to end: the files the issue names, every stuck start analysed and replayable, the
escapes deterministic, the chosen seeds honoured, bad settings refused in one line."""

import json

import numpy as np
import pytest
from conftest import run_dirs, run_here
from PIL import Image

from xorjax import run
from xorjax.core import curvature, descent

SMALL = ("experiment=landscape", "sweep.seeds=40", "steps=1001", "log_every=100", "landscape.more_steps=2000")
QUIET = ("logger.tensorboard=false", "logger.progress=false")
ENTRY = {
    "seed",
    "status",
    "kind",
    "cost",
    "grad_norm",
    "eigenvalues",
    "weight_norm",
    "weight_growth",
    "escaped_longer",
    "escape_longer_step",
    "escaped_kick",
    "escape_kick_step",
    "weights",
}


def landscape_of(folder):
    return json.loads((folder / "landscape.json").read_text())


def without_timing(result):
    return {k: v for k, v in result.items() if k != "timing"}


@pytest.mark.slow
def test_landscape_analyses_every_stuck_start_and_repeats_bit_for_bit(run_xorjax, tmp_path):
    r = run_xorjax(*SMALL, *QUIET, "logger.plots=false")  # the next test looks at its picture
    assert r.returncode == 0, r.stderr
    (folder,) = run_dirs(tmp_path, "landscape.json")
    result = landscape_of(folder)
    outcomes = result["settings"]["outcomes"]
    starts = result["starts"]
    assert len(starts) == sum(outcomes.values()) - outcomes["solved"] > 0  # every unsolved start, none else
    assert all(s["status"] != "solved" for s in starts)
    for s in starts:
        assert ENTRY <= set(s)
        assert s["kind"] in curvature.KINDS and s["status"] in descent.STATUSES
        assert len(s["eigenvalues"]) == 9 and s["eigenvalues"] == sorted(s["eigenvalues"])
        assert s["negative"] + s["zero"] + s["positive"] == 9
        assert (s["escape_longer_step"] is not None) == s["escaped_longer"]
        assert (s["escape_kick_step"] is not None) == s["escaped_kick"]
        assert s["kind"] != "minimum", s["seed"]  # XOR's 2-2-1 net has no local minimum at finite weights
    counted = {}
    for s in starts:
        counted.setdefault(s["status"], {k: 0 for k in curvature.KINDS})[s["kind"]] += 1
    assert result["counts"] == counted
    md = (folder / "landscape.md").read_text()
    assert "status x kind" in md and "## Escapes" in md and "is a local minimum" in md
    assert "Traceback" not in r.stderr and "None of the" in r.stdout

    # An entry's weights are where its start's own run ends: the run seed=<its seed>, bit for bit (run in this
    # process; test_sweep replays a sweep's start by the command line).
    s = starts[0]
    run_dir = tmp_path / "single"
    run_here(run_dir, f"seed={s['seed']}", "steps=1001", "log_every=100", *QUIET, "logger.plots=false")
    assert json.loads((run_dir / "weights.json").read_text()) == s["weights"]
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == s["status"]

    # The same command again: the same numbers, escapes included.
    again = run_xorjax(*SMALL, *QUIET, "logger.plots=false")
    assert again.returncode == 0, again.stderr
    second = [d for d in run_dirs(tmp_path, "landscape.json") if d != folder]
    assert without_timing(landscape_of(second[0])) == without_timing(result)


@pytest.mark.slow
def test_chosen_seeds_are_analysed_whatever_their_outcome_and_pictured(run_xorjax, tmp_path):
    r = run_xorjax(*SMALL, "landscape.seeds=[4,5,8]", "landscape.span=2", *QUIET)
    assert r.returncode == 0, r.stderr
    (folder,) = run_dirs(tmp_path, "landscape.json")
    result = landscape_of(folder)
    assert [s["seed"] for s in result["starts"]] == [4, 5, 8]
    assert sum(result["settings"]["outcomes"].values()) == 3
    with Image.open(folder / "landscape.png") as im:  # one row per status among the three, two panels each
        assert im.width > 1000 and im.height > 400
    np.testing.assert_array_equal(
        [s["weight_norm"] for s in result["starts"]],
        [np.sqrt(sum(np.sum(np.square(v)) for v in s["weights"].values())) for s in result["starts"]],
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (("landscape.kick=0",), "landscape.kick=0.0 is not allowed: must be a finite number > 0"),
        (("landscape.seeds=[]",), "landscape.seeds=[] is not allowed"),
        (("landscape.max_starts=0",), "landscape.max_starts=0 is not allowed"),
        (("landscape.more_steps=0",), "landscape.more_steps=0 is not allowed"),
        (("init=file", "init.path=x.json"), "init=file is not allowed with a sweep"),
        (("precision=float16",), "precision=float16 is not allowed: choose one of float32, float64"),
    ],
)
def test_bad_landscape_settings_are_one_line(args, message):
    problem = run.check_overrides(["experiment=landscape", *args])
    assert problem is not None and problem.startswith(message) and "\n" not in problem


def test_landscape_settings_belong_to_the_landscape():
    assert run.check_overrides(["landscape.kick=2"]) == (
        "landscape.kick is not read by experiment=train: it is a setting of experiment=landscape"
    )
