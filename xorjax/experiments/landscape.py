"""When gradient descent fails to find another w and b: the landscape at the point where every stuck start ended.

Trains the sweep's starts (``sweep.seeds`` of every learning rate x init scale, as ``experiment=sweep`` does,
or the seeds ``landscape.seeds``), takes the starts that did not solve (at most ``landscape.max_starts``) and, in
float64, mapped over them (``core.curvature``): the cost, the gradient norm, the Hessian's eigenvalues, the
weight norm and its growth over the last tenth of the run, and the kind of point (saddle, plateau, minimum,
other). Then two escapes, trained together by the engine as a sweep is, each ``landscape.more_steps`` steps
from where the start stopped: (a) from its final point itself, (b) after a kick of length ``landscape.kick``
along the most negative eigenvector (a random direction where there is none). Both begin with a fresh optimizer
state, so the kick is the only difference between them; with sgd, which keeps no state, (a) is exactly the run
trained longer.

Writes ``landscape.json`` (every start: its numbers, escapes and final weights, which replay with ``init=file``),
``landscape.md`` (status x kind, the escape rates, what they mean) and ``landscape.png`` (the cost around one
start of each status).
"""

import logging
import time
from pathlib import Path

import numpy as np

from xorjax import config
from xorjax.config import Config
from xorjax.core import curvature, descent, engine
from xorjax.experiments import sweep
from xorjax.experiments.sweep import plan
from xorjax.output import io, progress, tables

log = logging.getLogger(__name__)
SOLVED = descent.STATUSES.index("solved")


def check(cfg: Config) -> None:
    sweep.check(cfg)  # init=file refused: every start would be the same


def more_steps(cfg: Config) -> int:
    return cfg.landscape.more_steps or 10 * cfg.steps


def tolerances(cfg: Config) -> curvature.Tolerances:
    ls = cfg.landscape
    return curvature.Tolerances(eig=ls.eig_tol, grad=ls.grad_tol, growth=ls.growth_tol)


def starts_of(cfg: Config) -> tuple[dict, np.ndarray]:
    """Every start's inputs ({seed, scale}) and learning rate: the seeds of ``landscape.seeds`` or the sweep's,
    for every learning rate x init scale (start i is the run ``seed=<its seed>`` with that lr and scale)."""
    seeds = cfg.landscape.seeds or range(cfg.seed, cfg.seed + cfg.sweep.seeds)
    cells = engine.Grid(0, 1, cfg.sweep.lrs or [cfg.optimizer.lr], cfg.sweep.init_scales or [plan.init_scale(cfg)])
    seeds = np.asarray(list(seeds), np.int64)
    inputs = {"seed": np.tile(seeds, len(cells.cells)), "scale": np.repeat(cells.scales, len(seeds))}
    return inputs, np.repeat(cells.lrs, len(seeds))


def train(cfg: Config, inputs: dict, lrs: np.ndarray, steps: int, desc: str, init=None, finals: bool = False):
    """The starts trained by the engine, exactly as a sweep's (or, with ``init``, from given parameters)."""
    with progress.bar(len(lrs), desc, "start", allowed=cfg.logger.progress) as advance:
        return engine.run_starts(
            inputs,
            lrs,
            init or engine.sweep_init(tuple(cfg.model.hidden), cfg.init.name, cfg.precision),
            tuple(cfg.model.hidden),
            config.train_spec(cfg)._replace(steps=steps),
            activation=cfg.model.activation,
            chunk=cfg.sweep.chunk,
            advance=advance,
            finals=finals,
        )


def escaped(starts: engine.Starts) -> tuple[np.ndarray, np.ndarray]:
    """Whether each start solved, and the step it did so: its first with accuracy 1.0, or with a stop criterion
    (``sweep.stop_sse``) the step it met that (-1 where it did not solve)."""
    ok = starts.status == SOLVED
    return ok, np.where(ok, starts.solved_at if starts.stopped_at is None else starts.stopped_at, -1)


