"""The sweep's report: atlas.md, and the tables the console shows, from an atlas."""

from xorjax.core import descent
from xorjax.output import tables

CLASSES_SHOWN = 8  # per setting, in the console's table of classes (atlas.md and atlas.json hold all)
MECHANISMS_SHOWN = 10  # per setting, in the console's and atlas.md's tables of mechanisms (atlas.json holds all)


# The column of a sweep's outcome tables that counts steps: to the first step with accuracy 1.0 (a run with a
# stop criterion reaches that criterion later: experiment=rhw1986 reports both).
MEDIAN_STEPS = "median steps to acc 1.0"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def outcome_table(configs: list[dict]) -> str:
    header = ["hidden", "lr", "init", "seeds", "solved", "95% CI", MEDIAN_STEPS, *descent.STATUSES[1:]]
    rows = []
    for c in configs:
        rows.append(
            [
                str(c["hidden"]),
                f"{c['lr']:g}",
                f"{c['init_scale']:g}",
                str(c["seeds"]),
                _pct(c["success_rate"]),
                f"{_pct(c['ci95'][0])}-{_pct(c['ci95'][1])}",
                "-" if c["median_steps"] is None else f"{c['median_steps']:.0f}",
                *[_pct(c["outcomes"][s] / c["seeds"]) for s in descent.STATUSES[1:]],
            ]
        )
    return tables.table(header, rows)


def markdown(atlas: dict) -> str:
    """atlas.md: the outcomes, then per setting the classes and the families with every unit saturated;
    families with an unsaturated unit are counted together."""
    lines = [
        "# Solution atlas",
        "",
        atlas["settings"],
        "",
        *[line for note in scope(atlas) for line in (note, "")],
        "## Outcomes",
        "",
        tables.markdown(
            ["hidden", "lr", "init scale", "seeds", "solved", "95% CI", MEDIAN_STEPS, *atlas["statuses"][1:]],
            [
                [
                    c["hidden"],
                    f"{c['lr']:g}",
                    f"{c['init_scale']:g}",
                    c["seeds"],
                    _pct(c["success_rate"]),
                    f"{_pct(c['ci95'][0])} - {_pct(c['ci95'][1])}",
                    "-" if c["median_steps"] is None else f"{c['median_steps']:.0f}",
                    *[c["outcomes"][s] for s in atlas["statuses"][1:]],
                ]
                for c in atlas["configs"]
            ],
        ),
        "",
        "What the outcomes mean:",
        "",
        *[f"- **{s}**: {descent.STATUS_MEANING[s]}" for s in atlas["statuses"]],
        "",
    ]
    for c in atlas["configs"]:
        solved = c["outcomes"]["solved"]
        lines += [
            f"## hidden {c['hidden']}, lr {c['lr']:g}, init scale {c['init_scale']:g}",
            "",
            f"{solved} of {c['seeds']} starts solved XOR. Replay a start: `{c['replay']}`",
            "",
        ]
        if c["mechanisms"]:
            lines += [
                "Mechanisms: the hidden units each solution needs (the others removed, each replaced by its mean "
                "over the four patterns), their gates and the output's gate, up to unit order and sign flips:",
                "",
                *[line for x in mechanism_lines(c, atlas["configs"].index(c), md=True) for line in (x, "")],
            ]
        if not c["families"]:
            lines += ["(no families: none solved, or more than one hidden layer)", ""]
            continue
        lines += [
            "Symmetry classes:",
            "",
            tables.markdown(
                ["class", "starts", "share", "families", "seed", "weights"],
                [
                    [
                        f"`{k['class']}`",
                        k["count"],
                        _pct(k["share"]),
                        k["families"],
                        k["seed"],
                        f"`{k['weights']}`" if k["weights"] else "-",
                    ]
                    for k in c["classes"]
                ],
            ),
            "",
        ]
        sat = [f for f in c["families"] if "unsaturated" not in f["family"]]
        rest = [f for f in c["families"] if "unsaturated" in f["family"]]
        lines += [
            "Families (every unit saturated):",
            "",
            tables.markdown(
                ["hidden gates", "output gate", "class", "starts", "share", "first seed", "weights"],
                [
                    [
                        " + ".join(f["hidden_gates"]),
                        f["output_gate"],
                        f"`{f['class']}`",
                        f["count"],
                        _pct(f["share"]),
                        f["seed"],
                        f"`{f['weights']}`" if f["weights"] else "-",
                    ]
                    for f in sat
                ],
            ),
            "",
        ]
        if rest:
            lines += [
                f"{sum(f['count'] for f in rest)} more solved starts ({_pct(sum(f['share'] for f in rest))}) "
                f"have a hidden unit or output that is not saturated (between 0.2 and 0.8 somewhere), in "
                f"{len(rest)} families listed in atlas.json.",
                "",
            ]
    t = atlas["timing"]
    if "parts" in t:  # merged: the parts' times added up, the speed that of one job on average
        where, each = (
            f"in {t['parts']} parts, {t['seconds']:.1f} s in all, on up to {t['devices']} core(s) each",
            " a job",
        )
    else:
        where, each = f"in {t['seconds']:.1f} s on {t['devices']} core(s)", ""
    lines += [
        f"Trained {t['starts']} starts x {t['steps']} steps {where}: {t['net_steps_per_s'] / 1e6:.1f} M "
        f"net-steps/s{each}, compiling included.",
        "",
    ]
    return "\n".join(lines)


