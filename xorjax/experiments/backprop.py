"""Section 3 of the lecture: back-propagation on a computational graph, node by node, checked by jax.grad.

The graphs are not drawn by hand: JAX traces each Python function below into a jaxpr, and
``xorjax.lessons.graph`` walks it forward and backward.  Then the XOR network's own cost, as a jaxpr, answers
"why does TensorFlow build a graph?".
"""

import logging
from pathlib import Path

import jax
import jax.numpy as jnp

from xorjax import config
from xorjax.config import Config
from xorjax.core import data, manual_grad
from xorjax.errors import XorjaxError
from xorjax.lessons import expression, graph
from xorjax.output import io, tables
from xorjax.output.plots import graph_picture

log = logging.getLogger(__name__)


def wxb(w, x, b):
    return w * x + b  # the lecture: g = w·x, f = g + b


def xyz(x, y, z):
    return (x + y) * z


def neuron_primitives(w0, w1, w2, x0, x1):
    return 1.0 / (1.0 + jnp.exp(-(w0 * x0 + w1 * x1 + w2)))  # σ as negate, exp, add 1, reciprocal


def neuron(w0, w1, w2, x0, x1):
    return jax.nn.sigmoid(w0 * x0 + w1 * x1 + w2)  # σ as one node: local derivative σ(1 - σ)


# key -> (function, what it is, names for its inner nodes, the setting holding its inputs)
EXAMPLES = {
    "wxb": (wxb, "f = w·x + b, as g = w·x, f = g + b", ["g"], "wxb"),
    "xyz": (xyz, "f = (x + y)·z, as q = x + y, f = q·z", ["q"], "xyz"),
    "neuron_primitives": (
        neuron_primitives,
        "f = σ(w0·x0 + w1·x1 + w2), σ(z) = 1/(1 + exp(-z)) in primitives",
        [],
        "neuron",
    ),
    "neuron": (neuron, "f = σ(w0·x0 + w1·x1 + w2), σ one node", [], "neuron"),
}


def _custom(cfg: Config):
    """``backprop.expr`` as (function, its inputs), or None; raises XorjaxError naming the setting."""
    b = cfg.backprop
    if b.expr is None:
        if b.inputs:
            raise XorjaxError("backprop.inputs is not allowed without backprop.expr=<a formula of those inputs>")
        return None
    try:
        f = expression.function(b.expr)
    except XorjaxError as e:
        raise XorjaxError(f"backprop.expr={b.expr}: {e}") from None
    names = expression.variables(b.expr)
    missing, extra = [n for n in names if n not in b.inputs], [n for n in b.inputs if n not in names]
    if missing or extra:
        raise XorjaxError(
            f"backprop.inputs={dict(b.inputs)} is not allowed: backprop.expr={b.expr} needs the "
            f"numbers {', '.join(names)}, e.g. backprop.inputs={{{','.join(n + ':1' for n in names)}}}"
        )
    return f, {n: float(b.inputs[n]) for n in names}


def check(cfg: Config) -> None:
    custom = _custom(cfg)
    if custom:
        try:
            graph.walk(*custom)
        except XorjaxError as e:
            raise XorjaxError(f"backprop.expr={cfg.backprop.expr}: {e}") from None


def _n(v: float) -> str:
    return f"{v:.4g}"


def node_table(g: graph.Graph) -> str:
    rows = []
    for n in g.nodes:
        local = []
        for a, d, rule in zip(n.args, n.local, n.rules):
            if isinstance(a, str):
                local.append(f"∂{n.name}/∂{a} = {rule}" + ("" if rule == _n(d) else f" = {_n(d)}"))
        args = ", ".join(a if isinstance(a, str) else f"{a:g}" for a in n.args)
        rows.append([n.name, n.op if n.op == "input" else f"{n.op}({args})", _n(n.value), "; ".join(local), _n(n.grad)])
    return tables.table(["node", "op", "value", "local derivative", "gradient ∂f/∂node"], rows)


def backward_lines(g: graph.Graph) -> list[str]:
    """The backward pass as the lecture says it: upstream gradient × local derivative, node by node."""
    out = g.nodes[-1]
    lines = [f"∂f/∂{out.name} = 1"] if out.op != "input" else []
    seen = set()
    for s in g.steps:
        total = f"  (total {_n(sum(t.product for t in g.steps if t.arg == s.arg))})" if s.arg in seen else ""
        lines.append(
            f"∂f/∂{s.arg} {'+=' if s.arg in seen else '='} ∂f/∂{s.node} · ∂{s.node}/∂{s.arg} = "
            f"{_n(s.upstream)} × {_n(s.local)} = {_n(s.product)}{total}"
        )
        seen.add(s.arg)
    return lines


