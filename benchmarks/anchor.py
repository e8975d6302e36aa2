"""The TF1 programs of the course, timed as whole processes beside xorjax's figures (``bench_run``, ``bench_width``).

TensorFlow is a benchmark-only dependency: it lives in a virtual environment of its own, outside the repository,
named with ``--anchor-python``, e.g.

    python -m venv /work/venv-tf && /work/venv-tf/bin/pip install tensorflow-cpu
    python benchmarks/bench_run.py --anchor-python /work/venv-tf/bin/python

Without it a benchmark prints its figures and says that the anchor was not measured.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = {"lab-09-2": HERE / "tf1_lab_09_2.py", "lab-09-3": HERE / "tf1_lab_09_3.py"}


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--anchor-python",
        metavar="PYTHON",
        help="an interpreter with TensorFlow (tf.compat.v1): also time the course's TF1 programs in this run",
    )


def measure(python: str | None, lab: str, repeats: int) -> float | None:
    """Median seconds of the whole process ``python tf1_<lab>.py`` (None without ``python``); each ends having
    printed its final accuracy, or this stops the benchmark."""
    if not python:
        return None
    times = []
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(repeats):
            t = time.perf_counter()
            done = subprocess.run([python, str(PROGRAMS[lab])], cwd=cwd, capture_output=True, text=True, env=os.environ)
            times.append(time.perf_counter() - t)
            if done.returncode != 0 or "Accuracy:" not in done.stdout:
                raise SystemExit(f"the anchor {PROGRAMS[lab].name} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return statistics.median(times)


def describe(lab: str, seconds: float | None, repeats: int) -> str:
    return (
        f"TF1 {lab} (whole process, median of {repeats}): {seconds:.2f} s"
        if seconds is not None
        else f"TF1 {lab}: not measured (give --anchor-python PYTHON, an interpreter with TensorFlow)"
    )


def ratio(seconds: float, lab: str, anchor: float | None, floor: float | None = None) -> str:
    """ "0.47 x TF1 lab-09-2 (floor 0.33: NOT met)", or what stands in for it when the anchor was not measured."""
    if anchor is None:
        return f"ratio to TF1 {lab}: not measured"
    text = f"{seconds / anchor:.2f} x TF1 {lab}"
    if floor is not None:
        text += f" (floor {floor:g}: {'met' if seconds / anchor <= floor else 'NOT met'})"
    return text
