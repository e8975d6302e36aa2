"""One sweep in parts: each job trains one block of consecutive start indices (``block``), and the parts' tallies
add up to those of the whole sweep exactly (``merge``): outcome counts, the counts of every step that the medians
are read from, each family's count; a family's first start, with its weights, is the earliest of the parts'.

Pure, as the rest of ``core``: what a part keeps for the merge is a dict of arrays (``to_arrays``, read back by
``from_arrays``); which files hold it is ``experiments/sweep/part_files.py``'s business.
"""

import numpy as np

from xorjax.core import tally


def block(n: int, parts: int, part: int) -> tuple[int, int]:
    """The starts lo..hi-1 that part ``part`` (0-based) of ``parts`` trains of a sweep of ``n`` starts: blocks in
    order, their sizes within one of each other, every start in exactly one."""
    return part * n // parts, (part + 1) * n // parts


def merge(pieces: list[tuple[list[tally.Tally], dict]]) -> tuple[list[tally.Tally], dict]:
    """The parts' (tallies, firsts) -> those of all their starts together, as ``engine.run_grid`` returns them for
    one job: a ``Tally`` per setting, and {(setting, family key): (first start index, its weights)}."""
    tallies, firsts = [tally.Tally() for _ in pieces[0][0]], {}
    for part_tallies, part_firsts in pieces:
        for whole, part in zip(tallies, part_tallies, strict=True):
            whole.merge(part)
        for key, (i, weights) in part_firsts.items():
            if key not in firsts or i < firsts[key][0]:
                firsts[key] = (i, weights)
    return tallies, firsts


def to_arrays(tallies: list[tally.Tally], firsts: dict) -> dict[str, np.ndarray]:
    """What a part keeps for the merge, as arrays for one ``np.savez`` file: a row per setting of ``outcomes``,
    ``steps`` and ``stops`` (counts of every step, zero-padded; ``has_stops``: a stop criterion was counted);
    ``found``, a row per (setting, family): setting, count, first start, the family's key; and the weights of every
    family's first start as a chunk file holds them (``first_rows`` = setting + key, ``first_index``, ``first_W1``
    ...), in their own dtype, so the solutions' files come out digit for digit."""
    arrays = {
        "outcomes": np.stack([t.outcomes for t in tallies]),
        "steps": _padded([t.steps for t in tallies]),
        "has_stops": np.asarray([t.stops is not None for t in tallies]),
        "stops": _padded([np.zeros(0, np.int64) if t.stops is None else t.stops for t in tallies]),
        "found": _rows([(g, c, i, *key) for g, t in enumerate(tallies) for key, (c, i) in t.found.items()]),
        "first_rows": _rows([(g, *key) for g, key in firsts]),
        "first_index": np.asarray([i for i, _ in firsts.values()], np.int64),
    }
    for name in next(iter(firsts.values()))[1] if firsts else ():
        arrays[f"first_{name}"] = np.stack([weights[name] for _, weights in firsts.values()])
    return {**arrays, **_mechanism_arrays(tallies)}


def _mechanism_arrays(tallies: list[tally.Tally]) -> dict[str, np.ndarray]:
    """The tallies' mechanisms: ``mech_found``, a row per (setting, mechanism): setting, count, first start,
    saturated count, the mechanism's row; and each one's representative (``mech_rep_rows`` = setting + row,
    ``mech_rep_index``, ``mech_rep_kept``, ``mech_rep_W1`` ...)."""
    reps = [(g, key, rep) for g, t in enumerate(tallies) for key, rep in t.representatives.items()]
    found = [(g, c, i, s, *key) for g, t in enumerate(tallies) for key, (c, i, s) in t.mechanisms.items()]
    arrays = {
        "mech_found": _rows(found),
        "mech_rep_rows": _rows([(g, *key) for g, key, _ in reps]),
        "mech_rep_index": np.asarray([i for _, _, (i, _, _) in reps], np.int64),
    }
    if reps:
        arrays["mech_rep_kept"] = np.stack([kept for _, _, (_, kept, _) in reps])
        for name in reps[0][2][2]:
            arrays[f"mech_rep_{name}"] = np.stack([weights[name] for _, _, (_, _, weights) in reps])
    return arrays


