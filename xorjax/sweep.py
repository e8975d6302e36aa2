"""The sweep engine: thousands to millions of starts trained at once, and what became of each.

Starts are laid out along one axis (every weight an array over starts, see ``model``) and trained in chunks
of ``chunk`` starts per CPU core: one compiled call per chunk, the chunk split across the host's cores
(``use_all_cores``), the next chunk dispatched before the last one is read back. A chunk is small enough
for its working set to stay in the core's cache, so 100,000 starts run as fast per start as 1,000.

Start ``i`` runs exactly the code of a single run (``train.init_starts`` then ``train.train_starts``), so
the run ``python -m xorjax.run seed=<its seed>`` replays it bit for bit.

``run_starts`` keeps every start's outcome (outcome, steps, final cost, the atlas key: ~33 bytes a start);
``run_grid``, behind ``experiment=sweep``, keeps none: each chunk's inputs are made from the start index
(``Grid``) and its outcomes merged into one ``Tally`` per setting, so memory is bounded by the chunk and the
families found (~280 MB peak for 1,000,000 or 10,000,000 starts on the CPU). Either can hand every finished
chunk to a ``ChunkStore`` and take finished chunks back from it, which is how a killed sweep resumes.
"""

import math
import os
from functools import lru_cache
from typing import Callable, NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec as P

from xorjax import atlas, data, model, progress, train

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
SOLVED = train.STATUSES.index("solved")
# Nets not laid out as units keep every weight's array over the chunk's starts in memory through a step: their
# chunk is cut to at most this many weights (over its starts) per core, so that they stay in the core's cache.
# 2-10-10-10-1 then trains 142 starts a core at a time: 3.0 M net-steps/s, against 1.9 M with 320 and 1.3 M
# with 32 (2 cores).
CACHE_WEIGHTS = 32768


