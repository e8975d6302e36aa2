"""The whole lecture in one command: each section in its order, one report (lecture.md and lecture.html).

Every section runs the experiment that teaches it (``handcrafted``, ``logistic``, ``derivatives``,
``backprop``, ``train``, ``sweep``) into a sub-folder of its own, exactly as its own command would, and the
report quotes the numbers it returned and shows the pictures it drew. A section that fails is reported as
such; the others still run.
"""

import dataclasses
import json
import logging
import math
import time
from pathlib import Path

import numpy as np

from xorjax.config import ANOTHER_WEIGHTS, LECTURE_SWEEP, Config
from xorjax.core import atlas, data, descent, model
from xorjax.errors import WriteError
from xorjax.output import html_page, io, progress, tables

log = logging.getLogger(__name__)

WIDER = ([3], [4])  # the wider nets whose mechanisms section 7 sets beside the 2-2-1 net's
FAMILIES_SHOWN = 8  # of its solutions' families, in the report's table


def _replace(cfg: Config, **changes) -> Config:
    """``cfg`` with nested changes: ``_replace(cfg, model={"hidden": []})``."""
    out = {}
    for key, value in changes.items():
        out[key] = dataclasses.replace(getattr(cfg, key), **value) if isinstance(value, dict) else value
    return dataclasses.replace(cfg, **out)


def _gate(bits, names=("x1", "x2")) -> str:
    """A unit's 0/1 values on the four patterns -> its gate's name (``atlas.GATES``), its inputs ``names``."""
    return atlas.gate_name(tuple(int(b) for b in bits), names)


def _num(v, digits: int = 4) -> str:
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def _yhat(v) -> str:
    """ŷ with as many digits as show its side of 0.5 (``tables.yhat_str``)."""
    return "—" if v is None else tables.yhat_str(v)


def _pictures(folder: Path, rel: str, names) -> str:
    return "\n\n".join(f"![{n.replace('_', ' ')}]({rel}/{n}.png)" for n in names if (folder / f"{n}.png").is_file())


# --- the sections: each runs one experiment into ``sub`` and returns (Markdown, numbers) -----------------


def _worked(cfg: Config, sub: Path, rel: str, weights: dict, intro: str):
    from xorjax.experiments import handcrafted

    cfg = _replace(cfg, handcrafted=weights, init={"name": "normal"}, model={"hidden": [2]})
    m = handcrafted.run(cfg, sub)
    W1, b1 = np.asarray(weights["W1"], float), np.asarray(weights["b1"], float)
    W2, b2 = np.asarray(weights["W2"], float)[:, 0], float(weights["b2"][0])
    H = np.asarray(m["hidden_outputs"][0])
    rows = []
    for p, x in enumerate(data.X):
        z = x @ W1 + b1
        rows.append(
            [
                int(x[0]),
                int(x[1]),
                _num(z[0], 2),
                _num(H[p, 0]),
                _num(z[1], 2),
                _num(H[p, 1]),
                _num(H[p] @ W2 + b2, 2),
                _yhat(m["predictions"][p]),
                int(data.Y[p]),
            ]
        )
    units = tables.markdown(
        ["unit", "weights", "bias"],
        [
            ["hidden 1", f"({W1[0, 0]:g}, {W1[1, 0]:g})", f"{b1[0]:g}"],
            ["hidden 2", f"({W1[0, 1]:g}, {W1[1, 1]:g})", f"{b1[1]:g}"],
            ["output (over y1, y2)", f"({W2[0]:g}, {W2[1]:g})", f"{b2:g}"],
        ],
    )
    hidden_gates = [_gate(H[:, j] > 0.5) for j in range(2)]
    # The output unit over the binary hidden values (y1, y2), in the patterns' order.
    output_gate = _gate(np.asarray(model.OUTPUT.fn(data.X @ W2 + b2)) > 0.5, ("y1", "y2"))
    verdict = (
        "**These weights compute XOR.**"
        if m["xor"]
        else f"**These weights do not compute XOR** (predictions {[int(v > 0.5) for v in m['predictions']]})."
    )
    md = (
        f"{intro}\n\n{units}\n\n"
        + tables.markdown(["x1", "x2", "z1", "y1", "z2", "y2", "ẑ", "ŷ", "XOR"], rows)
        + f"\n\n{verdict} Hidden unit 1 behaves as **{hidden_gates[0]}**, hidden unit 2 as "
        f"**{hidden_gates[1]}**, and the output as **{output_gate}** of (y1, y2).\n\n"
        + _pictures(sub, rel, ["decision_surface", "hidden_space"])
    )
    return md, {
        "xor": m["xor"],
        "predictions": m["predictions"],
        "hidden_gates": hidden_gates,
        "output_gate": output_gate,
    }


