"""Pictures drawn in helper processes, so that drawing overlaps with the run instead of adding to it.

matplotlib costs a run about a second (half a second to import, 0.1-0.3 s a picture), all of it Python
holding the GIL, so a thread cannot hide it. A painter started when a run begins imports matplotlib in its
helpers while JAX compiles and trains; the pictures are then drawn side by side on the other cores, and
the run waits only for the slowest. A helper that cannot start or fails leaves its pictures to be drawn in
this process instead: pictures may cost time, never the run's results.

A picture that cannot be written (``WriteError``: a full disk) is sent back by the helper and raised here, so the
run ends with its one line. A run that ends early, for whatever reason, kills the helpers still drawing: nothing
waits on them (a thread waiting up to ``communicate``'s timeout would keep the process from exiting).

    with painter.start() as p:
        ...train...
        files, notes = network.draw(out, jobs, painter=p)
"""

import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from xorjax.errors import XorjaxError


class Painter:
    def __init__(self, workers: int):
        env = dict(os.environ, MPLBACKEND="Agg")
        # The helpers must import this very xorjax, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.procs, self.drawing, self.stopped = [], [], False
        for _ in range(workers):
            try:
                # A session of their own: Ctrl-C stops the run, which closes their input, and they quit quietly.
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "xorjax.output.plots.painter"],
                        env=env,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        start_new_session=True,
                    )
                )
            except (OSError, ValueError):  # no interpreter to start: draw here
                break

    def draw(self, tasks: list) -> list:
        """``[(function name in plots.training, kwargs), ...]`` -> ``[(path, None) or (None, why), ...]``."""
        from xorjax.output.plots import network

        if self.stopped:  # the run has ended: nothing is drawn for it any more
            return [(None, "the run ended first")] * len(tasks)
        if not self.procs:
            return [network.call(fn, kw) for fn, kw in tasks]
        procs, self.procs = self.procs, []
        self.drawing = procs
        n = len(procs)
        shares = [tasks[i::n] for i in range(n)]
        with ThreadPoolExecutor(n) as pool:
            done = list(pool.map(self._ask, procs, shares))
        results = [None] * len(tasks)
        for i, share_results in enumerate(done):
            results[i::n] = share_results
        return results

    def _ask(self, proc, tasks):
        from xorjax.output.plots import network

        try:
            out, _ = proc.communicate(pickle.dumps(tasks), timeout=600)
            results = pickle.loads(out) if proc.returncode == 0 else None
        except Exception:
            proc.kill()
            proc.wait()
            results = None
        if isinstance(results, XorjaxError):
            raise results
        if results is not None:
            return results
        if self.stopped:  # the run has ended: nothing is drawn for it any more
            return [(None, "the run ended first")] * len(tasks)
        return [network.call(fn, kw) for fn, kw in tasks]

    def close(self, ended: bool = False) -> None:
        """Helpers that got no work see their input end and quit; with ``ended`` (the run raised), those still
        drawing are killed too."""
        if ended:
            self.stopped = True
            for proc in self.drawing:
                proc.kill()
        for proc in self.procs:
            try:
                proc.communicate(b"", timeout=30)
            except Exception:
                proc.kill()
                proc.wait()
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        self.close(ended=kind is not None)


def start(workers: int | None = None) -> Painter:
    """Starts ``workers`` helpers; by default one per core beyond the run's own, at most 2 (none on one core:
    a helper there would only add its own start-up to the run)."""
    if workers is None:
        workers = max(0, min(2, (os.cpu_count() or 1) - 1))
    return Painter(workers)


def _helper() -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from xorjax.output.plots import figure, network

    # Load the fonts and the renderer while the run is still training.
    with figure(figsize=(1, 1)) as (fig, ax):
        ax.set_title("warm up")
        fig.savefig(io.BytesIO(), format="png")
    try:
        tasks = pickle.load(sys.stdin.buffer)
    except EOFError:  # the run needed no pictures, or it ended early
        return
    try:
        results = [network.call(fn, kw) for fn, kw in tasks]
    except XorjaxError as e:  # a picture that cannot be written: the run ends with its line
        results = e
    try:
        pickle.dump(results, sys.stdout.buffer)
        sys.stdout.flush()
    except BrokenPipeError:  # the run is gone
        pass


if __name__ == "__main__":
    _helper()
