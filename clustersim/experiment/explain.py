"""Why a policy works: its effect against the reference, and what remains of that effect
when each model mechanism is switched off in turn.

`clustersim explain EXPERIMENT` turns a comparison into a mechanism ablation: every
scenario, the reference included, runs once with every mechanism on and once with
each mechanism of `clustersim.mechanisms` switched off, as one comparison on the
ordinary engine and store (so workers, Dask, resume and crash safety are compare's).
Replication k of every group uses the same seed (common random numbers), so an effect
is measured within a replication: the policy's run minus the reference's run with the
same mechanisms. Its 95 % interval is a Student-t interval over those paired
differences. For mechanism m the effect is (policy, m off) − (reference, m off), and
the share remaining is that effect over the full one.

The words of the explanation are computed from the numbers by the rules of `_reading`,
never written by hand.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clustersim.config import did_you_mean, read_toml
from clustersim.experiment import analysis
from clustersim.experiment.analysis import mean_interval
from clustersim.experiment.spec import MAX_RUNS, Compare, Experiment, load_experiment
from clustersim.experiment.store import read_table
from clustersim.formatting import Block, Table, interval, markdown, missing, percent, plural
from clustersim.mechanisms import MECHANISMS
from clustersim.parameters import Parameters

ALL_ON = "none"  # the mechanism switched off in the runs with every mechanism on
CARRIES_BELOW = 0.5  # switched off, it leaves less than half of the effect: it carries it
HOLDS_BACK_ABOVE = 1.5  # switched off, the effect grows by more than half: it holds it back
COLUMNS = ["policy", "mechanism", "outcome", "effect", "ci_low", "ci_high", "share_remaining"]


class ExplainError(Exception):
    """An experiment or option that explain cannot use; one line for the user."""


@dataclass(frozen=True)
class Outcome:
    """An outcome whose effects explain reports: its column and how its numbers read."""

    column: str
    label: str
    scale: float = 1.0
    unit: str = ""
    spec: str = "+.1f"

    def text(self, x: float, low: float = np.nan, high: float = np.nan) -> str:
        """An effect with its interval, signed, in the outcome's unit."""
        return interval(x, low, high, self.spec, scale=self.scale, suffix=self.unit)


COLLABORATION = "membership_months_per_organisation"  # analysis.run_outcomes's column
OUTCOMES = (
    Outcome("survival_36", "S(36)", scale=100, unit=" points"),
    Outcome("partnerships_formed", "partnerships formed per run"),
    Outcome(COLLABORATION, "collaboration-months per organisation", spec="+.2f"),
)


@dataclass(frozen=True)
class Ablation:
    """A comparison turned into an ablation: the experiment that runs, and what each group is."""

    experiment: Experiment  # scenarios x (all on + each mechanism off), as one comparison
    groups: dict[str, tuple[str, str]]  # group -> (scenario, mechanism switched off or ALL_ON)
    mechanisms: tuple[str, ...]

    @property
    def reference(self) -> str:
        """The scenario every effect is measured against, as the experiment file names it."""
        return self.experiment.reference

    @property
    def policies(self) -> list[str]:
        """The scenarios explained: every one but the reference, in the file's order."""
        scenarios = dict.fromkeys(scenario for scenario, _ in self.groups.values())
        return [s for s in scenarios if s != self.reference]


def group_name(scenario: str, mechanism: str) -> str:
    """The run scenario of a group: its own name with every mechanism on, else marked."""
    return scenario if mechanism == ALL_ON else f"{scenario}-no-{mechanism}"


def parse_mechanisms(text: str | None) -> tuple[str, ...]:
    """The mechanisms `--mechanisms a,b` names (default all), each checked against the registry."""
    if text is None:
        return tuple(MECHANISMS)
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise ExplainError(f"--mechanisms {text!r}: names none; known: {', '.join(MECHANISMS)}")
    for name in names:
        if name not in MECHANISMS:
            hint = did_you_mean(name, MECHANISMS) or f"known: {', '.join(MECHANISMS)}"
            raise ExplainError(f"--mechanisms: unknown mechanism {name!r}; {hint}")
    return names