def use_all_cores() -> int:
    """Makes one JAX CPU device per core, so that a chunk's starts are trained on every core at once.

    JAX fixes its devices when its backend starts; after that (a reused multirun worker, a test) this
    changes nothing and the sweep runs on the devices there are. Returns how many that is.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        if jax.config.jax_num_cpu_devices < cores:
            jax.config.update("jax_num_cpu_devices", cores)
    except RuntimeError:
        pass
    return len(jax.local_devices())


class Starts(NamedTuple):
    """The outcome of every start (host arrays, start axis first)."""

    status: np.ndarray      # int8 index into train.STATUSES
    solved_at: np.ndarray   # int32 first step with accuracy 1.0, -1 if never
    stopped_at: np.ndarray | None  # int32 with a stop criterion: the step it was met, -1 if never
    final_loss: np.ndarray  # float32 (NaN if diverged)
    keys: np.ndarray | None  # (N, H + 1) atlas keys (one hidden layer only)
    firsts: dict            # {(group, key row): (start index, weights)} for solved starts


def grid(first_seed: int, seeds: int, lrs, scales) -> tuple[list, dict]:
    """The starts of a sweep over learning rates x init scales x seeds, setting by setting.

    Returns [(lr, scale) per group] and per-start arrays: seed, lr, scale and group (the setting's index).
    """
    cells = [(float(lr), float(s)) for lr in lrs for s in scales]
    n = len(cells) * seeds
    per = {"seed": np.tile(np.arange(first_seed, first_seed + seeds, dtype=np.int64), len(cells)),
           "group": np.repeat(np.arange(len(cells)), seeds)}
    per["lr"] = np.asarray([c[0] for c in cells], np.float32)[per["group"]]
    per["scale"] = np.asarray([c[1] for c in cells], np.float32)[per["group"]]
    assert len(per["seed"]) == n
    return cells, per


def _out_specs(hidden):
    """Final weights keep the start axis last: W (in, out, N) and b (out, N)."""
    specs = {k: P(*([None] * len(shape)), "d") for k, shape in model.param_shapes(hidden).items()}
    return specs, P("d"), P("d"), P("d"), P("d")


@lru_cache(maxsize=32)
def compile_chunk(init: Callable, hidden, spec: train.Spec, devices: tuple):
    """One compiled call: ``init(inputs)`` builds the chunk's starts, then the training of a single run
    (``train.train_starts``), then each start's outcome; split over ``devices`` along the start axis."""

    def body(inputs, lrs, X, Y):
        params = init(inputs)
        final, trained = train.train_starts_uncompiled(params, lrs, X, Y, spec)
        stopped = trained.stopped_at if trained.stopped_at is not None else trained.solved_at
        return final, train.status(trained, Y).astype(jnp.int8), trained.solved_at, stopped, trained.final_loss

    mesh = Mesh(np.asarray(devices), ("d",))
    # check_vma off: the carried start arrays of a single run's scan are created inside the body.
    return jax.jit(jax.shard_map(body, mesh=mesh, in_specs=(P("d"), P("d"), P(), P()),
                                 out_specs=_out_specs(hidden), check_vma=False),
                   compiler_options=train.COMPILER_OPTIONS)  # as a single run's, so start i is that run


class ChunkStore(Protocol):
    """Where finished chunks are kept, so that a killed sweep resumes without recomputing them (the engine
    itself does no I/O; ``experiments/sweep.py`` keeps them as files in the run folder)."""

    def finished(self) -> dict[int, int]: ...            # {lo: hi} of every chunk [lo, hi) already done
    def load(self, lo: int, hi: int) -> dict: ...         # a chunk's arrays, as given to ``save``
    def save(self, lo: int, hi: int, arrays: dict) -> None: ...


def plan(n: int, size: int, finished: dict[int, int]) -> list[tuple[int, int, bool]]:
    """The chunks [lo, hi) that cover starts 0..n-1, each with whether it is finished already: finished chunks
    as they are, the gaps between them cut into pieces of at most ``size``. So a sweep resumed with another
    chunk size or on another number of devices still reuses every finished chunk."""
    out, lo, firsts = [], 0, sorted(finished)
    while lo < n:
        if lo in finished and lo < finished[lo] <= n:
            out.append((lo, finished[lo], True))
            lo = finished[lo]
            continue
        hi = min(lo + size, n, min((f for f in firsts if f > lo), default=n))
        out.append((lo, hi, False))
        lo = hi
    return out


class Grid:
    """The starts of ``grid`` (settings one after the other, ``seeds`` starts each) without a per-start array:
    start i is seed ``first_seed + i % seeds`` of setting ``i // seeds``. A chunk's inputs are made when it is
    trained, so a sweep's memory does not grow with its number of starts."""

    def __init__(self, first_seed: int, seeds: int, cells: list):
        self.first_seed, self.seeds, self.cells = first_seed, seeds, cells
        self.lrs = np.asarray([c[0] for c in cells], np.float32)
        self.scales = np.asarray([c[1] for c in cells], np.float32)

    def __len__(self) -> int:
        return len(self.cells) * self.seeds

    def seed(self, i: int) -> int:
        return self.first_seed + i % self.seeds

    def part(self, lo: int, hi: int) -> tuple[dict, np.ndarray, np.ndarray]:
        """Starts lo..hi-1 as ``grid`` lays them out: ({seed, scale}, lr, group)."""
        i = np.arange(lo, hi, dtype=np.int64)
        g = i // self.seeds
        return {"seed": self.first_seed + i % self.seeds, "scale": self.scales[g]}, self.lrs[g], g


def run_starts(inputs: dict, lrs: np.ndarray, init: Callable, hidden, spec: train.Spec, *,
               activation: str = "sigmoid", group: np.ndarray | None = None, chunk: int = 8192,
               desc: str = "sweep", show: bool | None = None, store: ChunkStore | None = None) -> Starts:
    """Trains ``len(lrs)`` starts; ``inputs`` holds per-start arrays (start axis first) that ``init``
    (traced inside the compiled call) turns into parameters with the start axis last. Returns every start's
    outcome (for a sweep too large to keep them, ``run_grid``)."""
    n = len(lrs)
    group = np.zeros(n, np.int64) if group is None else group
    one_layer = len(hidden) == 1
    out = Starts(np.empty(n, np.int8), np.empty(n, np.int32),
                 np.empty(n, np.int32) if spec.stop_below > 0 else None, np.empty(n, np.float32),
                 np.empty((n, hidden[0] + 1), np.int64) if one_layer else None, {})

    def part(lo, hi):
        return {k: v[lo:hi] for k, v in inputs.items()}, lrs[lo:hi], group[lo:hi]

    def keep(lo, hi, arrays, _):
        for k in ("status", "solved_at", "stopped_at", "final_loss", "keys"):
            if getattr(out, k) is not None:
                getattr(out, k)[lo:hi] = arrays[k]
        merge_firsts(out.firsts, arrays, hidden)

    train_chunks(n, part, keep, init, hidden, spec, activation=activation, chunk=chunk, desc=desc, show=show,
                 store=store)
    return out


def run_grid(starts: Grid, init: Callable, hidden, spec: train.Spec, *, activation: str = "sigmoid",
             chunk: int = 8192, desc: str = "sweep", show: bool | None = None,
             store: ChunkStore | None = None) -> tuple[list["Tally"], dict]:
    """Trains the starts of a ``Grid`` keeping only each setting's ``Tally`` and the weights of every family's
    first start (``Starts.firsts``): memory bounded by the chunk and the number of families, whatever the
    number of starts. The per-start outcomes go to the ``store`` if any."""
    tallies, firsts = [Tally() for _ in starts.cells], {}

    def keep(lo, hi, arrays, group):
        for g in np.unique(group).tolist():
            rows = np.flatnonzero(group == g)
            tallies[g].add(lo + rows, arrays["status"][rows], arrays["solved_at"][rows],
                           arrays["stopped_at"][rows] if "stopped_at" in arrays else None,
                           arrays["keys"][rows] if "keys" in arrays else None)
        merge_firsts(firsts, arrays, hidden)

    train_chunks(len(starts), starts.part, keep, init, hidden, spec, activation=activation, chunk=chunk,
                 desc=desc, show=show, store=store)
    return tallies, firsts


def per_core(chunk: int, hidden) -> int:
    """The starts a core trains in one call: ``sweep.chunk``, cut for nets not laid out as units so that the
    chunk's weights stay in the core's cache (``CACHE_WEIGHTS``)."""
    if set(model.layouts(hidden)) == {"units"}:
        return chunk
    return min(chunk, max(1, CACHE_WEIGHTS // sum(math.prod(s) for s in model.param_shapes(hidden).values())))


def train_chunks(n: int, part: Callable, keep: Callable, init: Callable, hidden, spec: train.Spec, *,
                 activation: str, chunk: int, desc: str, show: bool | None, store: ChunkStore | None) -> None:
    """Trains starts 0..n-1 chunk by chunk; ``part(lo, hi)`` gives the inputs, learning rates and groups of
    starts lo..hi-1, ``keep(lo, hi, arrays, group)`` receives each chunk's outcomes, in order.

    A chunk's starts are sharded over all local devices; every start is computed by the same elementwise code
    whatever its shard, so the outcomes do not depend on the number of devices (or the chunk size), bit for
    bit. With a ``store``, finished chunks are read from it instead of trained, and each newly trained chunk is
    saved to it as soon as it is back on the host."""
    devices = jax.local_devices()
    chunk = per_core(chunk, hidden)
    size = min(chunk * len(devices), -(-n // len(devices)) * len(devices))  # a multiple of the devices
    call = compile_chunk(init, tuple(hidden), spec, tuple(devices))
    one_layer = len(hidden) == 1
    chunks = plan(n, size, store.finished() if store is not None else {})

    def dispatch(lo, hi):
        inputs, lrs, _ = part(lo, hi)
        pad = np.minimum(np.arange(size), hi - lo - 1)  # a short chunk is padded with its last start
        return call({k: v[pad] for k, v in inputs.items()}, lrs[pad], data.X, data.Y)

    def arrays_of(lo, hi, result, group) -> dict:
        """A trained chunk's per-start outcomes, and the weights of its first start of every family."""
        final, status, solved_at, stopped_at, final_loss = jax.device_get(result)
        m = hi - lo
        arrays = {"status": status[:m], "solved_at": solved_at[:m], "final_loss": final_loss[:m]}
        if spec.stop_below > 0:
            arrays["stopped_at"] = stopped_at[:m]
        if one_layer:
            final = {k: v[..., :m] for k, v in final.items()}
            arrays["keys"] = atlas.keys(*atlas.tables(final, activation))
            firsts = {}
            remember_firsts(firsts, arrays["keys"], group, status[:m] == SOLVED, lo, final)
            arrays["first_rows"] = np.asarray([(g, *key) for g, key in firsts], np.int64).reshape(-1, hidden[0] + 2)
            arrays["first_index"] = np.asarray([i for i, _ in firsts.values()], np.int64)
            for k, shape in model.param_shapes(hidden).items():
                arrays[f"first_{k}"] = np.asarray([w[k] for _, w in firsts.values()], np.float32).reshape(-1, *shape)
        return arrays

    def finish(item):
        lo, hi, done, result = item
        group = part(lo, hi)[2]
        if done:
            arrays = store.load(lo, hi)
        else:
            arrays = arrays_of(lo, hi, result, group)
            if store is not None:
                store.save(lo, hi, arrays)
        keep(lo, hi, arrays, group)

    with progress.bar(total=n, desc=desc, unit="start", show=show) as advance:
        pending = None
        for lo, hi, done in chunks:
            # A chunk to train is queued behind the running one: the cores never wait for the host.
            nxt = (lo, hi, done, None if done else dispatch(lo, hi))
            if pending is not None:
                finish(pending)
                advance(pending[1] - pending[0])
            pending = nxt
        finish(pending)
        advance(pending[1] - pending[0])


def merge_firsts(firsts: dict, arrays: dict, hidden) -> None:
    """Adds a chunk's first start of every (group, family) to ``firsts``; chunks come in order, so the first
    start of a family is the first one kept."""
    if "first_rows" not in arrays:
        return
    names = model.param_shapes(hidden)
    for j, row in enumerate(arrays["first_rows"].tolist()):
        key = (row[0], tuple(row[1:]))
        if key not in firsts:
            firsts[key] = (int(arrays["first_index"][j]), {k: arrays[f"first_{k}"][j] for k in names})


def remember_firsts(firsts: dict, keys, group, solved, offset: int, final: dict) -> None:
    """Keeps the weights of the first solved start of every (group, family) seen."""
    idx = np.flatnonzero(solved)
    if not len(idx):
        return
    rows = np.concatenate([group[idx, None], keys[idx]], axis=1)
    uniq, first = np.unique(rows, axis=0, return_index=True)
    for row, i in zip(map(tuple, uniq.tolist()), idx[first]):
        key = (row[0], row[1:])
        if key not in firsts:
            # A copy: a view would keep the whole chunk's weights alive.
            firsts[key] = (offset + int(i), {k: np.array(v[..., i]) for k, v in final.items()})


@lru_cache(maxsize=32)
def sweep_init(hidden: tuple, init: str):
    """``init(inputs)`` for seeds x scales: exactly the initialiser of a single run. Cached, so that a
    second sweep of the same model reuses the compiled call."""
    return lambda inputs: train.init_starts(inputs["seed"], hidden, init, inputs["scale"])


# --- statistics -------------------------------------------------------------------------------------

def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95% by default); sound near 0 and 1, unlike
    p +- z sqrt(p(1-p)/n)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # Exactly 0 and 1 at the ends, where rounding would leave 1e-17 and 1 - 1e-16.
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)


class Tally:
    """One setting's outcomes merged chunk by chunk: what ``statistics`` and ``families`` report, kept in
    memory that grows with the steps and the families found, never with the starts. Exact: the medians are
    read from counts of every step, and a family's first start is the first one added (chunks come in order).
    """

    def __init__(self):
        self.outcomes = np.zeros(len(train.STATUSES), np.int64)
        self.steps = np.zeros(0, np.int64)   # solved starts by the step they first had accuracy 1.0
        self.stops = None                    # with a stop criterion: solved starts by stopped_at + 1 (-1 -> 0)
        self.found = {}                      # the solved starts' atlas key -> [count, first start]

    def add(self, index, status, solved_at, stopped_at=None, keys=None) -> None:
        """Starts ``index`` (increasing) with their outcomes (start axis first)."""
        self.outcomes += np.bincount(status.astype(np.int64), minlength=len(train.STATUSES))
        solved = status == SOLVED
        self.steps = _count(self.steps, solved_at[solved & (solved_at >= 0)])
        if stopped_at is not None:
            self.stops = _count(np.zeros(0, np.int64) if self.stops is None else self.stops,
                                stopped_at[solved].astype(np.int64) + 1)
        idx = np.flatnonzero(solved)
        if keys is not None and len(idx):
            uniq, first, counts = np.unique(keys[idx], axis=0, return_index=True, return_counts=True)
            for key, i, c in zip(map(tuple, uniq.tolist()), np.asarray(index)[idx[first]], counts):
                self.found.setdefault(key, [0, int(i)])[0] += int(c)

    def statistics(self) -> dict:
        """Success rate (share solved) with its 95% Wilson interval, median steps to accuracy 1.0 (and to
        the stop criterion), and the count of every outcome."""
        n, k = int(self.outcomes.sum()), int(self.outcomes[SOLVED])
        lo, hi = wilson(k, n)
        stats = {"seeds": n, "success_rate": k / n if n else 0.0, "ci95": [lo, hi], "median_steps": _median(self.steps),
                 "outcomes": {s: int(self.outcomes[i]) for i, s in enumerate(train.STATUSES)}}
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
            out.append({"hidden_gates": [atlas.gate_name(t) for t in f.hidden],
                        "output_gate": atlas.output_name(f.output), "family": atlas.describe(f),
                        "class": atlas.describe(atlas.canonical(f, model.ACTIVATIONS[activation].flips)),
                        "count": c, "share": c / total, "first_start": i, "key": list(key)})
        return sorted(out, key=lambda d: (-d["count"], d["family"]))



def _count(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``counts`` (of every value 0, 1, ...) with ``values`` added."""
    more = np.bincount(values.astype(np.int64), minlength=len(counts))
    more[:len(counts)] += counts
    return more


def _median(counts: np.ndarray) -> float | None:
    """np.median of the values that ``counts`` counts, exactly: the middle one, or the mean of the two."""
    n = int(counts.sum())
    if not n:
        return None
    cum = np.cumsum(counts)
    a, b = np.searchsorted(cum, [(n - 1) // 2, n // 2], side="right")
    return (float(a) + float(b)) / 2


def tally(starts: Starts, where: np.ndarray) -> Tally:
    """The ``Tally`` of the starts selected by ``where``."""
    t, idx = Tally(), np.flatnonzero(where)
    t.add(idx, starts.status[idx], starts.solved_at[idx], None if starts.stopped_at is None else starts.stopped_at[idx],
          None if starts.keys is None else starts.keys[idx])
    return t


def statistics(starts: Starts, where: np.ndarray) -> dict:
    """``Tally.statistics`` of the starts selected by ``where``."""
    return tally(starts, where).statistics()


def families(starts: Starts, where: np.ndarray, activation: str = "sigmoid") -> list[dict]:
    """``Tally.families`` of the starts selected by ``where`` ([] with more than one hidden layer)."""
    return [] if starts.keys is None else tally(starts, where).families(activation)


def classes(fams: list[dict]) -> list[dict]:
    """Families grouped by symmetry class, most frequent first; a class's representative (``seed``,
    ``weights`` when the families have them) is that of its most frequent family."""
    total = sum(f["count"] for f in fams)
    by = {}
    for f in sorted(fams, key=lambda f: -f["count"]):
        c = by.setdefault(f["class"], {"class": f["class"], "count": 0, "families": 0,
                                       **{k: f[k] for k in ("seed", "weights") if k in f}})
        c["count"] += f["count"]
        c["families"] += 1
    return sorted(({**c, "share": c["count"] / total} for c in by.values()), key=lambda d: (-d["count"], d["class"]))
