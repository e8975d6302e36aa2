"""The lecture's "can you find another w and b?", answered: train ``sweep.seeds`` starts for every learning
rate x init scale at once, say how often each setting finds XOR and how it fails, and list the different
solutions found.

Writes ``atlas.json`` (per setting: success rate with its 95% Wilson interval, outcomes, families and
classes), ``atlas.md`` (the same as tables), ``solutions/*.weights.json`` (one start per family, for
``experiment=handcrafted init=file init.path=...``) and two pictures. Start i is the run
``python -m xorjax.run seed=<seed + i>`` with the same settings (the replay command is in atlas.md).

Every finished chunk of starts is kept in ``chunks/`` (its per-start outcomes, see ``ChunkFiles``), so a sweep
stopped part way (Ctrl-C, SIGKILL, a lost job) is finished by the same command plus
``sweep.resume=<its run folder>``: the finished chunks are checked and read back, never trained again (a damaged
one is named and trained again), and the results are written into that folder, exactly those of a sweep never
stopped. A sweep that cannot write (a full disk) says how many chunks it kept and the command that resumes it.

One sweep can be split over many jobs (``sweep.parts=N sweep.part=K``, see ``core/parts.py``): a part trains one
block of the starts and leaves, besides its own atlas, ``tallies.npz`` and ``part.json``, all that a merge needs;
``finish_parts`` writes the whole sweep's files from them (``python -m xorjax.summary --merge``, or the multirun
callback), exactly those of the sweep run in one job.
"""

import dataclasses
import json
import logging
import textwrap
import time
from io import BytesIO
from pathlib import Path

import jax
import numpy as np

from xorjax import config
from xorjax.config import Config
from xorjax.core import descent, devices, engine, mechanism, model, parts, tally
from xorjax.errors import WriteError, XorjaxError
from xorjax.output import io, progress, tables

log = logging.getLogger(__name__)
MAX_SOLUTION_FILES = 24  # per setting: weights.json for the most frequent families, and mechanisms
PICTURED_MECHANISMS = 6  # solutions.png: the most common mechanisms, each by its representative's reduced net,
PICTURED_PER_ROW = 3  # this many to a row
CLASSES_SHOWN = 8  # per setting, in the console's table of classes (atlas.md and atlas.json hold all)
MECHANISMS_SHOWN = 10  # per setting, in the console's and atlas.md's tables of mechanisms (atlas.json holds all)


def check(cfg: Config) -> None:
    if cfg.init.name == "file":
        raise XorjaxError(
            "init=file is not allowed with a sweep: every start would be the same; choose init=normal or init=uniform"
        )
    if cfg.sweep.resume is not None:
        check_resume(cfg, Path(cfg.sweep.resume).expanduser())
        check_mechanisms_kept(cfg, Path(cfg.sweep.resume).expanduser())


def check_mechanisms_kept(cfg: Config, folder: Path) -> None:
    """Refuses, in one line, a resume of chunks kept before mechanisms were counted: they lack every start's
    mechanism (``engine.mechanisms_of``) and the weights it would take to find it again."""
    store = ChunkFiles(folder / CHUNKS)
    for lo, hi in store.finished().items():
        with np.load(store._path(lo, hi)) as f:
            if "mechanisms" not in f.files:
                raise XorjaxError(
                    f"sweep.resume={cfg.sweep.resume} is not allowed: its chunks were kept by an older xorjax, "
                    "without the mechanisms of their solved starts; run the sweep again without sweep.resume"
                )
        return


# --- finished chunks, and resuming ----------------------------------------------------------------------

CHUNKS = "chunks"
SETTINGS = "settings.json"
# What decides a start's outcome; the rest (chunk size, devices, logging, the folder) may change on resume.
RESULT_KEYS = (
    "seed",
    "precision",
    "steps",
    "loss",
    "batch",
    "log_every",
    "grad",
    "model",
    "optimizer",
    "init",
    "sweep.seeds",
    "sweep.lrs",
    "sweep.init_scales",
    "sweep.stop_sse",
    "sweep.parts",  # a part resumes as that part only; the merge groups parts by the rest (``merge_key``)
    "sweep.part",
)


def fingerprint(cfg: Config) -> dict:
    """The settings that decide the results, flat: {"steps": 11, "model.hidden": [2], ...}."""

    def flat(prefix, v):
        if isinstance(v, dict):
            return {k: x for key, val in v.items() for k, x in flat(f"{prefix}.{key}", val).items()}
        return {prefix: v}

    everything = flat("", dataclasses.asdict(cfg))
    return {
        k: v
        for k, v in ((k[1:], v) for k, v in everything.items())
        if any(k == r or k.startswith(r + ".") for r in RESULT_KEYS)
    }


