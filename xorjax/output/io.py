"""Files a run leaves: every one written atomically by ``write_atomic`` (temp file, then rename), weights,
history."""

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from xorjax.errors import WriteError, XorjaxError

# No JAX here at module level (``model`` is imported where weights are checked): the multirun summary and the
# picture helpers write through this module and stay light.

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path, data: bytes | str) -> Path:
    """Writes ``data`` (text as UTF-8) to ``path`` so that a reader, or a run killed part way, never sees half
    a file: into a temporary file beside it, then renamed over it. The file gets the mode any other new file
    gets (0o666 less the umask), not the temporary file's owner-only 0o600. The one atomic writer of the
    project: JSON, Markdown, CSV, TensorBoard events, a sweep's chunk files and pictures all go through it.

    A write that fails (no space, quota, read-only or missing folder, I/O error) raises ``WriteError``, which names
    the file and the cause in one line, and leaves no temporary file: whatever ``path`` held before is untouched.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes it owner-only
            f.write(data)
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:  # gone already (renamed), or its folder cannot be written either
                pass
        if isinstance(e, OSError):
            raise WriteError(path, e) from None
        raise
    return path


def check_writable(folder) -> None:
    """Raises ``WriteError`` unless ``folder`` can be made and written: the nearest part of it that exists must be
    a folder this process may write, on a file system mounted for writing. Checked before training starts, so a
    read-only disk, or a file where a folder should be, costs one line and not the training it would lose."""
    folder = Path(folder).expanduser().absolute()
    there = next(p for p in (folder, *folder.parents) if p.exists() or p == p.parent)
    if not there.is_dir():
        raise WriteError(folder, f"{there} is a file, not a folder,")
    if not os.access(there, os.W_OK | os.X_OK):
        read_only = os.statvfs(there).f_flag & os.ST_RDONLY
        raise WriteError(folder, "read-only file system" if read_only else f"permission denied in {there}")


def write_json(path, obj) -> None:
    write_atomic(path, json.dumps(obj, indent=2, allow_nan=True) + "\n")


def weights_to_json(params) -> dict:
    """``{"W1": [[...]], "b1": [...], ...}`` in layer order, as plain floats."""
    names = sorted(params, key=lambda k: (int(k[1:]), k[0] == "b"))
    return {k: np.asarray(params[k], dtype=np.float64).tolist() for k in names}


def read_weights(path, hidden=None, setting: str = "init.path") -> dict:
    """Reads a weights.json and checks it: every key, a chain of consistent shapes, finite numbers.

    With ``hidden`` the shapes must be those of that model; without, the model is read from the file. The
    numbers come back in float64, every digit the file holds: a run converts them to its ``precision``.
    """
    from xorjax.core import model

    p = Path(path).expanduser()
    if not p.is_file():
        raise XorjaxError(f"{setting}={path}: no such file")
    try:
        raw = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise XorjaxError(f"{setting}={path}: not valid JSON ({e})") from None
    if not isinstance(raw, dict):
        raise XorjaxError(f"{setting}={path}: expected an object with W1, b1, W2, b2, ...")
    n = sum(1 for k in raw if k.startswith("W"))
    params = {}
    for l in range(1, max(n, 1) + 1):
        for name in (f"W{l}", f"b{l}"):
            if name not in raw:
                raise XorjaxError(f"{setting}={path}: missing key {name!r}")
            try:
                params[name] = np.asarray(raw[name], dtype=np.float64)
            except (ValueError, TypeError):
                raise XorjaxError(f"{setting}={path}: {name} is not a rectangular list of numbers") from None
    if hidden is None:
        hidden = [params[f"b{l}"].shape[0] if params[f"b{l}"].ndim == 1 else -1 for l in range(1, n)]
    expected = model.param_shapes(hidden)
    for name, shape in expected.items():
        got = params.get(name)
        if got is None:
            raise XorjaxError(f"{setting}={path}: missing key {name!r} for model.hidden={list(hidden)}")
        if got.shape != shape:
            raise XorjaxError(
                f"{setting}={path}: {name} has shape {list(got.shape)}, "
                f"the model (hidden={list(hidden)}) needs {list(shape)}"
            )
        if not np.all(np.isfinite(got)):
            raise XorjaxError(f"{setting}={path}: {name} holds NaN or inf")
    if set(params) != set(expected):
        raise XorjaxError(
            f"{setting}={path}: has {n} layers, the model (hidden={list(hidden)}) has {len(expected) // 2}"
        )
    return params


def write_history(path, steps, loss, accuracy) -> None:
    text = io.StringIO(newline="")
    w = csv.writer(text)
    w.writerow(["step", "loss", "accuracy"])
    for s, l, a in zip(steps, loss, accuracy):
        w.writerow([int(s), repr(float(l)), repr(float(a))])
    write_atomic(path, text.getvalue())


def finite_or_none(x: float):
    """JSON has no NaN; a diverged run reports null."""
    x = float(x)
    return x if math.isfinite(x) else None
