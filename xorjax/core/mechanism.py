"""The hidden units a solution needs, and the mechanism they form: "which other w and b?" at every width.

A wide net that solves XOR mostly carries spare units: the lecture's two answers plus units whose removal changes
nothing that matters. ``analyse`` finds, for every start at once (float64, start axis last, any width and depth),
the units it needs:

- **Removal.** Hidden unit j of layer l is removed by replacing its output by its mean over the four patterns,
  folded into the next layer's biases (``b_{l+1} += W_{l+1}[j] * mean_j``, ``W_{l+1}[j] = 0``): the net keeps its
  shape, and the removal is exact arithmetic on the weights, not an approximation.
- **Rule** (deterministic, never tuned to the results). Hidden layers are reduced from the last to the first (a
  later unit that goes makes the units that fed only it free to go). Within a layer, greedily: every unit still
  there is tried, and the one whose removal leaves the largest logit margin ``min_p (2 y_p - 1) z_p`` goes first
  (ties: the lowest index), if the reduced net still computes XOR; this repeats until no unit of the layer can go.
- **Check.** The reduced net (``remove``, from the kept units alone) is evaluated on the four patterns: it computes
  XOR when ``yhat`` is on the right side of 0.5 on every pattern (``xor``); never assumed.

A *mechanism* is what is left, named up to the net's symmetries: the essential units' truth tables binarized at
the activation's middle (``model.ACTIVATIONS``), and the output's gate over the last layer's essential units (for
at most ``atlas.MAX_EXACT`` of them), made canonical by ``atlas.canonical`` (unit order, and sign flips where the
activation has them). Deeper layers' tables are over the inputs too; each layer is canonical on its own, since a
flip of a unit negates its table and is absorbed by the next layer's weights. Whether the essential units are
saturated (``atlas``'s 0.2/0.8) is reported beside the mechanism (``saturated``), never part of it: a half-on unit
does not make a mechanism of its own.

A mechanism is one integer row (``row_width``): the essential units per layer, then each layer's tables (4-bit
codes, pattern (0,0) the most significant bit, in slots of the layer's width, -1 where empty), then the output's
table (a 2^k-bit code; -1 beyond ``atlas.MAX_EXACT`` units). Rows count with ``np.unique(..., axis=0)``, as the
atlas's keys do; ``describe`` names one.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from xorjax.core import atlas, data, model

X = np.asarray(data.X, np.float64)
SIGNS = 2.0 * np.asarray(data.Y, np.float64) - 1.0  # +1 where XOR is 1: a pattern is right when sign * z > 0
BITS = 2 ** np.arange(len(data.PATTERNS) - 1, -1, -1)  # a table's code: pattern (0,0) the most significant bit


class Analysis(NamedTuple):
    """Every analysed start's essential units and mechanism (start axis last, as a sweep keeps weights)."""

    kept: list  # per hidden layer, (H_l, N) bool: the essential units
    reduced: dict  # the reduced nets, float64, the shape of the given ones
    xor: np.ndarray  # (N,) bool: the reduced net computes XOR (False for a start not analysed)
    rows: np.ndarray  # (N, row_width) int64 canonical mechanism rows (-1 where not analysed or not XOR)
    saturated: np.ndarray  # (N,) bool: every essential unit saturated on every pattern


def row_width(hidden) -> int:
    return len(hidden) + sum(hidden) + 1


def _dense(h, W, b):
    """z = b + sum_i h_i W_i for h (4, in, *T) and W (in, out, *T), summed in a fixed order."""
    z = b[None] + h[:, 0, None] * W[0]
    for i in range(1, W.shape[0]):
        z = z + h[:, i, None] * W[i]
    return z


