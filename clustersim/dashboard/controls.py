"""Controls: pick a preset, move the policy levers and main parameters, set the seed.

The sliders and switches are Mesa `model_params` entries drawn by Mesa's
`UserInputs`, labelled with their units and bounded by the parameter's valid range
(`parameters.specs()`), narrowed to a range that is useful on a slider. Any numeric
parameter can also be typed exactly. Every change goes through `Scenario`, which
validates it: a refused value shows why, and the running model is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import solara
from mesa.visualization.solara_viz import UserInputs

from clustersim.dashboard.labels import blurb, in_words, label, labelled_value
from clustersim.dashboard.presets import Presets
from clustersim.dashboard.scenario import SEED_RANGE, Scenario, ScenarioPair
from clustersim.parameters import ParameterError, Parameters, specs

LEVERS = (
    "subsidy_share",
    "subsidy_months",
    "participant_cap",
    "quick_win",
    "quick_win_earliest_months",
    "quick_win_latest_months",
    "matchmaking",
    "cluster_manager_hours",
    "cluster_manager_salary_eur",
)
MAIN_PARAMETERS = (
    "months",
    "n_smes",
    "initiation_rate",
    "target_size_mean",
    "leader_threshold",
    "awareness_radius_km",
    "trust_gain",
    "patience_months",
)
# Slider (low, high, step) for teaching, inside each parameter's valid range; type a
# value to go beyond it.
SLIDER_RANGES: dict[str, tuple[float, float, float]] = {
    "subsidy_share": (0.0, 1.0, 0.05),
    "subsidy_months": (0, 120, 6),
    "participant_cap": (0, 20, 1),
    "quick_win_earliest_months": (1, 24, 1),
    "quick_win_latest_months": (1, 24, 1),
    "cluster_manager_hours": (0.0, 320.0, 8.0),  # 8 h a month serve one partnership
    "cluster_manager_salary_eur": (0.0, 15_000.0, 500.0),
    "months": (12, 240, 12),
    "n_smes": (20, 1000, 10),
    "initiation_rate": (0.0, 0.2, 0.005),
    "target_size_mean": (2.0, 15.0, 0.5),
    "leader_threshold": (0.0, 1.0, 0.05),
    "awareness_radius_km": (0.0, 10.0, 0.5),
    "trust_gain": (0.0, 1.0, 0.05),
    "patience_months": (1.0, 36.0, 1.0),
}
NUMERIC = tuple(name for name, (f, _) in specs().items() if f.type != "bool")


def user_params(names: Iterable[str], parameters: Parameters) -> dict[str, dict[str, Any]]:
    """Mesa `model_params` entries for `names`, showing the values in `parameters`."""
    entries: dict[str, dict[str, Any]] = {}
    for name in names:
        field, spec = specs()[name]
        value = getattr(parameters, name)
        if field.type == "bool":
            entries[name] = {"type": "Checkbox", "value": value, "label": label(name)}
            continue
        low, high, step = SLIDER_RANGES.get(name, (spec.low, spec.high, 1))
        # Never hide the current value, and never offer an invalid one.
        low, high = max(spec.low, min(low, value)), min(spec.high, max(high, value))
        kind = "SliderInt" if field.type == "int" else "SliderFloat"
        cast = int if kind == "SliderInt" else float
        entries[name] = {
            "type": kind,
            "value": value,
            "min": cast(low),
            "max": cast(high),
            "step": cast(step_through(value, low, step)),
            "label": labelled_value(name, value),
        }
    return entries


def step_through(value: float, low: float, step: float) -> float:
    """The slider's step: its teaching step, or a finer one if `value` lies between marks.

    The browser's slider snaps its value to `low + k * step` and reports the snapped
    value back, which would rebuild a preset's 6.6 members as 6.5. A finer step, the
    value's own last decimal, keeps the preset's value on the slider exactly.
    """
    marks = (value - low) / step
    if abs(marks - round(marks)) < 1e-9:
        return step
    decimals = next(d for d in range(12) if round(value, d) == value)
    return 10.0**-decimals


Attempt = Callable[[str, Callable[[], Any], Callable[[Any], None]], None]


def use_refusal() -> tuple[tuple[str, str] | None, Attempt]:
    """The last refusal as (where, message), and `attempt(where, change, apply)`.

    `attempt` applies `change()` if it validates, else remembers why not, so the
    message can be shown beside the control it came from.
    """
    refusal, set_refusal = solara.use_state(None)

    def attempt(where: str, change: Callable[[], Any], apply: Callable[[Any], None]) -> None:
        try:
            changed = change()
        except ParameterError as exc:
            set_refusal((where, f"Refused: {in_words(str(exc))}. The running model is unchanged."))
            return
        set_refusal(None)
        apply(changed)

    return refusal, attempt


@solara.component
def Refusal(refusal: tuple[str, str] | None, where: str):
    """The refusal message, if the last refused change came from `where`."""
    if refusal is not None and refusal[0] == where:
        solara.Error(refusal[1], classes=["refusal"])


@solara.component
def ScenarioControls(scenario: Scenario, presets: Presets, on_scenario: Callable[[Scenario], None]):
    """Preset picker, seed, levers, main parameters and an exact-value field."""
    refusal, attempt = use_refusal()

    def changer(where: str) -> Callable[[str, Any], None]:
        return lambda name, value: attempt(
            where, lambda: scenario.with_value(name, value), on_scenario
        )

    with solara.Card("Scenario"):
        solara.Select(
            label="Scenario preset",
            values=presets.labels,
            value=scenario.preset.label,
            on_value=lambda chosen: on_scenario(scenario.with_preset(presets[chosen])),
        )
        solara.Text(blurb(scenario.preset.description), style={"font-size": "0.85rem"})
        SeedInput(
            scenario.seed,
            lambda seed: attempt("seed", lambda: scenario.with_seed(seed), on_scenario),
        )
        Refusal(refusal, "seed")
        for problem in presets.problems:
            solara.Warning(f"Preset not loaded: {problem}")
    with solara.Card("Policy levers"):
        UserInputs(user_params(LEVERS, scenario.parameters), on_change=changer("levers"))
        Refusal(refusal, "levers")
    with solara.Card("Model parameters"):
        UserInputs(user_params(MAIN_PARAMETERS, scenario.parameters), on_change=changer("main"))
        Refusal(refusal, "main")
        ExactValue(scenario.parameters, changer("exact"))
        Refusal(refusal, "exact")


@solara.component
def SeedInput(seed: int, on_seed: Callable[[int], None]):
    """The seed, typed; the same seed gives the same run."""
    low, high = SEED_RANGE
    return solara.InputInt(f"Seed ({low} to {high})", value=seed, on_value=on_seed)


@solara.component
def ExactValue(parameters: Parameters, on_change: Callable[[str, Any], None]):
    """Type any numeric parameter's value; applied on Enter or when the field loses focus."""
    name, set_name = solara.use_state("n_smes")
    spec = specs()[name][1]
    by_label = {label(numeric): numeric for numeric in NUMERIC}
    solara.Select(
        label="Parameter to type",
        values=list(by_label),
        value=label(name),
        on_value=lambda chosen: set_name(by_label[chosen]),
    )
    solara.InputFloat(
        f"{label(name)}, valid {spec.low:g} to {spec.high:g}",
        value=getattr(parameters, name),
        on_value=lambda value: on_change(name, value),
    ).key(f"exact-{name}")


