"""How fast the playground trains in the browser (the issue's floor: 10,000 steps a second), against xorjax's own
compiled training of the same net in float64.

    python benchmarks/bench_playground.py [--repeats 3]

In headless Chromium (Debian's chromium and chromium-driver, through selenium): the page opened with
``train=100000`` and ``train=1000000`` (the steps taken at once on opening, timed by the page itself: ``data-ms``
on the step counter), and Play at its fastest speed (1,000 steps a frame, drawn every frame) for 3 seconds. The
baseline is ``descent.train_one`` in float64 (``precision=float64``), compiled, one start, 100,000 steps. Prints the
load average too: timings on a busy machine are re-measured on a quiet one.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from xorjax.config import LECTURE_WEIGHTS
from xorjax.core import data, descent
from xorjax.experiments import handcrafted
from xorjax.output import playground

START = {k: np.random.default_rng(19).normal(0, 1.5, shape) for k, shape in playground.SHAPES.items()}


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1024,768"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def load_rate(session, url: str, steps: int, repeats: int) -> float:
    """Steps a second of a ``train=steps`` link, the median of ``repeats`` loads."""
    seconds = []
    for _ in range(repeats):
        session.get("about:blank")
        session.get(f"{url}#{playground.fragment(START, 0.5, steps)}")
        seconds.append(float(session.find_element("id", "xj-step").get_attribute("data-ms")) / 1000)
    return steps / statistics.median(seconds)


def play_rate(session, url: str, seconds: float = 3.0) -> tuple[float, float]:
    """(steps a second, frames a second) while playing at 1,000 steps a frame."""
    from selenium.webdriver.support.ui import Select

    session.get("about:blank")
    session.get(f"{url}#{playground.fragment(LECTURE_WEIGHTS, 0.5)}")
    fastest = max(playground.SPEEDS)
    Select(session.find_element("id", "xj-speed")).select_by_value(str(fastest))
    step = session.find_element("id", "xj-step")
    session.find_element("id", "xj-play").click()
    time.sleep(0.5)
    first, t0 = int(step.get_attribute("data-value")), time.perf_counter()
    time.sleep(seconds)
    last, t1 = int(step.get_attribute("data-value")), time.perf_counter()
    session.find_element("id", "xj-play").click()
    rate = (last - first) / (t1 - t0)
    return rate, rate / fastest


def jax_rate(steps: int = 100_000) -> float:
    """Steps a second of xorjax's compiled float64 training of one start (compiled once before timing)."""
    with jax.enable_x64(True):
        params = descent.in_precision(START, "float64")
        spec = descent.Spec(steps=steps, log_every=1000)
        jax.block_until_ready(descent.train_one(params, 0.5, data.X, data.Y, spec))
        t = time.perf_counter()
        jax.block_until_ready(descent.train_one(params, 0.5, data.X, data.Y, spec))
        return steps / (time.perf_counter() - t)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        handcrafted.write_playground(Path(folder), LECTURE_WEIGHTS, "sigmoid")
        url = (Path(folder) / "playground.html").as_uri()
        with browser() as session:
            loads = {n: load_rate(session, url, n, args.repeats) for n in (100_000, 1_000_000)}
            playing, frames = play_rate(session, url)
    baseline = jax_rate()
    for n, rate in loads.items():
        print(f"page, train={n:,} on opening: {rate:,.0f} steps/s ({rate / 10_000:.0f}x the floor of 10,000)")
    print(f"page, Play at {max(playground.SPEEDS):,} steps a frame: {playing:,.0f} steps/s ({frames:.0f} frames/s)")
    print(f"xorjax, descent.train_one float64 compiled, 100,000 steps: {baseline:,.0f} steps/s")
    print(f"page / xorjax (train=100,000): {loads[100_000] / baseline:.2f}")
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
