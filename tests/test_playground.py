"""The playground ("find another w and b"): the page it writes, and that page driven in headless Chromium, where
what it shows must be the JAX forward pass of the weights in its link."""

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from conftest import ANOTHER_ANSWER

from xorjax.config import ANOTHER_WEIGHTS as ANOTHER
from xorjax.config import LECTURE_WEIGHTS
from xorjax.core import atlas, data, model
from xorjax.experiments import handcrafted
from xorjax.output import io, playground

RNG = np.random.default_rng(13)
# Weights as training leaves them (float32, every digit in the link), and large ones where a naive sigmoid overflows.
RANDOM = {k: RNG.normal(0, 6, shape).astype(np.float32) for k, shape in playground.SHAPES.items()}
HUGE = {"W1": [[800.0, -750.0], [-900.0, 820.0]], "b1": [-400.0, -300.0], "W2": [[1e3], [-1e3]], "b2": [-600.0]}


def params_of(numbers) -> dict:
    """The nine numbers of a fragment, in its order, as weights (float32, as the runs keep them)."""
    out, k = {}, 0
    for name, shape in playground.SHAPES.items():
        n = int(np.prod(shape))
        out[name] = np.asarray(numbers[k : k + n], np.float32).reshape(shape)
        k += n
    return out


def expected(params):
    """ŷ of the four patterns by the JAX forward pass, and whether the weights compute XOR."""
    yhat, (hidden,) = model.predict({k: np.asarray(v, np.float32) for k, v in params.items()}, data.X)
    yhat = np.asarray(yhat)
    return yhat, bool(np.all((yhat > 0.5) == (data.Y > 0.5))), np.asarray(hidden)


def page_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="xj-data">(.*?)</script>', page, re.S)[1])


# --- the page as Python writes it --------------------------------------------------------------------------


@pytest.mark.floors
def test_the_link_holds_weights_json_row_by_row():
    assert playground.fragment(LECTURE_WEIGHTS) == "W1=5,-7,5,-7&b1=-8,3&W2=-11,-11&b2=6"
    assert playground.fragment(ANOTHER) == "W1=20,-20,20,-20&b1=-10,30&W2=20,20&b2=-30"
    numbers = [float(v) for part in playground.fragment(RANDOM).split("&") for v in part.split("=")[1].split(",")]
    back = params_of(numbers)
    assert all(np.array_equal(back[k], RANDOM[k]) for k in RANDOM)  # every float32 digit survives the link


@pytest.mark.floors
def test_the_page_holds_the_hooks_the_fragment_code_and_the_projects_names():
    page = playground.page(LECTURE_WEIGHTS, handcrafted.presets())
    for p in range(4):
        assert page.count(f'id="xj-yhat-{p}"') == 1
    assert page.count('id="xj-verdict"') == 1
    assert "history.replaceState" in page and '"hashchange"' in page and "location.hash" in page
    assert not re.search(r"(src|href)=|https?://|@import", page), "the page must need no network and no file"
    values = page_data(page)
    names = ["W1[0][0]", "W1[0][1]", "W1[1][0]", "W1[1][1]", "b1[0]", "b1[1]", "W2[0][0]", "W2[1][0]", "b2[0]"]
    assert values["names"] == names
    assert values["start"] == playground.flat(LECTURE_WEIGHTS) == [5, -7, 5, -7, -8, 3, -11, -11, 6]
    assert [values["patterns"], values["targets"]] == [[list(p) for p in data.PATTERNS], list(data.TARGETS)]
    assert values["gates"]["x"] == [atlas.GATES[tuple(int(b) for b in f"{i:04b}")] for i in range(16)]
    assert values["gates"]["y"][4] == "y2 AND NOT y1" and values["saturation"] == model.SATURATION
    assert [p["label"] for p in values["presets"]] == ["AND + NOR → NOR", "OR + NAND → AND"]


@pytest.mark.floors
def test_a_sweeps_classes_become_presets_named_by_their_gates(tmp_path):
    (tmp_path / "solutions").mkdir()
    io.write_json(tmp_path / "solutions" / "s0-f01.weights.json", io.weights_to_json(ANOTHER))
    classes = [
        {"class": "AND + OR -> h2 AND NOT h1", "share": 0.6, "seed": 7, "weights": "solutions/s0-f01.weights.json"},
        {"class": "x1 AND NOT x2 + x2 AND NOT x1 -> OR", "share": 0.4, "seed": 9, "weights": None},  # no file kept
    ]
    configs = [{"hidden": [2], "classes": classes}, {"hidden": [2], "classes": classes[:1]}]  # one class, two lrs
    (tmp_path / "atlas.json").write_text(json.dumps({"activation": "sigmoid", "configs": configs}))
    (preset,) = playground.class_presets(tmp_path / "atlas.json")
    assert preset.label == "OR + NAND → AND"
    assert preset.note == "class 1: 60.0% of the sweep's solutions (seed 7)"
    assert preset.weights == {k: np.asarray(v, float).tolist() for k, v in ANOTHER.items()}
    assert [p.label for p in handcrafted.presets(tmp_path / "atlas.json")][2:] == ["OR + NAND → AND"]


