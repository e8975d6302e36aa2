"""Hydra callbacks (registered in conf/config.yaml under hydra.callbacks): a single run's settings checked
before its folder exists, and the multirun summary, with the split sweeps whose parts are all there merged.

Hydra skips ``on_multirun_end`` when a job raised, so the summary is rebuilt, and the split sweeps merged, after
every job of a multirun (``on_job_end``) as well as at its end: whatever happens to later jobs, the finished ones
are summarised, and a sweep is merged as soon as its last part is finished. ``python -m xorjax.summary <sweep
folder>`` and ``python -m xorjax.summary --merge <folder> ...`` do the same by hand (e.g. after a job was killed).
"""

import logging
import os
import sys
from pathlib import Path

from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from xorjax import summary
from xorjax.errors import XorjaxError
from xorjax.output import io

log = logging.getLogger(__name__)
MULTIRUN_DIR = "XORJAX_MULTIRUN_DIR"  # the folder of the multirun this process runs


class CheckSettings(Callback):
    """A single run's values (lr > 0, a readable init.path …) are checked on the config Hydra has just composed,
    before it makes the run folder: a bad setting costs one line and leaves outputs/ as it was. (A multirun's
    jobs are checked by ``run.check_overrides`` before the first starts.) The folder a run or multirun writes into
    is checked then too: one that cannot be written is named before any training starts."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        from xorjax import run

        try:
            run.prepare(config, config.hydra.runtime.choices.experiment)
            io.check_writable(config.hydra.run.dir)
        except XorjaxError as e:
            # SystemExit, not an exception: Hydra turns a callback's exception into a warning and runs on.
            print(f"xorjax: {e}", file=sys.stderr)
            sys.exit(e.status)

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        try:
            io.check_writable(config.hydra.sweep.dir)
        except XorjaxError as e:
            print(f"xorjax: {e}", file=sys.stderr)
            sys.exit(e.status)
        # For the entry point's line when a launcher's worker fails writing Hydra's files (its error names none).
        os.environ[MULTIRUN_DIR] = str(Path(config.hydra.sweep.dir).absolute())


class MultirunSummary(Callback):
    """Writes summary.csv, summary.md and summary.png into the folder of a multirun (of runs or sweeps), after
    merging each split sweep whose parts are all finished into its ``merged/<n>/``."""

    def _build(self, sweep_dir, final: bool) -> None:
        try:
            merged, lacking = summary.merge([Path(sweep_dir)])
            rows = summary.build(Path(sweep_dir))
        except Exception as e:  # a summary must never turn a finished job into a failed one
            log.warning(f"xorjax: could not write the sweep summary in {sweep_dir}: {e}")
            return
        if final:
            for out in merged:
                log.info(f"the parts of a split sweep, merged: {out / 'atlas.md'}")
            for line in lacking:  # named once the multirun is over (before, a part may still be running)
                log.warning(f"xorjax: {line}")
        if rows and final:
            log.info(f"summary of {len(rows)} row(s), one per run or sweep setting: {Path(sweep_dir) / 'summary.md'}")

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs) -> None:
        if config.hydra.mode == RunMode.MULTIRUN:
            self._build(config.hydra.sweep.dir, final=False)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        # HydraConfig is not set here; the sweep folder is in the config itself.
        self._build(config.hydra.sweep.dir, final=True)
