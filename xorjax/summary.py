"""One summary of a multirun of sweeps: ``python -m xorjax.summary <sweep folder>``.

Reads every job's ``atlas.json`` below the folder (jobs that failed or were killed simply have none) and
writes ``summary.csv``, ``summary.md`` and ``summary.png`` (success rate over hidden x learning rate) into it.
The multirun callback (``xorjax.callbacks``) calls ``build`` after every job, so the summary is there even
when a later job fails; this command rebuilds it at any time.
"""

import csv
import io as _io
import json
import math
import sys
from pathlib import Path

import numpy as np

from xorjax.output import io

STATUSES = ("solved", "plateau", "two-stuck", "three-merged", "diverged", "slow", "unsolved")
FIXED = ("model.hidden", "sweep.lrs", "hydra", "experiment")  # overrides shown as the table's own columns


def _overrides(job: Path) -> list[str]:
    """The job's command-line overrides (Hydra keeps them in .hydra/overrides.yaml), except the axes."""
    path = job / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    import yaml  # PyYAML, which Hydra brings; only needed here

    lines = yaml.safe_load(path.read_text()) or []
    return [o for o in lines if not o.split("=")[0].lstrip("+~").startswith(FIXED)]


def collect(root: Path) -> tuple[list[dict], list[str]]:
    """Rows (one per job x setting) from every atlas.json under ``root``; and the job folders without one."""
    rows, missing = [], []
    jobs = sorted({p.parent for p in root.rglob(".hydra")} | {p.parent for p in root.rglob("atlas.json")},
                  key=lambda p: [int(s) if s.isdigit() else s for s in p.relative_to(root).parts])
    for job in jobs:
        path = job / "atlas.json"
        if not path.is_file():
            missing.append(str(job.relative_to(root)))
            continue
        try:
            atlas = json.loads(path.read_text())
        except ValueError:
            missing.append(str(job.relative_to(root)))
            continue
        extra = " ".join(_overrides(job))
        for c in atlas["configs"]:
            top = c["classes"][0]["class"] if c.get("classes") else ""
            rows.append({"job": str(job.relative_to(root)), "hidden": c["hidden"], "lr": c["lr"],
                         "init_scale": c["init_scale"], "seeds": c["seeds"], "success_rate": c["success_rate"],
                         "ci95_lo": c["ci95"][0], "ci95_hi": c["ci95"][1], "median_steps": c["median_steps"],
                         **{s: c["outcomes"].get(s, 0) for s in STATUSES}, "classes": len(c.get("classes", [])),
                         "top_class": top, "overrides": extra, "settings": atlas.get("settings", "")})
    return rows, missing


def _label(row: dict, scales: bool, extras: bool) -> str:
    label = "[" + ",".join(map(str, row["hidden"])) + "]"
    if scales:
        label += f" s={row['init_scale']:g}"
    if extras and row["overrides"]:
        label += " " + row["overrides"]
    return label


def markdown(rows: list[dict], missing: list[str]) -> str:
    header = ["job", "hidden", "lr", "init scale", "seeds", "solved", "95% CI", "median steps",
              *STATUSES[1:], "classes", "most frequent class", "other settings"]
    common = set.intersection(*(set(r["overrides"].split()) for r in rows)) if rows else set()
    lines = ["# Sweep summary", ""] + ([f"Every job: {' '.join(sorted(common))}", ""] if common else [])
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        r = {**r, "overrides": " ".join(o for o in r["overrides"].split() if o not in common)}
        cells = [r["job"], r["hidden"], f"{r['lr']:g}", f"{r['init_scale']:g}", r["seeds"],
                 f"{100 * r['success_rate']:.1f}%", f"{100 * r['ci95_lo']:.1f}-{100 * r['ci95_hi']:.1f}%",
                 "-" if r["median_steps"] is None else f"{r['median_steps']:.0f}",
                 *[r[s] for s in STATUSES[1:]], r["classes"], f"`{r['top_class']}`" if r["top_class"] else "-",
                 r["overrides"] or "-"]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    if missing:
        lines += ["", f"No atlas.json (failed, killed or still running): {', '.join(missing)}"]
    return "\n".join(lines) + "\n"


def build(root) -> list[dict]:
    """Writes summary.csv, summary.md and summary.png into ``root``; returns the rows (none: writes nothing)."""
    root = Path(root)
    rows, missing = collect(root)
    if not rows:
        return rows
    buf = _io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    for r in rows:
        w.writerow({**r, "hidden": " ".join(map(str, r["hidden"]))})
    io.write_atomic(root / "summary.csv", buf.getvalue())  # atomic: a reader never sees half a file
    io.write_atomic(root / "summary.md", markdown(rows, missing))
    heatmap(root / "summary.png", rows)
    return rows


def heatmap(path: Path, rows: list[dict]) -> None:
    from xorjax.output.plots import starts as pictures

    scales = len({r["init_scale"] for r in rows}) > 1
    extras = len({r["overrides"] for r in rows}) > 1
    labels = list(dict.fromkeys(_label(r, scales, extras) for r in
                                sorted(rows, key=lambda r: (len(r["hidden"]), r["hidden"], r["init_scale"]))))
    lrs = sorted({r["lr"] for r in rows})
    values = np.full((len(labels), len(lrs)), math.nan)
    for r in rows:
        values[labels.index(_label(r, scales, extras)), lrs.index(r["lr"])] = r["success_rate"]
    # Atomic, as every picture (plots.save): a reader never sees half of it.
    pictures.heatmap(path, labels, [f"{lr:g}" for lr in lrs], values, "Success rate: hidden x learning rate")


def main(argv=None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m xorjax.summary <sweep folder>   (e.g. outputs/multirun/DATE/TIME_sweep)",
              file=sys.stderr)
        sys.exit(2)
    root = Path(args[0])
    if not root.is_dir():
        print(f"xorjax: {root}: no such folder", file=sys.stderr)
        sys.exit(2)
    rows = build(root)
    if not rows:
        print(f"xorjax: {root}: no job has an atlas.json yet (is it a multirun of experiment=sweep?)",
              file=sys.stderr)
        sys.exit(2)
    print(markdown(*collect(root)), end="")
    print(f"wrote {root / 'summary.csv'}, summary.md, summary.png")


if __name__ == "__main__":
    main()
