"""The Solara app: a live page for one scenario and a side-by-side page for two.

Both pages are Mesa `SolaraViz` views: SolaraViz brings the app bar, the Step / Play /
Reset controller, the play and render intervals and the model_params that Reset
rebuilds from. The dashboard adds its scenario controls, which rebuild the model as
soon as one changes, and its views. Serve it with `clustersim dashboard`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import solara
from mesa.visualization import SolaraViz
from reacton.core import Element

from clustersim.dashboard.compare import CompareViews
from clustersim.dashboard.controls import PairControls, ScenarioControls
from clustersim.dashboard.layout import Navigation, SidebarBelowSolaraViz
from clustersim.dashboard.live import LiveViews
from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.presets import Presets, configured_start, load_presets
from clustersim.dashboard.scenario import Scenario, ScenarioPair

# One month per Step click, so a class can follow along; raise the render interval
# in the sidebar to fast-forward. 100 ms between steps while playing.
PLAY_INTERVAL_MS = 100
RENDER_INTERVAL_STEPS = 1


def starting_scenario(presets: Presets) -> Scenario:
    """The `--config` file's preset if one was given, else the first (baseline)."""
    start = configured_start()
    label = presets.label_for(start) if start is not None else None
    return Scenario(presets[label] if label is not None else presets.first())


def starting_pair(presets: Presets) -> ScenarioPair:
    """The first preset against the second, e.g. baseline against a policy."""
    first = presets.first()
    second = presets[presets.labels[1]] if len(presets.labels) > 1 else first
    return ScenarioPair(first, second)


@solara.component
def DashboardPage(
    choice: solara.Reactive[Any],
    build: Callable[[solara.Reactive[Any]], mesa.Model],
    parameter: str,
    title: str,
    controls: Callable[[Any, Callable[[Any], None]], Element],
    views: Callable[[mesa.Model], Element],
):
    """A SolaraViz page whose model is rebuilt from `choice` as soon as a control changes it.

    `build(choice)` makes the model; SolaraViz's Reset does the same through
    `model_params={parameter: choice}`. `controls(chosen, rebuild)` go in the sidebar,
    `views(model)` in the main area.
    """
    model = solara.use_reactive(solara.use_memo(lambda: build(choice), []))
    # Owned here, so the sliders keep their values when SolaraViz is drawn afresh.
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(RENDER_INTERVAL_STEPS)
    # SolaraViz disables Step and Play once a run ends and only its Reset enables them
    # again. A model rebuilt after the end gets a fresh SolaraViz, which starts enabled.
    # (Only then: while a run plays, SolaraViz's play loop must not lose its controller.)
    fresh_starts, set_fresh_starts = solara.use_state(0)

    def rebuild(changed: Any) -> None:
        if changed == choice.value:
            return
        if not model.value.running:
            set_fresh_starts(lambda n: n + 1)
        choice.set(changed)
        model.set(build(choice))

    with solara.Column(gap="0px") as page:
        Navigation()
        SolaraViz(
            model,
            model_params={parameter: choice},  # so Reset restarts what is on screen now
            name=title,
            play_interval=play_interval,
            render_interval=render_interval,
        ).key(f"solaraviz-{fresh_starts}")
        SidebarBelowSolaraViz(children=[controls(choice.value, rebuild)])
        views(model.value)
    return page


@solara.component
def LivePage():
    """One scenario: map, event feed and live plots, with its controls."""
    presets = solara.use_memo(lambda: load_presets(extra=configured_start()), [])
    scenario = solara.use_reactive(solara.use_memo(lambda: starting_scenario(presets), []))
    return DashboardPage(
        scenario,
        ScenarioModel,
        "scenario",
        title=f"clustersim: {scenario.value.title}",
        controls=lambda chosen, rebuild: ScenarioControls(chosen, presets, on_scenario=rebuild),
        views=LiveViews,
    )


@solara.component
def ComparePage():
    """Two presets with the same seed, stepped together, their key views side by side."""
    presets = solara.use_memo(lambda: load_presets(extra=configured_start()), [])
    pair = solara.use_reactive(solara.use_memo(lambda: starting_pair(presets), []))
    return DashboardPage(
        pair,
        ComparisonModel,
        "pair",
        title=f"Side by side: {pair.value.title}",
        controls=lambda chosen, rebuild: PairControls(chosen, presets, on_pair=rebuild),
        views=CompareViews,
    )


routes = [
    solara.Route(path="/", component=LivePage, label="Live"),
    solara.Route(path="compare", component=ComparePage, label="Side by side"),
]
