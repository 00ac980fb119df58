"""The live browser dashboard: a Solara app around Mesa models.

`clustersim dashboard` serves it (see `server.serve`). One module per piece:
`presets` finds the scenario files, `scenario` is what is being run, `models` are the
objects stepped, `playback` steps them without racing the drawing, `frames` are the
snapshots the page draws, `stage` keeps a page's run per browser tab, `vega` draws
interactive charts in the browser, `region_map`, `plots`, `survival_plot` and `feed`
draw frames, `selection` and `inspector` show what a click chose, `controls` changes
the scenario, `live` and `compare` lay out the two pages and `app` puts the pages
together. The dashboard only reads the model; it never changes how it runs.
"""

import warnings

# Solara's hook checker flags Mesa's own ComponentsView (a hook after an early return)
# as soon as Mesa's visualisation module is imported, before any module here could
# say otherwise. The dashboard passes it no components, so the warning only alarms.
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite")
