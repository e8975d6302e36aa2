import os
import subprocess
import sys

import pytest


def xorjax_command(folder, *args, cache, timeout=600):
    """``python -m xorjax.run ARGS`` in ``folder`` (not the repo root, so the installed package is what runs),
    with the compilation cache ``cache`` (the one every run of the test session shares); returns the
    CompletedProcess."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=str(cache))
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [sys.executable, "-m", "xorjax.run", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def run_xorjax(tmp_path):
    """Runs ``python -m xorjax.run ARGS`` in a fresh folder (not the repo root, so the installed
    package is what runs); returns the CompletedProcess. Its runs land in ``tmp_path/outputs``."""

    def run(*args, cwd=None, timeout=600):
        return xorjax_command(cwd or tmp_path, *args, cache=tmp_path.parent / "jax-cache", timeout=timeout)

    return run


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory):
    """``python -m xorjax.run ARGS``, run once per test session for each ARGS, in a folder of its own; returns
    (the CompletedProcess, that folder, whose runs are in ``folder/outputs``). For tests that only read what
    the command printed and wrote: one that needs to write there works on a copy (``shutil.copytree``)."""
    done = {}

    def run(*args):
        if args not in done:
            folder = tmp_path_factory.mktemp("shared_run")
            done[args] = xorjax_command(folder, *args, cache=folder.parent / "jax-cache"), folder
        return done[args]

    return run


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
