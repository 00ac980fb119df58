"""Where a policy fails: PRIM scenario discovery over plausible worlds.

A robustness experiment runs a policy in many worlds (posterior draws of the model's
parameters) and finds it helps in some and not in others. PRIM (Friedman & Fisher
1999; Bryant & Lempert 2010, as EMA Workbench implements it) looks for a box in the
parameters, a few ranges joined by "and", inside which most worlds are failures and
which holds most of the failures. This module is a pure function from a table of
parameter values per world and a yes/no per world to that box, written as a rule.

Which box. PRIM peels the box 5 % at a time, trading coverage (the share of all
failing worlds inside the box) for density (the share of worlds inside that fail).
EMA stops at the last, densest box, which holds only 5 % of the worlds and, with a
few hundred worlds, mostly describes noise. Here the box is **the densest box on the
peeling trajectory that still holds at least half the failing worlds** (coverage >=
0.5, changeable): a statement about most of the failures, as sharp as the data allow.
A restriction stays only if it is significant: each bound's quasi-p value (EMA's
one-sided binomial test of the box with and without it, Bryant & Lempert 2010) must be
below 0.05; weaker bounds are let go, worst first, and the box's figures recomputed.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clustersim.config import ConfigError, did_you_mean
from clustersim.experiment.spec import Robustness
from clustersim.formatting import Table, markdown, markdown_table, percent

MIN_WORLDS = 20  # PRIM peels 5 % of the worlds at a time: fewer than 20 cannot be peeled
MIN_COVERAGE = 0.5  # the chosen box holds at least this share of the failing worlds
SIGNIFICANCE = 0.05  # a bound stays only if its quasi-p value is below this
PEEL_ALPHA = 0.05  # EMA's default: each peel removes this share of the box
MASS_MIN = 0.05  # EMA's default: peeling stops at a box holding this share of the worlds
# EMA counts a world as a case of interest when y >= threshold, and keeps the last box
# only if its mean reaches it: any value in (0, 1] selects y = 1, and the smallest keeps
# every box, for the choice is made here (above) rather than by EMA's acceptance test.
_EMA_THRESHOLD = float(np.nextafter(0.0, 1.0))


@dataclass(frozen=True)
class Restriction:
    """One parameter's range in a box; None where that side is not restricted."""

    parameter: str
    lower: float | None
    upper: float | None
    quasi_p: float  # the weaker (larger) of its bounds' quasi-p values

    def text(self) -> str:
        """'patience_months < 8.2', 'x >= 0.3' or '0.2 <= x <= 0.5'."""
        if self.lower is not None and self.upper is not None:
            return f"{_value(self.lower)} <= {self.parameter} <= {_value(self.upper)}"
        if self.lower is not None:
            return f"{self.parameter} >= {_value(self.lower)}"
        return f"{self.parameter} <= {_value(self.upper)}"


@dataclass(frozen=True)
class Box:
    """The chosen box: its restrictions and how well it tells failing worlds apart."""

    restrictions: tuple[Restriction, ...]
    coverage: float  # share of all failing worlds that are inside the box
    density: float  # share of the worlds inside the box that fail
    worlds: int  # worlds inside the box
    failing: int  # failing worlds inside the box


@dataclass(frozen=True)
class Discovery:
    """The result of scenario discovery: a box, or the one-line reason there is none."""

    worlds: int
    failing: int
    box: Box | None
    reason: str | None = None  # why there is no box, when there is none

    def rule(self, subject: str = "the policy") -> str:
        """'quick_win fails to help when patience_months <= 8.2 and ...', or the reason."""
        if self.box is None:
            return f"{subject} {self.reason}"
        conditions = " and ".join(r.text() for r in self.box.restrictions)
        return f"{subject} fails to help when {conditions}"


def discover(
    inputs: pd.DataFrame, fails: Sequence[bool] | np.ndarray, min_coverage: float = MIN_COVERAGE
) -> Discovery:
    """The box of `inputs` (numeric parameters, one row per world) where `fails` is true.

    Returns a Discovery without a box, and its reason, when the data cannot give one:
    too few worlds, no failing world, every world failing, or no significant restriction.
    """
    x, y = _checked(inputs, fails, min_coverage)
    worlds, failing = len(y), int(y.sum())
    reason = _unanswerable(worlds, failing)
    if reason is not None:
        return Discovery(worlds, failing, None, reason)
    box = _significant_box(x, y.astype(int), min_coverage)
    if box is None:
        reason = (
            f"has no range of the parameters that holds {percent(min_coverage)} of its "
            f"failing worlds and has bounds with quasi-p < {SIGNIFICANCE}: the failures are "
            "spread out"
        )
    return Discovery(worlds, failing, box, reason)


def _unanswerable(worlds: int, failing: int) -> str | None:
    """Why PRIM cannot be asked: too few worlds, or nothing (or everything) to explain."""
    if worlds < MIN_WORLDS:
        return (
            f"was run in too few worlds for PRIM: {worlds}; it needs at least {MIN_WORLDS} "
            "(it peels 5 % of them at a time)"
        )
    if failing == 0:
        return f"helps in all {worlds} worlds: there is no failure to explain"
    if failing == worlds:
        return f"fails to help in all {worlds} worlds: no range of the parameters sets it apart"
    return None


