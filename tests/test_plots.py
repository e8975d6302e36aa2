"""Every picture a run leaves is drawn here at least once, and the numbers behind them are the lecture's."""

import os

import numpy as np
import pytest
from conftest import MULTIRUN_OF_RUNS, run_dirs
from PIL import Image

from xorjax import config, run
from xorjax.core import data, descent, model
from xorjax.output.plots import network as pictures
from xorjax.output.plots import painter

LECTURE = {k: np.asarray(v, np.float32) for k, v in config.LECTURE_WEIGHTS.items()}
PNG = b"\x89PNG\r\n\x1a\n"


def assert_picture(path, size=None):
    """A real PNG of some substance (not an empty canvas), of the expected pixel size."""
    assert path.read_bytes()[:8] == PNG
    assert path.stat().st_size > 15_000
    with Image.open(path) as im:
        im.verify()
    if size:
        with Image.open(path) as im:
            assert im.size == size


def start(hidden, seed=0):
    return {k: np.asarray(v)[..., 0] for k, v in descent.init_starts([seed], hidden).items()}


@pytest.fixture(scope="module")
def trained():
    spec = descent.Spec(steps=3001, log_every=500, record_weights=True)
    final, t = descent.train_one(start([2]), 0.1, data.X, data.Y, spec)
    return {k: np.asarray(v) for k, v in final.items()}, t, descent.record_steps(3001, 500)


def test_the_surface_grid_passes_through_the_four_patterns_with_the_lectures_outputs():
    xs, z = pictures.surface_grid(LECTURE)
    i0, i1 = int(np.argmin(abs(xs - 0))), int(np.argmin(abs(xs - 1)))
    assert (xs[i0], xs[i1]) == (0, 1)
    # z[row = x2, column = x1]; the lecture's outputs 0.0112, 0.9949, 0.9949, 0.0244.
    got = [z[i0, i0], z[i1, i0], z[i0, i1], z[i1, i1]]
    assert got == pytest.approx([0.0112, 0.9949, 0.9949, 0.0244], abs=1e-4)


def test_the_hidden_view_is_the_lectures_hidden_layer():
    view = pictures.hidden_view(LECTURE)
    sig = lambda z: 1 / (1 + np.exp(-np.float64(z)))
    assert view["H"] == pytest.approx(
        np.array([[sig(-8), sig(3)], [sig(-3), sig(-4)], [sig(-3), sig(-4)], [sig(2), sig(-11)]]), abs=1e-6
    )
    assert list(view["w"]) == [-11, -11] and view["b"] == 6 and view["layer"] == 1


@pytest.mark.floors
def test_a_trained_run_leaves_all_four_pictures(tmp_path, trained):
    final, t, steps = trained
    files, notes = pictures.draw_run(tmp_path, final, "sigmoid", steps, t.loss, t.accuracy, t.weights)
    assert notes == []
    assert [f.name for f in files] == ["history.png", "decision_surface.png", "hidden_space.png", "weights.png"]
    assert_picture(tmp_path / "history.png", (1080, 432))
    assert_picture(tmp_path / "decision_surface.png", (648, 552))
    assert_picture(tmp_path / "hidden_space.png", (648, 552))
    assert_picture(tmp_path / "weights.png", (1008, 744))


def test_recorded_weights_are_the_parameters_each_recorded_cost_was_taken_at(trained):
    _, t, steps = trained
    assert {k: v.shape for k, v in t.weights.items()} == {"W1": (7, 2, 2), "b1": (7, 2), "W2": (7, 2, 1), "b2": (7, 1)}
    assert np.array_equal(t.weights["W1"][0], start([2])["W1"])
    for i in (0, 3, 6):
        params = {k: v[i] for k, v in t.weights.items()}
        assert float(model.cost(params, data.X, data.Y)) == pytest.approx(float(t.loss[i]), rel=1e-5)


@pytest.mark.parametrize("hidden", [[1], [5], [3, 4]], ids=["one-unit", "wide-principal-plane", "deep"])
def test_the_hidden_space_is_drawn_for_any_width_and_depth(tmp_path, hidden):
    view = pictures.hidden_view(start(hidden), "tanh")
    assert view["H"].shape == (4, hidden[-1]) and view["layer"] == len(hidden)
    assert_picture(pictures.hidden_space(tmp_path / "hidden_space.png", **view))


