"""Which solutions exist: the gate each hidden unit computes, the output's gate of the hidden units, and
the families and symmetry classes they form.

A unit's *truth table* lists its value on the lecture's four patterns (0,0), (0,1), (1,0), (1,1), each
thresholded at the middle of the activation: 0, 1, or ``?`` when the unit is not saturated there (for the
sigmoid: between 0.2 and 0.8), so a half-on unit is reported as such rather than forced into a gate. The
output's table lists the output unit's value for every combination of binary hidden values (h1 h2 = 00, 01,
10, 11 for two units), including combinations no input produces: AND + NOR never gives h = 11.

Symmetries that leave the network's function unchanged: permuting hidden units, and the sign flip
sigma(-z) = 1 - sigma(z): (w_in, b_in, w_out, b_out) -> (-w_in, -b_in, -w_out, b_out + w_out) turns a
unit's gate into its negation and negates that input of the output's gate. A *family* is a raw
(hidden gates, output gate); its *class* is the family's orbit under those symmetries, named by its
smallest member. For one hidden layer of at most ``MAX_EXACT`` units classes are exact (every permutation
and flip is tried); for wider layers the output's table is not formed and a class is the sorted list of
each unit's gate with its flip chosen so that the unit is off at (0,0).

What a unit's levels, middle and saturation are, and whether the flip symmetry holds, is the activation's
record in ``model.ACTIVATIONS`` (the output unit's: ``model.OUTPUT``); the hidden units' values come from the
model's own forward pass, ``model.predict``. It runs on final weights on the host CPU in float64, between
compiled chunks, so a table never depends on the device that trained nor on the width of its floats.
"""

import itertools
from functools import cache
from typing import NamedTuple

import jax
import numpy as np

from xorjax.core import data, model

# (f(0,0), f(0,1), f(1,0), f(1,1)) -> the gate's name: the sixteen names. The one list of gate names.
GATES = {
    (0, 0, 0, 0): "FALSE",
    (0, 0, 0, 1): "AND",
    (0, 0, 1, 0): "x1 AND NOT x2",
    (0, 0, 1, 1): "x1",
    (0, 1, 0, 0): "x2 AND NOT x1",
    (0, 1, 0, 1): "x2",
    (0, 1, 1, 0): "XOR",
    (0, 1, 1, 1): "OR",
    (1, 0, 0, 0): "NOR",
    (1, 0, 0, 1): "XNOR",
    (1, 0, 1, 0): "NOT x2",
    (1, 0, 1, 1): "x1 OR NOT x2",
    (1, 1, 0, 0): "NOT x1",
    (1, 1, 0, 1): "x2 OR NOT x1",
    (1, 1, 1, 0): "NAND",
    (1, 1, 1, 1): "TRUE",
}
PATTERNS = data.PATTERNS  # the order of every truth table
XOR = data.TARGETS
UNSAT = 2  # a table entry where the unit is not saturated ("?")
MAX_EXACT = 4  # hidden units up to which output tables and exact classes are formed (2^4 rows, 384 maps)


class Family(NamedTuple):
    """Hidden units' truth tables (each a tuple of 0/1/UNSAT over PATTERNS) and the output's table over
    the binary hidden codes (None for more than MAX_EXACT units)."""

    hidden: tuple
    output: tuple | None


def ternary(values, middle: float, margin: float) -> np.ndarray:
    """0 / 1 / UNSAT per value; NaN (a diverged start) counts as unsaturated."""
    t = np.full(values.shape, UNSAT, np.int64)
    t[values < middle - margin] = 0
    t[values > middle + margin] = 1
    if margin == 0:  # relu: 0 is off, anything above on
        t[values <= middle] = 0
    return t


def host():
    """The host's CPU, where tables are read whatever device trained (None where JAX has no CPU backend)."""
    try:
        return jax.devices("cpu")[0]
    except RuntimeError:
        return None


def tables(params: dict, activation: str = "sigmoid") -> tuple[np.ndarray, np.ndarray | None]:
    """Truth tables of a one-hidden-layer net for a batch of starts (start axis last, as a sweep keeps them).

    Returns hidden (N, H, 4) and output (N, 2^H) arrays of 0 / 1 / UNSAT (output None when H > MAX_EXACT).
    """
    act, out = model.ACTIVATIONS[activation], model.OUTPUT
    params = {k: np.asarray(params[k], np.float64) for k in ("W1", "b1", "W2", "b2")}
    W2, b2 = params["W2"], params["b2"]
    H = W2.shape[0]
    with jax.enable_x64(True), jax.default_device(host()):
        _, (h,) = model.predict(params, data.X.astype(np.float64), activation)  # (4, H, N)
        hidden = ternary(np.moveaxis(np.asarray(h), (0, 1), (-1, -2)), act.middle, act.margin)  # (N, H, 4)
        if H > MAX_EXACT:
            return hidden, None
        codes = np.array(list(itertools.product(act.levels, repeat=H)))  # (2^H, H), h1 the most significant
        zo = np.einsum("ch,h...->...c", codes, W2[:, 0]) + np.moveaxis(b2, 0, -1)  # (N, 2^H)
        yhat = np.asarray(out.fn(zo))
    return hidden, ternary(yhat, out.middle, out.margin)


def keys(hidden: np.ndarray, output: np.ndarray | None) -> np.ndarray:
    """One integer row per start, (N, H + 1): each unit's table and the output's table read as base-3
    numbers. Cheap to count with ``np.unique(..., axis=0)``; ``family`` turns a row back into tables."""
    N, H, P = hidden.shape
    k = np.zeros((N, H + 1), np.int64)
    k[:, :H] = hidden @ (3 ** np.arange(P - 1, -1, -1))
    if output is None:
        k[:, H] = -1
    else:
        k[:, H] = output @ (3 ** np.arange(output.shape[1] - 1, -1, -1, dtype=np.int64))
    return k


