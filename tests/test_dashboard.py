"""The dashboard, rendered in-process with `solara.render` and driven through its widgets."""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import solara

from clustersim.dashboard import app
from clustersim.dashboard.compare import OVERLAID_CHARTS, pair_sides
from clustersim.dashboard.controls import LEVERS, MAIN_PARAMETERS, user_params
from clustersim.dashboard.demos import DEMO_FOR_PRESET, DEMOS, steps_html
from clustersim.dashboard.feed import COLOURS, FILTERS, FeedFilter, FeedLines, selected
from clustersim.dashboard.frames import scenario_frame
from clustersim.dashboard.inspector import (
    LEADERLESS_WORDS,
    details,
    details_html,
    partnership_details,
)
from clustersim.dashboard.labels import blurb, in_words, label, unit
from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.playback import Pacer, Player, Run
from clustersim.dashboard.plots import (
    ACTIVE,
    SIDE_COLOURS,
    SPENDING,
    TRUST,
    TURNOVER,
    nice_ceiling,
    series_datasets,
    series_rows,
    series_spec,
)
from clustersim.dashboard.presets import CONFIG_ENV, load_presets
from clustersim.dashboard.region_map import LEADERLESS, LED, link_rows, map_datasets, map_spec
from clustersim.dashboard.scenario import Scenario, ScenarioPair
from clustersim.dashboard.selection import Selection, organisation, partnership
from clustersim.dashboard.server import address, command, environment
from clustersim.dashboard.stage import DEFAULT_SPEED
from clustersim.dashboard.survival_plot import (
    FEW_AT_RISK,
    at_risk_rows,
    curve_rows,
    survival_datasets,
    survival_note,
    survival_so_far,
    survival_spec,
    survival_table,
)
from clustersim.dashboard.vega import VegaView, local_libraries
from clustersim.dashboard.wording import CAUSE_WORDS, sentence
from clustersim.formatting import eur
from clustersim.parameters import ParameterError, specs
from clustersim.partnership import Cause
from clustersim.records import EVENT_KINDS, Event
from clustersim.survival import kaplan_meier

ROOT = Path(__file__).resolve().parents[1]
FEED_LINE = re.compile(r'<div class="feed-event[^"]*"[^>]*>(.*?)</div>')
CONFIGS = ROOT / "configs"
# A small region, so each test runs in about a second; everything else is the baseline.
SMALL = """
base = "{baseline}"
name = "small"
description = "The baseline with fewer firms, for tests."

[population]
n_smes = 80

[region]
n_centres = 3
"""


@pytest.fixture
def small_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Start the dashboard from a small config, as `clustersim dashboard --config` would."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL.format(baseline=(CONFIGS / "baseline.toml").as_posix()))
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


class Page:
    """A rendered dashboard page, driven the way a user would, plus the model it runs.

    Each page gets fresh per-tab state (`app.make_stages`), as a new browser tab would.
    """

    def __init__(self, component, monkeypatch: pytest.MonkeyPatch, views: str) -> None:
        self.shown: list = []  # the frames the views drew, in order
        real_views = getattr(app, views)

        @solara.component
        def Recorded(frame):
            self.shown.append(frame)
            return real_views(frame)

        monkeypatch.setattr(app, views, Recorded)
        monkeypatch.setattr(app, "STAGES", app.make_stages())
        self.stage = app.STAGES.live if views == "LiveViews" else app.STAGES.compare
        self.box, self.rc = solara.render(
            solara.AppLayout(children=[component()]), handle_error=False
        )

    @property
    def model(self):
        return self.stage.model

    @property
    def frame(self):
        return self.shown[-1]

    def button(self, text: str) -> v.Btn:
        return self.rc.find(v.Btn, children=[text]).widget

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            self.button("Step").click()

    def widget(self, kind: type, starts: str):
        found = [w for w in self.rc.find(kind).widgets if str(w.label).startswith(starts)]
        assert len(found) == 1, f"expected one {kind.__name__} labelled {starts!r}, got {found}"
        return found[0]

    def type_into(self, starts: str, text: str) -> None:
        """Type into a text field and press Enter."""
        field = self.widget(v.TextField, starts)
        field.v_model = text
        field.fire_event("keyup.enter", None)

    def charts(self) -> list[VegaView]:
        """The map(s) and plots."""
        return list(self.rc.find(VegaView).widgets)

    def chart(self, kind: str, k: int = 0) -> VegaView:
        return [w for w in self.charts() if w.kind == kind][k]

    def drawn(self) -> list[dict]:
        """What each chart was last sent to draw: its rows per data source."""
        return [w.datasets for w in self.charts()]

    def text(self) -> str:
        """The words on the page, in order."""
        return "\n".join(_words(self.box))

    def feed(self) -> list[str]:
        """The lines of the event feed, top to bottom, as the browser shows them."""
        return [html.unescape(line) for line in FEED_LINE.findall(self.feed_html())]

    def feed_html(self, k: int = 0) -> str:
        return self.rc.find(FeedLines).widgets[k].lines

    def inspector(self) -> list[tuple[str, str]]:
        """What the inspector shows: each title with its facts' HTML."""
        titles = self.rc.find(v.Html, class_="inspector-title").widgets
        facts = [
            w.unsafe_innerHTML
            for w in self.rc.find(solara.widgets.HTML).widgets
            if "inspector-facts" in (w.unsafe_innerHTML or "")
        ]
        return [(w.children[0], f) for w, f in zip(titles, facts, strict=True)]

    def refusals(self) -> list[str]:
        return [" ".join(map(str, w.children)) for w in self.rc.find(v.Alert).widgets]

    def close(self) -> None:
        self.stage.pause()
        self.rc.close()


def _words(widget: ipywidgets.Widget) -> Iterator[str]:
    for child in getattr(widget, "children", None) or ():
        if isinstance(child, str):
            yield child
        elif isinstance(child, ipywidgets.Widget):
            yield from _words(child)