def load_ablation(path: Path, mechanisms: str | None, replications: int | None) -> Ablation:
    """Read a comparison file and refuse, in one line, what cannot be explained."""
    names = parse_mechanisms(mechanisms)
    experiment = load_experiment(path)
    if not isinstance(experiment.design, Compare):
        raise ExplainError(
            f"{path}: is a {experiment.kind}; explain needs a compare experiment "
            '(kind = "compare") with a reference scenario'
        )
    if "reference" not in read_toml(Path(path)):
        raise ExplainError(
            f'{path}: names no reference scenario; add reference = "<scenario>" (one of '
            f"{', '.join(experiment.scenarios)}), the scenario every effect is measured against"
        )
    if len(experiment.scenarios) < 2:
        raise ExplainError(
            f"{path}: has only the reference scenario; there is no policy to explain"
        )
    return ablation(experiment, names, replications)


def ablation(
    experiment: Experiment, mechanisms: Sequence[str], replications: int | None = None
) -> Ablation:
    """Every scenario with every mechanism on and with each switched off, the same seeds for all."""
    groups, scenarios = {}, {}
    for scenario, params in experiment.scenarios.items():
        _refuse_switched_off(experiment.path, scenario, params)
        for mechanism in (ALL_ON, *mechanisms):
            name = group_name(scenario, mechanism)
            if name in groups:
                raise ExplainError(f"{experiment.path}: scenario {name!r} clashes with an ablation")
            groups[name] = (scenario, mechanism)
            off = {} if mechanism == ALL_ON else {MECHANISMS[mechanism].parameter: False}
            scenarios[name] = params.replace(**off)
    reps = replications or experiment.replications
    if len(groups) * reps > MAX_RUNS:
        raise ExplainError(
            f"{experiment.path}: {len(groups):,} groups x {reps:,} replications = "
            f"{len(groups) * reps:,} runs, more than the {MAX_RUNS:,} one experiment may hold; "
            "lower --replications or choose fewer --mechanisms"
        )
    derived = dataclasses.replace(
        experiment,
        name=f"{experiment.name}-explain",
        description=f"Mechanism ablation of {experiment.name}. {experiment.description}".strip(),
        replications=reps,
        scenarios=scenarios,
        design=Compare(tuple(scenarios), experiment.reference),
    )
    return Ablation(derived, groups, tuple(mechanisms))


def _refuse_switched_off(path: Path, scenario: str, params: Parameters) -> None:
    """A scenario that switches a mechanism off itself has no 'all on' run to start from."""
    off = [m.parameter for m in MECHANISMS.values() if getattr(params, m.parameter) is False]
    if off:
        raise ExplainError(
            f"{path}: scenario {scenario!r} switches {', '.join(off)} off itself; explain "
            "switches mechanisms off one at a time from all on, so leave them on there"
        )


# ------------------------------------------------------------------------ analysis
def read_outcomes(out: Path, plan: Ablation) -> pd.DataFrame:
    """One row per run of a finished ablation: scenario, mechanism, replication, OUTCOMES.

    S(36) and formations are the runs table's; collaboration-months are
    `analysis.run_outcomes`'s membership-months per organisation, the report's own.
    """
    keys = analysis.RUN_KEYS
    runs = read_table(out, "runs", columns=[*keys, "survival_36", "partnerships_formed"])
    reach = analysis.run_outcomes(
        read_table(out, "series", columns=[*keys, "month", *analysis.SPENDING_COLUMNS]),
        read_table(out, "partnerships", columns=[*keys, "duration"]),
        read_table(out, "memberships", columns=[*keys, "joined", "left"]),
        read_table(out, "organisations", columns=keys),
    )
    table = runs.merge(reach[[*keys, COLLABORATION]], on=keys, how="left", validate="1:1")
    return label_groups(table, plan.groups)


