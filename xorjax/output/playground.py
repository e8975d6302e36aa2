"""The lecture's "can you find another w and b?" answered by hand in the browser: a page's playground section.

The section is self-contained HTML, CSS and JavaScript (no network, no files beside the page): nine weights of
the lecture's 2-2-1 sigmoid net, each a slider with a number box, and, live as they move, the truth table, the
verdict, the gate each unit computes and the decision surface. Its weights live in the link's fragment,
``#W1=a,b,c,d&b1=e,f&W2=g,h&b2=i`` (each array flattened row by row as in weights.json), so a link holds an
answer. Everything the page must agree on with the rest of xorjax (the weights' names and shapes, the
patterns, the gate names, the saturation margin, the plane and colours of the pictures) is written into the
page from the Python modules that define it; the script only computes.

Stable hooks for tests: ``id="xj-yhat-0"`` … ``"xj-yhat-3"`` (ŷ of (0,0), (0,1), (1,0), (1,1)) and
``id="xj-verdict"``.
"""

import html
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from xorjax.core import atlas, data, model
from xorjax.output import html_page, io
from xorjax.output.plots import COLORS
from xorjax.output.plots.network import LIMITS

TITLE = "Find another w and b"
HIDDEN = [2]  # the lecture's 2-2-1 net: the one the page's forward pass computes
SHAPES = model.param_shapes(HIDDEN)  # W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,): the order of the link's fragment
SLIDER = {"min": -30, "max": 30, "step": 0.1}  # the number boxes take any value; a slider stops at its ends


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


def fragment(params) -> str:
    """``W1=a,b,c,d&b1=e,f&W2=g,h&b2=i``: the link's fragment (without ``#``) that opens the page at ``params``."""
    return "&".join(f"{k}=" + ",".join(_number(v) for v in np.ravel(np.asarray(params[k], np.float64))) for k in SHAPES)


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


def section(start, presets: list[Preset]) -> str:
    """The section's HTML, opened at the weights ``start`` (Reset goes back to them; a link's fragment wins)."""
    table_head = "".join(f"<th>{h}</th>" for h in ("x1", "x2", "z1", "y1", "z2", "y2", "ẑ", "ŷ", "prediction", "XOR"))
    rows = "".join(
        f'<tr id="xj-row-{p}"><td>{x1}</td><td>{x2}</td>'
        + "".join(f'<td class="xj-{c}"></td>' for c in ("z1", "y1", "z2", "y2", "zhat"))
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
    }
    # "</" inside a script element would end it early; "<\/" is the same string to JSON.
    blob = json.dumps(values, ensure_ascii=False).replace("</", "<\\/")
    return f"""
<section id="xj-playground" aria-labelledby="xj-title">
<h2 id="xj-title">{TITLE}</h2>
<p class="xj-intro">The lecture asks: <em>can you find another w and b for XOR?</em> Move a slider, or type a
number (the arrow keys step it), and watch the truth table, the verdict and the decision surface follow. The
link in the address bar holds your weights: copy it to send your answer.</p>
<style>{CSS}</style>
<noscript><p>This section needs JavaScript.</p></noscript>
<div class="xj-presets" role="group" aria-label="Presets">
{_presets(presets)}
</div>
<div class="xj-units">
{_controls(flat(start))}
</div>
<div class="xj-actions">
<button type="button" id="xj-reset" title="Back to the weights this page was written with">Reset</button>
<button type="button" id="xj-copy">Copy link</button>
<span id="xj-status" role="status"></span>
<input type="text" id="xj-link" readonly hidden aria-label="Link to these weights">
</div>
<p id="xj-note" role="alert" hidden></p>
<div class="xj-results">
<div class="xj-outcome">
<p id="xj-verdict" aria-live="polite"></p>
<p id="xj-gates"></p>
<table class="xj-table"><thead><tr>{table_head}</tr></thead><tbody>{rows}</tbody></table>
</div>
<figure class="xj-figure"><canvas id="xj-surface" width="560" height="560" role="img"
aria-label="Decision surface: ŷ over the input plane, its ŷ = 0.5 line and the four patterns"></canvas>
<figcaption>ŷ over the input plane: <span class="xj-c0">blue</span> near 0, <span class="xj-c1">red</span>
near 1, the black line where ŷ = 0.5; ● XOR = 0, ■ XOR = 1.</figcaption></figure>
</div>
<script type="application/json" id="xj-data">{blob}</script>
<script>{SCRIPT}</script>
</section>
"""


