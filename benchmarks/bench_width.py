"""Speed and memory of a run by the width of the net: ``python benchmarks/bench_width.py [--repeats 3]``.

For each of the hidden sizes [2], [10,10,10], [32,32], [100] and [256,256] it prints (medians over repeats,
this machine):
  1. the whole process ``python -m xorjax.run model.hidden=<h> cache=false`` with its defaults (pictures and
     TensorBoard on), each repeat in a fresh working folder with a fresh XORJAX_CACHE_DIR and JAX_PLATFORMS=cpu.
     Its CPU time (the run and its helpers, user + system) is shown too: on a busy machine it moves less than
     the wall-clock time;
  2. its peak memory: the largest resident set of any one process of the run (the run itself or one of the
     helper processes that draw its pictures, ``plots.painter``), from wait4's rusage, and which one it was;
  3. whether each meets the floors of the wide-net issue: [10,10,10] within 4.5 s, [32,32], [100] and
     [256,256] within 8 s each, every peak within 600 MB; and its ratio to the course's TF1 lab-09-3 program
     (``tf1_lab_09_3.py``, a whole process timed in this same run with ``--anchor-python``, see ``anchor``):
     [10,10,10] at most 0.5 of it, the others 0.9 (issue 21);
  4. in this process: tracing and compiling ``descent.train_starts`` for the run's program (record_weights on, as
     with pictures) and the first call of ``descent.init_starts``, to see whether compiling grows with the width.

``--sweep-seeds 10000`` (the default; 0 leaves it out) also times the whole process ``python -m xorjax.run
experiment=sweep model.hidden=[10,10,10] sweep.seeds=10000`` (fresh folder and cache, medians of ``--repeats``)
against a TF1 lab-09-3 single run, timed before the widths and again after the sweeps (the mean of the two
medians): floor 6.5 times it (issue 21).

``--breakdown`` adds, per width, the whole process with pictures and TensorBoard off, and with TensorBoard
only, and the time to import what the run imports: where the time goes. ``--widths [10,10,10] [100]`` picks
other sizes.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import anchor  # benchmarks/anchor.py
import jax

from xorjax.core import data, descent

WIDTHS = ([2], [10, 10, 10], [32, 32], [100], [256, 256])
FLOOR_S = {(10, 10, 10): 4.5, (32, 32): 8.0, (100,): 8.0, (256, 256): 8.0}
FLOOR_MB = 600
RATIO_FLOORS = {(10, 10, 10): 0.5}  # against TF1 lab-09-3, whole process; any other width: RATIO_FLOOR
RATIO_FLOOR = 0.9
SWEEP_RATIO_FLOOR = 6.5  # the [10,10,10] sweep of --sweep-seeds starts against one TF1 lab-09-3 run
IMPORTS = "import jax, optax, hydra, xorjax.run, xorjax.experiments.train"


def hidden_arg(hidden) -> str:
    return f"[{','.join(map(str, hidden))}]"


def _vm_hwm(pid: int) -> int:
    """A process's peak resident set so far (kB), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]
    except OSError:
        return []


def one_process(args: list[str], overrides: list[str] = ()) -> tuple[float, float, float, float, float]:
    """One whole process in a fresh folder and cache: (seconds, CPU seconds of it and its helpers, peak MB of
    any one process, peak MB of the run's own process, peak MB of its largest helper). The CPU time and the
    first peak are exact (wait4); the other two are read from /proc every 20 ms, so they may miss the last
    moments of a process."""
    with tempfile.TemporaryDirectory() as cwd:
        env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=os.path.join(cwd, "cache"))
        env.pop("HYDRA_FULL_ERROR", None)
        with open(os.path.join(cwd, "console.txt"), "wb") as out:
            t = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, *args, *overrides], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            peaks, done = {}, threading.Event()

            def watch():
                while not done.is_set():
                    for pid in [proc.pid, *_children(proc.pid)]:
                        peaks[pid] = max(peaks.get(pid, 0), _vm_hwm(pid))
                    done.wait(0.02)

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t
            done.set()
            watcher.join()
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            tail = Path(cwd, "console.txt").read_text(errors="replace")[-2000:]
            raise SystemExit(f"{' '.join(args + list(overrides))} failed ({proc.returncode}):\n{tail}")
    main = peaks.pop(proc.pid, 0) / 1024
    helpers = max(peaks.values(), default=0) / 1024
    # ru_maxrss of a reaped child: the largest of it and its own reaped children (kB on Linux).
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, main, helpers