def test_the_weights_of_a_deeper_net_over_training(tmp_path):
    rng = np.random.default_rng(0)
    shapes = {"W1": (2, 3), "b1": (3,), "W2": (3, 2), "b2": (2,), "W3": (2, 1), "b3": (1,)}
    weights = {k: np.cumsum(rng.normal(size=(21, *s)), axis=0) for k, s in shapes.items()}
    assert_picture(
        pictures.weights_over_training(tmp_path / "w.png", range(0, 2100, 100), weights), (int(3 * 4.2 * 120), 744)
    )


def test_without_a_hidden_layer_the_hidden_space_is_skipped_with_a_note(tmp_path):
    files, notes = pictures.draw_run(tmp_path, start([]))
    assert [f.name for f in files] == ["decision_surface.png"]
    assert notes == ["hidden_space: skipped, the model has no hidden layer"]


def test_diverged_weights_are_skipped_with_a_note(tmp_path):
    params = dict(LECTURE, W2=np.array([[np.nan], [1.0]], np.float32))
    files, notes = pictures.draw_run(tmp_path, params, steps=[0, 1], loss=[0.7, np.nan], accuracy=[0.5, 0.5])
    assert [f.name for f in files] == ["history.png"]
    assert notes == [
        f"{n}: skipped, the weights are not finite (training diverged)" for n in ("decision_surface", "hidden_space")
    ]


def test_a_picture_that_fails_is_a_note_not_a_crash(tmp_path, monkeypatch):
    def broken(path, **kwargs):
        raise ValueError("no room")

    monkeypatch.setattr(pictures, "hidden_space", broken)
    files, notes = pictures.draw_run(tmp_path, LECTURE)
    assert [f.name for f in files] == ["decision_surface.png"]
    assert notes == ["hidden_space: skipped, drawing failed (ValueError: no room)"]


def test_the_painter_draws_in_a_helper_process_what_this_process_would(tmp_path, trained):
    final, t, steps = trained
    jobs, _ = pictures.run_jobs(final, "sigmoid", steps, t.loss, t.accuracy, t.weights)
    with painter.start(workers=2) as p:  # the helper and a fork of it
        assert p.proc is not None and p.workers == 2
        files, notes = pictures.draw(tmp_path, jobs, prefix="helper_", painter=p)
    assert notes == [] and [f.name for f in files] == [f"helper_{n}.png" for n in jobs]
    pictures.draw(tmp_path, jobs, prefix="here_")
    for name in jobs:  # the same picture, pixel for pixel
        with Image.open(tmp_path / f"helper_{name}.png") as a, Image.open(tmp_path / f"here_{name}.png") as b:
            assert np.array_equal(np.asarray(a), np.asarray(b))


def test_the_painters_shares_keep_the_weights_of_a_deep_net_apart_from_the_other_pictures():
    # 2-10-10-10-1: its weights over training (eight axes) take as long as its three other pictures together
    weights = {k: np.zeros((3, *shape)) for k, shape in model.param_shapes([10, 10, 10]).items()}
    tasks = [
        ("history", {}),
        ("decision_surface", {}),
        ("hidden_space", {}),
        ("weights_over_training", {"weights": weights}),
    ]
    assert [pictures.cost(*t) for t in tasks] == [1, 1, 1, 8]
    assert painter._shares(tasks, 2) == [[3], [0, 1, 2]]  # round robin gave [[0, 2], [1, 3]]
    assert painter._shares(tasks, 3) == [[3], [0, 2], [1]]
    assert painter._shares(tasks, 1) == [[3, 0, 1, 2]]
    assert painter._shares(tasks[:3], 2) == [[0, 2], [1]]  # equal costs: in turn


