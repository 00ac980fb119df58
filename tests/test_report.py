"""The experiment report: every table and figure is there, and an incomplete results
folder is reported as incomplete, never passed off as whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clustersim.experiment.engine import Engine, run_experiment
from clustersim.experiment.report import build_report
from clustersim.experiment.spec import load_experiment
from clustersim.experiment.store import ResultStore, read_table

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.toml"
SMALL = f"""
base = "{BASELINE}"
[population]
n_smes = 60
n_knowledge_institutions = 2
n_governments = 1
[region]
region_km = 20.0
n_centres = 2
"""
SECTIONS = (
    "## Partnership survival",
    "### Survival at 12, 36 and 60 months",
    "## Log-rank tests against baseline",
    "## Formation and collaboration",
    "## Dissolution causes",
    "## Policies at equal public cost",
    "### Policy spending by lever",
    "### Cost per additional surviving partnership",
    "### Collaboration per euro",
    "### Organisation-level outcomes",
)
FIGURES = ("survival.png", "survival_at_horizons.png", "formation.png", "causes.png")


def write_experiment(folder: Path, body: str) -> Path:
    (folder / "small.toml").write_text(SMALL)
    (folder / "subsidy.toml").write_text('base = "small.toml"\n[subsidy]\nsubsidy_share = 0.5\n')
    path = folder / "experiment.toml"
    path.write_text(body)
    return path


COMPARE = """name = "tiny_compare"
kind = "compare"
seed = 3
replications = 2
months = 36
[scenarios]
baseline = "small.toml"
start_subsidy = "subsidy.toml"
"""


@pytest.fixture(scope="module")
def compare_results(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compare")
    experiment = load_experiment(write_experiment(folder, COMPARE))
    with Engine.serial() as engine:
        run_experiment(experiment, folder / "results", engine, progress=False)
    return folder / "results"


def test_report_of_a_comparison_has_every_table_and_figure(compare_results: Path):
    summary = build_report(compare_results)
    md = (compare_results / "report" / "report.md").read_text()
    for heading in SECTIONS:
        assert heading in md
    for figure in FIGURES:
        path = compare_results / "report" / figure
        assert path.is_file() and path.stat().st_size > 0
        assert f"]({figure})" in md
    assert "WARNING" not in md and "WARNING" not in summary
    assert "tiny_compare" in md and "root seed 3" in md and "4 of 4 designed runs" in md
    for name in ("baseline", "start_subsidy"):
        assert name in summary
    for column in ("S(12)", "S(36)", "S(60)", "partnerships formed", "share collaborating"):
        assert column in summary
    assert "log-rank p vs baseline" in summary and "policy EUR per run" in summary
    assert "EUR per additional survivor (36 m)" in summary
    # the reference leads every table
    assert md.index("| baseline") < md.index("| start_subsidy")


def table_under(md: str, heading: str) -> dict[str, dict[str, str]]:
    """The first Markdown table after `heading`: first cell -> {column: cell}."""
    lines = md[md.index(heading) :].splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    header, rows = table[0], table[2:]  # table[1] is the |:---| line
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_report_gives_each_scenarios_cost_and_reach_from_the_run_tables(compare_results: Path):
    build_report(compare_results)
    md = (compare_results / "report" / "report.md").read_text()
    keys = ["scenario", "replication"]
    series = read_table(compare_results, "series")
    last = series.sort_values("month").groupby(keys).tail(1).set_index(keys)
    spending = table_under(md, "### Policy spending by lever")
    for name in ("baseline", "start_subsidy"):
        total = last.loc[name, "policy_spent_eur"].mean()
        assert spending[name]["total"].startswith(f"{total:,.0f} [")
        assert spending[name]["runs"] == str(len(last.loc[name]))
    assert last.loc["start_subsidy", "subsidy_spent_eur"].mean() > 0  # the lever cost money
    assert spending["baseline"]["Δ vs baseline"] == "(reference)"
    assert spending["start_subsidy"]["Δ vs baseline"].startswith("+")

    # membership-months per organisation, counted here from the membership table
    members = read_table(compare_results, "memberships")
    ends = members.join(last["month"], on=keys)["month"]
    months = members["left"].astype("Float64").fillna(ends).astype(float) - members["joined"]
    organisations = read_table(compare_results, "organisations").groupby(keys).size()
    per_run = months.groupby([members[k] for k in keys]).sum().reindex(last.index, fill_value=0)
    per_organisation = (per_run / organisations).groupby(level="scenario").mean()
    reach = table_under(md, "### Organisation-level outcomes")
    column = "membership-months per organisation"
    for name in ("baseline", "start_subsidy"):
        assert reach[name][column].startswith(f"{per_organisation[name]:.2f} [")
        assert reach[name]["collaborated"].endswith("]")  # with its interval
    survivors = table_under(md, "### Cost per additional surviving partnership")
    assert set(survivors) == {"baseline", "start_subsidy"}


def test_incomplete_results_are_reported_as_such(compare_results: Path, tmp_path: Path):
    partial = tmp_path / "partial"
    shutil.copytree(compare_results, partial)
    shutil.rmtree(partial / "report", ignore_errors=True)
    store = ResultStore.existing(partial)
    # one scenario's runs lost their summaries (one compacted file holds both)
    store.file_of("runs", store.runs[-1].run_id).unlink()
    summary = build_report(partial)
    md = (partial / "report" / "report.md").read_text()
    assert "WARNING: incomplete results: 2 of 4 designed runs are done" in md
    assert "WARNING: incomplete results: 2 of 4" in summary
    assert summary.splitlines()[0].startswith("tiny_compare: 2 of 4 runs done")


def test_a_folder_with_no_finished_run_says_so(tmp_path: Path):
    experiment = load_experiment(write_experiment(tmp_path, COMPARE))
    ResultStore.open(tmp_path / "results", experiment)  # started, nothing finished
    summary = build_report(tmp_path / "results")
    md = (tmp_path / "results" / "report" / "report.md").read_text()
    assert "0 of 4" in summary and "WARNING" in summary
    assert "No run has finished yet" in md


def test_report_of_a_sweep_groups_by_design_point(tmp_path: Path):
    sweep = """name = "tiny_sweep"
