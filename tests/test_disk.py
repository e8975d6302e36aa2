"""When the disk fails: a full disk, a read-only folder or a file where a folder should be ends a run within seconds
with one line (``xorjax: <cause> while writing <file>``) and exit status 74, never a hang or a traceback, and leaves
no half-written or temporary file; a sweep says what it kept and the command that resumes it.

Real full disks are small tmpfs mounts, which need root: CI runs as root, so there these tests never skip; elsewhere
they skip and say why. Where a real fault cannot be made (an I/O error), it is injected. Every test that runs
something that could hang has a deadline (a subprocess timeout, or ``deadline`` in this process)."""

import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import compose_settings, run_here, xorjax_command

from xorjax import errors, run
from xorjax.errors import WriteError
from xorjax.experiments.sweep import chunk_store, plan
from xorjax.output import io, tensorboard
from xorjax.output.plots import painter

WRITE = errors.WRITE  # the exit status of a write failure (74, sysexits.h's EX_IOERR)
QUICK = ("steps=2001",)  # a run that writes every kind of file: JSON, CSV, events, pictures (through the painter)
SMALL_SWEEP = ("experiment=sweep", "sweep.seeds=48", "steps=301", "sweep.chunk=8", "logger.plots=false")


@contextlib.contextmanager
def deadline(seconds: int):
    """Fails the test (instead of hanging the suite) if what it runs in this process takes longer."""

    def expired(*_):
        raise TimeoutError(f"still running after {seconds} s: a hang")

    before = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def mount(folder: Path, options: str) -> None:
    """Mounts a tmpfs with ``options`` on ``folder``; without root (or where mounting is not allowed) the test is
    skipped with the reason, except in CI, which runs as root and must run these tests."""
    why = None
    if os.geteuid() != 0:
        why = "a real full or read-only disk is a tmpfs mount, which needs root (CI runs as root)"
    else:
        folder.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True, timeout=30
        )
        if r.returncode != 0:
            why = f"mount -t tmpfs failed: {r.stderr.strip()}"
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the disk tests: {why}")
        pytest.skip(why)


@pytest.fixture
def tmpfs(tmp_path):
    """``tmpfs(options)`` -> a folder on a new tmpfs (e.g. "size=40k", "size=40k,ro"), unmounted after the test."""
    mounted = []

    def make(options: str, name: str = "disk") -> Path:
        folder = tmp_path / name
        mount(folder, options)
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], timeout=30)


def leftovers(folder: Path) -> list[str]:
    """Temporary files ``io.write_atomic`` would have left behind."""
    return [str(p) for p in folder.rglob(".*.tmp")]


def one_line(r: subprocess.CompletedProcess) -> str:
    """The run's last line, checked to be the one line a write failure gives: no traceback, exit status 74."""
    assert r.returncode == WRITE, r.stderr[-3000:]
    assert "Traceback" not in r.stdout + r.stderr and "Exception" not in r.stderr, r.stderr[-3000:]
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("xorjax: ") and " while writing " in line, line
    return line


# --- the one writer: what a write failure looks like (fault injection: no root needed) ----------------------


