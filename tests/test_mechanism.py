"""Essential units and mechanisms: nets whose answer is known by construction reduce to the lecture's mechanism
with the right units kept; every reduced net is checked to compute XOR; a 2-2-1 sweep's mechanisms are its classes;
the result is the same start by start, in a batch, in chunks and in parts."""

import json

import numpy as np
import pytest
from conftest import run_here

from xorjax.config import LECTURE_WEIGHTS
from xorjax.core import atlas, data, descent, engine, mechanism, model, tally

LECTURE = {k: np.asarray(v, np.float64) for k, v in LECTURE_WEIGHTS.items()}
LECTURES = "AND + OR -> h2 AND NOT h1"  # the lecture's AND + NOR -> NOR, up to a flip and the order of its units


def batch(*nets):
    return {k: np.stack([n[k] for n in nets], axis=-1) for k in nets[0]}


def with_unit(net, w_in, b_in, w_out):
    """``net`` with one more hidden unit (last) of input weights ``w_in``, bias ``b_in`` and output weight ``w_out``."""
    return {
        "W1": np.concatenate([net["W1"], np.asarray(w_in, np.float64).reshape(2, 1)], axis=1),
        "b1": np.append(net["b1"], b_in),
        "W2": np.concatenate([net["W2"], [[w_out]]]),
        "b2": net["b2"].copy(),
    }


def computes_xor(params) -> bool:
    """By the model's own forward pass (float64), independent of ``mechanism.forward``."""
    import jax

    with jax.enable_x64(True):
        yhat, _ = model.predict(params, data.X.astype(np.float64))
    return bool(np.all((np.asarray(yhat) > 0.5) == (data.Y > 0.5)))


def test_the_lectures_net_keeps_both_units_and_is_its_class():
    e = mechanism.explain(LECTURE)
    assert e["kept"] == [[0, 1]] and e["units"] == [2] and e["xor"]
    assert e["layers"] == [["0001", "1000"]]  # AND, NOR: the unit's tables as they are, in index order
    assert (
        e["mechanism"]
        == LECTURES
        == atlas.describe(atlas.canonical(atlas.family(atlas.keys(*atlas.tables(batch(LECTURE)))[0])))
    )


def test_a_unit_whose_output_weight_is_zero_is_spare():
    e = mechanism.explain(with_unit(LECTURE, [3.0, -2.0], 0.7, 0.0))
    assert e["kept"] == [[0, 1]] and e["mechanism"] == LECTURES
    assert np.array_equal(e["reduced"]["W2"][:, 0], [-11.0, -11.0, 0.0])


def test_a_duplicated_unit_with_halved_output_weights_keeps_one_copy_the_later_by_the_tie_rule():
    net = with_unit(LECTURE, LECTURE["W1"][:, 0], LECTURE["b1"][0], LECTURE["W2"][0, 0] / 2)
    net["W2"][0, 0] /= 2
    e = mechanism.explain(net)
    # units 0 and 2 are the same: removing either leaves the same margin, so the lowest index (0) goes first
    assert e["kept"] == [[1, 2]] and e["mechanism"] == LECTURES and e["xor"]


def test_a_unit_saturated_at_one_on_every_pattern_is_folded_into_the_bias():
    net = with_unit(LECTURE, [0.5, -0.5], 30.0, 4.0)  # h = 1 on every pattern: a constant 4 into the output
    net["b2"] -= 4.0
    e = mechanism.explain(net)
    assert e["kept"] == [[0, 1]] and e["mechanism"] == LECTURES
    np.testing.assert_allclose(e["reduced"]["b2"], LECTURE["b2"], atol=1e-12)


def test_a_net_where_no_unit_can_go_keeps_all_of_them():
    # XOR = x1 + x2 - 2 AND: units x1, x2 and AND, each needed (removing one leaves a linear function of two)
    net = {
        "W1": np.array([[20.0, 0.0, 20.0], [0.0, 20.0, 20.0]]),
        "b1": np.array([-10.0, -10.0, -30.0]),
        "W2": np.array([[10.0], [10.0], [-20.0]]),
        "b2": np.array([-5.0]),
    }
    assert computes_xor(net)
    for j in range(3):  # no single removal computes XOR: a fact of these weights, checked here by hand
        m = {k: v.copy() for k, v in net.items()}
        h = np.asarray(model.predict(net, data.X.astype(np.float64))[1][0])[:, j]
        m["b2"] += m["W2"][j] * h.mean()
        m["W2"][j] = 0.0
        assert not computes_xor(m)
    e = mechanism.explain(net)
    assert e["kept"] == [[0, 1, 2]] and e["units"] == [3] and e["xor"]
    assert e["layers"] == [["0011", "0101", "0001"]]
    # h = (AND, x1, x2) = 000 .. 111 -> -20 AND + 10 x1 + 10 x2 - 5 > 0: 0 1 1 1 0 0 0 0
    assert e["mechanism"] == "AND + x1 + x2 -> table 01110000"


