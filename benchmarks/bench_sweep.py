"""Speed and memory of the sweep engine (issue 4, section 5).

    python benchmarks/bench_sweep.py                     # 1k / 10k / 100k starts, vs jit(vmap(train)), 1M memory
    python benchmarks/bench_sweep.py --sizes 1000 --repeats 5 --no-memory
    python benchmarks/bench_sweep.py --multirun 100      # also: `python -m xorjax.run -m seed=0..99`, per start

One net-step = one full-batch forward + backward + update of one 2-2-1 network on the four patterns. Every
figure is the median of ``--repeats`` timed calls after a warm-up call (compiling excluded). The baseline is a
straightforward port of one run (matrix form: X @ W1 + b1, optax's BCE, optax.sgd, a fori_loop over steps)
under ``jit(vmap(...))`` over starts; it runs ``--baseline-steps`` steps (a rate does not depend on the count,
and at 100k starts its cache cliff makes 10,001 steps slow). Peak memory is the maximum resident size of a
fresh process that runs a whole 1,000,000-start sweep through the engine, outcome and atlas included.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def engine_rate(n: int, steps: int, repeats: int, chunk: int) -> float:
    """Net-steps per second of ``engine.run_starts`` (host work between chunks included)."""
    from xorjax.core import descent, engine

    inputs, lrs, _ = engine.Grid(0, n, [0.1], [1.0]).part(0, n)
    per = {**inputs, "lr": lrs}
    spec = descent.Spec(steps=steps)

    def once():
        engine.run_starts(
            {"seed": per["seed"], "scale": per["scale"]},
            per["lr"],
            engine.sweep_init((2,), "normal"),
            (2,),
            spec,
            chunk=chunk,
        )

    once()  # compiles
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return n * steps / statistics.median(times)


def baseline_rate(n: int, steps: int, repeats: int, own_loss: bool = False) -> float:
    """Net-steps per second of the straightforward jit(vmap(train)) of a matrix-form single run, with optax's
    BCE (``own_loss``: with xorjax's BCE, whose gradient is given directly: then only the layout differs)."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    from xorjax.core import data, descent, model

    X, Y = jnp.asarray(data.X), jnp.asarray(data.Y)
    bce = model.LOSSES["bce"].fn if own_loss else optax.losses.sigmoid_binary_cross_entropy

    def loss(p):
        h = jax.nn.sigmoid(X @ p["W1"] + p["b1"])
        return jnp.mean(bce((h @ p["W2"] + p["b2"])[:, 0], Y))

    def train_one(p, lr):
        opt = optax.sgd(lr)

        def step(_, carry):
            p, s = carry
            updates, s = opt.update(jax.grad(loss)(p), s, p)
            return optax.apply_updates(p, updates), s

        p, _ = jax.lax.fori_loop(0, steps, step, (p, opt.init(p)))
        return p, loss(p)

    run = jax.jit(jax.vmap(train_one))
    params = {k: jnp.moveaxis(v, -1, 0) for k, v in descent.init_starts(np.arange(n), (2,), "normal", 1.0).items()}
    lrs = jnp.full((n,), 0.1)
    jax.block_until_ready(run(params, lrs))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(run(params, lrs))
        times.append(time.perf_counter() - t)
    return n * steps / statistics.median(times)


def memory_child(n: int, steps: int) -> None:
    """Runs in a fresh process: a whole n-start sweep, then prints its peak resident size in bytes."""
    import numpy as np

    from xorjax.core import descent, devices, engine, tally

    devices.select("cpu", many_starts=True)
    inputs, lrs, _ = engine.Grid(0, n, [0.1], [1.0]).part(0, n)
    per = {**inputs, "lr": lrs}
    t = time.perf_counter()
    starts = engine.run_starts(
        {"seed": per["seed"], "scale": per["scale"]},
        per["lr"],
        engine.sweep_init((2,), "normal"),
        (2,),
        descent.Spec(steps=steps),
    )
    seconds = time.perf_counter() - t
    everything = np.ones(n, bool)
    stats = tally.statistics(starts, everything)
    fams = tally.families(starts, everything)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    print(peak, seconds, stats["success_rate"], len(fams))


def multirun_per_start(n: int) -> float:
    """Seconds per start of ``python -m xorjax.run -m seed=range(0,n)``: a whole process per run."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "xorjax.run",
                "-m",
                f"seed=range(0,{n})",
                "logger.plots=false",
                "logger.tensorboard=false",
            ],
            cwd=tmp,
            env=env,
            check=True,
            capture_output=True,
        )
        return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--steps", type=int, default=10001)
    ap.add_argument("--baseline-steps", type=int, default=1001)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=8192, help="starts per core per compiled call (sweep.chunk)")
    ap.add_argument("--memory-starts", type=int, default=1_000_000)
    ap.add_argument("--memory-steps", type=int, default=10001)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--multirun", type=int, default=0, help="also time a multirun of this many single runs")
    ap.add_argument("--memory-child", type=int, nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.memory_child:
        memory_child(*a.memory_child)
        return

    import jax

    from xorjax.core import devices

    devices.select("cpu", many_starts=True)
    n_devices = len(jax.local_devices())
    print(
        f"jax {jax.__version__}, {n_devices} CPU device(s), {os.cpu_count()} core(s); 2-2-1 sigmoid, BCE, SGD lr 0.1; "
        f"median of {a.repeats} after a warm-up"
    )
    print("M net-steps/s; baseline: jit(vmap(train)) with optax's BCE; same loss: with xorjax's BCE (layout only)")
    print(f"{'starts':>8} {'engine':>8} {'baseline':>9} {'ratio':>7} {'same loss':>10} {'ratio':>7}")
    rates = {}
    for n in a.sizes:
        rates[n] = engine_rate(n, a.steps, a.repeats, a.chunk)
        base = baseline_rate(n, a.baseline_steps, a.repeats)
        same = baseline_rate(n, a.baseline_steps, a.repeats, own_loss=True)
        print(
            f"{n:8d} {rates[n] / 1e6:8.1f} {base / 1e6:9.1f} {rates[n] / base:6.1f}x {same / 1e6:10.1f} "
            f"{rates[n] / same:6.1f}x",
            flush=True,
        )
    if len(rates) > 1:
        lo, hi = min(rates), max(rates)
        print(f"{hi} starts / {lo} starts: {rates[hi] / rates[lo]:.2f}")
    if not a.no_memory:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(a.memory_starts), str(a.memory_steps)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        peak, seconds = int(out[0]), float(out[1])
        print(
            f"{a.memory_starts} starts x {a.memory_steps} steps: peak memory {peak / 2**30:.2f} GiB, "
            f"{seconds:.1f} s ({a.memory_starts * a.memory_steps / seconds / 1e6:.1f} M net-steps/s, compiling "
            f"included), success rate {float(out[2]):.3f}, {out[3]} families"
        )
    if a.multirun:
        per_run = multirun_per_start(a.multirun)
        n = max(rates)
        per_start = a.steps / rates[n]
        print(
            f"multirun of {a.multirun} single runs: {per_run:.2f} s per start; the sweep at {n} starts: "
            f"{per_start * 1e6:.1f} us per start: {per_run / per_start:,.0f}x faster per start"
        )


if __name__ == "__main__":
    main()
