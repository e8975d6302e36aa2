"""The sweep engine on the device JAX finds: ``python benchmarks/bench_device.py``.

Prints net-steps per second (one net-step: one full-batch forward + backward + SGD update of one 2-2-1
network on the four patterns) of ``engine.run_starts``, the engine behind ``experiment=sweep``.

On a GPU (``pip install 'xorjax[cuda]'``) the defaults are the GPU goal's sweep: 1,000,000 starts x 10,001
steps in one chunk (goal >= 50 G net-steps/s on one H100/H200). On a CPU they are smaller, so that the
command finishes in about a minute. Needs jax and optax only (no Hydra), so it runs on a bare GPU machine:

    python benchmarks/bench_device.py                       # the defaults for the device found
    python benchmarks/bench_device.py --starts 100000 --steps 1001 --repeats 5
"""

import argparse
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, help="default: 1,000,000 on an accelerator, 100,000 on a CPU")
    ap.add_argument("--steps", type=int, help="default: 10,001 on an accelerator, 1,001 on a CPU")
    ap.add_argument(
        "--chunk",
        type=int,
        help="starts per device per call (default: all on an accelerator, 8192 on a CPU, as sweep.chunk)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()

    import jax

    from xorjax.core import descent, devices, engine

    # As a sweep run chooses: the accelerator if there is one, else one CPU device per core.
    cpu = devices.select("auto", many_starts=True).platform == "cpu"
    starts = a.starts or (100_000 if cpu else 1_000_000)
    steps = a.steps or (1001 if cpu else 10001)
    chunk = a.chunk or (8192 if cpu else starts)
    found = jax.local_devices()
    print(
        f"jax {jax.__version__} on {devices.describe(found)}; 2-2-1 sigmoid, BCE, SGD lr 0.1; "
        f"{starts:,} starts x {steps:,} steps, chunks of {chunk:,} per device"
    )

    inputs, lrs, _ = engine.Grid(0, starts, [0.1], [1.0]).part(0, starts)
    per = {**inputs, "lr": lrs}
    spec = descent.Spec(steps=steps)
    init = engine.sweep_init((2,), "normal")

    def once() -> float:
        t = time.perf_counter()
        out = engine.run_starts(
            {"seed": per["seed"], "scale": per["scale"]}, per["lr"], init, (2,), spec, chunk=chunk
        )  # returns host arrays: the work is done
        seconds = time.perf_counter() - t
        once.solved = float((out.status == 0).mean())
        return seconds

    first = once()  # compiles
    times = [once() for _ in range(a.repeats)]
    rate = starts * steps / statistics.median(times)
    print(f"first call (compiling included): {first:.2f} s")
    each = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"{rate / 1e9:.3f} G = {rate / 1e6:,.0f} M net-steps/s (median of {a.repeats}: {each} s); "
        f"solved {once.solved:.1%} of the starts"
    )


if __name__ == "__main__":
    main()