def _digits(n: int, width: int) -> tuple:
    d = []
    for _ in range(width):
        n, r = divmod(int(n), 3)
        d.append(r)
    return tuple(reversed(d))


def family(key) -> Family:
    H = len(key) - 1
    hidden = tuple(_digits(k, len(PATTERNS)) for k in key[:H])
    return Family(hidden, None if key[H] < 0 else _digits(key[H], 2**H))


def _neg(table: tuple) -> tuple:
    return tuple(v if v == UNSAT else 1 - v for v in table)


def transform(f: Family, perm: tuple, flips: tuple) -> Family:
    """New unit k is old unit perm[k], negated when flips[k]; the output's table follows so that the
    network computes the same function."""
    H = len(f.hidden)
    hidden = tuple(_neg(f.hidden[perm[k]]) if flips[k] else f.hidden[perm[k]] for k in range(H))
    if f.output is None:
        return Family(hidden, None)
    output = []
    for new in itertools.product((0, 1), repeat=H):
        old = [0] * H
        for k in range(H):
            old[perm[k]] = new[k] ^ flips[k]
        output.append(f.output[int("".join(map(str, old)), 2)])
    return Family(hidden, tuple(output))


@cache
def _maps(H: int, flips_allowed: bool):
    """Every symmetry of H units as arrays: (units (T, H), flips (T, H), output rows (T, 2^H)), where the
    transformed output's row c is the original's row ``rows[t, c]`` (see ``transform``)."""
    flip_sets = list(itertools.product((0, 1), repeat=H)) if flips_allowed else [(0,) * H]
    perms, flips, rows = [], [], []
    codes = list(itertools.product((0, 1), repeat=H))
    for perm in itertools.permutations(range(H)):
        for fl in flip_sets:
            old_rows = []
            for new in codes:
                old = [0] * H
                for k in range(H):
                    old[perm[k]] = new[k] ^ fl[k]
                old_rows.append(int("".join(map(str, old)), 2))
            perms.append(perm), flips.append(fl), rows.append(old_rows)
    return np.array(perms), np.array(flips, bool), np.array(rows)


def canonical(f: Family, flips_allowed: bool = True) -> Family:
    """The smallest member of the family's orbit under unit permutations (and sign flips)."""
    H = len(f.hidden)
    if f.output is None:  # wide layer: orient each unit off at its first saturated pattern, then sort
        units = []
        for t in f.hidden:
            first = next((v for v in t if v != UNSAT), 0)
            units.append(_neg(t) if flips_allowed and first == 1 else t)
        return Family(tuple(sorted(units)), None)
    perms, flips, rows = _maps(H, flips_allowed)
    hidden = np.asarray(f.hidden)[perms]  # (T, H, 4)
    hidden = np.where(flips[..., None] & (hidden != UNSAT), 1 - hidden, hidden)
    candidates = np.concatenate([hidden.reshape(len(perms), -1), np.asarray(f.output)[rows]], axis=1)
    best = candidates[np.lexsort(candidates.T[::-1])[0]]  # the lexicographically smallest
    P = len(PATTERNS)
    return Family(
        tuple(tuple(int(v) for v in best[k * P : (k + 1) * P]) for k in range(H)), tuple(int(v) for v in best[H * P :])
    )


def gate_name(table: tuple, names=("x1", "x2")) -> str:
    """A table over the four patterns -> its gate's name; a table with ``?`` -> "unsaturated 0?11"."""
    if UNSAT in table:
        return "unsaturated " + "".join("?" if v == UNSAT else str(v) for v in table)
    name = GATES[tuple(table)]
    return name.replace("x1", "\0").replace("x2", names[1]).replace("\0", names[0])


def output_name(table: tuple | None) -> str:
    """The output's gate of the hidden units: a named gate of h1, h2 for two units, else its table."""
    if table is None:
        return "-"
    if len(table) == 4:
        return gate_name(table, ("h1", "h2"))
    if len(table) == 2 and UNSAT not in table:
        return {(0, 0): "FALSE", (0, 1): "h1", (1, 0): "NOT h1", (1, 1): "TRUE"}[tuple(table)]
    return "table " + "".join("?" if v == UNSAT else str(v) for v in table)


def describe(f: Family) -> str:
    """E.g. the lecture's net: "AND + NOR -> NOR"."""
    return " + ".join(gate_name(t) for t in f.hidden) + " -> " + output_name(f.output)


def threshold_gates() -> list[tuple]:
    """The gates a single sigmoid unit can compute: every table but XOR and XNOR (worked out by trying a
    grid of weights, which is enough for two inputs)."""
    X = data.X.astype(float)
    found = set()
    for w1, w2 in itertools.product(range(-2, 3), repeat=2):
        for b in np.arange(-3.5, 4.0, 1.0):
            found.add(tuple(int(v) for v in (X @ (w1, w2) + b > 0)))
    return sorted(found)


def possible_families() -> list[Family]:
    """Every (two hidden gates, output gate) with which a 2-2-1 threshold network computes XOR.

    Each unit is a threshold gate; the output's gate is fixed on the hidden codes the four inputs produce
    (it must map them to XOR, so two inputs with the same code need the same XOR value) and free on the
    others, as long as it stays a threshold gate.
    """
    gates = threshold_gates()
    result = []
    for g1, g2 in itertools.product(gates, repeat=2):
        needed = {}
        if any(needed.setdefault((g1[p], g2[p]), XOR[p]) != XOR[p] for p in range(4)):
            continue
        for o in gates:
            if all(o[2 * a + b] == v for (a, b), v in needed.items()):
                result.append(Family((g1, g2), o))
    return result
