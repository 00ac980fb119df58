"""Documents generated from the parameter declarations, so they cannot drift.

`baseline_toml()` is the text of `configs/baseline.toml`; `markdown_table()` is the
parameter table of `docs/ODD.md`. Tests check both files against these.
"""

from __future__ import annotations

from clustersim.parameters import GROUPS, Parameters, specs


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def baseline_toml() -> str:
    """Every parameter with its default, grouped, each with its meaning, unit and source."""
    defaults = Parameters()
    lines = [
        "# Baseline: every model parameter with its default value, unit and source.",
        "# Generated from clustersim/parameters.py (the single source of truth); keep them equal.",
        '# Scenario files set `base = "baseline.toml"` and override only the keys they change.',
        "",
        'name = "baseline"',
        'description = "Every parameter at its default: no policy switched on."',
    ]
    for group in GROUPS:
        lines += ["", f"[{group}]"]
        first = True
        for name, (_, spec) in specs().items():
            if spec.group != group:
                continue
            if not first:
                lines.append("")
            first = False
            lines += [
                f"# {spec.doc}",
                f"# Unit: {spec.unit}. Source: {spec.source}",
                f"{name} = {_toml_value(getattr(defaults, name))}",
            ]
    return "\n".join(lines) + "\n"


def markdown_table() -> str:
    """The ODD parameter table: name, group, default, unit, range, meaning, source."""
    defaults = Parameters()
    rows = [
        "| parameter | group | default | unit | range | meaning | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, (_, spec) in specs().items():
        value = _toml_value(getattr(defaults, name))
        rng = "true / false" if spec.unit == "switch" else f"{spec.low:g} – {spec.high:g}"
        cells = [f"`{name}`", spec.group, value, spec.unit, rng, spec.doc, spec.source]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
