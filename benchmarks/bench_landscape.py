"""Speed of the landscape analysis (issue 11): 10,000 stuck starts of lab 9-2 analysed in float64.

    python benchmarks/bench_landscape.py                       # 10,000 stuck starts, 3 timed repeats
    python benchmarks/bench_landscape.py --stuck 2000 --repeats 5

The starts are trained first (not timed): seeds 0, 1, ... of the lab's setting until ``--stuck`` of them did not
solve. The analysis timed is what ``experiment=landscape`` does between training and the escapes: the cost,
gradient and Hessian eigen-decomposition of every start in one compiled call (``curvature.analyse``), the
weight growth, the kinds and the kick directions. The figure is the median of ``--repeats`` calls after a
warm-up call (compiling excluded; the warm-up's time is printed too). The baseline is the same computation one
start at a time (a jitted function of one start, called in a Python loop), timed on ``--baseline`` starts and
scaled to all of them; the floor is 30 s for 10,000 stuck starts on the project's 2-core machine.
"""

import argparse
import statistics
import time

import numpy as np

FLOOR_S = 30.0  # for 10,000 stuck starts


def stuck_starts(n: int):
    """The final and late weights and seeds of the first ``n`` unsolved starts of lab 9-2."""
    from xorjax.core import descent, engine

    total = int(n / 0.3) + 1000  # about a third of the lab's starts do not solve
    inputs, lrs, _ = engine.Grid(0, total, [0.1], [1.0]).part(0, total)
    starts = engine.run_starts(inputs, lrs, engine.sweep_init((2,), "normal"), (2,), descent.Spec(), finals=True)
    idx = np.flatnonzero(starts.status != descent.STATUSES.index("solved"))[:n]
    if len(idx) < n:
        raise SystemExit(f"only {len(idx)} of {total} starts did not solve; ask for fewer")
    pick = lambda params: {k: v[..., idx] for k, v in params.items()}  # noqa: E731
    return pick(starts.final), pick(starts.late), inputs["seed"][idx], total


def analysis(final, late, seeds):
    from xorjax.core import curvature

    point = curvature.analyse(final)
    kinds = curvature.classify(point, curvature.growth(final, late), "float32")
    curvature.kick_directions(point, seeds)
    return kinds


def baseline_per_start(final, m: int) -> float:
    """Seconds per start of the same cost, gradient, Hessian and eigh, one start per call."""
    import jax
    import jax.numpy as jnp

    from xorjax.core import curvature

    thetas, unravel = curvature.flat({k: v[..., :m] for k, v in final.items()})
    with jax.enable_x64(True):
        c = curvature.cost_of(unravel, "sigmoid", "bce")

        @jax.jit
        def one(theta):
            value, g = jax.value_and_grad(c)(theta)
            return value, jnp.linalg.norm(g), jnp.linalg.eigh(jax.hessian(c)(theta))

        jax.block_until_ready(one(jnp.asarray(thetas[0])))
        t = time.perf_counter()
        for theta in thetas:
            jax.block_until_ready(one(jnp.asarray(theta)))
        return (time.perf_counter() - t) / m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stuck", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", type=int, default=300, help="starts the one-at-a-time baseline is timed on")
    args = ap.parse_args()

    t = time.perf_counter()
    final, late, seeds, total = stuck_starts(args.stuck)
    print(f"trained {total} starts of lab 9-2 in {time.perf_counter() - t:.1f} s (not timed below): {args.stuck} stuck")
    t = time.perf_counter()
    kinds = analysis(final, late, seeds)
    print(f"first call (compiling included): {time.perf_counter() - t:.2f} s")
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        analysis(final, late, seeds)
        times.append(time.perf_counter() - t)
    median = statistics.median(times)
    base = baseline_per_start(final, min(args.baseline, args.stuck)) * args.stuck
    counts = np.bincount(kinds["kind"], minlength=4)
    print(f"kinds: saddle {counts[0]}, plateau {counts[1]}, minimum {counts[2]}, other {counts[3]}")
    print(
        f"analysis of {args.stuck} stuck starts: median {median:.2f} s of {args.repeats} "
        f"({args.stuck / median:,.0f} starts/s); one start at a time: {base:.1f} s (scaled from "
        f"{min(args.baseline, args.stuck)}); ratio {base / median:.1f}x"
    )
    floor = FLOOR_S * args.stuck / 10000
    print(f"floor {floor:.1f} s for {args.stuck} stuck starts: {'met' if median <= floor else 'NOT met'}")


if __name__ == "__main__":
    main()
