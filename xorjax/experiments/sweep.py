"""The lecture's "can you find another w and b?", answered: train ``sweep.seeds`` starts for every learning
rate x init scale at once, say how often each setting finds XOR and how it fails, and list the different
solutions found.

Writes ``atlas.json`` (per setting: success rate with its 95% Wilson interval, outcomes, families and
classes), ``atlas.md`` (the same as tables), ``solutions/*.weights.json`` (one start per family, for
``experiment=handcrafted init=file init.path=...``) and two pictures. Start i is the run
``python -m xorjax.run seed=<seed + i>`` with the same settings (the replay command is in atlas.md).
"""

import logging
import time
from pathlib import Path

from xorjax import config, io, report, summary, sweep, train
from xorjax.config import Config
from xorjax.errors import XorjaxError

log = logging.getLogger(__name__)
MAX_SOLUTION_FILES = 24   # per setting: weights.json for the most frequent families
PICTURED = 6              # representative solutions drawn


def check(cfg: Config) -> None:
    if cfg.init.name == "file":
        raise XorjaxError("init=file is not allowed with a sweep: every start would be the same; "
                          "choose init=normal or init=uniform")


def init_scale(cfg: Config) -> float:
    return cfg.init.stddev if cfg.init.name == "normal" else cfg.init.limit


def describe(cfg: Config) -> str:
    init = {"normal": "N(0, s^2)", "uniform": "U(-s, s)"}.get(cfg.init.name, cfg.init.name)
    return (f"net 2-{'-'.join(map(str, cfg.model.hidden))}{'-' if cfg.model.hidden else ''}1 "
            f"{cfg.model.activation} | {cfg.optimizer.name} | {cfg.loss} | {cfg.batch} batch | {cfg.steps} steps"
            f" | init {init}" + (f" | stop at SSE < {cfg.sweep.stop_sse}" if cfg.sweep.stop_sse else ""))


def replay(cfg: Config, lr: float, scale: float) -> str:
    """The command that trains one start of this setting alone (add seed=<its seed>)."""
    scale_key = "init.stddev" if cfg.init.name == "normal" else "init.limit"
    hidden = "[" + ",".join(map(str, cfg.model.hidden)) + "]"
    parts = [f"model.hidden={hidden}", f"model.activation={cfg.model.activation}", f"loss={cfg.loss}",
             f"batch={cfg.batch}", f"optimizer={cfg.optimizer.name}", f"optimizer.lr={lr:g}",
             f"init={cfg.init.name}", f"{scale_key}={scale:g}", f"steps={cfg.steps}"]
    if cfg.optimizer.name == "momentum":
        parts.append(f"optimizer.momentum={cfg.optimizer.momentum:g}")
    if cfg.sweep.stop_sse is not None:
        parts.append(f"sweep.stop_sse={cfg.sweep.stop_sse:g}")
    return "python -m xorjax.run " + " ".join(parts) + " seed=<seed>"


def train_all(cfg: Config):
    """Runs the sweep; returns the settings, per-start inputs, the outcomes and timing."""
    devices = sweep.use_all_cores()
    lrs = list(cfg.sweep.lrs or [cfg.optimizer.lr])
    scales = list(cfg.sweep.init_scales or [init_scale(cfg)])
    cells, per = sweep.grid(cfg.seed, cfg.sweep.seeds, lrs, scales)
    n = len(per["seed"])
    log.info(describe(cfg))
    log.info(f"{cfg.sweep.seeds} seeds ({cfg.seed}..{cfg.seed + cfg.sweep.seeds - 1}) x lr {lrs} x init scale "
             f"{scales} = {n} starts, on {devices} core(s) in chunks of {cfg.sweep.chunk} per core")
    t = time.perf_counter()
    starts = sweep.run_starts({"seed": per["seed"], "scale": per["scale"]}, per["lr"],
                              sweep.sweep_init(tuple(cfg.model.hidden), cfg.init.name), tuple(cfg.model.hidden),
                              config.train_spec(cfg), activation=cfg.model.activation, group=per["group"],
                              chunk=cfg.sweep.chunk, desc="sweep", show=None if cfg.logger.progress else False)
    seconds = time.perf_counter() - t
    timing = {"seconds": seconds, "starts": n, "steps": cfg.steps, "devices": devices,
              "net_steps_per_s": n * cfg.steps / seconds}
    log.info(f"trained {n} starts x {cfg.steps} steps in {seconds:.1f} s: {timing['net_steps_per_s'] / 1e6:.1f} M "
             "net-steps/s (compiling included)")
    return cells, per, starts, timing


