"""Sweeps that scale out and survive: finished chunks are kept and never trained again, a killed or interrupted
sweep resumed with ``sweep.resume=<its folder>`` ends with exactly the uninterrupted result, and the result
does not depend on the number of devices the starts are sharded over."""

import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import grid, run_here
from hydra import compose, initialize_config_dir

from xorjax import run
from xorjax.core import descent, engine, tally
from xorjax.experiments.sweep import plan
from xorjax.output import io

SPEC = descent.Spec(steps=301, log_every=100)


class Memory:
    """A chunk store in memory, {lo: (hi, arrays)}, that records what was saved."""

    def __init__(self, chunks=None):
        self.chunks, self.saved = dict(chunks or {}), []

    def finished(self):
        return {lo: hi for lo, (hi, _) in self.chunks.items()}

    def load(self, lo, hi):
        return self.chunks[lo][1]

    def save(self, lo, hi, arrays):
        self.saved.append((lo, hi))
        self.chunks[lo] = (hi, arrays)


def sweep_of(store=None, chunk=16, seeds=20):
    _, per = grid(0, seeds, [0.5, 2.0], [1.0])
    return engine.run_starts(
        {"seed": per["seed"], "scale": per["scale"]},
        per["lr"],
        engine.sweep_init((2,), "normal"),
        (2,),
        SPEC,
        group=per["group"],
        chunk=chunk,
        store=store,
    )


def assert_same_starts(a: engine.Starts, b: engine.Starts):
    for name in ("status", "solved_at", "final_loss", "keys"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.firsts.keys() == b.firsts.keys()
    for key, (index, weights) in a.firsts.items():
        assert b.firsts[key][0] == index
        for k in weights:
            np.testing.assert_array_equal(b.firsts[key][1][k], weights[k])


# --- the engine: chunks planned around finished ones, never trained twice ------------------------------


@pytest.mark.parametrize(
    "n, size, finished, expected",
    [
        (10, 4, {}, [(0, 4, False), (4, 8, False), (8, 10, False)]),
        (10, 4, {4: 8}, [(0, 4, False), (4, 8, True), (8, 10, False)]),
        # another chunk size than the finished chunks': the gaps are cut around them
        (10, 3, {2: 5, 8: 10}, [(0, 2, False), (2, 5, True), (5, 8, False), (8, 10, True)]),
        (10, 4, {0: 10}, [(0, 10, True)]),
    ],
)
def test_a_plan_keeps_finished_chunks_and_fills_the_gaps(n, size, finished, expected):
    assert engine.plan(n, size, finished) == expected


def test_a_resumed_sweep_trains_only_the_missing_chunks_and_equals_the_whole_one():
    whole = sweep_of()
    full = Memory()
    assert_same_starts(sweep_of(full), whole)
    # keep every other chunk, as a sweep killed part way might (written out of order: never, but no matter)
    kept = {lo: v for i, (lo, v) in enumerate(sorted(full.chunks.items())) if i % 2 == 0}
    resumed = Memory(kept)
    # another chunk size, too (8: the gap 16..32 is cut in two; and test_a_streamed_sweep's compiled program)
    assert_same_starts(sweep_of(resumed, chunk=8), whole)
    done = [(lo, hi) for lo, (hi, _) in kept.items()]
    assert resumed.saved and not any(lo < h and l < hi for lo, hi in resumed.saved for l, h in done)
    assert sum(hi - lo for lo, hi in resumed.saved + done) == 40


def test_a_streamed_sweep_reports_what_the_per_start_arrays_give():
    _, per = grid(3, 20, [0.5, 2.0], [1.0, 0.5])
    starts_grid = engine.Grid(3, 20, [0.5, 2.0], [1.0, 0.5])
    init = engine.sweep_init((2,), "normal")
    starts = engine.run_starts(
        {"seed": per["seed"], "scale": per["scale"]},
        per["lr"],
        init,
        (2,),
        SPEC,
        group=per["group"],
        chunk=16,  # the chunks of sweep_of above: its compiled program
    )
    tallies, firsts = engine.run_grid(starts_grid, init, (2,), SPEC, chunk=8)  # chunks span two settings
    for g, t in enumerate(tallies):
        assert t.statistics() == tally.statistics(starts, per["group"] == g)
        assert t.families() == tally.families(starts, per["group"] == g)
    assert sum(len(t.families()) for t in tallies) > 1
    assert_same_starts(starts, starts._replace(firsts=firsts))


# --- refusals ----------------------------------------------------------------------------------------------


def settings(*overrides):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        return run.settings(compose("config", overrides=list(overrides)))


def test_a_resume_with_other_settings_or_of_no_sweep_is_refused_in_one_line(tmp_path):
    (tmp_path / "chunks").mkdir()
    io.write_json(tmp_path / "chunks" / "settings.json", plan.fingerprint(settings("experiment=sweep", "steps=11")))
    problem = run.check_overrides(["experiment=sweep", "steps=12", f"sweep.resume={tmp_path}"])
    assert problem == (
        f"sweep.resume={tmp_path} is not allowed: that sweep ran with steps=11, this one has "
        "steps=12; resume with the same settings"
    )
    # what may change: the chunk size, the devices, logging
    assert (
        run.check_overrides(
            ["experiment=sweep", "steps=11", "sweep.chunk=7", "logger.plots=false", f"sweep.resume={tmp_path}"]
        )
        is None
    )
    problem = run.check_overrides(["experiment=sweep", f"sweep.resume={tmp_path / 'nothing'}"])
    assert "holds no sweep to resume" in problem and "\n" not in problem


# --- end to end: processes killed, interrupted and resumed; several devices -------------------------------


def start(cwd, *args, cache, devices=2):
    """``python -m xorjax.run ARGS`` in ``cwd`` on ``devices`` CPU devices, with Ctrl-C delivered (a background
    shell would have it ignored), and the compilation cache ``cache`` (conftest's ``jax_cache``)."""
    cwd.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        JAX_PLATFORMS="cpu",
        XORJAX_PROGRESS="0",
        XORJAX_CACHE_DIR=str(cache),
        XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
    )
    # An ignored SIGINT stays ignored in the child; a handler of ours becomes the default one there.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "xorjax.run", *args],
            cwd=cwd,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    finally:
        signal.signal(signal.SIGINT, before)


