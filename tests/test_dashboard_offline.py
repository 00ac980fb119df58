"""The dashboard reaches no network and keeps out of the home folder.

The server runs with a guard (a `sitecustomize` module) that refuses and records every
name lookup and connection to anything but this machine, so nothing leaves it even
where a network exists. A control run with Solara's telemetry switched on shows that
the guard sees what telemetry would send.
"""

from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_dashboard_browser import serving_dashboard

GUARD = '''
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
'''


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
