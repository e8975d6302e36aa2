"""``python -m xorjax.run [overrides]`` (or ``xorjax …``): the Hydra entry point.

Hydra lives at the edge: here, in ``command_line`` (the command line checked against the schema before
anything is composed) and in ``callbacks`` (a single run's values checked before its folder exists; the
multirun summary). This module composes the config, turns it into a ``Config`` and calls
``experiments/<name>.run``; everything below receives that ``Config``.
"""

import importlib
import io as _io
import logging
import os
import shlex
import signal
import sys
from pathlib import Path

import hydra
import jax
from hydra import compose, initialize_config_dir
from hydra._internal.hydra import Hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException
from omegaconf import OmegaConf, open_dict

from xorjax import callbacks, command_line, config
from xorjax.config import Config, validate
from xorjax.core import devices
from xorjax.errors import INTERRUPTED, JOB_FAILED, WriteError, XorjaxError, interrupted, on_interrupt
from xorjax.output.plots import painter


def _config_dir() -> str:
    here = Path(__file__).resolve().parent
    # An installed wheel carries the configs inside the package; a source checkout keeps them in conf/.
    for d in (here / "conf", here.parent / "conf"):
        if (d / "config.yaml").is_file():
            return str(d)
    raise SystemExit("xorjax: its config folder conf/ is missing from the installation")


CONFIG_DIR = _config_dir()
ConfigStore.instance().store(name="schema", node=Config)
# --help lists a registry's entries; replace: callbacks import this module again when it runs as __main__
OmegaConf.register_new_resolver("choices", config.choices, replace=True)
OmegaConf.register_new_resolver("after", lambda overrides: folder_tag(overrides), replace=True)
FOLDER_TAG_MAX = 100  # characters: a name stays far below the file system's 255


def folder_tag(overrides: str) -> str:
    """Hydra's ``override_dirname`` ("model.hidden-[10,10]_seed-1") -> "_model.hidden-10+10_seed-1": the end of
    a run folder's name. Its characters need no quotes in a setting (Hydra's grammar reserves = , [ ] { } ( )
    and spaces), so ``init.path=<folder>/weights.json`` works as typed."""
    tag = overrides.translate(
        str.maketrans(
            {
                ",": "+",
                "=": "-",
                "/": "-",
                ":": "-",
                " ": "",
                "'": "",
                '"': "",
                "[": "",
                "]": "",
                "{": "",
                "}": "",
                "(": "",
                ")": "",
            }
        )
    )
    return f"_{tag[:FOLDER_TAG_MAX]}" if tag else ""


def _options(group: str) -> list[str]:
    return command_line.options(group, [CONFIG_DIR])


def settings(cfg) -> Config:
    """The composed DictConfig -> a checked Config (the Hydra node itself is not part of it)."""
    if "hydra" in cfg:
        cfg = cfg.copy()
        with open_dict(cfg):
            del cfg["hydra"]
    return validate(OmegaConf.to_object(cfg))


# The experiments that draw their pictures with ``plots.painter``: a single run of one starts the painter's helper
# before Hydra composes its config (2-10-10-10-1: about half a second sooner).
PAINTED = frozenset({"train", "handcrafted", "sweep"})


def _painted(overrides: list[str]) -> bool:
    """Whether a (checked) single run's command line asks for pictures from an experiment in ``PAINTED``."""
    given = {o.get_key_element(): o.value() for o in command_line.parse(overrides)}
    return given.get("experiment", "train") in PAINTED and given.get("logger.plots", True) is not False


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


def check_overrides(argv: list[str], compose_each: bool = True) -> str | None:
    """The first problem of a command line, in one line, or None.

    The keys, types and group options are checked against the schema (``command_line``); with
    ``compose_each`` every job's config is also composed and its values checked, as a multirun needs before
    it starts. A single run's values are checked by ``callbacks.CheckSettings`` from the config Hydra
    composes anyway, before it makes the run folder.
    """
    args = command_line.arguments(argv)
    if any(getattr(args, flag) for flag in command_line.NOTHING_RUNS) or args.config_path:
        return None  # Hydra's own pages and completion; a config path of the user's own is Hydra's to read
    dirs = [CONFIG_DIR] + ([str(Path(args.config_dir).resolve())] if args.config_dir else [])
    try:
        parsed = command_line.parse(args.overrides)
    except Exception as e:  # a syntax error in an override
        return _message(e)
    found = command_line.problem(parsed, dirs)
    if found or not compose_each:
        return found
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    sweeps = [
        [f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()] for o in parsed if o.is_sweep_override()
    ]
    extra = [f"hydra.searchpath=[file://{dirs[1]}]"] if args.config_dir else []
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        for overrides in [fixed] + [fixed + [s] for sweep in sweeps for s in sweep]:
            try:
                cfg = compose(args.config_name or "config", overrides=extra + overrides, return_hydra_config=True)
                prepare(cfg, cfg.hydra.runtime.choices.experiment)
            except XorjaxError as e:
                return str(e)
            except Exception as e:
                return _message(e)
    return None


