"""The sweep's chunk store: every finished chunk of starts kept as a file in the run folder (``ChunkFiles``, the
``engine.ChunkStore`` the engine trains into), checked before a resume trusts it, and what a sweep that could not
write has kept."""

import json
import logging
from io import BytesIO
from pathlib import Path

import numpy as np

from xorjax import config
from xorjax.config import Config
from xorjax.core import model, parts
from xorjax.errors import WriteError, XorjaxError
from xorjax.experiments.sweep import plan
from xorjax.output import io

log = logging.getLogger(__name__)


CHUNKS = "chunks"  # the folder, in the run folder
SETTINGS = "settings.json"  # in it: the sweep's fingerprint, written before any chunk


# Settings that decide the results but were added after sweeps first kept their chunks: a folder whose
# settings.json lacks one ran with its default, so it still resumes.
ADDED_SINCE = {"precision": "float32", "sweep.parts": 1, "sweep.part": 0}


def check_resume(cfg: Config, folder: Path) -> None:
    """Refuses a resume of a folder that holds no sweep, or one run with other settings (one line each)."""
    saved = folder / CHUNKS / SETTINGS
    if not saved.is_file():
        raise XorjaxError(
            f"sweep.resume={cfg.sweep.resume} is not allowed: {saved} is missing, so that folder "
            "holds no sweep to resume (give the run folder of an interrupted experiment=sweep)"
        )
    io.check_writable(folder / CHUNKS)  # a resume writes there: a read-only disk is named before training
    try:
        kept = json.loads(saved.read_text())
    except (OSError, ValueError) as e:
        raise XorjaxError(
            f"sweep.resume={cfg.sweep.resume}: {saved} is damaged ({e}); nothing can be resumed"
        ) from None
    before, now = {**ADDED_SINCE, **kept}, plan.fingerprint(cfg)
    for k in sorted(set(before) | set(now)):
        if before.get(k) != now.get(k):
            raise XorjaxError(
                f"sweep.resume={cfg.sweep.resume} is not allowed: that sweep ran with "
                f"{k}={before.get(k)}, this one has {k}={now.get(k)}; resume with the same settings"
            )


def check_mechanisms_kept(cfg: Config, folder: Path) -> None:
    """Refuses, in one line, a resume of chunks kept before mechanisms were counted: they lack every start's
    mechanism (``engine.mechanisms_of``) and the weights it would take to find it again."""
    store = ChunkFiles(folder / CHUNKS)
    for lo, hi in store.finished().items():
        with np.load(store._path(lo, hi)) as f:
            if "mechanisms" not in f.files:
                raise XorjaxError(
                    f"sweep.resume={cfg.sweep.resume} is not allowed: its chunks were kept by an older xorjax, "
                    "without the mechanisms of their solved starts; run the sweep again without sweep.resume"
                )
        return


