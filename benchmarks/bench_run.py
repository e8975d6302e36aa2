"""Speed of a single run: ``python benchmarks/bench_run.py [--repeats 5] [--anchor-python /work/venv-tf/bin/python]``.

Prints (medians over repeats, this machine, the load average at the start and at the end):
  0. with ``--anchor-python``: the course's TF1 lab-09-2 program (``tf1_lab_09_2.py``, see ``anchor``), a whole
     process, timed in this same run;
  1. the whole-process default ``python -m xorjax.run`` with a cold compilation cache and with a warm one, and
     ``experiment=handcrafted``, ``derivatives`` and ``backprop`` with a warm one, each against its floor and
     as a ratio to TF1 lab-09-2 (the default run with a warm cache: floor 0.33, aim 0.25);
  2. where the default run's time goes (warm cache): the same command in a child process that times each
     phase (importing, reading the command line, Hydra composing, checking the settings, the initial weights,
     training, the pictures' inputs, TensorBoard, waiting for the pictures), with the painter's own choice of
     picture processes and with 1 (the painter's helper alone) and 2 (the helper and a fork of it);
  3. the 10,001-step training after compilation, in-process, beside a plain Python loop over a jitted step
     (what most beginners write), and the ratio between the two;
  4. with ``--lecture``: the whole lecture, ``experiment=lecture``, a whole process with a cold compilation cache
     and with a warm one, against its floor (35 s).
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

START = time.perf_counter()  # the child's clock starts before it imports anything of xorjax (--phases)

import anchor  # noqa: E402  (benchmarks/anchor.py)
import jax  # noqa: E402  (after START, so that the child's import time is counted)
import optax  # noqa: E402

from xorjax.core import data, descent, model  # noqa: E402

FLOORS = {"": 2.4, "experiment=handcrafted": 1.8, "experiment=derivatives": 1.8, "experiment=backprop": 1.8}
LECTURE_FLOOR = 35  # s, whole process, experiment=lecture (issue 18: "within about 35 s")
RATIO_FLOORS = {"": 0.33}  # whole process, warm cache, against the TF1 lab-09-2 program (issue 21; aim 0.25)
# (module, function, phase): what the child times; a phase nested in another is also counted in it.
PHASES = [
    ("xorjax.run", "check_overrides", "reading the command line"),
    ("hydra._internal.hydra", "Hydra.compose_config", "Hydra composing the config"),
    ("xorjax.run", "prepare", "checking the settings (twice: before the folder, in the run)"),
    ("xorjax.experiments.train", "initial_params", "initial weights: trace, cache lookup, draw"),
    ("xorjax.core.descent", "train_one", "training: trace, cache lookup, 10,001 steps"),
    ("xorjax.output.plots.network", "run_jobs", "the pictures' inputs (decision surface grid ...)"),
    ("xorjax.experiments.train", "write_events", "TensorBoard events"),
    ("xorjax.output.plots.painter", "Painter.draw", "waiting for the pictures (drawn by the painter)"),
    ("xorjax.experiments.train", "train_and_report", "the run, all of it"),
]


def whole_process(repeats: int, cache_dir: str, fresh: bool, args=()) -> float:
    times = []
    with tempfile.TemporaryDirectory() as cwd:
        for i in range(repeats):
            env = dict(
                os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=os.path.join(cache_dir, str(i) if fresh else "warm")
            )
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "xorjax.run", *args], cwd=cwd, env=env, check=True, capture_output=True
            )
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def phases(repeats: int, cache_dir: str, helpers: int | None = None) -> dict:
    """Medians over ``repeats`` children of each phase's seconds (see ``PHASES``); ``helpers``: that many
    processes drawing the pictures instead of ``plots.painter.start``'s choice."""
    runs = []
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(repeats):
            env = dict(os.environ, JAX_PLATFORMS="cpu", XORJAX_CACHE_DIR=os.path.join(cache_dir, "warm"))
            t = time.perf_counter()
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--phases"]
                + ([f"--helpers={helpers}"] if helpers is not None else []),
                cwd=cwd,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            times = json.loads(out.splitlines()[-1])
            times["whole process"] = time.perf_counter() - t
            runs.append(times)
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in runs[0]}


