"""The Solara app: a live page for one scenario, a side-by-side page for two, and About.

Each page has a `stage.Stage`: the scenario (or pair) chosen, the model, the frame
the page draws and the play state, kept per browser tab so that switching pages
keeps the run. The sidebar holds the play controls and the scenario controls, which
rebuild the model as soon as one changes; the main area draws the latest frame.
The About page says what the model is and offers the teaching demos, whose buttons
load a demo's preset on the live or the side-by-side page. Serve it with
`clustersim dashboard`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import solara
from reacton.core import Element

from clustersim.dashboard.about import AboutViews
from clustersim.dashboard.compare import CompareViews
from clustersim.dashboard.controls import PairControls, ScenarioControls
from clustersim.dashboard.demos import Demo
from clustersim.dashboard.frames import pair_frame, scenario_frame
from clustersim.dashboard.layout import Navigation
from clustersim.dashboard.live import LiveViews
from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.presets import Presets, configured_start, load_presets
from clustersim.dashboard.scenario import Scenario, ScenarioPair
from clustersim.dashboard.stage import PlayControls, Stage, per_tab


def starting_scenario(presets: Presets) -> Scenario:
    """The `--config` file's preset if one was given, else the first (baseline)."""
    start = configured_start()
    label = presets.label_for(start) if start is not None else None
    return Scenario(presets[label] if label is not None else presets.first())


def starting_pair(presets: Presets) -> ScenarioPair:
    """The first preset against the second, e.g. baseline against a policy."""
    first = presets.first()
    second = presets[presets.labels[1]] if len(presets.labels) > 1 else first
    return ScenarioPair.of_presets(first, second)


@dataclass(frozen=True)
class Stages:
    """Both pages' runs and the presets they choose from, per browser tab."""

    presets: solara.Reactive[Presets]
    live: Stage
    compare: Stage


def make_stages() -> Stages:
    """Fresh per-tab state for both pages (tests make their own)."""
    presets = per_tab(lambda: load_presets(extra=configured_start()), "presets")
    live = Stage("live", lambda: starting_scenario(presets.peek()), ScenarioModel, scenario_frame)
    compare = Stage("compare", lambda: starting_pair(presets.peek()), ComparisonModel, pair_frame)
    return Stages(presets, live, compare)


STAGES = make_stages()


@solara.component
def DashboardPage(
    stage: Stage,
    title: str,
    controls: Callable[[Any, Callable[[Any], None]], Element],
    views: Callable[[Any], Element],
):
    """A page drawing `stage`'s latest frame, with its play and scenario controls.

    `controls(chosen, choose)` go in the sidebar below the play controls,
    `views(frame)` in the main area. Leaving the page pauses its run.
    """
    frame = stage.frame.value
    solara.use_effect(lambda: stage.pause, [])  # the cleanup runs when the page goes
    # Runs after the frame's pictures were made and sent: the player may step on.
    solara.use_effect(lambda: stage.drawn(frame), [frame])
    with solara.Column(gap="0px") as page:
        Navigation()
        with solara.AppBar():
            solara.AppBarTitle(title)
        with solara.Sidebar():
            PlayControls(stage)
            controls(stage.choice.value, stage.choose)
        views(frame)
    return page


@solara.component
def LivePage():
    """One scenario: map, event feed and live plots, with its controls."""
    stages = STAGES
    presets = stages.presets.value
    return DashboardPage(
        stages.live,
        title=f"clustersim: {stages.live.choice.value.title}",
        controls=lambda chosen, choose: ScenarioControls(chosen, presets, on_scenario=choose),
        views=LiveViews,
    )


@solara.component
def ComparePage():
    """Two scenarios with the same seed, stepped together, their key views side by side.

    Either side can take the live page's scenario, changed values and seed included.
    """
    stages = STAGES
    presets = stages.presets.value
    live = stages.live.choice.value
    return DashboardPage(
        stages.compare,
        title=f"Side by side: {stages.compare.choice.value.title}",
        controls=lambda chosen, choose: PairControls(chosen, presets, live, on_pair=choose),
        views=CompareViews,
    )


def start_demo(stages: Stages, demo: Demo) -> None:
    """The demo's preset on the live page, seed 1, paused at month 0."""
    restart(stages.live, Scenario(stages.presets.peek()[demo.preset]))


def compare_demo(stages: Stages, demo: Demo) -> None:
    """The baseline against the demo's preset on the side-by-side page, paused at month 0."""
    presets = stages.presets.peek()
    restart(stages.compare, ScenarioPair.of_presets(presets.first(), presets[demo.preset]))


def restart(stage: Stage, choice: Any) -> None:
    """`choice` at month 0, paused, also when it is what the stage runs already."""
    stage.pause()
    if choice == stage.choice.peek():
        stage.reset()
    else:
        stage.choose(choice)


@solara.component
def AboutPage():
    """What the model is, in plain words, and the teaching demos with buttons to run them."""
    stages = STAGES
    router = solara.use_router()

    def go(load: Callable[[Stages, Demo], None], path: str) -> Callable[[Demo], None]:
        return lambda demo: (load(stages, demo), router.push(path))

    with solara.Column(gap="0px") as page:
        Navigation()
        with solara.AppBar():
            solara.AppBarTitle("clustersim: about the model")
        AboutViews(
            frozenset(stages.presets.value.labels),
            on_start=go(start_demo, "/"),
            on_compare=go(compare_demo, "/compare"),
        )
    return page


routes = [
    solara.Route(path="/", component=LivePage, label="Live"),
    solara.Route(path="compare", component=ComparePage, label="Side by side"),
    solara.Route(path="about", component=AboutPage, label="About"),
]
