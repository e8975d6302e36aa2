"""The sweep engine: thousands to millions of starts trained at once, and what became of each.

Starts are laid out along one axis (every weight an array over starts, see ``model``) and trained in chunks
of ``chunk`` starts per CPU core: one compiled call per chunk, the chunk split across the host's cores
(``use_all_cores``), the next chunk dispatched before the last one is read back. A chunk is small enough
for its working set to stay in the core's cache, so 100,000 starts run as fast per start as 1,000.

Start ``i`` runs exactly the code of a single run (``train.init_starts`` then ``train.train_starts``), so
the run ``python -m xorjax.run seed=<its seed>`` replays it bit for bit.

Only what the report needs is kept per start (outcome, steps, final cost, the atlas key), plus the weights
of the first start of every family: a million starts fit in well under 2 GiB.
"""

import math
import os
from functools import lru_cache
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec as P

from xorjax import atlas, data, model, progress, train

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


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


class Setting(NamedTuple):
    """One cell of a sweep: its statistics are reported separately."""

    hidden: tuple
    lr: float
    init_scale: float


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


def run_starts(inputs: dict, lrs: np.ndarray, init: Callable, hidden, spec: train.Spec, *,
               activation: str = "sigmoid", group: np.ndarray | None = None, chunk: int = 8192,
               desc: str = "sweep", show: bool | None = None) -> Starts:
    """Trains ``len(lrs)`` starts; ``inputs`` holds per-start arrays (start axis first) that ``init``
    (traced inside the compiled call) turns into parameters with the start axis last."""
    n = len(lrs)
    group = np.zeros(n, np.int64) if group is None else group
    devices = jax.local_devices()
    size = min(chunk * len(devices), -(-n // len(devices)) * len(devices))  # a multiple of the devices
    call = compile_chunk(init, tuple(hidden), spec, tuple(devices))
    one_layer = len(hidden) == 1
    out = Starts(np.empty(n, np.int8), np.empty(n, np.int32),
                 np.empty(n, np.int32) if spec.stop_below > 0 else None, np.empty(n, np.float32),
                 np.empty((n, hidden[0] + 1), np.int64) if one_layer else None, {})

    def dispatch(lo):
        hi = min(lo + size, n)
        take = np.minimum(np.arange(lo, lo + size), n - 1)  # the last chunk is padded with its last start
        chunk_inputs = {k: v[take] for k, v in inputs.items()}
        return lo, hi, call(chunk_inputs, lrs[take], data.X, data.Y)

    def collect(lo, hi, result):
        final, status, solved_at, stopped_at, final_loss = jax.device_get(result)
        m = hi - lo
        out.status[lo:hi], out.solved_at[lo:hi], out.final_loss[lo:hi] = status[:m], solved_at[:m], final_loss[:m]
        if out.stopped_at is not None:
            out.stopped_at[lo:hi] = stopped_at[:m]
        if one_layer:
            final = {k: v[..., :m] for k, v in final.items()}
            keys = atlas.keys(*atlas.tables(final, activation))
            out.keys[lo:hi] = keys
            remember_firsts(out.firsts, keys, group[lo:hi], status[:m] == 0, lo, final)

    with progress.bar(total=n, desc=desc, unit="start", show=show) as advance:
        pending = None
        for lo in range(0, n, size):
            nxt = dispatch(lo)  # queued behind the running chunk: the cores never wait for the host
            if pending is not None:
                collect(*pending)
                advance(pending[1] - pending[0])
            pending = nxt
        collect(*pending)
        advance(pending[1] - pending[0])
    return out


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


def statistics(starts: Starts, where: np.ndarray) -> dict:
    """Success rate (share solved) with its 95% Wilson interval, median steps to accuracy 1.0 (and to the
    stop criterion), and the count of every outcome, over the starts selected by ``where``."""
    status = starts.status[where]
    n, solved = len(status), status == train.STATUSES.index("solved")
    k = int(np.sum(solved))
    lo, hi = wilson(k, n)
    steps = starts.solved_at[where][solved & (starts.solved_at[where] >= 0)]
    stats = {"seeds": n, "success_rate": k / n if n else 0.0, "ci95": [lo, hi],
             "median_steps": float(np.median(steps)) if len(steps) else None,
             "outcomes": {s: int(np.sum(status == i)) for i, s in enumerate(train.STATUSES)}}
    if starts.stopped_at is not None:
        stop = starts.stopped_at[where][solved]
        stats["median_stop_step"] = float(np.median(stop)) if len(stop) else None
    return stats


def families(starts: Starts, where: np.ndarray, activation: str = "sigmoid") -> list[dict]:
    """The solved starts' families (raw hidden gates + output gate) and their symmetry classes, most
    frequent first; each with the index of its first start."""
    if starts.keys is None:
        return []
    solved = where & (starts.status == train.STATUSES.index("solved"))
    idx = np.flatnonzero(solved)
    if not len(idx):
        return []
    uniq, first, counts = np.unique(starts.keys[idx], axis=0, return_index=True, return_counts=True)
    out = []
    for key, i, c in zip(uniq.tolist(), idx[first], counts):
        f = atlas.family(key)
        out.append({"hidden_gates": [atlas.gate_name(t) for t in f.hidden], "output_gate": atlas.output_name(f.output),
                    "family": atlas.describe(f), "class": atlas.describe(atlas.canonical(f, atlas.FLIPS[activation])),
                    "count": int(c), "share": int(c) / len(idx), "first_start": int(i), "key": key})
    return sorted(out, key=lambda d: (-d["count"], d["family"]))


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
