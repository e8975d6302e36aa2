"""What the console says is true: the rule that fired, what a status means, which median is which, enough
digits to see a prediction, readable costs and weights, and how much of a table is shown."""

import logging
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import start

from xorjax.config import Config, InitConfig, LoggerConfig, OptimizerConfig, SweepConfig
from xorjax.core import data, descent
from xorjax.experiments import handcrafted, rhw1986, sweep, train
from xorjax.experiments.sweep import report
from xorjax.output import tables

SWEEPS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "sweeps.md"  # the statuses' table
QUIET = LoggerConfig(tensorboard=False, plots=False, progress=False)


def console(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def train_run(tmp_path, caplog, **changes) -> str:
    """A train run in this process (no pictures, no events); returns what it printed."""
    with caplog.at_level(logging.INFO):
        train.train_and_report(Config(logger=QUIET, **changes), tmp_path)
    return console(caplog)


# --- 1. diverged names the rule that fired ---------------------------------------------------------------


def test_a_huge_learning_rate_names_the_ten_times_rule_not_nan(tmp_path, caplog):
    text = train_run(tmp_path, caplog, optimizer=OptimizerConfig(lr=1e6), steps=2001, log_every=500)
    line = next(l for l in text.splitlines() if l.startswith("diverged: "))
    assert "the final cost" in line and "more than 10 times the first cost 0.714294" in line
    assert "every cost and weight is finite" in line and "at step 500" in line
    assert "NaN" not in text and "status diverged" in text


def test_a_nan_names_the_nan_rule_and_its_step():
    params = start(0, [2])
    params["b2"][0] = np.nan
    final, trained = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec(steps=20, log_every=10))
    assert descent.why_diverged(trained, final, 10) == "the cost became NaN or infinite (first recorded at step 0)"


def test_a_weight_that_is_not_finite_is_named():
    params = start(0, [2])
    _, trained = descent.train_one(params, 0.1, data.X, data.Y, descent.Spec(steps=20, log_every=10))
    final = dict(params, W1=np.full((2, 2), np.inf, np.float32))
    assert descent.why_diverged(trained, final, 10).startswith("W1 became NaN or infinite")


# --- 2. every status says what it means, in one place ----------------------------------------------------


def test_every_status_has_one_line_that_says_what_it_means():
    assert list(descent.STATUS_MEANING) == list(descent.STATUSES)
    assert all("\n" not in m for m in descent.STATUS_MEANING.values())
    assert "two stuck at ŷ≈0.5" in descent.STATUS_MEANING["two-stuck"]
    assert "more steps" in descent.STATUS_MEANING["slow"]


def test_the_docs_table_quotes_the_meanings_word_for_word():
    rows = dict(re.findall(r"^\| ([a-z-]+) \| (.+) \|$", SWEEPS_PAGE.read_text(), flags=re.M))
    for status, meaning in descent.STATUS_MEANING.items():
        assert rows[status].replace("\\|", "|") == meaning, status


def test_a_two_stuck_run_says_what_two_stuck_means(tmp_path, caplog):
    text = train_run(tmp_path, caplog, optimizer=OptimizerConfig(name="adam", lr=0.01))  # seed 0: two-stuck
    assert "status two-stuck" in text
    assert f"two-stuck: {descent.STATUS_MEANING['two-stuck']}" in text.splitlines()


def test_atlas_md_explains_every_outcome():
    atlas = {
        "settings": "s",
        "statuses": list(descent.STATUSES),
        "configs": [],
        "timing": {"starts": 0, "steps": 1, "seconds": 1.0, "devices": 1, "net_steps_per_s": 0.0},
    }
    md = report.markdown(atlas)
    for status, meaning in descent.STATUS_MEANING.items():
        assert f"- **{status}**: {meaning}" in md


# --- 3. rhw1986's two medians, each named -----------------------------------------------------------------


