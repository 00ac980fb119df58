"""Serve the dashboard: `solara run` on the app module, in this Python environment.

After printing the address, the process becomes the Solara server (`os.execve`), so
Ctrl-C or a terminate signal stops the server itself and nothing is left running.
The `--config` file reaches the app through an environment variable.
"""

from __future__ import annotations

import os
import sys
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


def environment(config: Path | None) -> dict[str, str]:
    """This process's environment, telling the app which config to start from."""
    env = dict(os.environ)
    env.pop(CONFIG_ENV, None)
    if config is not None:
        env[CONFIG_ENV] = str(Path(config).resolve())
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), QUIET]))
    return env


def serve(config: Path | None, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Print where to open the dashboard, then run its server until stopped (never returns)."""
    print(f"clustersim dashboard: open {address(host, port)} (Ctrl-C stops it)", flush=True)
    args = command(host, port)
    os.execve(args[0], args, environment(config))
