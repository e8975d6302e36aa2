"""The solution atlas: gate names, the network's symmetries, and which gate pairs can solve XOR at all."""

import itertools

import numpy as np
import pytest

from xorjax.config import LECTURE_WEIGHTS
from xorjax.core import atlas, model

LECTURE = {k: np.asarray(v, np.float64) for k, v in LECTURE_WEIGHTS.items()}


def batch(*nets):
    """Weights of several nets, start axis last (the sweep's layout)."""
    return {k: np.stack([n[k] for n in nets], axis=-1) for k in nets[0]}


def family_of(params, activation="sigmoid"):
    return atlas.family(atlas.keys(*atlas.tables(batch(params), activation))[0])


def yhat(params, activation="sigmoid"):
    out, _ = model.predict(
        {k: np.float32(v) for k, v in params.items()}, atlas.np.asarray(atlas.PATTERNS, np.float32), activation
    )
    return np.asarray(out)


def flip(params, j):
    """The sign flip of hidden unit j: (w_in, b_in, w_out, b_out) -> (-w_in, -b_in, -w_out, b_out + w_out)."""
    p = {k: v.copy() for k, v in params.items()}
    p["W1"][:, j] *= -1
    p["b1"][j] *= -1
    p["b2"] = p["b2"] + p["W2"][j]
    p["W2"][j] *= -1
    return p


def swap(params):
    return {"W1": params["W1"][:, ::-1], "b1": params["b1"][::-1], "W2": params["W2"][::-1], "b2": params["b2"]}


def test_the_lectures_weights_are_and_plus_nor_into_nor():
    f = family_of(LECTURE)
    assert atlas.describe(f) == "AND + NOR -> NOR"
    assert atlas.describe(atlas.canonical(f)) == "AND + OR -> h2 AND NOT h1"


MEANING = {
    "FALSE": lambda a, b: 0,
    "AND": lambda a, b: a & b,
    "x1 AND NOT x2": lambda a, b: a & ~b & 1,
    "x1": lambda a, b: a,
    "x2 AND NOT x1": lambda a, b: b & ~a & 1,
    "x2": lambda a, b: b,
    "XOR": lambda a, b: a ^ b,
    "OR": lambda a, b: a | b,
    "NOR": lambda a, b: 1 - (a | b),
    "XNOR": lambda a, b: 1 - (a ^ b),
    "NOT x2": lambda a, b: 1 - b,
    "x1 OR NOT x2": lambda a, b: a | (1 - b),
    "NOT x1": lambda a, b: 1 - a,
    "x2 OR NOT x1": lambda a, b: b | (1 - a),
    "NAND": lambda a, b: 1 - (a & b),
    "TRUE": lambda a, b: 1,
}


def test_sixteen_names_one_per_truth_table_each_meaning_what_it_says():
    assert sorted(atlas.GATES.values()) == sorted(MEANING)
    for table, name in atlas.GATES.items():
        assert tuple(MEANING[name](a, b) for a, b in atlas.PATTERNS) == table, name
    assert atlas.gate_name((0, 1, 0, 0), ("h1", "h2")) == "h2 AND NOT h1"


@pytest.mark.parametrize("j", [0, 1])
def test_a_sign_flip_keeps_the_output_and_negates_the_units_gate(j):
    flipped = flip(LECTURE, j)
    np.testing.assert_allclose(yhat(flipped), yhat(LECTURE), atol=1e-6)
    f, g = family_of(LECTURE), family_of(flipped)
    assert g.hidden[j] == atlas._neg(f.hidden[j]) and g.hidden[1 - j] == f.hidden[1 - j]
    assert g == atlas.transform(f, (0, 1), tuple(int(k == j) for k in range(2)))
    assert atlas.canonical(g) == atlas.canonical(f)


