"""The lecture's derivatives (section 2): its numbers, three ways, and how the step h matters."""

import json
import logging
import math

import pytest
from conftest import run_dirs, run_here

from xorjax import run
from xorjax.lessons import differences

# key -> the lecture's answer at x = 2, y = 3 (xy by x is y, by y is x)
LECTURE = {
    "const": 0.0,
    "x": 1.0,
    "2x": 2.0,
    "x+x": 2.0,
    "x+3": 1.0,
    "xy/x": 3.0,
    "xy/y": 2.0,
    "x+y/x": 1.0,
    "x+y/y": 1.0,
}


@pytest.mark.parametrize("key", LECTURE)
@pytest.mark.floors
def test_the_lectures_examples_give_its_answers_three_ways(key):
    row = differences.compute(differences.BY_KEY[key], 2.0, 3.0)
    assert row["exact"] == LECTURE[key] and row["autodiff"] == LECTURE[key]
    # linear functions: the forward difference is exact up to round-off, even with the lecture's h = 0.01
    assert row["numerical"] == pytest.approx(LECTURE[key], abs=1e-12)
    assert row["central"] == pytest.approx(LECTURE[key], abs=1e-12)


def test_partial_derivatives_hold_the_other_variable_constant():
    for x, y in [(2.0, 3.0), (-1.5, 4.0), (0.0, -7.0)]:
        assert differences.compute(differences.BY_KEY["xy/x"], x, y)["autodiff"] == y
        assert differences.compute(differences.BY_KEY["xy/y"], x, y)["autodiff"] == x


@pytest.mark.parametrize("x", [-1.0, 0.0, 0.5, 2.0])
def test_composites_follow_the_chain_rule(x):
    s = 1 / (1 + math.exp(-(2 * x + 1)))
    row = differences.compute(differences.BY_KEY["sigmoid"], x, 0.0)
    assert row["autodiff"] == pytest.approx(2 * s * (1 - s), rel=1e-12)
    assert row["chain"]["df_dg"] * row["chain"]["dg_dx"] == pytest.approx(row["exact"], rel=1e-12)
    row = differences.compute(differences.BY_KEY["cube"], x, 0.0)
    assert row["exact"] == pytest.approx(6 * x * (x * x + 1) ** 2) and row["autodiff"] == pytest.approx(row["exact"])
    assert row["chain"] == {"df_dg": pytest.approx(3 * (x * x + 1) ** 2), "dg_dx": pytest.approx(2 * x)}


def test_forward_difference_error_is_order_h_central_order_h_squared():
    row = differences.compute(differences.BY_KEY["cube"], 2.0, 0.0, h=0.01)
    assert row["exact"] == 300.0
    # f'' = 630 at x = 2, so the forward difference is off by about h·f''/2 = 3.15; f''' = 1104: h²·f'''/6 = 0.0184
    assert row["numerical_error"] == pytest.approx(3.17, abs=0.01)
    assert row["central_error"] == pytest.approx(0.0184, abs=1e-4)
    assert row["autodiff_error"] == 0.0


def test_step_table_shows_truncation_shrinking_then_round_off_growing():
    rows = differences.step_table(differences.BY_KEY["cube"], 2.0, 0.0, decades=8)
    assert [r["h"] for r in rows] == [10.0**-k for k in range(1, 9)]
    forward = [r["forward_error"] for r in rows]
    central = [r["central_error"] for r in rows]
    float32 = [r["forward_float32_error"] for r in rows]
    # truncation: each tenfold smaller h gives a tenfold (forward) / hundredfold (central) smaller error ...
    assert all(0.08 < b / a < 0.12 for a, b in zip(forward[:5], forward[1:6]))
    assert all(0.008 < b / a < 0.012 for a, b in zip(central[:3], central[1:4]))
    # ... until round-off (eps/h) wins: the central error is smallest in the middle and grows after
    best = central.index(min(central))
    assert 3 <= best <= 6 and central[-1] > 100 * central[best]
    # in float32 round-off wins by h = 1e-4, and once x + h == x the slope is 0
    assert float32.index(min(float32)) <= 3 and rows[-1]["forward_float32"] == 0.0


def test_experiment_writes_the_table_and_the_json(tmp_path, caplog):
    with caplog.at_level(logging.INFO):  # the experiment in this process (its settings on the command line: below)
        run_here(tmp_path, "experiment=derivatives")
    assert "f(x) = (x² + 1)³" in caplog.text and "3g² · 2x" in caplog.text and "1e-08" in caplog.text
    result = json.loads((tmp_path / "derivatives.json").read_text())
    rows = result["rows"]
    assert len(rows) >= 9
    assert {"name", "x", "numerical", "central", "autodiff", "exact"} <= set(rows[0])
    by_key = {r["key"]: r for r in rows}
    for key, answer in LECTURE.items():
        assert by_key[key]["numerical"] == pytest.approx(answer, abs=1e-12)
    assert len(result["h_table"]["rows"]) == 8


@pytest.mark.slow
def test_point_step_and_table_are_settings(run_xorjax, tmp_path):
    r = run_xorjax(
        "experiment=derivatives",
        "derivatives.x=1",
        "derivatives.y=-2",
        "derivatives.h=0.001",
        "derivatives.table=sigmoid",
        "derivatives.decades=12",
    )
    assert r.returncode == 0, r.stderr
    (folder,) = run_dirs(tmp_path, "derivatives.json")
    result = json.loads((folder / "derivatives.json").read_text())
    by_key = {r["key"]: r for r in result["rows"]}
    assert by_key["xy/x"]["exact"] == -2.0 and by_key["xy/y"]["exact"] == 1.0 and by_key["x"]["h"] == 0.001
    assert result["h_table"]["key"] == "sigmoid" and len(result["h_table"]["rows"]) == 12


@pytest.mark.parametrize(
    "arg, line",
    [
        ("derivatives.h=-1", "derivatives.h=-1.0 is not allowed: must be a finite number > 0"),
        ("derivatives.x=nan", "derivatives.x=nan is not allowed: must be a finite number"),
        ("derivatives.y=abc", "derivatives.y=abc is not allowed: must be a number"),
        (
            "derivatives.table=tan",
            "derivatives.table=tan is not allowed: choose one of 2x, const, cube, sigmoid, x, "
            "x+3, x+x, x+y/x, x+y/y, xy/x, xy/y",
        ),
        ("derivatives.decades=20", "derivatives.decades=20 is not allowed: must be an integer in 1..15"),
    ],
)
def test_bad_settings_are_refused_in_one_line(arg, line):
    assert run.check_overrides(["experiment=derivatives", arg]) == line