def run(cfg: Config, out: Path) -> dict:
    t0 = time.perf_counter()
    inputs, lrs = starts_of(cfg)
    log.info(plan.describe(cfg))
    log.info(f"training {len(lrs)} starts, keeping where each ended")
    trained = train(cfg, inputs, lrs, cfg.steps, "training", finals=True)
    chosen = np.arange(len(lrs)) if cfg.landscape.seeds else np.flatnonzero(trained.status != SOLVED)
    chosen = chosen[: cfg.landscape.max_starts]
    t1 = time.perf_counter()
    entries, pictured, (analysis_s, escapes_s) = (
        examine(cfg, inputs, lrs, trained, chosen) if len(chosen) else ([], None, (0.0, 0.0))
    )
    result = {
        "settings": settings(cfg, trained, chosen),
        "starts": entries,
        "timing": {
            "starts_trained": len(lrs),
            "starts_analysed": len(chosen),
            "training_s": t1 - t0,
            "analysis_s": analysis_s,
            "escapes_s": escapes_s,
        },
    }
    result["counts"] = counts(result["starts"])
    io.write_json(out / "landscape.json", result)
    io.write_atomic(out / "landscape.md", markdown(result))
    log.info("\n" + console(result))
    drawn = cfg.logger.plots and pictured is not None
    if drawn:
        draw(cfg, result, *pictured, out)
    log.info(f"\nwrote {out}/landscape.json, landscape.md" + (", landscape.png" if drawn else ""))
    return result


def examine(cfg: Config, inputs: dict, lrs: np.ndarray, trained: engine.Starts, chosen: np.ndarray):
    """The chosen starts' analysis and escapes: their landscape.json entries, what the pictures need (the
    points, θ, ``unravel``), and the seconds the analysis and the escapes took."""
    t = time.perf_counter()
    final = {k: v[..., chosen] for k, v in trained.final.items()}
    late = {k: v[..., chosen] for k, v in trained.late.items()}
    tol = tolerances(cfg)
    thetas, unravel = curvature.flat(final)
    point = curvature.analyse(final, cfg.model.activation, cfg.loss)
    growth = curvature.growth(final, late)
    kinds = curvature.classify(point, growth, cfg.precision, tol)
    directions, along = curvature.kick_directions(point, inputs["seed"][chosen], tol)
    analysis_s = time.perf_counter() - t
    log.info(f"analysed {len(chosen)} final points in float64 in {analysis_s:.1f} s; trying the escapes")
    t = time.perf_counter()
    moved = curvature.unflat(
        curvature.kicked(thetas, directions, cfg.landscape.kick, unravel, cfg.model.activation, cfg.loss), unravel
    )
    # Both escapes in one call (one program, one compilation): the final points, then the kicked ones.
    both = {k: np.moveaxis(np.concatenate([final[k], moved[k]], axis=-1), -1, 0) for k in final}
    lr = np.concatenate([lrs[chosen], lrs[chosen]])
    ok, step = escaped(train(cfg, both, lr, more_steps(cfg), "escapes", init=engine.given_init(cfg.precision)))
    m = len(chosen)
    longer, kick = (ok[:m], step[:m]), (ok[m:], step[m:])
    entries = [
        start_entry(i, inputs, lrs, trained, point, kinds, growth, along, longer, kick, final, j)
        for j, i in enumerate(chosen.tolist())
    ]
    return entries, (point, thetas, unravel), (analysis_s, time.perf_counter() - t)


def settings(cfg: Config, trained: engine.Starts, chosen: np.ndarray) -> dict:
    tol = tolerances(cfg)
    return {
        "describe": plan.describe(cfg),
        "precision": cfg.precision,
        "hidden": list(cfg.model.hidden),
        "steps": cfg.steps,
        "more_steps": more_steps(cfg),
        "kick": cfg.landscape.kick,
        "span": cfg.landscape.span,
        "seeds": cfg.landscape.seeds or [cfg.seed, cfg.seed + cfg.sweep.seeds - 1],
        "chosen": "the seeds given" if cfg.landscape.seeds else f"unsolved starts, at most {cfg.landscape.max_starts}",
        "outcomes": {s: int(np.sum(trained.status == i)) for i, s in enumerate(descent.STATUSES)},
        "tolerances": {
            "eig": tol.eig,
            "grad": tol.grad,
            "growth": tol.growth,
            "round_off": curvature.round_off(cfg.precision),
        },
        "replay": plan.replay(cfg, cfg.optimizer.lr, plan.init_scale(cfg)),
    }


