import fcntl
import hashlib
import json
import os
import shutil
import subprocess

import numpy as np
import prestarted
import pytest


def xorjax_command(folder, *args, cache, timeout=600, umask=-1):
    """``python -m xorjax.run ARGS`` in ``folder`` (not the repo root, so the installed package is what runs),
    with the compilation cache ``cache`` (the one every run of the test session shares) and, if given, the
    umask ``umask``; returns the CompletedProcess."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=str(cache))
    env.pop("HYDRA_FULL_ERROR", None)
    return prestarted.run(args, folder, env, timeout, umask)  # a fork of a Python with xorjax imported


def session_folder(tmp_path_factory):
    """The test session's own temporary folder: with pytest-xdist, the one its workers' folders are in."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


@pytest.fixture(scope="session", autouse=True)
def jax_cache(request, tmp_path_factory):
    """The compilation cache every ``python -m xorjax.run`` of the test session shares, and the test processes
    themselves (every worker's): a program compiled once, by a run or by a test, is loaded by the others, as
    ``python -m xorjax.run`` loads it (``XORJAX_CACHE_DIR``: ``run._enable_compilation_cache``).

    It is kept in pytest's own cache folder (``.pytest_cache``, beside the last failures), so that the next test
    session loads what this one compiled, as a user's next run does: a fresh clone starts with none, and
    ``pytest --cache-clear`` empties it. With ``-p no:cacheprovider``, the test session's folder holds it."""
    import jax

    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("xorjax") if cache is not None else session_folder(tmp_path_factory) / "jax-cache"
    if os.environ.get("XORJAX_TEST_CACHE", "1") != "0":  # 0: each process compiles its own (to compare)
        jax.config.update("jax_compilation_cache_dir", str(folder / "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return folder


@pytest.fixture
def run_xorjax(tmp_path, jax_cache):
    """Runs ``python -m xorjax.run ARGS`` in a fresh folder (not the repo root, so the installed
    package is what runs); returns the CompletedProcess. Its runs land in ``tmp_path/outputs``."""

    def run(*args, cwd=None, timeout=600):
        return xorjax_command(cwd or tmp_path, *args, cache=jax_cache, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def once(tmp_path_factory):
    """``once(name, make)``: the folder ``name``, filled by ``make(folder)`` once per test session, and with
    pytest-xdist once for all its workers (the first to ask makes it under a lock; the others wait for it).
    For what several tests only read: one that needs to change it works on a copy (``shutil.copytree``)."""
    root = session_folder(tmp_path_factory)

    def get(name, make):
        folder = root / name
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (root / f"{name}.done").exists():
                shutil.rmtree(folder, ignore_errors=True)  # what a make that failed left
                folder.mkdir()
                make(folder)
                (root / f"{name}.done").touch()
        return folder

    return get


# The umask of every shared run: not the usual 0o022, so that test_io, which checks the modes of the files they
# wrote, would catch a mode fixed in the code (0o644) too.
UMASK = 0o027


@pytest.fixture(scope="session")
def shared_run(once, jax_cache):
    """``python -m xorjax.run ARGS``, run once per test session for each ARGS, in a folder of its own and under
    the umask ``UMASK``; returns (the CompletedProcess, that folder, whose runs are in ``folder/outputs``). For
    tests that only read what the command printed and wrote: one that needs to write there works on a copy."""

    def make(folder, args):
        r = xorjax_command(folder, *args, cache=jax_cache, umask=UMASK)
        (folder / "result.json").write_text(json.dumps([r.returncode, r.stdout, r.stderr]))

    def run(*args):
        name = "shared_run_" + hashlib.sha1(json.dumps(args).encode()).hexdigest()[:12]
        folder = once(name, lambda f: make(f, args))
        returncode, stdout, stderr = json.loads((folder / "result.json").read_text())
        return subprocess.CompletedProcess(["python", "-m", "xorjax.run", *args], returncode, stdout, stderr), folder

    return run


# Runs that tests of several files read (each made once, by ``shared_run``).
SWEEP = ("experiment=sweep", "sweep.seeds=24", "sweep.lrs=[0.5,2.0]", "steps=1001", "logger.tensorboard=false")
MULTIRUN_OF_SWEEPS = (
    "-m",
    "experiment=sweep",
    "model.hidden=[1],[2]",
    "sweep.lrs=[0.5,2.0]",
    "sweep.seeds=8",
    "steps=301",
    "logger.plots=false",
)
MULTIRUN_OF_RUNS = (
    "-m",
    "seed=0,1",
    "model.hidden=[2],[3]",
    "steps=500",
    "logger.plots=false",
    "logger.tensorboard=false",
)

# One sweep of 144 starts, 48 seeds x 3 learning rates, in chunks of 16 (test_parts says why these numbers) ...
PARTS_SWEEP = (
    "experiment=sweep",
    "sweep.seeds=48",
    "steps=301",
    "sweep.lrs=[0.5,1.0,2.0]",
    "sweep.chunk=16",
    "logger.tensorboard=false",
    "logger.progress=false",
)
# ... split into parts, the jobs of a multirun: 4 through joblib, in 2 worker processes, and 2 through submitit_local,
# each job a process of its own (with its pictures). test_parts merges the parts; test_launchers checks each launcher
# by them.
SPLIT_BY_JOBLIB = (
    "-m",
    "hydra/launcher=joblib",
    "hydra.launcher.n_jobs=2",
    *PARTS_SWEEP,
    "logger.plots=false",
    "sweep.parts=4",
    "sweep.part=range(4)",
)
SPLIT_BY_SUBMITIT = (
    "-m",
    "hydra/launcher=submitit_local",
    "hydra.launcher.cpus_per_task=1",
    *PARTS_SWEEP,
    "sweep.parts=2",
    "sweep.part=0,1",
)

# experiment=handcrafted at the lecture's other answer (OR and NAND into AND), quiet: test_run and test_playground
ANOTHER_ANSWER = (
    "experiment=handcrafted",
    "handcrafted.W1=[[20.0,-20.0],[20.0,-20.0]]",
    "handcrafted.b1=[-10.0,30.0]",
    "handcrafted.W2=[[20.0],[20.0]]",
    "handcrafted.b2=[-30.0]",
    "logger.plots=false",
    "logger.tensorboard=false",
)


def compose_settings(*overrides):
    """The checked Config and experiment name ``python -m xorjax.run OVERRIDES`` would run."""
    from hydra import compose, initialize_config_dir

    from xorjax import run

    problem = run.check_overrides(list(overrides))
    assert problem is None, problem
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        cfg = compose("config", overrides=list(overrides), return_hydra_config=True)
        name = cfg.hydra.runtime.choices.experiment
        return run.prepare(cfg, name), name


def run_here(out, *overrides):
    """``python -m xorjax.run OVERRIDES`` in this process, into the folder ``out``, for tests that are about what
    an experiment computes, prints (caplog) and writes rather than about the command line: no process to start.
    Pictures are drawn here too, as the painter does without helpers (its helper processes: test_plots). Returns
    what the experiment's ``run`` returns."""
    import jax

    from xorjax import run
    from xorjax.output.plots import painter

    cfg, name = compose_settings(*overrides)
    out.mkdir(parents=True, exist_ok=True)
    start = painter.start
    painter.start = lambda workers=None: start(0)
    try:
        with jax.enable_x64(cfg.precision == "float64"):  # as the command line's job does
            return run.experiment(name).run(cfg, out)
    finally:
        painter.start = start


def start(seed: int, hidden, init: str = "normal", scale: float = 1.0) -> dict:
    """The initial parameters of the run ``seed=SEED`` (host arrays, no start axis)."""
    from xorjax.core import descent

    return {k: np.array(v)[..., 0] for k, v in descent.init_starts([seed], hidden, init, scale).items()}


def job_dir(multirun, num: int):
    """Job ``num``'s folder in a multirun folder: ``<num>_<its overrides>`` (conf/config.yaml hydra.sweep.subdir)."""
    (folder,) = [p for p in multirun.iterdir() if p.is_dir() and p.name.split("_")[0] == str(num)]
    return folder


def run_dirs(root, name="metrics.json"):
    """Every run folder under ``root/outputs`` holding ``name``, oldest first."""
    return sorted(p.parent for p in (root / "outputs").rglob(name))


def grid(first_seed, seeds, lrs, scales):
    """A sweep's settings and its per-start arrays (seed, scale, lr, group), as ``engine.Grid`` lays them out."""
    from xorjax.core import engine

    g = engine.Grid(first_seed, seeds, lrs, scales)
    inputs, lr, group = g.part(0, len(g))
    return g.cells, {**inputs, "lr": lr, "group": group}