def test_a_helper_started_early_is_the_next_painters_own_and_one_not_wanted_is_closed(monkeypatch):
    monkeypatch.setattr(painter, "cores", lambda: 2)
    painter.prestart()
    early = painter._early
    assert early.proc is not None and early.workers == 2
    with painter.start() as p:
        assert p is early and painter._early is None
    painter.prestart()
    early = painter._early
    with painter.start(0) as p:  # pictures switched off after all: no helper, and the early one quits
        assert p.proc is None and p is not early
    assert early.proc is None


@pytest.mark.parametrize(
    "overrides, painted",
    [
        ([], True),
        (["model.hidden=[10,10,10]"], True),
        (["experiment=handcrafted"], True),
        (["logger.plots=false"], False),
        (["experiment=sweep"], True),
        (["experiment=backprop"], False),
    ],
)
def test_the_entry_point_starts_the_helper_early_only_for_pictures_the_painter_draws(overrides, painted):
    assert run._painted(overrides) is painted


def test_the_painters_pictures_are_drawn_without_loading_jax(tmp_path):
    # A painter's helper draws them: loading JAX there would cost a run a second or more, every picture's numbers
    # being computed by the run (a run's pictures, and a sweep's: its outcomes and its solutions' planes).
    import pickle
    import subprocess
    import sys

    records = {k: np.stack([v, v]) for k, v in LECTURE.items()}
    jobs, _ = pictures.run_jobs(LECTURE, "sigmoid", [0, 1], [0.7, 0.6], [0.5, 1.0], records)
    panel = {"weights": LECTURE, "surface": pictures.surface_grid(LECTURE, n=41), "title": "the lecture's"}
    tasks = [(fn, dict(kw, path=str(tmp_path / f"{name}.png"))) for name, (fn, kw) in jobs.items()]
    tasks += [
        (
            "starts.outcome_shares",
            dict(path=str(tmp_path / "o.png"), labels=["a"], outcomes=[{"solved": 3}], statuses=descent.STATUSES),
        ),
        ("starts.solutions", dict(path=str(tmp_path / "s.png"), rows=[{"title": "row", "panels": [panel]}])),
    ]
    (tmp_path / "tasks.pkl").write_bytes(pickle.dumps(tasks))
    draw = (
        "import pickle, sys; from xorjax.output.plots import network; "
        f"done = [network.call(*task) for task in pickle.loads(open({str(tmp_path / 'tasks.pkl')!r}, 'rb').read())]; "
        "print([why for _, why in done], 'jax' in sys.modules)"
    )
    r = subprocess.run(
        [sys.executable, "-c", draw], capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg")
    )
    assert r.stdout.split() == ["[None,", "None,", "None,", "None,", "None,", "None]", "False"], r.stderr
    assert len(list(tmp_path.glob("*.png"))) == 6


def test_pictures_whose_helper_died_are_drawn_here(tmp_path):
    jobs, _ = pictures.run_jobs(LECTURE)
    with painter.start(workers=1) as p:
        p.proc.kill()
        files, notes = pictures.draw(tmp_path, jobs, painter=p)
    assert notes == [] and [f.name for f in files] == ["decision_surface.png", "hidden_space.png"]


@pytest.mark.slow
def test_handcrafted_draws_its_weights_and_switching_off_leaves_no_pictures_nor_events(shared_run):
    r, root = shared_run("experiment=handcrafted")  # test_run reads its console and metrics
    assert r.returncode == 0, r.stderr
    (handcrafted,) = run_dirs(root)
    assert sorted(p.name for p in handcrafted.glob("*.png")) == ["decision_surface.png", "hidden_space.png"]
    assert_picture(handcrafted / "decision_surface.png")
    # training runs with logger.plots=false logger.tensorboard=false (a multirun that test_run and test_summary read)
    r, root = shared_run(*MULTIRUN_OF_RUNS)
    assert r.returncode == 0, r.stderr
    quiet = run_dirs(root)
    assert len(quiet) == 4
    for folder in quiet:
        assert list(folder.glob("*.png")) == [] and list(folder.glob("events.out.tfevents.*")) == []
        assert (folder / "history.csv").is_file()


# --- what the pictures say: titles inside, labels named, no line where there is none ---------------------


