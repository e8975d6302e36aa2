"""The lecture's "can you find another w and b?", answered: train ``sweep.seeds`` starts for every learning
rate x init scale at once, say how often each setting finds XOR and how it fails, and list the different
solutions found.

Writes ``atlas.json`` (per setting: success rate with its 95% Wilson interval, outcomes, families and
classes), ``atlas.md`` (the same as tables), ``solutions/*.weights.json`` (one start per family, for
``experiment=handcrafted init=file init.path=...``) and two pictures. Start i is the run
``python -m xorjax.run seed=<seed + i>`` with the same settings (the replay command is in atlas.md).

Every finished chunk of starts is kept in ``chunks/`` (its per-start outcomes, see ``ChunkFiles``), so a sweep
stopped part way (Ctrl-C, SIGKILL, a lost job) is finished by the same command plus
``sweep.resume=<its run folder>``: the finished chunks are read back, never trained again, and the results
are written into that folder, exactly those of a sweep never stopped.
"""

import dataclasses
import json
import logging
import time
from io import BytesIO
from pathlib import Path

import jax
import numpy as np

from xorjax import config
from xorjax.config import Config
from xorjax.core import descent, devices, engine, tally
from xorjax.errors import XorjaxError
from xorjax.output import io, tables

log = logging.getLogger(__name__)
MAX_SOLUTION_FILES = 24  # per setting: weights.json for the most frequent families
PICTURED_CLASSES = 2  # solutions.png: a row for each of the most common classes,
PICTURED_PER_CLASS = 3  # with this many of its most common families
CLASSES_SHOWN = 8  # per setting, in the console's table of classes (atlas.md and atlas.json hold all)


def check(cfg: Config) -> None:
    if cfg.init.name == "file":
        raise XorjaxError(
            "init=file is not allowed with a sweep: every start would be the same; choose init=normal or init=uniform"
        )
    if cfg.sweep.resume is not None:
        check_resume(cfg, Path(cfg.sweep.resume).expanduser())


# --- finished chunks, and resuming ----------------------------------------------------------------------

CHUNKS = "chunks"
SETTINGS = "settings.json"
# What decides a start's outcome; the rest (chunk size, devices, logging, the folder) may change on resume.
RESULT_KEYS = (
    "seed",
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


def check_resume(cfg: Config, folder: Path) -> None:
    """Refuses a resume of a folder that holds no sweep, or one run with other settings (one line each)."""
    saved = folder / CHUNKS / SETTINGS
    if not saved.is_file():
        raise XorjaxError(
            f"sweep.resume={cfg.sweep.resume} is not allowed: {saved} is missing, so that folder "
            "holds no sweep to resume (give the run folder of an interrupted experiment=sweep)"
        )
    before, now = json.loads(saved.read_text()), fingerprint(cfg)
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
    killed at any moment leaves whole chunks only (``io.write_atomic``; a stray ``.*.tmp`` is ignored)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, lo: int, hi: int) -> Path:
        return self.folder / f"{lo:010d}-{hi:010d}.npz"

    def finished(self) -> dict[int, int]:
        spans = (p.stem.split("-") for p in self.folder.glob("*-*.npz"))
        return {int(lo): int(hi) for lo, hi in spans}

    def load(self, lo: int, hi: int) -> dict:
        with np.load(self._path(lo, hi)) as f:
            return {k: f[k] for k in f.files}

    def save(self, lo: int, hi: int, arrays: dict) -> None:
        if "keys" in arrays:  # a unit's table in base 3: -1..80, so a byte holds it (an eighth of the disk)
            arrays = {**arrays, "keys": arrays["keys"].astype(np.int8)}
        buf = BytesIO()
        np.savez(buf, **arrays)
        io.write_atomic(self._path(lo, hi), buf.getvalue())


def init_scale(cfg: Config) -> float:
    return cfg.init.stddev if cfg.init.name == "normal" else cfg.init.limit