# Settings that decide the results but were added after sweeps first kept their chunks: a folder whose
# settings.json lacks one ran with its default, so it still resumes.
ADDED_SINCE = {"precision": "float32", "sweep.parts": 1, "sweep.part": 0}


def check_resume(cfg: Config, folder: Path) -> None:
    """Refuses a resume of a folder that holds no sweep, or one run with other settings (one line each)."""
    saved = folder / CHUNKS / SETTINGS
    if not saved.is_file():
        raise XorjaxError(
            f"sweep.resume={cfg.sweep.resume} is not allowed: {saved} is missing, so that folder "
            "holds no sweep to resume (give the run folder of an interrupted experiment=sweep)"
        )
    io.check_writable(folder / CHUNKS)  # a resume writes there: a read-only disk is named before training
    try:
        kept = json.loads(saved.read_text())
    except (OSError, ValueError) as e:
        raise XorjaxError(
            f"sweep.resume={cfg.sweep.resume}: {saved} is damaged ({e}); nothing can be resumed"
        ) from None
    before, now = {**ADDED_SINCE, **kept}, fingerprint(cfg)
    for k in sorted(set(before) | set(now)):
        if before.get(k) != now.get(k):
            raise XorjaxError(
                f"sweep.resume={cfg.sweep.resume} is not allowed: that sweep ran with "
                f"{k}={before.get(k)}, this one has {k}={now.get(k)}; resume with the same settings"
            )


class ChunkFiles:
    """Finished chunks as ``chunks/<first start>-<end>.npz`` in the run folder: each chunk's per-start
    outcomes (status, solved_at, final_loss, keys, ...; start i of the sweep is row i - first) and the weights
    of its first start of every family. Each is written to a temporary name and then renamed, so a sweep
    killed at any moment leaves whole chunks only (``io.write_atomic``; a stray ``.*.tmp`` is ignored).

    With the sweep's settings ``cfg``, each file also holds its start range (``span``) and the settings'
    ``fingerprint``, and every file is checked before a resume trusts it (``damage``): one that cannot be read,
    lacks an array, has the wrong shape or dtype, another start range or other settings (a disk that filled up,
    a file overwritten or copied from another sweep) is named in one line, renamed to ``*.npz.damaged`` and its
    starts are trained again."""

    SPAN, STAMP = "span", "fingerprint"  # what a file says of itself, besides the engine's arrays

    def __init__(self, folder: Path, cfg: Config | None = None):
        self.folder = folder
        self.cfg = cfg
        self.stamp = None if cfg is None else json.dumps(fingerprint(cfg), sort_keys=True)
        self.checked = None  # {first start: end} of the files found whole, once checked
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, lo: int, hi: int) -> Path:
        return self.folder / f"{lo:010d}-{hi:010d}.npz"

    def finished(self) -> dict[int, int]:
        """{first start: end} of the chunks finished: with ``cfg``, of those found whole (checked once)."""
        if self.checked is not None:
            return dict(self.checked)
        found = {}
        for path in sorted(self.folder.glob("*-*.npz")):
            try:
                lo, hi = (int(x) for x in path.stem.split("-"))
            except ValueError:
                continue  # not a chunk's name
            problem = self.damage(path, lo, hi) if self.cfg is not None else None
            if problem is None:
                found[lo] = hi
                continue
            log.warning(f"xorjax: {path} is damaged ({problem}): its starts {lo}..{hi - 1} are trained again")
            try:
                path.replace(path.with_name(path.name + ".damaged"))
            except OSError:  # a folder that cannot be written: the new chunk fails to save with its own line
                pass
        if self.cfg is not None:
            self.checked = found
        return dict(found)

    def damage(self, path: Path, lo: int, hi: int) -> str | None:
        """What is wrong with the chunk file ``path`` of starts lo..hi-1, in words; None if it is whole."""
        first, end = parts.block(len(grid(self.cfg)), self.cfg.sweep.parts, self.cfg.sweep.part)
        if not first <= lo < hi <= end:
            return f"its starts lie outside this sweep's {first}..{end - 1}"
        try:
            with np.load(path) as f:
                arrays = {k: f[k] for k in f.files}
        except Exception as e:  # a zip cut short, overwritten, pickled data, a read error: all mean "unreadable"
            return f"not readable: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")
        if self.STAMP in arrays and str(arrays[self.STAMP]) != self.stamp:
            return "written by a sweep with other settings"
        if self.SPAN in arrays and arrays[self.SPAN].tolist() != [lo, hi]:
            return f"it holds starts {arrays[self.SPAN].tolist()}, not those of its name"
        for name, (kinds, shape) in chunk_layout(self.cfg, hi - lo).items():
            if name not in arrays:
                return f"no array {name!r}"
            a = arrays[name]
            rows = a.shape[0] if a.ndim else None
            want = tuple(rows if d is None else d for d in shape)  # None: the chunk's families, any number
            if a.dtype not in kinds or a.shape != want:
                return f"{name} is {a.dtype}{list(a.shape)}, a chunk of {hi - lo} starts has {kinds[0]}{list(want)}"
        if len({arrays[k].shape[0] for k in arrays if k.startswith("first_")}) > 1:
            return "its families' arrays have different lengths"
        return None

    def load(self, lo: int, hi: int) -> dict:
        with np.load(self._path(lo, hi)) as f:
            return {k: f[k] for k in f.files if k not in (self.SPAN, self.STAMP)}

    def save(self, lo: int, hi: int, arrays: dict) -> None:
        if "keys" in arrays:  # a unit's table in base 3: -1..80, so a byte holds it (an eighth of the disk)
            arrays = {**arrays, "keys": arrays["keys"].astype(np.int8)}
        if self.stamp is not None:
            arrays = {**arrays, self.SPAN: np.asarray([lo, hi], np.int64), self.STAMP: np.asarray(self.stamp)}
        buf = BytesIO()
        np.savez(buf, **arrays)
        io.write_atomic(self._path(lo, hi), buf.getvalue())
        if self.checked is not None:
            self.checked[lo] = hi


