"""Launchers and devices: a multirun through joblib, submitit_local and (a stand-in for) SLURM leaves every
job's run folder and the sweep summary; ``device`` picks the CPU or a GPU and the run says which it used."""

import csv
import json
import os
import stat
import types
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import PARTS_SWEEP, SPLIT_BY_JOBLIB, SPLIT_BY_SUBMITIT, run_dirs
from hydra import compose, initialize_config_dir

from xorjax import run
from xorjax.config import Config, validate
from xorjax.core import devices
from xorjax.errors import XorjaxError

# The cores this machine gives a process: a job may keep them all busy, or its share of them.
CORES = len(os.sched_getaffinity(0))


# --- device choice (fast) -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "device, many_starts, expected",
    [
        ("auto", False, "cpu"),  # one network: the CPU, whatever is installed
        ("auto", True, None),  # a sweep: JAX's default device, a GPU where there is one
        ("cpu", True, "cpu"),
        ("gpu", False, "gpu"),
    ],
)
def test_auto_keeps_one_network_on_the_cpu_and_sends_sweeps_to_the_default_device(device, many_starts, expected):
    assert devices.platform(device, many_starts) == expected


def test_every_experiment_that_trains_many_starts_is_known_as_such():
    assert devices.MANY_STARTS <= set(run._options("experiment"))
    assert {"train", "handcrafted", "logistic"}.isdisjoint(devices.MANY_STARTS)


def test_device_setting_accepts_auto_cpu_gpu_only():
    for ok in devices.DEVICES:
        assert validate(Config(device=ok)).device == ok
    with pytest.raises(XorjaxError, match=r"^device=tpu is not allowed: choose one of auto, cpu, gpu$"):
        validate(Config(device="tpu"))


