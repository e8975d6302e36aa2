"""The lecture's computational graph, read from JAX and walked by hand: forward, then backward.

``jax.make_jaxpr`` records every primitive operation a Python function performs on its inputs; that
record (the jaxpr) *is* the graph TensorFlow 1 asked you to build before running anything.  ``walk``
runs it forward, keeping every node's value, then backward in reverse order: each node multiplies the
gradient arriving from above by its local derivatives (the chain rule) and passes the products to its
inputs, which add up what they receive (a value used twice gets two contributions).

Scope: scalar inputs and JAX's elementwise primitives (the lecture's graphs, any of them); calls to
nested functions (``jit``, ``custom_jvp``) are walked inline.  Anything else, or a point where a
primitive has no derivative, raises ``XorjaxError`` in one line.
"""

import inspect
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import Literal

from xorjax.errors import XorjaxError

# primitive -> (its local derivatives d out / d input_k, from the primitive's parameters, its output and its
# inputs a, b; the same rules written out, {a} and {b} standing for the input nodes' names).  Each rule sits next
# to its name, as in micrograd: this table *is* the calculus the backward pass knows.
RULES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "add": (lambda p, out, a, b: (1.0, 1.0), ("1", "1")),
    "sub": (lambda p, out, a, b: (1.0, -1.0), ("1", "-1")),
    "mul": (lambda p, out, a, b: (b, a), ("{b}", "{a}")),
    "div": (lambda p, out, a, b: (1 / b, -a / b**2), ("1/{b}", "-{a}/{b}²")),
    "neg": (lambda p, out, a: (-1.0,), ("-1",)),
    "exp": (lambda p, out, a: (out,), ("e^{a}",)),
    "log": (lambda p, out, a: (1 / a,), ("1/{a}",)),
    "log1p": (lambda p, out, a: (1 / (1 + a),), ("1/(1 + {a})",)),
    "expm1": (lambda p, out, a: (out + 1,), ("e^{a}",)),
    "logistic": (lambda p, out, a: (out * (1 - out),), ("σ(1 - σ)",)),
    "tanh": (lambda p, out, a: (1 - out**2,), ("1 - tanh²",)),
    "sin": (lambda p, out, a: (math.cos(a),), ("cos {a}",)),
    "cos": (lambda p, out, a: (-math.sin(a),), ("-sin {a}",)),
    "sqrt": (lambda p, out, a: (0.5 / out,), ("1/(2√{a})",)),
    "rsqrt": (lambda p, out, a: (-0.5 * out / a,), ("-1/(2{a}√{a})",)),
    "square": (lambda p, out, a: (2 * a,), ("2{a}",)),
    "integer_pow": (lambda p, out, a: (p["y"] * a ** (p["y"] - 1),), ("{n}·{a}^{m}",)),
    "pow": (
        lambda p, out, a, b: (b * a ** (b - 1), out * math.log(a) if a > 0 else math.nan),
        ("{b}·{a}^({b}-1)", "{a}^{b}·ln {a}"),
    ),
    "abs": (lambda p, out, a: (float(np.sign(a)),), ("sign({a})",)),
    "max": (lambda p, out, a, b: (float(a > b), float(b > a)), ("[{a} > {b}]", "[{b} > {a}]")),
    "min": (lambda p, out, a, b: (float(a < b), float(b < a)), ("[{a} < {b}]", "[{b} < {a}]")),
    "convert_element_type": (lambda p, out, a: (1.0,), ("1",)),
    "copy": (lambda p, out, a: (1.0,), ("1",)),
    "copy_p": (lambda p, out, a: (1.0,), ("1",)),
}
# Points where the rule above has no value: primitive -> (condition on the inputs, why).
KINKS = {
    "abs": (lambda a: a == 0, "abs has a corner at 0"),
    "max": (lambda a, b: a == b, "max has a corner where its inputs are equal"),
    "min": (lambda a, b: a == b, "min has a corner where its inputs are equal"),
}
# Steps, comparisons and cuts: their derivative is 0 where it exists, so nothing would flow back through them.
STEPS = {
    "floor",
    "ceil",
    "round",
    "sign",
    "gt",
    "ge",
    "lt",
    "le",
    "eq",
    "ne",
    "select_n",
    "and",
    "or",
    "not",
    "xor",
    "rem",
    "is_finite",
    "stop_gradient",
}
INLINE = {
    "jit": "jaxpr",
    "pjit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "custom_jvp_call": "call_jaxpr",
}
SYMBOLS = {
    "add": "+",
    "sub": "−",
    "mul": "×",
    "div": "÷",
    "neg": "−x",
    "logistic": "σ",
    "integer_pow": "x^{y}",
    "square": "x²",
    "convert_element_type": "cast",
}