def chunk_layout(cfg: Config, m: int) -> dict[str, tuple[tuple, tuple]]:
    """The arrays a sweep's chunk of ``m`` starts holds (``engine.train_chunks``): name -> (the dtypes allowed,
    the shape; None where the number of families found goes)."""
    real = (np.dtype(cfg.precision),)
    layout = {
        "status": ((np.dtype(np.int8),), (m,)),
        "solved_at": ((np.dtype(np.int32),), (m,)),
        "final_loss": (real, (m,)),
    }
    if config.stop_below(cfg) > 0:
        layout["stopped_at"] = ((np.dtype(np.int32),), (m,))
    if len(cfg.model.hidden) == 1:
        units = cfg.model.hidden[0]
        # keys: int8 since chunks were made smaller; int64 in the chunks of sweeps kept before
        layout["keys"] = ((np.dtype(np.int8), np.dtype(np.int64)), (m, units + 1))
        layout["first_rows"] = ((np.dtype(np.int64),), (None, units + 2))
        layout["first_index"] = ((np.dtype(np.int64),), (None,))
        for name, shape in model.param_shapes(cfg.model.hidden).items():
            layout[f"first_{name}"] = (real, (None, *shape))
    return layout


def init_scale(cfg: Config) -> float:
    return cfg.init.stddev if cfg.init.name == "normal" else cfg.init.limit


def axes(cfg: Config) -> tuple[list[float], list[float]]:
    """The sweep's learning rates and init scales (by default the optimizer's lr, the init's own scale)."""
    return list(cfg.sweep.lrs or [cfg.optimizer.lr]), list(cfg.sweep.init_scales or [init_scale(cfg)])


def grid(cfg: Config) -> engine.Grid:
    """The sweep's starts: ``sweep.seeds`` seeds for every learning rate x init scale, whichever part trains them."""
    return engine.Grid(cfg.seed, cfg.sweep.seeds, *axes(cfg))


def describe(cfg: Config) -> str:
    init = {"normal": "N(0, s^2)", "uniform": "U(-s, s)"}.get(cfg.init.name, cfg.init.name)
    return (
        f"net 2-{'-'.join(map(str, cfg.model.hidden))}{'-' if cfg.model.hidden else ''}1 "
        f"{cfg.model.activation} | {cfg.optimizer.name} | {cfg.loss} | {cfg.batch} batch | {cfg.steps} steps"
        f" | init {init}"
        + (f" | stop at SSE < {cfg.sweep.stop_sse}" if cfg.sweep.stop_sse else "")
        + (f" | {cfg.precision}" if cfg.precision != "float32" else "")
    )


