"""One summary of a multirun: ``python -m xorjax.summary <multirun folder>``.

Reads every job's results below the folder: a sweep's ``atlas.json`` (a row per setting it trained) or a
run's ``metrics.json`` (a row per run: its overrides, status, final cost, accuracy, the step it solved at).
Jobs that failed or were killed simply have neither. Writes ``summary.csv``, ``summary.md`` and
``summary.png`` into the folder: the sweeps' success rate over hidden x learning rate, or the runs' final
costs, coloured by status (``summary_runs.png`` when a multirun has both).
The multirun callback (``xorjax.callbacks``) calls ``build`` after every job, so the summary is there even
when a later job fails; this command rebuilds it at any time.
"""

import csv
import io as _io
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

from xorjax.output import io

STATUSES = ("solved", "plateau", "two-stuck", "three-merged", "diverged", "slow", "unsolved")
FIXED = ("model.hidden", "sweep.lrs", "hydra", "experiment")  # overrides shown as the table's own columns


def _overrides(job: Path, fixed=FIXED) -> list[str]:
    """The job's command-line overrides (Hydra keeps them in .hydra/overrides.yaml), except ``fixed``."""
    path = job / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    from omegaconf import OmegaConf  # Hydra's own reader of its files

    lines = list(OmegaConf.load(path) or [])
    return [o for o in lines if not o.split("=")[0].lstrip("+~").startswith(("hydra",) + tuple(fixed))]


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # absent, or being written by a job still running
        return None


def collect(root: Path) -> tuple[list[dict], list[str]]:
    """Rows from every job under ``root`` (a sweep: one per setting; a run: one); and the job folders
    without results."""
    rows, missing = [], []
    jobs = sorted(
        {p.parent for p in root.rglob(".hydra")} | {p.parent for p in root.rglob("atlas.json")},
        key=lambda p: [int(s) if s.isdigit() else s for s in p.relative_to(root).parts],
    )
    for job in jobs:
        # a job folder is "<job number>_<its overrides>": the table names it by its number (the overrides
        # have their own column)
        name = re.sub(r"^(\d+)_.*", r"\1", str(job.relative_to(root)))
        atlas, metrics = _read(job / "atlas.json"), _read(job / "metrics.json")
        if atlas is None and metrics is None:
            missing.append(name)
        elif atlas is None:
            rows.append(
                {
                    "job": name,
                    "kind": "run",
                    "status": metrics.get("status", ""),
                    "final_cost": metrics.get("final_loss"),
                    "accuracy": metrics.get("accuracy"),
                    "solved_at": metrics.get("solved_at", "") if metrics.get("status") == "solved" else "",
                    "overrides": " ".join(_overrides(job, [])),
                }
            )
        else:
            rows += _sweep_rows(name, atlas, " ".join(_overrides(job)))
    return rows, missing


def _sweep_rows(job: str, atlas: dict, extra: str) -> list[dict]:
    rows = []
    for c in atlas["configs"]:
        top = c["classes"][0]["class"] if c.get("classes") else ""
        rows.append(
            {
                "job": job,
                "kind": "sweep",
                "hidden": c["hidden"],
                "lr": c["lr"],
                "init_scale": c["init_scale"],
                "seeds": c["seeds"],
                "success_rate": c["success_rate"],
                "ci95_lo": c["ci95"][0],
                "ci95_hi": c["ci95"][1],
                "median_steps": c["median_steps"],
                **{s: c["outcomes"].get(s, 0) for s in STATUSES},
                "classes": len(c.get("classes", [])),
                "top_class": top,
                "overrides": extra,
                "settings": atlas.get("settings", ""),
            }
        )
    return rows


def _label(row: dict, scales: bool, common: set[str]) -> str:
    label = "[" + ",".join(map(str, row["hidden"])) + "]"
    if scales:
        label += f" s={row['init_scale']:g}"
    extra = " ".join(o for o in row["overrides"].split() if o not in common)
    return label + (" " + extra if extra else "")


def _common(rows: list[dict]) -> set[str]:
    """The overrides every row shares: said once above the table, not in every row."""
    return set.intersection(*(set(r["overrides"].split()) for r in rows)) if len(rows) > 1 else set()


def markdown(rows: list[dict], missing: list[str]) -> str:
    lines = ["# Multirun summary", ""]
    sweeps, runs = [r for r in rows if r["kind"] == "sweep"], [r for r in rows if r["kind"] == "run"]
    if sweeps:
        lines += _sweep_table(sweeps)
    if runs:
        lines += _run_table(runs)
    if missing:
        lines += [f"No results (failed, killed or still running): {', '.join(missing)}", ""]
    return "\n".join(lines)


