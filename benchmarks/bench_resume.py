"""What checking a sweep's chunk files costs a resume (issue 20): every file read whole and checked (readable, arrays,
shapes, dtypes, start range, settings) before it is trusted, against the listing of their names it replaces.

    python benchmarks/bench_resume.py                    # 100,000 starts in chunks of 1,024 per core
    python benchmarks/bench_resume.py --seeds 1000000 --chunk 8192

The sweep is trained once (``steps=11``, into a temporary folder); then the median of ``--repeats`` calls of
``ChunkFiles.finished()`` with the sweep's settings (the check) and without (the names only), and the ratio. A
resume reads every file once more when it loads it, so the check at most doubles the reading, which is small next to
training: the sweep's own training time is printed beside it.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from hydra import compose, initialize_config_dir

    from xorjax import run
    from xorjax.experiments import sweep
    from xorjax.experiments.sweep import chunk_store

    overrides = ["experiment=sweep", f"sweep.seeds={args.seeds}", "steps=11", f"sweep.chunk={args.chunk}"]
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        cfg = run.settings(compose("config", overrides=overrides + ["logger.plots=false"]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        sweep.train_all(cfg, folder)
        trained = time.perf_counter() - t
        chunks = folder / chunk_store.CHUNKS
        files = list(chunks.glob("*.npz"))
        size = sum(p.stat().st_size for p in files)

        def timed(check: bool) -> float:
            times = []
            for _ in range(args.repeats):
                store = chunk_store.ChunkFiles(chunks, cfg if check else None)
                t = time.perf_counter()
                found = store.finished()
                times.append(time.perf_counter() - t)
                assert len(found) == len(files)
            return statistics.median(times)

        names, checked = timed(False), timed(True)
    print(f"{args.seeds} starts in {len(files)} chunk files ({size / 1e6:.1f} MB), trained in {trained:.2f} s")
    print(f"names only: {names * 1e3:.1f} ms; every file checked: {checked * 1e3:.1f} ms ({checked / names:.0f}x)")
    print(
        f"the check per chunk file: {checked / len(files) * 1e3:.2f} ms; per start: {checked / args.seeds * 1e6:.2f} us"
    )


if __name__ == "__main__":
    main()
