"""The summary of a multirun of sweeps: from the jobs that finished, by the callback or by the command."""

import csv
import json
import subprocess
import sys

import pytest
from conftest import MULTIRUN_OF_RUNS, MULTIRUN_OF_SWEEPS, job_dir
from omegaconf import OmegaConf

from xorjax import callbacks, summary


def atlas(hidden, lrs, solved=(10, 30)):
    return {
        "settings": "net",
        "statuses": list(summary.STATUSES),
        "configs": [
            {
                "hidden": hidden,
                "lr": lr,
                "init_scale": 1.0,
                "seeds": 40,
                "success_rate": k / 40,
                "ci95": [0.1, 0.9],
                "median_steps": 123.0,
                "outcomes": {"solved": k, "two-stuck": 40 - k},
                "classes": [{"class": "AND + OR -> h2 AND NOT h1", "count": k, "share": 1.0, "families": 2}],
                "families": [],
            }
            for lr, k in zip(lrs, solved)
        ],
    }


@pytest.fixture
def sweep_dir(tmp_path):
    """Three jobs: two finished (hidden [1] and [2]), one that failed before writing its atlas."""
    for job, hidden in ((0, [1]), (1, [2]), (2, [3])):
        folder = tmp_path / str(job)
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text(
            f"- experiment=sweep\n- model.hidden=[{hidden[0]}]\n- sweep.lrs=[0.1,1.0]\n"
        )
        if job < 2:
            (folder / "atlas.json").write_text(json.dumps(atlas(hidden, [0.1, 1.0])))
    return tmp_path


def test_summary_has_one_row_per_finished_setting_and_names_the_missing_job(sweep_dir):
    rows = summary.build(sweep_dir)
    assert [(r["job"], r["hidden"], r["lr"]) for r in rows] == [
        ("0", [1], 0.1),
        ("0", [1], 1.0),
        ("1", [2], 0.1),
        ("1", [2], 1.0),
    ]
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
    callbacks.MultirunSummary().on_job_end(cfg, job_return=None)
    assert (sweep_dir / "summary.md").is_file()
    (sweep_dir / "summary.md").unlink()
    cfg.hydra.mode = RunMode.RUN
    callbacks.MultirunSummary().on_job_end(cfg, job_return=None)
    assert not (sweep_dir / "summary.md").exists()
    callbacks.MultirunSummary().on_multirun_end(cfg)
    assert (sweep_dir / "summary.md").is_file()


def test_the_command_rebuilds_it_and_refuses_a_missing_folder(sweep_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "xorjax.summary", str(sweep_dir)], capture_output=True, text=True)
    assert r.returncode == 0 and "| 0 | [1] | 0.1 |" in r.stdout and "wrote" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "xorjax.summary", str(tmp_path / "nope")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("xorjax: ") and r.stderr.count("\n") == 1


@pytest.mark.slow
def test_a_multirun_over_shapes_leaves_one_summary(shared_run):
    # hidden [1] and [2], each a sweep over lr 0.5 and 2.0 with 8 seeds, 301 steps (test_io reads it too)
    r, root = shared_run(*MULTIRUN_OF_SWEEPS)
    assert r.returncode == 0, r.stderr
    (folder,) = [p.parent for p in (root / "outputs" / "multirun").rglob("summary.csv")]
    with open(folder / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["hidden"], r["lr"], r["seeds"]) for r in rows] == [
        ("1", "0.5", "8"),
        ("1", "2.0", "8"),
        ("2", "0.5", "8"),
        ("2", "2.0", "8"),
    ]
    assert (folder / "summary.md").is_file() and (folder / "summary.png").is_file()


def test_the_summary_knows_the_same_outcomes_as_training():
    from xorjax.core import descent

    assert summary.STATUSES == descent.STATUSES  # kept apart so the command needs no JAX


@pytest.fixture
def runs_dir(tmp_path):
    """A multirun of three training runs (one diverged, its cost not finite) and one still running."""
    results = [("solved", 0.0123, 1.0, 3671), ("two-stuck", 0.3466, 0.5, -1), ("diverged", None, 0.5, -1)]
    for job in range(4):
        folder = tmp_path / str(job)
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text(f"- seed={job}\n- steps=500\n- hydra.job.chdir=false\n")
        if job < len(results):
            status, cost, accuracy, solved_at = results[job]
            (folder / "metrics.json").write_text(
                json.dumps({"status": status, "final_loss": cost, "accuracy": accuracy, "solved_at": solved_at})
            )
    return tmp_path


