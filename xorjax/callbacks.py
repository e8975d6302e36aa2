"""The multirun summary as a Hydra callback (registered in conf/config.yaml under hydra.callbacks).

Hydra skips ``on_multirun_end`` when a job raised, so the summary is rebuilt after every job of a multirun
(``on_job_end``) as well as at its end: whatever happens to later jobs, the finished ones are summarised.
``python -m xorjax.summary <sweep folder>`` does the same by hand (e.g. after a job was killed).
"""

import logging
from pathlib import Path

from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from xorjax import summary

log = logging.getLogger(__name__)


class SweepSummary(Callback):
    """Writes summary.csv, summary.md and summary.png into the sweep folder of a multirun of sweeps."""

    def _build(self, sweep_dir, final: bool) -> None:
        try:
            rows = summary.build(Path(sweep_dir))
        except Exception as e:  # a summary must never turn a finished job into a failed one
            log.warning(f"xorjax: could not write the sweep summary in {sweep_dir}: {e}")
            return
        if rows and final:
            log.info(f"summary of {len(rows)} setting(s): {Path(sweep_dir) / 'summary.md'}")

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs) -> None:
        if config.hydra.mode == RunMode.MULTIRUN:
            self._build(config.hydra.sweep.dir, final=False)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        # HydraConfig is not set here; the sweep folder is in the config itself.
        self._build(config.hydra.sweep.dir, final=True)