def saved_figures(monkeypatch, module) -> list:
    """Makes ``module``'s pictures report, as they are saved, (figure, whether everything drawn lies inside
    it), measured by the renderer."""
    seen, save = [], module.save

    def keep(fig, path, tight=True):
        fig.canvas.draw()
        box, (w, h) = fig.get_tightbbox(fig.canvas.get_renderer()), fig.get_size_inches()
        seen.append((fig, box.x0 >= -0.01 and box.y0 >= -0.01 and box.x1 <= w + 0.01 and box.y1 <= h + 0.01))
        return save(fig, path, tight)

    monkeypatch.setattr(module, "save", keep)
    return seen


@pytest.mark.parametrize(
    "hidden, title",
    [
        ([10, 10, 10], None),
        ([256, 256], None),
        ([1], None),
        ([10, 10, 10], "Hidden space: what the output unit sees\nafter 10001 steps of sgd\nfrom seed 0"),
    ],
    ids=["deep", "wide", "one-unit", "a-longer-title"],
)
def test_the_hidden_space_title_fits_inside_the_picture(tmp_path, monkeypatch, hidden, title):
    seen = saved_figures(monkeypatch, pictures)
    view = pictures.hidden_view(start(hidden))
    pictures.hidden_space(tmp_path / "h.png", **view, **({"title": title} if title else {}))
    ((fig, inside),) = seen
    assert inside
    assert fig.axes[0].get_title().count("\n") == (1 if hidden == [1] else 2) + (2 if title else 0)


def test_weights_are_named_from_zero_as_in_weights_json(tmp_path, monkeypatch):
    seen = saved_figures(monkeypatch, pictures)
    weights = {k: np.zeros((3, *np.shape(v))) for k, v in LECTURE.items()}
    pictures.weights_over_training(tmp_path / "w.png", [0, 1, 2], weights)
    ((fig, inside),) = seen
    labels = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    assert labels == {"W1[0][0]", "W1[0][1]", "W1[1][0]", "W1[1][1]", "b1[0]", "b1[1]", "W2[0][0]", "W2[1][0]", "b2[0]"}
    assert inside


def _contours(ax) -> int:
    from matplotlib.contour import ContourSet

    return sum(isinstance(c, ContourSet) for c in ax.get_children())


