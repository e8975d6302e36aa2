"""Settings: every experiment composes; every bad value is refused with one line naming the setting."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from xorjax import config, run
from xorjax.config import Config


@pytest.mark.parametrize("name", run._options("experiment"))
@pytest.mark.floors
def test_every_experiment_composes_into_a_valid_config(name):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"])
    s = run.settings(cfg)
    assert isinstance(s, Config)


@pytest.mark.floors
def test_defaults_are_the_labs():
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        s = run.settings(compose("config"))
    assert (s.seed, s.steps, s.loss, s.batch, s.log_every) == (0, 10001, "bce", "full", 1000)
    assert (s.model.hidden, s.model.activation) == ([2], "sigmoid")
    assert (s.optimizer.name, s.optimizer.lr, s.init.name, s.init.stddev) == ("sgd", 0.1, "normal", 1.0)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (["optimizer=adam"], ("adam", 0.01)),
        (["optimizer=momentum", "optimizer.lr=0.5"], ("momentum", 0.5)),
        (["experiment=logistic"], ("sgd", 0.1)),
    ],
)
@pytest.mark.floors
def test_groups_and_overrides_compose(overrides, expected):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        s = run.settings(compose("config", overrides=overrides))
    assert (s.optimizer.name, s.optimizer.lr) == expected
    assert s.model.hidden == ([] if "experiment=logistic" in overrides else [2])


@pytest.mark.parametrize(
    "args, words",
    [
        (["optimizer=rmsprop"], ["optimizer=rmsprop", "adam, momentum, sgd"]),
        (["experiment=nope"], ["experiment=nope", "handcrafted", "train"]),
        (["init=zeros"], ["init=zeros", "file, normal, uniform"]),
        (["model.activation=softmax"], ["model.activation=softmax", "relu, sigmoid, tanh"]),
        (["loss=hinge"], ["loss=hinge", "bce, mse"]),
        (["batch=mini"], ["batch=mini", "full, online"]),
        (["grad=numeric"], ["grad=numeric is not allowed: choose one of auto, manual"]),
        (["model.hidden=[0]"], ["model.hidden=[0]", ">= 1"]),
        (["model.hidden=[2,-1]"], ["model.hidden", ">= 1"]),
        (["optimizer.lr=0"], ["optimizer.lr=0", "> 0"]),
        (["optimizer.lr=-0.1"], ["optimizer.lr=-0.1", "> 0"]),
        (["optimizer.lr=nan"], ["optimizer.lr=nan", "finite"]),
        (["optimizer.lr=inf"], ["optimizer.lr=inf", "finite"]),
        (["steps=0"], ["steps=0", ">= 1"]),
        (["log_every=0"], ["log_every=0", ">= 1"]),
        (["seed=abc"], ["seed=abc is not allowed: must be an integer"]),
        (["seed=1.5"], ["seed=1.5", "an integer"]),
        # a seed is a 32-bit integer (jax.random.PRNGKey): so is every seed a sweep or landscape draws
        (["seed=3000000000"], ["seed=3000000000 is not allowed", "from -2147483648 to 2147483647"]),
        (["seed=-2147483649"], ["seed=-2147483649 is not allowed", "from -2147483648 to 2147483647"]),
        (
            ["experiment=sweep", "seed=2147483000", "sweep.seeds=1000"],
            ["sweep.seeds=1000 is not allowed with seed=2147483000", "last seed, 2147483999", "2147483647"],
        ),
        (["experiment=landscape", "landscape.seeds=[1,2147483648]"], ["landscape.seeds=[1, 2147483648]", "each"]),
        (["experiment=lecture", "seed=2147483000"], ["seed=2147483000 is not allowed with experiment=lecture", "1000"]),
        (["stpes=5"], ["stpes is not a setting; did you mean steps?"]),
        (["modle.hidden=[3]"], ["modle.hidden is not a setting; did you mean model.hidden?"]),
        (["model.hidden=0"], ["model.hidden=0 is not allowed: must be a list of integers"]),
        (["model.hidden=[2,x]"], ["model.hidden=[2,x]", "a list of integers"]),
        (["optimizer.lr=fast"], ["optimizer.lr=fast", "must be a number"]),
        (["logger.plots=maybe"], ["logger.plots=maybe", "true or false"]),
        (["experiment=sweep", "sweep.lrs=0.1"], ["sweep.lrs=0.1", "a list of numbers", "or null"]),
        (["backprop.wxb.q=1", "experiment=backprop"], ["backprop.wxb.q is not a setting", "backprop.wxb.w"]),
        (["+extra=1"], ["extra is not a setting"]),
        (["++extra.deep=1"], ["extra.deep is not a setting"]),
        (["~seed"], ["~seed", "cannot be removed"]),
        (["steps=many"], ["steps=many", "an integer"]),
        (["init=file"], ["init.path"]),
        (["-m", "seed=0,1,x"], ["seed=x", "an integer"]),
        (["-m", "steps=10", "optimizer.lr=0.1,-1"], ["optimizer.lr=-1.0", "> 0"]),
        # another experiment's setting is refused, naming whose it is
        (["derivatives.x=5"], ["derivatives.x is not read by experiment=train", "experiment=derivatives"]),
        (["experiment=derivatives", "steps=5"], ["steps is not read by experiment=derivatives", "train"]),
        (["experiment=handcrafted", "optimizer=adam"], ["optimizer is not read by experiment=handcrafted"]),
        (["experiment=lecture", "sweep.seeds=5"], ["sweep.seeds", "experiment=sweep, rhw1986"]),
        (["sweep.basin.size=8", "experiment=sweep"], ["sweep.basin.size", "experiment=basin"]),
    ],
)
def test_bad_settings_give_one_line_naming_the_setting(args, words):
    problem = run.check_overrides(args)
    assert problem is not None and "\n" not in problem
    for w in words:
        assert w in problem, (w, problem)


@pytest.mark.parametrize(
    "content, words",
    [
        (None, ["no such file"]),
        ("{not json", ["not valid JSON"]),
        ('{"W1": [[1, 2], [3, 4]], "b1": [0, 0], "W2": [[1], [1]]}', ["missing key", "b2"]),
        (
            '{"W1": [[1, 2, 3], [3, 4, 5]], "b1": [0, 0, 0], "W2": [[1], [1], [1]], "b2": [0]}',
            ["W1", "[2, 3]", "[2, 2]"],
        ),
        ('{"W1": [[1, NaN], [3, 4]], "b1": [0, 0], "W2": [[1], [1]], "b2": [0]}', ["W1", "NaN or inf"]),
        ('{"W1": [[1, Infinity], [3, 4]], "b1": [0, 0], "W2": [[1], [1]], "b2": [0]}', ["NaN or inf"]),
        ("[1, 2]", ["expected an object"]),
    ],
)
def test_bad_weight_files_are_refused_before_any_run(tmp_path, content, words):
    path = tmp_path / "weights.json"
    if content is not None:
        path.write_text(content)
    # handcrafted takes any well-formed net, so a 2-3-1 file is refused by train only
    for experiment in ("train",) if "[2, 3]" in words else ("train", "handcrafted"):
        problem = run.check_overrides([f"experiment={experiment}", "init=file", f"init.path={path}"])
        assert problem is not None and "\n" not in problem and "init.path" in problem
        for w in words:
            assert w in problem, (w, problem)


def test_good_settings_pass_the_check(tmp_path):
    assert run.check_overrides([]) is None
    # a setting is accepted when one of the multirun's experiments reads it
    assert run.check_overrides(["-m", "experiment=train,sweep", "sweep.seeds=5"]) is None
    assert run.check_overrides(["experiment=backprop", "backprop.inputs={x: 1}", "backprop.expr=x*x"]) is None
    assert run.check_overrides(["++seed=3", "hydra/launcher=joblib", "hydra.job.chdir=false"]) is None
    assert run.check_overrides(["-m", "seed=0,1,2", "model.hidden=[2],[3]", "optimizer=adam"]) is None
    assert run.check_overrides(["hydra.run.dir=somewhere", "model.hidden=[10,10,10]"]) is None


@pytest.mark.parametrize(
    "args",
    [
        ["-sc", "install=bash"],
        ["--hydra-help"],
        ["--info"],
        ["--info", "defaults"],
        ["--help"],
        ["-cn", "config", "seed=1"],
        ["--cfg", "job", "-p", "model"],
        ["--cfg", "hydra", "--resolve"],
        ["-cd", ".", "seed=1"],
        ["-r", "seed=1"],
    ],
)
def test_hydra_flags_arguments_are_not_taken_for_settings(args):
    assert run.check_overrides(args) is None


def test_every_setting_is_read_by_some_experiment_and_every_experiment_is_known():
    assert set(config.READS) == set(run._options("experiment"))
    assert all(any(config.reads(e, key) for e in config.READS) for key in config.schema())
    assert config.reads("train", "optimizer") and config.reads("handcrafted", "init")  # a group's section
    assert not config.reads("handcrafted", "optimizer.lr") and not config.reads("train", "sweep.seeds")


@pytest.mark.parametrize("name", run._options("experiment"))
def test_the_config_names_the_experiment_that_runs(name):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        assert run.settings(compose("config", overrides=[f"experiment={name}"])).experiment == name


def test_configs_live_in_the_top_level_conf_folder():
    assert Path(run.CONFIG_DIR).name == "conf" and (Path(run.CONFIG_DIR) / "config.yaml").is_file()
