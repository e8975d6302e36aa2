"""What pictures and TensorBoard cost a run: the whole-process default run, with both vs with both off.

    python benchmarks/bench_logging.py [--repeats 5] [-- extra overrides...]

Each variant runs once to warm JAX's compilation cache, then ``--repeats`` times, interleaved so a busy
machine slows both alike; prints every time, the medians and their ratio (the target is <= 1.5). The
pictures are drawn in a helper process while the run trains, so the wall-time ratio depends on a free core;
the CPU ratio (the run and its helpers together) says what they cost when no core is free.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

VARIANTS = {
    "pictures + TensorBoard (default)": [],
    "both off": ["logger.plots=false", "logger.tensorboard=false"],
}


def once(args, cwd, env) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the run and every process it waited for: its drawing helpers too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "xorjax.run", *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("overrides", nargs="*", help="passed to both variants, e.g. model.hidden=[10,10,10]")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=os.path.join(tmp, "cache"))
        times = {name: [] for name in VARIANTS}
        for extra in VARIANTS.values():
            once([*a.overrides, *extra], tmp, env)  # fills the compilation cache
        for _ in range(a.repeats):
            for name, extra in VARIANTS.items():
                times[name].append(once([*a.overrides, *extra], tmp, env))
    print(
        f"whole process `python -m xorjax.run {' '.join(a.overrides)}`, {a.repeats} runs each, {os.cpu_count()} cores"
    )
    wall, cpu = {}, {}
    for name, ts in times.items():
        wall[name] = statistics.median(w for w, _ in ts)
        cpu[name] = statistics.median(c for _, c in ts)
        print(
            f"  {name:34s} wall median {wall[name]:.2f} s ({', '.join(f'{w:.2f}' for w, _ in ts)}); "
            f"CPU median {cpu[name]:.2f} s"
        )
    (on, off), (cpu_on, cpu_off) = wall.values(), cpu.values()
    print(
        f"  wall ratio {on / off:.2f} (target <= 1.5); CPU ratio {cpu_on / cpu_off:.2f}; "
        f"load average now {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