def replay(cfg: Config, lr: float, scale: float) -> str:
    """The command that trains one start of this setting alone (add seed=<its seed>)."""
    scale_key = "init.stddev" if cfg.init.name == "normal" else "init.limit"
    hidden = "[" + ",".join(map(str, cfg.model.hidden)) + "]"
    overrides = [
        f"model.hidden={hidden}",
        f"model.activation={cfg.model.activation}",
        f"loss={cfg.loss}",
        f"batch={cfg.batch}",
        f"optimizer={cfg.optimizer.name}",
        f"optimizer.lr={lr:g}",
        f"init={cfg.init.name}",
        f"{scale_key}={scale:g}",
        f"steps={cfg.steps}",
    ]
    if cfg.optimizer.name == "momentum":
        overrides.append(f"optimizer.momentum={cfg.optimizer.momentum:g}")
    if cfg.sweep.stop_sse is not None:
        overrides.append(f"sweep.stop_sse={cfg.sweep.stop_sse:g}")
    if cfg.precision != "float32":
        overrides.append(f"precision={cfg.precision}")
    return "python -m xorjax.run " + " ".join(overrides) + " seed=<seed>"


def train_all(cfg: Config, out: Path):
    """Runs the sweep, keeping its finished chunks in ``out/chunks`` (and reusing those there already);
    returns the starts (a ``engine.Grid``), each setting's ``tally.Tally``, the weights of every family's first
    start and the timing. Nothing is kept per start in memory, so 10,000,000 starts fit as well as 1,000."""
    cores = len(jax.local_devices())  # run.py has already given this job its share of the cores
    lrs, scales = axes(cfg)
    starts = grid(cfg)
    n = len(starts)
    lo, hi = parts.block(n, cfg.sweep.parts, cfg.sweep.part)
    log.info(describe(cfg))
    log.info(
        f"{cfg.sweep.seeds} seeds ({cfg.seed}..{cfg.seed + cfg.sweep.seeds - 1}) x lr {lrs} x init scale "
        f"{scales} = {n} starts, on {cores} core(s) in chunks of {engine.per_core(cfg.sweep.chunk, cfg.model.hidden)} "
        "per core"
    )
    if cfg.sweep.parts > 1:
        log.info(f"part {cfg.sweep.part} of {cfg.sweep.parts}: this job trains starts {lo}..{hi - 1}")
    store = ChunkFiles(out / CHUNKS, cfg)
    io.write_json(store.folder / SETTINGS, fingerprint(cfg))  # first, so that even a sweep stopped at once resumes
    finished = store.finished()
    done = sum(end - first for first, end in finished.items())
    if done:
        log.info(f"resuming: {done} of {hi - lo} starts were finished in {len(finished)} chunk(s) of {store.folder}")
    t = time.perf_counter()
    with progress.bar(hi - lo, "sweep", "start", allowed=cfg.logger.progress) as advance:
        tallies, firsts = engine.run_grid(
            starts,
            engine.sweep_init(tuple(cfg.model.hidden), cfg.init.name, cfg.precision),
            tuple(cfg.model.hidden),
            config.train_spec(cfg),
            activation=cfg.model.activation,
            chunk=cfg.sweep.chunk,
            advance=advance,
            store=store,
            span=(lo, hi),
        )
    seconds = time.perf_counter() - t
    trained = hi - lo - done
    timing = {
        "seconds": seconds,
        "starts": trained,
        "steps": cfg.steps,
        "devices": cores,
        "device": devices.describe(jax.local_devices()),  # what it computed on, e.g. "gpu (NVIDIA H100)"
        "net_steps_per_s": trained * cfg.steps / seconds,
        "resumed_starts": done,
    }
    log.info(
        f"trained {trained} starts x {cfg.steps} steps in {seconds:.1f} s: "
        f"{timing['net_steps_per_s'] / 1e6:.1f} M net-steps/s (compiling included)"
    )
    return starts, tallies, firsts, timing