def forward(params: dict, activation: str = "sigmoid", points=X) -> tuple[list, np.ndarray]:
    """The four patterns (or any ``points`` (P, 2)) through float64 nets (start axis last): each hidden layer's
    outputs (P, H_l, N) and the output logits (P, N). The model's forward pass (``model.logits``) in NumPy, its
    activations too (``Activation.host``): a candidate axis rides along at no compile cost, nothing waits behind
    the chunk a sweep trains meanwhile, and a picture's plane costs no program of its own
    (``plots.network.surface_grid``). ``tests/test_mechanism.py`` checks the two agree."""
    fn, L = model.ACTIVATIONS[activation].host, len(params) // 2
    n = params["b1"].shape[1:]
    h = np.broadcast_to(points.reshape(len(points), 2, *([1] * len(n))), (len(points), 2, *n))
    hidden = []
    for l in range(1, L + 1):
        z = _dense(h, params[f"W{l}"], params[f"b{l}"])
        if l == L:
            return hidden, z[:, 0]
        h = fn(z)
        hidden.append(h)


def _computes_xor(z) -> np.ndarray:
    """yhat on the right side of 0.5 on every pattern (axis 0)."""
    yhat = model.OUTPUT.host(z)
    right = (yhat > model.OUTPUT.middle) == (SIGNS.reshape(4, *([1] * (z.ndim - 1))) > 0)
    return right.all(axis=0)


def _fold(params: dict, l: int, drop: np.ndarray, mean: np.ndarray) -> None:
    """Removes the units ``drop`` (H_l, N) of hidden layer l: their ``mean`` (H_l, N) into b_{l+1}, in unit order."""
    W, b = params[f"W{l + 1}"], params[f"b{l + 1}"]
    for j in range(W.shape[0]):
        d = drop[j]
        if d.any():
            b[:, d] += W[j][:, d] * mean[j, d]
            W[j][:, d] = 0.0


def remove(params: dict, kept: list, activation: str = "sigmoid") -> dict:
    """The nets with every unit not in ``kept`` removed (from the last hidden layer to the first, each unit's mean
    taken on the net as it is when its layer's turn comes, as ``analyse`` removes them)."""
    params = {k: np.array(v, np.float64) for k, v in params.items()}
    for l in range(len(kept), 0, -1):
        hidden, _ = forward(params, activation)
        _fold(params, l, ~kept[l - 1], hidden[l - 1].mean(axis=0))
    return params


def _kept_first(kept: np.ndarray) -> np.ndarray:
    """Each start's units (H, N), its kept ones first in index order, cut to the most any start keeps: (K, N)."""
    return np.argsort(~kept, axis=0, kind="stable")[: max(int(kept.sum(axis=0).max(initial=0)), 1)]


def _later(params: dict, kept: list, l: int) -> list:
    """Layers l+2 .. of the nets as ``(W, b)`` with every unit removed from hidden layers l+1 .. left out.

    A removed unit adds nothing there: ``_fold`` zeroed its outgoing weights, so in a net of finite weights (the
    solved ones analysed) its term of every later sum is +-0, and x + 0 = x. The kept units' sums keep their
    order, so the margins and checks are the whole nets', bit for bit (up to the sign of a zero), for a fraction
    of the work: a deep net keeps one or two units of each layer it has reduced (a 2-10-10-10-1 sweep's chunk
    was analysed 3x faster)."""
    L, out = len(kept), []
    for k in range(l + 2, L + 2):
        W, b = params[f"W{k}"], params[f"b{k}"]
        rows = _kept_first(kept[k - 2])
        W = np.take_along_axis(W, rows[:, None], axis=0)
        if k <= L:  # a hidden layer: its own units cut too
            cols = _kept_first(kept[k - 1])
            W, b = np.take_along_axis(W, cols[None], axis=1), np.take_along_axis(b, cols, axis=0)
        out.append((W, b))
    return out


