"""The command line as a user meets it: Hydra's own flags, xorjax's --help, tab completion, one-line refusals."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from xorjax import run

pytestmark = pytest.mark.slow


def test_help_presents_xorjax_its_experiments_settings_and_examples(run_xorjax):
    r = run_xorjax("--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("xorjax: ") and "powered by Hydra" not in r.stdout
    for name in run._options("experiment"):
        assert re.search(rf"^  {name} +\S", r.stdout, re.M), name  # every experiment, with what it does
    assert "seed=0  steps=10001" in r.stdout and "optimizer=sgd (sgd | momentum | adam)   optimizer.lr=0.1" in r.stdout
    assert r.stdout.count("python -m xorjax.run") >= 5  # usage and three examples
    # the values shown are this command line's
    r = run_xorjax("--help", "experiment=sweep", "optimizer=adam")
    assert (
        "(this command line: sweep)" in r.stdout and "sweep.seeds=10000" in r.stdout and "optimizer.lr=0.01" in r.stdout
    )


def test_cfg_job_shows_which_experiment_runs(run_xorjax):
    r = run_xorjax("--cfg", "job", "experiment=rhw1986")
    assert r.returncode == 0 and r.stdout.startswith("experiment: rhw1986\n"), r.stdout
    r = run_xorjax("--cfg", "job", "--package", "model")
    assert r.returncode == 0 and "hidden:" in r.stdout and "seed" not in r.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (["-sc", "install=bash"], "hydra_bash_completion"),
        (["--hydra-help"], "Hydra"),
        (["--info", "defaults"], "experiment/train"),
        (["-cn", "config", "--cfg", "job"], "experiment: train"),
        (["--cfg", "hydra", "--resolve"], "run:"),
    ],
)
def test_every_hydra_flag_works(run_xorjax, tmp_path, args, expected):
    r = run_xorjax(*args)
    assert r.returncode == 0 and expected in r.stdout, (r.stdout[-500:], r.stderr)
    assert not (tmp_path / "outputs").exists()


def test_no_config_sets_hydra_mode_so_the_command_line_alone_decides_it():
    # run.main skips Hydra's composing the config a first time only to read hydra.mode (Hydra.get_mode): that
    # holds while no experiment's or launcher's config sets it, in the multirun mode get_mode composes in.
    from hydra import initialize_config_dir
    from hydra._internal.hydra import Hydra
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    choices = [f"experiment={name}" for name in run._options("experiment")]
    choices += [f"hydra/launcher={name}" for name in ("joblib", "submitit_local", "slurm")]
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        hydra = Hydra(task_name="xorjax", config_loader=GlobalHydra.instance().config_loader())
        for choice in choices:
            cfg = hydra.compose_config("config", [choice], run_mode=RunMode.MULTIRUN, validate_sweep_overrides=False)
            assert cfg.hydra.mode is None and cfg.hydra.runtime.choices.experiment, choice


def test_a_config_dir_of_ones_own_adds_options(run_xorjax, tmp_path):
    (tmp_path / "mine" / "optimizer").mkdir(parents=True)
    (tmp_path / "mine" / "optimizer" / "fast.yaml").write_text("name: momentum\nlr: 0.5\n")
    r = run_xorjax("-cd", "mine", "optimizer=fast", "--cfg", "job", "--package", "optimizer")
    assert r.returncode == 0 and "lr: 0.5" in r.stdout and "name: momentum" in r.stdout, r.stderr


def test_tab_completion_completes_groups_and_keys(tmp_path):
    exe = shutil.which("xorjax")
    if exe is None:
        pytest.fail("the `xorjax` command is not installed (pyproject.toml [project.scripts])")
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    for line, expected in (
        ("xorjax optimizer=a", "optimizer=adam"),
        ("xorjax modle", ""),
        ("xorjax model.h", "model.hidden"),
    ):
        r = subprocess.run(
            [exe, "-sc", "query=bash"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=dict(env, COMP_LINE=line, COMP_POINT=str(len(line))),
        )
        assert r.returncode == 0 and expected in r.stdout, (line, r.stdout, r.stderr)
    script = subprocess.run([exe, "-sc", "install=bash"], capture_output=True, text=True, env=env).stdout
    r = subprocess.run(["bash", "-c", script + "\ncomplete -p xorjax"], capture_output=True, text=True)
    assert "hydra_bash_completion xorjax" in r.stdout, r.stderr


@pytest.mark.parametrize(
    "args, line",
    [
        (["modle.hidden=[3]"], "xorjax: modle.hidden is not a setting; did you mean model.hidden?"),
        (["model.hidden=0"], "xorjax: model.hidden=0 is not allowed: must be a list of integers, e.g. [2,2]"),
        (["+extra=1"], "xorjax: extra is not a setting;"),
        (
            ["derivatives.x=5"],
            "xorjax: derivatives.x is not read by experiment=train: it is a setting of experiment=derivatives",
        ),
    ],
)
def test_a_wrong_setting_is_one_line_and_makes_no_folder(tmp_path, monkeypatch, capsys, args, line):
    # The command's own entry point, in this process: these are refused before Hydra or JAX start. (That a real
    # process prints that one line and nothing else: test_run, test_sweep, test_graph, test_launchers.)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["xorjax", *args])
    with pytest.raises(SystemExit) as e:
        run.main()
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith(line) and err.count("\n") == 1, err
    assert not (tmp_path / "outputs").exists()
