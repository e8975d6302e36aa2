"""One summary of a multirun: ``python -m xorjax.summary <multirun folder>``; and the parts of split sweeps
merged: ``python -m xorjax.summary --merge [--partial] <folder> [<folder> ...]``.

Reads every job's results below the folder: a sweep's ``atlas.json`` (a row per setting it trained) or a
run's ``metrics.json`` (a row per run: its overrides, status, final cost, accuracy, the step it solved at).
Jobs that failed or were killed simply have neither. Writes ``summary.csv``, ``summary.md`` and
``summary.png`` into the folder: the sweeps' success rate over hidden x learning rate, or the runs' final
costs, coloured by status (``summary_runs.png`` when a multirun has both).
The multirun callback (``xorjax.callbacks``) calls ``build`` after every job, so the summary is there even
when a later job fails; this command rebuilds it at any time.

A sweep split into parts (``sweep.parts=N sweep.part=K``) is merged once all its parts are finished: ``merge``
finds the parts below the folders, groups them by their settings but ``sweep.part``, and writes each whole sweep
into ``merged/<n>/`` (n = 0, 1, ... in the order found) with the sweep's own writer; a part that is missing or
unfinished is named in one line with the command that runs or finishes it.
"""

import csv
import io as _io
import json
import math
import re
import shlex
import sys
from pathlib import Path

import numpy as np

from xorjax.core import shares
from xorjax.errors import XorjaxError
from xorjax.output import io

STATUSES = ("solved", "plateau", "two-stuck", "three-merged", "diverged", "slow", "unsolved")
FIXED = ("model.hidden", "sweep.lrs", "hydra", "experiment")  # overrides shown as the table's own columns
MERGED = "merged"  # <folder>/merged/<n>/: a split sweep, merged from its parts
MERGED_FROM = "merged.json"  # in it: the parts' folders, the parts missing, the parts' shared overrides


def _overrides(job: Path, fixed=FIXED) -> list[str]:
    """The job's command-line overrides (Hydra keeps them in .hydra/overrides.yaml; a merged sweep's are its
    parts' but ``sweep.part``), except ``fixed``."""
    path = job / ".hydra" / "overrides.yaml"
    if path.is_file():
        from omegaconf import OmegaConf  # Hydra's own reader of its files

        lines = list(OmegaConf.load(path) or [])
    else:
        lines = (_read(job / MERGED_FROM) or {}).get("overrides", [])
    return [o for o in lines if not _key(o).startswith(("hydra",) + tuple(fixed))]


def _key(override: str) -> str:
    return override.split("=")[0].lstrip("+~")


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # absent, or being written by a job still running
        return None


def collect(root: Path) -> tuple[list[dict], list[str], list[str]]:
    """Rows from every job under ``root`` (a sweep: one per setting; a run: one); the job folders without results;
    and a line for each job whose results are damaged (a file that cannot be read, or lacks what a row needs):
    that job is named and left out, the others are summarised."""
    rows, missing, damaged = [], [], []
    jobs = sorted(
        {p.parent for p in root.rglob(".hydra")} | {p.parent for p in root.rglob("atlas.json")},
        key=lambda p: [int(s) if s.isdigit() else s for s in p.relative_to(root).parts],
    )
    for job in jobs:
        # a job folder is "<job number>_<its overrides>": the table names it by its number (the overrides
        # have their own column)
        name = re.sub(r"^(\d+)_.*", r"\1", str(job.relative_to(root)))
        try:
            found = _results(job, name)
        except ValueError as e:
            missing.append(f"{name} (damaged)")
            damaged.append(f"job {name}: {e}; left out of the summary")
            continue
        if found is None:
            missing.append(name)
        else:
            rows += found
    return rows, missing, damaged


