"""The dashboard in a real browser: `clustersim dashboard` served, driven by headless Chromium.

Uses Debian's `chromium` package through Playwright (`executable_path`), because
Playwright's own browser downloads are not available everywhere this runs. A missing
browser fails the test with instructions; it is never skipped silently.

The tests wait for states (a month shown, a button enabled), never for a time, so a
slow or busy machine makes them slower, not red. One server and one browser serve the
whole module; both are shut down when the module ends, also after a failure. Each
test opens a new page, which is a new browser tab to the dashboard: fresh state.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "img" / "dashboard.png"
ABOUT_SCREENSHOT = ROOT / "docs" / "img" / "about.png"
DEMO_SCREENSHOT = ROOT / "docs" / "img" / "demo_card.png"
SIDE_BY_SIDE_SCREENSHOT = ROOT / "docs" / "img" / "side_by_side.png"
MONTH = re.compile(r"Month (\d+)")
# Generous, for a machine loaded at twice its cores: a timeout only turns a hang into
# a failure. The tests never wait for a time, only for a state, up to these limits.
TIMEOUT_MS = 120_000
PRESET = ".v-select:has-text('Scenario preset')"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard server exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the dashboard did not answer at {url} within {seconds} s:\n{log.read_text()}")


@contextmanager
def serving_dashboard(log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`clustersim dashboard` on a free port, its output in `log`; yields its address."""
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "clustersim", "dashboard", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(url, server, log, seconds=40)
        assert f"open {url}" in log.read_text().splitlines()[0]
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`clustersim dashboard` on a free port for the module; yields the address it printed."""
    with serving_dashboard(tmp_path_factory.mktemp("dashboard") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the module, closed when it ends."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium). "
            "This test drives a real browser and is not skipped."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(browser, dashboard: str):
    """A new tab on the dashboard, once its controls are shown; closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    missing_assets: list[str] = []
    page.on(
        "response",
        lambda r: (
            missing_assets.append(r.url) if r.status >= 400 and "/_solara/" in r.url else None
        ),
    )
    try:
        page.goto(dashboard)
        try:
            page.get_by_role("button", name="Step").wait_for()
        except Exception:
            pytest.fail(
                "the dashboard did not appear in the browser; Solara could not serve "
                f"{missing_assets or 'its page'} (offline? install the solara-assets package)"
            )
        yield page
    finally:
        context.close()


def month(page) -> int:
    found = MONTH.search(page.locator(".run-status").inner_text())
    assert found, "the page does not say which month it shows"
    return int(found.group(1))


MONTH_JS = (
    "() => { const s = document.querySelector('.run-status');"
    " const m = s && /Month (\\d+)/.exec(s.innerText); return m ? +m[1] : -1; }"
)


def wait_for_month(page, wanted: int) -> None:
    """Wait until the page shows month `wanted` or later."""
    page.wait_for_function(f"([wanted]) => ({MONTH_JS})() >= wanted", arg=[wanted])


def wait_for_another_month(page, than: int) -> int:
    """Wait until the page shows a month other than `than`; return it."""
    changed = f"([than]) => {{ const m = ({MONTH_JS})(); return m >= 0 && m !== than; }}"
    page.wait_for_function(changed, arg=[than])
    return month(page)


def no_error_shown(page) -> None:
    body = page.inner_text("body")
    for sign in ("Traceback", "Error:", "stopped with an error"):
        assert sign not in body, f"the page shows an error:\n{body[:3000]}"


ATTEMPTS = 5  # a click or hover that lands during a re-render can be lost; a user tries again


