"""Experiments: scenario comparisons and parameter sweeps over many model runs.

The pieces, in the order data flows through them:
`spec` (experiment files) -> `designs` (sweep points) -> `plan` (runs with seeds)
-> `engine` (any concurrent.futures executor) -> `worker` (one run) -> `store`
(Parquet dataset, manifest, status log) -> `analysis`, `sensitivity`, `report`,
`export`; and `validation` (observed patterns) -> `calibration` (ranked sweeps) ->
`validation_doc` (docs/validation.md).
"""