@pytest.fixture
def live(small_config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    page = Page(app.LivePage, monkeypatch, "LiveViews")
    yield page
    page.close()


@pytest.fixture
def side_by_side(small_config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    page = Page(app.ComparePage, monkeypatch, "CompareViews")
    yield page
    page.close()


# --------------------------------------------------------------------- the live page
def test_every_control_is_present(live: Page) -> None:
    for text in ("Reset", "▶", "Step"):
        live.button(text)
    preset = live.widget(v.Select, "Scenario preset")
    assert {"baseline", "quick_win", "start_subsidy", "small"} <= set(preset.items)
    assert any(item.startswith("teaching/") for item in preset.items)
    for name in LEVERS + MAIN_PARAMETERS:
        kind = v.Checkbox if specs()[name][0].type == "bool" else v.Slider
        live.widget(kind, label(name))
    live.widget(v.TextField, "Seed")
    live.widget(v.Select, "Parameter to type")
    assert live.widget(v.Slider, "Speed").v_model == DEFAULT_SPEED
    assert "months per second" in live.widget(v.Slider, "Speed").label


def test_the_levers_are_labelled_in_plain_words_with_units() -> None:
    assert label("cluster_manager_hours") == "manager hours (h/month)"
    assert label("quick_win_latest_months") == "quick win latest (months)"
    assert label("quick_win") == "start with a quick win"  # a switch: no unit
    assert label("n_smes") == "number of SMEs (organisations)"
    assert label("initiation_rate") == "starting chance (per month)"
    removed = {"quick_win_months", "cluster_manager_capacity", "cluster_manager_boost"}
    assert not removed & set(LEVERS + MAIN_PARAMETERS)
    assert all(name in specs() for name in LEVERS + MAIN_PARAMETERS)


def test_every_parameter_is_labelled_in_words_with_its_unit_never_by_its_name() -> None:
    names = set(specs())
    labels = {name: label(name) for name in names}
    assert len(set(labels.values())) == len(names)  # the typed-value picker tells them apart
    for name, text in labels.items():
        assert "_" not in text and text.split(" (")[0] != name.replace("_", " "), text
        assert text.endswith(f"({unit(name)})") or specs()[name][1].unit == "switch", text


def test_changes_and_refusals_are_told_in_words() -> None:
    scenario = Scenario(load_presets(CONFIGS)["baseline"], seed=3)
    changed = scenario.with_value("subsidy_share", 0.5).with_value("quick_win", True)
    assert changed.title == (
        "baseline, start subsidy = 0.5 share of costs, start with a quick win: on, seed 3"
    )
    said = in_words("participant_cap = 1 is below min_members (2)")
    assert said == "member cap (0: none) = 1 is below smallest partnership (2)"


def test_lever_labels_are_short_enough_to_leave_room_for_the_slider() -> None:
    parameters = Scenario(load_presets(CONFIGS)["baseline"]).parameters
    for entry in user_params(LEVERS + MAIN_PARAMETERS, parameters).values():
        assert len(entry["label"]) <= 36, entry["label"]


def test_sliders_show_units_and_stay_in_the_valid_range() -> None:
    parameters = Scenario(load_presets(CONFIGS)["baseline"]).parameters
    for name, entry in user_params(LEVERS + MAIN_PARAMETERS, parameters).items():
        spec = specs()[name][1]
        if entry["type"] != "Checkbox":
            assert spec.low <= entry["min"] <= entry["value"] <= entry["max"] <= spec.high
            assert entry["label"].startswith(f"{label(name)}: ")


def browser_slider_value(value: float, low: float, step: float) -> float:
    """What Vuetify's slider makes of a value: snapped to its marks, to the step's decimals."""
    decimals = len(f"{step:.12g}".partition(".")[2])
    offset = low % step
    return round(round((value - offset) / step) * step + offset, decimals)


def test_sliders_show_every_shipped_preset_exactly_so_the_browser_does_not_change_it() -> None:
    presets = load_presets(CONFIGS)
    for preset in presets.labels:
        parameters = Scenario(presets[preset]).parameters
        for name, entry in user_params(LEVERS + MAIN_PARAMETERS, parameters).items():
            if entry["type"] != "Checkbox":
                shown = browser_slider_value(entry["value"], entry["min"], entry["step"])
                assert shown == entry["value"], (preset, name, entry)


def test_the_view_says_which_scenario_and_seed_run(live: Page) -> None:
    assert "Running: small, seed 1. Month 0 of 120" in live.text()
    assert live.model.scenario.preset.label == "small"
    assert live.model.p.n_smes == 80


def test_step_advances_the_model_and_redraws_the_map_and_plots(live: Page) -> None:
    model, before = live.model, live.drawn()
    live.step(6)
    assert live.model is model and model.month == 6
    assert "Month 6 of 120" in live.text()
    assert model.partnerships  # so every plot has something new to show
    after = live.drawn()
    kinds = sorted(chart.kind for chart in live.charts())
    assert kinds == ["region-map", *["series-plot"] * 5, "survival-plot"]
    assert all(new != old for new, old in zip(after, before, strict=True))
    assert {chart.serial for chart in live.charts()} == {live.frame.serial}


def test_the_feed_keeps_every_event_of_the_run_newest_first(live: Page) -> None:
    assert "Nothing yet" in live.text()
    while len(live.model.events) <= 2 * 12:  # more than the old feed's 12 lines
        live.step()
    events = live.model.events
    shown = live.feed()
    assert shown == [sentence(event, live.frame.region) for event in reversed(events)]
    months = [int(text.split(":")[0].removeprefix("Month ")) for text in shown]
    assert months == sorted(months, reverse=True) and months[-1] == events[0].month
    assert f"{len(events)} events, newest first" in live.text()


def test_the_feed_shows_one_kind_of_news_or_one_partnerships_story(live: Page) -> None:
    while not any(e.kind == "dissolved" for e in live.model.events):
        live.step()
    kinds = live.rc.find(v.BtnToggle, class_="feed-kinds").widget
    kinds.v_model = [list(FILTERS).index("dissolved")]
    events = live.model.events
    dissolved = [e for e in reversed(events) if e.kind == "dissolved"]
    assert live.feed() == [sentence(e, live.frame.region) for e in dissolved]
    assert f"{len(dissolved)} of {len(events)} events, newest first" in live.text()

    kinds.v_model = list(range(len(FILTERS)))  # every kind again
    story = dissolved[0].partnership
    live.type_into("Only partnership", str(story))
    own = [e for e in reversed(live.model.events) if e.partnership == story]
    assert live.feed() == [sentence(e, live.frame.region) for e in own]
    assert {e.kind for e in own} >= {"formed", "dissolved"}
    live.button("All partnerships").click()
    assert len(live.feed()) == len(live.model.events)


def test_feed_filters_select_by_kind_and_partnership_newest_first() -> None:
    events = [
        Event(1, "formed", 1, (4, 5), ("SME 4", "SME 5")),
        Event(2, "formed", 2, (6, 7), ("SME 6", "SME 7")),
        Event(3, "missed", 1),
        Event(4, "member_left", 2, (6,), ("SME 6",), cause=Cause.FUNDS),
        Event(5, "dissolved", 2, cause=Cause.FUNDS),
        Event(6, "introductions", -1, count=3),
    ]
    everything = selected(events, FeedFilter())
    assert everything == events[::-1]
    assert selected(events, FeedFilter(kinds=frozenset({"formed"}))) == [events[1], events[0]]
    left_or_gone = FeedFilter(kinds=frozenset({"left", "dissolved"}))
    assert selected(events, left_or_gone) == [events[4], events[3]]
    assert selected(events, FeedFilter(partnership=2)) == [events[4], events[3], events[1]]
    assert selected(events, FeedFilter(kinds=frozenset({"milestones"}), partnership=2)) == []


def test_every_kind_of_event_has_words_a_filter_and_a_colour() -> None:
    grouped = [kind for kinds in FILTERS.values() for kind in kinds]
    assert sorted(grouped) == sorted(EVENT_KINDS)  # each kind in exactly one filter
    assert set(COLOURS) == set(EVENT_KINDS)
    assert "text" not in {f.name for f in fields(Event)}  # the record is data; words are views'


def test_feed_lines_give_an_smes_size_where_it_matters() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    region = scenario_frame(model, 0).region
    sme = int(np.flatnonzero(region.regime == 0)[0])
    employees = round(float(region.employees[sme]))
    left = Event(9, "member_left", 3, (sme,), (f"SME {sme}",), cause=Cause.FUNDS)
    assert sentence(left, region) == (
        f"Month 9: SME {sme} ({employees} employee{'' if employees == 1 else 's'}) "
        "left partnership 3: it could not pay its share."
    )
    gone = Event(12, "dissolved", 3, cause=Cause.TRUST)
    assert sentence(gone, region) == "Month 12: Partnership 3 dissolved: trust collapsed."


def test_moving_a_lever_rebuilds_the_model_with_that_value(live: Page) -> None:
    live.step(2)
    old = live.model
    live.widget(v.Slider, label("subsidy_share")).v_model = 0.5
    assert live.model is not old
    assert live.model.p.subsidy_share == 0.5 and live.model.month == 0
    assert "small, start subsidy = 0.5 share of costs, seed 1" in live.text()
    live.widget(v.Checkbox, label("quick_win")).v_model = True
    assert live.model.p.quick_win and live.model.p.subsidy_share == 0.5


def test_picking_a_preset_rebuilds_the_model_from_it(live: Page) -> None:
    live.widget(v.Select, "Scenario preset").v_model = "quick_win"
    assert live.model.scenario.preset.label == "quick_win"
    assert live.model.p.quick_win and live.model.p.n_smes == 300
    assert "Running: quick_win, seed 1." in live.text()


def test_a_new_seed_rebuilds_the_model(live: Page) -> None:
    live.type_into("Seed", "7")
    assert live.model.scenario.seed == 7
    assert "seed 7" in live.text()


def test_reset_restarts_the_scenario_on_screen(live: Page) -> None:
    live.widget(v.Select, "Scenario preset").v_model = "start_subsidy"
    live.step(2)
    live.button("Reset").click()
    assert live.model.month == 0
    assert live.model.scenario.preset.label == "start_subsidy"
    assert live.model.p.subsidy_share == 0.5


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("Seed", "-5", "seed = -5 is out of range"),
        ("number of SMEs (organisations), valid", "500000", "number of SMEs = 500000 is out"),
        ("number of SMEs (organisations), valid", "80.5", "number of SMEs must be a whole"),
    ],
)
def test_a_typed_value_out_of_range_is_refused_and_the_model_untouched(
    live: Page, field: str, typed: str, says: str
) -> None:
    live.step(2)
    model = live.model
    live.type_into(field, typed)
    assert any(says in text and "unchanged" in text for text in live.refusals())
    assert live.model is model and model.month == 2 and model.p.n_smes == 80
    live.step()
    assert model.month == 3  # it still runs