def build_atlas(cfg: Config, cells, per, starts: sweep.Starts, timing: dict, out: Path) -> dict:
    """atlas.json's content; writes one weights.json per (setting, family) into out/solutions."""
    configs = []
    for g, (lr, scale) in enumerate(cells):
        where = per["group"] == g
        fams = sweep.families(starts, where, cfg.model.activation)
        for k, f in enumerate(fams):
            first = starts.firsts.get((g, tuple(f.pop("key"))))
            f["seed"] = int(per["seed"][f.pop("first_start")])
            f["weights"] = None
            if first is not None and k < MAX_SOLUTION_FILES:
                path = out / "solutions" / f"s{g}-f{k + 1:02d}.weights.json"
                path.parent.mkdir(exist_ok=True)
                io.write_json(path, io.weights_to_json(first[1]))
                f["weights"] = str(path.relative_to(out))
        configs.append({"hidden": list(cfg.model.hidden), "lr": lr, "init_scale": scale,
                        **sweep.statistics(starts, where), "families": fams, "classes": sweep.classes(fams),
                        "replay": replay(cfg, lr, scale)})
    return {"settings": describe(cfg), "activation": cfg.model.activation, "statuses": list(train.STATUSES),
            "timing": timing, "configs": configs}


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def outcome_table(configs: list[dict]) -> str:
    header = ["hidden", "lr", "init", "seeds", "solved", "95% CI", "median steps", *train.STATUSES[1:]]
    rows = []
    for c in configs:
        rows.append([str(c["hidden"]), f"{c['lr']:g}", f"{c['init_scale']:g}", str(c["seeds"]),
                     _pct(c["success_rate"]), f"{_pct(c['ci95'][0])}-{_pct(c['ci95'][1])}",
                     "-" if c["median_steps"] is None else f"{c['median_steps']:.0f}",
                     *[_pct(c["outcomes"][s] / c["seeds"]) for s in train.STATUSES[1:]]])
    return report.table(header, rows)