def build_atlas(cfg: Config, starts: engine.Grid, tallies: list, firsts: dict, timing: dict, out: Path) -> dict:
    """atlas.json's content; writes one weights.json per (setting, family) into out/solutions. A setting none of
    whose starts was trained (outside this part's block, or in a missing part) is left out."""
    configs = []
    for g, (lr, scale) in enumerate(starts.cells):
        if not tallies[g].outcomes.any():
            continue
        fams = tallies[g].families(cfg.model.activation)
        for k, f in enumerate(fams):
            first = firsts.get((g, tuple(f.pop("key"))))
            f["seed"] = starts.seed(f.pop("first_start"))
            f["weights"] = None
            if first is not None and k < MAX_SOLUTION_FILES:
                path = out / "solutions" / f"s{g}-f{k + 1:02d}.weights.json"
                path.parent.mkdir(exist_ok=True)
                io.write_json(path, io.weights_to_json(first[1]))
                f["weights"] = str(path.relative_to(out))
        configs.append(
            {
                "hidden": list(cfg.model.hidden),
                "lr": lr,
                "init_scale": scale,
                **tallies[g].statistics(),
                "essential_units": tallies[g].essential_units(cfg.model.hidden),
                "mechanisms": mechanisms(cfg, starts, tallies[g], g, out),
                "families": fams,
                "classes": tally.classes(fams),
                "replay": replay(cfg, lr, scale),
            }
        )
    atlas = {
        "settings": describe(cfg),
        "activation": cfg.model.activation,
        "precision": cfg.precision,
        "statuses": list(descent.STATUSES),
        "timing": timing,
        "configs": configs,
    }
    if cfg.sweep.parts > 1:  # one block of a split sweep: its numbers are of these starts only
        lo, hi = parts.block(len(starts), cfg.sweep.parts, cfg.sweep.part)
        atlas["part"] = {
            "part": cfg.sweep.part,
            "of_parts": cfg.sweep.parts,
            "starts": [lo, hi],
            "of_starts": len(starts),
        }
    return atlas


def mechanisms(cfg: Config, starts: engine.Grid, t: tally.Tally, g: int, out: Path) -> list[dict]:
    """Setting g's mechanisms as atlas.json lists them, each with its representative (its lowest seed): the
    essential units' tables (``gates``, the first hidden layer's), their indices (``kept``) and its weights file
    (for the ``MAX_SOLUTION_FILES`` most frequent)."""
    entries = t.mechanism_list(cfg.model.hidden)
    for k, m in enumerate(entries):
        row = tuple(m.pop("row"))
        m.pop("first_start")
        i, kept, weights = t.representatives[row]
        rep = mechanism.explain(weights, cfg.model.activation, kept)
        m["gates"], m["seed"], m["kept"], m["weights"] = rep["layers"][0], starts.seed(i), rep["kept"], None
        if len(cfg.model.hidden) > 1:
            m["layers"] = rep["layers"]
        if k < MAX_SOLUTION_FILES:
            path = out / "solutions" / f"s{g}-m{k + 1:02d}.weights.json"
            path.parent.mkdir(exist_ok=True)
            io.write_json(path, io.weights_to_json(weights))
            m["weights"] = str(path.relative_to(out))
    return entries


def mechanism_lines(c: dict, i: int, md: bool = False) -> list[str]:
    """A setting's mechanisms (``c``: configs[i] of the atlas) as a table of the ``MECHANISMS_SHOWN`` most frequent,
    then how many more atlas.json holds, then the line of its essential units (Markdown with ``md``); [] where none
    solved."""
    mechs = c["mechanisms"]
    if not mechs:
        return []
    header = ["mechanism", "units", "starts", "share", "saturated", "seed"] + (["weights"] if md else [])
    rows = [
        [
            f"`{m['mechanism']}`" if md else m["mechanism"],
            "-".join(map(str, m["units"])),
            str(m["count"]),
            _pct(m["share"]),
            _pct(m["saturated"]),
            str(m["seed"]),
        ]
        + ([f"`{m['weights']}`" if m["weights"] else "-"] if md else [])
        for m in mechs[:MECHANISMS_SHOWN]
    ]
    lines = [tables.markdown(header, rows) if md else tables.table(header, rows)]
    if len(mechs) > len(rows):
        lines.append(f"{len(mechs) - len(rows)} more in atlas.json (key configs[{i}].mechanisms)")
    lines.append(essential_line(c))
    return lines


def essential_line(c: dict, shown: int = 6) -> str:
    """E.g. "essential units: 2 in 95.1%, 3 in 4.9% of the solved starts" (per hidden layer for deep nets: "2-1-1";
    the ``shown`` most frequent, the others counted together)."""
    total = sum(c["essential_units"].values())
    counts = list(c["essential_units"].items())
    parts = ", ".join(f"{k} in {_pct(v / total)}" for k, v in counts[:shown])
    if len(counts) > shown:
        parts += f", {len(counts) - shown} others in {_pct(sum(v for _, v in counts[shown:]) / total)}"
    unexplained = c["outcomes"]["solved"] - total
    more = f"; {unexplained} solved start(s) whose net is not XOR in float64" if unexplained else ""
    return f"essential units: {parts} of the solved starts{more}"