def test_a_slider_value_breaking_a_rule_is_refused(live: Page) -> None:
    model = live.model
    live.widget(v.Slider, label("participant_cap")).v_model = 1  # below min_members
    assert any(
        "member cap (0: none) = 1 is below smallest partnership" in t for t in live.refusals()
    )
    assert live.model is model


def test_any_parameter_can_be_typed_exactly(live: Page) -> None:
    live.widget(v.Select, "Parameter to type").v_model = label("cluster_manager_introduction_hours")
    live.type_into("manager hours per introduction (h/introduction), valid", "3")
    assert live.model.p.cluster_manager_introduction_hours == 3
    assert not live.refusals()


def test_an_empty_quick_win_window_is_refused(live: Page) -> None:
    model = live.model
    live.widget(v.Slider, label("quick_win_earliest_months")).v_model = 20  # after the end
    assert any("the window is empty" in t for t in live.refusals())
    assert live.model is model


def test_the_cluster_manager_is_set_by_its_hours(live: Page) -> None:
    live.widget(v.Slider, label("cluster_manager_hours")).v_model = 40.0
    assert live.model.p.cluster_manager_hours == 40.0
    assert live.model.policy.manager.present
    assert not live.refusals()


def test_controls_still_work_after_the_run_ends(live: Page) -> None:
    live.type_into("number of SMEs (organisations), valid", "40")
    live.widget(v.Slider, label("months")).v_model = 12
    live.step(12)
    assert not live.model.running and live.button("Step").disabled
    live.widget(v.Slider, label("trust_gain")).v_model = 0.3
    assert live.model.month == 0 and live.model.p.trust_gain == 0.3
    assert not live.button("Step").disabled
    live.step()
    assert live.model.month == 1


def test_a_finished_run_says_so_and_reset_runs_it_again(live: Page) -> None:
    live.widget(v.Slider, label("months")).v_model = 12
    live.step(11)
    assert "Run finished" not in live.text() and "Running: small" in live.text()
    live.step()
    assert not live.model.running and live.button("Step").disabled and live.button("▶").disabled
    finished = [" ".join(map(str, w.children)) for w in live.rc.find(v.Alert).widgets]
    assert "Run finished at month 12: press Reset to run it again." in finished
    assert "Finished: small, run length = 12 months, seed 1. Month 12 of 12" in live.text()
    live.button("Reset").click()
    assert live.model.month == 0 and "Run finished" not in live.text()
    assert not live.button("Step").disabled


