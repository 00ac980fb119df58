"""A matplotlib figure drawn in two layers, so a new month costs milliseconds.

A full matplotlib draw of a small chart takes 20-40 ms, nearly all of it for axes,
ticks, labels and legends that do not change from one month to the next. Here that
background is drawn once and cached; each frame restores it, draws only the live
artists (lines, links, markers) on top and encodes the pixels as PNG, about 3 ms.
The background is redrawn only when something in it changes, such as an axis limit.
Images are made on the server, so the dashboard needs no JavaScript chart library
and works offline.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from clustersim.dashboard.stage import per_tab

T = TypeVar("T")
KEPT_DRAWINGS = 32  # per browser tab; a map or plot figure is about a megabyte
_DRAWINGS = per_tab(OrderedDict, "drawings")


def kept_drawing(key: Hashable, make: Callable[[], T]) -> T:
    """The drawing for `key`, made once per browser tab and kept for the next time.

    A page shown again after a switch of tabs, or a model rebuilt on the same region
    and horizon, then finds its figures with their backgrounds already drawn. One tab
    renders in one thread at a time, so its drawings are never drawn concurrently.
    """
    drawings = _DRAWINGS.peek()
    if key in drawings:
        drawings.move_to_end(key)
        return drawings[key]
    drawing = drawings[key] = make()
    while len(drawings) > KEPT_DRAWINGS:
        drawings.popitem(last=False)
    return drawing


class LayeredFigure:
    """A figure with a cached static layer and live artists redrawn on every `png()`."""

    def __init__(self, figure: Figure) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self._live: list[Artist] = []
        self._background = None

    def live(self, artist: Artist) -> Artist:
        """Mark `artist` as changing every frame: it is left out of the cached background."""
        artist.set_animated(True)
        self._live.append(artist)
        return artist

    def invalidate(self) -> None:
        """The static layer changed (e.g. an axis limit): redraw it on the next frame."""
        self._background = None

    def png(self) -> bytes:
        """The figure as PNG bytes: the cached background plus the live artists."""
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in sorted(self._live, key=Artist.get_zorder):  # as matplotlib would
            if artist.get_visible():
                self.figure.draw_artist(artist)
        pixels = np.asarray(self.canvas.buffer_rgba())
        out = io.BytesIO()
        Image.fromarray(pixels).convert("RGB").save(out, format="png", compress_level=1)
        return out.getvalue()