# The column of a sweep's outcome tables that counts steps: to the first step with accuracy 1.0 (a run with a
# stop criterion reaches that criterion later: experiment=rhw1986 reports both).
MEDIAN_STEPS = "median steps to acc 1.0"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def outcome_table(configs: list[dict]) -> str:
    header = ["hidden", "lr", "init", "seeds", "solved", "95% CI", MEDIAN_STEPS, *descent.STATUSES[1:]]
    rows = []
    for c in configs:
        rows.append(
            [
                str(c["hidden"]),
                f"{c['lr']:g}",
                f"{c['init_scale']:g}",
                str(c["seeds"]),
                _pct(c["success_rate"]),
                f"{_pct(c['ci95'][0])}-{_pct(c['ci95'][1])}",
                "-" if c["median_steps"] is None else f"{c['median_steps']:.0f}",
                *[_pct(c["outcomes"][s] / c["seeds"]) for s in descent.STATUSES[1:]],
            ]
        )
    return tables.table(header, rows)


def markdown(atlas: dict) -> str:
    """atlas.md: the outcomes, then per setting the classes and the families with every unit saturated;
    families with an unsaturated unit are counted together."""
    lines = [
        "# Solution atlas",
        "",
        atlas["settings"],
        "",
        *[line for note in scope(atlas) for line in (note, "")],
        "## Outcomes",
        "",
        tables.markdown(
            ["hidden", "lr", "init scale", "seeds", "solved", "95% CI", MEDIAN_STEPS, *atlas["statuses"][1:]],
            [
                [
                    c["hidden"],
                    f"{c['lr']:g}",
                    f"{c['init_scale']:g}",
                    c["seeds"],
                    _pct(c["success_rate"]),
                    f"{_pct(c['ci95'][0])} - {_pct(c['ci95'][1])}",
                    "-" if c["median_steps"] is None else f"{c['median_steps']:.0f}",
                    *[c["outcomes"][s] for s in atlas["statuses"][1:]],
                ]
                for c in atlas["configs"]
            ],
        ),
        "",
        "What the outcomes mean:",
        "",
        *[f"- **{s}**: {descent.STATUS_MEANING[s]}" for s in atlas["statuses"]],
        "",
    ]
    for c in atlas["configs"]:
        solved = c["outcomes"]["solved"]
        lines += [
            f"## hidden {c['hidden']}, lr {c['lr']:g}, init scale {c['init_scale']:g}",
            "",
            f"{solved} of {c['seeds']} starts solved XOR. Replay a start: `{c['replay']}`",
            "",
        ]
        if c["mechanisms"]:
            lines += [
                "Mechanisms: the hidden units each solution needs (the others removed, each replaced by its mean "
                "over the four patterns), their gates and the output's gate, up to unit order and sign flips:",
                "",
                *[line for x in mechanism_lines(c, atlas["configs"].index(c), md=True) for line in (x, "")],
            ]
        if not c["families"]:
            lines += ["(no families: none solved, or more than one hidden layer)", ""]
            continue
        lines += [
            "Symmetry classes:",
            "",
            tables.markdown(
                ["class", "starts", "share", "families", "seed", "weights"],
                [
                    [
                        f"`{k['class']}`",
                        k["count"],
                        _pct(k["share"]),
                        k["families"],
                        k["seed"],
                        f"`{k['weights']}`" if k["weights"] else "-",
                    ]
                    for k in c["classes"]
                ],
            ),
            "",
        ]
        sat = [f for f in c["families"] if "unsaturated" not in f["family"]]
        rest = [f for f in c["families"] if "unsaturated" in f["family"]]
        lines += [
            "Families (every unit saturated):",
            "",
            tables.markdown(
                ["hidden gates", "output gate", "class", "starts", "share", "first seed", "weights"],
                [
                    [
                        " + ".join(f["hidden_gates"]),
                        f["output_gate"],
                        f"`{f['class']}`",
                        f["count"],
                        _pct(f["share"]),
                        f["seed"],
                        f"`{f['weights']}`" if f["weights"] else "-",
                    ]
                    for f in sat
                ],
            ),
            "",
        ]
        if rest:
            lines += [
                f"{sum(f['count'] for f in rest)} more solved starts ({_pct(sum(f['share'] for f in rest))}) "
                f"have a hidden unit or output that is not saturated (between 0.2 and 0.8 somewhere), in "
                f"{len(rest)} families listed in atlas.json.",
                "",
            ]
    t = atlas["timing"]
    if "parts" in t:  # merged: the parts' times added up, the speed that of one job on average
        where, each = (
            f"in {t['parts']} parts, {t['seconds']:.1f} s in all, on up to {t['devices']} core(s) each",
            " a job",
        )
    else:
        where, each = f"in {t['seconds']:.1f} s on {t['devices']} core(s)", ""
    lines += [
        f"Trained {t['starts']} starts x {t['steps']} steps {where}: {t['net_steps_per_s'] / 1e6:.1f} M "
        f"net-steps/s{each}, compiling included.",
        "",
    ]
    return "\n".join(lines)