def start_entry(i, inputs, lrs, trained, point, kinds, growth, along, longer, kick, final, j) -> dict:
    """One analysed start as landscape.json holds it (j: its row among the analysed starts)."""
    num = io.finite_or_none
    return {
        "seed": int(inputs["seed"][i]),
        "lr": float(lrs[i]),
        "init_scale": float(inputs["scale"][i]),
        "status": descent.STATUSES[int(trained.status[i])],
        "kind": curvature.KINDS[int(kinds["kind"][j])],
        "cost": num(point.cost[j]),
        "grad_norm": num(point.grad_norm[j]),
        "eigenvalues": [num(v) for v in point.eigenvalues[j]],
        "negative": int(kinds["negative"][j]),
        "zero": int(kinds["zero"][j]),
        "positive": int(kinds["positive"][j]),
        "weight_norm": num(curvature.norms({k: v[..., j : j + 1] for k, v in final.items()})[0]),
        "weight_growth": num(growth[j]),
        "escaped_longer": bool(longer[0][j]),
        "escape_longer_step": int(longer[1][j]) if longer[0][j] else None,
        "escaped_kick": bool(kick[0][j]),
        "escape_kick_step": int(kick[1][j]) if kick[0][j] else None,
        "kick_along": "eigenvector" if along[j] else "random",
        "weights": io.weights_to_json({k: v[..., j] for k, v in final.items()}),
    }


def counts(starts: list[dict]) -> dict:
    """{status: {kind: n}} over the analysed starts."""
    out = {}
    for s in starts:
        by_kind = out.setdefault(s["status"], {k: 0 for k in curvature.KINDS})
        by_kind[s["kind"]] += 1
    return out


def _pct(k: int, n: int) -> str:
    return f"{k} ({k / n:.0%})" if n else "0"


def _median(values) -> str:
    return f"{np.median(values):.0f}" if len(values) else "-"


def kind_rows(result: dict) -> list[list]:
    """status x kind, with each row's total."""
    return [
        [status, *[c[k] for k in curvature.KINDS], sum(c.values())]
        for status in descent.STATUSES
        if (c := result["counts"].get(status))
    ]


def escape_rows(result: dict) -> list[list]:
    """Per status: the starts, how many each escape freed, and the median steps it took."""
    rows = []
    for status in descent.STATUSES:
        group = [s for s in result["starts"] if s["status"] == status]
        if not group:
            continue
        longer = [s["escape_longer_step"] for s in group if s["escaped_longer"]]
        kick = [s["escape_kick_step"] for s in group if s["escaped_kick"]]
        rows.append(
            [
                status,
                len(group),
                _pct(len(longer), len(group)),
                _median(longer),
                _pct(len(kick), len(group)),
                _median(kick),
            ]
        )
    return rows


ESCAPE_HEADER = ["status", "starts", "escaped: longer", "median steps", "escaped: kick", "median steps"]


def finding(result: dict) -> str:
    """The finding in two or three plain sentences, from the counts."""
    starts = result["starts"]
    n = len(starts)
    if not n:
        return "Every start solved XOR: there is no stuck start to analyse."
    by = {k: sum(s["kind"] == k for s in starts) for k in curvature.KINDS}
    st = result["settings"]
    longer = sum(s["escaped_longer"] for s in starts)
    kick = sum(s["escaped_kick"] for s in starts)
    if by["minimum"]:
        seeds = ", ".join(str(s["seed"]) for s in starts if s["kind"] == "minimum")
        first = (
            f"{by['minimum']} of the {n} stuck points look like local minima (seeds {seeds}): the literature finds "
            "none at finite weights for this network, so look at these closely before believing either side."
        )
    else:
        first = (
            f"None of the {n} stuck points is a local minimum: {by['saddle']} are saddles, where a direction "
            f"downhill exists, and {by['plateau']} are plateaus whose weights keep growing towards infinity as "
            f"units saturate ({by['other']} other)."
        )
    return (
        f"{first} Training {st['more_steps']} steps longer freed {longer / n:.0%} of them; a kick of length "
        f"{st['kick']:g} and then as many steps freed {kick / n:.0%}. "
        "Gradient descent is slowed and stuck by saddles and by flat valleys that lead off to infinity, "
        "not trapped in a minimum."
    )


