"""The dependency floors are true: pyproject.toml's lower bounds are pinned in .ci/floors.txt, which .ci/run
installs in a venv of its own to run the ``floors`` subset of the tests, and that subset exercises the whole
stack (the model, a sweep, end-to-end runs of ``python -m xorjax.run``)."""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / ".ci" / "floors.txt"
CI = ROOT / ".ci" / "run"


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement(text):
    """("name", "[extras]", ["specifier", ...]) of a PEP 508 requirement without markers."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*(\[[^\]]*\])?\s*(.*)", text)
    assert m and ";" not in text, f"can't read the requirement {text!r}"
    return normalized(m[1]), m[2] or "", [s.strip() for s in m[3].split(",") if s.strip()]


def floor(text):
    """(name, its lowest allowed version): the one ``>=`` of a requirement, or its ``==`` pin (a tool pinned
    exactly, whose pin is its floor too)."""
    name, _, specs = requirement(text)
    floors = [s[2:].strip() for s in specs if s.startswith((">=", "=="))]
    assert len(floors) == 1, f"{text!r} needs one floor (>=)"
    return name, floors[0]


def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pyproject_floors():
    p = project()
    return dict(floor(r) for r in p["dependencies"] + p["optional-dependencies"]["test"])


def pinned():
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9_.-]*)==(\S+)", line)
            assert m, f".ci/floors.txt: {line!r} is not name==version"
            assert normalized(m[1]) not in pins, f".ci/floors.txt pins {m[1]} twice"
            pins[normalized(m[1])] = m[2]
    return pins


def test_every_dependency_and_test_dependency_has_a_floor():
    floors = pyproject_floors()  # raises for any without exactly one >=
    assert {"jax", "jaxlib", "optax", "hydra-core", "numpy", "pytest", "hypothesis"} <= set(floors)
    assert floors["jax"] == floors["jaxlib"]


def test_the_constraints_pin_exactly_the_pyproject_floors():
    assert pinned() == pyproject_floors()


def test_every_extra_agrees_with_the_floors():
    floors = pyproject_floors()
    for extra, reqs in project()["optional-dependencies"].items():
        for r in reqs:
            name, value = floor(r)
            assert floors.get(name, value) == value, f"extra {extra}: {r} but the floor of {name} is {floors[name]}"
    assert any(requirement(r)[0] == "jax" for r in project()["optional-dependencies"]["cuda"])


def test_ci_runs_the_floors_subset_in_a_venv_of_its_own_with_the_constraints():
    lines = [line.strip() for line in CI.read_text().splitlines()]
    assert "set -euo pipefail" in lines

    def at(pattern):
        found = [i for i, line in enumerate(lines) if re.search(pattern, line) and not line.startswith("#")]
        assert found, f".ci/run has no line matching {pattern}"
        return found[0]

    # README's own commands first, unchanged; then the floors, in a venv outside the repository.
    readme_install, readme_tests = at(r'^python -m pip install -q -e "\.\[test\]"$'), at(r"^python -m pytest -q$")
    venv = at(r'^floors_venv="\$\{TMPDIR:-/tmp\}/')
    make = at(r'python -m venv "\$floors_venv"')
    install = at(r'^"\$floors_venv/bin/python" -m pip install .*-e "\.\[test\]" -c \.ci/floors\.txt$')
    tests = at(r'^"\$floors_venv/bin/python" -m pytest -q -m floors')
    assert readme_install < readme_tests < venv < make < install < tests
    assert "||" not in lines[install] + lines[tests], "a failing floors run must fail CI"


def test_the_floors_marker_selects_the_whole_stack(tmp_path):
    """Collects ``pytest -m floors`` (no test runs) and reads what it selects, with each item's markers."""
    out = tmp_path / "items.json"
    marked = sorted(
        str(f.relative_to(ROOT)) for f in (ROOT / "tests").glob("test_*.py") if "pytest.mark.floors" in f.read_text()
    )  # the others need not be imported
    script = (
        "import json, sys, pytest\n"
        "class Items:\n"
        "    def pytest_collection_finish(self, session):\n"
        "        items = [[i.nodeid, sorted({m.name for m in i.iter_markers()})] for i in session.items]\n"
        f"        open({str(out)!r}, 'w').write(json.dumps(items))\n"
        "sys.exit(pytest.main(['--collect-only', '-q', '-m', 'floors', '-p', 'no:cacheprovider', '-o', 'addopts=',\n"
        f"                     *{marked!r}],\n"
        "                     plugins=[Items()]))\n"
    )
    # Collecting needs no plugin (a second sooner), so no pytest-xdist either: addopts' -n is dropped.
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    items = json.loads(out.read_text())
    assert len(items) >= 40, f"only {len(items)} tests are marked floors"
    files = {nodeid.split("::")[0] for nodeid, _ in items}
    for name in ("model", "train", "sweep", "config", "tensorboard", "backprop", "launchers"):
        assert f"tests/test_{name}.py" in files, f"no floors test in tests/test_{name}.py"
    end_to_end = [nodeid for nodeid, marks in items if "slow" in marks]  # a subprocess `python -m xorjax.run`
    assert any(nodeid.startswith("tests/test_sweep.py::") for nodeid in end_to_end), "no end-to-end sweep"
    assert any(not nodeid.startswith("tests/test_sweep.py::") for nodeid in end_to_end), "no end-to-end run"
    assert not any(nodeid.startswith("tests/test_floors.py::") for nodeid, _ in items)


def test_lint_and_format_are_one_ruff_in_ci_and_in_pre_commit():
    """CI and the pre-commit hooks run the same two ruff checks with the ruff the test extra pins."""
    from omegaconf import OmegaConf

    (pin,) = [r for r in project()["optional-dependencies"]["test"] if normalized(r).startswith("ruff==")]
    hooks = {h.id: h for repo in OmegaConf.load(ROOT / ".pre-commit-config.yaml").repos for h in repo.hooks}
    assert set(hooks) == {"ruff-check", "ruff-format"}
    assert all(list(h.additional_dependencies) == [pin] for h in hooks.values())
    assert hooks["ruff-check"].entry.startswith("ruff check") and hooks["ruff-format"].entry.startswith("ruff format")
    ci = CI.read_text()
    assert "python -m ruff check ." in ci and "python -m ruff format --check ." in ci
    assert ci.index("ruff format --check") < ci.index("python -m pytest -q")  # before the tests, as a commit does
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert settings["line-length"] == 120 and {"E", "F", "I", "B", "UP"} <= set(settings["lint"]["select"])
