"""The dashboard in a real browser: `clustersim dashboard` served, driven by headless Chromium.

Uses Debian's `chromium` package through Playwright (`executable_path`), because
Playwright's own browser downloads are not available everywhere this runs. A missing
browser fails the test with instructions; it is never skipped silently.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
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
MONTH = re.compile(r"Month (\d+) of")


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


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    """`clustersim dashboard` on a free port; yields the address it printed."""
    with serving_dashboard(tmp_path / "server.log") as url:
        yield url


@pytest.fixture
def browser_page():
    """A fresh page in headless Chromium."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium). "
            "This test drives a real browser and is not skipped."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1900})
        finally:
            browser.close()


def month(page) -> int:
    found = MONTH.search(page.locator(".run-status").inner_text())
    assert found, "the page does not say which month it shows"
    return int(found.group(1))


def wait_for_month(page, wanted: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while month(page) < wanted:
        assert time.monotonic() < deadline, f"stuck at month {month(page)}, wanted {wanted}"
        page.wait_for_timeout(100)


def test_dashboard_in_a_real_browser(dashboard: str, browser_page) -> None:
    page = browser_page
    missing_assets: list[str] = []
    page.on(
        "response",
        lambda r: (
            missing_assets.append(r.url) if r.status >= 400 and "/_solara/" in r.url else None
        ),
    )
    page.goto(dashboard)
    step = page.get_by_role("button", name="Step")
    try:
        step.wait_for(timeout=30_000)
    except Exception:
        pytest.fail(
            "the dashboard did not appear in the browser; Solara could not serve "
            f"{missing_assets or 'its page'} (offline? install the solara-assets package)"
        )
    assert month(page) == 0
    images = page.locator("img.solara-image")
    assert images.count() == 7  # the map and six plots
    before = [images.nth(i).get_attribute("src") for i in range(7)]

    for wanted in (1, 2, 3):
        step.click()
        wait_for_month(page, wanted)
    page.wait_for_function(
        "([first, last]) => { const imgs = document.querySelectorAll('img.solara-image');"
        " return imgs[0].src !== first && imgs[2].src !== last; }",
        arg=[before[0], before[2]],
    )  # the map and the active-partnerships plot were redrawn

    page.locator(".v-select", has_text="Scenario preset").click()
    page.get_by_role("option", name="quick_win", exact=True).click()
    page.locator(".run-status", has_text="Running: quick_win, seed 1").wait_for()
    assert month(page) == 0

    page.get_by_role("button", name="▶").click()
    wait_for_month(page, 24, seconds=40)
    page.get_by_role("button", name="❚❚").click()
    page.wait_for_timeout(500)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert "reached its quick win" in page.inner_text("body")
    # The sliders showed the preset's values without snapping them to other ones.
    assert "Running: quick_win, seed 1." in page.locator(".run-status").inner_text()
