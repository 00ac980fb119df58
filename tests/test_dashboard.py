"""The dashboard, rendered in-process with `solara.render` and driven through its widgets."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ipyvue
import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara

from clustersim.dashboard import app
from clustersim.dashboard.controls import LEVERS, MAIN_PARAMETERS, label, user_params
from clustersim.dashboard.feed import latest, sentence
from clustersim.dashboard.models import ComparisonModel, ScenarioModel
from clustersim.dashboard.playback import Pacer, Player, Run
from clustersim.dashboard.plots import (
    ACTIVE,
    SPENDING,
    TURNOVER,
    SeriesDrawing,
    nice_ceiling,
    survival_curve,
)
from clustersim.dashboard.presets import CONFIG_ENV, load_presets
from clustersim.dashboard.region_map import partnership_links
from clustersim.dashboard.scenario import Scenario, ScenarioPair
from clustersim.dashboard.server import address, command, environment
from clustersim.dashboard.stage import DEFAULT_SPEED
from clustersim.parameters import ParameterError, specs
from clustersim.survival import kaplan_meier

ROOT = Path(__file__).resolve().parents[1]
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

    def images(self) -> list[bytes]:
        return [bytes(w.value) for w in self.rc.find(ipywidgets.Image).widgets]

    def text(self) -> str:
        """The words on the page, in order."""
        return "\n".join(_words(self.box))

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
    assert label("quick_win") == "quick win"  # a switch: no unit
    assert label("n_smes") == "n smes (organisations)"  # other parameters: the name in words
    removed = {"quick_win_months", "cluster_manager_capacity", "cluster_manager_boost"}
    assert not removed & set(LEVERS + MAIN_PARAMETERS)
    assert all(name in specs() for name in LEVERS + MAIN_PARAMETERS)


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
            assert f"({spec.unit})" in entry["label"]


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
    model, before = live.model, live.images()
    live.step(6)
    assert live.model is model and model.month == 6
    assert "Month 6 of 120" in live.text()
    assert model.partnerships  # so every plot has something new to show
    after = live.images()
    assert len(after) == 7  # map and six plots
    assert all(new != old for new, old in zip(after, before, strict=True))


def test_event_feed_grows_newest_first(live: Page) -> None:
    assert "Nothing yet" in live.text()

    def feed() -> list[str]:
        return [w.children[0] for w in live.rc.find(ipyvue.Html, class_="feed-event").widgets]

    while not live.model.events:
        live.step()
    early = feed()
    first = len(live.model.events)
    # events come in bursts in a small region: step until more have happened
    for _ in range(60):
        live.step()
        if len(live.model.events) > first:
            break
    later = feed()
    events = live.model.events
    assert 0 < len(early) < len(later) == min(12, len(events))
    assert later == [sentence(event) for event in latest(events)]
    months = [int(text.split(":")[0].removeprefix("Month ")) for text in later]
    assert months == sorted(months, reverse=True)
    assert f"{len(events)} events, newest first" in live.text()


def test_moving_a_lever_rebuilds_the_model_with_that_value(live: Page) -> None:
    live.step(2)
    old = live.model
    live.widget(v.Slider, label("subsidy_share")).v_model = 0.5
    assert live.model is not old
    assert live.model.p.subsidy_share == 0.5 and live.model.month == 0
    assert "small, subsidy_share = 0.5, seed 1" in live.text()
    live.widget(v.Checkbox, "quick win").v_model = True
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
        ("n smes (organisations), valid", "500000", "n_smes = 500000 is out of range"),
        ("n smes (organisations), valid", "80.5", "n_smes must be a whole number"),
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
    assert any("participant_cap = 1 is below min_members" in t for t in live.refusals())
    assert live.model is model


def test_any_parameter_can_be_typed_exactly(live: Page) -> None:
    live.widget(v.Select, "Parameter to type").v_model = "cluster_manager_introduction_hours"
    live.type_into("cluster manager introduction hours (h/introduction), valid", "3")
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
    live.type_into("n smes (organisations), valid", "40")
    live.widget(v.Slider, label("months")).v_model = 12
    live.step(12)
    assert not live.model.running and live.button("Step").disabled
    live.widget(v.Slider, label("trust_gain")).v_model = 0.3
    assert live.model.month == 0 and live.model.p.trust_gain == 0.3
    assert not live.button("Step").disabled
    live.step()
    assert live.model.month == 1


# ------------------------------------------------------------------ side by side
def test_side_by_side_steps_both_scenarios_with_one_seed(side_by_side: Page) -> None:
    pair = side_by_side.model
    assert isinstance(pair, ComparisonModel)
    assert pair.left.scenario.seed == pair.right.scenario.seed == 1
    before = side_by_side.images()
    side_by_side.step(3)
    assert pair.left.month == pair.right.month == 3
    assert len(before) == 8  # a map and three plots per side
    assert all(new != old for new, old in zip(side_by_side.images(), before, strict=True))


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


def test_a_pair_with_the_same_preset_twice_runs_identically() -> None:
    baseline = load_presets(CONFIGS)["baseline"]
    pair = ComparisonModel(ScenarioPair(baseline, baseline, seed=3))
    for _ in range(6):
        pair.step()
    assert pair.left.series().equals(pair.right.series())


# --------------------------------------------------------------- what is drawn
def test_plots_draw_the_models_own_series() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    for _ in range(8):
        model.step()
    series = model.series()
    for chart in (ACTIVE, TURNOVER):
        drawing = SeriesDrawing(chart, model.p.months)
        assert drawing.render(series).startswith(b"\x89PNG")
        for column, line in drawing.lines.items():
            assert np.array_equal(line.get_xdata(), series["month"])
            assert np.array_equal(line.get_ydata(), series[column])


def test_public_spending_is_drawn_by_lever() -> None:
    scenario = Scenario(load_presets(CONFIGS)["baseline"], seed=2)
    scenario = scenario.with_value("cluster_manager_hours", 40.0).with_value("matchmaking", True)
    model = ScenarioModel(scenario)
    for _ in range(8):
        model.step()
    series = model.series()
    drawing = SeriesDrawing(SPENDING, model.p.months)
    assert set(drawing.lines) == {"subsidy_spent_eur", "matchmaking_spent_eur", "manager_spent_eur"}
    assert drawing.render(series).startswith(b"\x89PNG")
    for column, line in drawing.lines.items():
        assert np.allclose(line.get_ydata(), series[column] * 1e-3)
    assert series["manager_spent_eur"].iloc[-1] > 0 and series["matchmaking_spent_eur"].iloc[-1] > 0


def test_survival_curve_is_kaplan_meier_of_partnerships_so_far() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    assert len(survival_curve(model)[0]) == 0  # none formed yet
    for _ in range(24):
        model.step()
    months, alive = survival_curve(model)
    expected = kaplan_meier(model.partnership_table()).sf
    assert (months[0], alive[0]) == (0.0, 1.0)
    assert np.array_equal(months[1:], expected.quantiles)
    assert np.allclose(alive[1:], expected.probabilities)


def test_map_links_every_member_of_each_active_partnership_to_its_hub() -> None:
    model = ScenarioModel(Scenario(load_presets(CONFIGS)["baseline"], seed=2))
    for _ in range(12):
        model.step()
    links = partnership_links(model)
    active = model.active_partnerships
    assert len(links.segments) == sum(len(part.members) - 1 for part in active)
    assert links.trust.min() >= 0 and links.trust.max() <= 1
    assert links.led.sum() == sum(len(p.members) - 1 for p in active if p.leader is not None)


def test_value_axes_grow_in_round_steps() -> None:
    assert [nice_ceiling(x) for x in (0.3, 1.2, 3, 7, 24, 130)] == [1, 2, 5, 10, 25, 200]


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