class Node(NamedTuple):
    name: str  # an input's name; n1, n2, ... (or names given to walk) inside; "f" for the output
    op: str  # "input", or the JAX primitive
    args: tuple  # the nodes it reads (names) or constants (floats), in order
    value: float
    local: tuple  # d node / d arg for each arg that is a node; None for a constant
    rules: tuple  # each local derivative written out
    grad: float  # d f / d node, once the backward pass is done
    params: dict | None = None  # the primitive's numeric parameters (integer_pow's exponent y)


class Step(NamedTuple):
    """One product of the backward pass: d f/d arg += d f/d node · d node/d arg."""

    node: str
    arg: str
    upstream: float
    local: float
    product: float


class Graph(NamedTuple):
    nodes: list  # inputs first, then every operation in the order the forward pass runs them
    steps: list  # the backward pass, in the order it runs
    output: float
    grads: dict  # input name -> d f / d input
    jaxpr: str


def label(node: Node) -> str:
    """A short symbol for a picture: ``×``, ``σ``, ``· + 1``, ``1 ÷ ·``, ``x^3`` ..."""
    sym = SYMBOLS.get(node.op, node.op).format(y=(node.params or {}).get("y", ""))
    if len(node.args) == 2 and not all(isinstance(a, str) for a in node.args):
        a, b = ("·" if isinstance(a, str) else f"{a:g}" for a in node.args)
        return f"{a} {sym} {b}"
    return sym


def _supported(op: str) -> None:
    if op in STEPS:
        raise XorjaxError(
            f"{op} is not differentiable: its derivative is 0 where it exists (a step, a comparison "
            "or a cut), so back-propagation learns nothing through it"
        )
    if op not in RULES:
        raise XorjaxError(
            f"the primitive {op} is not supported: the walker knows the scalar elementwise "
            f"primitives {', '.join(sorted(RULES))}"
        )


def _local(op: str, params: dict, out: float, args: list, vals: list) -> tuple[tuple, tuple]:
    """The node's local derivatives at these values (None for a constant input), and their rules written out."""
    if op in KINKS and KINKS[op][0](*vals):
        raise XorjaxError(
            f"not differentiable at this point: {KINKS[op][1]} ({op} of {', '.join(f'{v:g}' for v in vals)})"
        )
    rule, texts = RULES[op]
    vals = [np.float64(v) for v in vals]  # NaN, not a complex number or an exception, where a rule has no value
    names = [a if isinstance(a, str) else f"{a:g}" for a in args]
    with np.errstate(all="ignore"):
        local = tuple(
            float(d) if isinstance(a, str) else None for a, d in zip(args, rule(params, np.float64(out), *vals))
        )
    for a, d in zip(names, local):
        if d is not None and not math.isfinite(d):
            raise XorjaxError(
                f"not differentiable at this point: d {op}/d {a} is {d} at {', '.join(f'{v:g}' for v in vals)}"
            )
    subs = {"a": names[0], "b": names[-1]}
    if op == "integer_pow":
        subs |= {"n": params["y"], "m": params["y"] - 1}
    return local, tuple(t.format(**subs) for t in texts)


def _read(v, env: dict):
    """What a jaxpr variable holds: a node's name, or a constant."""
    return float(np.asarray(v.val)) if isinstance(v, Literal) else env[v]