def page(start, presets: list[Preset]) -> str:
    """The section alone, as a whole page."""
    return html_page.document(f"{TITLE}: XOR with deep learning", section(start, presets))


CSS = """
/* Wider than the report's column where the screen allows: the table and the surface side by side. */
#xj-playground { font-size: 1.15rem; --xj-width: min(calc(100vw - 3rem), 82rem);
  width: var(--xj-width); margin-left: calc(50% - var(--xj-width) / 2); box-sizing: border-box; }
#xj-playground button { font: inherit; padding: .4rem .8rem; border: 1px solid #718096; border-radius: 6px;
  background: #edf2f7; color: #1a202c; cursor: pointer; }
#xj-playground button:hover { background: #e2e8f0; }
#xj-playground :focus-visible { outline: 3px solid #d69e2e; outline-offset: 2px; }
.xj-presets { display: flex; flex-wrap: wrap; gap: .5rem; margin: 1rem 0; }
.xj-presets button { display: flex; flex-direction: column; align-items: flex-start; text-align: left;
  max-width: 21rem; font-size: .95em; }
.xj-presets small { font-size: .75em; color: #4a5568; }
.xj-units { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: .75rem; }
.xj-unit { border: 1px solid #cbd5e0; border-radius: 6px; margin: 0; padding: .5rem .75rem; }
.xj-unit legend { font-size: .85em; font-weight: 600; padding: 0 .3rem; }
.xj-weight { display: grid; grid-template-columns: 1fr 7rem; gap: .1rem .5rem; align-items: center;
  margin: .35rem 0; }
.xj-weight label { grid-column: 1 / 3; }
.xj-weight label span { color: #4a5568; font-size: .85em; }
.xj-weight input[type=range] { width: 100%; height: 1.6rem; }
.xj-weight input[type=number] { font: inherit; width: 100%; padding: .15rem .3rem; box-sizing: border-box; }
.xj-weight input[aria-invalid=true] { border: 2px solid #c53030; }
.xj-computes { margin: .3rem 0 0; font-size: .9em; }
.xj-computes output { font-weight: 700; }
.xj-actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 1rem 0 .5rem; }
#xj-status { color: #2f855a; }
#xj-note { background: #fffaf0; border-left: 4px solid #dd6b20; padding: .4rem .8rem; }
#xj-verdict { font-size: 1.3em; font-weight: 700; margin: 0 0 .25rem; }
#xj-verdict.xj-yes { color: #2f855a; }
#xj-verdict.xj-no { color: #c53030; }
.xj-results { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; margin-top: 1rem; }
.xj-outcome { flex: 1 1 36rem; }
.xj-table { font-size: 1.05em; margin-top: .5rem; }
.xj-table td, .xj-table th { text-align: right; }
.xj-table tr.xj-wrong td { background: #fed7d7; font-weight: 700; }
.xj-figure { margin: 0; flex: 1 1 22rem; max-width: 32rem; }
.xj-figure canvas { width: 100%; height: auto; border: 1px solid #cbd5e0; }
.xj-figure figcaption { font-size: .85em; color: #4a5568; }
.xj-c0 { color: #2b6cb0; font-weight: 700; } .xj-c1 { color: #c53030; font-weight: 700; }
"""