def _candidates(W, b, h, later: list, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """For each unit j of a hidden layer (outputs ``h`` (4, H, N), next layer ``W`` (H, H', N) and ``b`` (H', N))
    and each start, the logit margin and the XOR check of the net with j removed: (H, N) each. A removal changes
    the next layer's input by (mean_j - h_j) W[j]; the layers after it (``later``) are run again with the units
    as a candidate axis."""
    fn = model.ACTIVATIONS[activation].host
    znext = _dense(h, W, b)  # (4, H', N)
    delta = h.mean(axis=0)[None] - h  # (4, H, N)
    z = znext[:, :, None, :] + delta[:, None, :, :] * np.moveaxis(W, 0, 1)[None]  # (4, H', C=H, N)
    for Wk, bk in later:
        z = _dense(fn(z), Wk[:, :, None], bk[:, None])
    z = z[:, 0]  # (4, C, N)
    return (SIGNS[:, None, None] * z).min(axis=0), _computes_xor(z)


def essential(params: dict, activation: str = "sigmoid") -> list:
    """The essential units of float64 nets (start axis last) by the module's rule: per hidden layer (H_l, N) bool."""
    params = {k: np.array(v, np.float64) for k, v in params.items()}
    L = len(params) // 2 - 1
    kept = [np.ones(params[f"b{l}"].shape, bool) for l in range(1, L + 1)]
    for l in range(L, 0, -1):
        # Removing units of layer l changes layer l+1's weights only: layer l's outputs, and the later layers, stay.
        h = forward(params, activation)[0][l - 1]
        mean = h.mean(axis=0)
        later = _later(params, kept, l)
        # layer l+1's kept units (the output's one unit after the last hidden layer)
        cols = _kept_first(kept[l]) if l < L else np.zeros((1, h.shape[-1]), np.int64)
        todo = np.arange(h.shape[-1])  # the starts that may still lose a unit of layer l
        while todo.size:
            W = np.take_along_axis(params[f"W{l + 1}"][..., todo], cols[None, :, todo], axis=1)
            b = np.take_along_axis(params[f"b{l + 1}"][..., todo], cols[:, todo], axis=0)
            sub_later = [(Wk[..., todo], bk[..., todo]) for Wk, bk in later]
            margin, ok = _candidates(W, b, h[..., todo], sub_later, activation)
            margin = np.where(kept[l - 1][:, todo], margin, -np.inf)
            best = np.argmax(margin, axis=0)  # the first of equal margins: the lowest index
            n = np.arange(best.size)
            go = kept[l - 1][best, todo] & ok[best, n]
            todo, best = todo[go], best[go]  # a start that lost no unit keeps its net, and so its candidates
            drop = np.zeros_like(kept[l - 1])
            drop[best, todo] = True
            _fold(params, l, drop, mean)
            kept[l - 1] &= ~drop
    return kept


def _codes(h, middle: float) -> np.ndarray:
    """Tables binarized at the activation's middle, as 4-bit codes: (4, H, N) -> (H, N)."""
    return np.einsum("p,phn->hn", BITS, (h > middle).astype(np.int64))


def _output_codes(reduced: dict, kept_last: np.ndarray, activation: str) -> np.ndarray:
    """The output's table over the last layer's essential units (binary levels of the activation; the spare
    units are folded into the bias), as a 2^k-bit code per start; -1 beyond ``atlas.MAX_EXACT`` units."""
    L = len(reduced) // 2
    W, b = reduced[f"W{L}"][:, 0], reduced[f"b{L}"][0]  # (H, N), (N,)
    levels = np.asarray(model.ACTIVATIONS[activation].levels, np.float64)
    k = kept_last.sum(axis=0)
    out = np.full(k.shape, -1, np.int64)
    for units in np.unique(k[k <= atlas.MAX_EXACT]).tolist():
        starts = np.flatnonzero(k == units)
        w = W.T[starts][kept_last.T[starts]].reshape(len(starts), units)  # essential units in index order
        codes = levels[np.array(np.unravel_index(np.arange(2**units), (2,) * units)).T]  # (2^k, k), h1 first
        yhat = model.OUTPUT.host(codes @ w.T + b[starts])  # (2^k, n)
        bits = 2 ** np.arange(2**units - 1, -1, -1, dtype=np.int64)
        out[starts] = bits @ (yhat > model.OUTPUT.middle).astype(np.int64)
    return out


def analyse(params: dict, activation: str = "sigmoid", where: np.ndarray | None = None) -> Analysis:
    """Essential units, reduced nets, the XOR check and the canonical mechanism rows of nets given with the start
    axis last (any float dtype; analysed in float64 on the host). ``where`` (N,) bool: the starts to analyse (the
    solved ones); the others get ``kept`` all True, ``xor`` False and rows of -1."""
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    hidden_sizes = model.hidden_of(params)
    N = params["b1"].shape[-1]
    where = np.ones(N, bool) if where is None else np.asarray(where, bool)
    idx = np.flatnonzero(where)
    act = model.ACTIVATIONS[activation]
    kept = [np.ones((H, N), bool) for H in hidden_sizes]
    reduced = {k: v.copy() for k, v in params.items()}
    xor, saturated = np.zeros(N, bool), np.zeros(N, bool)
    rows = np.full((N, row_width(hidden_sizes)), -1, np.int64)
    if not len(idx) or not hidden_sizes:
        return Analysis(kept, reduced, xor, rows, saturated)
    sub = {k: v[..., idx] for k, v in params.items()}
    sub_kept = essential(sub, activation)
    sub_reduced = remove(sub, sub_kept, activation)
    hidden, z = forward(sub_reduced, activation)
    ok = _computes_xor(z)
    parts = [np.stack([kk.sum(axis=0) for kk in sub_kept], axis=1)]
    sat = np.ones(len(idx), bool)
    for h, kk in zip(hidden, sub_kept):
        codes = np.where(kk, _codes(h, act.middle), -1)  # (H, n)
        order = np.argsort(~kk, axis=0, kind="stable")  # the essential units first, in index order
        parts.append(np.take_along_axis(codes, order, axis=0).T)
        t = atlas.ternary(h, act.middle, act.margin)  # (4, H, n)
        sat &= ((t != atlas.UNSAT).all(axis=0) | ~kk).all(axis=0)
    parts.append(_output_codes(sub_reduced, sub_kept[-1], activation)[:, None])
    sub_rows = np.concatenate(parts, axis=1)
    flips = act.flips
    uniq, inverse = np.unique(sub_rows[ok], axis=0, return_inverse=True)
    canon = np.array([canonical(tuple(r), hidden_sizes, flips) for r in uniq.tolist()], np.int64)
    sub_rows[ok] = canon.reshape(len(uniq), -1)[inverse.reshape(-1)] if len(uniq) else sub_rows[ok]
    sub_rows[~ok] = -1
    for l, kk in enumerate(sub_kept):
        kept[l][:, idx] = kk
    for k in reduced:
        reduced[k][..., idx] = sub_reduced[k]
    xor[idx], rows[idx], saturated[idx] = ok, sub_rows, sat & ok
    return Analysis(kept, reduced, xor, rows, saturated)


@lru_cache(maxsize=4096)  # a sweep names thousands of mechanisms from a few dozen tables
def _bits(code: int, width: int) -> tuple:
    return tuple((int(code) >> (width - 1 - i)) & 1 for i in range(width))


def _code(table) -> int:
    return int("".join(map(str, table)), 2) if len(table) else -1


def layers_of(row, hidden) -> tuple[list, tuple, tuple | None]:
    """A row -> (essential units per layer, each layer's tables (tuples of 0/1), the output's table or None)."""
    L = len(hidden)
    units, pos, tables = tuple(int(u) for u in row[:L]), L, []
    for H, k in zip(hidden, units):
        tables.append(tuple(_bits(c, 4) for c in row[pos : pos + k]))
        pos += H
    out = None if row[pos] < 0 else _bits(row[pos], 2 ** units[-1])
    return list(units), tuple(tables), out


@lru_cache(maxsize=4096)
def canonical(row: tuple, hidden: tuple, flips: bool = True) -> tuple:
    """A raw row (essential units in index order) -> its mechanism's row, the same for every member of its orbit
    under unit order and sign flips (``atlas.canonical``, layer by layer; the last layer with the output)."""
    units, tables, out = layers_of(row, hidden)
    canon = [atlas.canonical(atlas.Family(t, None), flips).hidden for t in tables[:-1]]
    last = atlas.canonical(atlas.Family(tables[-1], out), flips)
    canon.append(last.hidden)
    result = list(units)
    for H, t in zip(hidden, canon):
        result += [_code(x) for x in t] + [-1] * (H - len(t))
    return tuple(result + [-1 if last.output is None else _code(last.output)])


def describe(row, hidden) -> str:
    """A mechanism's readable name: for one hidden layer as the atlas names a class ("AND + OR -> h2 AND NOT h1"),
    for deeper nets the essential units per layer, each layer's gates, and the output's gate."""
    units, tables, out = layers_of(row, hidden)
    name = lambda t: " + ".join(atlas.gate_name(x) for x in t)
    if len(hidden) == 1:
        return atlas.describe(atlas.Family(tables[0], out))
    return "-".join(map(str, units)) + ": " + " | ".join(map(name, tables)) + " -> " + atlas.output_name(out)


def units_key(row, hidden) -> str:
    """The essential units per hidden layer joined by "-": "2", or "2-1-1"."""
    return "-".join(str(int(u)) for u in row[: len(hidden)])


def gates(tables) -> list[str]:
    """Truth tables as 4-character strings in pattern order: (0,1,1,0) -> "0110"."""
    return ["".join(map(str, t)) for t in tables]


def explain(params: dict, activation: str = "sigmoid", kept=None) -> dict:
    """One net (no start axis) explained: its essential units (``kept``: given, one array per layer or the layers'
    masks one after the other, or found by ``analyse``), the reduced net, whether it computes XOR, the essential
    units' tables per layer (in index order) and its mechanism's name and row (None where the reduced net is not
    XOR)."""
    return explain_many([params], activation, None if kept is None else [kept])[0]


def explain_many(nets: list, activation: str = "sigmoid", kept: list | None = None) -> list[dict]:
    """``explain`` of nets of one shape, all at once (a sweep's representatives: one at a time, they took seconds);
    ``kept``: each net's essential units as ``explain`` takes them, or None to find them."""
    if not nets:
        return []
    net = {k: np.stack([np.asarray(n[k], np.float64) for n in nets], axis=-1) for k in nets[0]}
    hidden = model.hidden_of(net)
    if kept is None:
        a = analyse(net, activation)
        masks, rows = a.kept, [tuple(r.tolist()) if x else None for r, x in zip(a.rows, a.xor)]
    else:
        split = [np.split(np.asarray(k, bool).reshape(-1), np.cumsum(hidden)[:-1]) for k in kept]
        masks = [np.stack([s[l] for s in split], axis=-1) for l in range(len(hidden))]
        rows = [None] * len(nets)
    reduced = remove(net, masks, activation)
    values, z = forward(reduced, activation)
    xor = _computes_xor(z)
    codes = [_codes(h, model.ACTIVATIONS[activation].middle) for h in values]  # per layer (H, N)
    out = _output_codes(reduced, masks[-1], activation) if hidden else None
    explained = []
    for n in range(len(nets)):
        tables = [[_bits(c, 4) for c in code[m[:, n], n]] for code, m in zip(codes, masks)]
        row = rows[n]
        if row is None and xor[n]:
            raw = [int(m[:, n].sum()) for m in masks]
            for H, t in zip(hidden, tables):
                raw += [_code(x) for x in t] + [-1] * (H - len(t))
            row = canonical(tuple(raw + [int(out[n])]), hidden, model.ACTIVATIONS[activation].flips)
        explained.append(
            {
                "kept": [np.flatnonzero(m[:, n]).tolist() for m in masks],
                "units": [int(m[:, n].sum()) for m in masks],
                "layers": [gates(t) for t in tables],
                "xor": bool(xor[n]),
                "reduced": {k: v[..., n] for k, v in reduced.items()},
                "mechanism": None if row is None else describe(row, hidden),
                "row": row,
            }
        )
    return explained
