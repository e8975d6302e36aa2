"""Data flows one way (docs/design.md): the edge (run.py and its helpers) -> experiments/ -> core/ and lessons/,
with output/ below the experiments. Read off every module's imports, so a new import against the flow fails here."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xorjax"
EDGE = {"run.py", "command_line.py", "callbacks.py", "summary.py"}  # the only modules that read Hydra's configs


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function, as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["core", "lessons"])
def test_the_pure_core_imports_nothing_above_it(folder):
    assert modules(folder)
    for path in modules(folder):
        above = {
            m for m in imports(path) if m.startswith(("xorjax.output", "xorjax.experiments", "hydra", "omegaconf"))
        }
        assert not above, f"{path.relative_to(PACKAGE)} imports {sorted(above)}"


def test_only_the_edge_imports_hydra():
    for path in modules("."):
        hydra = {m for m in imports(path) if m.split(".")[0] in ("hydra", "omegaconf")}
        if path.relative_to(PACKAGE).as_posix() not in EDGE:
            assert not hydra, f"{path.relative_to(PACKAGE)} imports {sorted(hydra)}"


def test_output_writes_and_never_runs_an_experiment():
    for path in modules("output"):
        assert not {m for m in imports(path) if m.startswith("xorjax.experiments")}, path


def test_each_job_of_the_sweep_is_a_module_of_its_own():
    names = {p.stem for p in modules("experiments/sweep")}
    assert names == {"__init__", "plan", "chunk_store", "survey", "report", "pictures", "part_files"}
    everywhere = [p.stem for p in modules(".") if p.stem != "__init__"]
    assert len(everywhere) == len(set(everywhere)), "a module name is used twice"