@pytest.mark.floors
@pytest.mark.parametrize(
    "hidden, activation, why",
    [([3], "sigmoid", "not this 2-3-1 sigmoid one"), ([2], "tanh", "not this 2-2-1 tanh one"), ([], "sigmoid", "2-1")],
)
def test_other_nets_get_one_line_and_no_playground(tmp_path, hidden, activation, why):
    params = {k: np.ones(shape, np.float32) for k, shape in model.param_shapes(hidden).items()}
    line = handcrafted.write_playground(tmp_path, params, activation)
    assert "playground.html is for the 2-2-1 sigmoid net" in line and why in line and "\n" not in line
    assert not (tmp_path / "playground.html").exists()


# --- the page in a real browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Debian's chromium and chromium-driver, driven by selenium) for the module's tests.
    Missing, it skips them here and fails them in CI (CI=true), where the browser tests must run."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium")
    if missing:
        why = f"no {', '.join(missing)}: apt-get install chromium chromium-driver; pip install -e '.[test]'"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run in CI: {why}")
        pytest.skip(why)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1366,1100",
    ):
        options.add_argument(arg)  # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
    with webdriver.Chrome(service=Service(executable_path=driver), options=options) as session:
        yield session


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("playground") / "playground.html"
    io.write_atomic(path, playground.page(LECTURE_WEIGHTS, handcrafted.presets()))
    return path.as_uri()


def open_page(browser, url):
    browser.get("about:blank")  # so that the page loads anew rather than only moving to another fragment
    browser.get(url)


def shown(browser):
    """What the page shows: ŷ of the four patterns (its hooks xj-yhat-0..3), the verdict, the gates' sentence."""
    by_id = browser.find_element
    yhat = [float(by_id("id", f"xj-yhat-{p}").text) for p in range(4)]
    return np.array(yhat), by_id("id", "xj-verdict").text, by_id("id", "xj-gates").text


def weights_in_link(browser) -> dict:
    numbers = re.findall(r"=([^&]*)", unquote(urlsplit(browser.current_url).fragment))
    return params_of([float(v) for part in numbers for v in part.split(",")])


def assert_shows(browser, params):
    """The page shows the JAX forward pass of ``params`` (to 1e-4), the right verdict, and keeps them in its link."""
    yhat, verdict, _ = shown(browser)
    want, is_xor, _ = expected(params)
    np.testing.assert_allclose(yhat, want, atol=1e-4)
    if is_xor:
        assert verdict == "These weights compute XOR."
    else:
        assert verdict.startswith("These weights do not compute XOR: wrong on ")
        for p, x in enumerate(data.PATTERNS):
            wrong = (want[p] > 0.5) != (data.Y[p] > 0.5)
            assert (f"({x[0]},{x[1]}) (ŷ" in verdict) == wrong, (x, verdict)
    link = weights_in_link(browser)
    assert all(np.array_equal(link[k], np.asarray(params[k], np.float32)) for k in params)


@pytest.mark.floors
@pytest.mark.parametrize(
    "params", [LECTURE_WEIGHTS, ANOTHER, RANDOM, HUGE], ids=["lecture", "or-nand-and", "random", "huge"]
)
def test_a_link_opens_the_page_at_its_weights_with_the_forward_pass_of_jax(browser, page_url, params):
    open_page(browser, f"{page_url}#{playground.fragment(params)}")
    assert_shows(browser, params)
    assert browser.find_element("id", "xj-note").is_displayed() is False


@pytest.mark.floors
def test_the_gates_are_named_as_the_lecture_names_them(browser, page_url):
    for params in (LECTURE_WEIGHTS, ANOTHER):
        open_page(browser, f"{page_url}#{playground.fragment(params)}")
        *_, hidden = expected(params)
        first, second = (atlas.gate_name(tuple(int(v) for v in hidden[:, j] > 0.5)) for j in range(2))
        output = playground.gates(params).split(" → ")[1]
        sentence = (
            f"Hidden unit 1 behaves as {first}, hidden unit 2 as {second}, and the output as {output} of (y1, y2)."
        )
        assert shown(browser)[2] == sentence