class ChunkFiles:
    """Finished chunks as ``chunks/<first start>-<end>.npz`` in the run folder: each chunk's per-start
    outcomes (status, solved_at, final_loss, keys, ...; start i of the sweep is row i - first) and the weights
    of its first start of every family. Each is written to a temporary name and then renamed, so a sweep
    killed at any moment leaves whole chunks only (``io.write_atomic``; a stray ``.*.tmp`` is ignored).

    With the sweep's settings ``cfg``, each file also holds its start range (``span``) and the settings'
    ``fingerprint``, and every file is checked before a resume trusts it (``damage``): one that cannot be read,
    lacks an array, has the wrong shape or dtype, another start range or other settings (a disk that filled up,
    a file overwritten or copied from another sweep) is named in one line, renamed to ``*.npz.damaged`` and its
    starts are trained again."""

    SPAN, STAMP = "span", "fingerprint"  # what a file says of itself, besides the engine's arrays

    def __init__(self, folder: Path, cfg: Config | None = None):
        self.folder = folder
        self.cfg = cfg
        self.stamp = None if cfg is None else json.dumps(plan.fingerprint(cfg), sort_keys=True)
        self.checked = None  # {first start: end} of the files found whole, once checked
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, lo: int, hi: int) -> Path:
        return self.folder / f"{lo:010d}-{hi:010d}.npz"

    def finished(self) -> dict[int, int]:
        """{first start: end} of the chunks finished: with ``cfg``, of those found whole (checked once)."""
        if self.checked is not None:
            return dict(self.checked)
        found = {}
        for path in sorted(self.folder.glob("*-*.npz")):
            try:
                lo, hi = (int(x) for x in path.stem.split("-"))
            except ValueError:
                continue  # not a chunk's name
            problem = self.damage(path, lo, hi) if self.cfg is not None else None
            if problem is None:
                found[lo] = hi
                continue
            log.warning(f"xorjax: {path} is damaged ({problem}): its starts {lo}..{hi - 1} are trained again")
            try:
                path.replace(path.with_name(path.name + ".damaged"))
            except OSError:  # a folder that cannot be written: the new chunk fails to save with its own line
                pass
        if self.cfg is not None:
            self.checked = found
        return dict(found)

    def damage(self, path: Path, lo: int, hi: int) -> str | None:
        """What is wrong with the chunk file ``path`` of starts lo..hi-1, in words; None if it is whole."""
        first, end = parts.block(len(plan.grid(self.cfg)), self.cfg.sweep.parts, self.cfg.sweep.part)
        if not first <= lo < hi <= end:
            return f"its starts lie outside this sweep's {first}..{end - 1}"
        try:
            with np.load(path) as f:
                arrays = {k: f[k] for k in f.files}
        except Exception as e:  # a zip cut short, overwritten, pickled data, a read error: all mean "unreadable"
            return f"not readable: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")
        if self.STAMP in arrays and str(arrays[self.STAMP]) != self.stamp:
            return "written by a sweep with other settings"
        if self.SPAN in arrays and arrays[self.SPAN].tolist() != [lo, hi]:
            return f"it holds starts {arrays[self.SPAN].tolist()}, not those of its name"
        for name, (kinds, shape) in chunk_layout(self.cfg, hi - lo).items():
            if name not in arrays:
                return f"no array {name!r}"
            a = arrays[name]
            rows = a.shape[0] if a.ndim else None
            want = tuple(rows if d is None else d for d in shape)  # None: the chunk's families, any number
            if a.dtype not in kinds or a.shape != want:
                return f"{name} is {a.dtype}{list(a.shape)}, a chunk of {hi - lo} starts has {kinds[0]}{list(want)}"
        if len({arrays[k].shape[0] for k in arrays if k.startswith("first_")}) > 1:
            return "its families' arrays have different lengths"
        return None

    def load(self, lo: int, hi: int) -> dict:
        with np.load(self._path(lo, hi)) as f:
            return {k: f[k] for k in f.files if k not in (self.SPAN, self.STAMP)}

    def save(self, lo: int, hi: int, arrays: dict) -> None:
        if "keys" in arrays:  # a unit's table in base 3: -1..80, so a byte holds it (an eighth of the disk)
            arrays = {**arrays, "keys": arrays["keys"].astype(np.int8)}
        if self.stamp is not None:
            arrays = {**arrays, self.SPAN: np.asarray([lo, hi], np.int64), self.STAMP: np.asarray(self.stamp)}
        buf = BytesIO()
        np.savez(buf, **arrays)
        io.write_atomic(self._path(lo, hi), buf.getvalue())
        if self.checked is not None:
            self.checked[lo] = hi


def chunk_layout(cfg: Config, m: int) -> dict[str, tuple[tuple, tuple]]:
    """The arrays a sweep's chunk of ``m`` starts holds (``engine.train_chunks``): name -> (the dtypes allowed,
    the shape; None where the number of families found goes)."""
    real = (np.dtype(cfg.precision),)
    layout = {
        "status": ((np.dtype(np.int8),), (m,)),
        "solved_at": ((np.dtype(np.int32),), (m,)),
        "final_loss": (real, (m,)),
    }
    if config.stop_below(cfg) > 0:
        layout["stopped_at"] = ((np.dtype(np.int32),), (m,))
    if len(cfg.model.hidden) == 1:
        units = cfg.model.hidden[0]
        # keys: int8 since chunks were made smaller; int64 in the chunks of sweeps kept before
        layout["keys"] = ((np.dtype(np.int8), np.dtype(np.int64)), (m, units + 1))
        layout["first_rows"] = ((np.dtype(np.int64),), (None, units + 2))
        layout["first_index"] = ((np.dtype(np.int64),), (None,))
        for name, shape in model.param_shapes(cfg.model.hidden).items():
            layout[f"first_{name}"] = (real, (None, *shape))
    return layout


def kept_so_far(cfg: Config, out: Path, e: WriteError) -> WriteError:
    """``e`` with what a sweep that failed has kept: its finished chunks, and the override that resumes it (none
    when even its settings could not be written: there is nothing to resume then)."""
    folder = out / CHUNKS
    if not (folder / SETTINGS).is_file():
        return WriteError(e.path, e.cause, kept="nothing of this sweep was kept")
    lo, hi = parts.block(len(plan.grid(cfg)), cfg.sweep.parts, cfg.sweep.part)
    spans = {a: b for a, b in ChunkFiles(folder).finished().items() if lo <= a < b <= hi}
    starts = sum(b - a for a, b in spans.items())
    kept = f"{len(spans)} finished chunk(s), {starts} of {hi - lo} starts, are kept in {folder}"
    return WriteError(e.path, e.cause, resume=f"sweep.resume={out}", kept=kept)