@pytest.mark.parametrize(
    "omp, cores, expected",
    [
        (None, None, 2),  # a process of its own: every core
        ("1", None, 1),  # a worker of joblib with n_jobs=2 on 2 cores
        ("64", None, 2),  # never more than the cores there are
        ("x", None, 2),  # nonsense is ignored
        ("2", 1, 1),  # a submitit job's cpus_per_task comes first
    ],
)
def test_cpu_share_follows_joblib_and_cpus_per_task(monkeypatch, omp, cores, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert devices.cpu_share(cores) == expected


def test_gpu_is_refused_before_any_backend_starts_where_it_cannot_work(monkeypatch):
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    with pytest.raises(XorjaxError, match=r"^device=gpu is not allowed: JAX_PLATFORMS=cpu hides any GPU"):
        devices.check("gpu")
    monkeypatch.delenv("JAX_PLATFORMS")
    monkeypatch.setattr(devices, "_gpu_plugin_installed", lambda: False)
    with pytest.raises(XorjaxError, match=r"this JAX is CPU-only \(pip install 'xorjax\[cuda\]'"):
        devices.check("gpu")
    monkeypatch.setattr(devices, "_gpu_plugin_installed", lambda: True)
    devices.check("gpu")  # a plugin is there: JAX decides when the run starts
    for fine in ("auto", "cpu"):
        devices.check(fine)


def test_a_gpu_asked_for_but_absent_is_one_clear_error():
    jax.devices()  # backends started: choosing a device here changes no JAX setting of the test session
    with pytest.raises(XorjaxError, match=r"^device=gpu is not allowed: JAX finds no GPU here"):
        devices.select("gpu", many_starts=True)


def test_the_chosen_device_becomes_the_default_and_is_described():
    jax.devices()  # backends started: choosing a device here changes no JAX setting of the test session
    with devices.use("auto", many_starts=False) as d:
        assert d.platform == "cpu"
        assert jax.numpy.ones(3).devices() == {d}
        assert devices.describe() == "cpu"


@pytest.mark.parametrize(
    "found, expected",
    [
        ([("cpu", "cpu")], "cpu"),
        ([("cpu", "cpu")] * 2, "2 x cpu"),
        ([("gpu", "NVIDIA H200")], "gpu (NVIDIA H200)"),
        ([("gpu", "NVIDIA H100 80GB HBM3")] * 8, "8 x gpu (NVIDIA H100 80GB HBM3)"),
    ],
)
def test_describe_names_platform_kind_and_count(found, expected):
    fake = [types.SimpleNamespace(platform=p, device_kind=k) for p, k in found]
    assert devices.describe(fake) == expected


# --- launcher configs (fast) ----------------------------------------------------------------------------------


@pytest.mark.floors
def test_slurm_launcher_is_submitit_slurm_with_xorjax_defaults():
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        cfg = compose(
            "config", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=gpu"], return_hydra_config=True
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert (launcher.timeout_min, launcher.cpus_per_task, launcher.mem_gb, launcher.tasks_per_node) == (60, 2, 8, 1)
    assert (launcher.array_parallelism, launcher.max_num_timeout, launcher.partition) == (64, 0, "gpu")
    assert launcher.gpus_per_node is None and launcher.setup is None


@pytest.mark.floors
def test_launcher_choices_pass_through_the_early_check():
    for launcher in ("joblib", "submitit_local", "submitit_slurm", "slurm"):
        assert run.check_overrides(["-m", f"hydra/launcher={launcher}", "seed=0,1"]) is None
    assert run.check_overrides(["device=tpu"]) == "device=tpu is not allowed: choose one of auto, cpu, gpu"


# --- end to end (slow) ----------------------------------------------------------------------------------------


def sweep_folder(root: Path) -> Path:
    (folder,) = (root / "outputs" / "multirun").glob("*/*")
    return folder


def summary_rows(folder: Path) -> list[dict]:
    with open(folder / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def atlas(job: Path) -> dict:
    return json.loads((job / "atlas.json").read_text())


@pytest.mark.slow
def test_gpu_on_a_cpu_only_machine_is_one_line_and_no_folder(run_xorjax, tmp_path):
    r = run_xorjax("device=gpu")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("xorjax: device=gpu is not allowed: JAX_PLATFORMS=cpu hides any GPU")
    assert not (tmp_path / "outputs").exists()


def assert_parts_ran_as_jobs(root: Path, parts: int, devices: int) -> Path:
    """The multirun in ``root`` of conftest's SPLIT_BY_*, a sweep of 144 starts in ``parts`` parts: each job left
    its run folder with its own part of the sweep (its override reached it), every start of that part trained on
    ``devices`` JAX CPU devices, and the summary has a row per setting of each job, and of their merge. Returns the
    multirun folder."""
    folder = sweep_folder(root)
    jobs = [job for job in run_dirs(root, "atlas.json") if job.parent == folder]
    assert [j.name.split("_")[0] for j in jobs] == [str(k) for k in range(parts)]
    size = 144 // parts
    for k, job in enumerate(jobs):
        a = atlas(job)
        assert a["part"]["part"] == k and a["part"]["starts"] == [size * k, size * (k + 1)]
        assert sum(sum(c["outcomes"].values()) for c in a["configs"]) == size
        assert a["timing"]["devices"] == devices
    seeds = {}
    for r in summary_rows(folder):
        seeds[r["job"]] = seeds.get(r["job"], 0) + int(r["seeds"])
    assert seeds == {**{str(k): size for k in range(parts)}, "merged/0": 144}
    return folder


@pytest.mark.slow
def test_joblib_runs_jobs_in_parallel_workers_each_on_its_share_of_the_cores(shared_run):
    r, root = shared_run(*SPLIT_BY_JOBLIB)  # a sweep's 4 parts as 4 jobs (test_parts merges them)
    assert r.returncode == 0, r.stderr
    assert "Joblib.Parallel(n_jobs=2" in r.stdout
    # joblib gives each of its 2 workers half the cores: each job trains on that many JAX CPU devices
    assert_parts_ran_as_jobs(root, parts=4, devices=max(1, CORES // 2))


@pytest.mark.slow
def test_a_single_run_computes_on_the_cpu_and_records_it(shared_run):
    r, root = shared_run()  # the default run (test_run reads the rest of it)
    assert r.returncode == 0, r.stderr
    (job,) = run_dirs(root)
    assert json.loads((job / "metrics.json").read_text())["device"] == "cpu"


@pytest.mark.slow
def test_submitit_local_runs_each_job_as_its_own_process(shared_run):
    r, root = shared_run(*SPLIT_BY_SUBMITIT)  # a sweep's 2 parts, cpus_per_task=1 (test_parts merges them)
    assert r.returncode == 0, r.stderr
    # cpus_per_task=1, which submitit_local itself does not enforce: one device each
    folder = assert_parts_ran_as_jobs(root, parts=2, devices=1)
    logs = sorted((folder / ".submitit").glob("*/*_log.out"))
    assert len(logs) == 2 and all("starts" in log.read_text() for log in logs)  # submitit's record of each job


# A stand-in for SLURM: the same submitit code path as on a cluster (sbatch script, job array, srun, sacct),
# with the array's tasks run here, one after another.
FAKE_SLURM = r"""#!PYTHON
import os, re, subprocess, sys, time
from pathlib import Path

state = Path(os.environ["FAKE_SLURM_STATE"])
tool = "run" if sys.argv[1:2] == ["--run"] else Path(sys.argv[0]).name
if tool == "sbatch":
    text = Path(sys.argv[-1]).read_text()
    jid = str(1000 + len(list(state.glob("*.sbatch"))))
    (state / f"{jid}.sbatch").write_text(text)
    first, last = map(int, re.search(r"^#SBATCH --array=(\d+)-(\d+)", text, re.M).groups())
    for task in range(first, last + 1):
        (state / f"{jid}_{task}").write_text("PENDING")
    subprocess.Popen([sys.executable, __file__, "--run", jid, str(first), str(last)], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"Submitted batch job {jid}")
elif tool == "run":
    jid, first, last = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    script = state / f"{jid}.sbatch"
    folder = re.search(r"_submit (\S+)$", script.read_text(), re.M)[1]
    for task in range(first, last + 1):
        pickle = Path(folder.replace("%j", f"{jid}_{task}")) / f"{jid}_{task}_submitted.pkl"
        for _ in range(600):  # submitit moves each task's pickle into place after sbatch answers
            if pickle.exists():
                break
            time.sleep(0.1)
        (state / f"{jid}_{task}").write_text("RUNNING")
        env = dict(os.environ, SLURM_JOB_ID=str(int(jid) + 1 + task), SLURM_ARRAY_JOB_ID=jid,
                   SLURM_ARRAY_TASK_ID=str(task), SLURM_NTASKS="1", SLURM_JOB_NUM_NODES="1", SLURM_NODEID="0",
                   SLURM_JOB_NODELIST="fake", SLURM_PROCID="0", SLURM_LOCALID="0")
        rc = subprocess.run(["bash", str(script)], env=env).returncode
        (state / f"{jid}_{task}").write_text("COMPLETED" if rc == 0 else "FAILED")
elif tool == "srun":
    args, files, e = sys.argv[1:], {}, os.environ
    while args[0].startswith("--"):
        flag = args.pop(0)
        if flag in ("--output", "--error"):
            files[flag] = (args.pop(0).replace("%A", e["SLURM_ARRAY_JOB_ID"])
                           .replace("%a", e["SLURM_ARRAY_TASK_ID"]).replace("%t", "0"))
    with open(files["--output"], "a") as out, open(files.get("--error", os.devnull), "a") as err:
        sys.exit(subprocess.run(args, stdout=out, stderr=err).returncode)
elif tool == "sacct":
    print("JobID|State|NodeList")
    for p in sorted(state.glob("*_*")):
        print(f"{p.name}|{p.read_text()}|fake")
"""


@pytest.mark.slow
def test_slurm_defaults_reach_sbatch_and_every_array_task_leaves_its_run_folder(run_xorjax, tmp_path, monkeypatch):
    import sys

    bin_dir, state = tmp_path / "bin", tmp_path / "slurm"
    bin_dir.mkdir()
    state.mkdir()
    tool = bin_dir / "fake_slurm.py"
    tool.write_text(FAKE_SLURM.replace("PYTHON", sys.executable))
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    for name in ("sbatch", "srun", "sacct"):
        (bin_dir / name).symlink_to(tool)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SLURM_STATE", str(state))

    # the sweep of conftest's SPLIT_BY_* in 2 parts: the second job loads the program the first compiled
    r = run_xorjax(
        "-m",
        "hydra/launcher=slurm",
        "hydra.launcher.partition=cpu",
        *PARTS_SWEEP,
        "logger.plots=false",
        "sweep.parts=2",
        "sweep.part=0,1",
    )
    assert r.returncode == 0, r.stderr
    script = (state / "1000.sbatch").read_text().splitlines()
    for line in (
        "#SBATCH --array=0-1%2",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --mem=8GB",
        "#SBATCH --time=60",
        "#SBATCH --partition=cpu",
        "#SBATCH --nodes=1",
        "#SBATCH --ntasks-per-node=1",
    ):
        assert line in script
    assert not any("gpus" in line for line in script)
    assert [(state / f"1000_{t}").read_text() for t in (0, 1)] == ["COMPLETED", "COMPLETED"]
    assert_parts_ran_as_jobs(tmp_path, parts=2, devices=min(2, CORES))  # slurm.yaml's cpus_per_task


def test_work_beside_this_thread_keeps_its_64_bit_mode_and_default_device():
    # JAX keeps both per thread: a start drawn beside a compile must be drawn as this thread would draw it.
    cpu = jax.devices("cpu")[-1]
    with jax.enable_x64(True), jax.default_device(cpu):
        x = devices.beside(lambda: jnp.zeros(1)).result()
    assert x.dtype == np.float64 and x.devices() == {cpu}
    assert devices.beside(lambda: jnp.zeros(1).dtype).result() == np.float32
