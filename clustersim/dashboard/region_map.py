"""The region map: organisations by type and size, partnerships as links coloured by trust.

An interactive Vega-Lite chart (`vega`). Hover names an organisation or a partnership;
a click chooses it (`selection`), and the map rings the chosen organisations, draws
the chosen partnership's links bold and dims the others. Scroll zooms, a drag moves
the map and a double click zooms out again, so that links of a kilometre stand out
in a region of fifty.

Every organisation is drawn faded, once, in the chart's spec; each frame sends only
the members of active partnerships (drawn solid on top) and the links. A partnership
is a star from its leader to each other member, solid when it has a leader and
dashed when nobody can lead (then from its first member), coloured by the mean trust
among its members.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import altair as alt
import numpy as np
import solara

from clustersim.dashboard.selection import Selection, organisation, partnership
from clustersim.dashboard.vega import Rows, VegaChart, vega_lite_spec
from clustersim.organisations import Regime

if TYPE_CHECKING:
    from clustersim.dashboard.frames import PartnershipNow, Region, ScenarioFrame

# How each type is drawn: legend label, marker, colour.
TYPE_STYLES = {
    Regime.COMMERCIAL: ("SME", "circle", "#4c72b0"),
    Regime.NON_PROFIT: ("knowledge institution", "square", "#55a868"),
    Regime.PUBLIC: ("government", "triangle-up", "#8172b3"),
}
LED, LEADERLESS = "has a leader", "nobody leads"
CHOSEN_COLOUR = "#ff6f00"
KEPT_SPECS = 16  # maps' specs kept, each with its region's organisations


def marker_area(employees: np.ndarray) -> np.ndarray:
    """Marker area (px²) grows with the square root of headcount: big ones don't swamp it."""
    return 14.0 + 5.0 * np.sqrt(employees)


def size_text(region: Region, index: int) -> str:
    """'12 employees' for an SME; institutions' headcounts only size their markers."""
    if region.regime[index] != Regime.COMMERCIAL:
        return ""
    employees = round(float(region.employees[index]))
    return f"{employees} employee{'' if employees == 1 else 's'}"


def organisation_rows(region: Region, indices: Iterable[int]) -> Rows:
    """One row per organisation: where and how to draw it, its tooltip and its pick."""
    area = marker_area(region.employees)
    return [
        {
            "x": round(float(region.position_km[i, 0]), 3),
            "y": round(float(region.position_km[i, 1]), 3),
            "type": TYPE_STYLES[Regime(int(region.regime[i]))][0],
            "area": round(float(area[i]), 1),
            "name": region.names[i],
            "label": region.names[i],  # what a screen reader (and a browser test) finds
            "size": size_text(region, i),
            "pick": organisation(i).pick,
        }
        for i in indices
    ]


def chosen_partnerships(frame: ScenarioFrame, chosen: Selection | None) -> set[int]:
    """The partnerships a choice stands for: one, or all of an organisation's."""
    if chosen is None:
        return set()
    if chosen.kind == "partnership":
        return {chosen.id}
    return {part.id for part in frame.partnerships_of(chosen.id)}


def chosen_organisations(frame: ScenarioFrame, chosen: Selection | None) -> list[int]:
    """The organisations the map rings: the one chosen, or a chosen partnership's members."""
    if chosen is None:
        return []
    if chosen.kind == "organisation":
        return [chosen.id] if 0 <= chosen.id < len(frame.region.names) else []
    part = frame.partnership(chosen.id)
    return list(part.members) if part is not None else []


def link_rows(frame: ScenarioFrame, chosen: Selection | None = None) -> Rows:
    """One row per link, hub to member, of each active partnership, with its tooltip."""
    position = frame.region.position_km
    names = frame.region.names
    bold = chosen_partnerships(frame, chosen)
    rows = []
    for part in frame.partnerships:
        common = _link_facts(part, names, part.id in bold, dim=bool(bold) and part.id not in bold)
        for member in part.members:
            if member != part.hub:
                (x, y), (x2, y2) = position[part.hub], position[member]
                ends = {"x": x, "y": y, "x2": x2, "y2": y2}
                rows.append({k: round(float(v), 3) for k, v in ends.items()} | common)
    return rows


