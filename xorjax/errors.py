"""The errors a user sees as one line (``xorjax: ...``) and an exit status, never as a traceback; ``run.main``, the
edge, turns them into both (``EXIT`` is the table of exit statuses the README shows)."""

import os
import signal

# The exit statuses of ``python -m xorjax.run`` (and ``python -m xorjax.summary``); the README's table lists them.
DONE, JOB_FAILED, SETTING, WRITE, INTERRUPTED = 0, 1, 2, 74, 130  # 74: sysexits.h's EX_IOERR, 130: 128 + SIGINT
EXIT = {
    DONE: "done (a run that does not learn XOR has a result, not an error)",
    JOB_FAILED: "Hydra's own status: a job of a multirun failed, or Hydra refused the command",
    SETTING: "a setting or an input file is wrong: refused in one line, before anything runs",
    WRITE: "a file or folder could not be written (no space, quota, read-only, permission, I/O error)",
    INTERRUPTED: "interrupted (Ctrl-C)",
}


_interrupted = []


def on_interrupt(signum, frame):
    """SIGINT's handler (``run.main`` sets it): Python's own, which raises KeyboardInterrupt, remembering that it
    came. A KeyboardInterrupt raised inside a library can leave it as another exception (NumPy's comparison of
    structured arrays turns it into a TypeError); ``interrupted`` then tells that it is an interruption all the same."""
    _interrupted.append(signum)
    signal.default_int_handler(signum, frame)


def interrupted() -> bool:
    return bool(_interrupted)


class XorjaxError(Exception):
    """A problem the user can fix (a setting, a file): shown as one line, never as a traceback.

    ``resume``: the override that continues what was kept (e.g. ``sweep.resume=<folder>``); the edge adds the rest
    of the job's command line to it."""

    status = SETTING

    def __init__(self, message: str, resume: str | None = None):
        super().__init__(message)
        self.resume = resume

    def __reduce__(self):  # sent back whole from a helper process (plots.painter)
        return type(self), (str(self), self.resume)


class WriteError(XorjaxError):
    """A file or folder that could not be written: the one exception every write failure becomes, raised by the
    writer (``io.write_atomic``), the log files and the folder checks, with the cause in words and the path;
    ``kept``: what of the work is safe on disk (a sweep's finished chunks), said after them."""

    status = WRITE

    def __init__(self, path, error: OSError | str, resume: str | None = None, kept: str | None = None):
        cause = error if isinstance(error, str) else describe(error)
        super().__init__(f"{cause} while writing {path}" + (f"; {kept}" if kept else ""), resume)
        self.path, self.cause, self.kept = path, cause, kept

    def __reduce__(self):
        return type(self), (self.path, self.cause, self.resume, self.kept)


def describe(error: OSError) -> str:
    """An OSError's cause in words, as the C library names it: "no space left on device", "read-only file system",
    "disk quota exceeded", "permission denied", "input/output error", ..."""
    if error.errno is None:
        return str(error) or type(error).__name__
    words = os.strerror(error.errno)
    return words[:1].lower() + words[1:]