def test_a_flat_surface_says_so_and_draws_no_line(tmp_path, monkeypatch):
    seen = saved_figures(monkeypatch, pictures)
    # What lab 9-1 ends with: w and b about 1e-7, yhat 0.5 within round-off everywhere.
    flat = {"W1": np.array([[1.3e-7], [1.3e-7]], np.float32), "b1": np.array([-1.8e-7], np.float32)}
    pictures.decision_surface(tmp_path / "flat.png", *pictures.surface_grid(flat))
    pictures.decision_surface(tmp_path / "lecture.png", *pictures.surface_grid(LECTURE))
    (flat_fig, _), (lecture_fig, _) = seen
    ax = flat_fig.axes[0]
    assert _contours(ax) == 0 and "ŷ = 0.5" not in [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("ŷ = 0.5000 everywhere" in t.get_text() for t in ax.texts)
    ax = lecture_fig.axes[0]
    assert _contours(ax) == 1 and "ŷ = 0.5" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("everywhere" in t.get_text() for t in ax.texts)


def test_solutions_show_the_most_common_mechanisms_by_their_reduced_nets_with_a_colour_bar(tmp_path, monkeypatch):
    from xorjax.experiments.sweep import pictures
    from xorjax.output.plots import starts
    from xorjax.output.plots.network import surface_grid

    def mech(name, count, seed, units=(2,), kept=((0, 1),), weights=True):
        return {
            "mechanism": name,
            "count": count,
            "seed": seed,
            "units": list(units),
            "kept": [list(k) for k in kept],
            "weights": f"{seed}.json" if weights else None,
        }

    a, b, c = (
        "x1 AND NOT x2 + x2 AND NOT x1 -> OR",
        "AND + OR -> h2 AND NOT h1",
        "x2 AND NOT x1 + x2 + OR -> table 01001101",
    )
    configs = [
        {"lr": 0.1, "mechanisms": [mech(a, 50, 3), mech(b, 30, 1, kept=((1, 2),)), mech(c, 5, 7, (3,), ((0, 1, 2),))]},
        {"lr": 1.0, "mechanisms": [mech(b, 60, 0), mech(a, 20, 2), mech("FALSE + x1 -> h1", 1, 9, weights=False)]},
    ]
    rows = pictures.pictured({"configs": configs})
    assert len(rows) == 1 and rows[0]["title"].startswith("Mechanisms 1-3 of 4:")
    # most common over the settings first, each by its representative where it is most frequent; one without a
    # weights file is not drawn
    assert [p["title"].split("\n")[0] for p in rows[0]["panels"]] == [
        "AND + OR → h2 AND NOT h1",
        "x1 AND NOT x2 + x2 AND NOT x1 → OR",
        "x2 AND NOT x1 + x2 + OR → table 01001101",
    ]
    assert (
        rows[0]["panels"][0]["title"]
        == "AND + OR → h2 AND NOT h1\n54.2% of the solutions (90), 2 units\ne.g. seed 0, lr 1"
    )
    assert [p["file"] for p in rows[0]["panels"]] == ["0.json", "3.json", "7.json"]
    assert rows[0]["panels"][2]["kept"] == [[0, 1, 2]]
    seen = saved_figures(monkeypatch, starts)
    for p in rows[0]["panels"]:
        p["weights"], p["surface"] = LECTURE, surface_grid(LECTURE, n=41)
        p["units"] = p.pop("kept")[0][:2]
    starts.solutions(tmp_path / "solutions.png", rows)
    ((fig, inside),) = seen
    assert inside
    assert "ŷ (network output)" in [ax.get_ylabel() for ax in fig.axes]  # the colour bar
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(titles) == 3 and not any("->" in t for t in titles)


def test_the_basins_base_start_is_in_the_legend(tmp_path, monkeypatch):
    from xorjax.output.plots import starts

    seen = saved_figures(monkeypatch, starts)
    xs = ys = np.linspace(-1, 1, 8)
    status, cls = np.zeros((8, 8), int), np.zeros((8, 8), int)
    starts.basin(
        tmp_path / "basin.png",
        xs,
        ys,
        status,
        list(descent.STATUSES),
        cls,
        ["AND + OR -> h2 AND NOT h1"],
        (0.0, 0.0),
        "start W1[0][0]",
        "start W1[1][0]",
        "Basins",
        "seed 0",
    )
    ((fig, inside),) = seen
    for ax in fig.axes:
        assert "the base start (seed 0)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert inside


def test_the_landscapes_dots_are_where_training_stopped(tmp_path, monkeypatch):
    # Left and right panels mark the point itself: t = 0 along the eigen-direction, r = 1 along the ray. Both dots
    # must sit on their curves there, at the point's own cost (the right one once sat at r = 2's cost).
    from xorjax.core import curvature
    from xorjax.output.plots import starts

    params = {k: 3 * np.asarray(v, np.float64) for k, v in descent.init_starts([252], (2,)).items()}
    thetas, unravel = curvature.flat(params)
    directions = np.linalg.qr(np.random.default_rng(0).normal(size=(thetas.shape[1], 2)))[0]
    cut = curvature.slices(thetas[0], directions, 2.0, unravel, "sigmoid", "bce")
    own = float(model.cost({k: v[..., 0] for k, v in params.items()}, data.X, data.Y, "sigmoid", "bce"))
    drawn = []
    monkeypatch.setattr(starts, "save", lambda fig, path, tight=True: drawn.append(fig))  # the figure, not a PNG
    starts.landscape(tmp_path / "landscape.png", [{"status": "slow", "title": "seed 252", **cut}], 2.0)
    left, _, right = drawn[0].axes[:3]
    (_, dot_left), (curve, dot_right) = left.get_lines(), right.get_lines()
    assert dot_left.get_xdata()[0] == 0 and dot_left.get_ydata()[0] == pytest.approx(own, rel=1e-6)
    assert dot_right.get_xdata()[0] == 1 and dot_right.get_ydata()[0] == pytest.approx(own, rel=1e-6)
    r, ray = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert np.interp(0.0, np.log(r), ray) == pytest.approx(own, rel=1e-6)  # on the curve, at r = 1