def test_a_deep_net_keeps_the_lectures_first_layer_and_one_xor_unit_after_it():
    # 2-2-2-1: the lecture's first layer; layer 2: its output unit as a hidden unit (XOR) and a spare unit with
    # zero output weight; the output passes layer 2's XOR unit on.
    net = {
        "W1": LECTURE["W1"],
        "b1": LECTURE["b1"],
        "W2": np.concatenate([LECTURE["W2"], [[4.0], [-1.0]]], axis=1),
        "b2": np.array([LECTURE["b2"][0], 0.5]),
        "W3": np.array([[20.0], [0.0]]),
        "b3": np.array([-10.0]),
    }
    assert computes_xor(net)
    e = mechanism.explain(net)
    assert e["kept"] == [[0, 1], [0]] and e["units"] == [2, 1] and e["xor"]
    assert e["layers"] == [["0001", "1000"], ["0110"]]
    assert e["mechanism"] == "2-1: AND + OR | XOR -> h1"
    assert computes_xor(e["reduced"])


def plain_essential(params, activation):
    """The module's rule as it reads: every start of the batch, every unit of the layer a candidate, the whole net
    run again for each removal tried (``mechanism.essential`` leaves out what cannot change)."""
    fn, L = model.ACTIVATIONS[activation].host, len(params) // 2 - 1
    params = {k: np.array(v, np.float64) for k, v in params.items()}
    kept = [np.ones(params[f"b{l}"].shape, bool) for l in range(1, L + 1)]
    for l in range(L, 0, -1):
        while True:
            h = mechanism.forward(params, activation)[0][l - 1]
            W = params[f"W{l + 1}"]
            delta = h.mean(axis=0)[None] - h
            z = mechanism._dense(h, W, params[f"b{l + 1}"])[:, :, None] + delta[:, None] * np.moveaxis(W, 0, 1)[None]
            for k in range(l + 2, L + 2):
                z = mechanism._dense(fn(z), params[f"W{k}"][:, :, None], params[f"b{k}"][:, None])
            margin = np.where(kept[l - 1], (mechanism.SIGNS[:, None, None] * z[:, 0]).min(axis=0), -np.inf)
            best = np.argmax(margin, axis=0)
            n = np.arange(best.size)
            go = kept[l - 1][best, n] & mechanism._computes_xor(z[:, 0])[best, n]
            if not go.any():
                break
            drop = np.zeros_like(kept[l - 1])
            drop[best[go], n[go]] = True
            mechanism._fold(params, l, drop, h.mean(axis=0))
            kept[l - 1] &= ~drop
    return kept


def test_the_search_for_essential_units_is_the_rule_run_plainly_bit_for_bit():
    # 2-4-4-3-1 nets that compute XOR: the lecture's two units, its output as a hidden unit, passed on to the
    # output, and random spare units everywhere, some small enough to go and some not.
    rng = np.random.default_rng(1)
    n = 400
    net = {k: rng.normal(size=(*s, n)) * rng.uniform(0, 10, n) for k, s in model.param_shapes((4, 4, 3)).items()}
    net["W1"][:, :2], net["b1"][:2] = LECTURE["W1"][..., None], LECTURE["b1"][:, None]
    net["W2"][:2, 0], net["b2"][0] = LECTURE["W2"], LECTURE["b2"][0]
    net["W3"][0, 0], net["b3"][0], net["W4"][0, 0], net["b4"][0] = 10.0, -5.0, 10.0, -5.0
    net = {k: v[..., mechanism._computes_xor(mechanism.forward(net)[1])] for k, v in net.items()}
    assert net["b1"].shape[-1] > 100
    fast, plain = mechanism.essential(net), plain_essential(net, "sigmoid")
    for f, p in zip(fast, plain):
        np.testing.assert_array_equal(f, p)
    assert all(len(np.unique(k.sum(axis=0))) >= 2 for k in fast)  # starts that keep more, in every layer