@pytest.mark.floors
def test_a_value_the_page_cannot_read_is_named_and_the_others_are_kept(browser, page_url):
    open_page(browser, f"{page_url}#W1=5,abc,5,-7&b1=-8,3&W2=-11,-11&b2=9")
    note = browser.find_element("id", "xj-note")
    assert note.is_displayed() and 'could not read W1[0][1] = "abc": kept -7' in note.text
    assert_shows(browser, {**LECTURE_WEIGHTS, "b2": [9.0]})  # b2 from the link, W1[0][1] the page's own
    browser.find_element("id", "xj-reset").click()
    assert not note.is_displayed()  # the note was about the link, which the page has moved on from


@pytest.mark.floors
def test_a_new_fragment_in_the_address_bar_is_read(browser, page_url):
    open_page(browser, page_url)
    assert_shows(browser, LECTURE_WEIGHTS)  # no fragment: the page's own weights, written into its link
    browser.execute_script("location.hash = arguments[0]", playground.fragment(RANDOM))
    assert_shows(browser, RANDOM)


@pytest.mark.floors
def test_moving_a_slider_or_typing_a_number_changes_the_table_and_the_link(browser, page_url):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, f"{page_url}#{playground.fragment(LECTURE_WEIGHTS)}")
    browser.find_element("id", "xj-W1-0-0-range").send_keys(Keys.ARROW_RIGHT)  # one step of 0.1
    moved = {**LECTURE_WEIGHTS, "W1": [[5.1, -7.0], [5.0, -7.0]]}
    assert browser.find_element("id", "xj-W1-0-0").get_attribute("value") == "5.1"
    assert_shows(browser, moved)
    box = browser.find_element("id", "xj-b2-0")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("-12.5")  # typed: past the slider's end, kept as typed
    assert_shows(browser, {**moved, "b2": [-12.5]})
    box.send_keys(Keys.ARROW_UP)  # the arrow keys step a number box by 1
    assert_shows(browser, {**moved, "b2": [-11.5]})
    assert browser.find_element("id", "xj-verdict").text.startswith("These weights do not compute XOR")
    assert browser.find_element("id", "xj-row-1").get_attribute("class") == "xj-wrong"


@pytest.mark.floors
def test_a_preset_and_reset(browser, page_url):
    open_page(browser, f"{page_url}#{playground.fragment(RANDOM)}")
    preset = browser.find_element("id", "xj-preset-1")
    assert preset.text.splitlines() == ["OR + NAND → AND", "the lecture's other answer"]
    preset.click()
    assert_shows(browser, ANOTHER)
    browser.find_element("id", "xj-reset").click()
    assert_shows(browser, LECTURE_WEIGHTS)  # the weights the page was written with
    browser.find_element("id", "xj-copy").click()
    status = browser.find_element("id", "xj-status").text
    link = browser.find_element("id", "xj-link")
    # The clipboard may be refused to a page opened from a file; then the link is shown, selected, to copy.
    assert status.startswith("Link copied") or (
        link.is_displayed() and link.get_attribute("value") == browser.current_url
    )


# --- experiment=handcrafted writes the playground at its weights and prints the link -------------------------


@pytest.fixture(scope="module")
def handcrafted_run(shared_run):
    """One run of ``experiment=handcrafted`` at the lecture's other answer, shared by the tests below (and
    test_run)."""
    weights = [f"handcrafted.{k}={json.dumps(v, separators=(',', ':'))}" for k, v in ANOTHER.items()]
    assert ANOTHER_ANSWER == ("experiment=handcrafted", *weights, "logger.plots=false", "logger.tensorboard=false")
    return shared_run(*ANOTHER_ANSWER)


@pytest.mark.slow
def test_handcrafted_writes_the_playground_and_prints_its_link(handcrafted_run):
    r, folder = handcrafted_run
    assert r.returncode == 0, r.stderr
    (link,) = re.findall(r"find another w and b in the browser: (file://\S+)", r.stdout)
    assert link.endswith("/playground.html#W1=20,-20,20,-20&b1=-10,30&W2=20,20&b2=-30")
    path = Path(unquote(urlsplit(link).path))
    assert path.is_file() and (path.parent / "weights.json").is_file() and folder in path.parents
    assert page_data(path.read_text())["start"] == playground.flat(ANOTHER)  # opened at its weights even unlinked


@pytest.mark.slow
def test_the_printed_link_opens_the_playground_at_the_runs_weights(handcrafted_run, browser):
    r, _ = handcrafted_run
    (link,) = re.findall(r"find another w and b in the browser: (file://\S+)", r.stdout)
    open_page(browser, link)
    assert_shows(browser, ANOTHER)
