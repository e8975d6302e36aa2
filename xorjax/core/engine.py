"""The sweep engine: thousands to millions of starts trained at once, and what became of each.

Starts are laid out along one axis (every weight an array over starts, see ``model``) and trained in chunks
of ``chunk`` starts per CPU core: one compiled call per chunk, the chunk split across the host's cores
(``devices``), the next chunk dispatched before the last one is read back. A chunk is small enough
for its working set to stay in the core's cache, so 100,000 starts run as fast per start as 1,000.

Start ``i`` runs exactly the code of a single run (``descent.init_starts`` then ``descent.train_starts``), so
the run ``python -m xorjax.run seed=<its seed>`` replays it bit for bit.

Every chunk's solved starts are reduced to their essential units on the host (``mechanism.analyse``) while the
next chunk trains; their mechanisms are counted like the outcomes.

``run_starts`` keeps every start's outcome (outcome, steps, final cost, the atlas key: ~33 bytes a start);
``run_grid``, behind ``experiment=sweep``, keeps none: each chunk's inputs are made from the start index
(``Grid``) and its outcomes merged into one ``tally.Tally`` per setting, so memory is bounded by the chunk and the
families found (~280 MB peak for 1,000,000 or 10,000,000 starts on the CPU). Either can hand every finished
chunk to a ``ChunkStore`` and take finished chunks back from it, which is how a killed sweep resumes.
"""

import math
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P

from xorjax.core import atlas, data, descent, mechanism, model, tally

SOLVED = descent.STATUSES.index("solved")
# Nets not laid out as units keep every weight's array over the chunk's starts in memory through a step: their
# chunk is cut to at most this many weights (over its starts) per core, by layout. Measured on 2 cores (whole
# sweeps, warm cache, interleaved): a 10,000-start 2-10-10-10-1 sweep (sums, 261 weights) took 92-94 s at 65,536
# (251 starts a core), 103-104 s at 32,768, 90 s at 131,072 (which pads a sweep just over a chunk by up to a whole
# chunk); 2-12-12-1, 3,000 starts, 21.6 s against 22.4 s. A net with a matrix layer trains its starts one at a
# time (``descent``): 2-32-32-1, 1,000 starts, took 28.1 s at 32,768 (27 starts a core), 30.7 s at 65,536.
CACHE_WEIGHTS = {"sums": 65536, "matrix": 32768}
# A sweep takes two steps per loop iteration (``descent.Spec.pair``) from this much work on: starts x steps x weights.
# The pair compiles 0.8 s (2-2-1) to 2.5 s (2-10-10-10-1) longer, and makes a step 0-8% faster on this machine (it was
# 1.1-1.4x on others). Measured on 2 cores: 1,000 2-2-1 starts x 10,001 steps (9e7) lost 0.8 s by it; 10,000
# 2-10-10-10-1 starts (2.6e10) broke even.
PAIR_WORK = 4e9


class Starts(NamedTuple):
    """The outcome of every start (host arrays, start axis first)."""

    status: np.ndarray  # int8 index into descent.STATUSES
    solved_at: np.ndarray  # int32 first step with accuracy 1.0, -1 if never
    stopped_at: np.ndarray | None  # int32 with a stop criterion: the step it was met, -1 if never
    final_loss: np.ndarray  # float32 (NaN if diverged)
    keys: np.ndarray | None  # (N, H + 1) atlas keys (one hidden layer only)
    firsts: dict  # {(group, key row): (start index, weights)} for solved starts
    # With ``run_starts(..., finals=True)``: every start's final parameters, and those recorded nearest 90% of
    # the run (``descent.late_record``), {"W1": (in, out, N), ...}: where each start ended, and how it got there.
    final: dict | None = None
    late: dict | None = None


def _out_specs(hidden, late: bool):
    """Final (and late) weights keep the start axis last: W (in, out, N) and b (out, N)."""
    specs = {k: P(*([None] * len(shape)), "d") for k, shape in model.param_shapes(hidden).items()}
    return specs, (specs if late else {}), P("d"), P("d"), P("d"), P("d")


