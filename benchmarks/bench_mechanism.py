"""Speed of the mechanism analysis (``core/mechanism.analyse``): ``python benchmarks/bench_mechanism.py``.

Trains lab 9-2's setting (sgd, lr 0.1, N(0, 1), 10,001 steps) with the engine, exactly as a sweep does, keeping
every start's final weights, and times ``mechanism.analyse`` of the solved starts alone (the first call, which
compiles the activation for its shapes, and the median of ``--repeats`` more):
  1. 10,000 solved 2-4-1 starts (about 10,300 trained): floor 2 s;
  2. the analysis of a ``[10,10,10]`` 10,000-start sweep: its solved starts, every one analysed: floor 10 s.
``--deep-starts 2000`` trains fewer deep starts and tiles their weights up to 10,000 (each start is analysed on
its own, so the time is that of 10,000 different ones to within the share of work per start); it says so.
Prints the load average beside the figures: timings on a busy machine are upper bounds.
"""

import argparse
import statistics
import time

import numpy as np

from xorjax.core import descent, engine, mechanism

FLOORS = {"2-4-1, 10,000 solved starts": 2.0, "[10,10,10] sweep of 10,000 starts": 10.0}


def solved_finals(hidden, starts: int) -> dict:
    """The final weights of the solved ones of ``starts`` starts (seeds 0..), start axis last, float64."""
    inputs = {"seed": np.arange(starts, dtype=np.int64), "scale": np.ones(starts)}
    result = engine.run_starts(
        inputs,
        np.full(starts, 0.1),
        engine.sweep_init(tuple(hidden), "normal", "float32"),
        tuple(hidden),
        descent.Spec(),
        finals=True,
    )
    solved = result.status == descent.STATUSES.index("solved")
    return {k: v[..., solved] for k, v in result.final.items()}


def timed(params: dict, repeats: int) -> tuple[float, float]:
    """The first call (it compiles the activation for these shapes, as a sweep's first chunk does) and the median
    of ``repeats`` more."""
    times = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        mechanism.analyse(params)
        times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--deep-starts", type=int, default=10000)
    args = parser.parse_args()
    wide = solved_finals([4], 10300)
    wide = {k: v[..., :10000] for k, v in wide.items()}
    deep = solved_finals([10, 10, 10], args.deep_starts)
    n = deep["b1"].shape[-1]
    if args.deep_starts < 10000:
        tiles = -(-10000 // args.deep_starts)
        deep = {k: np.concatenate([v] * tiles, axis=-1)[..., : n * 10000 // args.deep_starts] for k, v in deep.items()}
        print(f"[10,10,10]: {args.deep_starts} starts trained, their {n} solved ones tiled to the solved of 10,000")
    figures = {
        "2-4-1, 10,000 solved starts": (timed(wide, args.repeats), wide["b1"].shape[-1]),
        "[10,10,10] sweep of 10,000 starts": (timed(deep, args.repeats), deep["b1"].shape[-1]),
    }
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"load average {' '.join(load)}")
    for name, ((first, seconds), analysed) in figures.items():
        verdict = "holds" if first <= FLOORS[name] else "MISSED"
        print(
            f"{name}: {analysed} analysed in {first:.2f} s on the first call, {seconds:.2f} s after "
            f"(floor {FLOORS[name]:g} s, first call: {verdict})"
        )


if __name__ == "__main__":
    main()