kind = "sweep"
base = "small.toml"
seed = 4
replications = 1
months = 24
[design]
method = "grid"
[parameters]
subsidy_share = [0.0, 0.5]
participant_cap = [0, 3]
"""
    experiment = load_experiment(write_experiment(tmp_path, sweep))
    with Engine.serial() as engine:
        run_experiment(experiment, tmp_path / "results", engine, progress=False)
    summary = build_report(tmp_path / "results")
    md = (tmp_path / "results" / "report" / "report.md").read_text()
    assert "## Outcomes per design point" in md
    assert "subsidy_share" in md and "participant_cap" in md
    for point in range(4):
        assert f"point {point}" in summary
    for figure in ("outcomes_vs_parameters.png", "survival.png", "causes.png"):
        assert (tmp_path / "results" / "report" / figure).stat().st_size > 0


def test_report_includes_the_explanation_made_beside_it(compare_results: Path):
    """Without `clustersim explain` the report says how to get the mechanisms; with its
    explain.md beside the results, the report carries it (headings one level down)."""
    explained = compare_results.parent / f"{compare_results.name}-explain"
    build_report(compare_results)
    md = (compare_results / "report" / "report.md").read_text()
    assert "## Why: the mechanisms behind each effect" in md
    assert f"clustersim explain EXPERIMENT --out {explained}" in md
    explained.mkdir()
    try:
        text = "# Why: tiny\n\n## start_subsidy against baseline\n\nPrice carries it."
        (explained / "explain.md").write_text(text)
        build_report(compare_results)
        md = (compare_results / "report" / "report.md").read_text()
        assert "### start_subsidy against baseline" in md and "Price carries it." in md
        assert "Not made yet" not in md
    finally:
        (explained / "explain.md").unlink()
        explained.rmdir()
