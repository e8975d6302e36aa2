"""The whole lecture as one report: every section runs, its numbers are the lecture's, its pictures are there."""

import json
import re

import numpy as np
import pytest
from conftest import run_dirs

from xorjax.config import ANOTHER_WEIGHTS, Config, LoggerConfig
from xorjax.core import data, model
from xorjax.experiments import lecture
from xorjax.output import html_page

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_second_set_of_weights_also_computes_xor():
    params = {k: np.asarray(v, np.float32) for k, v in ANOTHER_WEIGHTS.items()}
    yhat, (hidden,) = model.predict(params, data.X)
    assert list(np.asarray(yhat) > 0.5) == [False, True, True, False]
    assert [lecture._gate(np.asarray(hidden)[:, j] > 0.5) for j in range(2)] == ["OR", "NAND"]


@pytest.mark.parametrize(
    "bits, name",
    [
        ((0, 0, 0, 1), "AND"),
        ((1, 0, 0, 0), "NOR"),
        ((0, 1, 1, 0), "XOR"),
        ((1, 1, 1, 0), "NAND"),
        ((0, 1, 0, 0), "x2 AND NOT x1"),
    ],
)
def test_gate_names_read_the_truth_table_in_the_lectures_order(bits, name):
    assert lecture._gate(bits) == name  # every one of the sixteen named, by atlas.GATES
    assert lecture._gate(bits, ("y1", "y2")) == name.replace("x", "y")


@pytest.mark.floors
def test_the_html_page_keeps_tables_and_carries_its_pictures(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "p.png").write_bytes(PNG + b"picture")
    md = "# T\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n![p](a/p.png)\n\n![gone](a/missing.png)\n\n`code` & <b>\n"
    (tmp_path / "r.md").write_text(md)
    page = html_page.write(tmp_path / "r.md", "A & B").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<title>A &amp; B</title>" in page
    assert "<table>" in page and "<td>1</td>" in page
    assert 'src="data:image/png;base64,iVBORw0KGgpwaWN0dXJl"' in page  # the file itself, inside the page
    assert 'src="a/missing.png"' in page  # a missing picture stays a link rather than failing the report


def test_the_single_layer_section_says_it_found_no_line_not_a_line(tmp_path):
    cfg = Config(logger=LoggerConfig(tensorboard=False, plots=True, progress=False))
    md, numbers = lecture.single_layer(cfg, tmp_path, "3_single_layer")
    assert numbers["accuracy"] <= 0.75
    assert "found no line at all: w ≈ 0, b ≈ 0, so ŷ = 0.5 on every pattern" in md
    assert "the single line it found" not in md and "![decision surface](3_single_layer/decision_surface.png)" in md


@pytest.mark.slow
def test_the_whole_lecture_in_one_command(run_xorjax, tmp_path):
    r = run_xorjax("experiment=lecture")  # its time is a benchmark's: python benchmarks/bench_run.py --lecture
    assert r.returncode == 0, r.stderr
    (out,) = run_dirs(tmp_path, "lecture.json")
    summary = json.loads((out / "lecture.json").read_text())
    assert summary["failed"] == []
    assert list(summary["sections"]) == [folder for folder, _, _ in lecture.SECTIONS]
    s = {k: v["numbers"] for k, v in summary["sections"].items()}
    assert s["1_handcrafted"]["predictions"] == pytest.approx([0.0112, 0.9949, 0.9949, 0.0244], abs=1e-4)
    assert (s["1_handcrafted"]["hidden_gates"], s["1_handcrafted"]["output_gate"]) == (["AND", "NOR"], "NOR")
    assert s["2_another"]["xor"] and s["2_another"]["output_gate"] == "AND"
    assert s["3_single_layer"]["accuracy"] in (0.5, 0.75)
    assert s["4_derivatives"]["rows"] >= 9
    assert s["5_backprop"]["wxb"]["output"] == -7 and s["5_backprop"]["wxb"]["grads"] == {"w": 5, "x": -2, "b": 1}
    assert s["5_backprop"]["xyz"]["grads"] == {"x": -4, "y": -4, "z": 3}
    assert s["6_train"]["status"] == "solved"
    assert s["7_how_often"]["starts"] == 1000 and 0 < s["7_how_often"]["success_rate"] < 1
    # the wider nets' solutions are mostly the 2-2-1 net's two mechanisms, plus spare units
    wider = s["7_how_often"]["mechanisms"]
    assert wider["2-2-1"]["lectures_two"] > 0.99 and wider["2-2-1"]["two_units"] == 1.0  # a few half-on units aside
    for net in ("2-3-1", "2-4-1"):
        assert wider[net]["lectures_two"] > 0.85 and wider[net]["two_units"] > 0.85 and wider[net]["mechanisms"] <= 30
    md = (out / "lecture.md").read_text()
    titles = re.findall(r"^## (.+)$", md, flags=re.M)
    assert titles == [title for _, title, _ in lecture.SECTIONS]
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(pictures) >= 14
    for p in pictures:
        assert (out / p).read_bytes()[:8] == PNG, p
    page = (out / "lecture.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(pictures) and page.count("<table>") >= 7
    # The playground (tests/test_playground.py drives it): a preset for each class of solutions the sweep found.
    classes = json.loads((out / "7_how_often" / "atlas.json").read_text())["configs"][0]["classes"]
    assert page.count('id="xj-verdict"') == 1 and '<h2 id="xj-title">Find another w and b</h2>' in page
    assert page.count('id="xj-preset-') == 2 + sum(1 for c in classes if c["weights"]) >= 4
