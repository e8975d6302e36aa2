"""Speed of a single run: ``python benchmarks/bench_run.py [--repeats 5]``.

Prints (medians over repeats, this machine):
  1. the whole-process default ``python -m xorjax.run`` with a cold compilation cache and with a warm one;
  2. the 10,001-step training after compilation, in-process, beside a plain Python loop over a jitted step
     (what most beginners write), and the ratio between the two.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import jax
import optax

from xorjax.core import data, descent, model


def whole_process(repeats: int, cache_dir: str, fresh: bool) -> float:
    times = []
    with tempfile.TemporaryDirectory() as cwd:
        for i in range(repeats):
            env = dict(os.environ, JAX_PLATFORMS="cpu",
                       XORJAX_CACHE_DIR=os.path.join(cache_dir, str(i) if fresh else "warm"))
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "xorjax.run"], cwd=cwd, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def in_process(repeats: int) -> tuple[float, float]:
    params = model.init_params(jax.random.PRNGKey(0), [2])
    spec = descent.Spec()
    jax.block_until_ready(descent.train_one(params, 0.1, data.X, data.Y, spec))  # compile
    scanned = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(descent.train_one(params, 0.1, data.X, data.Y, spec))
        scanned.append(time.perf_counter() - t)

    opt = optax.sgd(0.1)

    @jax.jit
    def step(p, state):
        loss, g = jax.value_and_grad(model.cost)(p, data.X, data.Y)
        updates, state = opt.update(g, state, p)
        return optax.apply_updates(p, updates), state, loss

    p, s = params, opt.init(params)
    jax.block_until_ready(step(p, s))
    looped = []
    for _ in range(max(1, repeats // 4)):
        p, s = params, opt.init(params)
        t = time.perf_counter()
        for i in range(spec.steps):
            p, s, loss = step(p, s)
            if i % spec.log_every == 0:
                float(loss)  # the beginner's print(step, cost): a host sync
        jax.block_until_ready(p)
        looped.append(time.perf_counter() - t)
    return statistics.median(scanned), statistics.median(looped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        whole_process(1, cache, fresh=False)  # fill the warm cache
        cold = whole_process(args.repeats, cache, fresh=True)
        warm = whole_process(args.repeats, cache, fresh=False)
    print(f"whole process, python -m xorjax.run, cold compilation cache: {cold:.2f} s (median of {args.repeats})")
    print(f"whole process, python -m xorjax.run, warm compilation cache: {warm:.2f} s (median of {args.repeats})")
    scanned, looped = in_process(4 * args.repeats)
    print(f"10,001 steps after compilation, one lax.scan:           {scanned * 1e3:.1f} ms (median)")
    print(f"10,001 steps, Python loop over a jitted step:           {looped * 1e3:.1f} ms (median)")
    print(f"ratio (loop / scan): {looped / scanned:.1f}x")


if __name__ == "__main__":
    main()