@pytest.mark.parametrize("activation", list(model.ACTIVATIONS))
def test_the_numpy_forward_is_the_models(activation):
    import jax

    rng = np.random.default_rng(0)
    params = {k: rng.normal(size=(*s, 5)) for k, s in model.param_shapes((3, 4)).items()}
    # The activations on the host (Activation.host, NumPy) are the model's (fn, JAX) to a few ulps, from where
    # they saturate to where they overflow (XLA flushes sigmoid's subnormals to 0, and rounds tanh to -1 sooner);
    # NaN stays NaN.
    z = np.concatenate([np.linspace(-800, 800, 4001), rng.normal(0, 3, 4000), [0.0, -0.0, np.inf, -np.inf, np.nan]])
    act = model.ACTIVATIONS[activation]
    with jax.enable_x64(True):
        yhat, hidden = model.predict(params, data.X.astype(np.float64), activation)
        mine, logits = mechanism.forward(params, activation)
        np.testing.assert_allclose(np.asarray(model.sigmoid(logits)), np.asarray(yhat), rtol=1e-14)
        for a, b in zip(mine, hidden):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-14, atol=1e-15)
        expected = np.asarray(act.fn(z))
    host = act.host(z)
    assert host.dtype == np.float64
    np.testing.assert_allclose(host, expected, rtol=1e-14, atol=1e-300, err_msg=activation)
    assert np.mean(host == expected) > 0.5, activation  # mostly to the last bit


@pytest.fixture(scope="module")
def wide_starts():
    """200 starts of a 2-4-1 net, trained as a sweep trains them, with their final weights."""
    n = 200
    inputs = {"seed": np.arange(n, dtype=np.int64), "scale": np.ones(n)}
    return engine.run_starts(
        inputs,
        np.full(n, 1.0),
        engine.sweep_init((4,), "normal"),
        (4,),
        descent.Spec(steps=2001, log_every=500),
        chunk=64,
        finals=True,
    )


def test_every_solved_start_of_a_wide_sweep_reduces_to_a_net_that_computes_xor(wide_starts):
    solved = wide_starts.status == descent.STATUSES.index("solved")
    assert solved.sum() > 150
    a = mechanism.analyse(wide_starts.final, where=solved)
    assert a.xor[solved].all() and not a.xor[~solved].any()
    assert (a.rows[solved, 0] >= 2).all() and (a.rows[~solved] == -1).all()
    # the reduced nets by the model's forward pass, start by start; and each start analysed alone is the batch's
    for i in np.flatnonzero(solved)[:40]:
        one = {k: v[..., i] for k, v in a.reduced.items()}
        assert computes_xor(one)
        alone = mechanism.explain({k: v[..., i] for k, v in wide_starts.final.items()})
        assert alone["kept"] == [np.flatnonzero(a.kept[0][:, i]).tolist()]
        assert alone["row"] == tuple(a.rows[i].tolist())
    kept = a.kept[0][:, solved].sum(axis=0)
    assert (kept >= 2).all() and (kept < 4).sum() > 0.8 * solved.sum()  # spare units are found


def test_nets_explained_together_are_each_explained_alone(wide_starts):
    # explain_many (a sweep's representatives at once) is explain, net by net: with the units found, or given
    solved = np.flatnonzero(wide_starts.status == descent.STATUSES.index("solved"))[:30]
    nets = [{k: v[..., i] for k, v in wide_starts.final.items()} for i in solved]
    nets.append({k: -v for k, v in nets[0].items()})  # every weight negated: not XOR, no mechanism
    alone = [mechanism.explain(n) for n in nets]
    given = [np.concatenate([np.isin(np.arange(4), k) for k in e["kept"]]) for e in alone]
    for together in (mechanism.explain_many(nets), mechanism.explain_many(nets, "sigmoid", given)):
        assert len(together) == len(nets)
        for a, b in zip(alone, together):
            assert {k: v for k, v in a.items() if k != "reduced"} == {k: v for k, v in b.items() if k != "reduced"}
            for k in a["reduced"]:
                np.testing.assert_array_equal(a["reduced"][k], b["reduced"][k])
    assert alone[-1]["mechanism"] is None and alone[0]["mechanism"] and mechanism.explain_many([]) == []


def test_the_analysis_is_deterministic(wide_starts):
    a, b = mechanism.analyse(wide_starts.final), mechanism.analyse(wide_starts.final)
    for x, y in zip(a, b):
        if isinstance(x, list | tuple):
            for u, v in zip(x, y):
                np.testing.assert_array_equal(u, v)
        elif isinstance(x, dict):
            for k in x:
                np.testing.assert_array_equal(x[k], y[k])
        else:
            np.testing.assert_array_equal(x, y)


