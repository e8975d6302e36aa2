"""The lecture's "can you find another w and b?", answered: train ``sweep.seeds`` starts for every learning
rate x init scale at once, say how often each setting finds XOR and how it fails, and list the different
solutions found.

Writes ``atlas.json`` (per setting: success rate with its 95% Wilson interval, outcomes, families and
classes), ``atlas.md`` (the same as tables), ``solutions/*.weights.json`` (one start per family, for
``experiment=handcrafted init=file init.path=...``) and two pictures. Start i is the run
``python -m xorjax.run seed=<seed + i>`` with the same settings (the replay command is in atlas.md).

Every finished chunk of starts is kept in ``chunks/`` (its per-start outcomes, see ``chunk_store``), so a sweep
stopped part way (Ctrl-C, SIGKILL, a lost job) is finished by the same command plus
``sweep.resume=<its run folder>``: the finished chunks are checked and read back, never trained again (a damaged
one is named and trained again), and the results are written into that folder, exactly those of a sweep never
stopped. A sweep that cannot write (a full disk) says how many chunks it kept and the command that resumes it.

One sweep can be split over many jobs (``sweep.parts=N sweep.part=K``, see ``core/parts.py``): a part trains one
block of the starts and leaves, besides its own atlas, ``tallies.npz`` and ``part.json``, all that a merge needs;
``part_files.finish_parts`` writes the whole sweep's files from them (``python -m xorjax.summary --merge``, or the
multirun callback), exactly those of the sweep run in one job.

One job per module: this one trains the sweep (``train_all``) and hands its tallies on; ``plan``: its starts and
the settings that decide them; ``chunk_store``: finished chunks, and resuming; ``survey``: the atlas, written with
``report`` (atlas.md, the console's tables) and ``pictures``; ``part_files``: a part's files, and the merge.
"""

import logging
import time
from pathlib import Path

import jax

from xorjax import config
from xorjax.config import Config
from xorjax.core import devices, engine, parts
from xorjax.errors import WriteError, XorjaxError, interrupted
from xorjax.experiments.sweep import chunk_store, part_files, plan, survey
from xorjax.output import io, progress
from xorjax.output.plots import painter

log = logging.getLogger(__name__)


def check(cfg: Config) -> None:
    if cfg.init.name == "file":
        raise XorjaxError(
            "init=file is not allowed with a sweep: every start would be the same; choose init=normal or init=uniform"
        )
    if cfg.sweep.resume is not None:
        chunk_store.check_resume(cfg, Path(cfg.sweep.resume).expanduser())
        chunk_store.check_mechanisms_kept(cfg, Path(cfg.sweep.resume).expanduser())


def run(cfg: Config, out: Path) -> dict:
    if cfg.sweep.resume is not None:
        log.info(f"resuming the sweep in {cfg.sweep.resume}: its results are written there, not to {out}")
        out = Path(cfg.sweep.resume).expanduser()
    try:
        # The painter's helpers load matplotlib while this process trains, and draw the pictures side by side.
        with painter.start(None if cfg.logger.plots else 0) as helpers:
            starts, tallies, firsts, timing = train_all(cfg, out)
            atlas = survey.finish(cfg, starts, tallies, firsts, timing, out, painter=helpers)
        if cfg.sweep.parts > 1:
            part_files.save_part(cfg, atlas, tallies, firsts, out)
        return atlas
    except KeyboardInterrupt:
        # The override that finishes this sweep; the entry point adds the rest of the command line.
        raise KeyboardInterrupt(f"sweep.resume={out}") from None
    except WriteError as e:  # a full disk: what is kept, and (the entry point adds it) the command that resumes
        raise chunk_store.kept_so_far(cfg, out, e) from None
    except Exception:
        if interrupted():  # a Ctrl-C that a library turned into another exception
            raise KeyboardInterrupt(f"sweep.resume={out}") from None
        raise


def train_all(cfg: Config, out: Path):
    """Runs the sweep, keeping its finished chunks in ``out/chunks`` (and reusing those there already);
    returns the starts (a ``engine.Grid``), each setting's ``tally.Tally``, the weights of every family's first
    start and the timing. Nothing is kept per start in memory, so 10,000,000 starts fit as well as 1,000."""
    cores = len(jax.local_devices())  # run.py has already given this job its share of the cores
    lrs, scales = plan.axes(cfg)
    starts = plan.grid(cfg)
    n = len(starts)
    lo, hi = parts.block(n, cfg.sweep.parts, cfg.sweep.part)
    log.info(plan.describe(cfg))
    log.info(
        f"{cfg.sweep.seeds} seeds ({cfg.seed}..{cfg.seed + cfg.sweep.seeds - 1}) x lr {lrs} x init scale "
        f"{scales} = {n} starts, on {cores} core(s) in chunks of {engine.per_core(cfg.sweep.chunk, cfg.model.hidden)} "
        "per core"
    )
    if cfg.sweep.parts > 1:
        log.info(f"part {cfg.sweep.part} of {cfg.sweep.parts}: this job trains starts {lo}..{hi - 1}")
    store = chunk_store.ChunkFiles(out / chunk_store.CHUNKS, cfg)
    io.write_json(
        store.folder / chunk_store.SETTINGS, plan.fingerprint(cfg)
    )  # first, so that even a sweep stopped at once resumes
    finished = store.finished()
    done = sum(end - first for first, end in finished.items())
    if done:
        log.info(f"resuming: {done} of {hi - lo} starts were finished in {len(finished)} chunk(s) of {store.folder}")
    t = time.perf_counter()
    with progress.bar(hi - lo, "sweep", "start", allowed=cfg.logger.progress) as advance:
        tallies, firsts = engine.run_grid(
            starts,
            engine.sweep_init(tuple(cfg.model.hidden), cfg.init.name, cfg.precision),
            tuple(cfg.model.hidden),
            config.train_spec(cfg),
            activation=cfg.model.activation,
            chunk=cfg.sweep.chunk,
            advance=advance,
            store=store,
            span=(lo, hi),
        )
    seconds = time.perf_counter() - t
    trained = hi - lo - done
    timing = {
        "seconds": seconds,
        "starts": trained,
        "steps": cfg.steps,
        "devices": cores,
        "device": devices.describe(jax.local_devices()),  # what it computed on, e.g. "gpu (NVIDIA H100)"
        "net_steps_per_s": trained * cfg.steps / seconds,
        "resumed_starts": done,
    }
    log.info(
        f"trained {trained} starts x {cfg.steps} steps in {seconds:.1f} s: "
        f"{timing['net_steps_per_s'] / 1e6:.1f} M net-steps/s (compiling included)"
    )
    return starts, tallies, firsts, timing
