"""What a sweep found, merged chunk by chunk: the count of every outcome, the success rate with its interval,
the median steps, and the families of solutions (``Tally``), in memory that never grows with the starts."""

import numpy as np

from xorjax.core import atlas, descent, mechanism, model, shares

SOLVED = descent.STATUSES.index("solved")


class Tally:
    """One setting's outcomes merged chunk by chunk: what ``statistics`` and ``families`` report, kept in
    memory that grows with the steps and the families found, never with the starts. Exact: the medians are
    read from counts of every step, and a family's first start is the first one added (chunks come in order).
    """

    def __init__(self):
        self.outcomes = np.zeros(len(descent.STATUSES), np.int64)
        self.steps = np.zeros(0, np.int64)  # solved starts by the step they first had accuracy 1.0
        self.stops = None  # with a stop criterion: solved starts by stopped_at + 1 (-1 -> 0)
        self.found = {}  # the solved starts' atlas key -> [count, first start]
        # The solved starts' mechanism row (``mechanism``) -> [count, first start, starts with every essential unit
        # saturated], and its first start's (index, kept units (sum of the widths,) bool, weights).
        self.mechanisms = {}
        self.representatives = {}

    def add(self, index, status, solved_at, stopped_at=None, keys=None) -> None:
        """Starts ``index`` (increasing) with their outcomes (start axis first)."""
        self.outcomes += np.bincount(status.astype(np.int64), minlength=len(descent.STATUSES))
        solved = status == SOLVED
        self.steps = _count(self.steps, solved_at[solved & (solved_at >= 0)])
        if stopped_at is not None:
            self.stops = _count(
                np.zeros(0, np.int64) if self.stops is None else self.stops, stopped_at[solved].astype(np.int64) + 1
            )
        idx = np.flatnonzero(solved)
        if keys is not None and len(idx):
            uniq, first, counts = np.unique(keys[idx], axis=0, return_index=True, return_counts=True)
            for key, i, c in zip(map(tuple, uniq.tolist()), np.asarray(index)[idx[first]], counts):
                self.found.setdefault(key, [0, int(i)])[0] += int(c)

    def add_mechanisms(self, index, rows, saturated) -> None:
        """Starts ``index`` (increasing) with their mechanism rows (-1: not solved, or the reduced net not XOR)."""
        ok = rows[:, 0] >= 0
        if not ok.any():
            return
        idx = np.flatnonzero(ok)
        uniq, first, inverse, counts = np.unique(
            rows[idx], axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        sat = np.bincount(inverse.reshape(-1), weights=saturated[idx], minlength=len(uniq)).astype(np.int64)
        for key, i, c, s in zip(map(tuple, uniq.tolist()), np.asarray(index)[idx[first]], counts, sat):
            mine = self.mechanisms.setdefault(key, [0, int(i), 0])
            mine[0], mine[2] = mine[0] + int(c), mine[2] + int(s)

    def represent(self, key: tuple, index: int, kept: np.ndarray, weights: dict) -> None:
        """Keeps (index, kept, weights) as the mechanism's representative if it is its lowest start yet."""
        if key not in self.representatives or index < self.representatives[key][0]:
            self.representatives[key] = (int(index), kept, weights)

    def merge(self, other: "Tally") -> None:
        """Adds the starts ``other`` counted (another part of the same sweep, see ``parts``): every count adds
        up, so the medians of the sum are those of all the starts, and a family's first start is the earlier of
        the two. The sum is the same in any order."""
        self.outcomes += other.outcomes
        self.steps = _plus(self.steps, other.steps)
        if other.stops is not None:
            self.stops = _plus(np.zeros(0, np.int64) if self.stops is None else self.stops, other.stops)
        for key, (c, i) in other.found.items():
            mine = self.found.setdefault(key, [0, i])
            mine[0], mine[1] = mine[0] + c, min(mine[1], i)
        for key, (c, i, s) in other.mechanisms.items():
            mine = self.mechanisms.setdefault(key, [0, i, 0])
            mine[0], mine[1], mine[2] = mine[0] + c, min(mine[1], i), mine[2] + s
        for key, rep in other.representatives.items():
            self.represent(key, *rep)

    def statistics(self) -> dict:
        """Success rate (share solved) with its 95% Wilson interval, median steps to accuracy 1.0 (and to
        the stop criterion), and the count of every outcome."""
        n, k = int(self.outcomes.sum()), int(self.outcomes[SOLVED])
        lo, hi = shares.wilson(k, n)
        stats = {
            "seeds": n,
            "success_rate": k / n if n else 0.0,
            "ci95": [lo, hi],
            "median_steps": _median(self.steps),
            "outcomes": {s: int(self.outcomes[i]) for i, s in enumerate(descent.STATUSES)},
        }
        if self.stops is not None:
            m = _median(self.stops)
            stats["median_stop_step"] = None if m is None else m - 1
        return stats

    def families(self, activation: str = "sigmoid") -> list[dict]:
        """The solved starts' families (raw hidden gates + output gate) and their symmetry classes, most
        frequent first; each with the index of its first start."""
        total = sum(c for c, _ in self.found.values())
        out = []
        for key in sorted(self.found):  # np.unique's order, so that ties sort as they always did
            c, i = self.found[key]
            f = atlas.family(list(key))
            out.append(
                {
                    "hidden_gates": [atlas.gate_name(t) for t in f.hidden],
                    "output_gate": atlas.output_name(f.output),
                    "family": atlas.describe(f),
                    "class": atlas.describe(atlas.canonical(f, model.ACTIVATIONS[activation].flips)),
                    "count": c,
                    "share": c / total,
                    "first_start": i,
                    "key": list(key),
                }
            )
        return sorted(out, key=lambda d: (-d["count"], d["family"]))

    def mechanism_list(self, hidden) -> list[dict]:
        """The solved starts' mechanisms, most frequent first (ties by name): each with its name, essential units
        per layer, count, share of the solved starts, the share of those whose essential units are saturated, and
        its first start (``first_start``, with ``row``: its key)."""
        solved = int(self.outcomes[SOLVED])
        out = []
        for key, (c, i, s) in self.mechanisms.items():
            units, _, _ = mechanism.layers_of(key, hidden)
            out.append(
                {
                    "mechanism": mechanism.describe(key, hidden),
                    "units": units,
                    "count": c,
                    "share": c / solved,
                    "saturated": s / c,
                    "first_start": i,
                    "row": list(key),
                }
            )
        return sorted(out, key=lambda d: (-d["count"], d["mechanism"]))

    def essential_units(self, hidden) -> dict:
        """Solved starts by their essential units per layer ("2", "2-1-1"), the most frequent first (ties: fewer
        units first)."""
        by = {}
        for key, (c, _, _) in self.mechanisms.items():
            by[tuple(key[: len(hidden)])] = by.get(tuple(key[: len(hidden)]), 0) + c
        return {"-".join(map(str, k)): by[k] for k in sorted(by, key=lambda k: (-by[k], sum(k), k))}


def _count(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``counts`` (of every value 0, 1, ...) with ``values`` added."""
    more = np.bincount(values.astype(np.int64), minlength=len(counts))
    more[: len(counts)] += counts
    return more


def _plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two arrays of counts of every value 0, 1, ..., added (the shorter one counts none of the higher values)."""
    out = np.zeros(max(len(a), len(b)), np.int64)
    out[: len(a)] += a
    out[: len(b)] += b
    return out


def _median(counts: np.ndarray) -> float | None:
    """np.median of the values that ``counts`` counts, exactly: the middle one, or the mean of the two."""
    n = int(counts.sum())
    if not n:
        return None
    cum = np.cumsum(counts)
    a, b = np.searchsorted(cum, [(n - 1) // 2, n // 2], side="right")
    return (float(a) + float(b)) / 2


def of_starts(starts, where: np.ndarray) -> Tally:
    """The ``Tally`` of the starts selected by ``where``."""
    t, idx = Tally(), np.flatnonzero(where)
    t.add(
        idx,
        starts.status[idx],
        starts.solved_at[idx],
        None if starts.stopped_at is None else starts.stopped_at[idx],
        None if starts.keys is None else starts.keys[idx],
    )
    return t


def statistics(starts, where: np.ndarray) -> dict:
    """``Tally.statistics`` of the starts selected by ``where``."""
    return of_starts(starts, where).statistics()


def families(starts, where: np.ndarray, activation: str = "sigmoid") -> list[dict]:
    """``Tally.families`` of the starts selected by ``where`` ([] with more than one hidden layer)."""
    return [] if starts.keys is None else of_starts(starts, where).families(activation)


def classes(fams: list[dict]) -> list[dict]:
    """Families grouped by symmetry class, most frequent first; a class's representative (``seed``,
    ``weights`` when the families have them) is that of its most frequent family."""
    total = sum(f["count"] for f in fams)
    by = {}
    for f in sorted(fams, key=lambda f: -f["count"]):
        c = by.setdefault(
            f["class"],
            {"class": f["class"], "count": 0, "families": 0, **{k: f[k] for k in ("seed", "weights") if k in f}},
        )
        c["count"] += f["count"]
        c["families"] += 1
    return sorted(({**c, "share": c["count"] / total} for c in by.values()), key=lambda d: (-d["count"], d["class"]))