def _enable_compilation_cache() -> None:
    import jax

    root = (
        os.environ.get("XORJAX_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "xorjax"
    )
    jax.config.update("jax_compilation_cache_dir", str(Path(root) / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def _resume_command(override: str) -> str:
    """This job's command line with ``override`` (e.g. ``sweep.resume=<folder>``) in place of the same key's."""
    key = override.split("=")[0] + "="
    again = [o for o in HydraConfig.get().overrides.task if not o.startswith(key)]
    return "python -m xorjax.run " + shlex.join(again + [override])


def _fail_loudly(handler: logging.FileHandler) -> None:
    """A log file that cannot be written ends the run as any other file does (``WriteError``); logging's own
    default prints a traceback for every line it cannot write and runs on."""

    def handle_error(record) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            handler.handleError = lambda record: None  # said once: the edge's line may be logged too
            raise WriteError(handler.baseFilename, error)
        logging.FileHandler.handleError(handler, record)

    handler.handleError = handle_error


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def _app(cfg) -> None:
    name = HydraConfig.get().runtime.choices.experiment
    out = Path(HydraConfig.get().runtime.output_dir)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            _fail_loudly(handler)
    try:
        s = prepare(cfg, name)
        if s.cache:
            _enable_compilation_cache()
        # A submitit job's cpus_per_task is its share of the machine (SLURM enforces it, submitit_local not).
        cores = HydraConfig.get().launcher.get("cpus_per_task")
        # precision=float64 needs JAX's 64-bit mode; switched on for this job only (a multirun's next job may not)
        with (
            devices.use(s.device, many_starts=name in devices.MANY_STARTS, cores=cores),
            jax.enable_x64(s.precision == "float64"),
        ):
            experiment(name).run(s, out)
    except KeyboardInterrupt as e:
        if not e.args:
            raise
        # An experiment that can be resumed names the override that does it: this job's command line plus that.
        raise KeyboardInterrupt("resume with: " + _resume_command(e.args[0])) from None
    except (XorjaxError, OSError) as e:  # an OSError: written other than through io.write_atomic (a library's own)
        if isinstance(e, OSError):
            e = WriteError(e.filename or _written(e), e)
        print(f"xorjax: {e}" + (f"; resume with: {_resume_command(e.resume)}" if e.resume else ""), file=sys.stderr)
        sys.exit(e.status)


def _written(error: OSError) -> str:
    """The file a library was writing when ``error`` (which names none) was raised: the open file nearest to where
    it was raised (Hydra's .hydra/*.yaml, a launcher's job files); else the folder of the job Hydra was starting,
    or of the multirun."""
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if isinstance(value, _io.IOBase) and isinstance(getattr(value, "name", None), str):
                return str(Path(value.name).absolute())
    logs = [h.baseFilename for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]
    if logs:
        return str(Path(logs[0]).parent)
    # a launcher's worker sends the error back without its frames: the multirun's folder is what is known
    return os.environ.get(callbacks.MULTIRUN_DIR) or "the run's folder"


def main() -> None:
    # JAX looks for accelerators and logs each miss at INFO, which Hydra's logging would show.
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)
    args = command_line.arguments(sys.argv[1:])
    problem = check_overrides(sys.argv[1:], compose_each=args.multirun or args.cfg is not None)
    if problem:
        print(f"xorjax: {problem}", file=sys.stderr)
        sys.exit(XorjaxError.status)
    # Hydra's own errors reach this edge whole, not as Hydra's shortened traceback: an OSError of Hydra's (its
    # .hydra/ files on a full disk) is then one line, as every other write failure.
    os.environ.setdefault("HYDRA_FULL_ERROR", "1")
    own = args.config_dir or args.config_path or args.config_name
    runs_one = not (args.multirun or own or args.cfg or any(getattr(args, f) for f in command_line.NOTHING_RUNS))
    if runs_one and _painted(args.overrides):
        painter.prestart()
    if not own and not any(o.lstrip("+~").startswith("hydra.mode") for o in args.overrides):
        # Hydra composes the whole config once more only to read hydra.mode (Hydra.get_mode), which xorjax's
        # configs leave unset (tests/test_cli.py checks): unset, -m or its absence decides, 0.24 s sooner.
        Hydra.get_mode = lambda self, config_name, overrides: None
    signal.signal(signal.SIGINT, on_interrupt)
    try:
        _app()
    except KeyboardInterrupt as e:
        print("xorjax: interrupted" + (f"; {e.args[0]}" if e.args else ""), file=sys.stderr)
        sys.exit(INTERRUPTED)
    except XorjaxError as e:
        print(f"xorjax: {e}", file=sys.stderr)
        sys.exit(e.status)
    except OSError as e:  # written other than through io.write_atomic: a mkdir, Hydra's .hydra/ files
        print(f"xorjax: {WriteError(e.filename or _written(e), e)}", file=sys.stderr)
        sys.exit(WriteError.status)
    except CompactHydraException as e:  # what Hydra itself prints for its own errors, without HYDRA_FULL_ERROR
        print(_message(e), file=sys.stderr)
        sys.exit(JOB_FAILED)
    except Exception:
        if not interrupted():
            raise
        print("xorjax: interrupted", file=sys.stderr)  # a Ctrl-C that a library turned into another exception
        sys.exit(INTERRUPTED)
    if not args.multirun:
        # A single run has written and closed all it wrote; the interpreter's own teardown (JAX's runtime, its
        # thread pools, thousands of modules) would add 0.3-0.6 s to a 2-second run, so leave without it. A
        # multirun exits normally: a launcher's worker processes are shut down at exit.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