def _forward(jaxpr, consts, inputs: list, nodes: list, values: dict, names: Sequence[str]) -> list:
    """Runs one jaxpr, appending a Node per operation; ``inputs`` are node names or constants."""
    env = dict(zip(jaxpr.constvars, (float(np.asarray(c)) for c in consts)))
    env.update(zip(jaxpr.invars, inputs))
    for eqn in jaxpr.eqns:
        op = eqn.primitive.name
        args = [_read(v, env) for v in eqn.invars]
        if op in INLINE:  # a nested function: its operations are nodes of this graph
            inner = eqn.params[INLINE[op]]
            env.update(zip(eqn.outvars, _forward(inner.jaxpr, inner.consts, args, nodes, values, names)))
            continue
        _supported(op)
        if len(eqn.outvars) != 1 or eqn.outvars[0].aval.shape != ():
            raise XorjaxError(f"{op} does not give one number: the walker takes scalar inputs only")
        vals = [values[a] if isinstance(a, str) else a for a in args]
        out = float(np.asarray(eqn.primitive.bind(*map(jnp.asarray, vals), **eqn.params)))
        if not any(isinstance(a, str) for a in args):  # constants only: folded, not a node
            env[eqn.outvars[0]] = out
            continue
        k = len(nodes)
        name = names[k] if k < len(names) else f"n{k + 1}"
        while name in values:  # an input may already be called n1
            name += "'"
        arg_names = [a if isinstance(a, str) else f"{a:g}" for a in args]
        if not math.isfinite(out):
            raise XorjaxError(
                f"not defined at this point: {name} = {op}({', '.join(arg_names)}) = "
                f"{op}({', '.join(f'{v:g}' for v in vals)}) is {out}"
            )
        local, rules = _local(op, eqn.params, out, args, vals)
        numeric = {p: v for p, v in eqn.params.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        nodes.append(Node(name, op, tuple(args), out, local, rules, 0.0, numeric))
        values[name] = out
        env[eqn.outvars[0]] = name
    return [_read(v, env) for v in jaxpr.outvars]


def _backward(ops: list, out, grads: dict) -> list:
    """The chain rule, node by node in reverse order: a node's gradient is complete when it is reached."""
    steps = []
    if not isinstance(out, str):  # f is a constant: every gradient stays 0
        return steps
    grads[out] = 1.0
    for node in reversed(ops):
        for arg, local in zip(node.args, node.local):
            if isinstance(arg, str):
                product = grads[node.name] * local
                grads[arg] += product
                steps.append(Step(node.name, arg, grads[node.name], local, product))
    return steps


def params(f: Callable) -> list[str]:
    """The names of ``f``'s arguments: the graph's inputs."""
    return list(inspect.signature(f).parameters)


def walk(f: Callable, inputs: dict, names: Sequence[str] = ()) -> Graph:
    """Traces ``f`` at ``inputs`` (argument name -> number) in float64, then walks its graph both ways.

    ``names`` name the inner nodes in order (the lecture's ``g`` for w·x, say); the others are n1, n2, ...
    and the last operation, the output, is ``f``.
    """
    args = params(f)
    if sorted(args) != sorted(inputs):
        raise XorjaxError(f"the function takes {', '.join(args)}; the inputs given are {', '.join(inputs)}")
    for k, v in inputs.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise XorjaxError(f"input {k}={v!r} is not allowed: every input is one finite number")
    values = {k: float(inputs[k]) for k in args}
    with jax.enable_x64(True):
        closed = jax.make_jaxpr(f)(*[jnp.float64(values[k]) for k in args])
        if len(closed.jaxpr.outvars) != 1 or closed.jaxpr.outvars[0].aval.shape != ():
            raise XorjaxError("the function must return one number")
        ops: list = []
        (out,) = _forward(closed.jaxpr, closed.consts, args, ops, dict(values), names)
    if ops and out == ops[-1].name and "f" not in values:  # the lecture calls the output f
        ops[-1] = ops[-1]._replace(name="f")
        out = "f"
    nodes = [Node(k, "input", (), values[k], (), (), 0.0) for k in args] + ops
    grads = {n.name: 0.0 for n in nodes}
    steps = _backward(ops, out, grads)
    output = next(n.value for n in nodes if n.name == out) if isinstance(out, str) else out
    return Graph(
        [n._replace(grad=grads[n.name]) for n in nodes], steps, output, {k: grads[k] for k in args}, str(closed)
    )


def autodiff(f: Callable, inputs: dict) -> dict:
    """``jax.grad`` of ``f`` by every input, in float64: what ``walk`` must agree with."""
    args = params(f)
    with jax.enable_x64(True):
        g = jax.grad(f, argnums=tuple(range(len(args))))(*[jnp.float64(inputs[k]) for k in args])
    return {k: float(v) for k, v in zip(args, g)}