def hand_set(cfg: Config, sub: Path, rel: str):
    return _worked(
        cfg,
        sub,
        rel,
        dataclasses.asdict(cfg.handcrafted),
        "Two sigmoid hidden units and one sigmoid output, with the lecture's weights. Each unit "
        "computes z = x·w + b and y = σ(z); the table works all four inputs through, as the "
        "lecture does for (0, 0).",
    )


def another(cfg: Config, sub: Path, rel: str):
    return _worked(
        cfg,
        sub,
        rel,
        ANOTHER_WEIGHTS,
        "The lecture asks: *can you find another w and b for XOR?* Here is one: XOR is also OR and "
        "not AND, i.e. AND(OR, NAND). Find your own by moving the weights at the [end of this page]"
        "(#xj-playground) (in lecture.html).",
    )


def single_layer(cfg: Config, sub: Path, rel: str):
    from xorjax.experiments import logistic

    m = logistic.run(_replace(cfg, model={"hidden": []}, init={"name": "normal"}), sub)
    md = (
        f"Lab 9-1: one sigmoid unit, ŷ = σ(x·W + b), trained like the network ({cfg.steps} steps of "
        f"{cfg.optimizer.name}, lr {cfg.optimizer.lr:g}). It ends at accuracy **{m['accuracy']}** with cost "
        f"{_num(m['final_loss'])}: one straight line cannot put (0,1) and (1,0) on one side and (0,0) and "
        "(1,1) on the other. Adding the conditions for the first pair gives w1 + w2 + 2b > 0, for the "
        f"second w1 + w2 + 2b < 0. {logistic.found(m, cfg.loss) or 'The picture shows the line it found.'}\n\n"
        + _pictures(sub, rel, ["decision_surface", "history"])
    )
    return md, {"accuracy": m["accuracy"], "final_loss": m["final_loss"]}


def derivatives(cfg: Config, sub: Path, rel: str):
    from xorjax.experiments import derivatives as experiment

    r = experiment.run(cfg, sub)
    rows = [
        [
            f"{x['name']}",
            f"∂/∂{x['wrt']}",
            f"{x['numerical']:.6g}",
            f"{x['central']:.6g}",
            f"{x['autodiff']:.6g}",
            f"{x['exact']:.6g}",
        ]
        for x in r["rows"]
    ]
    h = r["h_table"]
    steps = [
        [f"{s['h']:.0e}", f"{s['forward_error']:.1e}", f"{s['central_error']:.1e}", f"{s['forward_float32_error']:.1e}"]
        for s in h["rows"]
    ]
    md = (
        f"A derivative is the rate of change, (f(x + h) − f(x)) / h with the lecture's h = {r['h']:g}, here "
        f"at x = {r['x']:g}, y = {r['y']:g}; next to it a central difference, `jax.grad`, and the exact "
        "rule. Partial derivatives hold the other variable constant; composites use the chain rule.\n\n"
        + tables.markdown(["f", "by", "(f(x+h) − f(x))/h", "central", "jax.grad", "exact"], rows)
        + f"\n\nNo h makes a finite difference exact: for {h['name']} the error first shrinks with h "
        "(truncation), then grows again (round-off), far sooner in float32. `jax.grad` applies the rules "
        "themselves.\n\n" + tables.markdown(["h", "forward error", "central error", "forward error (float32)"], steps)
    )
    return md, {"rows": len(r["rows"])}


