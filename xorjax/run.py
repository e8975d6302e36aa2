"""``python -m xorjax.run [overrides]``: the Hydra entry point, and the only module that knows Hydra.

It composes the config, checks every value before Hydra makes a run folder (so a bad setting costs one
line and leaves ``outputs/`` untouched), turns it into a ``Config`` and calls ``experiments/<name>.run``.
"""

import importlib
import logging
import os
import shlex
import sys
from pathlib import Path

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf, open_dict

from xorjax.config import Config, validate
from xorjax.core import devices
from xorjax.errors import XorjaxError


def _config_dir() -> str:
    here = Path(__file__).resolve().parent
    # An installed wheel carries the configs inside the package; a source checkout keeps them in conf/.
    for d in (here / "conf", here.parent / "conf"):
        if (d / "config.yaml").is_file():
            return str(d)
    raise SystemExit("xorjax: its config folder conf/ is missing from the installation")


CONFIG_DIR = _config_dir()
GROUPS = ("experiment", "optimizer", "init")
ConfigStore.instance().store(name="schema", node=Config)


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (Path(CONFIG_DIR) / group).glob("*.yaml"))


def settings(cfg) -> Config:
    """The composed DictConfig -> a checked Config (the Hydra node itself is not part of it)."""
    if "hydra" in cfg:
        cfg = cfg.copy()
        with open_dict(cfg):
            del cfg["hydra"]
    return validate(OmegaConf.to_object(cfg))


def experiment(name: str):
    return importlib.import_module(f"xorjax.experiments.{name}")


def prepare(cfg, name: str) -> Config:
    s = settings(cfg)
    devices.check(s.device)
    check = getattr(experiment(name), "check", None)
    if check:
        check(s)
    return s


def _message(e: Exception) -> str:
    """Hydra/OmegaConf errors span several lines; the first of each says what is wrong."""
    parts = [str(e).strip().splitlines()[0]]
    if e.__cause__ is not None and str(e.__cause__).strip():
        parts.append(str(e.__cause__).strip().splitlines()[0])
    return ": ".join(parts).replace("Error merging override ", "")


def check_overrides(args: list[str]) -> str | None:
    """Composes the config for every value a command line asks for; returns the first problem, or None."""
    lines = [a for a in args if "=" in a and not a.startswith("-") and not a.lstrip("+~").startswith("hydra")]
    try:
        parsed = OverridesParser.create().parse_overrides(lines)
    except Exception as e:  # a syntax error in an override
        return _message(e)
    fixed, sweeps = [], []
    for o in parsed:
        key = o.get_key_element()
        values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.value()]
        if key in GROUPS:
            for v in values:
                if str(v) not in _options(key):
                    return f"{key}={v} is not allowed: choose one of {', '.join(_options(key))}"
        if o.is_sweep_override():
            sweeps.append([f"{key}={v}" for v in values])
        else:
            fixed.append(o.input_line)
    trials = [fixed] + [fixed + [s] for sweep in sweeps for s in sweep]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        for overrides in trials:
            try:
                cfg = compose("config", overrides=overrides, return_hydra_config=True)
                prepare(cfg, cfg.hydra.runtime.choices.experiment)
            except XorjaxError as e:
                return str(e)
            except Exception as e:
                return _message(e)
    return None


def _enable_compilation_cache() -> None:
    import jax

    root = os.environ.get("XORJAX_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "xorjax"
    jax.config.update("jax_compilation_cache_dir", str(Path(root) / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def _app(cfg) -> None:
    name = HydraConfig.get().runtime.choices.experiment
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        s = prepare(cfg, name)
        if s.cache:
            _enable_compilation_cache()
        # A submitit job's cpus_per_task is its share of the machine (SLURM enforces it, submitit_local not).
        cores = HydraConfig.get().launcher.get("cpus_per_task")
        with devices.use(s.device, many_starts=name in devices.MANY_STARTS, cores=cores):
            experiment(name).run(s, out)
    except KeyboardInterrupt as e:
        if not e.args:
            raise
        # An experiment that can be resumed names the override that does it: this job's command line plus that.
        again = [o for o in HydraConfig.get().overrides.task if not o.startswith(e.args[0].split("=")[0] + "=")]
        raise KeyboardInterrupt("resume with: python -m xorjax.run " + shlex.join(again + [e.args[0]])) from None
    except XorjaxError as e:
        print(f"xorjax: {e}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    # JAX looks for accelerators and logs each miss at INFO, which Hydra's logging would show.
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
    problem = check_overrides(sys.argv[1:])
    if problem:
        print(f"xorjax: {problem}", file=sys.stderr)
        sys.exit(2)
    try:
        _app()
    except KeyboardInterrupt as e:
        print("xorjax: interrupted" + (f"; {e.args[0]}" if e.args else ""), file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
