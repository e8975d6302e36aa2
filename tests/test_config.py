"""Settings: every experiment composes; every bad value is refused with one line naming the setting."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from xorjax import run
from xorjax.config import Config


@pytest.mark.parametrize("name", run._options("experiment"))
def test_every_experiment_composes_into_a_valid_config(name):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"])
    s = run.settings(cfg)
    assert isinstance(s, Config)


def test_defaults_are_the_labs():
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        s = run.settings(compose("config"))
    assert (s.seed, s.steps, s.loss, s.batch, s.log_every) == (0, 10001, "bce", "full", 1000)
    assert (s.model.hidden, s.model.activation) == ([2], "sigmoid")
    assert (s.optimizer.name, s.optimizer.lr, s.init.name, s.init.stddev) == ("sgd", 0.1, "normal", 1.0)


@pytest.mark.parametrize("overrides, expected", [
    (["optimizer=adam"], ("adam", 0.01)),
    (["optimizer=momentum", "optimizer.lr=0.5"], ("momentum", 0.5)),
    (["experiment=logistic"], ("sgd", 0.1)),
])
def test_groups_and_overrides_compose(overrides, expected):
    with initialize_config_dir(config_dir=run.CONFIG_DIR, version_base="1.3"):
        s = run.settings(compose("config", overrides=overrides))
    assert (s.optimizer.name, s.optimizer.lr) == expected
    assert s.model.hidden == ([] if "experiment=logistic" in overrides else [2])


@pytest.mark.parametrize("args, words", [
    (["optimizer=rmsprop"], ["optimizer=rmsprop", "adam, momentum, sgd"]),
    (["experiment=nope"], ["experiment=nope", "handcrafted", "train"]),
    (["init=zeros"], ["init=zeros", "file, normal, uniform"]),
    (["model.activation=softmax"], ["model.activation=softmax", "relu, sigmoid, tanh"]),
    (["loss=hinge"], ["loss=hinge", "bce, mse"]),
    (["batch=mini"], ["batch=mini", "full, online"]),
    (["model.hidden=[0]"], ["model.hidden=[0]", ">= 1"]),
    (["model.hidden=[2,-1]"], ["model.hidden", ">= 1"]),
    (["optimizer.lr=0"], ["optimizer.lr=0", "> 0"]),
    (["optimizer.lr=-0.1"], ["optimizer.lr=-0.1", "> 0"]),
    (["optimizer.lr=nan"], ["optimizer.lr=nan", "finite"]),
    (["optimizer.lr=inf"], ["optimizer.lr=inf", "finite"]),
    (["steps=0"], ["steps=0", ">= 1"]),
    (["log_every=0"], ["log_every=0", ">= 1"]),
    (["seed=abc"], ["seed=abc", "Integer"]),
    (["seed=1.5"], ["seed=1.5", "Integer"]),
    (["stpes=5"], ["stpes", "not in"]),
    (["steps=many"], ["steps=many", "Integer"]),
    (["init=file"], ["init.path"]),
    (["-m", "seed=0,1,x"], ["seed=x", "Integer"]),
])
def test_bad_settings_give_one_line_naming_the_setting(args, words):
    problem = run.check_overrides(args)
    assert problem is not None and "\n" not in problem
    for w in words:
        assert w in problem, (w, problem)


@pytest.mark.parametrize("content, words", [
    (None, ["no such file"]),
    ("{not json", ["not valid JSON"]),
    ('{"W1": [[1, 2], [3, 4]], "b1": [0, 0], "W2": [[1], [1]]}', ["missing key", "b2"]),
    ('{"W1": [[1, 2, 3], [3, 4, 5]], "b1": [0, 0, 0], "W2": [[1], [1], [1]], "b2": [0]}', ["W1", "[2, 3]", "[2, 2]"]),
    ('{"W1": [[1, NaN], [3, 4]], "b1": [0, 0], "W2": [[1], [1]], "b2": [0]}', ["W1", "NaN or inf"]),
    ('{"W1": [[1, Infinity], [3, 4]], "b1": [0, 0], "W2": [[1], [1]], "b2": [0]}', ["NaN or inf"]),
    ('[1, 2]', ["expected an object"]),
])
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
    assert run.check_overrides(["-m", "seed=0,1,2", "model.hidden=[2],[3]", "optimizer=adam"]) is None
    assert run.check_overrides(["hydra.run.dir=somewhere", "model.hidden=[10,10,10]"]) is None


def test_configs_live_in_the_top_level_conf_folder():
    assert Path(run.CONFIG_DIR).name == "conf" and (Path(run.CONFIG_DIR) / "config.yaml").is_file()