def _mechanisms_from(arrays, tallies: list[tally.Tally]) -> None:
    """``_mechanism_arrays`` read back into ``tallies`` (nothing from a part saved before mechanisms were kept)."""
    for g, c, i, s, *key in arrays["mech_found"].tolist() if "mech_found" in arrays else ():
        tallies[g].mechanisms[tuple(key)] = [c, i, s]
    names = [k[len("mech_rep_") :] for k in arrays if k.startswith("mech_rep_W") or k.startswith("mech_rep_b")]
    for j, (g, *key) in enumerate(arrays["mech_rep_rows"].tolist() if "mech_rep_rows" in arrays else ()):
        weights = {k: arrays[f"mech_rep_{k}"][j] for k in names}
        tallies[g].represent(tuple(key), int(arrays["mech_rep_index"][j]), arrays["mech_rep_kept"][j], weights)


def from_arrays(arrays) -> tuple[list[tally.Tally], dict]:
    """``to_arrays`` read back: (tallies, firsts), equal to those it was given."""
    tallies = []
    for g, outcomes in enumerate(arrays["outcomes"]):
        t = tally.Tally()
        t.outcomes = np.asarray(outcomes, np.int64)
        t.steps = np.asarray(arrays["steps"][g], np.int64)
        t.stops = np.asarray(arrays["stops"][g], np.int64) if arrays["has_stops"][g] else None
        tallies.append(t)
    for g, c, i, *key in arrays["found"].tolist():
        tallies[g].found[tuple(key)] = [c, i]
    names = [k[len("first_") :] for k in arrays if k.startswith("first_") and k not in ("first_rows", "first_index")]
    firsts = {
        (g, tuple(key)): (int(arrays["first_index"][j]), {k: arrays[f"first_{k}"][j] for k in names})
        for j, (g, *key) in enumerate(arrays["first_rows"].tolist())
    }
    _mechanisms_from(arrays, tallies)
    return tallies, firsts


def damage(arrays, cells: int, starts: int, shapes: dict) -> str | None:
    """What is wrong with ``arrays`` as ``to_arrays`` of a part that trained ``starts`` starts of ``cells`` settings,
    with weights of ``shapes`` (``model.param_shapes``), in words; None if they are whole. Checked before a merge
    adds them up: a file damaged on its way from another machine is named, never merged."""
    kinds = {"outcomes": "i", "steps": "i", "has_stops": "b", "stops": "i", "found": "i", "first_rows": "i"}
    kinds["first_index"] = "i"
    for name, kind in kinds.items():
        if name not in arrays:
            return f"no array {name!r}"
        if arrays[name].dtype.kind != kind:
            return f"{name} is {arrays[name].dtype}"
    outcomes, found, rows = arrays["outcomes"], arrays["found"], arrays["first_rows"]
    if outcomes.ndim != 2 or outcomes.shape[0] != cells:
        return f"outcomes has shape {list(outcomes.shape)}, the sweep has {cells} setting(s)"
    if int(outcomes.sum()) != starts or (outcomes < 0).any():
        return f"its outcomes count {int(outcomes.sum())} starts, the part trained {starts}"
    for name in ("steps", "stops"):
        if arrays[name].ndim != 2 or arrays[name].shape[0] != cells or (arrays[name] < 0).any():
            return f"{name} has shape {list(arrays[name].shape)}, not a row of counts per setting"
    if arrays["has_stops"].shape != (cells,):
        return f"has_stops has shape {list(arrays['has_stops'].shape)}, the sweep has {cells} setting(s)"
    if found.ndim != 2 or (len(found) and (found[:, 0].min() < 0 or found[:, 0].max() >= cells)):
        return "found names settings the sweep does not have"
    j = len(arrays["first_index"])
    if rows.ndim != 2 or len(rows) != j:
        return f"first_rows has shape {list(rows.shape)}, first_index {j} entries"
    for name, shape in shapes.items() if j else ():
        got = arrays.get(f"first_{name}")
        if got is None or got.shape != (j, *shape) or got.dtype.kind != "f":
            return f"first_{name} is {'missing' if got is None else f'{got.dtype}{list(got.shape)}'}"
    return None


def _padded(counts: list[np.ndarray]) -> np.ndarray:
    """Arrays of counts as the rows of one array, zero-padded (a zero counts nothing: the medians stay)."""
    out = np.zeros((len(counts), max((len(c) for c in counts), default=0)), np.int64)
    for row, c in zip(out, counts):
        row[: len(c)] = c
    return out


def _rows(rows: list[tuple]) -> np.ndarray:
    """Rows of integers as one int64 array; (0, 0) for none (their width is unknown then)."""
    return np.asarray(rows, np.int64) if rows else np.zeros((0, 0), np.int64)
