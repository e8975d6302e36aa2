"""The atlas: atlas.json's content from the sweep's tallies (per setting its outcomes, mechanisms, families and
classes, each with a representative's weights in ``solutions/``), written with its report and pictures."""

import logging
from pathlib import Path

from xorjax.config import Config
from xorjax.core import descent, engine, mechanism, parts, tally
from xorjax.experiments.sweep import pictures, plan, report
from xorjax.output import io

log = logging.getLogger(__name__)


MAX_SOLUTION_FILES = 24  # per setting: weights.json for the most frequent families, and mechanisms


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
                "replay": plan.replay(cfg, lr, scale),
            }
        )
    atlas = {
        "settings": plan.describe(cfg),
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
    chosen = [t.representatives[tuple(m.pop("row"))] for m in entries]
    explained = mechanism.explain_many([w for _, _, w in chosen], cfg.model.activation, [k for _, k, _ in chosen])
    for k, (m, (i, _, weights), rep) in enumerate(zip(entries, chosen, explained)):
        m.pop("first_start")
        m["gates"], m["seed"], m["kept"], m["weights"] = rep["layers"][0], starts.seed(i), rep["kept"], None
        if len(cfg.model.hidden) > 1:
            m["layers"] = rep["layers"]
        if k < MAX_SOLUTION_FILES:
            path = out / "solutions" / f"s{g}-m{k + 1:02d}.weights.json"
            path.parent.mkdir(exist_ok=True)
            io.write_json(path, io.weights_to_json(weights))
            m["weights"] = str(path.relative_to(out))
    return entries


def finish(
    cfg: Config,
    starts: engine.Grid,
    tallies: list,
    firsts: dict,
    timing: dict,
    out: Path,
    extra: dict | None = None,
    painter=None,
) -> dict:
    """Writes the atlas, its tables and pictures (by ``painter``'s helpers when given) from the sweep's tallies:
    those of a trained sweep, or of its parts merged (``part_files.finish_parts``, whose ``extra`` top-level keys
    are added where the atlas has none)."""
    atlas = build_atlas(cfg, starts, tallies, firsts, timing, out)
    for key, value in (extra or {}).items():
        atlas.setdefault(key, value)
    # The pictures are drawn while the atlas and its report are written.
    drawn = pictures.draw(cfg, atlas, out, painter) if cfg.logger.plots else lambda: []
    io.write_json(out / "atlas.json", atlas)
    io.write_atomic(out / "atlas.md", report.markdown(atlas))
    for message in report.console(atlas):
        log.info(message)
    for note in drawn():
        log.info(note)
    log.info(f"\nwrote {out}/atlas.json, atlas.md")
    return atlas
