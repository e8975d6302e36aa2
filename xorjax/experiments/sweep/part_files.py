"""One sweep in parts (``sweep.parts=N sweep.part=K``, see ``core/parts.py``): what a finished part leaves in its
run folder for the merge, read back and checked, and the whole sweep's files written from its parts."""

import dataclasses
import json
from io import BytesIO
from pathlib import Path

import numpy as np

from xorjax.config import Config
from xorjax.core import model, parts
from xorjax.errors import XorjaxError
from xorjax.experiments.sweep import plan, survey
from xorjax.output import io

PART = "part.json"  # a finished part: which part, its starts, settings, atlas and timing (written last)
TALLIES = "tallies.npz"  # what the merge adds up (``parts.to_arrays``)
PER_PART = ("part", "timing", "configs")  # the atlas keys that differ from part to part


def save_part(cfg: Config, atlas: dict, tallies: list, firsts: dict, out: Path) -> None:
    """What a merge needs from this part, into its run folder: ``tallies.npz``, then ``part.json``. These two
    files are all of it (kilobytes, however many starts), so parts gathered from many machines need no more."""
    buf = BytesIO()
    np.savez_compressed(buf, **parts.to_arrays(tallies, firsts))
    io.write_atomic(out / TALLIES, buf.getvalue())
    record = {
        **atlas["part"],
        "settings": plan.fingerprint(cfg),
        "config": dataclasses.asdict(cfg),
        "atlas": {k: v for k, v in atlas.items() if k not in PER_PART},
        "timing": atlas["timing"],
    }
    io.write_json(out / PART, record)


def load_part(folder: Path) -> tuple[dict, list, dict]:
    """A finished part's ``part.json`` and its (tallies, firsts), both checked: a file that cannot be read, lacks a
    key or an array, or whose numbers do not fit its settings (its outcomes must count the starts of its block)
    raises ``XorjaxError`` naming it."""
    record = read_part(folder)
    settings = record["settings"]
    try:
        with np.load(folder / TALLIES) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception as e:  # cut short, overwritten, missing: all mean this part cannot be merged
        raise XorjaxError(f"{folder / TALLIES} is damaged (not readable: {type(e).__name__}: {e})") from None
    lo, hi = record["starts"]
    cells = plan.size(settings) // settings["sweep.seeds"]
    problem = parts.damage(arrays, cells, hi - lo, model.param_shapes(settings["model.hidden"]))
    if problem:
        raise XorjaxError(f"{folder / TALLIES} is damaged ({problem})")
    return record, *parts.from_arrays(arrays)


def read_part(folder: Path) -> dict:
    """A part's ``part.json``, checked: every key a merge reads, and a block of starts that is the part's own."""
    path = folder / PART
    try:
        record = json.loads(path.read_text())
        settings = record["settings"]
        of = plan.size(settings)
        block = list(parts.block(of, settings["sweep.parts"], settings["sweep.part"]))
        wanted = {"part": settings["sweep.part"], "of_parts": settings["sweep.parts"], "starts": block, "of_starts": of}
        for key, value in wanted.items():
            if record[key] != value:
                raise ValueError(f"{key} is {record[key]}, its settings give {value}")
        for key in ("config", "atlas", "timing"):
            if not isinstance(record[key], dict):
                raise ValueError(f"{key} is not an object")
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as e:
        what = f"no key {e}" if isinstance(e, KeyError) else str(e) or type(e).__name__
        raise XorjaxError(f"{path} is damaged ({what})") from None
    return record


def merge_key(settings: dict) -> str:
    """What the parts of one sweep have in common: their settings (``fingerprint``) but ``sweep.part``."""
    return json.dumps({k: v for k, v in settings.items() if k != "sweep.part"}, sort_keys=True)


def finish_parts(cfg: Config, pieces: list[tuple[dict, list, dict]], out: Path) -> dict:
    """Writes into ``out`` the files of the sweep whose finished parts (``load_part``) are ``pieces``, through
    ``finish``: with every part there, exactly those of the sweep run in one job, timing aside (the parts' times
    are added up). Without some (``--partial``), the atlas names the parts and starts it lacks. ``cfg``: the
    settings of any of the parts."""
    records = [r for r, _, _ in sorted(pieces, key=lambda p: p[0]["part"])]
    whole = dataclasses.replace(cfg, sweep=dataclasses.replace(cfg.sweep, parts=1, part=0, resume=None))
    starts = plan.grid(whole)
    n, of = len(starts), records[0]["of_parts"]
    tallies, firsts = parts.merge([(t, f) for _, t, f in pieces])
    timings = [r["timing"] for r in records]
    seconds, trained = sum(t["seconds"] for t in timings), sum(t["starts"] for t in timings)
    timing = {
        "seconds": seconds,
        "starts": trained,
        "steps": cfg.steps,
        "devices": max(t["devices"] for t in timings),
        "device": " + ".join(dict.fromkeys(t["device"] for t in timings)),
        "net_steps_per_s": trained * cfg.steps / seconds,  # of one job, on average
        "resumed_starts": sum(t["resumed_starts"] for t in timings),
        "parts": len(records),
    }
    # The top-level keys that every part's atlas has alike (settings, activation, precision, ...) are the sweep's.
    extra = {k: v for k, v in records[0]["atlas"].items() if all(r["atlas"].get(k) == v for r in records)}
    lacking = sorted(set(range(of)) - {r["part"] for r in records})
    if lacking:
        blocks = [list(parts.block(n, of, k)) for k in lacking]
        extra["missing"] = {"parts": lacking, "of_parts": of, "starts": blocks, "of_starts": n}
    return survey.finish(whole, starts, tallies, firsts, timing, out, extra)
