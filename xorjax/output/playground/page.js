// The playground's script: the 2-2-1 net's forward pass, xorjax's gradient descent (full batch, mean BCE from the
// logit, float64) and xorjax's status rules, with every number they need read from the page's data (written from
// the Python that defines it: xorjax/output/playground/__init__.py). tests/test_playground.py holds it to JAX.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("xj-data").textContent);
  const S = D.status; // core/descent.py: the status words in their order, their thresholds and meanings
  const $ = (id) => document.getElementById(id);
  const boxes = D.ids.map((id) => $(id)), sliders = D.ids.map((id) => $(id + "-range"));
  const CURVE_POINTS = 2000; // the cost curve keeps every k-th step, k doubling as a run grows past this

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

  // The cost as model.cost_and_accuracy computes it: per pattern from the logit, softplus(z) - y z
  // = max(z, 0) - y z + log(1 + exp(-|z|)) (never log 0), summed in the patterns' order, over their number.
  const bce = (z, y) => Math.max(z, 0) - y * z + Math.log1p(Math.exp(-Math.abs(z)));

  // Cost, accuracy and ŷ at the weights w.
  function evaluate(w) {
    let cost = 0, hits = 0;
    const yhat = D.patterns.map(([x1, x2], p) => {
      const r = forward(w, x1, x2);
      cost += bce(r.zhat, D.targets[p]);
      if (r.yhat > 0.5 === D.targets[p] > 0.5) hits += 1;
      return r.yhat;
    });
    return { cost: cost / D.patterns.length, accuracy: hits / D.patterns.length, yhat };
  }

  // A training run as descent.train_layers keeps it: the start, the steps taken, the weights now, the cost before
  // the update at steps 0, log_every, 2 log_every, … (its history, from which the status is read), the first step
  // whose accuracy was 1 (-1: none yet); and, for the page, the cost every `stride`-th step for the curve.
  function newRun(start, lr) {
    return { start: start.slice(), lr, t: 0, w: start.slice(), records: [], solvedAt: -1,
      curve: { steps: [], costs: [] }, stride: 1 };
  }

  // n steps of full-batch gradient descent on the mean BCE (optax.sgd: w + (-lr) g): what
  // `python -m xorjax.run precision=float64 steps=N` does, step for step. The chain rule written out, as
  // core/manual_grad.py does: d cost / d ẑ = (ŷ - y) / 4 for the mean of four, σ' = σ (1 - σ).
  function train(run, n) {
    let [a00, a01, a10, a11, c0, c1, v0, v1, d] = run.w;
    const lr = run.lr, P = D.patterns, Y = D.targets, count = P.length, every = D.logEvery;
    for (let k = 0; k < n; k++) {
      const t = run.t + k;
      let g00 = 0, g01 = 0, g10 = 0, g11 = 0, gc0 = 0, gc1 = 0, gv0 = 0, gv1 = 0, gd = 0, cost = 0, hits = 0;
      for (let p = 0; p < count; p++) {
        const x1 = P[p][0], x2 = P[p][1], y = Y[p];
        const y1 = sigmoid(x1 * a00 + x2 * a10 + c0), y2 = sigmoid(x1 * a01 + x2 * a11 + c1);
        const z = y1 * v0 + y2 * v1 + d, yhat = sigmoid(z);
        cost += bce(z, y);
        if (yhat > 0.5 === y > 0.5) hits += 1;
        const dz = (yhat - y) / count;
        gv0 += dz * y1;
        gv1 += dz * y2;
        gd += dz;
        const dz1 = dz * v0 * (y1 * (1 - y1)), dz2 = dz * v1 * (y2 * (1 - y2));
        g00 += dz1 * x1;
        g10 += dz1 * x2;
        gc0 += dz1;
        g01 += dz2 * x1;
        g11 += dz2 * x2;
        gc1 += dz2;
      }
      cost /= count;
      if (t % every === 0) run.records.push(cost);
      if (run.solvedAt < 0 && hits === count) run.solvedAt = t;
      if (t % run.stride === 0) {
        run.curve.steps.push(t);
        run.curve.costs.push(cost);
        if (run.curve.steps.length > CURVE_POINTS) {
          run.stride *= 2;
          const keep = (_, i) => i % 2 === 0;
          run.curve = { steps: run.curve.steps.filter(keep), costs: run.curve.costs.filter(keep) };
        }
      }
      a00 -= lr * g00;
      a01 -= lr * g01;
      a10 -= lr * g10;
      a11 -= lr * g11;
      c0 -= lr * gc0;
      c1 -= lr * gc1;
      v0 -= lr * gv0;
      v1 -= lr * gv1;
      d -= lr * gd;
    }
    run.w = [a00, a01, a10, a11, c0, c1, v0, v1, d];
    run.t += n;
    return run;
  }

  // Python's round(): halves to even (Math.round sends them up), so that the record read is descent's.
  function roundHalfEven(x) {
    const f = Math.floor(x), r = x - f;
    return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
  }
  const lateRecord = (records) => roundHalfEven(S.late * (records - 1)); // descent.late_record

  // descent.status for one run: o = {yhat, loss (the history), finalLoss, finalAccuracy, finite}. The first rule
  // that holds wins, in descent.STATUSES' order; diverged above all.
  function status(o) {
    const Y = D.targets;
    const right = o.yhat.map((v, p) => Math.abs(v - Y[p]) < S.right);
    const half = o.yhat.map((v) => Math.abs(v - 0.5) < S.nearHalf);
    const nRight = right.filter(Boolean).length, nHalf = half.filter(Boolean).length;
    let most = -Infinity, least = Infinity; // over the patterns that are not right
    o.yhat.forEach((v, p) => {
      if (!right[p]) { most = Math.max(most, v); least = Math.min(least, v); }
    });
    const late = o.loss[lateRecord(o.loss.length)];
    const improving = o.finalLoss < (1 - S.stillImproving) * late;
    const diverged = !o.finite || o.finalLoss > S.divergedRatio * o.loss[0];
    const rules = {
      "solved": o.finalAccuracy === 1,
      "plateau": nHalf === Y.length,
      "two-stuck": nRight === 2 && nHalf === 2,
      "three-merged": nRight === 1 && most - least < S.merged,
      "diverged": diverged,
      "slow": improving,
    };
    if (diverged) return "diverged";
    return S.names.find((name) => rules[name]) || S.names[S.names.length - 1];
  }

  // How the run stands now: evaluate() at its weights, and its status (as a run of run.t steps would end).
  function outcome(run) {
    const now = evaluate(run.w);
    const finite = run.records.every(Number.isFinite) && Number.isFinite(now.cost) && run.w.every(Number.isFinite);
    const word = run.t > 0
      ? status({ yhat: now.yhat, loss: run.records, finalLoss: now.cost, finalAccuracy: now.accuracy, finite })
      : "";
    return { ...now, status: word };
  }

  // As the console prints ŷ (tables.yhat_str): 4 decimals, more where that would hide which side of 0.5 it is.
  function yhatText(v) {
    let d = 4, text = v.toFixed(d);
    while (v !== 0.5 && Number(text) === 0.5 && d < 17) text = v.toFixed(++d);
    return text;
  }
  const fixed = (v, d) => (Object.is(Number(v.toFixed(d)), -0) ? 0 : v).toFixed(d);
  const pattern = ([x1, x2]) => "(" + x1 + "," + x2 + ")";
  const count = (n) => n.toLocaleString("en-US");

  // A gate's name from a unit's 0/1 values on the four patterns, read as a binary number (atlas.GATES's order).
  const gate = (bits, inputs) => D.gates[inputs][bits.reduce((n, b) => 2 * n + b, 0)];

  function describeGates(w, rows) {
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

  function toFragment(w, lr, train) {
    let k = 0;
    const parts = D.shapes.map(([name, n]) => name + "=" + w.slice(k, (k += n)).map(String).join(","));
    return parts.concat(["lr=" + lr], train ? ["train=" + train] : []).join("&");
  }

  function parseNumber(text) {
    const t = text.trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
    const v = Number(t);
    return Number.isFinite(v) ? v : null;
  }
  const parseRate = (text) => { const v = parseNumber(text); return v !== null && v > 0 ? v : null; };
  const parseSteps = (text) => {
    const v = /^\s*\d+\s*$/.test(text) ? Number(text) : null;
    return v !== null && v <= D.maxTrain ? v : null;
  };

  // The fragment over the current start and learning rate: a value it cannot read keeps the current one, and is
  // reported. train (steps to take at once) is 0 unless the link gives it.
  function readFragment(hash, current, lr) {
    const out = { w: current.slice(), lr, train: 0 }, problems = [];
    const text = hash.replace(/^#/, "");
    if (!text) return { ...out, problems };
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
        if (v !== null) out.w[first + i] = v;
        else problems.push("could not read " + D.names[first + i] + " = \"" + s + "\": kept " + current[first + i]);
      });
    }
    if (given.has("lr")) {
      const v = parseRate(given.get("lr"));
      if (v !== null) out.lr = v;
      else problems.push("lr = \"" + given.get("lr") + "\" is not a learning rate (a number > 0): kept lr = " + lr);
      given.delete("lr");
    }
    if (given.has("train")) {
      const v = parseSteps(given.get("train"));
      if (v !== null) out.train = v;
      else {
        problems.push("train = \"" + given.get("train") + "\" is not a number of steps (a whole number from 0 to " +
          count(D.maxTrain) + "): not trained");
      }
      given.delete("train");
    }
    const known = D.shapes.map((s) => s[0]).concat(["lr", "train"]).join(", ");
    for (const key of given.keys()) problems.push("“" + key + "” is not one of " + known + ": ignored");
    return { ...out, problems };
  }

  function note(problems) {
    const el = $("xj-note");
    el.hidden = !problems.length;
    el.textContent = problems.length ? "From the link: " + problems.join("; ") + "." : "";
  }

  // The address bar holds the run: its start, its learning rate and the steps taken (train=), so that reloading
  // the page, or sending its address, gives the same weights. Copy link sends the weights now instead.
  function writeLink() {
    const url = location.href.replace(/#.*$/, "") + "#" + toFragment(run.start, run.lr, run.t);
    try { history.replaceState(null, "", url); } catch (e) { location.replace(url); }
  }
  const linkNow = () => location.href.replace(/#.*$/, "") + "#" + toFragment(run.w, run.lr, 0);

  let run = newRun(D.start, D.lr), playing = false;

  // Everything that shows the run, from `run`; `typing` is the box being typed in, left as the user has it.
  // While it plays, the address bar is left alone (browsers throttle a page that rewrites it every frame).
  function render(typing) {
    const w = run.w;
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
      const cell = $("xj-yhat-" + p);
      cell.textContent = yhatText(r.yhat);
      cell.dataset.value = String(r.yhat); // every digit: JavaScript's shortest round-trip form
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
    const g = describeGates(w, rows);
    [...g.hidden, g.output].forEach((name, u) => { $("xj-gate-" + u).textContent = name; });
    $("xj-gates").textContent = "Hidden unit 1 behaves as " + g.hidden[0] + ", hidden unit 2 as " + g.hidden[1] +
      ", and the output as " + g.output + " of (y1, y2).";
    const now = outcome(run);
    const step = $("xj-step"), cost = $("xj-cost"), state = $("xj-state");
    step.textContent = count(run.t);
    step.dataset.value = String(run.t);
    cost.textContent = fixed(now.cost, 4);
    cost.dataset.value = String(now.cost);
    state.dataset.status = now.status;
    state.className = now.status ? "xj-s-" + now.status : "";
    if (!now.status) {
      state.textContent = "Press Play, Step or ×100: gradient descent starts from these weights at lr " + run.lr + ".";
    } else {
      const first = now.status === "solved" && run.solvedAt >= 0 ? " (first at step " + count(run.solvedAt) + ")" : "";
      state.textContent = "";
      const word = document.createElement("b");
      word.textContent = now.status + first;
      state.append(word, ": " + S.meaning[now.status]);
    }
    draw(w);
    drawCurve();
    if (!playing) writeLink();
  }

  // A new run from `weights` (moved by hand, a preset, Reset, or a new learning rate mid-run): step 0.
  function start(weights, typing) {
    run = newRun(weights, run.lr);
    note([]); // a note on the link's values is about the link: moving on from it, it goes
    $("xj-status").textContent = "";
    render(typing);
  }

  function pause() {
    if (!playing) return;
    playing = false;
    const button = $("xj-play");
    button.textContent = "▶ Play";
    button.setAttribute("aria-pressed", "false");
    render();
  }

  function steps(n) {
    pause();
    train(run, Math.min(n, D.maxTrain - run.t));
    render();
  }

  // Play: several steps a frame (the speed chosen), drawn once a frame, until Pause or the step limit.
  function frame() {
    if (!playing) return;
    const n = Math.min(Number($("xj-speed").value), D.maxTrain - run.t);
    train(run, n);
    render();
    if (run.t >= D.maxTrain) pause();
    else requestAnimationFrame(frame);
  }

  function play() {
    if (playing) return pause();
    playing = true;
    const button = $("xj-play");
    button.textContent = "❚❚ Pause";
    button.setAttribute("aria-pressed", "true");
    requestAnimationFrame(frame);
  }

  function setRate(v) {
    const box = $("xj-lr");
    box.value = String(v);
    box.removeAttribute("aria-invalid");
    if (v === run.lr) return;
    // The link holds one run at one learning rate: a new rate starts a new run from the weights now.
    run = newRun(run.t ? run.w : run.start, v); // a playing run plays on from there
    render();
  }

  // The decision surface: ŷ over the plane of the pictures (LIMITS), its ŷ = 0.5 line, the four patterns.
  function draw(w) {
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

  // The cost over the steps, the cost on a log scale (decades marked), with the two levels where descent
  // stalls on XOR: ln 2 (all four ŷ at 0.5: plateau) and ln 2 / 2 (two patterns at 0.5: two-stuck).
  function drawCurve() {
    // Drawn at the size it is shown (times the screen's pixel ratio), so its text stays legible on a phone too.
    const canvas = $("xj-curve"), ctx = canvas.getContext("2d"), ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width, height = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const left = 72, right = 16, top = 12, bottom = 46;
    const pw = width - left - right, ph = height - top - bottom;
    const now = evaluate(run.w).cost;
    const steps = run.curve.steps.concat([run.t]), costs = run.curve.costs.concat([now]);
    const shown = costs.filter((c) => Number.isFinite(c) && c > 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.font = "16px sans-serif";
    ctx.fillStyle = "#1a202c";
    if (!shown.length) {
      ctx.textAlign = "left";
      ctx.fillText("no finite cost to draw", left, top + ph / 2);
      return;
    }
    const marks = [Math.LN2, Math.LN2 / 2];
    let hiExp = Math.ceil(Math.log10(Math.max(...shown, ...marks)));
    let loExp = Math.floor(Math.log10(Math.min(...shown, ...marks)));
    if (hiExp - loExp < 1) loExp = hiExp - 1;
    const maxStep = Math.max(run.t, 1);
    const X = (s) => left + (s / maxStep) * pw;
    const Yc = (c) => top + ((hiExp - Math.log10(c)) / (hiExp - loExp)) * ph;
    ctx.strokeStyle = "#e2e8f0";
    ctx.textAlign = "right";
    const every = Math.ceil((hiExp - loExp) / 6); // at most about six decades labelled
    for (let e = loExp; e <= hiExp; e++) {
      const y = Yc(10 ** e);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + pw, y);
      ctx.stroke();
      if ((hiExp - e) % every === 0) ctx.fillText(e >= -2 && e <= 2 ? String(10 ** e) : "1e" + e, left - 8, y + 5);
    }
    ctx.setLineDash([8, 6]);
    ctx.strokeStyle = "#718096";
    ctx.textAlign = "right"; // at the right, where a falling curve has left these levels
    ctx.font = "14px sans-serif";
    [["plateau: ln 2", marks[0], -5], ["two-stuck: ln 2 / 2", marks[1], 15]].forEach(([label, c, dy]) => {
      const y = Yc(c);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + pw, y);
      ctx.stroke();
      ctx.fillStyle = "#4a5568";
      ctx.fillText(label, left + pw - 6, y + dy);
    });
    ctx.setLineDash([]);
    ctx.font = "16px sans-serif";
    ctx.fillStyle = "#1a202c";
    ctx.strokeStyle = "#4a5568";
    ctx.strokeRect(left, top, pw, ph);
    ctx.textAlign = "center";
    ctx.fillText("0", left, top + ph + 20);
    ctx.fillText(count(run.t), Math.min(left + pw - 30, X(run.t)), top + ph + 20);
    ctx.fillText("step", left + pw / 2, height - 4);
    ctx.save();
    ctx.translate(16, top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("cost (log scale)", 0, 0);
    ctx.restore();
    ctx.strokeStyle = "#c53030";
    ctx.lineWidth = 3;
    ctx.beginPath();
    let drawing = false;
    steps.forEach((s, i) => {
      const c = costs[i];
      if (!(Number.isFinite(c) && c > 0)) { drawing = false; return; }
      const x = X(s), y = Yc(c);
      if (drawing) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      drawing = true;
    });
    ctx.stroke();
    ctx.lineWidth = 1;
  }

  D.ids.forEach((id, i) => {
    const changed = (v) => run.w.map((old, k) => (k === i ? v : old));
    sliders[i].addEventListener("input", () => { pause(); start(changed(Number(sliders[i].value))); });
    boxes[i].addEventListener("input", () => {
      const v = parseNumber(boxes[i].value); // "" while the box holds no number yet ("-", "1e")
      if (v === null) { boxes[i].setAttribute("aria-invalid", "true"); return; }
      pause();
      start(changed(v), boxes[i]);
    });
    boxes[i].addEventListener("change", () => render()); // leaving a box that holds no number shows the weight again
  });
  D.presets.forEach((p, k) => {
    $("xj-preset-" + k).addEventListener("click", () => { pause(); start(p.weights.slice()); });
  });
  $("xj-play").addEventListener("click", play);
  $("xj-step-1").addEventListener("click", () => steps(1));
  $("xj-step-100").addEventListener("click", () => steps(100));
  $("xj-reset").addEventListener("click", () => { pause(); start(run.start); });
  $("xj-lr").addEventListener("input", () => {
    const box = $("xj-lr"), v = parseRate(box.value);
    if (v === null) box.setAttribute("aria-invalid", "true");
    else setRate(v);
  });
  $("xj-lr").addEventListener("change", () => setRate(run.lr)); // a box left without a rate shows the rate again
  D.lrChoices.forEach((v, k) => $("xj-lr-" + k).addEventListener("click", () => setRate(v)));
  $("xj-copy").addEventListener("click", async () => {
    pause();
    const status = $("xj-status"), link = linkNow();
    try {
      await navigator.clipboard.writeText(link);
      status.textContent = "Link copied: it opens the page at these weights and this learning rate.";
    } catch (e) { // a page opened from a file may not get the clipboard: the link, selected, to copy by hand
      const field = $("xj-link");
      field.hidden = false;
      field.value = link;
      field.select();
      status.textContent = "Copy the selected link (Ctrl+C).";
    }
  });
  // A link with train=N takes its N steps at once, without animating; the time they took is kept for the
  // benchmark (data-ms on the step counter).
  function fromLink() {
    pause();
    const read = readFragment(location.hash, run.start, run.lr);
    run = newRun(read.w, read.lr);
    $("xj-lr").value = String(read.lr);
    const t0 = performance.now();
    train(run, read.train);
    $("xj-step").dataset.ms = String(performance.now() - t0);
    note([]);
    $("xj-status").textContent = "";
    render();
    note(read.problems);
  }
  window.addEventListener("hashchange", fromLink);
  window.addEventListener("resize", () => drawCurve());
  // What tests hold to xorjax's Python: the training, the status rules, the record they read.
  window.xjPlayground = Object.freeze({ newRun, train, evaluate, status, lateRecord, outcome });
  fromLink();
})();