def _checked(
    inputs: pd.DataFrame, fails: Sequence[bool] | np.ndarray, min_coverage: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """The inputs as numbers with a fresh index and the outcome as booleans, or a ValueError."""
    y = np.asarray(fails)
    if y.ndim != 1 or len(y) != len(inputs):
        raise ValueError(f"one outcome per world is needed: {len(inputs)} worlds, {y.shape}")
    if not (y.dtype == bool or set(np.unique(y)) <= {0, 1}):
        raise ValueError("the outcome must be true or false for every world")
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage}")
    x = inputs.reset_index(drop=True)
    x = x.astype({c: int for c in x.columns if x[c].dtype == bool})
    words = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    if words or x.isna().any().any():
        bad = words or [c for c in x.columns if x[c].isna().any()]
        raise ValueError(f"inputs must be numbers, without gaps: {', '.join(map(str, bad))}")
    return x, y.astype(bool)


def _significant_box(x: pd.DataFrame, y: np.ndarray, min_coverage: float) -> Box | None:
    """PRIM's densest box with enough coverage, its insignificant bounds let go."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed")
        warnings.filterwarnings("ignore", message="The inplace keyword")  # EMA 2.5 on pandas 3
        from ema_workbench.analysis.prim import Prim

        prim = Prim(x, y, threshold=_EMA_THRESHOLD, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)
    box = prim.find_box()
    trajectory = box.peeling_trajectory
    candidates = trajectory[(trajectory["res_dim"] > 0) & (trajectory["coverage"] >= min_coverage)]
    if candidates.empty:
        return None
    # densest; among equally dense boxes the first peeled, which restricts least
    box.select(int(candidates["density"].idxmax()))
    while (weakest := _weakest_bound(box)) is not None:
        _let_go(prim, box, *weakest)
    return _as_box(box)


def _weakest_bound(box) -> tuple[str, int] | None:
    """(parameter, side: 0 lower, 1 upper) of the bound with the largest quasi-p >= 0.05."""
    qp = box.qp[box._cur_box]  # {parameter: [lower's, upper's]}, -1 for an open side
    bounds = [(p, name, side) for name, sides in qp.items() for side, p in enumerate(sides)]
    weak = [b for b in bounds if b[0] >= SIGNIFICANCE]
    if not weak:
        return None
    _, name, side = max(weak)
    return name, side


def _let_go(prim, box, name: str, side: int) -> None:
    """Open one bound of the current box to the data's range; EMA recomputes its figures."""
    limits = box.box_lim.copy()
    limits.loc[side, name] = prim.box_init.loc[side, name]
    x = prim.x.loc[prim.yi_remaining, limits.columns]
    inside = ((x >= limits.loc[0]) & (x <= limits.loc[1])).all(axis=1).to_numpy()
    box.update(limits, prim.yi_remaining[inside])


def _as_box(box) -> Box | None:
    """The current box of EMA's PrimBox as plain data; None if nothing is restricted."""
    stats = box.peeling_trajectory.iloc[box._cur_box]
    limits, everything = box.box_lim, box.prim.box_init
    qp = box.qp[box._cur_box]
    restrictions = []
    for name in limits.columns:
        lower, upper = limits.loc[0, name], limits.loc[1, name]
        open_low, open_high = lower == everything.loc[0, name], upper == everything.loc[1, name]
        if open_low and open_high:
            continue
        restrictions.append(
            Restriction(
                str(name),
                None if open_low else float(lower),
                None if open_high else float(upper),
                float(max(qp[name])),
            )
        )
    if not restrictions:
        return None
    return Box(
        tuple(restrictions),
        float(stats["coverage"]),
        float(stats["density"]),
        int(stats["n"]),
        int(stats["k"]),
    )


def _value(x: float) -> str:
    """A bound as people read it: whole numbers whole, others to three significant digits."""
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


# ------------------------------------------------------------------- the report
HOW_CHOSEN = (
    "PRIM (EMA Workbench) peels the range of the posterior parameters 5 % at a time. The "
    "box shown is the densest one on its peeling trajectory that still holds at least "
    "{coverage} of the worlds where the policy fails to help, with only the bounds whose "
    "quasi-p value is below {significance} (Bryant & Lempert 2010). Coverage: the share of "
    "the failing worlds that are inside the box; density: the share of the worlds inside "
    "the box where the policy fails to help. A world fails when the policy's S(36) is no "
    "higher than {reference}'s in that world (averaged over its replications)."
)


def how_chosen(min_coverage: float = MIN_COVERAGE, reference: str = "the reference") -> str:
    """The paragraph that says how the box was chosen and what its figures mean."""
    return HOW_CHOSEN.format(
        coverage=percent(min_coverage), significance=SIGNIFICANCE, reference=reference
    )


