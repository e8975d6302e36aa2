"""The lecture's "can you find another w and b?" in the browser, by hand and by gradient descent: a page's
playground section.

The section is self-contained HTML, CSS and JavaScript (no network, no files beside the page): nine weights of
the lecture's 2-2-1 sigmoid net, each a slider with a number box, and, live as they move, the truth table, the
verdict, the gate each unit computes and the decision surface. Play, Step, ×100 and Reset train them by
xorjax's gradient descent (full batch, mean BCE from the logit, float64), with a learning rate, a step counter,
the cost and its curve, and xorjax's status words. The link's fragment holds the run:
``#W1=a,b,c,d&b1=e,f&W2=g,h&b2=i&lr=…&train=N`` (each array flattened row by row as in weights.json; the start,
the learning rate and the steps taken, which the page takes at once on opening). Everything the page must agree
on with the rest of xorjax (the weights' names and shapes, the patterns, the gate names, the saturation margin,
the status words, their thresholds and meanings, the plane and colours of the pictures) is written into the
page from the Python modules that define it; the script (``page.js``) only computes, styled by ``page.css``:
both files of this package, inlined into the one page.

Stable hooks for tests: ``id="xj-yhat-0"`` … ``"xj-yhat-3"`` (ŷ of (0,0), (0,1), (1,0), (1,1)), ``id="xj-cost"``
(each with ``data-value``, every digit), ``id="xj-step"``, ``id="xj-state"`` (``data-status``: the status word)
and ``id="xj-verdict"``; ``window.xjPlayground`` holds the script's training and status rules.
"""

import html
import json
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from xorjax.core import atlas, data, descent, model
from xorjax.output import html_page, io
from xorjax.output.plots import COLORS
from xorjax.output.plots.network import LIMITS

TITLE = "Find another w and b"
HIDDEN = [2]  # the lecture's 2-2-1 net: the one the page's forward pass computes
SHAPES = model.param_shapes(HIDDEN)  # W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,): the order of the link's fragment
SLIDER = {"min": -30, "max": 30, "step": 0.1}  # the number boxes take any value; a slider stops at its ends
LR_CHOICES = (0.03, 0.1, 0.3, 1.0, 3.0)  # one click each beside the learning rate's box, which takes any rate > 0
SPEEDS = (1, 10, 100, 1000)  # steps a frame while playing (about 60 frames a second)
SPEED = 10  # the first: a 10,001-step run of the lab in under 20 s, slow enough to watch the weights move
# The most steps the page takes (a link's train=, or playing): a million take 0.3 to 1 s here
# (benchmarks/bench_playground.py), so a link never holds the page for more than a few seconds.
MAX_TRAIN = 10_000_000


class Preset(NamedTuple):
    """A button that sets the nine weights."""

    label: str  # the gates the weights compute, e.g. "OR + NAND → AND"
    weights: dict  # W1, b1, W2, b2 as in weights.json
    note: str = ""  # where they come from


def fits(params, activation: str = "sigmoid") -> bool:
    """Whether the playground shows these weights: the lecture's 2-2-1 net with sigmoid hidden units."""
    return (
        activation == "sigmoid"
        and set(params) == set(SHAPES)
        and all(np.shape(params[k]) == shape for k, shape in SHAPES.items())
    )


def _names() -> list[str]:
    """The nine weights' names in the fragment's order: W1[0][0], W1[0][1], W1[1][0], …, b2[0]."""
    return [f"{k}{''.join(f'[{i}]' for i in index)}" for k, shape in SHAPES.items() for index in np.ndindex(shape)]


def flat(params) -> list[float]:
    """The nine numbers in the fragment's order (each array row by row)."""
    return [float(v) for k in SHAPES for v in np.ravel(np.asarray(params[k], np.float64))]


