"""How results are shown: one number formatter, and one renderer for Markdown and terminal.

Report sections are built as data (`Table`, `Plot`, paragraphs as strings) by pure
functions; this module turns them into text. Every number shown anywhere goes through
`number` (or `interval`), so a missing value reads "n/a" everywhere and a format is
written once. Tables are drawn by `tabulate`, as Markdown pipes or as plain columns
separated by two spaces.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MISSING = "n/a"


def missing(x: Any) -> bool:
    """None or NaN: a value the data cannot give (too short a run, no partnership)."""
    if x is None:
        return True
    try:
        return math.isnan(x)
    except TypeError:  # text, or a type with no NaN
        return False


def number(
    x: Any, spec: str = ".1f", *, scale: float = 1, prefix: str = "", suffix: str = ""
) -> str:
    """The one number formatter: "n/a" when missing, text passed through as it is."""
    if isinstance(x, str):
        return x
    if missing(x):
        return MISSING
    return f"{prefix}{format(x * scale if scale != 1 else x, spec)}{suffix}"


def percent(x: Any, suffix: str = "%") -> str:
    """A share as a percentage with one decimal, e.g. 12.5%."""
    return number(x, ".1f", scale=100, suffix=suffix)


def eur(x: Any) -> str:
    """An amount of euros, whole and with thousands separators."""
    return number(x, ",.0f", prefix="EUR ")


def interval(
    x: Any, low: Any, high: Any, spec: str = ".1f", *, scale: float = 1, suffix: str = ""
) -> str:
    """An estimate with its interval, e.g. 6.0 [4.1, 7.9]; the bounds only when both exist."""
    shown = number(x, spec, scale=scale, suffix=suffix)
    if missing(x) or missing(low) or missing(high):
        return shown
    return f"{shown} [{number(low, spec, scale=scale)}, {number(high, spec, scale=scale)}]"


def ratio_text(x: Any, low: Any, high: Any, spec: str = ".1f") -> str:
    """A ratio with its Fieller interval: 'unbounded' where the data put no bound on it."""
    if not missing(x) and not missing(low) and math.isinf(low):
        return f"{number(x, spec)} [unbounded]"
    return interval(x, low, high, spec)


def percent_interval(x: Any, low: Any, high: Any) -> str:
    """A share with its interval in percentage points, e.g. 31.4% [16.6, 46.2]."""
    return interval(x, low, high, ".1f", scale=100, suffix="%")


def p_value(p: Any) -> str:
    """A p-value to three decimals, or "< 0.001"."""
    if missing(p):
        return MISSING
    return "< 0.001" if p < 0.001 else number(p, ".3f")


def plural(n: int, word: str) -> str:
    """'1 scenario', '2 scenarios'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


# ----------------------------------------------------------------- report blocks
@dataclass(frozen=True)
class Table:
    """A table of already formatted cells."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Plot:
    """A figure of a report: its file name, its alt text, and how to draw it into a file."""

    file: str
    alt: str
    draw: Callable[[Path], None]


Block = str | Table | Plot  # a string is a heading or a paragraph, as written


def markdown_table(table: Table) -> str:
    """A Markdown pipe table; "(no data)" for a table without rows."""
    from tabulate import tabulate

    if not table.rows:
        return "(no data)"
    return tabulate(
        [list(r) for r in table.rows],
        headers=list(table.header),
        tablefmt="pipe",
        disable_numparse=True,
    )


def text_table(table: Table) -> str:
    """A terminal table: left-aligned columns two spaces apart, no trailing blanks."""
    from tabulate import tabulate

    lines = [list(table.header), *(list(r) for r in table.rows)]
    return tabulate(lines, tablefmt="plain", disable_numparse=True, stralign="left")


def markdown(blocks: Iterable[Block]) -> list[str]:
    """The Markdown lines of a report: every block followed by one blank line."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            lines.append(markdown_table(block))
        elif isinstance(block, Plot):
            lines.append(f"![{block.alt}]({block.file})")
        else:
            lines.append(block)
        lines.append("")
    return lines


def text(blocks: Iterable[Block]) -> list[str]:
    """The terminal lines of a summary: blocks one after another, figures left out."""
    return [text_table(b) if isinstance(b, Table) else b for b in blocks if not isinstance(b, Plot)]


def plots(blocks: Iterable[Block]) -> list[Plot]:
    """The figures among a report's blocks, to be drawn into its folder."""
    return [b for b in blocks if isinstance(b, Plot)]
