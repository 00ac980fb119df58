"""`python -m benchmarks.dashboard [--seconds S] [--speed M]`: months per second in a browser.

Starts `clustersim dashboard` at the default size, opens it in headless Chromium (as
the browser test does), sets the speed (default: as shipped, 4 months per second),
presses Play and counts the months the page shows over `--seconds`. What a teacher
sees is the figure that matters, so the rate is read off the page, rendering and
transfer included.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from clustersim.dashboard.stage import DEFAULT_SPEED, SPEED_RANGE
from tests.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, month, serving_dashboard

WARM_UP_MONTHS = 3  # the first pictures include building the cached backgrounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to count")
    parser.add_argument(
        "--speed", type=float, default=DEFAULT_SPEED, help="months per second asked for"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"error: no Chromium at {CHROMIUM}; apt-get install chromium", file=sys.stderr)
        return 2
    months, seconds = measure(args.seconds, args.speed)
    print(
        f"dashboard, default size, speed set to {args.speed:g} months per second: "
        f"{months} months in {seconds:.1f} s = {months / seconds:.1f} steps per second shown"
    )
    return 0


def measure(seconds: float, speed: float = DEFAULT_SPEED) -> tuple[int, float]:
    """Months shown and seconds taken while playing at `speed`, after a short warm-up."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as folder,
        serving_dashboard(Path(folder) / "server.log") as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1900})
        page.goto(url)
        page.get_by_role("button", name="Step").wait_for(timeout=30_000)
        set_speed(page, speed)
        page.get_by_role("button", name="▶").click()
        while month(page) < WARM_UP_MONTHS:
            page.wait_for_timeout(50)
        first, start = month(page), time.monotonic()
        last, end = first, start
        while end - start < seconds and last < 110:  # the run ends at 120 months
            page.wait_for_timeout(100)
            last, end = month(page), time.monotonic()
        browser.close()
    return last - first, end - start


def set_speed(page, speed: float) -> None:
    """Move the speed slider to `speed` with the keyboard, one slider step per key."""
    step = SPEED_RANGE[2]
    presses = round((speed - DEFAULT_SPEED) / step)
    slider = page.locator(".v-input:has-text('Speed:')")
    for _ in range(abs(presses)):
        slider.get_by_role("slider").press("ArrowRight" if presses > 0 else "ArrowLeft")
    slider.locator(f"text=Speed: {DEFAULT_SPEED + presses * step:g} months").wait_for()


if __name__ == "__main__":
    sys.exit(main())