def test_a_sweeps_tally_counts_every_solved_start_in_chunks_as_in_one_batch(wide_starts):
    grid = engine.Grid(0, 200, [1.0], [1.0])
    tallies, _ = engine.run_grid(
        grid, engine.sweep_init((4,), "normal"), (4,), descent.Spec(steps=2001, log_every=500), chunk=48
    )
    (t,) = tallies
    solved = wide_starts.status == descent.STATUSES.index("solved")
    a = mechanism.analyse(wide_starts.final, where=solved)
    rows, counts = np.unique(a.rows[solved], axis=0, return_counts=True)
    assert {tuple(r): c for r, c in zip(rows.tolist(), counts.tolist())} == {k: v[0] for k, v in t.mechanisms.items()}
    for key, (i, kept, weights) in t.representatives.items():
        assert i == min(np.flatnonzero((a.rows == key).all(axis=1)))  # the lowest start of its mechanism
        assert kept.tolist() == a.kept[0][:, i].tolist()
        np.testing.assert_array_equal(weights["W1"], wide_starts.final["W1"][..., i].astype(np.float32))
    assert sum(t.essential_units((4,)).values()) == solved.sum()


def test_the_mechanisms_of_a_2_2_1_sweep_are_its_classes(tmp_path):
    quiet = ("logger.plots=false", "logger.tensorboard=false", "logger.progress=false")
    atlas_ = run_here(tmp_path, "experiment=sweep", "sweep.seeds=100", "sweep.lrs=[1.0]", "steps=2001", *quiet)
    (c,) = atlas_["configs"]
    assert not any("unsaturated" in k["class"] for k in c["classes"])  # the premise: every class saturated
    assert [(m["mechanism"], m["count"]) for m in c["mechanisms"]] == [(k["class"], k["count"]) for k in c["classes"]]
    assert len(c["mechanisms"]) == 2 and c["essential_units"] == {"2": c["outcomes"]["solved"]}
    for m in c["mechanisms"]:
        assert m["units"] == [2] and m["kept"] == [[0, 1]] and len(m["gates"]) == 2
        w = json.loads((tmp_path / m["weights"]).read_text())
        assert mechanism.explain({k: np.asarray(v) for k, v in w.items()})["mechanism"] == m["mechanism"]
    md = (tmp_path / "atlas.md").read_text()
    assert md.index("Mechanisms:") < md.index("Symmetry classes:")
    assert "essential units: 2 in 100.0% of the solved starts" in md


def test_tally_merge_adds_mechanisms_and_keeps_the_earliest_representative():
    a, b = tally.Tally(), tally.Tally()
    key = (2, 1, 7, 4)
    a.mechanisms[key], b.mechanisms[key] = [3, 10, 1], [2, 4, 2]
    a.represent(key, 10, np.ones(2, bool), {"W1": np.zeros(1)})
    b.represent(key, 4, np.ones(2, bool), {"W1": np.ones(1)})
    a.merge(b)
    assert a.mechanisms[key] == [5, 4, 3] and a.representatives[key][0] == 4


def test_a_solved_run_names_its_mechanism_and_its_spare_units(tmp_path, caplog):
    caplog.set_level("INFO")
    quiet = ("logger.plots=false", "logger.tensorboard=false", "logger.progress=false")
    m = run_here(tmp_path, "model.hidden=[3]", "seed=0", *quiet)
    assert m["status"] == "solved"
    e = mechanism.explain(json.loads((tmp_path / "weights.json").read_text()))
    assert m["mechanism"] == e["mechanism"] and m["kept"] == e["kept"] and len(m["kept"][0]) == 2
    (spare,) = [j for j in range(3) if j not in m["kept"][0]]
    assert f"mechanism {m['mechanism']}: essential units 2 of 3; y{spare + 1} is spare" in caplog.text


def test_a_resume_of_chunks_kept_without_mechanisms_is_refused_in_one_line(tmp_path):
    from conftest import compose_settings

    from xorjax import run
    from xorjax.experiments.sweep import chunk_store, plan

    cfg, _ = compose_settings("experiment=sweep", "sweep.seeds=4", "steps=11")
    store = chunk_store.ChunkFiles(tmp_path / chunk_store.CHUNKS)
    (store.folder / chunk_store.SETTINGS).write_text(json.dumps(plan.fingerprint(cfg)))
    store.save(0, 4, {"status": np.zeros(4, np.int8)})  # a chunk as an older xorjax kept it
    problem = run.check_overrides(["experiment=sweep", "sweep.seeds=4", "steps=11", f"sweep.resume={tmp_path}"])
    assert problem == (
        f"sweep.resume={tmp_path} is not allowed: its chunks were kept by an older xorjax, without the mechanisms of "
        "their solved starts; run the sweep again without sweep.resume"
    )