def test_rhw1986_names_both_medians(tmp_path, caplog):
    cfg = Config(
        logger=QUIET,
        loss="sse",
        batch="online",
        steps=3000,
        init=InitConfig(name="uniform"),
        optimizer=OptimizerConfig(lr=0.5),
        sweep=SweepConfig(seeds=16, stop_sse=0.01),
    )
    with caplog.at_level(logging.INFO):
        atlas = rhw1986.run(cfg, tmp_path)
    c = atlas["configs"][0]
    assert c["outcomes"]["solved"] > 0
    text = console(caplog)
    assert (
        f"median epochs until the sum of squared errors fell below 0.01 (the goal): {c['median_stop_step']:.0f}; "
        f"median first epoch with accuracy 1.0 (the table's '{report.MEDIAN_STEPS}'): {c['median_steps']:.0f}"
    ) in text
    assert any(l.startswith("hidden ") and report.MEDIAN_STEPS in l for l in text.splitlines())  # the table's column


# --- 5. yhat: enough digits to see its side of 0.5 --------------------------------------------------------


@pytest.mark.parametrize(
    "v, text",
    [
        (np.float32(0.49999997), "0.49999997"),
        (np.float32(0.50000006), "0.5000001"),
        (0.5, "0.5000"),
        (0.499951, "0.49995"),
        (0.9846, "0.9846"),
    ],
)
def test_a_yhat_that_would_print_as_0_5000_shows_its_side_of_one_half(v, text):
    assert tables.yhat_str(v) == text
    shown = float(tables.yhat_str(v))
    assert (shown > 0.5) == (float(v) > 0.5) and (shown == 0.5) == (float(v) == 0.5)


def test_two_outputs_with_different_predictions_never_print_alike():
    yhat = np.array([0.0, np.float32(0.49999997), 1.0, np.float32(0.50000006)], np.float32)
    rows = tables.truth_table(data.X, [], yhat, data.Y).splitlines()[2:]
    (_, _, low, p_low, _), (_, _, high, p_high, _) = rows[1].split(), rows[3].split()
    assert (p_low, p_high) == ("0", "1") and low != high and float(low) < 0.5 < float(high)


# --- 6. costs, weights, where it wrote ------------------------------------------------------------------


def test_costs_are_printed_with_six_significant_digits(tmp_path, caplog):
    # steps and log_every of the first test: its compiled program; a history of 5 rows (0, 500, ..., 2000)
    text = train_run(tmp_path, caplog, steps=2001, log_every=500)
    final = re.search(r"^accuracy \S+  cost (\S+)  status", text, flags=re.M).group(1)
    assert len(re.sub(r"[^0-9]", "", final).lstrip("0")) <= 6
    history = [l.split()[1] for l in text.splitlines() if re.match(r"^ *\d+ +\S+ +\d\.\d{4}$", l)]
    assert len(history) == 5 and all(len(re.sub(r"[^0-9]", "", c).lstrip("0")) <= 6 for c in history)


def test_weights_line_up_in_columns_across_arrays():
    params = {
        "W1": np.array([[5.7157, -7.3957], [-14.518, -15.2949]]),
        "b1": np.array([-3.7483, 2.0107]),
        "W2": np.array([[12.5138], [-13.4741]]),
        "b2": np.array([-0.0]),
    }
    lines = tables.weights(params).splitlines()
    assert lines == [
        "W1 = [[  5.7157,  -7.3957],",
        "      [-14.5180, -15.2949]]",
        "b1 = [ -3.7483,   2.0107]",
        "W2 = [[ 12.5138],",
        "      [-13.4741]]",
        "b2 = [  0.0000]",
    ]


def test_handcrafted_says_where_it_wrote(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        handcrafted.run(Config(logger=QUIET), tmp_path)
    assert f"wrote {tmp_path}" in console(caplog)


# --- 8. a cut table says how much it shows ---------------------------------------------------------------


def test_tables_say_how_much_they_show():
    assert (
        tables.more(8, 26, "classes", "atlas.json (key configs[0].classes)")
        == "8 of 26 classes shown; the rest are in atlas.json (key configs[0].classes)"
    )
    assert tables.more(2, 2, "classes", "atlas.json") == ""


def test_the_sweeps_class_table_says_how_many_classes_it_shows(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(report, "CLASSES_SHOWN", 1)
    cfg = Config(logger=QUIET, steps=2001, log_every=500, sweep=SweepConfig(seeds=64))
    with caplog.at_level(logging.INFO):
        atlas = sweep.run(cfg, tmp_path)
    n = len(atlas["configs"][0]["classes"])
    assert n >= 2
    assert f"1 of {n} classes shown; the rest are in atlas.md and atlas.json (key configs[0].classes)" in console(
        caplog
    )
