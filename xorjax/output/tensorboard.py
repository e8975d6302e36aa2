"""TensorBoard event files for a run (lab 9-4), written with tensorboardX: no TensorFlow needed.

Everything is written after training, from the history the compiled scan kept every ``log_every`` steps,
so logging never puts a host sync inside the training loop. tensorboardX is imported only here, only when
a run writes events. ``tensorboard --logdir outputs`` then shows every run and sweep job side by side.

tensorboardX makes the events (its summaries, histogram bins and hparams); the file is made here, in memory, and
written by ``io.write_atomic`` like every other file. tensorboardX's own ``SummaryWriter`` writes from a thread of
its own: on a full disk that thread died with ENOSPC and ``close`` then waited for it forever, so the run never
ended. Written here, a failure is the one ``WriteError`` every file has, and no thread is left waiting.
"""

import socket
import struct
import sys
import time
from pathlib import Path

import numpy as np

from xorjax.output import io


def _import_tensorboardx() -> None:
    """Imports tensorboardX without boto3: it imports boto3 whenever that is installed, for s3:// log folders,
    which xorjax never writes to; that import alone was half of a run's TensorBoard time (0.2 s)."""
    if "tensorboardX" in sys.modules or "boto3" in sys.modules:
        return
    sys.modules["boto3"] = None  # what ``import boto3`` then raises is the ImportError tensorboardX expects
    try:
        import tensorboardX  # noqa: F401
    finally:
        del sys.modules["boto3"]


class _EventFile:
    """An event file being made in memory: TFRecord framing (length, its CRC, the Event, its CRC) of each
    ``Event``, the first one naming the file's version, as tensorboardX's ``RecordWriter`` frames them."""

    def __init__(self):  # made by write_run, once tensorboardX is imported
        from tensorboardX.proto.event_pb2 import Event

        self.records, self.Event = [], Event
        self.add(Event(wall_time=time.time(), file_version="brain.Event:2"))

    def add(self, event) -> None:
        from tensorboardX.record_writer import masked_crc32c

        data = event.SerializeToString()
        header = struct.pack("Q", len(data))
        self.records += [header, struct.pack("I", masked_crc32c(header)), data, struct.pack("I", masked_crc32c(data))]

    def add_summary(self, summary, step: int) -> None:
        self.add(self.Event(wall_time=time.time(), step=int(step), summary=summary))

    def write(self, logdir: Path) -> Path:
        # The name TensorBoard looks for, as tensorboardX gives it: events.out.tfevents.<time>.<host>
        name = f"events.out.tfevents.{str(time.time())[:10]}.{socket.gethostname()}"
        return io.write_atomic(logdir / name, b"".join(self.records))


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
    _import_tensorboardx()
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import histogram, scalar
    from tensorboardX.summary import hparams as hparams_summary

    logdir = Path(logdir)
    logdir.mkdir(parents=True, exist_ok=True)
    steps = [int(s) for s in steps]
    histogram_steps = steps if histograms is None else [int(s) for s in histograms]
    # Lab 9-4's histograms: W1, b1, W2, b2, ..., then each hidden layer's output ``layer{l}``, then yhat.
    arrays = {name: weights[name] for name in sorted(weights or {}, key=lambda k: (int(k[1:]), k[0] == "b"))}
    arrays.update({f"layer{l}": h for l, h in enumerate(layers or [], start=1)})
    if yhat is not None:
        arrays["yhat"] = yhat
    bins = SummaryWriter(write_to_disk=False).default_bins  # TensorBoard's own buckets; that writer writes nothing
    events = _EventFile()
    for s, l, a in zip(steps, loss, accuracy):
        events.add_summary(scalar("cost", float(l)), s)
        events.add_summary(scalar("accuracy", float(a)), s)
    for i, s in enumerate(histogram_steps):
        for name, values in arrays.items():
            v = np.asarray(values[i], dtype=np.float64).ravel()
            if np.all(np.isfinite(v)):  # a diverged step has no histogram
                events.add_summary(histogram(name, v, bins), s)
    if hparams is not None:
        # In this run's own file: tensorboardX's add_hparams would open a second, time-stamped run.
        metrics = {f"hparam/{k}": float(v) for k, v in (metrics or {}).items() if v is not None}
        for summary in hparams_summary({k: _hparam(v) for k, v in hparams.items()}, metrics):
            events.add_summary(summary, 0)
        for k, v in metrics.items():
            events.add_summary(scalar(k, v), steps[-1] if steps else 0)
    events.write(logdir)
    return logdir