def _link_facts(part: PartnershipNow, names: tuple[str, ...], bold: bool, dim: bool) -> dict:
    return {
        "partnership": part.id,
        "members": len(part.members),
        "leader": names[part.leader] if part.leader is not None else "nobody can lead",
        "led": LED if part.leader is not None else LEADERLESS,
        "trust": round(part.mean_trust, 3),
        "chosen": bold,
        "dim": dim,
        "pick": partnership(part.id).pick,
        "label": f"partnership {part.id}",
    }


def member_rows(frame: ScenarioFrame) -> Rows:
    """The organisations in an active partnership now, with their partnerships."""
    members = np.flatnonzero(frame.in_partnership).tolist()
    rows = organisation_rows(frame.region, members)
    of: dict[int, list[int]] = {}
    for part in frame.partnerships:
        for member in part.members:
            of.setdefault(member, []).append(part.id)
    for row, i in zip(rows, members, strict=True):
        row["partnerships"] = ", ".join(map(str, of.get(i, [])))
        row["label"] = f"{row['name']}, in partnership {row['partnerships']}"
    return rows


def map_datasets(frame: ScenarioFrame, chosen: Selection | None) -> dict[str, Rows]:
    """What one frame sends to its map: links, members and the rings of the choice."""
    return {
        "links": link_rows(frame, chosen),
        "members": member_rows(frame),
        "chosen": organisation_rows(frame.region, chosen_organisations(frame, chosen)),
    }


def _type_encoding() -> dict[str, Any]:
    labels = [label for label, _, _ in TYPE_STYLES.values()]
    return {
        "shape": alt.Shape(
            "type:N",
            scale=alt.Scale(domain=labels, range=[s for _, s, _ in TYPE_STYLES.values()]),
            legend=None,
        ),
        "color": alt.Color(
            "type:N",
            scale=alt.Scale(domain=labels, range=[c for _, _, c in TYPE_STYLES.values()]),
            legend=None,
        ),
        "size": alt.Size("area:Q", scale=None),
    }


def _organisation_layer(data: alt.Data, tooltip: list, **mark: Any) -> alt.Chart:
    return (
        alt.Chart(data)
        .mark_point(filled=True, **mark)
        .encode(
            x=alt.X("x:Q"),
            y=alt.Y("y:Q"),
            tooltip=tooltip,
            description=alt.Description("label:N"),
            **_type_encoding(),
        )
    )


def _link_layer() -> alt.Chart:
    return (
        alt.Chart(alt.Data(name="links"))
        .mark_rule(strokeCap="round")
        .encode(
            x="x:Q",
            y="y:Q",
            x2="x2:Q",
            y2="y2:Q",
            color=alt.Color(
                "trust:Q",
                scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
                legend=None,
            ),
            strokeDash=alt.StrokeDash(
                "led:N",
                scale=alt.Scale(domain=[LED, LEADERLESS], range=[[1, 0], [6, 4]]),
                legend=None,
            ),
            strokeWidth=alt.condition("datum.chosen", alt.value(6), alt.value(2.5)),
            opacity=alt.condition("datum.dim", alt.value(0.45), alt.value(0.95)),
            tooltip=[
                alt.Tooltip("partnership:Q"),
                alt.Tooltip("members:Q", title="members"),
                alt.Tooltip("leader:N"),
                alt.Tooltip("trust:Q", title="mean trust", format=".2f"),
            ],
            description=alt.Description("label:N"),
        )
    )