def _results(job: Path, name: str) -> list[dict] | None:
    """The rows of one job's results, None if it has none; ValueError naming the file if they are damaged. Files
    are written whole (``io.write_atomic``), so one that is there but cannot be read was damaged afterwards."""
    atlas, metrics = _checked(job / "atlas.json"), _checked(job / "metrics.json")
    if atlas is None and metrics is None:
        return None
    if atlas is not None:
        try:
            return _sweep_rows(name, atlas, " ".join(_overrides(job)))
        except (KeyError, TypeError, IndexError, ValueError) as e:
            what = f"no key {e}" if isinstance(e, KeyError) else f"{type(e).__name__}: {e}"
            raise ValueError(f"{job / 'atlas.json'} is damaged ({what})") from None
    return [
        {
            "job": name,
            "kind": "run",
            "status": metrics.get("status", ""),
            "final_cost": metrics.get("final_loss"),
            "accuracy": metrics.get("accuracy"),
            "solved_at": metrics.get("solved_at", "") if metrics.get("status") == "solved" else "",
            "mechanism": metrics.get("mechanism", ""),
            "overrides": " ".join(_overrides(job, [])),
        }
    ]


def _checked(path: Path) -> dict | None:
    """A JSON object read from ``path``; None if there is no such file; ValueError if it cannot be read as one."""
    try:
        obj = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ValueError(f"{path} is damaged ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path} is damaged (not a JSON object)")
    return obj