def child(helpers: int | None) -> None:
    """The default run in this process, each phase of ``PHASES`` timed; prints the times as JSON, last."""
    import importlib

    times = {}

    def timed(owner, name, label):
        f = getattr(owner, name)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                times[label] = times.get(label, 0.0) + time.perf_counter() - t

        setattr(owner, name, wrapper)

    from xorjax import run
    from xorjax.output.plots import painter

    times["importing xorjax, JAX, Optax, Hydra"] = time.perf_counter() - START
    if helpers is not None:
        start = painter.start
        painter.start = lambda workers=None: start(helpers if workers is None else workers)
    for module, attr, label in PHASES:
        owner = importlib.import_module(module)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        timed(owner, name, label)
    sys.argv = [sys.argv[0]]
    leave = os._exit

    def report_and_leave(status):  # main() ends a single run with os._exit: report first
        times["until the run ends"] = time.perf_counter() - START
        print(json.dumps(times), flush=True)
        leave(status)

    os._exit = report_and_leave
    run.main()


def in_process(repeats: int) -> tuple[float, float]:
    params = {k: v[..., 0] for k, v in descent.init_starts([0], [2]).items()}
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
    parser.add_argument("--phases", action="store_true", help=argparse.SUPPRESS)  # the child of ``phases``
    parser.add_argument("--helpers", type=int, help=argparse.SUPPRESS)  # the child's processes drawing pictures
    parser.add_argument("--lecture", action="store_true", help="also time experiment=lecture, cold and warm cache")
    anchor.add_option(parser)
    args = parser.parse_args()
    if args.phases:
        return child(args.helpers)
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
    lab = anchor.measure(args.anchor_python, "lab-09-2", args.repeats)
    print(anchor.describe("lab-09-2", lab, args.repeats))
    with tempfile.TemporaryDirectory() as cache:
        for command in FLOORS:  # fill the warm cache
            whole_process(1, cache, fresh=False, args=command.split())
        cold = whole_process(args.repeats, cache, fresh=True)
        print(
            f"whole process, python -m xorjax.run, cold compilation cache: {cold:.2f} s (median of {args.repeats}; "
            f"{anchor.ratio(cold, 'lab-09-2', lab)})"
        )
        for command, floor in FLOORS.items():
            warm = whole_process(args.repeats, cache, fresh=False, args=command.split())
            print(
                f"whole process, python -m xorjax.run {command or '(default)':22s} warm cache: {warm:.2f} s "
                f"(median of {args.repeats}; floor {floor} s: {'met' if warm <= floor else 'NOT met'}; "
                f"{anchor.ratio(warm, 'lab-09-2', lab, RATIO_FLOORS.get(command))})"
            )
        print(
            "\nwhere the default run's time goes (warm cache, medians; nested phases are also in their parent), "
            "with the painter's own choice of processes drawing the pictures (plots.painter.start) and with 1 and 2:"
        )
        columns = [phases(args.repeats, cache, helpers) for helpers in (None, 1, 2)]
        print(f"  {'':72s} {'choice':>7s} {'1':>7s} {'2':>7s}")
        for label in columns[0]:
            print(f"  {label:72s}" + "".join(f" {c.get(label, 0.0):5.2f} s" for c in columns))
    scanned, looped = in_process(4 * args.repeats)
    print(f"10,001 steps after compilation, one lax.scan:           {scanned * 1e3:.1f} ms (median)")
    print(f"10,001 steps, Python loop over a jitted step:           {looped * 1e3:.1f} ms (median)")
    print(f"ratio (loop / scan): {looped / scanned:.1f}x")
    if args.lecture:
        lecture = ["experiment=lecture"]
        with tempfile.TemporaryDirectory() as cache:  # a cache of its own: the default run's programs are not in it
            cold = whole_process(args.repeats, cache, fresh=True, args=lecture)
            whole_process(1, cache, fresh=False, args=lecture)  # fills the warm cache
            warm = whole_process(args.repeats, cache, fresh=False, args=lecture)
        for label, seconds in (("cold", cold), ("warm", warm)):
            verdict = "met" if seconds <= LECTURE_FLOOR else "NOT met"
            print(
                f"whole process, python -m xorjax.run experiment=lecture, {label} compilation cache: {seconds:.2f} s "
                f"(median of {args.repeats}; floor {LECTURE_FLOOR} s: {verdict})"
            )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
