"""A page's run, kept per browser tab: what is chosen, the model, its frame, play and speed.

Each value is a Solara reactive stored per kernel, that is per browser tab, and not
per component: a switch to the other page and back finds the run where it was
(scenario, month, speed). Leaving a page pauses its run, since nobody is drawing it.

Every change to the model goes through `Stage`, which steps and replaces it only
through `playback.Run`, under its lock, and shows the page frames, never the model.
The controls here replace Mesa's SolaraViz controller, whose play loop stepped on a
timer while another thread drew the same model (see `playback`).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import solara
from solara.toestand import KernelStoreFactory

from clustersim.dashboard.playback import Frame, Player, Run, Steppable

C = TypeVar("C")  # what is chosen: a Scenario or a ScenarioPair
M = TypeVar("M", bound=Steppable)
F = TypeVar("F", bound=Frame)

DEFAULT_SPEED = 4.0  # months per second
SPEED_RANGE = (0.5, 12.0, 0.5)  # slider low, high, step, months per second
_KEYS = itertools.count()


def per_tab(factory: Callable[[], Any], name: str) -> solara.Reactive:
    """A reactive value made by `factory` the first time each browser tab asks for it."""
    return solara.Reactive(KernelStoreFactory(factory, key=f"clustersim.{name}.{next(_KEYS)}"))


class _Playing:
    """The player of one tab's run, if one is going."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.player: Player | None = None


class Stage(Generic[C, M, F]):
    """One page's run per browser tab, changed only in ways that cannot race the drawing.

    `start()` gives the first choice, `build(choice)` the model for a choice and
    `snapshot(model, serial)` the frame the page draws.
    """

    def __init__(
        self,
        name: str,
        start: Callable[[], C],
        build: Callable[[C], M],
        snapshot: Callable[[M, int], F],
    ) -> None:
        self._build = build
        self.choice: solara.Reactive[C] = per_tab(start, f"{name}.choice")
        self.run: solara.Reactive[Run[M, F]] = per_tab(
            lambda: Run(build(self.choice.peek()), snapshot), f"{name}.run"
        )
        self.frame: solara.Reactive[F] = per_tab(lambda: self.run.peek().frame, f"{name}.frame")
        self.playing: solara.Reactive[bool] = per_tab(lambda: False, f"{name}.playing")
        self.speed: solara.Reactive[float] = per_tab(lambda: DEFAULT_SPEED, f"{name}.speed")
        self.error: solara.Reactive[str | None] = per_tab(lambda: None, f"{name}.error")
        self._playing: solara.Reactive[_Playing] = per_tab(_Playing, f"{name}.player")

    @property
    def model(self) -> M:
        """The model being run, for tests: the page itself draws frames only."""
        return self.run.peek().model

    @property
    def pace(self) -> float | None:
        """Months per second the player reaches now; None when not playing or not yet known."""
        player = self._playing.peek().player
        return None if player is None else player.pacer.rate

    def publish(self, frame: F) -> None:
        """Show `frame`, unless a newer one is already shown (two threads may race here)."""
        with self._playing.peek().lock:
            if frame.serial > self.frame.peek().serial:
                self.frame.set(frame)

    def drawn(self, frame: F) -> None:
        """The page has drawn `frame`: let a waiting player step on."""
        self.run.peek().mark_drawn(frame.serial)

    def step(self) -> None:
        """One month, unless playing (a click that crossed a press of ▶ is ignored)."""
        if not self.playing.peek():
            self.publish(self.run.peek().step(1))

    def choose(self, choice: C) -> None:
        """Run `choice` from month 0, built at once; a playing run plays on with it."""
        if choice == self.choice.peek():
            return
        model = self._build(choice)  # outside the run's lock: building takes a while
        self.choice.set(choice)
        self.publish(self.run.peek().replace(model))

    def reset(self) -> None:
        """Back to month 0 of the choice on screen, paused."""
        self.pause()
        self.error.set(None)
        self.publish(self.run.peek().replace(self._build(self.choice.peek())))

    def play(self) -> None:
        """Start playing in a thread of its own, unless playing already or the run has ended."""
        holder = self._playing.peek()
        with holder.lock:
            if holder.player is not None and not holder.player.stopped:
                return
            if not self.frame.peek().running:
                return
            player = Player(
                self.run.peek(),
                publish=self.publish,
                speed=self.speed.peek,
                finished=lambda _frame: self._ended(player),
                failed=lambda error: self._failed(player, error),
            )
            holder.player = player
            self.error.set(None)
            self.playing.set(True)
            player.start()

    def pause(self) -> None:
        """Stop playing; the step in progress, if any, is still shown."""
        holder = self._playing.peek()
        with holder.lock:
            if holder.player is not None:
                holder.player.stop()
                holder.player = None
            self.playing.set(False)

    def _ended(self, player: Player) -> None:
        holder = self._playing.peek()
        with holder.lock:
            if holder.player is player:
                self.pause()

    def _failed(self, player: Player, error: BaseException) -> None:
        self._ended(player)
        self.error.set(f"The model stopped with an error: {error!r}")


@solara.component
def PlayControls(stage: Stage):
    """Reset, ▶ / ❚❚ and Step, the speed in months per second, and the run's state."""
    frame = stage.frame.value
    playing = stage.playing.value
    with solara.Card("Controls"):
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=stage.reset)
            solara.Button(
                "❚❚" if playing else "▶",
                color="primary",
                on_click=stage.pause if playing else stage.play,
                disabled=not playing and not frame.running,
            )
            solara.Button(
                "Step", color="primary", on_click=stage.step, disabled=playing or not frame.running
            )
        low, high, step = SPEED_RANGE
        solara.SliderFloat(
            f"Speed: {stage.speed.value:g} months per second",
            value=stage.speed,
            min=low,
            max=high,
            step=step,
        )
        pace = stage.pace if playing else None
        if pace is not None:
            slower = pace < 0.8 * stage.speed.value
            solara.Text(
                f"Playing at {pace:.1f} months per second"
                + (": as fast as this computer can draw." if slower else "."),
                style={"font-size": "0.85rem"},
                classes=["play-pace"],
            )
        if not frame.running:
            solara.Info(
                f"Run finished at month {frame.month}: press Reset to run it again.",
                classes=["run-finished"],
            )
        if stage.error.value:
            solara.Error(stage.error.value)