def _sweep_table(rows: list[dict]) -> list[str]:
    header = [
        "job",
        "hidden",
        "lr",
        "init scale",
        "seeds",
        "solved",
        "95% CI",
        "median steps",
        *STATUSES[1:],
        "classes",
        "most frequent class",
        "other settings",
    ]
    common = _common(rows)
    lines = ["## Sweeps", ""] + ([f"Every job: {' '.join(sorted(common))}", ""] if common else [])
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = [
            r["job"],
            r["hidden"],
            f"{r['lr']:g}",
            f"{r['init_scale']:g}",
            r["seeds"],
            f"{100 * r['success_rate']:.1f}%",
            f"{100 * r['ci95_lo']:.1f}-{100 * r['ci95_hi']:.1f}%",
            "-" if r["median_steps"] is None else f"{r['median_steps']:.0f}",
            *[r[s] for s in STATUSES[1:]],
            r["classes"],
            f"`{r['top_class']}`" if r["top_class"] else "-",
            " ".join(o for o in r["overrides"].split() if o not in common) or "-",
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines + [""]


def _run_table(rows: list[dict]) -> list[str]:
    common = _common(rows)
    counts = {s: sum(r["status"] == s for r in rows) for s in dict.fromkeys(r["status"] for r in rows)}
    lines = ["## Runs", "", f"{len(rows)} runs: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".", ""]
    lines += [f"Every job: {' '.join(sorted(common))}", ""] if common else []
    lines += ["| job | settings | status | final cost | accuracy | solved at |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [
            r["job"],
            " ".join(o for o in r["overrides"].split() if o not in common) or "-",
            r["status"],
            "-" if r["final_cost"] is None else f"{r['final_cost']:.6g}",
            "-" if r["accuracy"] is None else f"{r['accuracy']:g}",
            "-" if r["solved_at"] == "" else r["solved_at"],
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines + [""]


def build(root) -> list[dict]:
    """Writes summary.csv, summary.md and summary.png into ``root``; returns the rows (none: writes nothing)."""
    root = Path(root)
    rows, missing = collect(root)
    if not rows:
        return rows
    buf = _io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r))  # a multirun of runs and sweeps: both kinds' columns
    w = csv.DictWriter(buf, fieldnames=fields, restval="")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "hidden": " ".join(map(str, r["hidden"]))} if "hidden" in r else r)
    io.write_atomic(root / "summary.csv", buf.getvalue())  # atomic: a reader never sees half a file
    io.write_atomic(root / "summary.md", markdown(rows, missing))
    sweeps, runs = [r for r in rows if r["kind"] == "sweep"], [r for r in rows if r["kind"] == "run"]
    if sweeps:
        heatmap(root / "summary.png", sweeps)
    if runs:
        from xorjax.output.plots import jobs

        common = _common(runs)
        labels = [
            f"{r['job']}: " + (" ".join(o for o in r["overrides"].split() if o not in common) or "-") for r in runs
        ]
        jobs.final_costs(
            root / ("summary_runs.png" if sweeps else "summary.png"),
            labels,
            [r["final_cost"] for r in runs],
            [r["status"] for r in runs],
        )
    return rows


def heatmap(path: Path, rows: list[dict]) -> None:
    from xorjax.output.plots import starts as pictures

    scales = len({r["init_scale"] for r in rows}) > 1
    common = set.intersection(*(set(r["overrides"].split()) for r in rows))
    labels = list(
        dict.fromkeys(
            _label(r, scales, common)
            for r in sorted(rows, key=lambda r: (len(r["hidden"]), r["hidden"], r["init_scale"]))
        )
    )
    lrs = sorted({r["lr"] for r in rows})
    values = np.full((len(labels), len(lrs)), math.nan)
    for r in rows:
        values[labels.index(_label(r, scales, common)), lrs.index(r["lr"])] = r["success_rate"]
    # Atomic, as every picture (plots.save): a reader never sees half of it.
    pictures.heatmap(path, labels, [f"{lr:g}" for lr in lrs], values, "Success rate: hidden x learning rate")


def main(argv=None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print(
            "usage: python -m xorjax.summary <multirun folder>   (e.g. outputs/multirun/DATE/TIME_sweep)",
            file=sys.stderr,
        )
        sys.exit(2)
    root = Path(args[0])
    if not root.is_dir():
        print(f"xorjax: {root}: no such folder", file=sys.stderr)
        sys.exit(2)
    rows = build(root)
    if not rows:
        print(
            f"xorjax: {root}: no job has results yet (an atlas.json or a metrics.json); is it a multirun folder?",
            file=sys.stderr,
        )
        sys.exit(2)
    print(markdown(*collect(root)), end="")
    print(f"wrote {root / 'summary.csv'}, summary.md, summary.png")


if __name__ == "__main__":
    main()
