"""Play a model without racing the page that draws it.

Three rules, each the fix for a way the dashboard froze or crashed under load:

- Only one thread touches a model at a time. `Run` holds the model behind a lock;
  stepping, replacing it and taking a snapshot all happen under that lock, and the
  page draws from the snapshot (a "frame"), never from the model itself. Drawing
  while the model stepped raised "dictionary changed size during iteration" and
  "Length of values does not match length of index".
- Play never runs ahead of what is drawn. `Player` publishes a frame, then waits
  until the page says it has drawn it (`Run.mark_drawn`) before it steps again.
  Stepping on a timer instead kept asking for new renders faster than a loaded
  machine could finish one; the thread that was rendering then never left its render
  loop, so no picture reached the browser and no click was handled until the run
  had ended.
- The pace adapts to the machine. `Pacer` measures what a month's step and a frame's
  drawing cost and chooses how long to rest after each frame to keep to the chosen
  months per second. Up to `EVERY_MONTH_UP_TO` months per second every month is
  drawn, and a machine too slow for the chosen speed plays slower; above it, a frame
  may show several months when drawing cannot keep up.

Nothing here knows about Solara: the page passes in how to publish a frame.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

logger = logging.getLogger(__name__)

MOST_MONTHS_PER_FRAME = 12
# Up to this many months per second, every month is drawn: a class can follow the
# events month by month. Faster speeds may draw every second or third month.
EVERY_MONTH_UP_TO = 4.0
# How long to wait for the page to draw a frame before stepping anyway: a page that
# is gone (the tab was closed) must not hold the player forever.
DRAW_TIMEOUT_S = 30.0


class Steppable(Protocol):
    """What a Run needs of a model: Mesa's `step()` and `running`."""

    running: bool

    def step(self) -> None: ...


class Frame(Protocol):
    """What a Player needs of a frame: which snapshot it is and whether the run goes on."""

    serial: int
    running: bool


M = TypeVar("M", bound=Steppable)
F = TypeVar("F", bound=Frame)


class Run(Generic[M, F]):
    """A model that one thread at a time may touch, and the latest frame taken from it.

    `snapshot(model, serial)` makes a frame: everything the page draws, copied, so
    drawing needs no lock. Serials increase with every frame, across replaced models.
    """

    def __init__(self, model: M, snapshot: Callable[[M, int], F]) -> None:
        self._lock = threading.Lock()
        self._drawn = threading.Condition()
        self._drawn_serial = -1
        self._snapshot = snapshot
        self._model = model
        self._serial = 0
        self.frame: F = snapshot(model, 0)

    @property
    def model(self) -> M:
        """The model itself, for tests and for what never changes after it is built."""
        return self._model

    def step(self, months: int = 1) -> F:
        """Step up to `months` months (fewer if the run ends) and return the new frame."""
        with self._lock:
            for _ in range(months):
                if not self._model.running:
                    break
                self._model.step()
            return self._take()

    def replace(self, model: M) -> F:
        """Run `model` from now on (e.g. rebuilt from new settings); its first frame."""
        with self._lock:
            self._model = model
            return self._take()

    def _take(self) -> F:
        self._serial += 1
        self.frame = self._snapshot(self._model, self._serial)
        return self.frame

    def mark_drawn(self, serial: int) -> None:
        """The page has drawn frame `serial`: a player waiting for it may step on."""
        with self._drawn:
            self._drawn_serial = max(self._drawn_serial, serial)
            self._drawn.notify_all()

    def wait_drawn(self, serial: int, timeout: float, stop: threading.Event) -> bool:
        """Wait until frame `serial` is drawn or `stop` is set; False if time ran out."""
        with self._drawn:
            return self._drawn.wait_for(
                lambda: self._drawn_serial >= serial or stop.is_set(), timeout
            )

    def wake(self) -> None:
        """Wake whoever waits in `wait_drawn`, so it can see its stop event."""
        with self._drawn:
            self._drawn.notify_all()