def markdown(result: dict) -> str:
    st, tol = result["settings"], result["settings"]["tolerances"]
    t = result["timing"]
    return "\n".join(
        [
            "# The landscape where gradient descent stopped",
            "",
            st["describe"],
            "",
            f"{t['starts_trained']} starts trained ({', '.join(f'{k} {v}' for k, v in st['outcomes'].items() if v)}); "
            f"analysed: {st['chosen']}, {t['starts_analysed']} starts, in float64.",
            "",
            finding(result),
            "",
            "## Where each start stopped: status x kind",
            "",
            tables.markdown(["status", *curvature.KINDS, "total"], kind_rows(result)),
            "",
            *[f"- **{k}**: {curvature.KIND_MEANING[k]}" for k in curvature.KINDS],
            "",
            f"Tolerances: an eigenvalue is clearly negative below −{tol['eig']:g} × the largest |eigenvalue| (clearly "
            f"positive above +{tol['eig']:g} ×, near zero between); a gradient norm below {tol['grad']:g} is small; "
            f"the weights are growing when their norm rose by more than {tol['growth']:.1%} over the last tenth of "
            f"the run; a gradient at round-off level is below √ε of {st['precision']} = {tol['round_off']:.2g}.",
            "",
            "## Escapes",
            "",
            f"Each start trained {st['more_steps']} steps more with a fresh optimizer state, (a) **longer**: from "
            f"where it stopped (with sgd exactly the run trained longer); (b) **kick**: after a step of length "
            f"{st['kick']:g} along the most negative eigenvector (the downhill way round; a random direction drawn "
            "from the seed where no eigenvalue is clearly negative). The medians count the steps after the run "
            "(after the kick) to the first with accuracy 1.0 (with a stop criterion: to the step that met it).",
            "",
            tables.markdown(ESCAPE_HEADER, escape_rows(result)),
            "",
            f"Replay a start: `{st['replay']}`, or its final weights from landscape.json with `init=file`.",
            "",
            "![the cost around one start of each status](landscape.png)",
            "",
            f"Trained {t['starts_trained']} starts in {t['training_s']:.1f} s, analysed {t['starts_analysed']} in "
            f"{t['analysis_s']:.1f} s, escapes in {t['escapes_s']:.1f} s.",
            "",
        ]
    )


def console(result: dict) -> str:
    if not result["starts"]:
        return finding(result)
    kinds = tables.table(["status", *curvature.KINDS, "total"], kind_rows(result))
    return "\n\n".join([kinds, tables.table(ESCAPE_HEADER, escape_rows(result)), finding(result)])


def draw(cfg: Config, result: dict, point, thetas, unravel, out: Path) -> None:
    """landscape.png: for the first analysed start of each status, the cost along the smallest eigen-direction,
    over the plane of the two smallest, and along the ray of its weights scaled."""
    from xorjax.output.plots import starts as pictures

    rows, seen = [], set()
    for j, s in enumerate(result["starts"]):
        if s["status"] in seen or s["cost"] is None:
            continue
        seen.add(s["status"])
        cut = curvature.slices(
            thetas[j], point.smallest[j], cfg.landscape.span, unravel, cfg.model.activation, cfg.loss
        )
        title = (
            f"{s['status']}, seed {s['seed']}: {s['kind']} (λ1 = {point.eigenvalues[j, 0]:.2g}, "
            f"λ2 = {point.eigenvalues[j, 1]:.2g}, |∇C| = {s['grad_norm']:.2g})"
        )
        rows.append({"status": s["status"], "title": title, **cut})
    pictures.landscape(out / "landscape.png", rows, cfg.landscape.span)