def map_spec(region: Region) -> dict[str, Any]:
    """The map of a region: every organisation faded, then links, members and rings."""
    side = region.side_km
    axis = {"scale": alt.Scale(domain=[0, side], nice=False, zero=True), "title": "km"}
    everyone = alt.Data(values=organisation_rows(region, range(len(region.names))))
    base_tooltip = [alt.Tooltip("name:N"), alt.Tooltip("type:N"), alt.Tooltip("size:N")]
    zoom = alt.selection_interval(name="zoom", bind="scales")
    faded = (
        _organisation_layer(everyone, base_tooltip, opacity=0.25)
        .encode(x=alt.X("x:Q", **axis), y=alt.Y("y:Q", **axis))
        .add_params(zoom)
    )
    member_tooltip = [*base_tooltip, alt.Tooltip("partnerships:N", title="partnerships now")]
    members = _organisation_layer(
        alt.Data(name="members"),
        member_tooltip,
        opacity=1,
        stroke="black",
        strokeWidth=0.6,
    )
    rings = (
        alt.Chart(alt.Data(name="chosen"))
        .mark_point(shape="circle", filled=False, stroke=CHOSEN_COLOUR, strokeWidth=3)
        .encode(
            x="x:Q",
            y="y:Q",
            size=alt.Size("ring:Q", scale=None),
            tooltip=[alt.Tooltip("name:N")],
            description=alt.Description("ringed:N"),
        )
        .transform_calculate(ring="datum.area * 3 + 250", ringed="'chosen: ' + datum.name")
    )
    chart = alt.layer(faded, _link_layer(), members, rings).properties(width=600, height=600)
    return vega_lite_spec(chart.configure_view(stroke="#ccc").configure_axis(grid=False))


_SPECS: OrderedDict[str, dict[str, Any]] = OrderedDict()


def kept_map_spec(region: Region) -> dict[str, Any]:
    """The map spec of `region`, made once per region: the browser then keeps its chart
    (and zoom) when a rebuilt model has the same region."""
    spec = _SPECS.get(region.key)
    if spec is None:
        spec = _SPECS[region.key] = map_spec(region)
        while len(_SPECS) > KEPT_SPECS:
            _SPECS.popitem(last=False)
    return spec


def map_caption(frame: ScenarioFrame) -> str:
    """E.g. 'Month 12: 10 active partnerships, 23 % of organisations in one.'"""
    share = float(frame.in_partnership.mean()) if len(frame.memberships) else 0.0
    return (
        f"Month {frame.month}: {frame.active} active partnerships, "
        f"{share:.0%} of organisations in one."
    )


# The map's key, in HTML above it, so that the chart itself fills its column.
KEY_HTML = (
    '<span class="key-item"><span class="key-shape" style="color: #4c72b0">●</span> SME</span>'
    '<span class="key-item"><span class="key-shape" style="color: #55a868">■</span> '
    "knowledge institution</span>"
    '<span class="key-item"><span class="key-shape" style="color: #8172b3">▲</span> '
    "government</span>"
    '<span class="key-item">faded: in no partnership now</span>'
    '<span class="key-item"><span class="key-line"></span> partnership with a leader</span>'
    '<span class="key-item"><span class="key-line key-dashed"></span> nobody leads</span>'
    '<span class="key-item">mean trust among members: 0 <span class="key-trust"></span> 1</span>'
)
HINT = (
    "Hover for names; click an organisation or a line to inspect it. "
    "Scroll to zoom, drag to move, double-click to zoom out."
)


@solara.component
def RegionMap(
    frame: ScenarioFrame, chosen: Selection | None, on_choose: Callable[[Selection | None], None]
):
    """The interactive map of a frame, highlighting `chosen`; a click passes what it hit
    (None for nothing) to `on_choose`."""
    spec = kept_map_spec(frame.region)
    datasets = solara.use_memo(lambda: map_datasets(frame, chosen), [frame, chosen])

    def clicked(pick: str | None) -> None:
        on_choose(Selection.from_pick(pick))

    with solara.Column(gap="2px") as view:
        solara.Text(map_caption(frame), classes=["map-caption"])
        solara.HTML(tag="div", unsafe_innerHTML=KEY_HTML, classes=["map-key"])
        solara.Text(HINT, classes=["map-hint"])
        VegaChart(
            spec, datasets, serial=frame.serial, kind="region-map", square=True, on_click=clicked
        )
    return view
