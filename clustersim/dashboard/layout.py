"""Page furniture shared by both pages: navigation and styles."""

from __future__ import annotations

import solara

CSS = """
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