def label_groups(table: pd.DataFrame, groups: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Replace each run's group name by the scenario and the mechanism switched off."""
    scenario, mechanism = zip(*(groups[g] for g in table["scenario"]), strict=True)
    return table.assign(scenario=list(scenario), mechanism=list(mechanism))


def _paired_differences(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per replication and mechanism, each policy's outcomes minus the reference's."""
    keyed = table.set_index(["scenario", "mechanism", "replication"])[[o.column for o in OUTCOMES]]
    base = keyed.xs(reference, level="scenario")
    policies = [s for s in pd.unique(table["scenario"]) if s != reference]
    pieces = {policy: keyed.xs(policy, level="scenario") - base for policy in policies}
    return pd.concat(pieces, names=["policy"]).sort_index()  # sorted: fast lookups by key


def _order(table: pd.DataFrame, reference: str) -> list[tuple[str, str]]:
    """(policy, mechanism) in the order of the runs, each policy's full effect first."""
    policies = [s for s in pd.unique(table["scenario"]) if s != reference]
    switched = [m for m in pd.unique(table["mechanism"]) if m != ALL_ON]
    return [(p, m) for p in policies for m in (ALL_ON, *switched)]


def effects(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each policy's effect per outcome with every mechanism on and with each switched off.

    `table` has one row per run: scenario, mechanism (ALL_ON or the one switched off),
    replication and the OUTCOMES columns. Columns of the result: COLUMNS.
    """
    diffs = _paired_differences(table, reference)
    rows = []
    for policy, mechanism in _order(table, reference):
        for outcome in OUTCOMES:
            full = mean_interval(diffs.loc[(policy, ALL_ON), outcome.column])[0]
            effect, low, high = mean_interval(diffs.loc[(policy, mechanism), outcome.column])
            share = effect / full if not missing(full) and full != 0 else np.nan
            rows.append([policy, mechanism, outcome.column, effect, low, high, share])
    return pd.DataFrame(rows, columns=COLUMNS)


def losses(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """How much of each effect switching a mechanism off takes away, paired per replication.

    Columns policy, mechanism, outcome, loss, ci_low, ci_high: the full effect minus the
    effect with the mechanism off, so a loss whose interval excludes 0 is no noise.
    """
    diffs = _paired_differences(table, reference)
    rows = []
    for policy, mechanism in _order(table, reference):
        if mechanism == ALL_ON:
            continue
        lost = diffs.loc[(policy, ALL_ON)] - diffs.loc[(policy, mechanism)]
        for outcome in OUTCOMES:
            rows.append([policy, mechanism, outcome.column, *mean_interval(lost[outcome.column])])
    columns = ["policy", "mechanism", "outcome", "loss", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------- reading
def _clear(low: float, high: float) -> bool:
    """Whether a 95 % interval excludes 0: an effect the replications' noise cannot explain."""
    return not (missing(low) or missing(high)) and (low > 0 or high < 0)


def _reading(policy: str, outcome: Outcome, rows: pd.DataFrame, lost: pd.DataFrame) -> str:
    """One sentence on a policy's effect on an outcome and the mechanisms the rules name."""
    full = rows[rows["mechanism"] == ALL_ON].iloc[0]
    effect = outcome.text(full.effect, full.ci_low, full.ci_high)
    if not _clear(full.ci_low, full.ci_high):
        return (
            f"**{outcome.label}**: no clear effect ({effect}; the interval includes 0), "
            "so what remains of it is not read."
        )
    verb = "raises" if full.effect > 0 else "lowers"
    clear_loss = {r.mechanism for r in lost.itertuples() if _clear(r.ci_low, r.ci_high)}
    named = [
        _role(r.mechanism, r.share_remaining)
        for r in rows[rows["mechanism"].isin(clear_loss)].itertuples()
    ]
    found = "; ".join(n for n in named if n) or (
        "no one mechanism carries it: with each switched off in turn, at least half of the "
        "effect remains or the change is within the replications' noise"
    )
    return f"**{outcome.label}**: {policy} {verb} it, {effect}; {found}."


def _role(mechanism: str, share: float) -> str | None:
    """What a mechanism does to a clear effect, by the share left with it off; None if little."""
    left = percent(share)
    if share < 0:
        return f"without {mechanism} the effect reverses ({left} remains)"
    if share < CARRIES_BELOW:
        return f"{mechanism} carries it ({left} remains with it off)"
    if share > HOLDS_BACK_ABOVE:
        return f"{mechanism} holds it back (with it off, the effect is {left} of the full one)"
    return None


def _policy_section(
    policy: str, reference: str, found: pd.DataFrame, lost: pd.DataFrame
) -> list[Block]:
    """A policy's readings and its table of what remains with each mechanism off."""
    mine, taken = found[found["policy"] == policy], lost[lost["policy"] == policy]
    readings = []
    for o in OUTCOMES:
        rows, gone = mine[mine["outcome"] == o.column], taken[taken["outcome"] == o.column]
        readings.append(f"- {_reading(policy, o, rows, gone)}")
    return [f"## {policy} against {reference}", "\n".join(readings), _remains_table(mine)]


def _remains_table(mine: pd.DataFrame) -> Table:
    """One row per mechanism switched off: each outcome's effect and the share remaining.

    A share of an effect that is not clear is shown in parentheses: it is not read.
    """
    header = ["switched off", *(cell for o in OUTCOMES for cell in (o.label, "remains"))]
    cell = {(r.mechanism, r.outcome): r for r in mine.itertuples()}
    rows = []
    for mechanism in pd.unique(mine["mechanism"]):
        cells = [f"{mechanism} (full effect)" if mechanism == ALL_ON else mechanism]
        for o in OUTCOMES:
            r, full = cell[(mechanism, o.column)], cell[(ALL_ON, o.column)]
            share = percent(r.share_remaining)
            read = _clear(full.ci_low, full.ci_high)
            cells += [o.text(r.effect, r.ci_low, r.ci_high), share if read else f"({share})"]
        rows.append(cells)
    return Table(header, rows)


def _introduction(plan: Ablation) -> list[Block]:
    """What was run, how an effect is measured, and the rules that turn numbers into words."""
    exp = plan.experiment
    design = (
        f"{plural(len(plan.policies) + 1, 'scenario')} x (all mechanisms on + "
        f"{plural(len(plan.mechanisms), 'mechanism')} switched off one at a time) x "
        f"{plural(exp.replications, 'replication')} = {len(exp.runs()):,} runs"
    )
    mechanisms = Table(
        ["mechanism", "what it does", "switched off"],
        [[m, MECHANISMS[m].meaning, MECHANISMS[m].when_off] for m in plan.mechanisms],
    )
    return [
        f"# Why the policies work: {exp.name.removesuffix('-explain')}",
        "\n".join(
            [
                f"- Reference: `{plan.reference}`; policies: {', '.join(plan.policies)}.",
                f"- Design: {design}. Replication k of every group runs with the same seed "
                "(common random numbers).",
                "- Effect: per replication, the policy's run minus the reference's run with the "
                "same mechanisms switched off; the mean over replications with a Student-t 95 % "
                "interval. *Remains*: the effect with the mechanism off as a share of the full "
                "effect, in parentheses where the full effect is not clear.",
                "- S(36): each run's Kaplan-Meier estimate of the share of its partnerships "
                "still active 36 months after forming, in percentage points. "
                "Collaboration-months per organisation: the months organisations were "
                "partnership members over the run, per organisation (two at once count twice).",
                f"- Words: an effect is *clear* when its interval excludes 0; the shares of an "
                f"effect that is not clear are not read. A mechanism *carries* a clear effect "
                f"when, switched off, it leaves less than {percent(CARRIES_BELOW)} of it (below "
                f"0 the effect *reverses*), and *holds it back* when the effect grows beyond "
                f"{percent(HOLDS_BACK_ABOVE)}; it is named only when the loss (the full effect "
                "minus the effect with it off, paired per replication) has an interval that "
                "excludes 0.",
            ]
        ),
        "## Mechanisms",
        mechanisms,
    ]


def explanation(plan: Ablation, found: pd.DataFrame, lost: pd.DataFrame) -> list[Block]:
    """The whole explanation as report blocks: the introduction, then one section per policy."""
    blocks = _introduction(plan)
    for policy in plan.policies:
        blocks += _policy_section(policy, plan.reference, found, lost)
    return blocks


def write_explanation(out: Path, plan: Ablation) -> str:
    """Write OUT/explain.md and OUT/explain.csv (each atomically) and return the Markdown."""
    table = read_outcomes(out, plan)
    found, lost = effects(table, plan.reference), losses(table, plan.reference)
    text = "\n".join(markdown(explanation(plan, found, lost)))
    _write_text(Path(out) / "explain.csv", found.to_csv(index=False))
    _write_text(Path(out) / "explain.md", text)
    return text


def _write_text(path: Path, text: str) -> None:
    """Write to a temporary sibling, then rename it into place: never half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
