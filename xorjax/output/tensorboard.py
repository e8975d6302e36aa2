"""TensorBoard event files for a run (lab 9-4), written with tensorboardX: no TensorFlow needed.

Everything is written after training, from the history the compiled scan kept every ``log_every`` steps,
so logging never puts a host sync inside the training loop. tensorboardX is imported only here, only when
a run writes events. ``tensorboard --logdir outputs`` then shows every run and sweep job side by side.
"""

from pathlib import Path

import numpy as np


def _hparam(value):
    # The hparams plugin takes numbers, strings and booleans only.
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def write_run(
    logdir,
    steps,
    loss,
    accuracy,
    histograms=None,
    weights=None,
    layers=None,
    yhat=None,
    hparams: dict | None = None,
    metrics: dict | None = None,
) -> Path:
    """Writes one run's events into ``logdir`` and returns it.

    Args:
        steps, loss, accuracy: the recorded history (``train.record_steps`` and ``Trained.loss/accuracy``),
            written as the scalars ``cost`` and ``accuracy``.
        histograms: the steps the arrays below were taken at (default: ``steps``).
        weights: ``{"W1": (records, in, out), "b1": (records, out), ...}`` at those steps.
        layers: each hidden layer's output at those steps, ``[(records, 4, width), ...]``.
        yhat: the output at those steps, ``(records, 4)``.
        hparams, metrics: the settings and final numbers, shown together in the HPARAMS tab.
    """
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams as hparams_summary

    logdir = Path(logdir)
    steps = [int(s) for s in steps]
    histogram_steps = steps if histograms is None else [int(s) for s in histograms]
    # Lab 9-4's histograms: W1, b1, W2, b2, ..., then each hidden layer's output ``layer{l}``, then yhat.
    arrays = {name: weights[name] for name in sorted(weights or {}, key=lambda k: (int(k[1:]), k[0] == "b"))}
    arrays.update({f"layer{l}": h for l, h in enumerate(layers or [], start=1)})
    if yhat is not None:
        arrays["yhat"] = yhat
    # Nothing is flushed before close: one write at the end, no timer thread waking up during the run.
    with SummaryWriter(logdir=str(logdir), flush_secs=3600, max_queue=100_000) as w:
        for s, l, a in zip(steps, loss, accuracy):
            w.add_scalar("cost", float(l), s)
            w.add_scalar("accuracy", float(a), s)
        for i, s in enumerate(histogram_steps):
            for name, values in arrays.items():
                v = np.asarray(values[i], dtype=np.float64).ravel()
                if np.all(np.isfinite(v)):  # a diverged step has no histogram
                    w.add_histogram(name, v, s)
        if hparams is not None:
            # In this run's own file: tensorboardX's add_hparams would open a second, time-stamped run.
            metrics = {f"hparam/{k}": float(v) for k, v in (metrics or {}).items() if v is not None}
            for summary in hparams_summary({k: _hparam(v) for k, v in hparams.items()}, metrics):
                w.file_writer.add_summary(summary)
            for k, v in metrics.items():
                w.add_scalar(k, v, steps[-1] if steps else 0)
    return logdir
