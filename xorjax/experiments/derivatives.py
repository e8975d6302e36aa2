"""Section 2 of the lecture: every derivative it shows, by its finite difference, by jax.grad and by the rule."""

import logging
from pathlib import Path

from xorjax.config import Config
from xorjax.lessons import differences
from xorjax.output import io, tables

log = logging.getLogger(__name__)


def _e(v: float) -> str:
    return f"{v:.1e}"


def _g(v: float) -> str:
    return f"{v:.10g}"


def run(cfg: Config, out: Path) -> dict:
    d = cfg.derivatives
    rows = [differences.compute(e, d.x, d.y, d.h) for e in differences.EXAMPLES]
    log.info(
        f"The lecture's derivatives at x = {d.x:g}, y = {d.y:g}: its forward difference (f(x+h) - f(x))/h "
        f"with h = {d.h:g}, a central difference (f(x+h) - f(x-h))/2h, jax.grad, and the exact rule.\n"
    )
    log.info(
        tables.table(
            ["f", "d/d", "forward", "error", "central", "error", "jax.grad", "error", "exact"],
            [
                [
                    r["name"],
                    r["wrt"],
                    _g(r["numerical"]),
                    _e(r["numerical_error"]),
                    _g(r["central"]),
                    _e(r["central_error"]),
                    _g(r["autodiff"]),
                    _e(r["autodiff_error"]),
                    _g(r["exact"]),
                ]
                for r in rows
            ],
        )
    )
    log.info("\nThe rules:")
    for r in rows:
        chain = r.get("chain")
        product = (
            f"   = {_g(chain['df_dg'])} × {_g(chain['dg_dx'])} = {_g(r['exact'])}"
            if chain
            else f"   = {_g(r['exact'])}"
        )
        log.info(f"  {r['name']:<18} {r['rule']}{product}")

    example = differences.BY_KEY[d.table]
    steps = differences.step_table(example, d.x, d.y, d.decades)
    exact = next(r["exact"] for r in rows if r["key"] == d.table)
    log.info(
        f"\nHow the step h matters, for {example.name} at {example.wrt} = "
        f"{d.x if example.wrt == 'x' else d.y:g} (exact {_g(exact)}):"
    )
    log.info(
        tables.table(
            ["h", "forward (float64)", "error", "central (float64)", "error", "forward (float32)", "error"],
            [
                [
                    f"{s['h']:.0e}",
                    _g(s["forward"]),
                    _e(s["forward_error"]),
                    _g(s["central"]),
                    _e(s["central_error"]),
                    _g(s["forward_float32"]),
                    _e(s["forward_float32_error"]),
                ]
                for s in steps
            ],
        )
    )
    best = min(steps, key=lambda s: s["central_error"])
    log.info(
        f"The forward difference's error falls like h (truncation, about h·f''/2); the central one's like "
        f"h², until round-off, about ε·|f|/h, takes over:\nthe central difference is best at h = "
        f"{best['h']:.0e} here; in float32 (ε ≈ 1e-7) round-off wins much sooner, and once x + h == x "
        f"the slope is 0.\njax.grad has neither error: it applies the rules themselves, exactly."
    )
    result = {
        "x": d.x,
        "y": d.y,
        "h": d.h,
        "rows": rows,
        "h_table": {"key": example.key, "name": example.name, "exact": exact, "rows": steps},
    }
    io.write_json(out / "derivatives.json", result)
    log.info(f"\nwrote {out}")
    return result