def test_a_failed_rename_raises_one_line_and_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    io.write_json(target, {"before": 1})

    def eio(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", eio)
    with pytest.raises(WriteError) as e:
        io.write_json(target, {"after": 2})
    assert str(e.value) == f"input/output error while writing {target}"
    assert e.value.status == WRITE and e.value.path == target
    assert json.loads(target.read_text()) == {"before": 1} and leftovers(tmp_path) == []


def test_a_folder_that_is_gone_or_a_file_is_named(tmp_path):
    with pytest.raises(WriteError, match=r"^no such file or directory while writing .*/gone/a.json$"):
        io.write_atomic(tmp_path / "gone" / "a.json", "{}")
    (tmp_path / "file").write_text("")
    with pytest.raises(WriteError) as e:
        io.check_writable(tmp_path / "file" / "outputs" / "run")
    assert str(e.value) == f"{tmp_path / 'file'} is a file, not a folder, while writing {tmp_path}/file/outputs/run"
    io.check_writable(tmp_path / "new" / "folder")  # not there yet, but can be made: fine
    assert not (tmp_path / "new").exists()


def test_tensorboard_events_are_written_by_the_one_writer_with_no_thread_left(tmp_path, monkeypatch):
    """tensorboardX's writer thread died on ENOSPC and its close() then waited forever: events are now made in
    memory and written by io.write_atomic, so a failure is a WriteError and no thread is left behind."""
    threads = threading.active_count()
    args = ([0, 10], np.float32([0.7, 0.1]), np.float32([0.5, 1.0]))
    tensorboard.write_run(tmp_path / "ok", *args)
    assert [p.name.split(".")[:3] for p in (tmp_path / "ok").iterdir()] == [["events", "out", "tfevents"]]

    def enospc(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", enospc)
    with deadline(30), pytest.raises(WriteError, match=r"^no space left on device while writing .*events\.out"):
        tensorboard.write_run(tmp_path / "full", *args)
    assert threading.active_count() == threads and leftovers(tmp_path) == []


def test_a_picture_the_painters_helper_cannot_write_ends_the_run_with_its_line(tmp_path):
    """A helper process sends the WriteError back (pickled) instead of a note; the run raises it. Here the folder
    is missing, the same failure as a full disk for the writer; the picture that fails is the fork's share (the
    helper draws the first of two pictures itself, its fork the second), so the error comes through both."""
    drawn = ("history", {"path": str(tmp_path / "history.png"), "steps": [0, 1], "loss": [0.7, 0.6]})
    drawn[1]["accuracy"] = [0.5, 0.75]
    task = ("history", dict(drawn[1], path=str(tmp_path / "gone" / "history.png")))
    with deadline(120), painter.start(2) as p:
        assert p.proc is not None
        with pytest.raises(WriteError) as e:
            p.draw([drawn, task])
    assert str(e.value) == f"no such file or directory while writing {tmp_path}/gone/history.png"


def test_a_run_that_ends_while_the_painter_draws_does_not_wait_for_it(tmp_path):
    """Ctrl-C (or any error) while the helpers draw: they are killed, and the thread waiting for them returns at
    once, drawing nothing more; before, it waited for them (up to 600 s) and so did the process's exit."""
    task = ("history", {"path": str(tmp_path / "history.png"), "steps": [0, 1], "loss": [0.7, 0.6]})
    task[1]["accuracy"] = [0.5, 0.75]
    with deadline(60), ThreadPoolExecutor(1) as pool:
        with pytest.raises(KeyboardInterrupt), painter.start(1) as p:
            helper = p.proc
            drawing = pool.submit(p.draw, [task])
            while not p.drawing:  # the helper is given its picture (it is still importing matplotlib)
                time.sleep(0.01)
            raise KeyboardInterrupt
        assert drawing.result(timeout=30) in ([(None, "the run ended first")], [(task[1]["path"], None)])
        assert helper.wait(timeout=30) is not None
        assert p.draw([task]) == [(None, "the run ended first")]  # nothing is drawn after the run ended


def test_a_sweep_whose_writes_fail_says_what_it_kept_and_how_to_resume(tmp_path, monkeypatch):
    """Fault injection in this process (no root needed): the third chunk file cannot be written."""
    out = tmp_path / "sweep"
    real, written = io.write_atomic, []

    def third_chunk_fails(path, data):
        if Path(path).suffix == ".npz":
            if len(written) == 2:
                raise WriteError(path, OSError(5, "Input/output error"))
            written.append(path)
        return real(path, data)

    monkeypatch.setattr(io, "write_atomic", third_chunk_fails)
    with deadline(300), pytest.raises(WriteError) as e:
        run_here(out, *SMALL_SWEEP, "sweep.chunk=4")  # chunks of 4 per core: 6 or more chunks on any machine
    kept = sorted((out / "chunks").glob("*.npz"))
    starts = sum(int(p.stem[11:]) - int(p.stem[:10]) for p in kept)
    assert len(kept) == 2 and e.value.resume == f"sweep.resume={out}"
    assert str(e.value).endswith(f"; 2 finished chunk(s), {starts} of 48 starts, are kept in {out / 'chunks'}")
    assert str(e.value).startswith("input/output error while writing ") and e.value.status == WRITE


# --- real full disks ------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "size, extra, failing",
    [
        ("8k", (), ".hydra/"),  # Hydra's own files, named from the file it had open
        ("24k", (), "weights.json"),  # the JSON files
        # a picture, drawn and written by a painter's helper: the weights, the first of the helper's own share
        ("40k", ("logger.tensorboard=false",), "weights.png"),
        ("40k", (), "events.out.tfevents."),  # TensorBoard's events (its writer thread used to hang the process)
    ],
)
def test_a_run_on_a_full_disk_ends_in_seconds_with_one_line(tmpfs, jax_cache, size, extra, failing):
    disk = tmpfs(f"size={size}")
    r = xorjax_command(disk, *QUICK, *extra, f"hydra.run.dir={disk}/run", cache=jax_cache, timeout=120)
    line = one_line(r)
    assert line.startswith(f"xorjax: no space left on device while writing {disk}/run/{failing}"), line
    assert leftovers(disk) == []


@pytest.mark.slow
def test_a_sweep_on_a_full_disk_resumes_on_free_space_to_the_uninterrupted_result(
    tmpfs, jax_cache, tmp_path, monkeypatch
):
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # chunks of 16: the same anywhere
    disk = tmpfs("size=40k")  # .hydra/, run.log and settings.json take 20k, a chunk 8k: 1 or 2 of its 3 chunks fit
    r = xorjax_command(disk, *SMALL_SWEEP, f"hydra.run.dir={disk}/run", cache=jax_cache, timeout=180)
    line = one_line(r)
    kept = sorted(p.name for p in (disk / "run" / "chunks").glob("*.npz"))
    assert 1 <= len(kept) < 3 and leftovers(disk) == []
    head, resume = line.split("; resume with: ")
    assert head.startswith(f"xorjax: no space left on device while writing {disk}/run/chunks/")
    assert head.endswith(
        f"; {len(kept)} finished chunk(s), {16 * len(kept)} of 48 starts, are kept in {disk}/run/chunks"
    )
    command = shlex.split(resume)
    assert command[:3] == ["python", "-m", "xorjax.run"] and command[-1] == f"sweep.resume={disk}/run"

    subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True, timeout=30)  # space again
    before = {n: (disk / "run" / "chunks" / n).stat().st_mtime_ns for n in kept}
    r = xorjax_command(tmp_path, *command[3:], cache=jax_cache, timeout=180)
    assert r.returncode == 0, r.stderr
    assert f"resuming: {16 * len(kept)} of 48 starts were finished" in r.stdout + r.stderr
    assert {n: (disk / "run" / "chunks" / n).stat().st_mtime_ns for n in kept} == before  # not trained again
    whole = tmp_path / "whole"
    run_here(whole, *SMALL_SWEEP)
    assert same_sweep(disk / "run", whole)