def finish(p):
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return out, err


def folder_of(cwd):
    (f,) = {p.parent.parent for p in (cwd / "outputs").rglob("chunks/settings.json")}
    return f


def wait_for_chunks(cwd, p, count):
    while p.poll() is None and len(list((cwd / "outputs").rglob("chunks/*.npz"))) < count:
        time.sleep(0.01)


def results(folder):
    """atlas.json without its timing, every start's outcomes in order, and the solutions' weights."""
    atlas = json.loads((folder / "atlas.json").read_text())
    del atlas["timing"]
    chunks = [np.load(p) for p in sorted((folder / "chunks").glob("*.npz"))]
    starts = {k: np.concatenate([c[k] for c in chunks]) for k in ("status", "solved_at", "final_loss", "keys")}
    weights = {p.name: p.read_text() for p in (folder / "solutions").glob("*.json")}
    return atlas, starts, weights


def assert_same_results(a, b):
    assert a[0] == b[0]
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        np.testing.assert_array_equal(a[1][k], b[1][k], err_msg=k)
    assert a[2] == b[2] and a[2]


# Big enough that a sweep is stopped part way (its 63 chunks take a second to train, its compiling several).
BIG = [
    "experiment=sweep",
    "sweep.seeds=6000",
    "sweep.lrs=[0.5,2.0]",
    "steps=4001",
    "sweep.chunk=96",
    "logger.plots=false",
    "logger.tensorboard=false",
]