def to_json(g: graph.Graph, title: str, inputs: dict, autodiff: dict) -> dict:
    return {
        "function": title,
        "inputs": inputs,
        "output": g.output,
        "grads": g.grads,
        "autodiff": autodiff,
        "nodes": [
            {
                "name": n.name,
                "op": n.op,
                "args": list(n.args),
                "value": n.value,
                "local": list(n.local),
                "rules": list(n.rules),
                "grad": n.grad,
            }
            for n in g.nodes
        ],
        "steps": [s._asdict() for s in g.steps],
        "jaxpr": g.jaxpr,
    }


def show(key: str, f, title: str, inputs: dict, names, out: Path, plots: bool = True) -> dict:
    g = graph.walk(f, inputs, names)
    auto = graph.autodiff(f, inputs)
    differences = [abs(g.grads[k] - auto[k]) for k in g.grads]
    log.info(f"\n== {key}: {title}\n   at {', '.join(f'{k} = {v:g}' for k, v in inputs.items())}")
    log.info(
        f"the graph, as JAX traced it (jax.make_jaxpr; a, b, c, ... are the inputs in order, then each "
        f"operation's result):\n{g.jaxpr}"
    )
    log.info("forward pass (values), then backward pass (local derivatives × upstream gradient):\n" + node_table(g))
    log.info("\n".join(backward_lines(g)))
    log.info(
        f"f = {_n(g.output)}; "
        + ", ".join(f"∂f/∂{k} = {_n(v)}" for k, v in g.grads.items())
        + f"\njax.grad agrees: largest difference {max(differences):.1e}"
    )
    if max(differences) > 1e-9 * (1 + max(abs(v) for v in auto.values())):
        raise RuntimeError(f"the walker's gradients {g.grads} differ from jax.grad's {auto}")  # a bug, not input
    if plots:
        graph_picture.draw(g, f"{key}: {title}", out / f"graph_{key}.png")
    return to_json(g, title, inputs, auto)


def xor_cost_graph(cfg: Config) -> dict:
    """The XOR network's cost as JAX records it: the graph TensorFlow 1 made you build first."""
    params = {k: jnp.asarray(v, jnp.float32) for k, v in config.LECTURE_WEIGHTS.items()}
    act, loss = cfg.model.activation, cfg.loss
    forward = jax.make_jaxpr(lambda p: manual_grad.cost(p, data.X, data.Y, act, loss))(params)
    backward = jax.make_jaxpr(jax.grad(lambda p: manual_grad.cost(p, data.X, data.Y, act, loss)))(params)
    return {"cost": str(forward), "cost_ops": len(forward.eqns), "grad": str(backward), "grad_ops": len(backward.eqns)}


WHY = (
    "Why does TensorFlow build a graph?  To take derivatives.  A graph is a program the library can read:\n"
    "it knows every operation and its local derivative, so it can run the chain rule backward mechanically\n"
    "(exactly what the walker above did) and hand back ∂cost/∂W1 ... ∂cost/∂b2 for gradient descent.\n"
    "JAX builds the same graph by tracing ordinary Python: this is the 2-2-1 network's cost, {cost_ops} "
    "operations;\njax.grad turns it into a program of {grad_ops} that runs it forward and then backward "
    "(xor_cost_jaxpr.txt holds both)."
)


def run(cfg: Config, out: Path) -> dict:
    results = {}
    for key, (f, title, names, setting) in EXAMPLES.items():
        inputs = dict(getattr(cfg.backprop, setting))
        results[key] = show(key, f, title, {k: float(inputs[k]) for k in graph.params(f)}, names, out, cfg.logger.plots)
    custom = _custom(cfg)
    if custom:
        results["expr"] = show("expr", custom[0], cfg.backprop.expr, custom[1], [], out, cfg.logger.plots)
    xor = xor_cost_graph(cfg)
    log.info(f"\n== the XOR network's cost (2-2-1, {cfg.model.activation}, {cfg.loss}) as a jaxpr\n{xor['cost']}")
    log.info("\n" + WHY.format(**xor))
    io.write_atomic(
        out / "xor_cost_jaxpr.txt",
        f"# the cost, forward ({xor['cost_ops']} operations)\n{xor['cost']}\n\n"
        f"# jax.grad of the cost: forward, then backward ({xor['grad_ops']} operations)\n{xor['grad']}\n",
    )
    results["xor_cost"] = {k: v for k, v in xor.items() if k.endswith("_ops")}
    io.write_json(out / "backprop.json", results)
    log.info(f"\nwrote {out}")
    return results