def scope(atlas: dict) -> list[str]:
    """What share of its sweep an atlas counts, in words: one part of a split sweep, or a merge that lacks parts
    (``--partial``); nothing for a whole sweep."""

    def spans(blocks) -> str:
        return ", ".join(f"{lo}..{hi - 1}" for lo, hi in blocks)

    if "part" in atlas:
        p = atlas["part"]
        return [
            f"Part {p['part']} of {p['of_parts']} of a split sweep: starts {spans([p['starts']])} of its "
            f"{p['of_starts']} only; the parts merged (python -m xorjax.summary --merge <their folders>) are the "
            "whole sweep."
        ]
    if "missing" in atlas:
        m = atlas["missing"]
        return [
            f"Partial: merged without part(s) {', '.join(map(str, m['parts']))} of {m['of_parts']} (starts "
            f"{spans(m['starts'])} of {m['of_starts']}): these numbers count the other parts' starts only."
        ]
    return []


def mechanism_lines(c: dict, i: int, md: bool = False) -> list[str]:
    """A setting's mechanisms (``c``: configs[i] of the atlas) as a table of the ``MECHANISMS_SHOWN`` most frequent,
    then how many more atlas.json holds, then the line of its essential units (Markdown with ``md``); [] where none
    solved."""
    mechs = c["mechanisms"]
    if not mechs:
        return []
    header = ["mechanism", "units", "starts", "share", "saturated", "seed"] + (["weights"] if md else [])
    rows = [
        [
            f"`{m['mechanism']}`" if md else m["mechanism"],
            "-".join(map(str, m["units"])),
            str(m["count"]),
            _pct(m["share"]),
            _pct(m["saturated"]),
            str(m["seed"]),
        ]
        + ([f"`{m['weights']}`" if m["weights"] else "-"] if md else [])
        for m in mechs[:MECHANISMS_SHOWN]
    ]
    lines = [tables.markdown(header, rows) if md else tables.table(header, rows)]
    if len(mechs) > len(rows):
        lines.append(f"{len(mechs) - len(rows)} more in atlas.json (key configs[{i}].mechanisms)")
    lines.append(essential_line(c))
    return lines


def essential_line(c: dict, shown: int = 6) -> str:
    """E.g. "essential units: 2 in 95.1%, 3 in 4.9% of the solved starts" (per hidden layer for deep nets: "2-1-1";
    the ``shown`` most frequent, the others counted together)."""
    total = sum(c["essential_units"].values())
    counts = list(c["essential_units"].items())
    parts = ", ".join(f"{k} in {_pct(v / total)}" for k, v in counts[:shown])
    if len(counts) > shown:
        parts += f", {len(counts) - shown} others in {_pct(sum(v for _, v in counts[shown:]) / total)}"
    unexplained = c["outcomes"]["solved"] - total
    more = f"; {unexplained} solved start(s) whose net is not XOR in float64" if unexplained else ""
    return f"essential units: {parts} of the solved starts{more}"


def console(atlas: dict) -> list[str]:
    """What a sweep logs of its atlas, message by message: its scope, the outcomes, what each way of failing that
    happened means, and per setting its mechanisms and classes (the most frequent; atlas.md and atlas.json hold all)."""
    messages = [*scope(atlas), "\n" + outcome_table(atlas["configs"])]
    messages += [
        f"{s}: {descent.STATUS_MEANING[s]}"
        for s in descent.STATUSES[1:]
        if any(c["outcomes"][s] for c in atlas["configs"])
    ]
    for i, c in enumerate(atlas["configs"]):
        setting = f"\nlr {c['lr']:g}, init scale {c['init_scale']:g}"
        if c["mechanisms"]:
            messages += [f"{setting}: mechanisms (the units a solution needs)", *mechanism_lines(c, i)]
        if c["classes"]:
            shown = c["classes"][:CLASSES_SHOWN]
            messages.append(f"{setting}: classes of the solutions found")
            messages.append(
                tables.table(
                    ["class", "starts", "share", "families"],
                    [[k["class"], str(k["count"]), _pct(k["share"]), str(k["families"])] for k in shown],
                )
            )
            cut = tables.more(
                len(shown), len(c["classes"]), "classes", f"atlas.md and atlas.json (key configs[{i}].classes)"
            )
            if cut:
                messages.append(cut)
    return messages