@pytest.fixture(scope="module")
def whole(tmp_path_factory, jax_cache):
    """The sweep BIG, uninterrupted, on two devices: its folder (both tests below compare with it)."""
    cwd = tmp_path_factory.mktemp("whole") / "whole"
    finish(start(cwd, *BIG, cache=jax_cache))
    return folder_of(cwd)


@pytest.mark.slow
def test_two_devices_give_the_single_device_result_bit_for_bit(tmp_path, whole, jax_cache):
    finish(start(tmp_path / "one", *BIG, cache=jax_cache, devices=1))
    one = folder_of(tmp_path / "one")
    assert json.loads((whole / "atlas.json").read_text())["timing"]["devices"] == 2
    assert json.loads((one / "atlas.json").read_text())["timing"]["devices"] == 1
    assert_same_results(results(one), results(whole))


def test_a_ctrl_c_that_a_library_turned_into_another_exception_still_stops_the_sweep_as_resumable(
    tmp_path, monkeypatch
):
    # NumPy turns a KeyboardInterrupt raised inside its comparison of structured arrays (np.unique over a chunk's
    # families) into a TypeError: the sweep must still stop as interrupted, naming the override that resumes it.
    from xorjax import errors
    from xorjax.experiments import sweep

    def interrupted_in_numpy(cfg, out):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the signal's handler raises at the next bytecode
        except KeyboardInterrupt:
            raise TypeError("Cannot compare structured arrays unless they have a common dtype") from None

    monkeypatch.setattr(sweep, "train_all", interrupted_in_numpy)
    monkeypatch.setattr(errors, "_interrupted", [])
    before = signal.signal(signal.SIGINT, errors.on_interrupt)
    try:
        with pytest.raises(KeyboardInterrupt, match=f"^sweep.resume={tmp_path}$"):
            run_here(tmp_path, *SMALL)
    finally:
        signal.signal(signal.SIGINT, before)
    assert errors.interrupted()
    # without the Ctrl-C, the same exception is a failure, as it was raised
    monkeypatch.setattr(errors, "_interrupted", [])
    monkeypatch.setattr(sweep, "train_all", lambda cfg, out: np.unique(np.zeros(1, "i4,i4"), axis=0) + "x")
    with pytest.raises(Exception) as e:
        run_here(tmp_path, *SMALL)
    assert not isinstance(e.value, KeyboardInterrupt)


@pytest.mark.slow
def test_a_killed_or_interrupted_sweep_resumes_to_the_uninterrupted_result(tmp_path, whole, jax_cache):
    expected = results(whole)
    total = len(list((whole / "chunks").glob("*.npz")))

    # SIGKILL: no chance to clean up; whole chunks only are left, and none is trained again
    killed = start(tmp_path / "killed", *BIG, cache=jax_cache)
    wait_for_chunks(tmp_path / "killed", killed, 4)
    killed.kill()
    killed.wait()
    folder = folder_of(tmp_path / "killed")
    kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (folder / "chunks").glob("*.npz")}
    assert 4 <= len(kept) < total and not (folder / "atlas.json").exists()
    # resumed on one device: other chunk boundaries than the killed run's two-device ones
    out, err = finish(start(tmp_path / "again", *BIG, f"sweep.resume={folder}", cache=jax_cache, devices=1))
    assert f"resuming: {sum(int(n[11:21]) - int(n[:10]) for n in kept)} of 12000 starts were finished" in out + err
    assert {n: (p.stat().st_ino, p.stat().st_mtime_ns) for n in kept for p in [folder / "chunks" / n]} == kept
    assert_same_results(results(folder), expected)

    # Ctrl-C: one line that gives the command to resume with, which then finishes the sweep
    stopped = start(tmp_path / "stopped", *BIG, cache=jax_cache)
    wait_for_chunks(tmp_path / "stopped", stopped, 2)
    stopped.send_signal(signal.SIGINT)
    _, err = stopped.communicate(timeout=60)
    folder = folder_of(tmp_path / "stopped")
    line = err.strip().splitlines()[-1]
    assert stopped.returncode == 130 and "Traceback" not in err, err
    assert line == (
        "xorjax: interrupted; resume with: python -m xorjax.run " + shlex.join(BIG + [f"sweep.resume={folder}"])
    )
    command = shlex.split(line.split("resume with: ")[1])
    assert command[:3] == ["python", "-m", "xorjax.run"]
    finish(start(tmp_path / "stopped", *command[3:], cache=jax_cache))
    assert_same_results(results(folder), expected)