def scope(atlas: dict) -> list[str]:
    """What share of its sweep an atlas counts, in words: one part of a split sweep, or a merge that lacks parts
    (``--partial``); nothing for a whole sweep."""

    def spans(blocks) -> str:
        return ", ".join(f"{lo}..{hi - 1}" for lo, hi in blocks)

    if "part" in atlas:
        p = atlas["part"]
        return [
            f"Part {p['part']} of {p['of_parts']} of a split sweep: starts {spans([p['starts']])} of its "
            f"{p['of_starts']} only; the parts merged (python -m xorjax.summary --merge <their folders>) are the "
            "whole sweep."
        ]
    if "missing" in atlas:
        m = atlas["missing"]
        return [
            f"Partial: merged without part(s) {', '.join(map(str, m['parts']))} of {m['of_parts']} (starts "
            f"{spans(m['starts'])} of {m['of_starts']}): these numbers count the other parts' starts only."
        ]
    return []


def draw(cfg: Config, atlas: dict, out: Path) -> None:
    from xorjax.output.plots import starts as pictures

    labels = [f"h={c['hidden']} lr={c['lr']:g} s={c['init_scale']:g}" for c in atlas["configs"]]
    pictures.outcome_shares(out / "outcomes.png", labels, [c["outcomes"] for c in atlas["configs"]], atlas["statuses"])
    rows = pictured(atlas)
    if rows:
        for row in rows:
            for panel in row["panels"]:
                kept = panel.pop("kept")
                weights = io.read_weights(out / panel.pop("file"))
                flat = [j in k for k, width in zip(kept, cfg.model.hidden) for j in range(width)]
                panel["weights"] = mechanism.explain(weights, cfg.model.activation, flat)["reduced"]
                panel["units"] = kept[0]
        pictures.solutions(out / "solutions.png", rows, cfg.model.activation)


def pictured(atlas: dict) -> list[dict]:
    """solutions.png's rows: the ``PICTURED_MECHANISMS`` most common mechanisms over the sweep's settings,
    ``PICTURED_PER_ROW`` to a row, each drawn by its representative (the lowest seed of the setting where it is
    most frequent) as its reduced net, titled with its share of all the solutions. Each panel: ``file`` (the
    weights), ``kept`` (its essential units) and ``title``."""
    by = {}
    for c in atlas["configs"]:
        for m in c.get("mechanisms", []):
            by.setdefault(m["mechanism"], []).append((c, m))
    total = sum(m["count"] for found in by.values() for _, m in found)
    count = {k: sum(m["count"] for _, m in found) for k, found in by.items()}
    several = len(atlas["configs"]) > 1
    panels = []
    for name in sorted(by, key=lambda k: (-count[k], k)):
        drawn = [(c, m) for c, m in sorted(by[name], key=lambda cm: -cm[1]["count"]) if m["weights"]]
        if not drawn:
            continue
        c, m = drawn[0]
        units = "-".join(map(str, m["units"]))
        panels.append(
            {
                "file": m["weights"],
                "kept": m["kept"],
                "title": textwrap.fill(name.replace(" -> ", " → "), 46)
                + f"\n{count[name] / total:.1%} of the solutions ({count[name]}), {units} units"
                + f"\ne.g. seed {m['seed']}"
                + (f", lr {c['lr']:g}" if several else ""),
            }
        )
        if len(panels) == PICTURED_MECHANISMS:
            break
    rows = []
    for i in range(0, len(panels), PICTURED_PER_ROW):
        shown = panels[i : i + PICTURED_PER_ROW]
        rows.append(
            {
                "title": f"Mechanisms {i + 1}-{i + len(shown)} of {len(by)}: each solution's essential units, "
                "the spare ones removed",
                "panels": shown,
            }
        )
    return rows


def run(cfg: Config, out: Path) -> dict:
    if cfg.sweep.resume is not None:
        log.info(f"resuming the sweep in {cfg.sweep.resume}: its results are written there, not to {out}")
        out = Path(cfg.sweep.resume).expanduser()
    try:
        starts, tallies, firsts, timing = train_all(cfg, out)
        atlas = finish(cfg, starts, tallies, firsts, timing, out)
        if cfg.sweep.parts > 1:
            save_part(cfg, atlas, tallies, firsts, out)
        return atlas
    except KeyboardInterrupt:
        # The override that finishes this sweep; the entry point adds the rest of the command line.
        raise KeyboardInterrupt(f"sweep.resume={out}") from None
    except WriteError as e:  # a full disk: what is kept, and (the entry point adds it) the command that resumes
        raise kept_so_far(cfg, out, e) from None


