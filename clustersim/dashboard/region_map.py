"""The region map: organisations by type and size, partnerships as links coloured by trust.

Organisations never move, so all of them are drawn once, faded, into the cached
background; each month only the members of active partnerships (drawn solid on top)
and the partnership links are redrawn. A partnership is drawn as a star from its
leader to each other member, solid when it has a leader and dashed when nobody can
lead (then from its first member), coloured by the mean trust among its members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import solara
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from clustersim.dashboard.canvas import LayeredFigure, kept_drawing
from clustersim.model import ClusterModel
from clustersim.organisations import Regime

if TYPE_CHECKING:
    from clustersim.dashboard.frames import Region, ScenarioFrame

# How each type is drawn: legend label, marker, colour.
TYPE_STYLES = {
    Regime.COMMERCIAL: ("SME", "o", "#4c72b0"),
    Regime.NON_PROFIT: ("knowledge institution", "s", "#55a868"),
    Regime.PUBLIC: ("government", "^", "#8172b3"),
}
TRUST_COLOURS = colormaps["RdYlGn"]  # red: low trust, green: high trust


@dataclass(frozen=True)
class Links:
    """One line segment per member of each active partnership, from its hub to the member."""

    segments: np.ndarray  # (k, 2, 2) km
    trust: np.ndarray  # (k,) mean trust among the partnership's members
    led: np.ndarray  # (k,) whether the partnership has a leader


def partnership_links(model: ClusterModel) -> Links:
    """The links to draw for the model's active partnerships, as arrays."""
    position = model.population.position_km
    hubs: list[int] = []
    others: list[int] = []
    trust: list[float] = []
    led: list[bool] = []
    for part in model.active_partnerships:
        hub = part.leader if part.leader is not None else part.members[0]
        mean_trust = model.trust.mean_among(part.members)
        for member in part.members:
            if member != hub:
                hubs.append(hub)
                others.append(member)
                trust.append(mean_trust)
                led.append(part.leader is not None)
    segments = np.stack([position[hubs], position[others]], axis=1) if hubs else np.empty((0, 2, 2))
    return Links(segments, np.asarray(trust, dtype=float), np.asarray(led, dtype=bool))


def marker_sizes(employees: np.ndarray) -> np.ndarray:
    """Marker area grows with the square root of headcount, so big ones don't swamp the map."""
    return 4.0 + 3.0 * np.sqrt(employees)


class RegionDrawing:
    """The map of one model's region: static organisations, live members, links and title."""

    def __init__(self, region: Region) -> None:
        side = region.side_km
        figure = Figure(figsize=(5.4, 5.0), dpi=100, layout="constrained")
        self.layers = LayeredFigure(figure)
        ax = figure.add_subplot()
        ax.set_xlim(0, side)
        ax.set_ylim(0, side)
        ax.set_aspect("equal")
        ax.set_xlabel("km")
        ax.set_ylabel("km")
        ax.tick_params(labelsize=8)
        self._regime = region.regime
        self._position = region.position_km
        self._sizes = marker_sizes(region.employees)
        norm = Normalize(0.0, 1.0)
        # Links first, so member markers are drawn over them.
        self._led = self.layers.live(LineCollection([], cmap=TRUST_COLOURS, norm=norm, lw=1.6))
        self._leaderless = self.layers.live(
            LineCollection([], cmap=TRUST_COLOURS, norm=norm, lw=1.6, linestyles="--")
        )
        for links in (self._led, self._leaderless):
            ax.add_collection(links)
        self._members = {}
        handles = []
        for regime, (label, marker, colour) in TYPE_STYLES.items():
            mine = region.regime == regime
            ax.scatter(
                *region.position_km[mine].T,
                s=self._sizes[mine],
                marker=marker,
                c=colour,
                alpha=0.2,
                linewidths=0,
            )
            self._members[regime] = self.layers.live(
                ax.scatter([], [], marker=marker, c=colour, edgecolors="black", linewidths=0.4)
            )
            handles.append(Line2D([], [], ls="", marker=marker, color=colour, label=label))
        handles += [
            Line2D([], [], color="grey", label="partnership with a leader"),
            Line2D([], [], color="grey", ls="--", label="partnership, nobody leads"),
        ]
        figure.legend(
            handles=handles,
            loc="outside lower center",
            ncols=3,
            fontsize=7,
            frameon=False,
            title="faded: not in a partnership now",
            title_fontsize=7,
        )
        colourbar = figure.colorbar(self._led, ax=ax, shrink=0.8, pad=0.02)
        colourbar.set_label("mean trust among members", fontsize=8)
        colourbar.ax.tick_params(labelsize=7)
        self._title = self.layers.live(ax.set_title("", fontsize=10))

    def render(self, frame: ScenarioFrame) -> bytes:
        """PNG of the map at the frame's month."""
        in_partnership = frame.in_partnership
        for regime, scatter in self._members.items():
            shown = in_partnership & (self._regime == regime)
            scatter.set_offsets(self._position[shown])
            scatter.set_sizes(self._sizes[shown])
        links = frame.links
        for collection, mask in ((self._led, links.led), (self._leaderless, ~links.led)):
            collection.set_segments(links.segments[mask])
            collection.set_array(links.trust[mask])
        self._title.set_text(
            f"Month {frame.month}: {frame.active} active partnerships, "
            f"{in_partnership.mean():.0%} of organisations in one"
        )
        return self.layers.png()


@solara.component
def RegionMap(frame: ScenarioFrame):
    """The map of a frame; drawn again only for a new frame, its background once per model."""
    drawing = kept_drawing(("map", frame.region.key), lambda: RegionDrawing(frame.region))
    image = solara.use_memo(lambda: drawing.render(frame), [frame])
    return solara.Image(image, width="100%")