@lru_cache(maxsize=32)
def compile_chunk(init: Callable, hidden, spec: descent.Spec, devices: tuple):
    """One compiled call: ``init(inputs)`` builds the chunk's starts, then the training of a single run
    (``descent.train_starts``), then each start's outcome; split over ``devices`` along the start axis. With
    ``spec.record_weights``, the weights recorded nearest 90% of the run come back too (else ``{}``)."""

    def body(inputs, lrs, X, Y):
        params = init(inputs)
        final, trained = descent.train_starts_uncompiled(params, lrs, X, Y, spec)
        stopped = trained.stopped_at if trained.stopped_at is not None else trained.solved_at
        late = {}
        if spec.record_weights:
            at = descent.late_record(trained.loss.shape[0])
            late = {k: v[at] for k, v in trained.weights.items()}
        status = trained.status.astype(jnp.int8)
        return final, late, status, trained.solved_at, stopped, trained.final_loss

    mesh = Mesh(np.asarray(devices), ("d",))
    # check_vma off: the carried start arrays of a single run's scan are created inside the body.
    return jax.jit(
        jax.shard_map(
            body,
            mesh=mesh,
            in_specs=(P("d"), P("d"), P(), P()),
            out_specs=_out_specs(hidden, spec.record_weights),
            check_vma=False,
        ),
        compiler_options=descent.COMPILER_OPTIONS,
    )  # as a single run's, so start i is that run


class ChunkStore(Protocol):
    """Where finished chunks are kept, so that a killed sweep resumes without recomputing them (the engine
    itself does no I/O; ``experiments/sweep/chunk_store.py`` keeps them as files in the run folder)."""

    def finished(self) -> dict[int, int]: ...  # {lo: hi} of every chunk [lo, hi) already done
    def load(self, lo: int, hi: int) -> dict: ...  # a chunk's arrays, as given to ``save``
    def save(self, lo: int, hi: int, arrays: dict) -> None: ...


def plan(n: int, size: int, finished: dict[int, int], first: int = 0) -> list[tuple[int, int, bool]]:
    """The chunks [lo, hi) that cover starts first..n-1, each with whether it is finished already: finished chunks
    as they are, the gaps between them cut into pieces of at most ``size``. So a sweep resumed with another
    chunk size or on another number of devices still reuses every finished chunk."""
    out, lo, firsts = [], first, sorted(finished)
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
    """The starts of a sweep over learning rates x init scales x seeds: the settings ``cells`` (lr, scale) one
    after the other, ``seeds`` starts each, without a per-start array: start i is seed ``first_seed + i % seeds``
    of setting ``i // seeds``. A chunk's inputs are made when it is trained, so a sweep's memory does not grow
    with its number of starts."""

    def __init__(self, first_seed: int, seeds: int, lrs, scales):
        self.first_seed, self.seeds = first_seed, seeds
        self.cells = [(float(lr), float(s)) for lr in lrs for s in scales]
        # float64, so that precision=float64 trains at lr 0.1 itself; float32 runs round them as a single run does
        self.lrs = np.asarray([c[0] for c in self.cells], np.float64)
        self.scales = np.asarray([c[1] for c in self.cells], np.float64)

    def __len__(self) -> int:
        return len(self.cells) * self.seeds

    def seed(self, i: int) -> int:
        return self.first_seed + i % self.seeds

    def part(self, lo: int, hi: int) -> tuple[dict, np.ndarray, np.ndarray]:
        """Starts lo..hi-1: ({seed, scale}, lr, group) with the start axis first."""
        i = np.arange(lo, hi, dtype=np.int64)
        g = i // self.seeds
        return {"seed": self.first_seed + i % self.seeds, "scale": self.scales[g]}, self.lrs[g], g


def run_starts(
    inputs: dict,
    lrs: np.ndarray,
    init: Callable,
    hidden,
    spec: descent.Spec,
    *,
    activation: str = "sigmoid",
    group: np.ndarray | None = None,
    chunk: int = 8192,
    advance: Callable[[int], None] = lambda n: None,
    store: ChunkStore | None = None,
    finals: bool = False,
) -> Starts:
    """Trains ``len(lrs)`` starts; ``inputs`` holds per-start arrays (start axis first) that ``init``
    (traced inside the compiled call) turns into parameters with the start axis last. Returns every start's
    outcome (for a sweep too large to keep them, ``run_grid``), with ``finals`` its final and late weights."""
    n = len(lrs)
    group = np.zeros(n, np.int64) if group is None else group
    one_layer = len(hidden) == 1
    out = Starts(
        np.empty(n, np.int8),
        np.empty(n, np.int32),
        np.empty(n, np.int32) if spec.stop_below > 0 else None,
        np.empty(n, np.float32),
        np.empty((n, hidden[0] + 1), np.int64) if one_layer else None,
        {},
    )
    if finals:
        spec = spec._replace(record_weights=True)
        shapes = model.param_shapes(hidden)
        out = out._replace(
            **{w: {k: np.empty((*s, n), np.float64) for k, s in shapes.items()} for w in ("final", "late")}
        )

    def part(lo, hi):
        return {k: v[lo:hi] for k, v in inputs.items()}, lrs[lo:hi], group[lo:hi]

    def keep(lo, hi, arrays, _):
        for k in ("status", "solved_at", "stopped_at", "final_loss", "keys"):
            if getattr(out, k) is not None:
                getattr(out, k)[lo:hi] = arrays[k]
        for w in ("final", "late") if finals else ():
            for k, v in getattr(out, w).items():
                v[..., lo:hi] = arrays[f"{w}_{k}"]
        merge_firsts(out.firsts, arrays, hidden)

    train_chunks(n, part, keep, init, hidden, spec, activation=activation, chunk=chunk, advance=advance, store=store)
    return out