# --- damaged chunk files: each named in one line, trained again, and the atlas that of an undamaged sweep -------

SMALL = (
    "experiment=sweep",
    "sweep.seeds=48",
    "sweep.lrs=[1.0,2.0]",
    "steps=301",
    "sweep.chunk=16",
    "logger.plots=false",
)


@pytest.fixture(scope="module")
def undamaged(tmp_path_factory):
    """SMALL, trained in this process (one device: chunks of 16 starts, 6 of them): its folder, read only."""
    folder = tmp_path_factory.mktemp("undamaged")
    run_here(folder, *SMALL)
    return folder


def rewrite(path, change):
    """The chunk file ``path`` written again with ``change(arrays)`` applied (a file from another sweep, ...)."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(path, **arrays)


DAMAGES = {
    # a full disk or a crash leaves it cut short: numpy says zipfile.BadZipFile
    "cut short": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    # another program wrote over it: numpy says "This file contains pickled (object) data"
    "overwritten": lambda p: p.write_text("not a chunk\n" * 100),
    "other settings": lambda p: rewrite(p, lambda a: a.update(fingerprint=np.asarray('{"steps": 302}'))),
    "other starts": lambda p: rewrite(p, lambda a: a.update(span=np.asarray([0, 16]))),
    "wrong dtype": lambda p: rewrite(p, lambda a: a.update(final_loss=a["final_loss"].astype(np.float64))),
    "rows missing": lambda p: rewrite(p, lambda a: a.update(status=a["status"][:-1])),
    "an array missing": lambda p: rewrite(p, lambda a: a.pop("keys")),
}
SAID = {
    "cut short": "not readable: BadZipFile",
    "overwritten": "not readable: ValueError: This file contains pickled",
    "other settings": "written by a sweep with other settings",
    "other starts": "it holds starts [0, 16], not those of its name",
    "wrong dtype": "final_loss is float64[16], a chunk of 16 starts has float32[16]",
    "rows missing": "status is int8[15], a chunk of 16 starts has int8[16]",
    "an array missing": "no array 'keys'",
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_chunk_is_named_and_trained_again_to_the_undamaged_result(
    undamaged, tmp_path, damage, caplog, monkeypatch
):
    folder = shutil.copytree(undamaged, tmp_path / "sweep")
    target = folder / "chunks" / "0000000016-0000000032.npz"
    DAMAGES[damage](target)
    others = {p: p.stat().st_mtime_ns for p in (folder / "chunks").glob("*.npz") if p != target}
    with caplog.at_level(logging.INFO):
        run_here(tmp_path / "again", *SMALL, f"sweep.resume={folder}")
    lines = [r.getMessage() for r in caplog.records if " is damaged (" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert lines[0].startswith(f"xorjax: {target} is damaged (")
    assert lines[0].endswith("): its starts 16..31 are trained again")
    assert SAID[damage] in lines[0] and "\n" not in lines[0]
    assert any("resuming: 80 of 96 starts were finished in 5 chunk(s)" in r.getMessage() for r in caplog.records)
    assert {p: p.stat().st_mtime_ns for p in others} == others  # the whole ones are not trained again
    assert (folder / "chunks" / (target.name + ".damaged")).is_file()  # kept aside, for whoever wants to look
    assert_same_results(results(folder), results(undamaged))
