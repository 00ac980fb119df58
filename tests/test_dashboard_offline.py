"""The dashboard reaches no network and keeps out of the home folder.

The server runs with a guard (a `sitecustomize` module) that refuses and records every
name lookup and connection to anything but this machine, so nothing leaves it even
where a network exists. A control run with Solara's telemetry switched on shows that
the guard sees what telemetry would send. In the browser, every request to a host
other than the dashboard's is refused and recorded too: the page must still draw its
map and plots, whose chart library (Vega) the server serves from installed packages.
"""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.test_dashboard_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    serving_dashboard,
    wait_for_month,
    wait_until_drawn,
)

GUARD = """
import os, socket

_LOG = os.environ["CLUSTERSIM_NETWORK_LOG"]
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0", "::")


def _check(host):
    host = "" if host is None else str(host)
    if host == "" or host.startswith(_LOCAL):
        return
    with open(_LOG, "a") as log:
        log.write(host + "\\n")
    raise OSError(f"network access to {host} refused by the test's guard")


_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    _check(host)
    return _getaddrinfo(host, *args, **kwargs)


def _guarded(method):
    def call(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _check(address[0])
        return method(self, address)
    return call


socket.getaddrinfo = getaddrinfo
socket.socket.connect = _guarded(socket.socket.connect)
socket.socket.connect_ex = _guarded(socket.socket.connect_ex)
"""


def _guarded_environment(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path, Path]:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    home, log = tmp_path / "home", tmp_path / "network.log"
    home.mkdir()
    log.touch()
    path = os.pathsep.join(filter(None, [str(guard), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "HOME": str(home), "TMPDIR": str(tmp_path), **extra}
    env["CLUSTERSIM_NETWORK_LOG"] = str(log)
    env.pop("IPYTHONDIR", None)
    env.pop("SOLARA_HOME", None)
    return env, home, log


def test_the_dashboard_starts_and_serves_without_any_network_access(tmp_path: Path):
    env, home, log = _guarded_environment(tmp_path)
    with (
        serving_dashboard(tmp_path / "server.log", env) as url,
        urllib.request.urlopen(url, timeout=30) as page,
    ):
        assert page.status == 200
    assert log.read_text() == "", f"the dashboard tried to reach: {log.read_text()}"
    assert not (home / ".ipython").exists() and not (home / ".solara").exists()


def test_the_guard_sees_telemetry_when_a_user_switches_it_on(tmp_path: Path):
    env, _, log = _guarded_environment(tmp_path, SOLARA_TELEMETRY_MIXPANEL_ENABLE="true")
    with serving_dashboard(tmp_path / "server.log", env):
        deadline = time.monotonic() + 60
        while not log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # polling for the state: telemetry runs in a thread
    if not log.read_text():
        pytest.fail("telemetry switched on, yet the guard saw no network access")
    assert "ipify" in log.read_text() or "mixpanel" in log.read_text()


def test_the_page_draws_its_map_and_plots_with_every_other_host_blocked(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    env, _, log = _guarded_environment(tmp_path)
    elsewhere: list[str] = []

    def only_the_dashboard(route) -> None:
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with (
        serving_dashboard(tmp_path / "server.log", env) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1900})
            context.route("**/*", only_the_dashboard)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            page.get_by_role("button", name="Step").click()
            wait_for_month(page, 1)
            wait_until_drawn(page)  # the map and every plot, drawn by Vega
            assert page.locator(".vega-view").count() == 7
            assert page.locator(".region-map path[aria-label^='SME ']").count() > 0
            page.locator(".series-plot svg").first.scroll_into_view_if_needed()
            plot = page.locator(".series-plot svg").first.bounding_box()
            page.mouse.move(plot["x"] + plot["width"] * 0.5, plot["y"] + plot["height"] * 0.45)
            page.locator("#vg-tooltip-element.visible").wait_for()  # hover works offline too
        finally:
            browser.close()
    assert elsewhere == [], f"the page asked other hosts for: {elsewhere}"
    assert log.read_text() == "", f"the dashboard tried to reach: {log.read_text()}"
