"""The live browser dashboard: a Solara app built on Mesa's SolaraViz.

`clustersim dashboard` serves it (see `server.serve`). One module per piece:
`presets` finds the scenario files, `scenario` is what is being run, `models` are the
objects SolaraViz steps, `canvas`, `region_map`, `plots` and `feed` draw them,
`controls` changes them, `compare` shows two scenarios side by side and `app` puts
the pages together. The dashboard only reads the model; it never changes how it runs.
"""
