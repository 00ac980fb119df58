"""Interactive charts: Altair specs drawn in the browser by Vega, with hover and click.

The page's map and plots are Vega-Lite charts built with Altair. A chart's spec (its
marks, scales, axes and tooltips) is made once per kind of chart and sent once; each
frame sends only the rows of its named data sources (`datasets`), which the browser
swaps into the chart it has (see `vega_view.vue`). Hover shows a value's tooltip and
a click on a mark whose row has a `pick` field reaches Python.

Vega's libraries come from the Solara server's own asset folder (the `solara-assets`
package ships Vega 5, Vega-Lite 5 and Vega-Embed 6), never from a CDN, so the
charts work offline. Altair writes Vega-Lite 6 specs; the charts here use only what
Vega-Lite 5 also understands, and `vega_lite_spec` labels them so.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import ipyvuetify as v
import solara
import traitlets

# The libraries and the major version the charts are written for.
LIBRARIES = (("vega", 5), ("vega-lite", 5), ("vega-embed", 6))
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
Rows = list[dict[str, Any]]


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite chart whose data the page replaces frame by frame."""

    template_file = str(Path(__file__).with_name("vega_view.vue"))
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)  # named data source -> rows
    serial = traitlets.Int(0).tag(sync=True)  # the frame drawn, for `data-drawn`
    square = traitlets.Bool(False).tag(sync=True)  # plot area as high as wide (the map)
    kind = traitlets.Unicode("").tag(sync=True)  # a CSS class naming the chart
    libraries = traitlets.Dict().tag(sync=True)  # library -> its folder in the assets
    on_click = traitlets.Callable(None, allow_none=True)

    def vue_clicked(self, pick: str | None) -> None:
        if self.on_click is not None:
            self.on_click(pick)


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.name.rpartition("@")[2]))


@functools.cache
def local_libraries() -> dict[str, str]:
    """Each library's newest folder of the right major version in the server's assets.

    E.g. {'vega': 'vega@5.21.0', ...}. A library not found there is named by its major
    version only, which Solara's asset proxy would have to fetch (online only).
    """
    from solara.server import settings  # the server's settings: imported only when drawing

    assets = Path(settings.assets.proxy_cache_dir)
    found = {}
    for name, major in LIBRARIES:
        folders = [
            folder
            for folder in assets.glob(f"{name}@{major}.*")
            if (folder / "build" / f"{name}.min.js").is_file()
        ]
        found[name] = max(folders, key=_version).name if folders else f"{name}@{major}"
    return found


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a Vega-Lite 5 spec (JSON-ready) for `VegaView`."""
    spec = chart.to_dict(validate=False)
    spec["$schema"] = VEGA_LITE_SCHEMA
    return spec


@solara.component
def VegaChart(
    spec: Mapping[str, Any],
    datasets: Mapping[str, Sequence[Mapping[str, Any]]],
    serial: int = 0,
    kind: str = "",
    square: bool = False,
    on_click: Callable[[str | None], None] | None = None,
):
    """A chart with these rows in its named data sources; `on_click` gets the clicked
    row's `pick` (None for a click on nothing)."""
    return VegaView.element(
        spec=spec,
        datasets=datasets,
        serial=serial,
        kind=kind,
        square=square,
        libraries=local_libraries(),
        on_click=on_click,
    )