def _sweep_rows(job: str, atlas: dict, extra: str) -> list[dict]:
    rows = []
    for c in atlas["configs"]:
        top = c["classes"][0]["class"] if c.get("classes") else ""
        mechs = c.get("mechanisms", [])
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
                "mechanisms_95": shares.covering([m["count"] for m in mechs]) or "",
                "top_mechanism": mechs[0]["mechanism"] if mechs else "",
                "top_mechanism_share": mechs[0]["share"] if mechs else "",
                "classes": len(c.get("classes", [])),
                "top_class": top,
                "overrides": extra,
                "settings": atlas.get("settings", ""),
                "part": f"{atlas['part']['part']} of {atlas['part']['of_parts']}" if "part" in atlas else "",
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
        "mechanisms for 95%",
        "top mechanism",
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
            "-" if r["mechanisms_95"] == "" else r["mechanisms_95"],
            f"`{r['top_mechanism']}` ({100 * r['top_mechanism_share']:.1f}%)" if r["top_mechanism"] else "-",
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
    lines += [
        "| job | settings | status | final cost | accuracy | solved at | mechanism |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [
            r["job"],
            " ".join(o for o in r["overrides"].split() if o not in common) or "-",
            r["status"],
            "-" if r["final_cost"] is None else f"{r['final_cost']:.6g}",
            "-" if r["accuracy"] is None else f"{r['accuracy']:g}",
            "-" if r["solved_at"] == "" else r["solved_at"],
            f"`{r['mechanism']}`" if r.get("mechanism") else "-",
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines + [""] + _group_table(groups(rows))


def groups(runs: list[dict]) -> list[dict]:
    """The runs grouped by every setting but ``seed`` (in the order of their first run): each group's runs, its
    success rate with its 95% Wilson interval, its status counts and its solved runs' mechanisms (most frequent
    first, each with its count and share of the solved runs), as a sweep's atlas gives them."""
    by, common = {}, _common(runs)  # the settings every run shares are said once above the tables
    for r in runs:
        settings = " ".join(o for o in r["overrides"].split() if _key(o) != "seed" and o not in common)
        by.setdefault(settings or "-", []).append(r)
    out = []
    for settings, members in by.items():
        solved = [r for r in members if r["status"] == "solved"]
        counts = {}
        for r in solved:
            if r.get("mechanism"):
                counts[r["mechanism"]] = counts.get(r["mechanism"], 0) + 1
        k, n = len(solved), len(members)
        out.append(
            {
                "settings": settings,
                "runs": n,
                "solved": k,
                "success_rate": k / n,
                "ci95": list(shares.wilson(k, n)),
                "outcomes": {s: sum(r["status"] == s for r in members) for s in STATUSES},
                "mechanisms": [
                    {"mechanism": m, "count": c, "share": c / k}
                    for m, c in sorted(counts.items(), key=lambda mc: (-mc[1], mc[0]))
                ],
                "jobs": [r["job"] for r in members],
            }
        )
    return out


def _group_table(found: list[dict]) -> list[str]:
    """The groups of runs (``groups``) as a table, when some runs differ only in their seed."""
    if all(g["runs"] == 1 for g in found):
        return []
    lines = [
        "## Groups (runs that differ only in their seed)",
        "",
        "| settings | runs | solved | 95% CI | statuses | mechanisms of the solved runs |",
        "|---|---|---|---|---|---|",
    ]
    for g in found:
        statuses = ", ".join(f"{s} {c}" for s, c in g["outcomes"].items() if c)
        mechs = "; ".join(f"`{m['mechanism']}` {m['count']} ({100 * m['share']:.0f}%)" for m in g["mechanisms"])
        cells = [
            g["settings"],
            g["runs"],
            f"{100 * g['success_rate']:.1f}%",
            f"{100 * g['ci95'][0]:.1f}-{100 * g['ci95'][1]:.1f}%",
            statuses,
            mechs or "-",
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines + [""]


def build(root) -> list[dict]:
    """Writes summary.csv, summary.md and summary.png into ``root``; returns the rows (none: writes nothing)."""
    root = Path(root)
    rows, missing, _ = collect(root)
    if not rows:
        return rows
    # job 10 after job 9, not after job 1 (the sort is stable: a sweep's settings stay in order)
    rows = sorted(rows, key=lambda r: [_numbered(s) for s in r["job"].split("/")])
    missing = sorted(missing, key=lambda m: [_numbered(s) for s in m.split("/")])
    buf = _io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r))  # a multirun of runs and sweeps: both kinds' columns
    w = csv.DictWriter(buf, fieldnames=fields, restval="")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "hidden": " ".join(map(str, r["hidden"]))} if "hidden" in r else r)
    io.write_atomic(root / "summary.csv", buf.getvalue())  # atomic: a reader never sees half a file
    io.write_atomic(root / "summary.md", markdown(rows, missing))
    sweeps, runs = [r for r in rows if r["kind"] == "sweep"], [r for r in rows if r["kind"] == "run"]
    if sweeps:  # parts only where no whole or merged sweep is there to show
        heatmap(root / "summary.png", [r for r in sweeps if not r["part"]] or sweeps)
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
        found = groups(runs)
        if len(found) > 1 and any(g["runs"] > 1 for g in found):
            jobs.group_rates(
                root / "summary_groups.png",
                [g["settings"] for g in found],
                [g["success_rate"] for g in found],
                [tuple(g["ci95"]) for g in found],
                [g["runs"] for g in found],
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


def find_parts(folders: list[Path]) -> list[dict]:
    """Every part of a split sweep below ``folders``, in the order found (by job number): its ``folder``, its
    ``settings`` (the sweep's ``fingerprint``) and whether it is ``finished`` (it has part.json; else only its
    chunks: still running, or stopped); ``damaged``: why its part.json cannot be trusted (``part_files.read_part``),
    with ``settings`` None where not even its chunks say which sweep it belongs to."""
    from xorjax.experiments.sweep import chunk_store, part_files

    found = []
    for root in folders:
        runs = {p.parent for p in root.rglob(part_files.PART)}
        runs |= {p.parent.parent for p in root.rglob(f"{chunk_store.CHUNKS}/{chunk_store.SETTINGS}")}
        for run in sorted(runs, key=lambda p: [_numbered(s) for s in p.relative_to(root).parts]):
            record, damaged = None, None
            if (run / part_files.PART).is_file():
                try:
                    record = part_files.read_part(run)
                except XorjaxError as e:
                    record, damaged = None, str(e)
            settings = record["settings"] if record else _read(run / chunk_store.CHUNKS / chunk_store.SETTINGS)
            if settings and settings.get("sweep.parts", 1) > 1:
                found.append(
                    {"folder": run.resolve(), "settings": settings, "finished": record is not None, "damaged": damaged}
                )
            elif damaged:  # not even its settings are known: which sweep it belongs to cannot be said
                found.append({"folder": run.resolve(), "settings": None, "damaged": damaged})
    return found


def _numbered(name: str) -> tuple:
    """A folder name as its job number first: job 10 after job 9."""
    number = re.match(r"\d+", name)
    return (int(number[0]) if number else -1, name)


def merge(folders, into=None, partial: bool = False) -> tuple[list[Path], list[str]]:
    """Merges every split sweep found below ``folders`` whose parts are all finished (with ``partial``: every one
    with a finished part) into ``<into>/merged/<n>/`` (``into``: the first folder), n = 0, 1, ... in the order
    found; a sweep merged already from the same part files is left as it is. Returns the merged sweeps' folders,
    and a line for each part missing or unfinished, with the command that runs or finishes it."""
    from xorjax.experiments.sweep import part_files

    folders = [Path(f) for f in folders]
    into = Path(into or folders[0]) / MERGED
    sweeps, merged, problems = {}, [], []
    for part in find_parts(folders):
        if part["settings"] is None:
            problems.append(f"{part['damaged']}; that part is left out of every merge")
            continue
        sweeps.setdefault(part_files.merge_key(part["settings"]), []).append(part)
    for n, found in enumerate(sweeps.values()):
        out = into / str(n)
        done, pieces, damaged = {}, {}, set()
        shared = _shared(found)
        of = found[0]["settings"]["sweep.parts"]
        for p in found:
            k = p["settings"]["sweep.part"]
            if p["finished"] and k not in pieces:
                try:  # every part checked before it is added up: a damaged one is named, not merged
                    pieces[k] = part_files.load_part(p["folder"])
                    done[k] = p["folder"]
                except XorjaxError as e:
                    p["damaged"] = str(e)
            if p.get("damaged"):
                problems.append(f"{out}: part {k} of {of}: {p['damaged']}; {_again(p, k, shared)}")
                damaged.add(k)
        lacking = [k for k in range(of) if k not in done]
        problems += [_lacking(out, k, found, shared) for k in lacking if k not in damaged]
        if not done or (lacking and not partial):
            continue  # nothing is merged from half a sweep unless asked
        sources = [str(done[k]) for k in sorted(done)]
        if not _merged_already(out, sources):
            pieces = [pieces[k] for k in sorted(done)]
            out.mkdir(parents=True, exist_ok=True)
            part_files.finish_parts(_config(pieces[0][0]["config"]), pieces, out)
            record = {"parts": sources, "missing": lacking, "overrides": shared}
            io.write_json(out / MERGED_FROM, record)  # last: a merge with this file is complete
        merged.append(out)
    return merged, problems


def _merged_already(out: Path, sources: list[str]) -> bool:
    """Whether ``out`` holds the merge of exactly these parts, written after each of them."""
    from xorjax.experiments.sweep import part_files

    record = _read(out / MERGED_FROM)
    if record is None or record["parts"] != sources:
        return False
    written = (out / MERGED_FROM).stat().st_mtime_ns
    return all((Path(s) / part_files.PART).stat().st_mtime_ns <= written for s in sources)


def _lacking(where: Path, k: int, found: list[dict], shared: list[str]) -> str:
    """One line: part ``k`` of a split sweep is missing (or unfinished), and the command that runs (finishes) it;
    ``shared``: the overrides of its parts but ``sweep.part``."""
    from xorjax.core import parts
    from xorjax.experiments.sweep import plan

    settings = found[0]["settings"]
    of = settings["sweep.parts"]
    lo, hi = parts.block(plan.size(settings), of, k)
    what = f"{where}: part {k} of {of} (starts {lo}..{hi - 1})"
    stopped = [p for p in found if p["settings"]["sweep.part"] == k]  # none of them finished (or whole)
    if stopped:
        folder = stopped[0]["folder"]
        overrides = _part_overrides(stopped[0], k, shared)
        return f"{what} is unfinished in {folder}; finish it with: {_command(overrides, 'sweep.resume', folder)}"
    return f"{what} is missing; run it with: {_command(shared, 'sweep.part', k)}"


def _again(found: dict, k: int, shared: list[str]) -> str:
    """The command that writes a damaged part's files again: from its chunks, if it has them (nothing is trained
    again), else the part run anew."""
    from xorjax.experiments.sweep import chunk_store

    if (found["folder"] / chunk_store.CHUNKS / chunk_store.SETTINGS).is_file():
        return "write it again with: " + _command(_part_overrides(found, k, shared), "sweep.resume", found["folder"])
    return "run it again with: " + _command(shared, "sweep.part", k)


def _part_overrides(found: dict, k: int, shared: list[str]) -> list[str]:
    """The command line of part ``k`` found in ``found["folder"]``: its own, or the sweep's with ``sweep.part=k``."""
    return _overrides(found["folder"], []) or shared + [f"sweep.part={k}"]


def _shared(found: list[dict]) -> list[str]:
    """The command-line overrides of a split sweep's parts (those of the first part that has them) but
    ``sweep.part`` and ``sweep.resume``; from its settings where no part has its .hydra folder (copied without)."""
    for p in found:
        overrides = _overrides(p["folder"], [])
        if overrides:
            break
    else:  # every setting that decides a result, as overrides (experiment=rhw1986 is this sweep plus its report)
        overrides = ["experiment=sweep"] + [
            f"{k}={v if isinstance(v, str) else json.dumps(v, separators=(',', ':'))}"
            for k, v in found[0]["settings"].items()
        ]
    return [o for o in overrides if _key(o) not in ("sweep.part", "sweep.resume")]


def _command(overrides: list[str], key: str, value) -> str:
    return "python -m xorjax.run " + shlex.join([o for o in overrides if _key(o) != key] + [f"{key}={value}"])


def _config(saved: dict):
    """A part's ``Config`` from its part.json (``dataclasses.asdict``), through the schema as Hydra reads it."""
    from omegaconf import OmegaConf

    from xorjax.config import Config

    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(Config), saved))