def test_swapping_the_hidden_units_keeps_the_class():
    f, g = family_of(LECTURE), family_of(swap(LECTURE))
    assert atlas.describe(g) == "NOR + AND -> NOR" and g == atlas.transform(f, (1, 0), (0, 0))
    assert atlas.canonical(g) == atlas.canonical(f)


def test_a_unit_between_0_2_and_0_8_is_reported_unsaturated_not_forced_into_a_gate():
    p = {k: v.copy() for k, v in LECTURE.items()}
    p["W1"][:, 0], p["b1"][0] = [0.5, 0.5], 0.0  # sigmoid(0) = 0.5 at (0,0), 0.62 at (0,1), 0.73 at (1,1)
    f = family_of(p)
    assert atlas.gate_name(f.hidden[0]) == "unsaturated ????"
    p["b1"][0] = -3.0  # 0.05, 0.08, 0.08, 0.12: saturated off everywhere
    assert atlas.gate_name(family_of(p).hidden[0]) == "FALSE"


def test_a_diverged_start_has_no_gate():
    p = {k: v.copy() for k, v in LECTURE.items()}
    p["W1"][0, 0] = np.nan
    assert "unsaturated" in atlas.gate_name(family_of(p).hidden[0])


def test_keys_round_trip_for_several_units():
    rng = np.random.default_rng(0)
    nets = [{k: rng.normal(0, 6, v) for k, v in model.param_shapes([3]).items()} for _ in range(50)]
    hidden, output = atlas.tables(batch(*nets))
    for key, h, o in zip(atlas.keys(hidden, output), hidden, output):
        f = atlas.family(key)
        assert f.hidden == tuple(map(tuple, h)) and f.output == tuple(o)


def test_classes_are_exact_under_every_permutation_and_flip_of_three_units():
    rng = np.random.default_rng(1)
    net = {k: rng.normal(0, 8, v) for k, v in model.param_shapes([3]).items()}
    f = family_of(net)
    for perm in itertools.permutations(range(3)):
        for flips in itertools.product((0, 1), repeat=3):
            assert atlas.canonical(atlas.transform(f, perm, flips)) == atlas.canonical(f)


def test_a_sigmoid_unit_computes_fourteen_gates_all_but_xor_and_xnor():
    gates = atlas.threshold_gates()
    assert len(gates) == 14 and (0, 1, 1, 0) not in gates and (1, 0, 0, 1) not in gates


def test_sixteen_gate_pairs_solve_xor_in_two_classes():
    fams = atlas.possible_families()
    pairs = {f.hidden for f in fams}
    assert len(fams) == 16 and len(pairs) == 16  # each pair has exactly one output gate
    classes = {atlas.canonical(f) for f in fams}
    assert sorted(atlas.describe(c) for c in classes) == [
        "AND + OR -> h2 AND NOT h1",
        "x1 AND NOT x2 + x2 AND NOT x1 -> OR",
    ]
    assert all(sum(atlas.canonical(f) == c for f in fams) == 8 for c in classes)
    assert atlas.canonical(family_of(LECTURE)) in classes


def test_every_possible_family_computes_xor():
    for f in atlas.possible_families():
        codes = [(f.hidden[0][p], f.hidden[1][p]) for p in range(4)]
        assert tuple(f.output[2 * a + b] for a, b in codes) == atlas.XOR


def test_tanh_units_threshold_at_zero():
    p = {k: v.copy() for k, v in LECTURE.items()}
    hidden, _ = atlas.tables(batch(p), "tanh")
    assert atlas.gate_name(tuple(hidden[0, 0])) == "AND" and atlas.gate_name(tuple(hidden[0, 1])) == "NOR"


def test_wide_layers_get_a_class_without_the_output_table():
    rng = np.random.default_rng(2)
    net = {k: rng.normal(0, 8, v) for k, v in model.param_shapes([6]).items()}
    f = family_of(net)
    assert f.output is None and atlas.output_name(f.output) == "-"
    swapped = atlas.Family(f.hidden[::-1], None)
    assert atlas.canonical(swapped) == atlas.canonical(f)