def same_sweep(a: Path, b: Path) -> bool:
    """Two sweeps' results: atlas.json but its timing, and every start's outcomes, in order."""

    def results(folder):
        atlas = json.loads((folder / "atlas.json").read_text())
        del atlas["timing"]
        chunks = [np.load(p) for p in sorted((folder / "chunks").glob("*.npz"))]
        starts = {k: np.concatenate([c[k] for c in chunks]).tolist() for k in ("status", "solved_at", "final_loss")}
        return atlas, starts

    return results(a) == results(b)


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["basic", "joblib", "submitit_local"])
def test_a_multirun_on_a_full_disk_ends_with_one_line(tmpfs, jax_cache, launcher):
    """Whichever fails first (a job's file, or the launcher's own job files): one line naming it."""
    disk = tmpfs("size=40k")
    args = ("-m", f"hydra/launcher={launcher}", "seed=0,1,2", "steps=301", "logger.plots=false")
    r = xorjax_command(disk, *args, f"hydra.sweep.dir={disk}/multirun", cache=jax_cache, timeout=180)
    assert one_line(r).startswith(f"xorjax: no space left on device while writing {disk}/multirun")
    assert leftovers(disk) == []


@pytest.mark.slow
def test_the_lecture_on_a_full_disk_stops_at_the_first_failure_with_one_line(tmpfs, jax_cache):
    disk = tmpfs("size=200k")
    r = xorjax_command(disk, "experiment=lecture", f"hydra.run.dir={disk}/lecture", cache=jax_cache, timeout=300)
    assert one_line(r).startswith(f"xorjax: no space left on device while writing {disk}/lecture/")
    assert "section" not in r.stderr.splitlines()[-1] and leftovers(disk) == []


# --- folders that cannot be written: named before anything is trained -----------------------------------------


@pytest.mark.slow
def test_a_read_only_folder_is_named_before_training(tmpfs, jax_cache, tmp_path):
    disk = tmpfs("size=40k,ro")
    single = xorjax_command(tmp_path, *QUICK, f"hydra.run.dir={disk}/run", cache=jax_cache, timeout=120)
    assert one_line(single) == f"xorjax: read-only file system while writing {disk}/run"
    assert single.stdout == ""  # nothing trained: no table of costs
    multi = xorjax_command(
        tmp_path, "-m", "seed=0,1", *QUICK, f"hydra.sweep.dir={disk}/multirun", cache=jax_cache, timeout=120
    )
    assert one_line(multi) == f"xorjax: read-only file system while writing {disk}/multirun"
    assert list(disk.iterdir()) == []


def test_a_file_where_the_run_folder_should_be_is_named_before_training(tmp_path, jax_cache):
    (tmp_path / "outputs").write_text("not a folder")
    r = xorjax_command(tmp_path, *QUICK, cache=jax_cache, timeout=120)
    line = one_line(r)
    assert line.startswith(f"xorjax: {tmp_path / 'outputs'} is a file, not a folder, while writing {tmp_path}/outputs/")
    assert r.stdout == "" and (tmp_path / "outputs").read_text() == "not a folder"


@pytest.mark.slow
def test_a_sweep_resumed_into_a_read_only_folder_is_refused_before_training(tmpfs, tmp_path):
    disk = tmpfs("size=40k")
    (disk / "chunks").mkdir()
    cfg, _ = compose_settings(*SMALL_SWEEP)
    io.write_json(disk / "chunks" / chunk_store.SETTINGS, plan.fingerprint(cfg))
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, timeout=30)
    problem = run.check_overrides([*SMALL_SWEEP, f"sweep.resume={disk}"])
    assert problem == f"read-only file system while writing {disk}/chunks"


def test_the_readme_lists_every_exit_status():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for status, meaning in errors.EXIT.items():
        assert f"| {status} | {meaning} |" in readme, meaning
