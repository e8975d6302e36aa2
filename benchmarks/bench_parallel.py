"""Parallel jobs on one machine: ``python benchmarks/bench_parallel.py [--repeats 3]``.

Runs the same 4-job multirun with ``hydra/launcher=joblib`` three ways and prints the wall time of each
(median over repeats, whole process, a warm compilation cache) and its speed-up over one worker:

  1 worker             jobs one after another, each with every core (one JAX CPU device per core);
  2 workers            xorjax's default: joblib gives each worker cores // n_jobs (``OMP_NUM_THREADS``),
                       so each job gets one JAX CPU device, i.e. one busy thread;
  2 workers, 2 devices each job ignores its share (``OMP_NUM_THREADS`` = all cores): oversubscribed.

for two kinds of job: sweeps (``experiment=sweep``, compute-bound) and default single runs (``experiment=train``
with its pictures and TensorBoard events: start-up-bound). ``--starts``/``--steps`` size the sweeps.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

WAYS = [  # (label, n_jobs, OMP_NUM_THREADS for the workers: None = joblib's own cores // n_jobs)
    ("1 worker", 1, None),
    ("2 workers (default)", 2, None),
    ("2 workers, 2 devices each", 2, str(os.cpu_count())),
]


def multirun(args: list[str], n_jobs: int, omp: str | None, cwd: str, cache: str) -> float:
    env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=cache, XORJAX_PROGRESS="0")
    env.pop("OMP_NUM_THREADS", None)
    if omp:
        env["OMP_NUM_THREADS"] = omp  # joblib keeps a value the parent has
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "xorjax.run", "-m", "hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--starts", type=int, default=50000, help="starts per sweep job")
    parser.add_argument("--steps", type=int, default=5001, help="steps per sweep job")
    parser.add_argument("--jobs", type=int, default=4)
    a = parser.parse_args()
    seeds = ",".join(str(i * a.starts) for i in range(a.jobs))
    workloads = {
        f"{a.jobs} sweeps of {a.starts:,} starts x {a.steps:,} steps": [
            "experiment=sweep",
            f"sweep.seeds={a.starts}",
            f"steps={a.steps}",
            f"seed={seeds}",
            "logger.plots=false",
        ],
        f"{a.jobs} default single runs": [f"seed={','.join(map(str, range(a.jobs)))}"],
    }
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        for name, args in workloads.items():
            for _, n_jobs, omp in WAYS:  # fill the compilation cache for every device count
                multirun(args, n_jobs, omp, tmp, cache)
            times = {label: [] for label, _, _ in WAYS}
            for _ in range(a.repeats):  # interleaved, so that a change in the machine's load hits every way
                for label, n_jobs, omp in WAYS:
                    times[label].append(multirun(args, n_jobs, omp, tmp, cache))
            base = statistics.median(times[WAYS[0][0]])
            print(f"\n{name} (median of {a.repeats}, whole process):")
            for label, ts in times.items():
                m = statistics.median(ts)
                print(f"  {label:<28} {m:6.1f} s   x{base / m:.2f}   [{', '.join(f'{t:.1f}' for t in ts)}]")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
