"""A formula typed on the command line (``backprop.expr="(x + y) * z"``) as a JAX function of its variables.

Parsed with Python's ``ast`` and built from a fixed list of operators and functions: never ``eval``.
"""

import ast
import inspect
from collections.abc import Callable

import jax
import jax.numpy as jnp

from xorjax.errors import XorjaxError

FUNCTIONS: dict[str, Callable] = {
    "exp": jnp.exp,
    "log": jnp.log,
    "sqrt": jnp.sqrt,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "relu": jax.nn.relu,
    "abs": jnp.abs,
    "max": jnp.maximum,
    "min": jnp.minimum,
    # steps: parsed so that the walker can say why it refuses them
    "floor": jnp.floor,
    "round": jnp.round,
    "sign": jnp.sign,
}
BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def variables(text: str) -> list[str]:
    """The formula's variables, in order of first appearance."""
    found = sorted(
        (n.col_offset, n.id) for n in ast.walk(_parse(text)) if isinstance(n, ast.Name) and n.id not in FUNCTIONS
    )
    return list(dict.fromkeys(name for _, name in found))


def _parse(text: str) -> ast.Expression:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise XorjaxError(f"{text!r} is not a formula ({e.msg})") from None


def _build(node, env: dict):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value  # an int stays one, so x ** 2 is JAX's integer_pow
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _build(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return BINARY[type(node.op)](_build(node.left, env), _build(node.right, env))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        return FUNCTIONS[node.func.id](*(_build(a, env) for a in node.args))
    raise XorjaxError(
        f"{ast.unparse(node)!r} is not allowed in a formula: use numbers, variables, + - * / **, "
        f"and the functions {', '.join(FUNCTIONS)}"
    )


def function(text: str) -> Callable:
    """The formula as ``f(v1, v2, ...)`` with its variables as the parameters (what ``graph.walk`` reads)."""
    tree = _parse(text).body
    names = variables(text)
    for n in names:
        if n.startswith("_"):
            raise XorjaxError(f"{n!r} is not allowed as a variable name")
    try:  # refuses what is not allowed now, not later while tracing
        _build(tree, {n: jnp.float32(1.0) for n in names})
    except (TypeError, ValueError, OverflowError) as e:
        raise XorjaxError(f"{text!r} is not a formula ({str(e).splitlines()[0]})") from None
    if not names:
        raise XorjaxError(f"{text!r} has no variable to differentiate by")

    def f(*args):
        return _build(tree, dict(zip(names, args)))

    f.__signature__ = inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
    return f
