"""The jaxpr walker (section 3): the lecture's graphs give its numbers, any elementwise graph agrees with
jax.grad, and what has no derivative is refused in one line."""

import json
import math

import jax
import jax.numpy as jnp
import pytest
from conftest import run_dirs

from xorjax import run
from xorjax.errors import XorjaxError
from xorjax.experiments import backprop as lecture
from xorjax.lessons import expression, graph

NEURON = {"w0": 2.0, "w1": -3.0, "w2": -3.0, "x0": -1.0, "x1": -2.0}
NEURON_GRADS = {"w0": -0.1966, "w1": -0.3932, "w2": 0.1966, "x0": 0.3932, "x1": -0.5898}


def node(g, name):
    return next(n for n in g.nodes if n.name == name)


def test_wxb_is_the_lectures_worked_example():
    g = graph.walk(lecture.wxb, {"w": -2.0, "x": 5.0, "b": 3.0}, ["g"])
    assert [(n.name, n.op) for n in g.nodes] == [
        ("w", "input"),
        ("x", "input"),
        ("b", "input"),
        ("g", "mul"),
        ("f", "add"),
    ]
    assert node(g, "g").value == -10 and g.output == -7
    assert node(g, "g").local == (5.0, -2.0) and node(g, "f").local == (1.0, 1.0)  # ∂g/∂w = x, ∂g/∂x = w
    assert g.grads == {"w": 5.0, "x": -2.0, "b": 1.0}
    assert [(s.node, s.arg, s.product) for s in g.steps] == [
        ("f", "g", 1.0),
        ("f", "b", 1.0),
        ("g", "w", 5.0),
        ("g", "x", -2.0),
    ]


def test_xyz_is_the_classic_example():
    g = graph.walk(lecture.xyz, {"x": -2.0, "y": 5.0, "z": -4.0}, ["q"])
    assert node(g, "q").value == 3 and g.output == -12
    assert g.grads == {"x": -4.0, "y": -4.0, "z": 3.0}


@pytest.mark.parametrize(
    "f, ops",
    [
        (lecture.neuron_primitives, ["mul", "mul", "add", "add", "neg", "exp", "add", "div"]),
        (lecture.neuron, ["mul", "mul", "add", "add", "logistic"]),
    ],
)
@pytest.mark.floors
def test_sigmoid_neuron_in_primitives_and_as_one_node(f, ops):
    g = graph.walk(f, NEURON)
    assert [n.op for n in g.nodes if n.op != "input"] == ops
    assert g.output == pytest.approx(0.7311, abs=5e-5)
    for k, v in NEURON_GRADS.items():
        assert g.grads[k] == pytest.approx(v, abs=5e-5)
    last = g.nodes[-1]
    if last.op == "logistic":  # one node: its local derivative is σ(1 - σ)
        assert last.local[0] == pytest.approx(g.output * (1 - g.output), rel=1e-12)
    assert g.grads == pytest.approx(graph.autodiff(f, NEURON), rel=1e-12)


FUNCTIONS = [
    ("x * x", {"x": 3.0}),  # one value read twice: contributions add up
    ("x * y + x / y - y ** 3", {"x": 1.5, "y": -0.7}),
    ("exp(x) * log(y) + sqrt(y) * tanh(x)", {"x": 0.3, "y": 2.5}),
    ("sigmoid(w * x + b) * (1 - sigmoid(w * x + b))", {"w": 0.7, "x": -1.2, "b": 0.4}),
    ("sin(x) ** 2 + cos(x) ** 2", {"x": 0.9}),
    ("max(x, y) - min(x, 2 * y) + abs(x - y)", {"x": 0.25, "y": -1.0}),
    ("relu(x) * relu(-y) + x ** 0.5 + y ** 2", {"x": 2.0, "y": -3.0}),
    ("(a + b) * (b + c) * (c + a) / (1 + a * a)", {"a": 1.0, "b": 2.0, "c": -0.5}),
    ("n1 * f + n2", {"n1": 2.0, "f": 3.0, "n2": 1.0}),  # inputs named like the walker's own nodes
]