# The page's own forward pass of the 2-2-1 net (the page has no JAX); tests compare it with model.predict.
SCRIPT = r"""
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("xj-data").textContent);
  const $ = (id) => document.getElementById(id);
  const boxes = D.ids.map((id) => $(id)), sliders = D.ids.map((id) => $(id + "-range"));
  let w = D.start.slice();

  // Both branches take exp of a number <= 0, so a large |z| never overflows to Infinity/Infinity = NaN.
  function sigmoid(z) {
    if (z >= 0) return 1 / (1 + Math.exp(-z));
    const e = Math.exp(z);
    return e / (1 + e);
  }

  // w in the fragment's order: W1[0][0], W1[0][1], W1[1][0], W1[1][1], b1[0], b1[1], W2[0][0], W2[1][0], b2[0].
  function forward(w, x1, x2) {
    const [W1_00, W1_01, W1_10, W1_11, b1_0, b1_1, W2_00, W2_10, b2_0] = w;
    const z1 = x1 * W1_00 + x2 * W1_10 + b1_0, z2 = x1 * W1_01 + x2 * W1_11 + b1_1;
    const y1 = sigmoid(z1), y2 = sigmoid(z2);
    const zhat = y1 * W2_00 + y2 * W2_10 + b2_0;
    return { z1, y1, z2, y2, zhat, yhat: sigmoid(zhat) };
  }

  // As the console prints ŷ (tables.yhat_str): 4 decimals, more where that would hide which side of 0.5 it is.
  function yhatText(v) {
    let d = 4, text = v.toFixed(d);
    while (v !== 0.5 && Number(text) === 0.5 && d < 17) text = v.toFixed(++d);
    return text;
  }
  const fixed = (v, d) => (Object.is(Number(v.toFixed(d)), -0) ? 0 : v).toFixed(d);
  const pattern = ([x1, x2]) => "(" + x1 + "," + x2 + ")";

  // A gate's name from a unit's 0/1 values on the four patterns, read as a binary number (atlas.GATES's order).
  const gate = (bits, inputs) => D.gates[inputs][bits.reduce((n, b) => 2 * n + b, 0)];

  function describeGates(rows) {
    const hidden = [0, 1].map((j) => {
      const ys = rows.map((r) => (j ? r.y2 : r.y1));
      const name = gate(ys.map((y) => (y > 0.5 ? 1 : 0)), "x");
      // A unit between the saturation margins is not really a gate there (atlas marks it "?").
      const half = D.patterns.filter((p, k) => ys[k] > D.saturation && ys[k] < 1 - D.saturation);
      return half.length ? name + " (not saturated at " + half.map(pattern).join(", ") + ")" : name;
    });
    // The output unit over binary hidden values (y1, y2) in the patterns' order, as the lecture reads it.
    const output = gate(D.patterns.map(([a, b]) => (sigmoid(a * w[6] + b * w[7] + w[8]) > 0.5 ? 1 : 0)), "y");
    return { hidden, output };
  }

  function toFragment(w) {
    let k = 0;
    return D.shapes.map(([name, n]) => name + "=" + w.slice(k, (k += n)).map(String).join(",")).join("&");
  }

  function parseNumber(text) {
    const t = text.trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
    const v = Number(t);
    return Number.isFinite(v) ? v : null;
  }

  // The fragment's weights over `current`: a value it cannot read keeps the current one, and is reported.
  function readFragment(hash, current) {
    const out = current.slice(), problems = [];
    const text = hash.replace(/^#/, "");
    if (!text) return { w: out, problems };
    const given = new Map();
    for (const part of text.split("&").filter(Boolean)) {
      const at = part.indexOf("=");
      let [key, value] = at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
      try { key = decodeURIComponent(key); value = decodeURIComponent(value); } catch (e) { /* kept as typed */ }
      given.set(key, value);
    }
    let offset = 0;
    for (const [name, n] of D.shapes) {
      const first = offset;
      offset += n;
      if (!given.has(name)) { problems.push("the link has no " + name + ": kept " + name + " as it was"); continue; }
      const values = given.get(name).split(",");
      given.delete(name);
      if (values.length !== n) {
        problems.push(name + " needs " + n + " numbers, the link has " + values.length + ": kept " + name);
        continue;
      }
      values.forEach((s, i) => {
        const v = parseNumber(s);
        if (v !== null) out[first + i] = v;
        else problems.push("could not read " + D.names[first + i] + " = \"" + s + "\": kept " + current[first + i]);
      });
    }
    const known = D.shapes.map((s) => s[0]).join(", ");
    for (const key of given.keys()) problems.push("“" + key + "” is not one of " + known + ": ignored");
    return { w: out, problems };
  }

  function note(problems) {
    const el = $("xj-note");
    el.hidden = !problems.length;
    el.textContent = problems.length ? "From the link: " + problems.join("; ") + "." : "";
  }

  function writeLink() {
    const url = location.href.replace(/#.*$/, "") + "#" + toFragment(w);
    try { history.replaceState(null, "", url); } catch (e) { location.replace(url); }
  }

  // Everything that shows the weights, from w; `typing` is the box being typed in, left as the user has it.
  function render(typing) {
    w.forEach((v, i) => {
      if (boxes[i] !== typing) {
        // A trained weight's seventeen digits do not fit a box: it shows 4 decimals, the link keeps them all.
        boxes[i].value = String(Number(v.toFixed(4)));
        boxes[i].title = String(v);
        boxes[i].removeAttribute("aria-invalid");
      }
      sliders[i].value = String(v); // a slider shows the nearest of its values; the box keeps the weight
    });
    const rows = D.patterns.map(([x1, x2]) => forward(w, x1, x2));
    const wrong = [];
    rows.forEach((r, p) => {
      const tr = $("xj-row-" + p), prediction = r.yhat > 0.5 ? 1 : 0, ok = prediction === D.targets[p];
      for (const c of ["z1", "z2", "zhat"]) tr.querySelector(".xj-" + c).textContent = fixed(r[c], 2);
      for (const c of ["y1", "y2"]) tr.querySelector(".xj-" + c).textContent = fixed(r[c], 4);
      $("xj-yhat-" + p).textContent = yhatText(r.yhat);
      tr.querySelector(".xj-pred").textContent = ok ? String(prediction) : prediction + " ✗";
      tr.classList.toggle("xj-wrong", !ok);
      const why = " (ŷ = " + yhatText(r.yhat) + ", predicts " + prediction + ", XOR is " + D.targets[p] + ")";
      if (!ok) wrong.push(pattern(D.patterns[p]) + why);
    });
    const verdict = $("xj-verdict");
    verdict.textContent = wrong.length
      ? "These weights do not compute XOR: wrong on " + wrong.join(" and ") + "."
      : "These weights compute XOR.";
    verdict.className = wrong.length ? "xj-no" : "xj-yes";
    const g = describeGates(rows);
    [...g.hidden, g.output].forEach((name, u) => { $("xj-gate-" + u).textContent = name; });
    $("xj-gates").textContent = "Hidden unit 1 behaves as " + g.hidden[0] + ", hidden unit 2 as " + g.hidden[1] +
      ", and the output as " + g.output + " of (y1, y2).";
    draw();
    writeLink();
  }

  function set(weights, typing) {
    w = weights;
    note([]); // a note on the link's values is about the link: moving on from it, it goes
    $("xj-status").textContent = "";
    render(typing);
  }

  // The decision surface: ŷ over the plane of the pictures (LIMITS), its ŷ = 0.5 line, the four patterns.
  function draw() {
    const canvas = $("xj-surface"), ctx = canvas.getContext("2d");
    const size = canvas.width, pad = 72, top = 24, n = size - pad - top, [lo, hi] = D.limits; // room for the ticks
    const toPx = (x1, x2) => [pad + ((x1 - lo) / (hi - lo)) * n, top + ((hi - x2) / (hi - lo)) * n];
    const rgb = D.colors.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
    const image = ctx.createImageData(n, n), side = new Uint8Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const y = forward(w, lo + ((c + 0.5) / n) * (hi - lo), hi - ((r + 0.5) / n) * (hi - lo)).yhat;
        side[r * n + c] = y > 0.5 ? 1 : 0;
        // White at 0.5, toward blue (0) or red (1): the pictures' colour map, at their 0.75 opacity.
        const t = 0.75 * Math.min(1, Math.abs(2 * y - 1)), col = rgb[y > 0.5 ? 1 : 0];
        for (let k = 0; k < 3; k++) image.data[4 * (r * n + c) + k] = Math.round(255 + t * (col[k] - 255));
        image.data[4 * (r * n + c) + 3] = 255;
      }
    }
    // The ŷ = 0.5 line: pixels whose right or lower neighbour lies on the other side of 0.5.
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const s = side[r * n + c];
        if ((c + 1 < n && side[r * n + c + 1] !== s) || (r + 1 < n && side[(r + 1) * n + c] !== s)) {
          for (let k = 0; k < 3; k++) image.data[4 * (r * n + c) + k] = 0;
        }
      }
    }
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size, size);
    ctx.putImageData(image, pad, top);
    ctx.strokeStyle = "#4a5568";
    ctx.strokeRect(pad, top, n, n);
    ctx.fillStyle = "#1a202c";
    ctx.font = "20px sans-serif";
    ctx.textAlign = "center";
    for (let t = lo; t <= hi + 1e-9; t += 0.5) {
      const [x, y] = toPx(t, t);
      ctx.fillText(String(t), x, top + n + 24);
      ctx.textAlign = "right";
      ctx.fillText(String(t), pad - 8, y + 7);
      ctx.textAlign = "center";
    }
    ctx.fillText("x1", pad + n / 2, size - 2);
    ctx.save();
    ctx.translate(18, top + n / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("x2", 0, 0);
    ctx.restore();
    D.patterns.forEach(([x1, x2], p) => {
      const [x, y] = toPx(x1, x2), target = D.targets[p];
      ctx.fillStyle = D.colors[target];
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 3;
      ctx.beginPath();
      if (target) ctx.rect(x - 11, y - 11, 22, 22);
      else ctx.arc(x, y, 12, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = "#1a202c";
      ctx.textAlign = x1 ? "left" : "right";
      ctx.fillText(pattern([x1, x2]), x + (x1 ? 16 : -16), y + (x2 ? -14 : 28));
    });
    ctx.lineWidth = 1;
  }

  D.ids.forEach((id, i) => {
    const changed = (v) => w.map((old, k) => (k === i ? v : old));
    sliders[i].addEventListener("input", () => set(changed(Number(sliders[i].value))));
    boxes[i].addEventListener("input", () => {
      const v = parseNumber(boxes[i].value); // "" while the box holds no number yet ("-", "1e")
      if (v === null) { boxes[i].setAttribute("aria-invalid", "true"); return; }
      set(changed(v), boxes[i]);
    });
    boxes[i].addEventListener("change", () => render()); // leaving a box that holds no number shows the weight again
  });
  D.presets.forEach((p, k) => {
    $("xj-preset-" + k).addEventListener("click", () => set(p.weights.slice()));
  });
  $("xj-reset").addEventListener("click", () => set(D.start.slice()));
  $("xj-copy").addEventListener("click", async () => {
    const status = $("xj-status");
    try {
      await navigator.clipboard.writeText(location.href);
      status.textContent = "Link copied: paste it to send these weights.";
    } catch (e) { // a page opened from a file may not get the clipboard: the link, selected, to copy by hand
      const field = $("xj-link");
      field.hidden = false;
      field.value = location.href;
      field.select();
      status.textContent = "Copy the selected link (Ctrl+C).";
    }
  });
  function fromLink() {
    const read = readFragment(location.hash, w);
    set(read.w);
    note(read.problems);
  }
  window.addEventListener("hashchange", fromLink);
  fromLink();
})();
"""