def kept_so_far(cfg: Config, out: Path, e: WriteError) -> WriteError:
    """``e`` with what a sweep that failed has kept: its finished chunks, and the override that resumes it (none
    when even its settings could not be written: there is nothing to resume then)."""
    folder = out / CHUNKS
    if not (folder / SETTINGS).is_file():
        return WriteError(e.path, e.cause, kept="nothing of this sweep was kept")
    lo, hi = parts.block(len(grid(cfg)), cfg.sweep.parts, cfg.sweep.part)
    spans = {a: b for a, b in ChunkFiles(folder).finished().items() if lo <= a < b <= hi}
    starts = sum(b - a for a, b in spans.items())
    kept = f"{len(spans)} finished chunk(s), {starts} of {hi - lo} starts, are kept in {folder}"
    return WriteError(e.path, e.cause, resume=f"sweep.resume={out}", kept=kept)


def finish(
    cfg: Config, starts: engine.Grid, tallies: list, firsts: dict, timing: dict, out: Path, extra: dict | None = None
) -> dict:
    """Writes the atlas, its tables and pictures from the sweep's tallies: those of a trained sweep, or of its
    parts merged (``finish_parts``, whose ``extra`` top-level keys are added where the atlas has none)."""
    atlas = build_atlas(cfg, starts, tallies, firsts, timing, out)
    for key, value in (extra or {}).items():
        atlas.setdefault(key, value)
    io.write_json(out / "atlas.json", atlas)
    io.write_atomic(out / "atlas.md", markdown(atlas))
    for note in scope(atlas):
        log.info(note)
    log.info("\n" + outcome_table(atlas["configs"]))
    for s in descent.STATUSES[1:]:  # what each way of failing that happened means
        if any(c["outcomes"][s] for c in atlas["configs"]):
            log.info(f"{s}: {descent.STATUS_MEANING[s]}")
    for i, c in enumerate(atlas["configs"]):
        if c["mechanisms"]:
            log.info(f"\nlr {c['lr']:g}, init scale {c['init_scale']:g}: mechanisms (the units a solution needs)")
            for line in mechanism_lines(c, i):
                log.info(line)
        if c["classes"]:
            log.info(f"\nlr {c['lr']:g}, init scale {c['init_scale']:g}: classes of the solutions found")
            shown = c["classes"][:CLASSES_SHOWN]
            log.info(
                tables.table(
                    ["class", "starts", "share", "families"],
                    [[k["class"], str(k["count"]), _pct(k["share"]), str(k["families"])] for k in shown],
                )
            )
            cut = tables.more(
                len(shown), len(c["classes"]), "classes", f"atlas.md and atlas.json (key configs[{i}].classes)"
            )
            if cut:
                log.info(cut)
    if cfg.logger.plots:
        draw(cfg, atlas, out)
    log.info(f"\nwrote {out}/atlas.json, atlas.md")
    return atlas


# --- one sweep in parts: what a part leaves, and the whole sweep written from its parts ----------------------

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
        "settings": fingerprint(cfg),
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
    cells = size(settings) // settings["sweep.seeds"]
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
        of = size(settings)
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


def size(settings: dict) -> int:
    """The number of starts of the sweep with these settings (a ``fingerprint``)."""
    return settings["sweep.seeds"] * len(settings["sweep.lrs"] or [None]) * len(settings["sweep.init_scales"] or [None])


def finish_parts(cfg: Config, pieces: list[tuple[dict, list, dict]], out: Path) -> dict:
    """Writes into ``out`` the files of the sweep whose finished parts (``load_part``) are ``pieces``, through
    ``finish``: with every part there, exactly those of the sweep run in one job, timing aside (the parts' times
    are added up). Without some (``--partial``), the atlas names the parts and starts it lacks. ``cfg``: the
    settings of any of the parts."""
    records = [r for r, _, _ in sorted(pieces, key=lambda p: p[0]["part"])]
    whole = dataclasses.replace(cfg, sweep=dataclasses.replace(cfg.sweep, parts=1, part=0, resume=None))
    starts = grid(whole)
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
    return finish(whole, starts, tallies, firsts, timing, out, extra)