def discovery_section(
    effects: pd.DataFrame,
    policies: list[str],
    inputs: list[str],
    min_coverage: float = MIN_COVERAGE,
    reference: str = "the reference",
) -> list[str]:
    """Markdown blocks of a robustness report: where each policy fails to help.

    `effects` is `robustness.draw_effects`'s table (one row per policy and world, with
    the world's `inputs` and its `delta_s36`).
    """
    blocks = ["## Where each policy fails to help (PRIM)", how_chosen(min_coverage, reference)]
    for policy in policies:
        rows = effects[effects["scenario"] == policy]
        blocks += [f"### {policy}", *policy_blocks(rows, policy, inputs, min_coverage, reference)]
    return blocks


def policy_blocks(
    rows: pd.DataFrame,
    policy: str,
    inputs: list[str],
    min_coverage: float = MIN_COVERAGE,
    reference: str = "the reference",
) -> list[str]:
    """One policy's findings: how often it fails, the rule, and the box's bounds."""
    defined = rows[rows["delta_s36"].notna()]
    found = discover(defined[inputs], (defined["delta_s36"] <= 0).to_numpy(), min_coverage)
    blocks = [_overall(found, policy, reference, len(rows) - len(defined))]
    if found.box is None:
        return [*blocks, found.rule(policy) + "."]
    box = found.box
    return [
        *blocks,
        f"**{found.rule(policy)}.**",
        f"Inside the box: {box.worlds} worlds, {box.failing} of them failing; coverage "
        f"{percent(box.coverage)}, density {percent(box.density)} (against "
        f"{percent(found.failing / found.worlds)} over all worlds).",
        markdown_table(_bounds(box, defined[inputs])),
    ]


def _overall(found: Discovery, policy: str, reference: str, undefined: int) -> str:
    """How often the policy fails to help, and which worlds could not be judged."""
    text = (
        f"{policy} fails to help (S(36) no higher than {reference}'s) in {found.failing} "
        f"of {found.worlds} worlds."
    )
    if undefined:
        text += (
            f" {undefined} more worlds are left out: S(36) is undefined there (no "
            "partnership was observed for 36 months)."
        )
    return text


def _bounds(box: Box, inputs: pd.DataFrame) -> Table:
    """Each restriction beside the parameter's range over all worlds, with its quasi-p."""
    rows = [
        [
            r.parameter,
            r.text(),
            f"{_value(inputs[r.parameter].min())} to {_value(inputs[r.parameter].max())}",
            "< 0.001" if r.quasi_p < 0.001 else f"{r.quasi_p:.3f}",
        ]
        for r in box.restrictions
    ]
    return Table(["parameter", "box", "range over the worlds", "quasi-p"], rows)


# ----------------------------------------------------------- a results folder
MARK = "<!-- written by clustersim discover; it rewrites this file -->"


def discover_results(
    root: Path, policy: str, min_coverage: float = MIN_COVERAGE
) -> tuple[str, Path]:
    """Write RESULTS/discover-<policy>.md for a robustness results folder.

    Returns the Markdown written and where.
    """
    from clustersim.experiment.robustness import draw_effects

    root = Path(root)
    design = _robustness_design(root)
    policies = [s for s in design.scenarios if s != design.reference]
    if policy not in policies:
        hint = did_you_mean(policy, policies) or "choices: " + ", ".join(policies)
        raise ConfigError(root, f"--policy {policy}: not a policy of this experiment; {hint}")
    effects = draw_effects(root)
    rows = effects[effects["scenario"] == policy]
    blocks = policy_blocks(rows, policy, list(design.parameters), min_coverage, design.reference)
    text = "\n".join(
        markdown(
            [f"# Where {policy} fails to help", how_chosen(min_coverage, design.reference), *blocks]
        )
    )
    path = root / f"discover-{policy}.md"
    _write_own(path, f"{MARK}\n{text}")
    return text, path


def report_section(design: Robustness, effects: pd.DataFrame) -> list[str]:
    """`discovery_section` in the shape of the robustness report's EXTRA_SECTIONS."""
    policies = [s for s in design.scenarios if s != design.reference]
    return discovery_section(effects, policies, list(design.parameters), reference=design.reference)


def _robustness_design(root: Path) -> Robustness:
    """The design of a robustness experiment's results folder, or a one-line error."""
    from clustersim.experiment.spec import design_of
    from clustersim.experiment.store import ResultStore

    design = design_of(ResultStore.existing(root).read_manifest())
    if not isinstance(design, Robustness):
        raise ConfigError(
            root,
            f"holds the results of a {design.kind}, not of a robustness experiment; "
            "give the folder that `clustersim robustness` wrote",
        )
    return design


def _write_own(path: Path, text: str) -> None:
    """Write `path` atomically, refusing to replace a file this tool did not write."""
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as handle:
            if handle.readline().rstrip("\n") != MARK:
                raise ConfigError(
                    path,
                    "exists and was not written by clustersim discover; "
                    "move it away, then run discover again",
                )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