def backprop(cfg: Config, sub: Path, rel: str):
    from xorjax.experiments import backprop as experiment

    r = experiment.run(cfg, sub)
    parts = []
    for key, what in (
        ("wxb", "the lecture's f = w·x + b"),
        ("xyz", "f = (x + y)·z"),
        ("neuron", "the sigmoid neuron, σ as one node"),
        ("neuron_primitives", "the same neuron, σ taken apart into primitives"),
    ):
        if key not in r:
            continue
        e = r[key]
        grads = ", ".join(f"∂f/∂{k} = {v:.4g}" for k, v in e["grads"].items())
        parts.append(
            f"**{what}** at {', '.join(f'{k} = {v:g}' for k, v in e['inputs'].items())}: "
            f"f = {e['output']:.4g}; {grads}.\n\n" + _pictures(sub, rel, [f"graph_{key}"])
        )
    ops = r.get("xor_cost", {})
    md = (
        "Back-propagation: a forward pass keeps every node's value, a backward pass multiplies each "
        "node's local derivative by the gradient coming from above (the chain rule). The graphs are "
        "JAX's own trace of each function (its jaxpr), walked node by node, and checked against "
        "`jax.grad`. Each edge carries the value going forward (above) and the gradient coming back "
        "(below).\n\n"
        + "\n\n".join(parts)
        + (
            f"\n\n*Why does TensorFlow build a graph?* To take derivatives. The 2-2-1 network's cost is a "
            f"graph of {ops['cost_ops']} operations; `jax.grad` turns it into one of {ops['grad_ops']} that "
            f"runs it forward, then backward (`{rel}/xor_cost_jaxpr.txt`)."
            if ops
            else ""
        )
    )
    return md, {k: {"output": v["output"], "grads": v["grads"]} for k, v in r.items() if "grads" in v}