def until_shown(page, act, shown, close: str | None = None) -> None:
    """Do `act` until `shown` (a locator) appears, as a user would on a busy machine.

    An element replaced by a re-render while the pointer lands on it swallows the click
    or the hover. Each try waits for the state, not for a time; the last waits as long
    as any other step.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(ATTEMPTS - 1):
        act()
        try:
            shown.wait_for(state="visible", timeout=30_000)
            return
        except PlaywrightTimeout:
            if close:
                page.keyboard.press(close)
    act()
    shown.wait_for(state="visible")


def pick_preset(page, name: str) -> None:
    """Choose a preset from its menu, opening the menu again if a re-render closed it."""
    option = page.get_by_role("option", name=name, exact=True)
    until_shown(page, lambda: page.locator(PRESET).click(), option, close="Escape")
    option.click()
    page.locator(".run-status", has_text=f"Running: {name}, seed 1").wait_for()


CHARTS = ".vega-view"


def wait_until_drawn(page, selector: str = CHARTS) -> None:
    """Wait until every chart matching `selector` shows the frame of the month on the page."""
    page.wait_for_function(
        "([selector]) => { const charts = [...document.querySelectorAll(selector)];"
        " const serials = charts.map(c => c.dataset.drawn);"
        " return charts.length > 0 && charts.every(c => c.querySelector('svg'))"
        " && serials.every(s => s !== undefined && s === serials[0]); }",
        arg=[selector],
    )


def chart_serial(page, selector: str) -> int:
    return int(page.locator(selector).first.get_attribute("data-drawn"))


def test_dashboard_in_a_real_browser(browser_page) -> None:
    page = browser_page
    assert month(page) == 0
    charts = page.locator(CHARTS)
    charts.first.wait_for()
    assert charts.count() == 7  # the map and six plots
    wait_until_drawn(page)
    first = chart_serial(page, ".region-map")

    step = page.get_by_role("button", name="Step")
    for wanted in (1, 2, 3):
        step.click()
        wait_for_month(page, wanted)
    page.wait_for_function(
        "([first]) => [...document.querySelectorAll('.vega-view')]"
        ".every(c => +c.dataset.drawn >= first + 3)",
        arg=[first],
    )  # the map and every plot drew month 3

    pick_preset(page, "quick_win")
    assert month(page) == 0

    page.get_by_role("button", name="▶").click()
    wait_for_month(page, 24)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    assert "reached its quick win" in page.inner_text("body")
    # The sliders showed the preset's values without snapping them to other ones.
    assert "Running: quick_win, seed 1." in page.locator(".run-status").inner_text()
    # The Live tab's screenshot shows a partnership chosen on the map.
    wait_until_drawn(page)
    click_longest_link(page)
    wait_until_drawn(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    no_error_shown(page)


LINKS = ".region-map line[aria-label^='partnership ']"
LONGEST_LINK_JS = """() => {
  let best = null, longest = -1;
  for (const line of document.querySelectorAll(".region-map line[aria-label^='partnership ']")) {
    const box = line.getBoundingClientRect();
    const length = Math.hypot(box.width, box.height);
    if (length > longest) { longest = length; best = line.getAttribute('aria-label'); }
  }
  return best; }"""


def click_longest_link(page) -> int:
    """Click the middle of the map's longest link, clear of markers; its partnership's id."""
    label = page.evaluate(LONGEST_LINK_JS)
    assert label, "the map shows no partnership"
    link = page.locator(f".region-map line[aria-label='{label}']").first
    pid = int(label.split()[-1])
    title = page.locator(".inspector-title", has_text=re.compile(rf"^Partnership {pid}$"))
    until_shown(page, lambda: link.click(force=True), title)
    return pid


def play_to(page, wanted: int) -> None:
    page.get_by_role("button", name="▶").click()
    wait_for_month(page, wanted)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    wait_until_drawn(page)


def test_clicking_a_partnership_on_the_map_shows_its_members_and_leader(browser_page) -> None:
    page = browser_page
    play_to(page, 12)
    pid = click_longest_link(page)
    facts = page.locator(".inspector-facts").first.inner_text()
    for label in ("Members", "Leader", "Age", "Milestones", "Trust", "Subsidy", "Cluster manager"):
        assert label in facts
    members = re.search(r"Members\s+(\d+): (.+)", facts)
    assert members and len(members.group(2).split("), ")) >= 1
    # Its links are drawn bold, the others' not.
    page.wait_for_function(
        "([links, pid]) => [...document.querySelectorAll(links)].every(line =>"
        " (line.getAttribute('aria-label') === 'partnership ' + pid)"
        " === (+line.getAttribute('stroke-width') > 4))",
        arg=[LINKS, pid],
    )
    no_error_shown(page)


def test_clicking_an_organisation_on_the_map_shows_its_details(browser_page) -> None:
    page = browser_page
    play_to(page, 12)
    member = page.locator(".region-map path[aria-label*=', in partnership']").first
    name = member.get_attribute("aria-label").split(",")[0]
    chosen = page.locator(f".region-map path[aria-label^='{name},']").first
    title = page.locator(".inspector-title", has_text=name).first
    until_shown(page, lambda: chosen.click(force=True), title)
    facts = page.locator(".inspector-facts").first.inner_text()
    for label in ("Type", "Size", "Culture (0 to 1)", "Partnerships now", "Trust in partnership"):
        assert label in facts, facts
    page.locator(".region-map path[aria-label='chosen: " + name + "']").wait_for(state="attached")
    no_error_shown(page)


def test_clicking_a_feed_line_highlights_its_partnership_on_the_map(browser_page) -> None:
    page = browser_page
    play_to(page, 12)
    active = {
        int(label.split()[-1])
        for label in page.locator(LINKS).evaluate_all(
            "lines => lines.map(l => l.getAttribute('aria-label'))"
        )
    }
    line = next(
        line
        for line in page.locator(".feed-lines .feed-event[data-partnership]").all()
        if int(line.get_attribute("data-partnership")) in active
    )
    pid = int(line.get_attribute("data-partnership"))
    chosen = page.locator(f".feed-lines .feed-event[data-partnership='{pid}']").first
    title = page.locator(".inspector-title", has_text=re.compile(rf"^Partnership {pid}$"))
    until_shown(page, chosen.click, title)
    page.locator(f".feed-event.feed-chosen[data-partnership='{pid}']").first.wait_for()
    rings = ".region-map path[aria-label^='chosen: ']"
    members = int(re.search(r"Members\s+(\d+):", page.locator(".inspector-facts").inner_text())[1])
    page.wait_for_function(  # every member ringed on the map
        "([rings, n]) => document.querySelectorAll(rings).length === n", arg=[rings, members]
    )
    no_error_shown(page)


def test_hovering_a_plot_shows_the_values_of_that_month(browser_page) -> None:
    page = browser_page
    play_to(page, 6)
    plot = page.locator(".series-plot svg").first

    def hover() -> None:
        plot.scroll_into_view_if_needed()
        box = plot.bounding_box()
        page.mouse.move(0, 0)  # off the plot first, so the move onto it is a new hover
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.45)

    until_shown(page, hover, page.locator("#vg-tooltip-element.visible", has_text="month"))
    no_error_shown(page)


def test_side_by_side_overlays_both_scenarios_with_their_feeds(browser_page) -> None:
    page = browser_page
    page.get_by_role("tab", name="Side by side").click()
    page.locator(".run-status", has_text="Side by side:").wait_for()
    play_to(page, 24)
    page.wait_for_function(  # both maps and feeds, three overlaid plots, one survival plot
        "() => { const n = s => document.querySelectorAll(s).length;"
        " return n('.region-map') === 2 && n('.series-plot') === 3"
        " && n('.survival-plot') === 1 && n('.feed-lines') === 2; }"
    )
    for title in ("Active partnerships", "Mean trust within partnerships"):
        plot = page.locator(".series-plot", has_text=title)
        assert "left: baseline" in plot.inner_text() and "right: " in plot.inner_text()
    page.set_viewport_size({"width": 1400, "height": 2700})  # maps, feeds and the overlays
    wait_until_drawn(page)
    SIDE_BY_SIDE_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SIDE_BY_SIDE_SCREENSHOT))
    no_error_shown(page)


def test_play_advances_month_after_month_and_pause_stops_it(browser_page) -> None:
    page = browser_page
    page.get_by_role("button", name="▶").click()
    start = time.monotonic()
    seen = [month(page)]
    while len(seen) < 6:  # five redraws, each a month the page had not shown before
        seen.append(wait_for_another_month(page, seen[-1]))
    took = time.monotonic() - start
    assert seen == sorted(seen), f"the months went backwards: {seen}"
    if took > 10:  # a measure of the machine, not of the dashboard: reported, not failed
        warnings.warn(f"five redraws took {took:.1f} s (target 10 s); saw {seen}", stacklevel=1)

    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    paused = month(page)
    page.get_by_role("button", name="Step").click()
    # One month on from where it paused: nothing else was stepping the model.
    assert wait_for_another_month(page, paused) == paused + 1
    no_error_shown(page)


def test_preset_lever_and_tab_changes_during_play_never_break_the_page(browser_page) -> None:
    page = browser_page
    for attempt in range(20):
        page.get_by_role("button", name="▶").click()
        page.get_by_role("button", name="❚❚").wait_for()  # playing
        preset = ("quick_win", "baseline")[attempt % 2]
        pick_preset(page, preset)  # rebuilt while the old model steps
        # A lever, then the other tab at once, while the rebuilt model plays.
        page.get_by_text("start with a quick win", exact=True).click()
        page.get_by_role("tab", name="Side by side").click()
        page.locator(".run-status", has_text="Side by side:").wait_for()
        page.get_by_role("tab", name="Live").click()
        changed = f"Running: {preset}, start with a quick win: "
        page.locator(".run-status", has_text=changed).wait_for()
        no_error_shown(page)


def test_a_run_keeps_its_scenario_month_and_speed_across_tabs(browser_page) -> None:
    page = browser_page
    pick_preset(page, "quick_win")
    speed = page.locator(".v-input:has-text('Speed:')")
    speed.get_by_role("slider").press("ArrowRight")  # one step faster
    speed.locator("text=Speed: 4.5 months per second").wait_for()
    for wanted in (1, 2):
        page.get_by_role("button", name="Step").click()
        wait_for_month(page, wanted)
    shown = page.locator(".run-status").inner_text()

    page.get_by_role("tab", name="Side by side").click()
    page.locator(".run-status", has_text="Side by side:").wait_for()
    page.get_by_role("tab", name="Live").click()
    page.locator(".run-status", has_text="Running: quick_win, seed 1. Month 2 of").wait_for()
    assert page.locator(".run-status").inner_text() == shown
    assert "Speed: 4.5 months per second" in speed.inner_text()
    assert page.locator(PRESET).inner_text().strip().endswith("quick_win")


def test_the_about_tab_explains_the_model_and_its_demo_cards_start_a_demo(browser_page) -> None:
    page = browser_page
    page.get_by_role("tab", name="About").click()
    page.get_by_role("heading", name="What this model is").wait_for()
    for heading in ("One month", "What the map shows", "Things to notice", "Things to try"):
        assert page.get_by_role("heading", name=heading).is_visible()
    cards = page.locator(".demo-card")
    assert cards.count() == 3
    assert cards.filter(has_text="What to notice:").count() == 3
    ABOUT_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ABOUT_SCREENSHOT))
    cards.last.screenshot(path=str(DEMO_SCREENSHOT))
    no_error_shown(page)

    cards.first.get_by_role("button", name="Start this demo").click()
    status = "Running: teaching/leaderless_stall, seed 1. Month 0 of"
    page.locator(".run-status", has_text=status).wait_for()
    assert page.get_by_text("Demo: Partnerships where nobody leads stall").is_visible()
    no_error_shown(page)


def feed_months(page) -> list[int]:
    """The month of every line in the event feed, top to bottom."""
    lines = page.locator(".feed-lines .feed-event").all_inner_texts()
    return [int(MONTH.match(line).group(1)) for line in lines]


def test_the_feed_keeps_old_events_and_shows_one_partnerships_story(browser_page) -> None:
    page = browser_page
    page.get_by_role("button", name="▶").click()
    wait_for_month(page, 24)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    months = feed_months(page)
    assert len(months) > 12 and months == sorted(months, reverse=True)
    assert months[-1] <= 6 < month(page) - 12  # the first months' events are still there

    first = page.locator(".feed-lines .feed-event", has_text="formed partnership").last
    number = re.search(r"formed partnership (\d+)", first.inner_text()).group(1)
    field = page.get_by_label("Only partnership (number; empty: all)")
    field.fill(number)
    field.press("Enter")
    title = page.locator(".feed-title", has_text=" of ")
    title.wait_for()
    story = re.compile(rf"partnership {number}\b", re.IGNORECASE)
    others = page.locator(".feed-lines .feed-event").filter(has_not_text=story)
    others.first.wait_for(state="detached")  # the list follows its title under load
    lines = page.locator(".feed-lines .feed-event").all_inner_texts()
    assert lines and all(story.search(line) for line in lines)
    no_error_shown(page)


def test_a_run_that_reaches_its_last_month_says_so_until_reset(browser_page) -> None:
    page = browser_page
    page.locator(".v-input:has-text('run length')").get_by_role("slider").press("Home")
    page.locator(".run-status", has_text="run length = 12 months").wait_for()
    page.get_by_role("button", name="▶").click()
    finished = page.locator(".run-finished").first
    finished.wait_for()
    assert "Run finished at month 12: press Reset to run it again." in finished.inner_text()
    assert page.get_by_role("button", name="▶").is_disabled()
    assert "Finished:" in page.locator(".run-status").inner_text()
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".run-status", has_text="Running:").wait_for()
    page.locator(".run-finished").first.wait_for(state="detached")  # may go a render later
    assert page.locator(".run-finished").count() == 0
    no_error_shown(page)