def run_grid(
    starts: Grid,
    init: Callable,
    hidden,
    spec: descent.Spec,
    *,
    activation: str = "sigmoid",
    chunk: int = 8192,
    advance: Callable[[int], None] = lambda n: None,
    store: ChunkStore | None = None,
    span: tuple[int, int] | None = None,
) -> tuple[list[tally.Tally], dict]:
    """Trains the starts of a ``Grid`` keeping only each setting's ``Tally`` and the weights of every family's
    first start (``Starts.firsts``): memory bounded by the chunk and the number of families, whatever the
    number of starts. The per-start outcomes go to the ``store`` if any. ``span`` (lo, hi): only starts lo..hi-1,
    as in the whole grid (one part of a sweep, see ``parts``)."""
    tallies, firsts = [tally.Tally() for _ in starts.cells], {}
    first, end = span or (0, len(starts))

    def keep(lo, hi, arrays, group):
        for g in np.unique(group).tolist():
            rows = np.flatnonzero(group == g)
            tallies[g].add(
                lo + rows,
                arrays["status"][rows],
                arrays["solved_at"][rows],
                arrays["stopped_at"][rows] if "stopped_at" in arrays else None,
                arrays["keys"][rows] if "keys" in arrays else None,
            )
            tallies[g].add_mechanisms(lo + rows, arrays["mechanisms"][rows], arrays["saturated"][rows])
        merge_firsts(firsts, arrays, hidden)
        for j, (g, *key) in enumerate(arrays["mech_first_rows"].tolist()):
            tallies[g].represent(
                tuple(key),
                int(arrays["mech_first_index"][j]),
                arrays["mech_first_kept"][j],
                {k: arrays[f"mech_first_{k}"][j] for k in model.param_shapes(hidden)},
            )

    train_chunks(
        end,
        starts.part,
        keep,
        init,
        hidden,
        spec,
        activation=activation,
        chunk=chunk,
        advance=advance,
        store=store,
        first=first,
    )
    return tallies, firsts