def learning(cfg: Config, sub: Path, rel: str):
    from xorjax.experiments import train as experiment

    m = experiment.run(_replace(cfg, model={"hidden": [2]}), sub)
    with open(sub / "history.csv") as f:
        history = [line.strip().split(",") for line in f][1:]
    shown = history if len(history) <= 12 else history[:: max(1, len(history) // 10)] + [history[-1]]
    solved = (
        f"It solves XOR: accuracy 1.0 first at step **{m['solved_at']}**, final cost {_num(m['final_loss'])}."
        if m["status"] == "solved"
        else f"This start does **not** solve XOR ({m['status']}: {descent.STATUS_MEANING[m['status']]}; accuracy "
        f"{m['accuracy']}): whether training finds a solution depends on where it starts, which the next "
        "section measures."
    )
    md = (
        f"Lab 9-2: the same 2-2-1 network, weights drawn from N(0, 1) with seed {m['seed']}, trained by "
        f"{m['optimizer']} (lr {m['lr']:g}) on the cross-entropy cost for {m['steps']} steps. {solved} "
        f"The predictions are {', '.join(_yhat(v) for v in m['predictions'])}.\n\n"
        + tables.markdown(["step", "cost", "accuracy"], [[s, tables.cost(c), float(a)] for s, c, a in shown])
        + "\n\n"
        + _pictures(sub, rel, ["history", "decision_surface", "hidden_space", "weights"])
        + f"\n\nLab 9-4's TensorBoard view of the same run (cost, accuracy, histograms of W1, b1, the hidden "
        f"layer, W2, b2 and ŷ): `tensorboard --logdir {sub}`."
    )
    return md, {k: m[k] for k in ("status", "solved_at", "accuracy", "final_loss", "predictions")}


def how_often(cfg: Config, sub: Path, rel: str):
    from xorjax.experiments import sweep

    cfg = _replace(cfg, model={"hidden": [2]}, init={"name": "normal"}, sweep={"seeds": LECTURE_SWEEP})
    sweep.run(cfg, sub)
    c = json.loads((sub / "atlas.json").read_text())["configs"][0]
    n, rate, (lo, hi), outcomes = c["seeds"], c["success_rate"], c["ci95"], c["outcomes"]
    families = c.get("families", [])
    md = (
        f"The lecture's question made concrete: train {n} starts (seeds {cfg.seed} … {cfg.seed + n - 1}, the "
        f"same settings as above) side by side and count. **{100 * rate:.1f}%** solve XOR (95% interval "
        f"{100 * lo:.1f}% – {100 * hi:.1f}%); the rest: "
        + ", ".join(f"{k} {v}" for k, v in outcomes.items() if k != "solved")
        + ". Any start can be replayed alone: `python -m xorjax.run seed=<i>`.\n\n"
        + "\n".join(f"- **{k}**: {descent.STATUS_MEANING[k]}" for k, v in outcomes.items() if v and k != "solved")
    )
    if families:
        shown = families[:FAMILIES_SHOWN]
        cut = tables.more(
            len(shown), len(families), "families", f"`{rel}/atlas.md` and `{rel}/atlas.json` (key configs[0].families)"
        )
        md += (
            "\n\nThe solutions it found, by the gates of their hidden units (the most frequent first):\n\n"
            + tables.markdown(
                ["hidden units", "output", "class", "starts"],
                [[" + ".join(f["hidden_gates"]), f["output_gate"], f.get("class", ""), f["count"]] for f in shown],
            )
            + (f"\n\n{cut}." if cut else "")
        )
    wider, mechanisms = wider_nets(cfg, sub, rel, c)
    md += "\n\n" + wider
    md += "\n\n" + "\n\n".join(f"![{p.stem}]({rel}/{p.name})" for p in sorted(sub.glob("*.png")))
    return md, {"starts": n, "success_rate": rate, "ci95": [lo, hi], "outcomes": outcomes, "mechanisms": mechanisms}


def wider_nets(cfg: Config, sub: Path, rel: str, lecture: dict) -> tuple[str, dict]:
    """The same sweep for the ``WIDER`` nets (no pictures), their mechanisms beside the 2-2-1 net's: a sentence and
    a small table; and the numbers {"2-3-1": {"mechanisms": .., "top_two": .., "two_units": ..}, ...}."""
    from xorjax.experiments import sweep

    answers = [m["mechanism"] for m in lecture["mechanisms"][:2]]
    rows, numbers = [], {}
    for hidden in [[2], *WIDER]:
        net = "2-" + "-".join(map(str, hidden)) + "-1"
        if hidden == [2]:
            c = lecture
        else:
            wide = _replace(cfg, model={"hidden": hidden}, logger={"plots": False})
            folder = sub / net
            folder.mkdir(exist_ok=True)
            c = sweep.run(wide, folder)["configs"][0]
        mechs, solved = c["mechanisms"], c["outcomes"]["solved"]
        both = sum(m["count"] for m in mechs if m["mechanism"] in answers) / solved if solved else 0.0
        two = c["essential_units"].get("2", 0) / solved if solved else 0.0
        numbers[net] = {"mechanisms": len(mechs), "lectures_two": both, "two_units": two}
        rows.append([net, f"{100 * c['success_rate']:.1f}%", len(mechs), f"{100 * both:.1f}%", f"{100 * two:.1f}%"])
    md = (
        "Wider nets find the same two answers. Remove every hidden unit a solution does not need (replace its output "
        "by its mean over the four patterns, and keep the removal while the net still computes XOR): what is left "
        "of a 2-3-1 or 2-4-1 net is almost always one of the 2-2-1 net's two mechanisms, "
        + " and ".join(f"`{a}`" for a in answers)
        + ", plus spare units.\n\n"
        + tables.markdown(
            ["net", "solved", "mechanisms", "the 2-2-1's two", "need 2 units"],
            rows,
        )
        + f"\n\n(The same {LECTURE_SWEEP} seeds for each net; the wider nets' atlases are in `{rel}/2-3-1` and "
        f"`{rel}/2-4-1`.)"
    )
    return md, numbers


def when_it_fails(cfg: Config, sub: Path, rel: str):
    from xorjax.experiments import landscape

    cfg = _replace(cfg, model={"hidden": [2]}, init={"name": "normal"}, sweep={"seeds": LECTURE_SWEEP})
    result = landscape.run(cfg, sub)
    n = len(result["starts"])
    md = (
        f"Why do the other starts fail? The {n} starts of the sweep above that did not solve XOR, each looked at "
        "where training left it: the gradient and the Hessian's eigenvalues of the cost there, in float64, and "
        "whether the weights were still growing (`experiment=landscape`).\n\n"
        f"**{landscape.finding(result)}**\n\n"
        + tables.markdown(["status", *landscape.curvature.KINDS, "total"], landscape.kind_rows(result))
        + "\n\n"
        + "\n".join(f"- **{k}**: {landscape.curvature.KIND_MEANING[k]}" for k in landscape.curvature.KINDS)
        + "\n\n"
        + tables.markdown(landscape.ESCAPE_HEADER, landscape.escape_rows(result))
        + f"\n\nBoth escapes train {result['settings']['more_steps']} more steps: from where the start stopped, or "
        f"after a kick of length {result['settings']['kick']:g} along the most negative eigenvector. "
        f"Every start's numbers and weights: `{rel}/landscape.json`.\n\n" + _pictures(sub, rel, ["landscape"])
    )
    return md, {"analysed": n, "counts": result["counts"]}


SECTIONS = [
    ("1_handcrafted", "1. XOR with hand-set weights", hand_set),
    ("2_another", "2. Another w and b", another),
    ("3_single_layer", "3. One layer is not enough", single_layer),
    ("4_derivatives", "4. Derivatives", derivatives),
    ("5_backprop", "5. Back-propagation on a graph", backprop),
    ("6_train", "6. The network learns XOR", learning),
    ("7_how_often", "7. How often does it learn? A small sweep", how_often),
    ("8_when_it_fails", "8. When gradient descent fails", when_it_fails),
]


def run(cfg: Config, out: Path) -> dict:
    t0 = time.perf_counter()
    parts = [
        "# XOR with deep learning: the whole lecture, computed\n",
        "Every number and picture below was computed by this run (`python -m xorjax.run "
        "experiment=lecture`); each section's own files are in its sub-folder.\n",
    ]
    results, failed = {}, []
    with progress.bar(total=len(SECTIONS), desc="lecture", unit="section", allowed=cfg.logger.progress) as advance:
        for folder, title, section in SECTIONS:
            sub = out / folder
            sub.mkdir(parents=True, exist_ok=True)
            log.info(f"\n{'=' * 8} {title} {'=' * 8}")
            t = time.perf_counter()
            try:
                md, numbers = section(cfg, sub, folder)
            except WriteError:  # a full or read-only disk fails every later section too: the run ends with its line
                raise
            except Exception as e:  # the other sections still run; the report says what went wrong
                log.exception(f"section {title!r} failed")
                md, numbers = f"*This section failed: {type(e).__name__}: {e}*", None
                failed.append(folder)
            results[folder] = {"title": title, "seconds": round(time.perf_counter() - t, 2), "numbers": numbers}
            parts.append(f"## {title}\n\n{md}\n")
            advance(1)
    seconds = time.perf_counter() - t0
    parts.append(
        f"---\n\n*{len(SECTIONS) - len(failed)} of {len(SECTIONS)} sections in {seconds:.1f} s. "
        f"TensorBoard for every training run above: `tensorboard --logdir {out}`.*\n"
    )
    io.write_atomic(out / "lecture.md", "\n".join(parts))
    from xorjax.experiments import handcrafted  # its playground, with a preset for each class the sweep found

    playground = handcrafted.playground_section(next(iter(sorted(out.glob("*/atlas.json"))), None))
    page = html_page.write(out / "lecture.md", "XOR with deep learning: the whole lecture", extra=playground)
    summary = {"seconds": round(seconds, 2), "failed": failed, "sections": results}
    io.write_json(out / "lecture.json", summary)
    log.info(
        f"\nthe lecture in {seconds:.1f} s: {out / 'lecture.md'} and {page}"
        + (f"; failed sections: {', '.join(failed)}" if failed else "")
    )
    return summary