def test_a_teaching_preset_shows_its_demo_steps_above_the_map(live: Page) -> None:
    assert "Demo:" not in live.text()
    live.widget(v.Select, "Scenario preset").v_model = "teaching/quick_win_trust"
    assert f"Demo: {DEMO_FOR_PRESET['teaching/quick_win_trust'].title}" in live.text()
    assert "What to notice:" in live.text()


# ------------------------------------------------------------------ side by side
def test_side_by_side_steps_both_scenarios_with_one_seed(side_by_side: Page) -> None:
    pair = side_by_side.model
    assert isinstance(pair, ComparisonModel)
    assert pair.left.scenario.seed == pair.right.scenario.seed == 1
    before = side_by_side.drawn()
    side_by_side.step(3)
    assert pair.left.month == pair.right.month == 3
    kinds = sorted(chart.kind for chart in side_by_side.charts())
    assert kinds == ["region-map", "region-map", *["series-plot"] * 3, "survival-plot"]
    assert all(new != old for new, old in zip(side_by_side.drawn(), before, strict=True))
    assert len(side_by_side.rc.find(FeedLines).widgets) == 2  # a feed per side


def test_side_by_side_presets_and_seed_rebuild_the_pair(side_by_side: Page) -> None:
    side_by_side.widget(v.Select, "Right scenario").v_model = "quick_win"
    side_by_side.type_into("Seed", "4")
    pair = side_by_side.model
    assert (pair.left.scenario.preset.label, pair.right.scenario.preset.label) == (
        "baseline",
        "quick_win",
    )
    assert pair.left.scenario.seed == pair.right.scenario.seed == 4
    assert pair.right.p.quick_win and not pair.left.p.quick_win
    side_by_side.type_into("Seed", "99999999999")
    assert any("out of range" in text for text in side_by_side.refusals())
    assert side_by_side.model is pair


