"""Plain-text tables for the console: the truth table, the weights, the cost history, and how the console
writes a cost (``cost``), a network output (``yhat_str``) and a table it cuts short (``more``).

Wide nets are summarised so that every line stays readable: a hidden layer of more than ``MAX_UNITS`` units
shows its first few units and a ``…`` column, and the weights of such a net become one line per array
(shape, min, max, mean |w|, first values). The run's ``weights.json`` keeps every value.
"""

import numpy as np

MAX_UNITS = 4  # a layer this wide or narrower is shown in full
SHOWN_UNITS = 3  # of a wider layer, this many units are shown (fewer in deep nets)
MAX_COLUMNS = 9  # the most hidden-unit columns a truth table shows, over all wide layers together
ELLIPSIS = "…"


COST_DIGITS = 6  # significant digits of a cost on the console (metrics.json keeps every digit)


def cost(v) -> str:
    """A cost for the console: enough digits to watch it converge, not a float's seventeen."""
    return f"{float(v):.{COST_DIGITS}g}"


def yhat_str(v, decimals: int = 4) -> str:
    """A network output with ``decimals`` decimals, and more where it would print as 0.5000: the prediction is
    yhat > 0.5, so a printed value must show which side of 0.5 it is on (0.49999997, 0.5000001). Exactly 0.5
    (predicted 0) prints as 0.5000."""
    v = float(v)
    text = f"{v:.{decimals}f}"
    while v != 0.5 and float(text) == 0.5 and decimals < 17:
        decimals += 1
        text = f"{v:.{decimals}f}"
    return text


def more(shown: int, total: int, what: str, where: str) -> str:
    """The line under a cut table: "8 of 26 classes shown; the rest are in atlas.json (...)", or ""."""
    return f"{shown} of {total} {what} shown; the rest are in {where}" if shown < total else ""


def table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [
        [c if isinstance(c, str) else f"{c:.4f}" if isinstance(c, float) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def markdown(header: list, rows: list[list]) -> str:
    """The same rows as a Markdown table, for the reports (.md) and their HTML pages."""
    out = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(out)


def _shown(widths: list[int]) -> list[int]:
    """How many units of each layer the truth table shows: all of a narrow layer, a few of a wide one."""
    wide = sum(w > MAX_UNITS for w in widths)
    few = max(1, min(SHOWN_UNITS, MAX_COLUMNS // max(wide, 1)))
    return [w if w <= MAX_UNITS else few for w in widths]


def truth_table(X, hidden: list, yhat, Y) -> str:
    """x1, x2, every hidden activation, yhat, the prediction (yhat > 0.5) and the XOR target.

    A layer wider than ``MAX_UNITS`` shows its first units and a ``…`` column; a line under the table says
    what was left out."""
    hidden, yhat = [np.asarray(h) for h in hidden], np.asarray(yhat)
    name = (lambda l, j: f"h{l}_{j + 1}") if len(hidden) > 1 else (lambda l, j: f"y{j + 1}")
    shown = _shown([h.shape[1] for h in hidden])
    header = ["x1", "x2"]
    for l, (h, n) in enumerate(zip(hidden, shown), start=1):
        header += [name(l, j) for j in range(n)] + ([ELLIPSIS] if n < h.shape[1] else [])
    header += ["yhat", "pred", "XOR"]
    rows = []
    for p in range(len(Y)):
        row = [int(X[p, 0]), int(X[p, 1])]
        for h, n in zip(hidden, shown):
            row += [float(v) for v in h[p, :n]] + ([ELLIPSIS] if n < h.shape[1] else [])
        row += [yhat_str(yhat[p]), int(yhat[p] > 0.5), int(Y[p])]
        rows.append(row)
    text = table(header, rows)
    cut = [(l, h.shape[1], n) for l, (h, n) in enumerate(zip(hidden, shown), start=1) if n < h.shape[1]]
    if cut:
        if len(cut) == len(hidden) and len({(w, n) for _, w, n in cut}) == 1:  # one summary fits every layer
            left = f"{cut[0][1] - cut[0][2]} of {cut[0][1]}" + (" in each hidden layer" if len(cut) > 1 else "")
        else:
            left = ", ".join(f"h{l}: {w - n} of {w}" for l, w, n in cut)
        text += f"\n{ELLIPSIS} units left out ({left}); every weight is in weights.json"
    return text


def _order(params) -> list[str]:
    return sorted(params, key=lambda k: (int(k[1:]), k[0] == "b"))


def _first(v: np.ndarray, n: int = 3) -> str:
    flat = v.ravel()
    return ", ".join(f"{x: .4f}" for x in flat[:n]) + (f", {ELLIPSIS}" if flat.size > n else "")


def weights(params, where: str = "weights.json") -> str:
    """Every parameter as an aligned array when each layer has at most ``MAX_UNITS`` units; otherwise one
    line per array (shape, min, max, mean |w|, first values) and where every value is (``where``)."""
    arrays = {name: np.asarray(params[name]) for name in _order(params)}
    if all(max(v.shape, default=0) <= MAX_UNITS for v in arrays.values()):
        # One format and width for every value of every array, so that columns line up within and across
        # W1, b1, ...; powers of ten once a weight has run away (diverged). + 0.0 turns -0.0 into 0.0.
        big = max(float(np.abs(v).max(initial=0)) for v in arrays.values()) >= 1e5
        spec = ".4e" if big else ".4f"
        width = max(len(f"{x + 0.0:{spec}}") for v in arrays.values() for x in v.ravel())
        fmt = {"float_kind": lambda x: f"{x + 0.0:{width}{spec}}"}
        return "\n".join(
            f"{name} = " + np.array2string(v, separator=", ", prefix=f"{name} = ", formatter=fmt, max_line_width=200)
            for name, v in arrays.items()
        )
    rows = []
    for name, v in arrays.items():
        v64 = v.astype(np.float64)
        rows.append(
            [
                name,
                " x ".join(map(str, v.shape)),
                float(v64.min()),
                float(v64.max()),
                float(np.abs(v64).mean()),
                _first(v),
            ]
        )
    first = max(len(r[-1]) for r in rows)
    for r in rows:  # the values read left to right: aligned on the left
        r[-1] = r[-1].ljust(first)
    text = table(["name", "shape", "min", "max", "mean |w|", "first values".ljust(first)], rows)
    return f"weights, summarised (every value is in {where}):\n" + "\n".join(l.rstrip() for l in text.splitlines())