def per_core(chunk: int, hidden) -> int:
    """The starts a core trains in one call: ``sweep.chunk``, cut for nets not laid out as units so that the
    chunk's weights stay in the core's cache (``CACHE_WEIGHTS``)."""
    layouts = set(model.layouts(hidden))
    if layouts == {"units"}:
        return chunk
    cap = CACHE_WEIGHTS["matrix" if "matrix" in layouts else "sums"]
    return min(chunk, max(1, cap // sum(math.prod(s) for s in model.param_shapes(hidden).values())))


def pairs(starts: int, hidden, steps: int) -> bool:
    """Whether a sweep of ``starts`` takes two steps per loop iteration (``PAIR_WORK``)."""
    return starts * steps * sum(math.prod(s) for s in model.param_shapes(hidden).values()) >= PAIR_WORK


def train_chunks(
    n: int,
    part: Callable,
    keep: Callable,
    init: Callable,
    hidden,
    spec: descent.Spec,
    *,
    activation: str,
    chunk: int,
    advance: Callable[[int], None],
    store: ChunkStore | None,
    first: int = 0,
) -> None:
    """Trains starts first..n-1 chunk by chunk; ``part(lo, hi)`` gives the inputs, learning rates and groups of
    starts lo..hi-1, ``keep(lo, hi, arrays, group)`` receives each chunk's outcomes, in order.

    A chunk's starts are sharded over all local devices; every start is computed by the same elementwise code
    whatever its shard, so the outcomes do not depend on the number of devices (or the chunk size), bit for
    bit. With a ``store``, finished chunks are read from it instead of trained, and each newly trained chunk is
    saved to it as soon as it is back on the host. ``advance(k)`` is called after each chunk's k starts are kept
    (between chunks, never from compiled code): the caller's progress bar (``output.progress.bar``), as ``core``
    draws nothing itself."""
    devices = jax.local_devices()
    chunk = per_core(chunk, hidden)
    size = min(chunk * len(devices), -(-(n - first) // len(devices)) * len(devices))  # a multiple of the devices
    spec = spec._replace(pair=pairs(n - first, hidden, spec.steps))
    call = compile_chunk(init, tuple(hidden), spec, tuple(devices))
    one_layer = len(hidden) == 1
    chunks = plan(n, size, store.finished() if store is not None else {}, first)

    def dispatch(lo, hi):
        inputs, lrs, _ = part(lo, hi)
        pad = np.minimum(np.arange(size), hi - lo - 1)  # a short chunk is padded with its last start
        return call({k: v[pad] for k, v in inputs.items()}, lrs[pad], data.X, data.Y)

    def arrays_of(lo, hi, result, group) -> dict:
        """A trained chunk's per-start outcomes, and the weights of its first start of every family."""
        final, late, status, solved_at, stopped_at, final_loss = jax.device_get(result)
        m = hi - lo
        arrays = {"status": status[:m], "solved_at": solved_at[:m], "final_loss": final_loss[:m]}
        for w, params in (("final", final), ("late", late)) if late else ():
            arrays.update({f"{w}_{k}": v[..., :m] for k, v in params.items()})
        if spec.stop_below > 0:
            arrays["stopped_at"] = stopped_at[:m]
        final = {k: v[..., :m] for k, v in final.items()}
        arrays.update(mechanisms_of(final, group, status[:m] == SOLVED, lo, hidden, activation))
        if one_layer:
            arrays["keys"] = atlas.keys(*atlas.tables(final, activation))
            firsts = {}
            remember_firsts(firsts, arrays["keys"], group, status[:m] == SOLVED, lo, final)
            arrays["first_rows"] = np.asarray([(g, *key) for g, key in firsts], np.int64).reshape(-1, hidden[0] + 2)
            arrays["first_index"] = np.asarray([i for i, _ in firsts.values()], np.int64)
            for k, shape in model.param_shapes(hidden).items():
                arrays[f"first_{k}"] = np.asarray([w[k] for _, w in firsts.values()], final[k].dtype).reshape(
                    -1, *shape
                )
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


def mechanisms_of(final: dict, group, solved, offset: int, hidden, activation: str) -> dict:
    """A chunk's mechanisms (``mechanism.analyse`` of its solved starts): every start's row (int32, -1 where none)
    and whether its essential units are saturated, and the first start of every (group, mechanism) with its kept
    units and weights (``mech_first_*``), as a chunk file keeps them."""
    a = mechanism.analyse(final, activation, where=solved)
    arrays = {"mechanisms": a.rows.astype(np.int32), "saturated": a.saturated}
    idx = np.flatnonzero(a.xor)
    rows = np.concatenate([np.asarray(group)[idx, None], a.rows[idx]], axis=1)
    uniq, first = np.unique(rows, axis=0, return_index=True)
    at = idx[first]
    arrays["mech_first_rows"] = uniq.reshape(-1, mechanism.row_width(hidden) + 1)
    arrays["mech_first_index"] = (offset + at).astype(np.int64)
    arrays["mech_first_kept"] = np.concatenate([k[:, at] for k in a.kept] or [np.zeros((0, len(at)), bool)]).T
    for k, v in final.items():
        arrays[f"mech_first_{k}"] = np.moveaxis(v[..., at], -1, 0).copy()
    return arrays


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
def sweep_init(hidden: tuple, init: str, precision: str = "float32"):
    """``init(inputs)`` for seeds x scales: exactly the initialiser of a single run. Cached, so that a
    second sweep of the same model reuses the compiled call."""
    return lambda inputs: descent.init_starts_uncompiled(inputs["seed"], hidden, init, inputs["scale"], precision)


@lru_cache(maxsize=8)
def given_init(precision: str = "float32"):
    """``init(inputs)`` for starts given as parameters (inputs {"W1": (N, in, out), ...}, start axis first)."""
    return lambda inputs: descent.in_precision({k: jnp.moveaxis(v, 0, -1) for k, v in inputs.items()}, precision)