def test_a_multirun_of_runs_gets_a_summary_of_each_run(runs_dir):
    rows = summary.build(runs_dir)
    assert [(r["job"], r["status"], r["final_cost"], r["solved_at"]) for r in rows] == [
        ("0", "solved", 0.0123, 3671),
        ("1", "two-stuck", 0.3466, ""),
        ("2", "diverged", None, ""),
    ]
    md = (runs_dir / "summary.md").read_text()
    assert "3 runs: solved 1, two-stuck 1, diverged 1." in md and "Every job: steps=500" in md
    assert "| 0 | seed=0 | solved | 0.0123 | 1 | 3671 |" in md and "| 2 | seed=2 | diverged | - | 0.5 | - |" in md
    assert "still running): 3" in md and "hydra" not in md
    with open(runs_dir / "summary.csv") as f:
        table = list(csv.DictReader(f))
    assert [t["status"] for t in table] == ["solved", "two-stuck", "diverged"] and table[0]["kind"] == "run"
    assert (runs_dir / "summary.png").stat().st_size > 1000


def test_the_runs_picture_fits_its_title_and_labels_for_2_jobs_or_60(tmp_path):
    import matplotlib.image

    from xorjax.output.plots import jobs

    for n in (2, 60):
        path = jobs.final_costs(
            tmp_path / f"{n}.png",
            [f"{i}: seed={i} optimizer.lr=0.{i}" for i in range(n)],
            [0.01 * (i + 1) for i in range(n)],
            ["solved", "plateau"] * (n // 2),
        )
        height, width, _ = matplotlib.image.imread(path).shape
        assert height > 25 * n and width > 600  # a row per job, however many
    # a label longer than the picture allows is cut with an ellipsis, not off the edge
    assert jobs.MAX_LABEL < 60


def test_a_multirun_of_runs_and_sweeps_keeps_both_tables(runs_dir):
    for job in ("4", "5"):
        (runs_dir / job).mkdir()
        (runs_dir / job / "atlas.json").write_text(json.dumps(atlas([int(job)], [0.1, 1.0])))
    summary.build(runs_dir)
    md = (runs_dir / "summary.md").read_text()
    assert "## Sweeps" in md and "## Runs" in md
    assert (runs_dir / "summary.png").is_file() and (runs_dir / "summary_runs.png").is_file()


@pytest.mark.slow
def test_a_multirun_of_training_runs_leaves_a_summary(shared_run):
    r, root = shared_run(*MULTIRUN_OF_RUNS)  # seed 0 and 1 x hidden [2] and [3] (test_run reads it too)
    assert r.returncode == 0, r.stderr
    (folder,) = [p.parent for p in (root / "outputs" / "multirun").rglob("summary.md")]
    md = (folder / "summary.md").read_text()
    for j in range(4):  # a row per job: its number, the overrides that differ, how it ended
        m = json.loads((job_dir(folder, j) / "metrics.json").read_text())
        assert f"| {j} | seed={m['seed']} model.hidden=[{m['hidden'][0]}] | {m['status']} |" in md
    assert (folder / "summary.png").is_file()


def test_a_job_with_damaged_results_is_named_and_the_others_are_summarised(runs_dir, capsys):
    (runs_dir / "1" / "metrics.json").write_text('{"status": "solv')  # cut short
    summary.main([str(runs_dir)])
    out, err = capsys.readouterr()
    assert err == (
        f"xorjax: job 1: {runs_dir / '1' / 'metrics.json'} is damaged (JSONDecodeError: Unterminated string "
        "starting at: line 1 column 12 (char 11)); left out of the summary\n"
    )
    jobs = [row["job"] for row in csv.DictReader((runs_dir / "summary.csv").open())]
    assert jobs == ["0", "2"] and "No results (failed, killed or still running): 1 (damaged), 3" in out


def test_a_sweep_whose_atlas_lacks_a_key_is_named_and_the_others_are_summarised(sweep_dir, capsys):
    atlas = json.loads((sweep_dir / "1" / "atlas.json").read_text())
    del atlas["configs"][0]["outcomes"]  # a JSON object, but not a sweep's atlas
    (sweep_dir / "1" / "atlas.json").write_text(json.dumps(atlas))
    summary.main([str(sweep_dir)])
    out, err = capsys.readouterr()
    assert (
        err
        == f"xorjax: job 1: {sweep_dir / '1' / 'atlas.json'} is damaged (no key 'outcomes'); left out of the summary\n"
    )
    assert [row["job"] for row in csv.DictReader((sweep_dir / "summary.csv").open())] == ["0", "0"]  # 2 settings


def test_jobs_are_listed_in_number_order_and_runs_alike_but_their_seed_are_grouped(tmp_path):
    """12 runs, seeds 0..5 x hidden [2] and [3], in Hydra's job folders "<n>_<overrides>"."""
    mechs = ["AND + OR -> h2 AND NOT h1", "x1 AND NOT x2 + x2 AND NOT x1 -> OR"]
    for job in range(12):
        seed, hidden = job // 2, [2, 3][job % 2]
        folder = tmp_path / f"{job}_seed-{seed}_model.hidden-{hidden}"
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text(f"- seed={seed}\n- model.hidden=[{hidden}]\n- steps=500\n")
        solved = hidden == 3 or seed == 0
        metrics = {"status": "solved" if solved else "two-stuck", "final_loss": 0.01, "accuracy": 1.0, "solved_at": 9}
        if solved:
            metrics |= {"mechanism": mechs[seed % 2 if hidden == 3 else 0], "kept": [[0, 1]]}
        (folder / "metrics.json").write_text(json.dumps(metrics))
    rows = summary.build(tmp_path)
    assert [r["job"] for r in rows] == [str(j) for j in range(12)]  # 10 and 11 after 9, not after 1
    md = (tmp_path / "summary.md").read_text()
    assert [int(line.split("|")[1]) for line in md.splitlines() if line.startswith("| ") and "seed=" in line] == list(
        range(12)
    )
    assert f"| 1 | seed=0 model.hidden=[3] | solved | 0.01 | 1 | 9 | `{mechs[0]}` |" in md
    groups = summary.groups(rows)
    assert [(g["settings"], g["runs"], g["solved"]) for g in groups] == [
        ("model.hidden=[2]", 6, 1),
        ("model.hidden=[3]", 6, 6),
    ]
    assert groups[0]["ci95"] == pytest.approx([0.030, 0.564], abs=1e-3)  # Wilson's interval for 1 of 6
    assert groups[0]["outcomes"]["two-stuck"] == 5 and groups[1]["ci95"][1] == 1.0
    assert groups[1]["mechanisms"] == [
        {"mechanism": mechs[0], "count": 3, "share": 0.5},
        {"mechanism": mechs[1], "count": 3, "share": 0.5},
    ]
    assert "## Groups (runs that differ only in their seed)" in md
    assert (
        f"| model.hidden=[3] | 6 | 100.0% | 61.0-100.0% | solved 6 | `{mechs[0]}` 3 (50%); `{mechs[1]}` 3 (50%) |" in md
    )
    assert (tmp_path / "summary_groups.png").stat().st_size > 1000


def test_a_sweeps_row_says_how_many_mechanisms_hold_95_percent_and_the_top_ones_share(tmp_path):
    a = atlas([3], [0.1])
    counts = [60, 30, 6, 3, 1]
    a["configs"][0]["mechanisms"] = [
        {"mechanism": f"m{i}", "count": c, "share": c / 100, "units": [2]} for i, c in enumerate(counts)
    ]
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "atlas.json").write_text(json.dumps(a))
    (row,) = summary.build(tmp_path)
    assert row["mechanisms_95"] == 3 and row["top_mechanism"] == "m0" and row["top_mechanism_share"] == 0.6
    md = (tmp_path / "summary.md").read_text()
    assert "| mechanisms for 95% | top mechanism |" in md and "| 3 | `m0` (60.0%) |" in md
    with open(tmp_path / "summary.csv") as f:
        (line,) = list(csv.DictReader(f))
    assert line["mechanisms_95"] == "3" and line["top_mechanism_share"] == "0.6"
