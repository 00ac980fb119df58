"""Page furniture shared by every page: navigation and styles."""

from __future__ import annotations

import solara

CSS = """
.run-status { display: block; font-size: 1rem; font-weight: 500; padding: 4px 0; }
.feed-title { display: block; font-weight: 500; margin-bottom: 4px; }
.feed-lines { max-height: 460px; overflow-y: auto; }
.feed-event {
  display: block; line-height: 1.3; margin-bottom: 2px; padding-left: 6px;
  border-left: 4px solid; font-size: 0.85rem;
}
.feed-event[data-partnership] { cursor: pointer; }
.feed-event[data-partnership]:hover { background-color: #f5f5f5; }
.feed-event.feed-chosen { background-color: #fff3e0; font-weight: 500; }
.feed-kinds .v-btn { text-transform: none; letter-spacing: normal; }
.feed-kinds .v-btn.v-btn--active { background-color: #e3f2fd; color: #0d47a1; }
.feed-key { font-size: 0.8rem; color: #555; }
.feed-swatch {
  display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 8px; border-radius: 2px;
}
.map-caption { display: block; font-weight: 500; }
.map-hint, .plot-now { display: block; font-size: 0.8rem; color: #555; }
.map-key { font-size: 0.8rem; color: #333; display: flex; flex-wrap: wrap; gap: 2px 14px; }
.key-shape { font-size: 0.95rem; }
.key-line {
  display: inline-block; width: 22px; border-top: 3px solid #f28e2b; vertical-align: middle;
}
.key-dashed { border-top-style: dashed; }
.key-trust {
  display: inline-block; width: 70px; height: 8px; vertical-align: middle;
  background: linear-gradient(to right, #a50026, #f46d43, #fee08b, #d9ef8b, #66bd63, #006837);
}
.inspector-title { display: block; font-weight: 600; margin-top: 6px; }
.inspector-hint { display: block; color: #555; }
.inspector-facts {
  display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0;
}
.inspector-facts dt { color: #555; font-size: 0.85rem; }
.inspector-facts dd { margin: 0; font-size: 0.85rem; }
.inspector .v-btn { text-transform: none; letter-spacing: normal; }
#vg-tooltip-element { font-size: 0.85rem; }
.about { max-width: 60rem; }
.about-text strong { font-weight: 600; }
.about-text h2, .about h2 { margin: 16px 0 4px; }
.demo-steps li { margin-bottom: 4px; }
.demo-notice { display: block; border-left: 3px solid #1565c0; padding-left: 8px; }
"""


@solara.component
def Navigation():
    """Tabs under the app bar: the live page, side-by-side mode and what the model is."""
    solara.Style(CSS)
    with solara.AppBar(), solara.lab.Tabs(align="center"):
        solara.lab.Tab("Live", path_or_route="/")
        solara.lab.Tab("Side by side", path_or_route="/compare")
        solara.lab.Tab("About", path_or_route="/about")