def test_side_by_side_takes_the_live_pages_settings_as_one_side(
    small_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live page's preset, changed values and seed become one side; both share the seed."""
    page = Page(app.ComparePage, monkeypatch, "CompareViews")
    live = app.STAGES.live
    live.choose(live.choice.peek().with_value("subsidy_share", 0.5).with_seed(7))
    try:
        page.step(2)
        page.button("Use it on the right").click()
        pair = page.model
        assert pair.right.scenario == live.choice.peek()
        assert pair.left.scenario.preset.label == "baseline" and pair.left.scenario.seed == 7
        assert page.model.steps == 0 and pair.right.p.subsidy_share == 0.5
        assert "small, start subsidy = 0.5 share of costs" in page.text()
        assert page.button("Use it on the right").disabled
    finally:
        page.close()


def test_a_pair_with_the_same_preset_twice_runs_identically() -> None:
    baseline = load_presets(CONFIGS)["baseline"]
    pair = ComparisonModel(ScenarioPair.of_presets(baseline, baseline, seed=3))
    for _ in range(6):
        pair.step()
    assert pair.left.series().equals(pair.right.series())


# --------------------------------------------------------------- what is drawn
def test_plots_draw_the_models_own_series() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    for _ in range(8):
        model.step()
    series = model.series()
    frame = scenario_frame(model, 0)
    for chart in (ACTIVE, TURNOVER):
        rows = pd.DataFrame(series_rows(chart, [("", frame)]))
        for column, legend in chart.lines.items():
            line = rows[rows["line"] == legend]
            assert line["month"].tolist() == series["month"].tolist()
            assert line["value"].tolist() == series[column].astype(float).tolist()


def test_public_spending_is_drawn_by_lever() -> None:
    scenario = Scenario(load_presets(CONFIGS)["baseline"], seed=2)
    scenario = scenario.with_value("cluster_manager_hours", 40.0).with_value("matchmaking", True)
    model = ScenarioModel(scenario)
    for _ in range(8):
        model.step()
    series = model.series()
    levers = {"subsidy_spent_eur", "matchmaking_spent_eur", "manager_spent_eur"}
    assert set(SPENDING.lines) == levers
    rows = pd.DataFrame(series_rows(SPENDING, [("", scenario_frame(model, 0))]))
    for column, legend in SPENDING.lines.items():
        assert np.allclose(rows[rows["line"] == legend]["value"], series[column] * 1e-3)
    assert series["manager_spent_eur"].iloc[-1] > 0 and series["matchmaking_spent_eur"].iloc[-1] > 0


def test_survival_so_far_is_kaplan_meier_of_the_partnerships_formed() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    assert survival_so_far(survival_table(model)).partnerships == 0  # none formed yet
    for _ in range(24):
        model.step()
    curve = survival_so_far(survival_table(model))
    expected = kaplan_meier(model.partnership_table()).sf
    assert (curve.time[0], curve.survival[0]) == (0.0, 1.0)
    assert np.array_equal(curve.time[1:], expected.quantiles)
    assert np.allclose(curve.survival[1:], expected.probabilities)
    assert curve.partnerships == len(model.partnerships)


def test_survival_band_and_numbers_at_risk_match_a_hand_computation() -> None:
    # Five partnerships: dissolved after 2, 3 and 5 months; one still active at 3, one at 8.
    table = pd.DataFrame(
        {"duration": [2.0, 3.0, 3.0, 5.0, 8.0], "dissolved": [True, True, False, True, False]}
    )
    curve = survival_so_far(table)
    assert list(curve.time) == [0, 2, 3, 5, 8]
    # At risk: watched at least that long. S(t) multiplies (1 - dissolved / at risk).
    assert list(curve.at_risk(curve.time)) == [5, 5, 4, 2, 1]
    assert list(curve.at_risk(np.array([1, 4, 6, 9]))) == [5, 2, 1, 0]
    assert np.allclose(curve.survival, [1, 4 / 5, 4 / 5 * 3 / 4, 0.6 * 1 / 2, 0.3])
    # Greenwood: Var S = S^2 * sum d / (n (n - d)); band S -/+ 1.96 sd, within [0, 1].
    terms = np.cumsum([1 / (5 * 4), 1 / (4 * 3), 1 / (2 * 1)])
    sd = curve.survival[1:4] * np.sqrt(terms)
    z = 1.959964
    assert np.allclose(curve.low[1:4], np.clip(curve.survival[1:4] - z * sd, 0, 1), atol=1e-6)
    assert np.allclose(curve.high[1:4], np.clip(curve.survival[1:4] + z * sd, 0, 1), atol=1e-6)
    assert curve.dissolved == 3 and curve.partnerships == 5


def test_the_survival_curve_says_when_it_rests_on_few_partnerships() -> None:
    def note(durations: list[float], dissolved: list[bool]) -> str:
        table = pd.DataFrame({"duration": durations, "dissolved": dissolved})
        return survival_note(survival_so_far(table))

    assert "No partnership has formed yet" in note([], [])
    assert "Only 3 partnerships so far" in note([1.0, 2.0, 5.0], [True, False, False])
    many = [float(m) for m in range(1, 31)]  # 30 partnerships, watched 1 to 30 months
    said = note(many, [m % 3 == 0 for m in range(1, 31)])
    assert "Based on 30 partnerships, 10 dissolved" in said
    assert f"Faded from 22 months after forming: fewer than {FEW_AT_RISK}" in said
    assert "Faded" not in note([40.0] * 12, [False] * 12)


def test_the_survival_plot_draws_the_band_and_fades_where_few_remain() -> None:
    table = pd.DataFrame({"duration": [float(m) for m in range(1, 31)], "dissolved": True})
    curve = survival_so_far(table)
    rows = pd.DataFrame(curve_rows(curve, "survival so far"))
    split = int(np.flatnonzero(curve.at_risk(curve.time) < FEW_AT_RISK)[0])
    solid, faded = (rows[rows["part"] == part] for part in ("enough", "few"))
    assert solid["time"].tolist() == list(curve.time[: split + 1])
    assert faded["time"].tolist() == list(curve.time[split:])  # the two parts join
    assert rows["low"].tolist() == [*curve.low[: split + 1], *curve.low[split:]]
    assert rows["high"].tolist() == [*curve.high[: split + 1], *curve.high[split:]]
    assert (faded["at_risk"] < FEW_AT_RISK).all() and (solid["at_risk"].iloc[:-1] >= 10).all()
    numbers = at_risk_rows(curve, "survival so far", row=0, months=36)
    ticks = np.arange(0, 31, 6)  # every 6 months, up to the longest watched (30)
    assert [n["time"] for n in numbers] == ticks.tolist()
    assert [n["count"] for n in numbers] == [str(n) for n in curve.at_risk(ticks)]


def test_map_links_every_member_of_each_active_partnership_to_its_hub() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    for _ in range(12):
        model.step()
    links = link_rows(scenario_frame(model, 0))
    active = model.active_partnerships
    assert len(links) == sum(len(part.members) - 1 for part in active)
    position = model.population.position_km
    for part in active:
        own = [row for row in links if row["partnership"] == part.id]
        hub = part.leader if part.leader is not None else part.members[0]
        assert {(row["x"], row["y"]) for row in own} == {tuple(np.round(position[hub], 3))}
        ends = {(row["x2"], row["y2"]) for row in own}
        assert ends == {tuple(np.round(position[m], 3)) for m in part.members if m != hub}
        assert {row["trust"] for row in own} == {round(model.trust.mean_among(part.members), 3)}


def test_value_axes_grow_in_round_steps() -> None:
    assert [nice_ceiling(x) for x in (0.3, 1.2, 3, 7, 24, 130)] == [1, 2, 5, 10, 25, 200]


# ------------------------------------------------------------ what a click shows
def stepped(months: int, preset: str = "baseline", **changes) -> ScenarioModel:
    """A model of `preset` with `changes`, seed 2, stepped `months` months."""
    scenario = Scenario(load_presets(CONFIGS)[preset], seed=2)
    for name, value in changes.items():
        scenario = scenario.with_value(name, value)
    model = ScenarioModel(scenario)
    for _ in range(months):
        model.step()
    return model


def test_a_click_on_an_organisation_shows_its_type_size_culture_partnerships_and_trust() -> None:
    model = stepped(18)
    frame = scenario_frame(model, 1)
    pop = model.population
    busiest = max(range(len(pop)), key=lambda i: (len(model.partnerships_of(i)), -i))
    assert model.partnerships_of(busiest)  # in at least one partnership
    for index in (busiest, int(np.flatnonzero(pop.memberships == 0)[0])):
        shown = details(frame, organisation(index))[0]
        assert shown.title == model.organisations[index].name
        assert shown.fact("Type").startswith(model.organisations[index].label)
        employees = round(float(pop.employees[index]))
        assert shown.fact("Size") == f"{employees} employee{'' if employees == 1 else 's'}"
        numbers = [float(x) for x in re.findall(r"\d\.\d\d", shown.fact("Culture (0 to 1)"))]
        assert np.allclose(numbers, pop.culture[index], atol=0.005)
        ids = model.partnerships_of(index)
        assert shown.fact("Partnerships now") == (", ".join(map(str, ids)) or "none")
        for pid in ids:
            members = model.partnerships[pid].members
            mine = model.trust.mean_toward_others(index, members)
            theirs = np.mean([model.trust.get(j, index) for j in members if j != index])
            assert shown.fact(f"Trust in partnership {pid}") == (
                f"trusts its partners {mine:.2f} on average; they trust it {theirs:.2f}"
            )
    # An organisation's card comes with its partnerships' cards, as a click on them would.
    cards = details(frame, organisation(busiest))
    assert [card.title for card in cards[1:]] == [
        f"Partnership {i}" for i in model.partnerships_of(busiest)
    ]
    # The frame is a copy: months later it still shows that month.
    before = details(frame, organisation(busiest))
    for _ in range(6):
        model.step()
    assert details(frame, organisation(busiest)) == before


def test_a_click_on_a_partnership_shows_members_leader_age_milestones_trust_and_money() -> None:
    model = stepped(24, subsidy_share=0.5, cluster_manager_hours=40.0)
    frame = scenario_frame(model, 1)
    active = model.active_partnerships
    assert any(p.subsidised for p in active) and any(p.served_months for p in active)
    assert any(p.milestones_reached for p in active)
    for part in active:
        shown = partnership_details(frame, part.id)
        names = [model.organisations[m].name for m in part.members]
        assert shown.title == f"Partnership {part.id}"
        assert shown.fact("Members").startswith(f"{len(part.members)}: ")
        assert [n.split(" (")[0] for n in shown.fact("Members")[3:].split(", ")] == names
        leader = model.organisations[part.leader].name if part.leader is not None else None
        assert shown.fact("Leader") == (leader or LEADERLESS_WORDS)
        age = model.month - part.formed_month
        assert shown.fact("Age") == f"{age} months (formed in month {part.formed_month})"
        milestones = shown.fact("Milestones")
        assert milestones.startswith(
            f"{part.milestones_reached} reached ({part.main_milestones_reached} main results"
        )
        assert milestones.endswith(f"planned for month {part.due_month}")
        trust = shown.fact("Trust")
        assert trust.startswith(f"{model.trust.mean_among(part.members):.2f} on average")
        subsidy = shown.fact("Subsidy")
        assert (eur(part.subsidy_eur) in subsidy) if part.subsidised else subsidy == "none"
        served = "serves it this month" if part.served else "does not serve it this month"
        assert shown.fact("Cluster manager") == (
            f"{served}; {part.served_months} months served so far"
        )


def test_a_partnership_that_has_ended_is_told_from_the_events() -> None:
    model = stepped(30)
    frame = scenario_frame(model, 1)
    gone = next(p for p in model.partnerships.values() if p.cause in CAUSE_WORDS)
    shown = partnership_details(frame, gone.id)
    assert shown.title == f"Partnership {gone.id} (ended)"
    assert (
        shown.fact("Ended") == f"dissolved in month {gone.ended_month}: {CAUSE_WORDS[gone.cause]}"
    )
    assert shown.fact("Formed").startswith(f"in month {gone.formed_month} by ")
    assert partnership_details(frame, 10_000).facts == (("", "has not formed in this run"),)


def test_a_click_on_the_map_chooses_and_the_inspector_and_feed_show_it(live: Page) -> None:
    assert live.inspector() == []
    live.step(12)
    link = live.chart("region-map").datasets["links"][0]
    pid = link["partnership"]
    live.chart("region-map").vue_clicked(link["pick"])
    frame = live.frame
    expected = [(d.title, details_html(d)) for d in details(frame, partnership(pid))]
    assert live.inspector() == expected
    drawn = live.chart("region-map").datasets
    assert all(row["chosen"] == (row["partnership"] == pid) for row in drawn["links"])
    assert all(row["dim"] == (row["partnership"] != pid) for row in drawn["links"])
    members = frame.partnership(pid).members
    assert sorted(row["pick"] for row in drawn["chosen"]) == sorted(
        organisation(m).pick for m in members
    )
    standing_out = re.findall(r'feed-chosen" data-partnership="(\d+)"', live.feed_html())
    assert standing_out and set(standing_out) == {str(pid)}

    member = live.chart("region-map").datasets["members"][0]
    live.chart("region-map").vue_clicked(member["pick"])
    index = Selection.from_pick(member["pick"]).id
    assert [title for title, _ in live.inspector()] == [
        member["name"],
        *(f"Partnership {p}" for p in live.model.partnerships_of(index)),
    ]
    assert [row["pick"] for row in live.chart("region-map").datasets["chosen"]] == [member["pick"]]
    live.chart("region-map").vue_clicked(None)  # a click on no mark
    assert live.inspector() == [] and live.chart("region-map").datasets["chosen"] == []


def test_a_click_on_a_feed_line_highlights_its_partnership_on_the_map(live: Page) -> None:
    live.step(12)
    pid = live.frame.partnerships[-1].id
    live.rc.find(FeedLines).widget.vue_picked(pid)
    drawn = live.chart("region-map").datasets
    bold = {row["partnership"] for row in drawn["links"] if row["chosen"]}
    assert bold == {pid}
    rings = {Selection.from_pick(row["pick"]).id for row in drawn["chosen"]}
    assert rings == set(live.frame.partnership(pid).members)
    assert live.inspector()[0][0] == f"Partnership {pid}"
    live.button("Its story in the feed").click()  # the feed then tells only its story
    assert live.feed() and all(f"artnership {pid}" in line for line in live.feed())


def test_partnerships_without_a_leader_are_drawn_dashed() -> None:
    model = stepped(24, "teaching/leaderless_stall")
    frame = scenario_frame(model, 1)
    leaderless = {p.id for p in model.active_partnerships if p.leader is None}
    led = {p.id for p in model.active_partnerships if p.leader is not None}
    assert leaderless and led
    rows = link_rows(frame)
    assert {r["partnership"] for r in rows if r["led"] == LEADERLESS} == leaderless
    assert {r["partnership"] for r in rows if r["led"] == LED} == led
    links = next(
        layer for layer in map_spec(frame.region)["layer"] if layer["mark"]["type"] == "rule"
    )
    dash = links["encoding"]["strokeDash"]
    assert dash["field"] == "led"
    solid, dashed = dash["scale"]["range"]
    assert dash["scale"]["domain"] == [LED, LEADERLESS] and solid == [1, 0] and 0 not in dashed
    pid = min(leaderless)
    assert partnership_details(frame, pid).fact("Leader") == LEADERLESS_WORDS


def test_every_chart_draws_only_data_its_frame_sends() -> None:
    """A chart's named data sources are exactly the rows each frame sends it."""
    frame = scenario_frame(stepped(6), 1)

    def named(spec: dict) -> set[str]:
        layers = spec.get("layer", [spec])
        return {layer["data"]["name"] for layer in layers if "name" in layer.get("data", {})}

    sides = [("", frame)]
    assert named(map_spec(frame.region)) == set(map_datasets(frame, None))
    assert named(series_spec(ACTIVE, 120, [""])) == set(series_datasets(ACTIVE, sides))
    curves = [("survival so far", frame.survival)]
    assert named(survival_spec(120, ["survival so far"])) == set(survival_datasets(curves, 120))
    for spec in (map_spec(frame.region), series_spec(ACTIVE, 120, [""])):
        assert spec["$schema"].endswith("/vega-lite/v5.json")  # the local Vega-Lite 5


def test_side_by_side_overlays_both_scenarios_in_each_plot(side_by_side: Page) -> None:
    side_by_side.widget(v.Select, "Right scenario").v_model = "quick_win"
    side_by_side.step(8)
    frame = side_by_side.frame
    pair = side_by_side.model
    names = ("left: baseline", "right: quick_win")
    assert [name for name, _ in pair_sides(frame)] == list(names)
    plots = [chart for chart in side_by_side.charts() if chart.kind == "series-plot"]
    assert {p.spec["title"] for p in plots} == {chart.title for chart in OVERLAID_CHARTS}
    for chart in OVERLAID_CHARTS:
        shown = next(p for p in plots if p.spec["title"] == chart.title).datasets["series"]
        rows = pd.DataFrame(shown)
        for k, (side, model) in enumerate(zip(names, (pair.left, pair.right), strict=True)):
            for j, (column, measure) in enumerate(chart.lines.items()):
                label = side if len(chart.lines) == 1 else f"{side}: {measure}"
                line = rows[rows["line"] == label]
                assert line["value"].tolist() == model.series()[column].astype(float).tolist()
                assert set(line["key"]) == {f"s{k}l{j}"}
    trust = next(p for p in plots if p.spec["title"] == TRUST.title)
    colour = trust.spec["layer"][0]["encoding"]["color"]["scale"]
    assert colour == {"domain": list(names), "range": list(SIDE_COLOURS)}
    survival = side_by_side.chart("survival-plot").datasets
    assert {row["line"] for row in survival["curves"]} == set(names)
    for name, model in zip(names, (pair.left, pair.right), strict=True):
        curve = survival_so_far(survival_table(model))
        own = [row for row in survival["curves"] if row["line"] == name]
        assert {row["time"] for row in own} == set(curve.time.tolist())
        assert {row["survival"] for row in own} == set(curve.survival.tolist())


def test_a_click_picks_an_organisation_or_a_partnership_by_its_rows_pick() -> None:
    assert Selection.from_pick("organisation:41") == organisation(41)
    assert Selection.from_pick("partnership:7") == partnership(7)
    assert partnership(7).pick == "partnership:7"
    for nothing in (None, "", "partnership:", "city:3", "partnership:x"):
        assert Selection.from_pick(nothing) is None


def test_the_charts_libraries_are_served_from_the_installed_assets() -> None:
    """Vega's code comes from the solara-assets package, at exact versions: no CDN."""
    from solara.server import settings

    folders = local_libraries()
    assert set(folders) == {"vega", "vega-lite", "vega-embed"}
    for name, folder in folders.items():
        assert re.fullmatch(rf"{name}@\d+\.\d+\.\d+", folder), folder
        assert (
            Path(settings.assets.proxy_cache_dir) / folder / "build" / f"{name}.min.js"
        ).is_file()


# ---------------------------------------------------- presets, scenarios, server
def test_presets_include_subfolders_and_report_bad_files(tmp_path: Path) -> None:
    (tmp_path / "teaching").mkdir()
    baseline = (CONFIGS / "baseline.toml").as_posix()
    (tmp_path / "baseline.toml").write_text(f'base = "{baseline}"\n')
    (tmp_path / "teaching" / "demo.toml").write_text('base = "../baseline.toml"\n')
    (tmp_path / "broken.toml").write_text("[subsidy]\nsubsidy_shar = 0.5\n")
    presets = load_presets(tmp_path)
    assert presets.labels == ["baseline", "teaching/demo"]
    assert len(presets.problems) == 1 and "did you mean subsidy_share" in presets.problems[0]


def test_the_picker_offers_scenarios_not_validations_submodels(tmp_path: Path) -> None:
    labels = load_presets(CONFIGS).labels
    assert not [label for label in labels if label.startswith("validation/")]
    assert {"baseline", "teaching/subsidy_cliff", "programmes/klict_call"} <= set(labels)
    # Asked for by name (clustersim dashboard --config), a validation file is offered.
    chosen = CONFIGS / "validation" / "ample_capacity.toml"
    assert "ample_capacity" in load_presets(CONFIGS, extra=chosen).labels


def test_preset_blurbs_leave_their_sources_in_the_config_files() -> None:
    presets = load_presets(CONFIGS)
    for name in presets.labels:
        shown = blurb(presets[name].description)
        assert "§" not in shown and not re.search(r"\b00\d\b", shown), (name, shown)
        assert shown and not shown.endswith(" ."), (name, shown)
    assert blurb(
        "Partnerships first aim for a result within 6-12 months (003 §3.7; 001 phase 7)."
    ) == ("Partnerships first aim for a result within 6-12 months.")


def test_every_shipped_preset_loads() -> None:
    presets = load_presets(CONFIGS)
    assert not presets.problems
    assert presets.labels[0] == "baseline"
    assert sum(label.startswith("teaching/") for label in presets.labels) >= 3


def test_a_scenario_refuses_bad_values_with_the_reason() -> None:
    scenario = Scenario(load_presets(CONFIGS)["baseline"])
    with pytest.raises(ParameterError, match="out of range"):
        scenario.with_value("subsidy_share", 1.5)
    with pytest.raises(ParameterError, match="whole number"):
        scenario.with_seed(2.5)
    back = scenario.with_value("subsidy_share", 0.5).with_value("subsidy_share", 0.0)
    assert back == scenario and back.title == "baseline, seed 1"


def test_server_runs_solara_on_the_app_bound_where_asked(tmp_path: Path) -> None:
    args = command("127.0.0.1", 9999)
    assert args[1:5] == ["-m", "solara", "run", "clustersim.dashboard.app"]
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--port") + 1] == "9999"
    assert "--production" in args
    assert address("0.0.0.0", 8765) == "http://127.0.0.1:8765/"
    config = tmp_path / "x.toml"
    assert environment(config)[CONFIG_ENV] == str(config.resolve())
    assert CONFIG_ENV not in environment(None)


# ------------------------------------------- playing without racing the drawing
class CountingModel:
    """A stand-in model that notices when two threads step it at once."""

    def __init__(self, months: int = 1000) -> None:
        self.month, self.months, self.running = 0, months, True
        self.inside = threading.Lock()
        self.overlaps = 0

    def step(self) -> None:
        if not self.inside.acquire(blocking=False):
            self.overlaps += 1
            return
        try:
            time.sleep(0.001)
            self.month += 1
            self.running = self.month < self.months
        finally:
            self.inside.release()


@dataclass(frozen=True)
class CountingFrame:
    serial: int
    month: int
    running: bool


def counting_frame(model: CountingModel, serial: int) -> CountingFrame:
    return CountingFrame(serial, model.month, model.running)


def test_a_run_steps_under_its_lock_and_frames_never_change() -> None:
    run = Run(CountingModel(), counting_frame)
    first = run.frame
    threads = [threading.Thread(target=lambda: [run.step() for _ in range(50)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert run.model.overlaps == 0 and run.model.month == 200
    assert (first.month, run.frame.month, run.frame.serial) == (0, 200, 200)
    replaced = run.replace(CountingModel())
    assert (replaced.month, replaced.serial) == (0, 201)


def test_a_run_stops_at_its_end() -> None:
    run = Run(CountingModel(months=3), counting_frame)
    assert run.step(5).month == 3 and not run.frame.running
    assert run.step().month == 3


def test_the_player_waits_for_each_frame_to_be_drawn() -> None:
    run = Run(CountingModel(months=30), counting_frame)
    published: list[CountingFrame] = []
    ahead: list[int] = []
    done = threading.Event()

    def publish(frame: CountingFrame) -> None:
        if published and run.frame.serial > frame.serial:
            ahead.append(frame.serial)
        published.append(frame)
        # The page draws in another thread, a little later.
        threading.Timer(0.002, run.mark_drawn, args=(frame.serial,)).start()

    every_month = Pacer(most=1)
    player = Player(run, publish, lambda: 1000.0, lambda _f: done.set(), pytest.fail, every_month)
    player.start()
    assert done.wait(30)
    assert [f.month for f in published] == list(range(1, 31))  # every month, in order
    assert not ahead and run.model.overlaps == 0


def test_a_player_stops_without_its_frame_being_drawn() -> None:
    run = Run(CountingModel(), counting_frame)
    published: list[CountingFrame] = []
    player = Player(run, published.append, lambda: 1.0, pytest.fail, pytest.fail)
    player.start()
    while not published:
        time.sleep(0.01)
    player.stop()  # nobody draws: stop must still wake it
    player.join(5)
    assert player.stopped and run.model.month == 1


def test_the_pace_adapts_to_what_steps_and_drawing_cost() -> None:
    pacer = Pacer()
    assert pacer.months_per_frame(4.0) == 1  # nothing measured yet
    pacer.record(1, stepping_s=0.05, drawing_s=0.5)
    assert pacer.months_per_frame(4.0) == 1  # every month drawn up to 4 months/s
    assert pacer.months_per_frame(12.0) == 3  # faster: several months per frame
    assert Pacer.rest(1, busy_s=0.1, speed=4.0) == pytest.approx(0.15)
    assert Pacer.rest(1, busy_s=0.6, speed=4.0) == 0.0  # slow machine: no rest
    pacer.record_pace(1, 0.5)
    assert pacer.rate == pytest.approx(2.0)


def test_play_on_the_page_advances_and_pause_stops_it(live: Page) -> None:
    live.button("▶").click()
    deadline = time.monotonic() + 60
    while len({frame.month for frame in live.shown}) < 4:
        assert time.monotonic() < deadline, "Play did not advance the month"
        time.sleep(0.05)
    live.button("❚❚").click()
    shown = live.frame.month
    live.stage.run.peek()._lock.acquire()  # no step in progress any more
    live.stage.run.peek()._lock.release()
    assert live.model.month in (shown, shown + 1)
    months = [frame.month for frame in live.shown]
    assert months == sorted(months)
    live.step()
    assert live.frame.month == live.model.month


def test_a_preset_picked_during_play_plays_on_from_month_0(live: Page) -> None:
    live.button("▶").click()
    while live.frame.month < 2:
        time.sleep(0.05)
    live.widget(v.Select, "Scenario preset").v_model = "quick_win"
    assert live.model.scenario.preset.label == "quick_win"
    before = len(live.shown)
    while len(live.shown) < before + 2:
        time.sleep(0.05)
    assert live.frame.scenario.preset.label == "quick_win" and live.stage.playing.peek()
    live.button("❚❚").click()


def test_the_run_survives_leaving_the_page(small_config: Path, monkeypatch) -> None:
    monkeypatch.setattr(app, "STAGES", app.make_stages())
    stage = app.STAGES.live
    _, rc = solara.render(solara.AppLayout(children=[app.LivePage()]), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    stage.speed.set(2.5)
    rc.close()  # the page goes, as on a switch to the other tab
    _, rc = solara.render(solara.AppLayout(children=[app.LivePage()]), handle_error=False)
    try:
        assert stage.model.month == 1 and stage.frame.peek().month == 1
        assert rc.find(v.Slider, label="Speed: 2.5 months per second").widget.v_model == 2.5
    finally:
        rc.close()


# -------------------------------------------------------------- the About page
@pytest.fixture
def about(small_config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    monkeypatch.setattr(app, "STAGES", app.make_stages())
    box, rc = solara.render(solara.AppLayout(children=[app.AboutPage()]), handle_error=False)
    yield box, rc
    rc.close()


def test_the_about_page_says_what_the_model_is_and_offers_every_demo(about) -> None:
    box, rc = about
    text = rc.find(solara.widgets.HTML, attributes={"class": "about-text"}).widget.unsafe_innerHTML
    for heading in ("What this model is", "Who is in it", "One month", "What the map shows"):
        assert f"<h2>{heading}</h2>" in text
    for heading in ("Things to notice", "Things to try"):
        assert f"<h2>{heading}</h2>" in text
    assert "§" not in text and not re.search(r"\b00\d\b", text)  # no sources' numbers
    assert "**" not in text and "<strong>SMEs</strong>" in text
    cards = [card for card in rc.find(v.Card).widgets if "demo-card" in card.class_]
    assert len(cards) == len(DEMOS) == 3
    words = "\n".join(_words(box))
    for demo in DEMOS:
        assert demo.title in words and f"What to notice: {demo.notice}" in words
        assert all(html.escape(step) in steps_html(demo) for step in demo.steps)


def test_a_demo_card_loads_its_preset_on_the_live_page_at_month_0(about) -> None:
    stages = app.STAGES
    stages.live.step()
    demo = DEMOS[0]
    app.start_demo(stages, demo)
    assert stages.live.choice.peek() == Scenario(stages.presets.peek()[demo.preset], seed=1)
    assert stages.live.model.month == 0 and not stages.live.playing.peek()
    app.compare_demo(stages, demo)
    pair = stages.compare.model.pair
    sides = (pair.left.preset.label, pair.right.preset.label, pair.seed)
    assert sides == ("baseline", demo.preset, 1)