def _number(v: float) -> str:
    """A weight as the link writes it: every digit it has (a float32 from training keeps its value), no ".0"."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def fragment(params, lr: float | None = None, train: int = 0) -> str:
    """``W1=a,b,c,d&b1=e,f&W2=g,h&b2=i[&lr=…][&train=N]``: the link's fragment (without ``#``) that opens the page
    at ``params`` (with the learning rate ``lr``, after ``train`` steps of gradient descent)."""
    parts = [f"{k}=" + ",".join(_number(v) for v in np.ravel(np.asarray(params[k], np.float64))) for k in SHAPES]
    return "&".join(parts + ([f"lr={_number(lr)}"] if lr is not None else []) + ([f"train={train}"] if train else []))


def gates(params) -> str:
    """What the weights compute, by the atlas's names: the lecture's are "AND + NOR → NOR"."""
    starts = {k: np.asarray(params[k], np.float64)[..., None] for k in SHAPES}  # one start, as a sweep keeps them
    hidden, output = atlas.tables(starts)
    # The output's gate named over (y1, y2), as the page's sentence under the verdict names it.
    return (
        " + ".join(atlas.gate_name(tuple(unit)) for unit in hidden[0])
        + " → "
        + atlas.gate_name(tuple(output[0]), ("y1", "y2"))
    )


def preset(params, note: str = "") -> Preset:
    return Preset(gates(params), {k: np.asarray(params[k], np.float64).tolist() for k in SHAPES}, note)


def class_presets(atlas_json) -> list[Preset]:
    """One preset for every class of solutions a sweep of the 2-2-1 sigmoid net found: its representative
    (``solutions/*.weights.json`` beside ``atlas_json``), most frequent class first; classes without a weights
    file (past the sweep's ``MAX_SOLUTION_FILES``) are left out."""
    atlas_json = Path(atlas_json)
    found = json.loads(atlas_json.read_text())
    if found.get("activation", "sigmoid") != "sigmoid":
        return []
    presets, seen = [], set()
    for setting in found["configs"]:
        if setting["hidden"] != HIDDEN:
            continue
        for rank, c in enumerate(setting.get("classes", []), start=1):  # numbered as atlas.md lists them
            if c["class"] in seen or not c.get("weights"):
                continue
            seen.add(c["class"])
            params = io.read_weights(atlas_json.parent / c["weights"], HIDDEN, "atlas")
            note = f"class {rank}: {c['share']:.1%} of the sweep's solutions (seed {c['seed']})"
            presets.append(preset(params, note))
    return presets


def _gate_names(names) -> list[str]:
    """Every gate's name over the inputs ``names``, at the index its truth table (f(0,0), f(0,1), f(1,0), f(1,1))
    reads as a binary number: the script's table, so that the page names gates as ``atlas`` does."""
    return [atlas.gate_name(tuple(int(b) for b in f"{i:04b}"), names) for i in range(2 ** len(data.PATTERNS))]


def _units() -> list[tuple[str, list[tuple[str, str]]]]:
    """The sliders grouped by unit as the lecture's table of units: (legend, [(weight's name, what it links)])."""
    units = []
    for j in (1, 2):
        units.append(
            (
                f"Hidden unit {j}: z{j} = x1·W1[0][{j - 1}] + x2·W1[1][{j - 1}] + b1[{j - 1}], y{j} = σ(z{j})",
                [(f"W1[{i}][{j - 1}]", f"x{i + 1} → y{j}") for i in (0, 1)] + [(f"b1[{j - 1}]", f"bias of y{j}")],
            )
        )
    units.append(
        (
            "Output: ẑ = y1·W2[0][0] + y2·W2[1][0] + b2[0], ŷ = σ(ẑ)",
            [("W2[0][0]", "y1 → ŷ"), ("W2[1][0]", "y2 → ŷ"), ("b2[0]", "bias of ŷ")],
        )
    )
    return units


def _id(name: str) -> str:
    """``W1[0][1]`` -> ``xj-W1-0-1``: the number box's id (its slider's ends in ``-range``)."""
    return "xj-" + name.replace("][", "-").replace("[", "-").replace("]", "")


def _controls(start: list[float]) -> str:
    names = _names()
    parts = []
    for u, (legend, weights) in enumerate(_units()):
        rows = []
        for name, link in weights:
            i, box = names.index(name), _id(name)
            rows.append(
                f'<div class="xj-weight"><label for="{box}"><b>{name}</b> <span>{link}</span></label>'
                f'<input type="range" id="{box}-range" min="{SLIDER["min"]}" max="{SLIDER["max"]}" '
                f'step="{SLIDER["step"]}" value="{_number(start[i])}" aria-label="{name} ({link}), slider">'
                f'<input type="number" id="{box}" step="any" value="{_number(start[i])}" inputmode="decimal"></div>'
            )
        parts.append(
            f'<fieldset class="xj-unit"><legend>{html.escape(legend)}</legend>{"".join(rows)}'
            f'<p class="xj-computes">computes <output id="xj-gate-{u}"></output></p></fieldset>'
        )
    return "\n".join(parts)


def _presets(presets: list[Preset]) -> str:
    buttons = [
        f'<button type="button" id="xj-preset-{k}" title="{html.escape(p.note)}"><b>{html.escape(p.label)}</b>'
        + (f"<small>{html.escape(p.note)}</small>" if p.note else "")
        + "</button>"
        for k, p in enumerate(presets)
    ]
    return "\n".join(buttons)


def _text(name: str) -> str:
    """``page.js`` or ``page.css`` of this package, as shipped (``importlib.resources``: any install)."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _status_rules() -> dict:
    """descent's status words in their order, the thresholds of their rules and their meanings: the script
    applies these rules (``status`` in page.js) with these numbers."""
    return {
        "names": list(descent.STATUSES),
        "meaning": descent.STATUS_MEANING,
        "nearHalf": descent.NEAR_HALF,
        "right": descent.RIGHT,
        "merged": descent.MERGED,
        "stillImproving": descent.STILL_IMPROVING,
        "divergedRatio": descent.DIVERGED_RATIO,
        "late": descent.LATE,
    }


def _training(lr: float) -> str:
    """The training panel: Play, Step, ×100, Reset, the learning rate, the speed, the step counter and the cost."""
    choices = "".join(
        f'<button type="button" id="xj-lr-{k}" class="xj-choice">{_number(v)}</button>'
        for k, v in enumerate(LR_CHOICES)
    )
    speeds = "".join(
        f'<option value="{n}"{" selected" if n == SPEED else ""}>{n:,} step{"s" if n > 1 else ""} a frame</option>'
        for n in SPEEDS
    )
    return f"""<div class="xj-train" role="group" aria-label="Gradient descent">
<div class="xj-buttons">
<button type="button" id="xj-play" class="xj-main" aria-pressed="false">▶ Play</button>
<button type="button" id="xj-step-1" title="One step of gradient descent">Step</button>
<button type="button" id="xj-step-100" title="A hundred steps at once">×100</button>
<button type="button" id="xj-reset" title="Back to the start: the weights in the link, step 0">Reset</button>
</div>
<div class="xj-rate"><label for="xj-lr">learning rate</label>
<input type="number" id="xj-lr" min="0" step="any" value="{_number(lr)}" inputmode="decimal">
<span role="group" aria-label="Learning rates">{choices}</span></div>
<div class="xj-speed"><label for="xj-speed">speed</label> <select id="xj-speed">{speeds}</select></div>
<div class="xj-now"><p class="xj-readout"><span>step <output id="xj-step" data-value="0">0</output></span>
<span>cost <output id="xj-cost"></output></span></p>
<p id="xj-state" aria-live="polite"></p></div>
<figure class="xj-curve"><canvas id="xj-curve" width="720" height="280" role="img"
aria-label="The cost over the steps, on a log scale"></canvas></figure>
</div>"""


def section(start, presets: list[Preset], lr: float, log_every: int) -> str:
    """The section's HTML, opened at the weights ``start`` with the learning rate ``lr`` (a link's fragment wins
    over both); its status rules read the cost every ``log_every`` steps, as a run with that ``log_every`` does."""
    # The sums z (class xj-z) make way for ŷ on a phone's width (page.css).
    table_head = "".join(
        f'<th class="xj-z">{h}</th>' if h.startswith(("z", "ẑ")) else f"<th>{h}</th>"
        for h in ("x1", "x2", "z1", "y1", "z2", "y2", "ẑ", "ŷ", "prediction", "XOR")
    )
    rows = "".join(
        f'<tr id="xj-row-{p}"><td>{x1}</td><td>{x2}</td>'
        + "".join(f'<td class="xj-{c}{" xj-z" if "z" in c else ""}"></td>' for c in ("z1", "y1", "z2", "y2", "zhat"))
        + f'<td id="xj-yhat-{p}"></td><td class="xj-pred"></td><td>{y}</td></tr>'
        for p, ((x1, x2), y) in enumerate(zip(data.PATTERNS, data.TARGETS))
    )
    values = {
        "names": _names(),
        "ids": [_id(name) for name in _names()],
        "shapes": [[k, int(np.prod(shape))] for k, shape in SHAPES.items()],
        "start": flat(start),
        "presets": [{"label": p.label, "weights": flat(p.weights)} for p in presets],
        "gates": {"x": _gate_names(("x1", "x2")), "y": _gate_names(("y1", "y2"))},
        "patterns": data.PATTERNS,
        "targets": data.TARGETS,
        "saturation": model.SATURATION,
        "limits": LIMITS,
        "colors": [COLORS["0"], COLORS["1"]],
        "lr": float(lr),
        "lrChoices": list(LR_CHOICES),
        "logEvery": int(log_every),
        "maxTrain": MAX_TRAIN,
        "status": _status_rules(),
    }
    # "</" inside a script element would end it early; "<\/" is the same string to JSON.
    blob = json.dumps(values, ensure_ascii=False).replace("</", "<\\/")
    script = _text("page.js").replace("</", "<\\/")  # only in its strings and comments, if ever
    return f"""
<section id="xj-playground" aria-labelledby="xj-title">
<h2 id="xj-title">{TITLE}</h2>
<p class="xj-intro">The lecture asks: <em>can you find another w and b for XOR?</em> Move a slider, or type a
number (the arrow keys step it), and watch the truth table, the verdict and the decision surface follow; then
press <b>Play</b> and watch gradient descent move the weights from there: to a solution, to a plateau, or into a
valley where it sticks. The link in the address bar holds your start, learning rate and steps: copy it to send
them.</p>
<style>{_text("page.css")}</style>
<noscript><p>This section needs JavaScript.</p></noscript>
<div class="xj-presets" role="group" aria-label="Presets">
{_presets(presets)}
</div>
{_training(lr)}
<p id="xj-note" role="alert" hidden></p>
<div class="xj-results">
<div class="xj-outcome">
<p id="xj-verdict" aria-live="polite"></p>
<p id="xj-gates"></p>
<div class="xj-scroll"><table class="xj-table"><thead><tr>{table_head}</tr></thead><tbody>{rows}</tbody></table></div>
</div>
<figure class="xj-figure"><canvas id="xj-surface" width="560" height="560" role="img"
aria-label="Decision surface: ŷ over the input plane, its ŷ = 0.5 line and the four patterns"></canvas>
<figcaption>ŷ over the input plane: <span class="xj-c0">blue</span> near 0, <span class="xj-c1">red</span>
near 1, the black line where ŷ = 0.5; ● XOR = 0, ■ XOR = 1.</figcaption></figure>
</div>
<div class="xj-units">
{_controls(flat(start))}
</div>
<div class="xj-actions">
<button type="button" id="xj-copy">Copy link</button>
<span id="xj-status" role="status"></span>
<input type="text" id="xj-link" readonly hidden aria-label="Link to these weights">
</div>
<script type="application/json" id="xj-data">{blob}</script>
<script>{script}</script>
</section>
"""


def page(start, presets: list[Preset], lr: float, log_every: int) -> str:
    """The section alone, as a whole page."""
    return html_page.document(f"{TITLE}: XOR with deep learning", section(start, presets, lr, log_every))