@pytest.mark.parametrize("text, inputs", FUNCTIONS)
def test_walker_equals_jax_grad_on_any_elementwise_graph(text, inputs):
    f = expression.function(text)
    g = graph.walk(f, inputs)
    with jax.enable_x64(True):
        value = float(f(*[jnp.float64(inputs[k]) for k in graph.params(f)]))
    assert g.output == pytest.approx(value, rel=1e-12)
    auto = graph.autodiff(f, inputs)
    assert g.grads == pytest.approx(auto, rel=1e-12, abs=1e-12)


@pytest.mark.floors
def test_nested_jit_and_custom_jvp_calls_are_walked_inline():
    inner = jax.jit(lambda a: jnp.tanh(a) * a)

    def f(x, y):
        return inner(x) + jax.nn.relu(y) + jnp.clip(x, 0, 1)  # jit, custom_jvp (relu) and jnp's own jits

    inputs = {"x": 0.5, "y": 2.0}
    g = graph.walk(f, inputs)
    assert {"jit", "custom_jvp_call"}.isdisjoint(n.op for n in g.nodes)
    assert g.grads == pytest.approx(graph.autodiff(f, inputs), rel=1e-12)


def test_constants_and_identity():
    assert graph.walk(lambda x: x, {"x": 4.0}).grads == {"x": 1.0}
    g = graph.walk(lambda x: 3.0 + 0 * x, {"x": 4.0})
    assert g.output == 3.0 and g.grads == {"x": 0.0}


@pytest.mark.parametrize(
    "f, inputs, words",
    [
        (jnp.floor, {"x": 1.5}, "floor is not differentiable"),
        (lambda x: jnp.where(x > 0, x, 0.0), {"x": 1.0}, "gt is not differentiable"),
        (jnp.abs, {"x": 0.0}, "abs has a corner at 0"),
        (lambda x: jnp.maximum(x, 1.0), {"x": 1.0}, "max has a corner"),
        (jnp.sqrt, {"x": 0.0}, "not differentiable at this point"),
        (jnp.log, {"x": -1.0}, "not defined at this point"),
        (lambda x: jnp.sum(jnp.ones(3) * x), {"x": 1.0}, "is not supported"),
        (lambda x: jax.lax.stop_gradient(x) * x, {"x": 1.0}, "stop_gradient is not differentiable"),
        (lambda x: x * jnp.ones(2), {"x": 1.0}, "the function must return one number"),
        (lambda x, y: x * y, {"x": 1.0}, "the function takes x, y"),
        (lambda x: x, {"x": "abc"}, "input x='abc' is not allowed"),
        (lambda x: x, {"x": math.nan}, "every input is one finite number"),
    ],
)
def test_what_has_no_derivative_is_refused_in_one_line(f, inputs, words):
    with pytest.raises(XorjaxError) as e:
        graph.walk(f, inputs)
    assert words in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    "text, words",
    [
        ("x +", "is not a formula"),
        ("__import__('os').system('true')", "is not allowed"),
        ("x.real", "is not allowed in a formula"),
        ("[x, y]", "is not allowed in a formula"),
        ("exp(x, y)", "is not a formula"),
        ("3 * 4", "has no variable"),
    ],
)
def test_formulas_are_parsed_never_evaluated(text, words):
    with pytest.raises(XorjaxError) as e:
        expression.function(text)
    assert words in str(e.value)


def test_formula_variables_in_order_of_appearance():
    assert expression.variables("sigmoid(w0*x0 + w1*x1 + w2)") == ["w0", "x0", "w1", "x1", "w2"]
    assert graph.params(expression.function("(x + y) * z")) == ["x", "y", "z"]


