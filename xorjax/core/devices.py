"""Which device a run computes on, and what it was: the one module that asks JAX about hardware.

``device=auto`` (the default) keeps work that trains one network on the CPU: a 2-2-1 step is a few hundred
floating-point operations, so a GPU would only add its start-up (seconds, and most of its memory reserved)
and a kernel launch per step. Work that trains many starts side by side (``MANY_STARTS``) goes to JAX's
default device, an accelerator when one is installed and visible. ``device=cpu`` and ``device=gpu`` force it.

The choice is made before the run's first JAX computation, because JAX starts its backends once per process:
only a run that never starts the GPU backend leaves the GPU alone, and the number of CPU devices (one per
core this process may use, ``cpu_share``; a sweep splits its starts across them) is fixed at that moment.

    with devices.use("auto", many_starts=False) as d:
        ...train...
        metrics["device"] = devices.describe([d])
"""

import importlib.metadata
import os
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import jax

from xorjax.errors import XorjaxError

DEVICES = ("auto", "cpu", "gpu")
# Experiments that train thousands of starts in one compiled call: worth an accelerator under device=auto.
MANY_STARTS = frozenset({"sweep", "rhw1986", "basin", "landscape"})

NO_GPU = "device=gpu is not allowed: {}"


def platform(device: str, many_starts: bool) -> str | None:
    """The JAX platform a run uses: ``"cpu"``, ``"gpu"``, or None for JAX's default (its accelerator if any)."""
    if device == "auto":
        return None if many_starts else "cpu"
    return device


def _gpu_plugin_installed() -> bool:
    """Whether a JAX GPU plugin is installed (jax >= 0.4.30 finds CUDA and ROCm only through plugins).

    Looked up in the package metadata, so that asking costs no backend start-up."""
    names = [ep.name for ep in importlib.metadata.entry_points(group="jax_plugins")]
    try:
        import jax_plugins  # the namespace package the CUDA and ROCm plugins install into

        names += [m.name for m in pkgutil.iter_modules(jax_plugins.__path__)]
    except ImportError:
        pass
    return any("cuda" in n or "rocm" in n for n in names)


def check(device: str) -> None:
    """Refuses ``device=gpu`` where it cannot work, before any backend starts (and before Hydra makes a folder).

    Whether a GPU is really there is known only once JAX starts; ``use`` checks that again."""
    if device != "gpu":
        return
    only = os.environ.get("JAX_PLATFORMS", "").strip().lower()
    if only and not any(p in ("cuda", "rocm", "gpu") for p in only.split(",")):
        raise XorjaxError(NO_GPU.format(f"JAX_PLATFORMS={only} hides any GPU (unset it)"))
    if not _gpu_plugin_installed():
        raise XorjaxError(NO_GPU.format("this JAX is CPU-only (pip install 'xorjax[cuda]' where an NVIDIA GPU is)"))


def cpu_share(cores: int | None = None) -> int:
    """The cores this process may keep busy: its CPU affinity (where SLURM's cpus_per_task shows), capped by
    ``cores`` (a submitit job's cpus_per_task) or else by ``OMP_NUM_THREADS``, which joblib gives each of its
    n_jobs workers as cores // n_jobs."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    budget = cores
    if not budget:
        try:
            budget = int(os.environ.get("OMP_NUM_THREADS", ""))
        except ValueError:
            budget = 0
    return max(1, min(affinity, budget) if budget > 0 else affinity)


def _set_cpu_devices(cores: int | None) -> None:
    """One JAX CPU device per core of ``cpu_share``: XLA runs each device's part of a sweep on one thread, so
    two parallel jobs on two cores get one device each instead of two each fighting over both cores."""
    forced = "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
    if forced or jax.config.jax_num_cpu_devices > 0:
        return  # the user (or a test) fixed the count
    try:
        jax.config.update("jax_num_cpu_devices", cpu_share(cores))
    except RuntimeError:  # the backends already started (a reused multirun worker): they keep their devices
        pass


def select(device: str, many_starts: bool, cores: int | None = None) -> jax.Device:
    """The device a run computes on (see the module's docstring); starts JAX's backends with one CPU device
    per core of ``cpu_share(cores)``."""
    _set_cpu_devices(cores)
    p = platform(device, many_starts)
    if p == "cpu":
        # Before the backends start, this keeps JAX from starting the GPU at all; after, it changes nothing.
        jax.config.update("jax_platforms", "cpu")
    try:
        return jax.devices(p)[0] if p else jax.devices()[0]
    except RuntimeError:  # JAX's "Unknown backend" / "no platforms that are instances of gpu"
        raise XorjaxError(
            NO_GPU.format(
                "JAX finds no GPU here (a submitit_local job sees one only with hydra.launcher.gpus_per_node=1)"
            )
        ) from None


@contextmanager
def use(device: str, many_starts: bool, cores: int | None = None) -> Iterator[jax.Device]:
    """Runs the body with the chosen device (``select``) as JAX's default device; yields it."""
    d = select(device, many_starts, cores)
    with jax.default_device(d):
        yield d


def beside(fn: Callable, *args) -> Future:
    """``fn(*args)`` in a thread of its own, under this thread's 64-bit mode and default device (JAX keeps both
    per thread): work that overlaps this thread's, e.g. a small program compiled beside a large one."""
    x64, device = jax.config.jax_enable_x64, jax.config.jax_default_device

    def run():
        with jax.enable_x64(x64), jax.default_device(device):
            return fn(*args)

    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(run)
    finally:
        pool.shutdown(wait=False)  # the thread ends with fn


def describe(devices: Sequence[jax.Device] | None = None) -> str:
    """``"cpu"``, ``"gpu (NVIDIA H200)"``, ``"2 x cpu"``: what a run computed on, for its metrics.

    Without an argument: JAX's current default device (``jax.default_device`` when set)."""
    if devices is None:
        d = jax.config.jax_default_device or jax.devices()[0]
        devices = [jax.devices(d)[0] if isinstance(d, str) else d]  # the setting may name a platform
    d = devices[0]
    name = d.platform if d.device_kind.lower() == d.platform else f"{d.platform} ({d.device_kind})"
    return name if len(devices) == 1 else f"{len(devices)} x {name}"