def whole_process(hidden, repeats: int, overrides: list[str] = ()) -> dict:
    runs = [
        one_process(["-m", "xorjax.run", f"model.hidden={hidden_arg(hidden)}", "cache=false"], overrides)
        for _ in range(repeats)
    ]
    seconds, cpu, peak, main, helpers = zip(*runs)
    return dict(
        seconds=statistics.median(seconds),
        cpu=statistics.median(cpu),
        peak=max(peak),
        main=max(main),
        helpers=max(helpers),
    )


def compile_times(hidden) -> dict:
    """In this process: the first init_starts call, and train_starts traced + lowered, then compiled."""
    t = time.perf_counter()
    starts = jax.block_until_ready(descent.init_starts([0], hidden))
    init = time.perf_counter() - t
    spec = descent.Spec(record_weights=True)  # the program of a run with pictures or TensorBoard
    t = time.perf_counter()
    lowered = descent.train_starts.lower(starts, [0.1], data.X, data.Y, spec)
    lower = time.perf_counter() - t
    t = time.perf_counter()
    lowered.compile()
    return dict(init=init, lower=lower, compile=time.perf_counter() - t)


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [header, *rows]]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time the run without pictures and without TensorBoard, and the imports",
    )
    parser.add_argument(
        "--sweep-seeds",
        type=int,
        default=10000,
        help="also time experiment=sweep model.hidden=[10,10,10] sweep.seeds=N (0: leave it out)",
    )
    anchor.add_option(parser)
    parser.add_argument(
        "--widths",
        nargs="*",
        default=None,
        help="hidden sizes such as [10,10,10] (default: " + " ".join(map(hidden_arg, WIDTHS)) + ")",
    )
    args = parser.parse_args()
    widths = [[int(x) for x in w.strip("[]").split(",") if x] for w in args.widths] if args.widths else WIDTHS
    print(
        f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start; "
        f"medians of {args.repeats} whole processes each"
    )
    lab = anchor.measure(args.anchor_python, "lab-09-3", args.repeats)
    print(anchor.describe("lab-09-3", lab, args.repeats))

    rows, missed = [], 0
    for hidden in widths:
        r = whole_process(hidden, args.repeats)
        floor = FLOOR_S.get(tuple(hidden))
        ok_s = floor is None or r["seconds"] <= floor
        ok_mb = r["peak"] <= FLOOR_MB
        missed += (not ok_s) + (not ok_mb)
        which = "run" if r["main"] >= r["helpers"] else "picture helper"
        ratio_floor = RATIO_FLOORS.get(tuple(hidden), RATIO_FLOOR)
        missed += lab is not None and r["seconds"] / lab > ratio_floor
        rows.append(
            [
                hidden_arg(hidden),
                f"{r['seconds']:.2f}",
                f"{r['cpu']:.2f}",
                f"{floor:.1f}" if floor else "-",
                "-" if floor is None else "met" if ok_s else "MISSED",
                "-" if lab is None else f"{r['seconds'] / lab:.2f}",
                f"{ratio_floor:g}",
                "-" if lab is None else "met" if r["seconds"] / lab <= ratio_floor else "MISSED",
                f"{r['peak']:.0f}",
                which,
                f"{r['main']:.0f}",
                f"{r['helpers']:.0f}",
                "met" if ok_mb else "MISSED",
            ]
        )
        print(
            f"  {hidden_arg(hidden)}: {r['seconds']:.2f} s ({anchor.ratio(r['seconds'], 'lab-09-3', lab, ratio_floor)})"
            f", peak {r['peak']:.0f} MB",
            flush=True,
        )
    print()
    print("whole process, python -m xorjax.run model.hidden=<h> cache=false (pictures and TensorBoard on):")
    print(
        table(
            [
                "hidden",
                "median s",
                "CPU s",
                "floor s",
                "time",
                "x TF1 lab-09-3",
                "ratio floor",
                "ratio",
                "peak MB",
                "largest process",
                "run MB",
                "helper MB",
                f"<= {FLOOR_MB} MB",
            ],
            rows,
        )
    )

    if args.sweep_seeds:
        command = ["-m", "xorjax.run", "experiment=sweep", "model.hidden=[10,10,10]", f"sweep.seeds={args.sweep_seeds}"]
        seconds = statistics.median(one_process(command)[0] for _ in range(args.repeats))
        # The sweeps take minutes, over which this machine's speed may move: the anchor is timed again after
        # them, and the sweep compared with the mean of its two medians, as bench_suite does.
        after = anchor.measure(args.anchor_python, "lab-09-3", args.repeats)
        sweep_lab = None if lab is None else (lab + after) / 2
        if lab is not None:
            print(f"\nTF1 lab-09-3 again after the sweeps: {after:.2f} s; the sweeps' anchor: {sweep_lab:.2f} s")
        missed += sweep_lab is not None and seconds / sweep_lab > SWEEP_RATIO_FLOOR
        print(
            f"\nwhole process, python -m xorjax.run {' '.join(command[2:])}: {seconds:.2f} s (median of "
            f"{args.repeats}; {anchor.ratio(seconds, 'lab-09-3', sweep_lab, SWEEP_RATIO_FLOOR)})"
        )

    if args.breakdown:
        imports = [one_process(["-c", IMPORTS])[:2] for _ in range(args.repeats)]
        print(
            f"\nimports alone (python -c '{IMPORTS}'): {statistics.median(i[0] for i in imports):.2f} s, "
            f"CPU {statistics.median(i[1] for i in imports):.2f} s (medians)"
        )
        rows = []
        for hidden in widths:
            bare = whole_process(hidden, args.repeats, ["logger.plots=false", "logger.tensorboard=false"])
            tb = whole_process(hidden, args.repeats, ["logger.plots=false"])
            rows.append(
                [
                    hidden_arg(hidden),
                    f"{bare['seconds']:.2f}",
                    f"{bare['cpu']:.2f}",
                    f"{tb['seconds']:.2f}",
                    f"{tb['cpu']:.2f}",
                    f"{bare['peak']:.0f}",
                    f"{tb['peak']:.0f}",
                ]
            )
        print("\nthe same run without pictures and TensorBoard (bare), and with TensorBoard only (medians):")
        print(
            table(
                [
                    "hidden",
                    "bare s",
                    "bare CPU s",
                    "+TensorBoard s",
                    "+TensorBoard CPU s",
                    "bare peak MB",
                    "+TensorBoard peak MB",
                ],
                rows,
            )
        )

    jax.block_until_ready(jax.numpy.zeros(1) + 1)  # start the backend before the first timing
    rows = []
    for hidden in widths:
        c = compile_times(hidden)
        rows.append(
            [
                hidden_arg(hidden),
                f"{c['init']:.2f}",
                f"{c['lower']:.2f}",
                f"{c['compile']:.2f}",
                f"{c['lower'] + c['compile']:.2f}",
            ]
        )
    print("\nin this process: init_starts' first call, and train_starts (record_weights on) traced and compiled:")
    print(table(["hidden", "init_starts s", "trace+lower s", "compile s", "trace+compile s"], rows))
    print(
        f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; "
        + ("every floor met" if not missed else f"{missed} floor(s) missed")
    )


if __name__ == "__main__":
    main()