USAGE = (
    "usage: python -m xorjax.summary <multirun folder>   (e.g. outputs/multirun/DATE/TIME_sweep)\n"
    "       python -m xorjax.summary --merge [--partial] <folder> [<folder> ...]   (the parts of split sweeps)"
)


def main_merge(args: list[str]) -> None:
    """``--merge [--partial] FOLDER ...``: the split sweeps below the folders, merged into FOLDER/merged/<n>."""
    from xorjax.experiments.sweep import report

    partial = "--partial" in args
    folders = [Path(a) for a in args if a != "--partial"]
    if not folders or any(str(f).startswith("-") for f in folders):
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    for f in folders:
        if not f.is_dir():
            print(f"xorjax: {f}: no such folder", file=sys.stderr)
            sys.exit(2)
    merged, problems = merge(folders, partial=partial)
    for line in problems:
        print(f"xorjax: {line}", file=sys.stderr)
    if not merged and not problems:
        names = " ".join(map(str, folders))
        print(f"xorjax: {names}: no part of a split sweep (sweep.parts=N) is below it", file=sys.stderr)
    for out in merged:
        atlas = json.loads((out / "atlas.json").read_text())
        print("\n".join([f"{out}:", *report.scope(atlas), report.outcome_table(atlas["configs"])]))
    if not merged or (problems and not partial):
        sys.exit(2)


def main(argv=None) -> None:
    try:
        _main(sys.argv[1:] if argv is None else argv)
    except XorjaxError as e:  # a summary or merge that cannot be written: one line, as a run says it
        print(f"xorjax: {e}", file=sys.stderr)
        sys.exit(e.status)


def _main(args: list[str]) -> None:
    if args[:1] == ["--merge"]:
        return main_merge(args[1:])
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    root = Path(args[0])
    if not root.is_dir():
        print(f"xorjax: {root}: no such folder", file=sys.stderr)
        sys.exit(2)
    rows = build(root)
    _, missing, damaged = collect(root)
    for line in damaged:
        print(f"xorjax: {line}", file=sys.stderr)
    if not rows:
        print(
            f"xorjax: {root}: no job has results yet (an atlas.json or a metrics.json); is it a multirun folder?",
            file=sys.stderr,
        )
        sys.exit(2)
    print(markdown(rows, missing), end="")
    print(f"wrote {root / 'summary.csv'}, summary.md, summary.png")


if __name__ == "__main__":
    main()