def markdown(atlas: dict) -> str:
    """atlas.md: the outcomes, then per setting the classes and the families with every unit saturated;
    families with an unsaturated unit are counted together."""
    lines = ["# Solution atlas", "", atlas["settings"], "", "## Outcomes", "", _md_table(
        ["hidden", "lr", "init scale", "seeds", "solved", "95% CI", "median steps", *atlas["statuses"][1:]],
        [[c["hidden"], f"{c['lr']:g}", f"{c['init_scale']:g}", c["seeds"], _pct(c["success_rate"]),
          f"{_pct(c['ci95'][0])} - {_pct(c['ci95'][1])}",
          "-" if c["median_steps"] is None else f"{c['median_steps']:.0f}",
          *[c["outcomes"][s] for s in atlas["statuses"][1:]]] for c in atlas["configs"]]), ""]
    for c in atlas["configs"]:
        solved = c["outcomes"]["solved"]
        lines += [f"## hidden {c['hidden']}, lr {c['lr']:g}, init scale {c['init_scale']:g}", "",
                  f"{solved} of {c['seeds']} starts solved XOR. Replay a start: `{c['replay']}`", ""]
        if not c["families"]:
            lines += ["(no families: none solved, or more than one hidden layer)", ""]
            continue
        lines += ["Symmetry classes:", "", _md_table(
            ["class", "starts", "share", "families", "seed", "weights"],
            [[f"`{k['class']}`", k["count"], _pct(k["share"]), k["families"], k["seed"],
              f"`{k['weights']}`" if k["weights"] else "-"] for k in c["classes"]]), ""]
        sat = [f for f in c["families"] if "unsaturated" not in f["family"]]
        rest = [f for f in c["families"] if "unsaturated" in f["family"]]
        lines += ["Families (every unit saturated):", "", _md_table(
            ["hidden gates", "output gate", "class", "starts", "share", "first seed", "weights"],
            [[" + ".join(f["hidden_gates"]), f["output_gate"], f"`{f['class']}`", f["count"], _pct(f["share"]),
              f["seed"], f"`{f['weights']}`" if f["weights"] else "-"] for f in sat]), ""]
        if rest:
            lines += [f"{sum(f['count'] for f in rest)} more solved starts ({_pct(sum(f['share'] for f in rest))}) "
                      f"have a hidden unit or output that is not saturated (between 0.2 and 0.8 somewhere), in "
                      f"{len(rest)} families listed in atlas.json.", ""]
    t = atlas["timing"]
    lines += [f"Trained {t['starts']} starts x {t['steps']} steps in {t['seconds']:.1f} s on {t['devices']} "
              f"core(s): {t['net_steps_per_s'] / 1e6:.1f} M net-steps/s, compiling included.", ""]
    return "\n".join(lines)


def _md_table(header, rows) -> str:
    out = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(out)


def draw(cfg: Config, atlas: dict, out: Path) -> None:
    from xorjax.plots import sweep as pictures

    labels = [f"h={c['hidden']} lr={c['lr']:g} s={c['init_scale']:g}" for c in atlas["configs"]]
    pictures.outcome_shares(out / "outcomes.png", labels, [c["outcomes"] for c in atlas["configs"]],
                            atlas["statuses"])
    # Every unit saturated before not; the most frequent family of each class first (most frequent
    # classes first), then other families.
    candidates = [(c, f) for c in atlas["configs"] for f in c["families"] if f["weights"]]
    totals = {}
    for c in atlas["configs"]:
        for k in c["classes"]:
            totals[k["class"]] = totals.get(k["class"], 0) + k["count"]
    order = {name: -count for name, count in totals.items()}
    firsts, rest, seen = [], [], set()
    for c, f in sorted(candidates, key=lambda cf: ("unsaturated" in cf[1]["family"], order[cf[1]["class"]],
                                                   -cf[1]["count"])):
        (rest if f["class"] in seen else firsts).append((c, f))
        seen.add(f["class"])
    reps = []
    for c, f in (firsts + rest)[:PICTURED]:
        reps.append({"weights": io.read_weights(out / f["weights"]),
                     "title": f"{f['family']}\nclass {f['class']}\nseed {f['seed']}, lr {c['lr']:g}"})
    if reps:
        pictures.solutions(out / "solutions.png", reps, cfg.model.activation)


def run(cfg: Config, out: Path) -> dict:
    cells, per, starts, timing = train_all(cfg)
    atlas = build_atlas(cfg, cells, per, starts, timing, out)
    io.write_json(out / "atlas.json", atlas)
    summary.write_text(out / "atlas.md", markdown(atlas))
    log.info("\n" + outcome_table(atlas["configs"]))
    for c in atlas["configs"]:
        if c["classes"]:
            log.info(f"\nlr {c['lr']:g}, init scale {c['init_scale']:g}: classes of the solutions found")
            log.info(report.table(["class", "starts", "share", "families"],
                                  [[k["class"], str(k["count"]), _pct(k["share"]), str(k["families"])]
                                   for k in c["classes"][:8]]))
    if cfg.logger.plots:
        draw(cfg, atlas, out)
    log.info(f"\nwrote {out}/atlas.json, atlas.md")
    return atlas
