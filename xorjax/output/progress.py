"""Progress bars for long work done in compiled chunks: ``with bar(total, desc, unit) as advance: advance(n)``.

The caller advances the bar between chunks (never from inside compiled code, which would need a host sync).
A bar is drawn only for a person watching: stdout and stderr both terminals, and not inside a worker of a
parallel multirun (several jobs would fight over one line). ``XORJAX_PROGRESS=1`` or ``0`` forces it on or off.
While a bar is open, console log lines go through ``tqdm.write`` so Hydra's logging never garbles it.
"""

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def enabled() -> bool:
    forced = os.environ.get("XORJAX_PROGRESS", "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    # joblib's loky workers and multiprocessing children are not the main process; submitit jobs write
    # to log files, so they are not terminals.
    if multiprocessing.current_process().name != "MainProcess":
        return False
    return all(getattr(s, "isatty", lambda: False)() for s in (sys.stdout, sys.stderr))


def _ignore(n: int = 1) -> None:
    pass


@contextmanager
def bar(
    total: int, desc: str, unit: str = "it", show: bool | None = None, allowed: bool = True
) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``; draws a tqdm bar on stderr when ``show`` (default: ``enabled()``) is true and the
    run's setting ``allowed`` (``logger.progress``) lets it.

    Example::

        with progress.bar(total=len(chunks), desc="sweep", unit="chunk") as advance:
            for chunk in chunks:
                results.append(train_chunk(chunk))
                advance(1)
    """
    if not allowed or not (enabled() if show is None else show):
        yield _ignore
        return
    # Imported here: a run that shows no bar never pays for tqdm.
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True) as t:
        with logging_redirect_tqdm():
            yield t.update
