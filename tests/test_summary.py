"""The summary of a multirun of sweeps: from the jobs that finished, by the callback or by the command."""

import csv
import json
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from xorjax import callbacks, summary


def atlas(hidden, lrs, solved=(10, 30)):
    return {"settings": "net", "statuses": list(summary.STATUSES), "configs": [
        {"hidden": hidden, "lr": lr, "init_scale": 1.0, "seeds": 40, "success_rate": k / 40, "ci95": [0.1, 0.9],
         "median_steps": 123.0, "outcomes": {"solved": k, "two-stuck": 40 - k},
         "classes": [{"class": "AND + OR -> h2 AND NOT h1", "count": k, "share": 1.0, "families": 2}],
         "families": []} for lr, k in zip(lrs, solved)]}


@pytest.fixture
def sweep_dir(tmp_path):
    """Three jobs: two finished (hidden [1] and [2]), one that failed before writing its atlas."""
    for job, hidden in ((0, [1]), (1, [2]), (2, [3])):
        folder = tmp_path / str(job)
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text(
            f"- experiment=sweep\n- model.hidden=[{hidden[0]}]\n- sweep.lrs=[0.1,1.0]\n")
        if job < 2:
            (folder / "atlas.json").write_text(json.dumps(atlas(hidden, [0.1, 1.0])))
    return tmp_path


def test_summary_has_one_row_per_finished_setting_and_names_the_missing_job(sweep_dir):
    rows = summary.build(sweep_dir)
    assert [(r["job"], r["hidden"], r["lr"]) for r in rows] == [("0", [1], 0.1), ("0", [1], 1.0), ("1", [2], 0.1),
                                                                ("1", [2], 1.0)]
    with open(sweep_dir / "summary.csv") as f:
        table = list(csv.DictReader(f))
    assert [(t["hidden"], t["lr"], t["success_rate"], t["solved"]) for t in table][1] == ("1", "1.0", "0.75", "30")
    md = (sweep_dir / "summary.md").read_text()
    assert "| 1 | [2] | 1 | 1 | 40 | 75.0% |" in md and "failed, killed or still running): 2" in md
    assert (sweep_dir / "summary.png").stat().st_size > 1000
    assert not list(sweep_dir.glob("*.tmp*"))


def test_a_folder_without_sweeps_gets_no_summary(tmp_path):
    (tmp_path / "0" / ".hydra").mkdir(parents=True)
    assert summary.build(tmp_path) == [] and not (tmp_path / "summary.md").exists()


def test_the_callback_summarises_after_each_job_of_a_multirun_only(sweep_dir):
    cfg = OmegaConf.create({"hydra": {"mode": "MULTIRUN", "sweep": {"dir": str(sweep_dir)}}})
    from hydra.types import RunMode

    cfg.hydra.mode = RunMode.MULTIRUN
    callbacks.SweepSummary().on_job_end(cfg, job_return=None)
    assert (sweep_dir / "summary.md").is_file()
    (sweep_dir / "summary.md").unlink()
    cfg.hydra.mode = RunMode.RUN
    callbacks.SweepSummary().on_job_end(cfg, job_return=None)
    assert not (sweep_dir / "summary.md").exists()
    callbacks.SweepSummary().on_multirun_end(cfg)
    assert (sweep_dir / "summary.md").is_file()


def test_the_command_rebuilds_it_and_refuses_a_missing_folder(sweep_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "xorjax.summary", str(sweep_dir)], capture_output=True, text=True)
    assert r.returncode == 0 and "| 0 | [1] | 0.1 |" in r.stdout and "wrote" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "xorjax.summary", str(tmp_path / "nope")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("xorjax: ") and r.stderr.count("\n") == 1


@pytest.mark.slow
def test_a_multirun_over_shapes_leaves_one_summary(run_xorjax, tmp_path):
    r = run_xorjax("-m", "experiment=sweep", "model.hidden=[1],[2]", "sweep.lrs=[0.5,2.0]", "sweep.seeds=8",
                   "steps=301", "logger.plots=false")
    assert r.returncode == 0, r.stderr
    (folder,) = [p.parent for p in (tmp_path / "outputs" / "multirun").rglob("summary.csv")]
    with open(folder / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["hidden"], r["lr"], r["seeds"]) for r in rows] == [("1", "0.5", "8"), ("1", "2.0", "8"),
                                                                  ("2", "0.5", "8"), ("2", "2.0", "8")]
    assert (folder / "summary.md").is_file() and (folder / "summary.png").is_file()


def test_the_summary_knows_the_same_outcomes_as_training():
    from xorjax.core import descent

    assert summary.STATUSES == descent.STATUSES  # kept apart so the command needs no JAX
