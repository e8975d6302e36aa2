"""What writing a run's TensorBoard events costs (issue 20): ``tensorboard.write_run`` (events made in memory, one
atomic write, no thread) against tensorboardX's own ``SummaryWriter`` (a writer thread, what it used before) writing
the same events: the default run's 11 records of cost and accuracy and 11 histograms of W1, b1, W2, b2, layer1, yhat.

    python benchmarks/bench_events.py [--repeats 20] [--records 101]

Prints the median of ``--repeats`` calls of each, interleaved, and their ratio.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def with_summary_writer(logdir, steps, loss, accuracy, arrays) -> None:
    from tensorboardX import SummaryWriter

    with SummaryWriter(logdir=str(logdir), flush_secs=3600, max_queue=100_000) as w:
        for s, l, a in zip(steps, loss, accuracy):
            w.add_scalar("cost", float(l), s)
            w.add_scalar("accuracy", float(a), s)
        for i, s in enumerate(steps):
            for name, values in arrays.items():
                w.add_histogram(name, np.asarray(values[i], dtype=np.float64).ravel(), s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--records", type=int, default=11)
    args = parser.parse_args()

    from xorjax.output import tensorboard

    rng = np.random.default_rng(0)
    n = args.records
    steps = list(range(0, 1000 * n, 1000))
    loss, accuracy = rng.random(n).astype(np.float32), rng.random(n).astype(np.float32)
    weights = {"W1": rng.normal(size=(n, 2, 2)), "b1": rng.normal(size=(n, 2))}
    weights |= {"W2": rng.normal(size=(n, 2, 1)), "b2": rng.normal(size=(n, 1))}
    layers, yhat = [rng.random((n, 4, 2))], rng.random((n, 4))
    arrays = {**weights, "layer1": layers[0], "yhat": yhat}
    times = {"write_run (in memory, atomic)": [], "tensorboardX SummaryWriter": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats + 1):
            for name in times:
                logdir = Path(tmp) / f"{name[:5]}{i}"
                t = time.perf_counter()
                if name.startswith("write_run"):
                    tensorboard.write_run(logdir, steps, loss, accuracy, weights=weights, layers=layers, yhat=yhat)
                else:
                    with_summary_writer(logdir, steps, loss, accuracy, arrays)
                if i:  # the first round imports and warms up
                    times[name].append(time.perf_counter() - t)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, m in medians.items():
        print(f"{name}: {m * 1e3:.1f} ms (median of {args.repeats}, {n} records)")
    new, old = medians.values()
    print(f"ratio write_run / SummaryWriter: {new / old:.2f}")


if __name__ == "__main__":
    main()
