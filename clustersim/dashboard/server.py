"""Serve the dashboard: `solara run` on the app module, in this Python environment.

After printing the address, the process becomes the Solara server (`os.execve`), so
Ctrl-C or a terminate signal stops the server itself and nothing is left running.
The `--config` file reaches the app through an environment variable.

The dashboard works offline and tells nobody it runs: Solara's usage telemetry (which
looks up the machine's public address and reports a machine fingerprint) is off unless
the user switches it on with SOLARA_TELEMETRY_MIXPANEL_ENABLE=true, its check for a
newer version on PyPI is off, and its assets come from the installed solara-assets
package, never from a CDN. Solara's and IPython's state (an empty folder, IPython's
command history database) go to a folder of the server's own under the system's
temporary folder (`clustersim-dashboard-*`), not to ~/.solara and ~/.ipython.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from clustersim.dashboard.presets import CONFIG_ENV

APP = "clustersim.dashboard.app"


def command(host: str, port: int) -> list[str]:
    """The `solara run` command line for the app."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
        "--no-check-version",  # would ask PyPI at every start
    ]


def address(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


# Solara warns on every page load over plain http to an address other than "localhost"
# that it falls back to samesite=lax cookies, which is right for a local dashboard.
QUIET = "ignore:Cookies with samesite=none require https:UserWarning"


TELEMETRY = "SOLARA_TELEMETRY_MIXPANEL_ENABLE"
# Without telemetry, Solara still writes an id for it to ~/.solara unless it has one.
NO_TELEMETRY = {TELEMETRY: "false", "SOLARA_TELEMETRY_SERVER_USER_ID": "offline"}
# Solara's asset proxy must stay on: it serves Solara's browser code from the
# solara-assets package. Switched off (SOLARA_ASSETS_PROXY=false), the page asks the
# browser to load that code from a CDN instead, and offline the page stays blank.


def environment(config: Path | None) -> dict[str, str]:
    """This process's environment, telling the app which config to start from, offline."""
    env = dict(os.environ)
    if env.get(TELEMETRY, "false").strip().lower() not in ("1", "true", "yes", "on"):
        env.update(NO_TELEMETRY)
    env.pop(CONFIG_ENV, None)
    if config is not None:
        env[CONFIG_ENV] = str(Path(config).resolve())
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), QUIET]))
    return env


def serve(config: Path | None, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Print where to open the dashboard, then run its server until stopped (never returns)."""
    print(f"clustersim dashboard: open {address(host, port)} (Ctrl-C stops it)", flush=True)
    args = command(host, port)
    env = environment(config)
    if "IPYTHONDIR" not in env or "SOLARA_HOME" not in env:
        state = Path(tempfile.mkdtemp(prefix="clustersim-dashboard-"))
        env.setdefault("IPYTHONDIR", str(state / "ipython"))
        env.setdefault("SOLARA_HOME", str(state / "solara"))
    os.execve(args[0], args, env)