@pytest.mark.slow
def test_experiment_shows_and_writes_every_graph(run_xorjax, tmp_path):
    r = run_xorjax(
        "experiment=backprop", "backprop.xyz.z=2", 'backprop.expr="x * exp(y)"', "backprop.inputs={x: 1, y: 0}"
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "∂f/∂w = ∂f/∂g · ∂g/∂w = 1 × 5 = 5" in out and "σ(1 - σ) = 0.1966" in out
    assert "jax.grad agrees" in out and "dot_general" in out and "Why does TensorFlow build a graph?" in out
    (folder,) = run_dirs(tmp_path, "backprop.json")
    result = json.loads((folder / "backprop.json").read_text())
    assert result["wxb"]["output"] == -7 and result["wxb"]["grads"] == {"w": 5, "x": -2, "b": 1}
    assert result["xyz"]["output"] == 6 and result["xyz"]["grads"] == {"x": 2, "y": 2, "z": 3}
    for key in ("neuron", "neuron_primitives"):
        assert result[key]["output"] == pytest.approx(0.7311, abs=5e-5)
        assert result[key]["grads"] == pytest.approx(NEURON_GRADS, abs=5e-5)
        assert {"op", "value", "grad"} <= set(result[key]["nodes"][-1])
    assert result["expr"]["grads"] == {"x": 1.0, "y": 1.0}
    for key in ("wxb", "xyz", "neuron", "neuron_primitives", "expr"):
        assert (folder / f"graph_{key}.png").stat().st_size > 10_000
    assert "dot_general" in (folder / "xor_cost_jaxpr.txt").read_text()


@pytest.mark.parametrize(
    "args, line",
    [
        (["backprop.wxb.w=abc"], "backprop.wxb.w=abc is not allowed: must be a number"),
        (
            ["+backprop.wxb.q=1"],
            "backprop.wxb.q is not a setting; did you mean backprop.wxb.x or backprop.wxb.w or backprop.wxb.b?",
        ),
        (["backprop.neuron.x0=inf"], "backprop.neuron.x0=inf is not allowed: must be a finite number"),
        (
            ['backprop.expr="floor(x)"', "backprop.inputs={x: 1}"],
            "backprop.expr=floor(x): floor is not "
            "differentiable: its derivative is 0 where it exists (a step, a comparison or a cut), so back-propagation "
            "learns nothing through it",
        ),
        (
            ['backprop.expr="abs(x)"', "backprop.inputs={x: 0}"],
            "backprop.expr=abs(x): not differentiable at this point: abs has a corner at 0 (abs of 0)",
        ),
        (
            ['backprop.expr="x @ y"', "backprop.inputs={x: 0, y: 1}"],
            "backprop.expr=x @ y: 'x @ y' is not allowed in "
            "a formula: use numbers, variables, + - * / **, and the functions exp, log, sqrt, sin, cos, tanh, sigmoid, "
            "relu, abs, max, min, floor, round, sign",
        ),
        (
            ["backprop.expr=x*y", "backprop.inputs={x: 1}"],
            "backprop.inputs={'x': 1} is not allowed: "
            "backprop.expr=x*y needs the numbers x, y, e.g. backprop.inputs={x:1,y:1}",
        ),
        (
            ["backprop.expr=x", "backprop.inputs={x: abc}"],
            "backprop.inputs.x=abc is not allowed: must be a finite number",
        ),
        (
            ["backprop.inputs={x: 1}"],
            "backprop.inputs is not allowed without backprop.expr=<a formula of those inputs>",
        ),
        # another experiment's settings do nothing here, so they are refused
        (
            ["derivatives.table=cube"],
            "derivatives.table is not read by experiment=backprop: it is a setting of experiment=derivatives",
        ),
        (
            ["grad=manual"],
            "grad is not read by experiment=backprop: it is a setting of experiment=train, logistic, "
            "sweep, rhw1986, basin, landscape, lecture",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_naming_the_setting(args, line):
    assert run.check_overrides(["experiment=backprop", *args]) == line


@pytest.mark.slow
def test_bad_input_exits_2_with_one_line_and_no_run_folder(run_xorjax, tmp_path):
    r = run_xorjax("experiment=backprop", 'backprop.expr="sqrt(x) * y"', "backprop.inputs={x: 0, y: 1}")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (
        "xorjax: backprop.expr=sqrt(x) * y: not differentiable at this point: d sqrt/d x is inf at 0"
    )
    assert not (tmp_path / "outputs").exists()
