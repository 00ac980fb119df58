"""Page furniture shared by both pages: navigation, sidebar order and a style fix.

Kept apart from the pages because it works around how Solara and SolaraViz lay out a
page, not what the dashboard shows.
"""

from __future__ import annotations

import solara
from reacton.core import Element

# SolaraViz always draws a "Model Parameters" card for the inputs in its model_params;
# here every input rebuilds the model at once and lives in the dashboard's own cards,
# so that card is empty. Hide a card whose body holds nothing but an empty column.
CSS = """
.v-card:has(> .v-card__text > .v-sheet:only-child:empty) { display: none; }
.run-status { display: block; font-size: 1rem; font-weight: 500; padding: 4px 0; }
.feed-title { display: block; font-weight: 500; margin-bottom: 4px; }
.feed-event { line-height: 1.3; margin-bottom: 2px; }
"""


@solara.component
def Navigation():
    """Tabs under the app bar: the live page and side-by-side mode."""
    solara.Style(CSS)
    with solara.AppBar(), solara.lab.Tabs(align="center"):
        solara.lab.Tab("Live", path_or_route="/")
        solara.lab.Tab("Side by side", path_or_route="/compare")


@solara.component
def SidebarBelowSolaraViz(children: list[Element] = []):  # noqa: B006 -- Solara's idiom
    """Put `children` in the sidebar, below SolaraViz's own cards (Step / Play / Reset).

    Solara orders sidebar content by how deep in the page it is declared, and SolaraViz
    declares its cards one level below the page; declaring these two levels below puts
    them after.
    """
    _Sidebar(children)


@solara.component
def _Sidebar(children: list[Element]):
    solara.Sidebar(children=children)
