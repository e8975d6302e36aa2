"""Plain-text tables for the console: the truth table, the weights, the cost history."""

import numpy as np


def table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[c if isinstance(c, str) else f"{c:.4f}" if isinstance(c, float) else str(c)
                         for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def truth_table(X, hidden: list, yhat, Y) -> str:
    """x1, x2, every hidden activation, yhat, the prediction (yhat > 0.5) and the XOR target."""
    hidden = [np.asarray(h) for h in hidden]
    header = ["x1", "x2"]
    for l, h in enumerate(hidden, start=1):
        header += [f"h{l}_{j + 1}" if len(hidden) > 1 else f"y{j + 1}" for j in range(h.shape[1])]
    header += ["yhat", "pred", "XOR"]
    rows = []
    for p in range(len(Y)):
        row = [int(X[p, 0]), int(X[p, 1])]
        for h in hidden:
            row += [float(v) for v in h[p]]
        row += [float(yhat[p]), int(yhat[p] > 0.5), int(Y[p])]
        rows.append(row)
    return table(header, rows)


def weights(params) -> str:
    lines = []
    for name in sorted(params, key=lambda k: (int(k[1:]), k[0] == "b")):
        value = params[name]
        lines.append(f"{name} = {np.array2string(np.asarray(value), precision=4, suppress_small=True, separator=', ')}")
    return "\n".join(lines)