@solara.component
def PairControls(
    pair: ScenarioPair,
    presets: Presets,
    live: Scenario,
    on_pair: Callable[[ScenarioPair], None],
):
    """Two preset pickers, the live page's scenario for either side, and the shared seed."""
    refusal, attempt = use_refusal()
    with solara.Card("Scenarios side by side"):
        for side in ("left", "right"):
            chosen = pair.side(side)
            solara.Select(
                label=f"{side.capitalize()} scenario",
                values=presets.labels,
                value=chosen.preset.label,
                on_value=lambda label, side=side: on_pair(pair.with_side(side, presets[label])),
            )
            if chosen.changes:
                solara.Text(f"Changed: {chosen.name}", style={"font-size": "0.85rem"})
        SeedInput(pair.seed, lambda seed: attempt("seed", lambda: pair.with_seed(seed), on_pair))
        Refusal(refusal, "seed")
        solara.Text(
            "Both run with the same seed, so differences come from the scenarios, not chance.",
            style={"font-size": "0.85rem"},
        )
    with solara.Card("From the Live tab"):
        solara.Text(f"Live runs {live.title}.", style={"font-size": "0.85rem"})
        with solara.Row(style={"flex-wrap": "wrap"}):  # never wider than the sidebar
            for side in ("left", "right"):
                solara.Button(
                    f"Use it on the {side}",
                    color="primary",
                    outlined=True,
                    disabled=pair.side(side) == live,
                    on_click=lambda side=side: on_pair(pair.with_scenario(side, live)),
                )