class Pacer:
    """How many months each frame shows, and the rest after it, to play at a given speed.

    A frame of n months costs n steps and one drawing; at `speed` months per second
    it may take n / speed seconds. The smallest n that fits is chosen, so every month
    is drawn whenever the machine allows it, but never more than one month per
    `EVERY_MONTH_UP_TO` months per second of speed: on a slow machine, a slow speed
    plays slower rather than skip months. Costs are smoothed over recent frames;
    `rate` is the speed actually reached, in months per second.
    """

    def __init__(self, most: int = MOST_MONTHS_PER_FRAME, smoothing: float = 0.3) -> None:
        self.most = most
        self.smoothing = smoothing
        self.step_s: float | None = None  # seconds to step one month (snapshot included)
        self.draw_s: float | None = None  # seconds until the page has drawn a frame
        self.rate: float | None = None  # months per second reached, rests included

    def record(self, months: int, stepping_s: float, drawing_s: float) -> None:
        """What the last frame cost: `months` steps took `stepping_s`, its drawing `drawing_s`."""
        per_month = stepping_s / max(months, 1)
        self.step_s = self._smooth(self.step_s, per_month)
        self.draw_s = self._smooth(self.draw_s, drawing_s)

    def record_pace(self, months: int, seconds: float) -> None:
        """A frame of `months` months took `seconds` from its first step to the next frame."""
        if seconds > 0:
            self.rate = self._smooth(self.rate, months / seconds)

    def _smooth(self, old: float | None, new: float) -> float:
        return new if old is None else old + self.smoothing * (new - old)

    def months_per_frame(self, speed: float) -> int:
        """Months to step before the next drawing, at least 1."""
        most = max(1, min(self.most, int(speed // EVERY_MONTH_UP_TO)))
        if self.step_s is None or self.draw_s is None or most == 1:
            return 1
        spare = 1.0 - speed * self.step_s  # share of each second left for drawing
        if spare <= 0.0:
            return most
        wanted = math.ceil(speed * self.draw_s / spare - 1e-9)
        return min(max(wanted, 1), most)

    @staticmethod
    def rest(months: int, busy_s: float, speed: float) -> float:
        """Seconds to wait after a frame of `months` months that took `busy_s` seconds."""
        return max(0.0, months / speed - busy_s)


class Player(Generic[M, F]):
    """A thread that plays a Run: step, publish the frame, wait until drawn, rest, repeat.

    `publish(frame)` hands a frame to the page; `speed()` is read before every frame,
    so a new speed applies at once; `finished(frame)` is called once when the run
    reaches its end, `failed(error)` if a step raises. `stop()` ends it after the
    step in progress, if any.
    """

    def __init__(
        self,
        run: Run[M, F],
        publish: Callable[[F], None],
        speed: Callable[[], float],
        finished: Callable[[F], None],
        failed: Callable[[BaseException], None],
        pacer: Pacer | None = None,
        draw_timeout_s: float = DRAW_TIMEOUT_S,
    ) -> None:
        self.run = run
        self._publish = publish
        self._speed = speed
        self._finished = finished
        self._failed = failed
        self.pacer = pacer or Pacer()
        self._draw_timeout_s = draw_timeout_s
        self._stop = threading.Event()
        # Created here, in the caller's thread: Solara gives a thread the page's
        # context when it is created, so the frames it publishes reach that page.
        self._thread = threading.Thread(target=self._loop, name="clustersim-player", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it finishes a step in progress but starts no new one."""
        self._stop.set()
        self.run.wake()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._frame():
                    return
        except Exception as error:  # shown on the page, never a dead silent thread
            logger.exception("playing the model failed")
            self._failed(error)

    def _frame(self) -> bool:
        """Step, publish and wait for one frame; False when the run has ended."""
        speed = max(self._speed(), 1e-3)
        months = self.pacer.months_per_frame(speed)
        start = time.monotonic()
        frame = self.run.step(months)
        stepped = time.monotonic()
        self._publish(frame)
        self.run.wait_drawn(frame.serial, self._draw_timeout_s, self._stop)
        drawn = time.monotonic()
        self.pacer.record(months, stepped - start, drawn - stepped)
        if not frame.running:
            self._finished(frame)
            return False
        self._stop.wait(self.pacer.rest(months, drawn - start, speed))
        self.pacer.record_pace(months, time.monotonic() - start)
        return True