def describe(cfg: Config) -> str:
    init = {"normal": "N(0, s^2)", "uniform": "U(-s, s)"}.get(cfg.init.name, cfg.init.name)
    return (
        f"net 2-{'-'.join(map(str, cfg.model.hidden))}{'-' if cfg.model.hidden else ''}1 "
        f"{cfg.model.activation} | {cfg.optimizer.name} | {cfg.loss} | {cfg.batch} batch | {cfg.steps} steps"
        f" | init {init}" + (f" | stop at SSE < {cfg.sweep.stop_sse}" if cfg.sweep.stop_sse else "")
    )


def replay(cfg: Config, lr: float, scale: float) -> str:
    """The command that trains one start of this setting alone (add seed=<its seed>)."""
    scale_key = "init.stddev" if cfg.init.name == "normal" else "init.limit"
    hidden = "[" + ",".join(map(str, cfg.model.hidden)) + "]"
    parts = [
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
        parts.append(f"optimizer.momentum={cfg.optimizer.momentum:g}")
    if cfg.sweep.stop_sse is not None:
        parts.append(f"sweep.stop_sse={cfg.sweep.stop_sse:g}")
    return "python -m xorjax.run " + " ".join(parts) + " seed=<seed>"


def train_all(cfg: Config, out: Path):
    """Runs the sweep, keeping its finished chunks in ``out/chunks`` (and reusing those there already);
    returns the starts (a ``engine.Grid``), each setting's ``tally.Tally``, the weights of every family's first
    start and the timing. Nothing is kept per start in memory, so 10,000,000 starts fit as well as 1,000."""
    cores = len(jax.local_devices())  # run.py has already given this job its share of the cores
    lrs = list(cfg.sweep.lrs or [cfg.optimizer.lr])
    scales = list(cfg.sweep.init_scales or [init_scale(cfg)])
    starts = engine.Grid(cfg.seed, cfg.sweep.seeds, lrs, scales)
    n = len(starts)
    log.info(describe(cfg))
    log.info(
        f"{cfg.sweep.seeds} seeds ({cfg.seed}..{cfg.seed + cfg.sweep.seeds - 1}) x lr {lrs} x init scale "
        f"{scales} = {n} starts, on {cores} core(s) in chunks of {engine.per_core(cfg.sweep.chunk, cfg.model.hidden)} "
        "per core"
    )
    store = ChunkFiles(out / CHUNKS)
    io.write_json(store.folder / SETTINGS, fingerprint(cfg))  # first, so that even a sweep stopped at once resumes
    done = sum(hi - lo for lo, hi in store.finished().items())
    if done:
        log.info(f"resuming: {done} of {n} starts were finished in {len(store.finished())} chunk(s) of {store.folder}")
    t = time.perf_counter()
    tallies, firsts = engine.run_grid(
        starts,
        engine.sweep_init(tuple(cfg.model.hidden), cfg.init.name),
        tuple(cfg.model.hidden),
        config.train_spec(cfg),
        activation=cfg.model.activation,
        chunk=cfg.sweep.chunk,
        desc="sweep",
        show=None if cfg.logger.progress else False,
        store=store,
    )
    seconds = time.perf_counter() - t
    trained = n - done
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
    """atlas.json's content; writes one weights.json per (setting, family) into out/solutions."""
    configs = []
    for g, (lr, scale) in enumerate(starts.cells):
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
                "families": fams,
                "classes": tally.classes(fams),
                "replay": replay(cfg, lr, scale),
            }
        )
    return {
        "settings": describe(cfg),
        "activation": cfg.model.activation,
        "statuses": list(descent.STATUSES),
        "timing": timing,
        "configs": configs,
    }


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
        "## Outcomes",
        "",
        _md_table(
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
        if not c["families"]:
            lines += ["(no families: none solved, or more than one hidden layer)", ""]
            continue
        lines += [
            "Symmetry classes:",
            "",
            _md_table(
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
            _md_table(
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
    lines += [
        f"Trained {t['starts']} starts x {t['steps']} steps in {t['seconds']:.1f} s on {t['devices']} "
        f"core(s): {t['net_steps_per_s'] / 1e6:.1f} M net-steps/s, compiling included.",
        "",
    ]
    return "\n".join(lines)


def _md_table(header, rows) -> str:
    out = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(out)


def draw(cfg: Config, atlas: dict, out: Path) -> None:
    from xorjax.output.plots import starts as pictures

    labels = [f"h={c['hidden']} lr={c['lr']:g} s={c['init_scale']:g}" for c in atlas["configs"]]
    pictures.outcome_shares(out / "outcomes.png", labels, [c["outcomes"] for c in atlas["configs"]], atlas["statuses"])
    rows = pictured(atlas)
    if rows:
        for row in rows:
            for panel in row["panels"]:
                panel["weights"] = io.read_weights(out / panel.pop("file"))
        pictures.solutions(out / "solutions.png", rows, cfg.model.activation)


def pictured(atlas: dict) -> list[dict]:
    """solutions.png's rows: the ``PICTURED_CLASSES`` most common classes whose every unit is saturated (XOR's
    two real classes; those with a half-on unit together hold about 1% of the solutions), each with its
    ``PICTURED_PER_CLASS`` most common families; classes with a half-on unit only where no other was found.
    Each row: ``title`` and ``panels`` (``file``: the weights, ``title``), named by gates, not by tables."""
    by_class = {}
    for c in atlas["configs"]:
        for f in c["families"]:
            by_class.setdefault(f["class"], []).append((c, f))
    total = sum(f["count"] for fams in by_class.values() for _, f in fams)
    count = {k: sum(f["count"] for _, f in fams) for k, fams in by_class.items()}
    names = sorted(by_class, key=lambda k: (-count[k], k))
    names = ([k for k in names if "unsaturated" not in k] or names)[:PICTURED_CLASSES]
    arrow = lambda name: name.replace(" -> ", " → ")
    several = len(atlas["configs"]) > 1
    rows = []
    for i, name in enumerate(names, start=1):
        fams = sorted((cf for cf in by_class[name] if cf[1]["weights"]), key=lambda cf: -cf[1]["count"])
        panels = [
            {
                "file": f["weights"],
                "title": f"{arrow(f['family'])}\n{f['count']} starts ({f['count'] / total:.1%}), e.g. seed "
                f"{f['seed']}" + (f", lr {c['lr']:g}" if several else ""),
            }
            for c, f in fams[:PICTURED_PER_CLASS]
        ]
        if panels:
            rows.append(
                {
                    "title": f"Class {i}: {arrow(name)}: {count[name] / total:.1%} of the solutions, in "
                    f"{len(by_class[name])} families (the {len(panels)} most common shown)",
                    "panels": panels,
                }
            )
    return rows


def run(cfg: Config, out: Path) -> dict:
    if cfg.sweep.resume is not None:
        log.info(f"resuming the sweep in {cfg.sweep.resume}: its results are written there, not to {out}")
        out = Path(cfg.sweep.resume).expanduser()
    try:
        return finish(cfg, *train_all(cfg, out), out)
    except KeyboardInterrupt:
        # The override that finishes this sweep; the entry point adds the rest of the command line.
        raise KeyboardInterrupt(f"sweep.resume={out}") from None


def finish(cfg: Config, starts: engine.Grid, tallies: list, firsts: dict, timing: dict, out: Path) -> dict:
    """Writes the atlas, its tables and pictures from the trained sweep."""
    atlas = build_atlas(cfg, starts, tallies, firsts, timing, out)
    io.write_json(out / "atlas.json", atlas)
    io.write_atomic(out / "atlas.md", markdown(atlas))
    log.info("\n" + outcome_table(atlas["configs"]))
    for s in descent.STATUSES[1:]:  # what each way of failing that happened means
        if any(c["outcomes"][s] for c in atlas["configs"]):
            log.info(f"{s}: {descent.STATUS_MEANING[s]}")
    for i, c in enumerate(atlas["configs"]):
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
