"""Pictures drawn in helper processes, so that drawing overlaps with the run instead of adding to it.

matplotlib costs a run about a second (half a second to import, 0.1-0.3 s a picture), all of it Python
holding the GIL, so a thread cannot hide it. A painter started when a run begins imports matplotlib in its
helper while JAX compiles and trains. When the pictures' inputs come, the helper forks, so that the pictures
are drawn side by side in processes that all have matplotlib loaded already (a second helper started with
the first would import it again, beside the run's own compiling); the run waits only for the slowest. A helper
that cannot start or fails leaves its pictures to be drawn in this process instead: pictures may cost time,
never the run's results.

A picture that cannot be written (``WriteError``: a full disk) is sent back by the helper and raised here, so the
run ends with its one line. A run that ends early, for whatever reason, kills the helper and its forks still
drawing: nothing waits on them (a thread waiting up to ``communicate``'s timeout would keep the process from exiting).

    with painter.start() as p:
        ...train...
        files, notes = network.draw(out, jobs, painter=p)
"""

import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

from xorjax.errors import XorjaxError


class Painter:
    """Pictures drawn by ``workers`` processes: a helper started now, which forks into the others when the
    pictures come (0: this process draws them)."""

    def __init__(self, workers: int):
        self.workers, self.proc, self.drawing, self.stopped = workers, None, None, False
        if workers < 1:
            return
        # The helper's numpy needs no threads of its own (none of its forks' either: a fork copies one thread).
        env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        # The helper must import this very xorjax, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            # A session of its own: Ctrl-C stops the run, which closes the helper's input, and it quits quietly;
            # and the helper's forks are its process group, which ``close`` kills as one.
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "xorjax.output.plots.painter"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
        except (OSError, ValueError):  # no interpreter to start: draw here
            pass

    def draw(self, tasks: list) -> list:
        """``[(function name in plots.network, kwargs), ...]`` -> ``[(path, None) or (None, why), ...]``."""
        from xorjax.output.plots import network

        if self.stopped:  # the run has ended: nothing is drawn for it any more
            return [(None, "the run ended first")] * len(tasks)
        proc, self.proc = self.proc, None
        results = None
        if proc is not None:
            self.drawing = proc
            try:
                out, _ = proc.communicate(pickle.dumps((tasks, self.workers)), timeout=600)
                results = pickle.loads(out) if proc.returncode == 0 else None
            except Exception:
                _kill(proc)
        if isinstance(results, XorjaxError):
            raise results
        if results is not None:
            return results
        if self.stopped:
            return [(None, "the run ended first")] * len(tasks)
        return [network.call(fn, kw) for fn, kw in tasks]

    def close(self, ended: bool = False) -> None:
        """A helper that got no work sees its input end and quits; with ``ended`` (the run raised), one still
        drawing is killed, with its forks."""
        if ended:
            self.stopped = True
            if self.drawing is not None:
                _kill(self.drawing)
        if self.proc is not None:
            try:
                self.proc.communicate(b"", timeout=30)
            except Exception:
                _kill(self.proc)
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        self.close(ended=kind is not None)


def _kill(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the helper leads its own process group: its forks go with it
    except OSError:  # gone already
        pass
    proc.wait()


def cores() -> int:
    """The cores this process may run on (a SLURM job's share, where the OS says so)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_early: Painter | None = None  # started by ``prestart``, for the next ``start``


def prestart() -> None:
    """Starts the next ``start``'s helper now: the entry point does, before Hydra composes a single run's config,
    so that matplotlib loads while one core composes rather than while both compile (a helper nobody takes
    sees its input end when the run exits, and quits)."""
    global _early
    _early = Painter(_default_workers())


def start(workers: int | None = None) -> Painter:
    """A painter drawing in ``workers`` processes beside this one; by default one per core (none on one core:
    a helper there would only add its own start-up to the run)."""
    global _early
    early, _early = _early, None
    workers = _default_workers() if workers is None else workers
    if early is not None and early.workers == workers:
        return early
    if early is not None:
        early.close()
    return Painter(workers)


def _default_workers() -> int:
    n = cores()
    return n if n > 1 else 0


def _drawn(tasks: list, share: list):
    """The pictures ``tasks[i]`` for i in ``share``, or the ``WriteError`` that stopped them."""
    from xorjax.output.plots import network

    try:
        return [network.call(*tasks[i]) for i in share]
    except XorjaxError as e:
        return e


def _shares(tasks: list, n: int) -> list[list[int]]:
    """``tasks``' indices in ``n`` shares: the costliest first (``network.cost``), each to the share with the least
    so far, so that the run waits for a share no longer than it must (2-10-10-10-1: its weights alone, 1.1 s,
    beside its three other pictures, 1.3 s; in turn, the weights and another picture took 1.6 s)."""
    from xorjax.output.plots import network

    costs = [network.cost(*task) for task in tasks]
    shares, loads = [[] for _ in range(n)], [0] * n
    for i in sorted(range(len(tasks)), key=lambda i: -costs[i]):
        least = loads.index(min(loads))
        shares[least].append(i)
        loads[least] += costs[i]
    return shares


def _draw(tasks: list, workers: int) -> list:
    """``tasks`` drawn by this process and up to ``workers - 1`` forks of it, a share each; a fork that fails
    leaves its share to this process. A ``WriteError`` is raised once all are done."""
    shares = _shares(tasks, max(1, min(workers, len(tasks))))
    forks = []
    for share in shares[1:]:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # a fork: draws its share, sends the results, and leaves whatever happens (never returns)
            try:
                os.close(read)
                with os.fdopen(write, "wb") as f:
                    pickle.dump(_drawn(tasks, share), f)
            finally:
                os._exit(0)  # without the parent's teardown; results it could not send are drawn by the parent
        os.close(write)
        forks.append((pid, read, share))
    own = _drawn(tasks, shares[0])
    failed = own if isinstance(own, XorjaxError) else None
    drawn = [(shares[0], own)]
    for pid, read, share in forks:
        with os.fdopen(read, "rb") as f:
            try:
                done = pickle.load(f)
            except Exception:  # the fork died
                done = None
        os.waitpid(pid, 0)
        if done is None and not failed:
            done = _drawn(tasks, share)
        if isinstance(done, XorjaxError):
            failed = failed or done
        drawn.append((share, done))
    if failed:
        raise failed
    results = [None] * len(tasks)
    for share, done in drawn:
        for i, result in zip(share, done or []):
            results[i] = result
    return results


def _helper() -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from xorjax.output.plots import figure

    # Load the fonts and the renderer while the run is still training.
    with figure(figsize=(1, 1)) as (fig, ax):
        ax.set_title("warm up")
        fig.savefig(io.BytesIO(), format="png")
    try:
        tasks, workers = pickle.load(sys.stdin.buffer)
    except EOFError:  # the run needed no pictures, or it ended early
        return
    try:
        results = _draw(tasks, workers)
    except XorjaxError as e:  # a picture that cannot be written: the run ends with its line
        results = e
    try:
        pickle.dump(results, sys.stdout.buffer)
        sys.stdout.flush()
    except BrokenPipeError:  # the run is gone
        pass


if __name__ == "__main__":
    _helper()
    # The run waits for this process to end: leave without the interpreter's teardown (matplotlib's modules).
    os._exit(0)
