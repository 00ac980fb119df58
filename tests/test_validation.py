"""Validation, calibration and screening: the model judged against observed patterns."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from clustersim.cli import main
from clustersim.config import ConfigError
from clustersim.experiment.calibration import (
    CHOICE_WEIGHTS,
    CHOSEN,
    SUMMARY,
    WEIGHTS,
    RecordedTies,
    calibration_section,
    fit_weights,
    point_distances,
    read_plan,
    read_summary,
    rescored,
)
from clustersim.experiment.screening import load_screening, morris_indices
from clustersim.experiment.spec import load_experiment
from clustersim.experiment.validation import (
    BY_STATISTIC,
    SME,
    TARGETS,
    Target,
    _path_length,
    decisive_shares,
    early_stop_share,
    inseparable_neighbours,
    partners_per_firm,
    rank_threshold,
    read_split,
    run_shares,
    spearman_after_swaps,
    survey_order,
)
from clustersim.experiment.validation_doc import CALIBRATED, LIMITATIONS
from clustersim.parameters import Parameters, specs
from clustersim.partner_choice import FACTORS
from clustersim.survival import survival_at

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
SHIPPED = ROOT / "experiments" / "validation.toml"

TINY = f"""
base = "{BASELINE}"
[population]
n_smes = 40
n_knowledge_institutions = 2
n_governments = 1
[region]
region_km = 15.0
n_centres = 2
[run]
months = 60
"""
# A KLICT-like call on the tiny region: >= 3 firms, one-year projects.
TINY_KLICT = """base = "tiny.toml"
[formation]
min_firms = 3
[work]
project_months = 12
"""


def split_tables(measured_on: str = "klict") -> str:
    """The shipped split, as TOML, with the KLICT pattern measured on `measured_on`."""
    split = read_split(SHIPPED)
    lines = []
    for role, table in (("calibration", split.calibration), ("held_out", split.held_out)):
        lines += [f"[targets.{role}]", *(f"{k} = {json.dumps(v)}" for k, v in table.items())]
    return "\n".join([*lines, "[targets.measured_on]", f'klict_early_stop = "{measured_on}"', ""])


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    write_tiny(tmp_path)
    return tmp_path


def write_tiny(folder: Path) -> None:
    (folder / "tiny.toml").write_text(TINY)
    (folder / "klict.toml").write_text(TINY_KLICT)
    (folder / "no_drag.toml").write_text('base = "tiny.toml"\n[work]\ncompetitor_drag = 0.0\n')


def write_validation(folder: Path, split: str | None = None) -> Path:
    """The baseline, the KLICT setting and one alternative submodel, as the shipped file has."""
    path = folder / "validation.toml"
    path.write_text(
        'name = "v"\nkind = "compare"\nseed = 3\nreplications = 2\nreference = "baseline"\n'
        '[scenarios]\nbaseline = "tiny.toml"\nklict = "klict.toml"\nno_drag = "no_drag.toml"\n'
        + (split_tables() if split is None else split)
    )
    return path


def write_calibration(folder: Path) -> Path:
    """A tiny two-round calibration against the tiny validation's split."""
    write_validation(folder)
    path = folder / "lhs.toml"
    path.write_text(
        'name = "cal"\nkind = "sweep"\nbase = "tiny.toml"\nseed = 4\nreplications = 1\n'
        '[design]\nmethod = "lhs"\nsamples = 3\n'
        '[calibration]\ntargets = "validation.toml"\nrounds = 2\nconfirm_points = 2\n'
        "confirm_replications = 2\n"
        "[parameters]\nweight_proximity = { low = 0.2, high = 0.5 }\n"
        "target_size_mean = { low = 4.0, high = 7.0 }\nn_centres = { low = 1, high = 4 }\n"
    )
    return path


def write_weights_calibration(folder: Path) -> Path:
    """A tiny two-round calibration whose round 1 sweeps the five weights: the weights step."""
    write_validation(folder)
    weights = "".join(f"{n} = {{ low = 0.05, high = 1.0 }}\n" for n in CHOICE_WEIGHTS)
    path = folder / "weights.toml"
    path.write_text(
        'name = "calw"\nkind = "sweep"\nbase = "tiny.toml"\nseed = 4\nreplications = 1\n'
        '[design]\nmethod = "lhs"\nsamples = 4\n'
        '[calibration]\ntargets = "validation.toml"\nrounds = 2\nconfirm_points = 2\n'
        "confirm_replications = 2\naccept = 0.5\nweights_from_ties = true\n"
        "weights_popsize = 4\nweights_generations = 10\nweights_seed = 7\n"
        f"[parameters]\n{weights}target_size_mean = {{ low = 4.0, high = 7.0 }}\n"
    )
    return path


def write_screening(folder: Path) -> Path:
    """A tiny screening: two free parameters, the population size alone, one lever."""
    (folder / "subsidy.toml").write_text('base = "tiny.toml"\n[subsidy]\nsubsidy_share = 0.5\n')
    (folder / "levers.toml").write_text(
        'name = "levers"\nkind = "compare"\nseed = 1\nreplications = 1\nreference = "baseline"\n'
        '[scenarios]\nbaseline = "tiny.toml"\nstart_subsidy = "subsidy.toml"\n'
    )
    screened = ("n_smes", "trust_gain", "trust_loss", "subsidy_share")
    excluded = "\n".join(f'{n} = "not in this test"' for n in specs() if n not in screened)
    path = folder / "morris.toml"
    path.write_text(
        'name = "morris"\nkind = "sweep"\nbase = "subsidy.toml"\nseed = 5\nreplications = 1\n'
        '[design]\nmethod = "morris"\nsamples = 2\nlevels = 4\n'
        '[screening]\ncontrasts = "levers.toml"\nlevers = ["start_subsidy"]\nalone = ["n_smes"]\n'
        f"[screening.excluded]\n{excluded}\n"
        "[parameters]\nn_smes = { low = 30, high = 50 }\ntrust_gain = { low = 0.1, high = 0.2 }\n"
        "trust_loss = { low = 0.2, high = 0.4 }\nsubsidy_share = { low = 0.3, high = 0.7 }\n"
    )
    return path


def cli(*args: object) -> int:
    return main([str(a) for a in args] + ["--serial", "--no-progress"])


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> tuple[Path, str, str]:
    """`validate-model` run once for the module: its folder (experiment, results `v`,
    document `validation.md`) and what it printed on stdout and stderr."""
    folder = tmp_path_factory.mktemp("validated")
    write_tiny(folder)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = cli(
            "validate-model", write_validation(folder), "--out", folder / "v",
            "--doc", folder / "validation.md",
        )  # fmt: skip
    assert status == 0, err.getvalue()
    return folder, out.getvalue(), err.getvalue()


def markdown_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row, stripped of the padding tables may have."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]


# ------------------------------------------------------------------ the split
def test_the_shipped_split_puts_every_target_in_one_role_with_a_reason():
    split = read_split(SHIPPED)
    assert set(split.calibration) | set(split.held_out) == {t.statistic for t in TARGETS}
    assert not set(split.calibration) & set(split.held_out)
    assert split.measured_on == {"klict_early_stop": "klict_call"}
    assert "klict_early_stop" in split.held_out  # a setting the calibration never runs


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace('partners_per_firm = "', 'x_partners = "'), "unknown target"),
        (lambda t: t.replace("\nklict_size = ", "\nignored_size = "), "unknown target"),
        (lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("klict_size")),
         "klict_size is in neither"),
        (lambda t: t + '[targets.extra]\nx = "y"\n', "unknown key extra"),
        (lambda t: t.replace('[targets.held_out]', '[targets.held_out]\nklict_size = "twice"'),
         "klict_size is both"),
        (lambda t: t.replace('klict_early_stop = "klict"', 'klict_early_stop = "nowhere"'),
         "not one of the [scenarios]"),
    ],
)  # fmt: skip
def test_a_bad_split_is_refused_in_one_line(tiny, change, words):
    path = write_validation(tiny, change(split_tables()))
    with pytest.raises(ConfigError) as caught:
        read_split(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_fitted_target_measured_on_another_scenario_is_refused(tiny):
    tables = split_tables()
    held = next(line for line in tables.splitlines() if line.startswith('klict_early_stop = "an'))
    tables = tables.replace(held + "\n", "")
    tables = tables.replace("[targets.calibration]\n", f"[targets.calibration]\n{held}\n")
    with pytest.raises(ConfigError, match="which the calibration sweep does not run"):
        read_split(write_validation(tiny, tables))


def test_the_calibration_distance_ignores_held_out_targets():
    split = read_split(SHIPPED)
    inside = {t.statistic: (t.low + min(t.high, t.low + 1e-3)) / 2 for t in TARGETS}
    held_out_wrong = {**inside, **{s: -1e6 for s in split.held_out}}
    fitted_wrong = {**inside, "klict_size": 3.5}
    per_run = pd.DataFrame([{"point": 0, **held_out_wrong}, {"point": 1, **fitted_wrong}])
    ranked = point_distances(per_run, split.fitted)
    assert list(ranked.index) == [0, 1]
    assert ranked.loc[0, "distance"] == 0 and ranked.loc[0, "targets_met"] == len(split.fitted)
    assert ranked.loc[1, "distance"] == pytest.approx(2.0)  # 1 member short, scale 0.5
    assert not any(f"miss_{s}" in ranked for s in split.held_out)


# ------------------------------------------------------------------ thresholds
def test_the_rank_threshold_allows_swaps_only_of_pairs_the_survey_cannot_separate():
    order = survey_order()
    assert spearman_after_swaps([(order[0], order[1])]) == pytest.approx(0.9)
    assert spearman_after_swaps([(order[0], order[1]), (order[2], order[3])]) == pytest.approx(0.8)
    pairs = [(a, b) for a, b, _ in inseparable_neighbours()]
    assert pairs == [("goals", "ambition"), ("experience", "expertise")]  # 164/144, 70/67
    assert rank_threshold() == pytest.approx(spearman_after_swaps(pairs))
    rank = BY_STATISTIC["decisive_rank_rho"]
    assert rank.low == rank_threshold() and f"{rank_threshold():.1f}" in rank.reason


def test_every_target_states_why_its_range():
    for target in TARGETS:
        assert len(target.reason) > 20, target.statistic


def test_the_klict_range_is_the_exact_binomial_interval_of_2_in_40():
    target = BY_STATISTIC["klict_early_stop"]
    assert target.low == pytest.approx(0.611, abs=1e-3)
    assert target.high == pytest.approx(16.92, abs=1e-2)
    assert "Clopper-Pearson" in target.reason


def test_the_klict_early_stop_share_counts_whole_first_years_of_three_firm_partnerships():
    parts = pd.DataFrame(
        {
            "n_sme": [3, 4, 5, 3, 2, 3],
            "formed": [0, 10, 20, 30, 0, 55],
            "duration": [5, 12, 40, 12, 3, 2],
            # stopped at 5; completed its cap at 12 (not a stop); lived on; stopped in its
            # 12th month; too few firms; formed too late for a whole year (left out)
            "dissolved": [True, False, False, True, True, True],
        }
    )
    capped = Parameters(months=60, project_months=12)
    assert early_stop_share(parts, capped) == pytest.approx(100 * 2 / 4)
    uncapped = Parameters(months=60)
    assert early_stop_share(parts, uncapped) == pytest.approx(100 * 2 / 4)  # the first year
    assert math.isnan(early_stop_share(parts.iloc[[4]], capped))  # none qualifies


def test_a_direction_is_met_only_beyond_the_noise_and_a_level_by_its_mean():
    below_one = Target("x", "x", "s", "below 1", "why", 0.0, 1.0, 0.1, direction=True)
    assert below_one.met(0.9, 0.85, 0.95)
    assert not below_one.met(0.9, 0.8, 1.01)  # the interval reaches past 1: not shown
    about_three = Target("y", "y", "s", "about 3", "why", 2.5, 3.5, 0.5)
    assert about_three.met(3.4, 2.0, 4.8)
    assert about_three.miss(3.0) == 0 and about_three.miss(4.5) == pytest.approx(2.0)
    assert not about_three.met(math.nan, math.nan, math.nan)


def test_the_decisive_factor_is_the_largest_weighted_survey_term():
    p = Parameters()
    terms = np.zeros((3, len(FACTORS)))
    terms[0, FACTORS.index("proximity")] = 1.0
    terms[1, FACTORS.index("expertise")] = 1.0
    terms[2, FACTORS.index("trust")] = 1.0  # not a survey factor: proximity wins the tie
    ties = pd.DataFrame({f"term_{f}": terms[:, k] for k, f in enumerate(FACTORS)})
    ties["tie_formed"] = [True, True, False]
    shares = decisive_shares(ties, p)
    assert shares["decisive_proximity"] == 50.0 and shares["decisive_expertise"] == 50.0
    assert shares["decisive_goals"] == 0.0


def test_partners_per_firm_counts_distinct_current_partners_of_collaborating_firms():
    organisations = pd.DataFrame({"type": [SME] * 4 + ["other"]}, index=range(5))
    memberships = pd.DataFrame(
        {
            "partnership": [0, 0, 0, 1, 1, 2],
            "organisation": [0, 1, 4, 0, 1, 3],  # 0 and 1 together twice; 3 alone
            "joined": [0, 0, 0, 0, 0, 0],
            "left": [None, None, None, None, 6.0, None],
        }
    )
    # Month 12: 0 and 1 share partnership 0 with 4 (not an SME): each has 2 partners;
    # 3 is alone (no partner, not counted) and 2 never joined.
    assert partners_per_firm(memberships, organisations, 12) == pytest.approx(2.0)


def test_the_path_length_is_networkx_s():
    graph = nx.connected_watts_strogatz_graph(60, 4, 0.2, seed=3)
    graph.add_edge(100, 101)  # a second component, left out
    largest = graph.subgraph(max(nx.connected_components(graph), key=len))
    assert _path_length(graph) == nx.average_shortest_path_length(largest)


def test_survival_is_zero_not_undefined_once_every_partnership_has_ended():
    parts = pd.DataFrame({"duration": [3, 5, 8], "dissolved": [True, True, True]})
    assert survival_at(parts, (12, 36)) == {12: 0.0, 36: 0.0}
    censored = parts.assign(dissolved=[True, True, False])
    assert math.isnan(survival_at(censored, (12,))[12])  # the last one may live on


def test_every_target_has_an_explanation_for_a_miss():
    assert {t.statistic for t in TARGETS} <= set(LIMITATIONS)


# ------------------------------------------------------------------ the commands
def test_validate_model_reports_held_out_and_fitted_patterns_apart(validated):
    folder, printed, _ = validated
    text = (folder / "validation.md").read_text()
    cells = markdown_rows(text)
    header = ["pattern", "source", "target", "measured on", "model mean [95 % interval]"]
    assert [*header, "runs", "met"] in cells
    split = read_split(folder / "validation.toml")
    for target in TARGETS:
        row = next(r for r in cells if len(r) == len(header) + 2 and r[0] == target.pattern)
        assert row[1] == target.source and row[2] == target.observed
        assert row[3] == ("`klict`" if target.statistic == "klict_early_stop" else "`baseline`")
        assert row[-1] in ("yes", "**no**")
        why = next(r for r in cells if len(r) == 5 and r[0] == target.pattern)
        assert why[1] == split.role(target.statistic) and why[3] == target.reason
    held = text.index("### Held-out patterns")
    fitted = text.index("### Fitted patterns")
    assert text.index(BY_STATISTIC["klict_early_stop"].pattern, held) < fitted
    assert fitted < text.index(BY_STATISTIC["klict_size"].pattern, fitted)
    assert "Rank order in the survey: proximity > goals > ambition > experience > expertise" in text
    assert "No calibration results" in text and "No screening results" in text
    assert "- `no_drag`: `competitor_drag = 0.0`" in text  # the alternative submodel, judged
    assert "- `klict`" not in text  # a pattern's setting is no alternative
    assert "Rejected (misses a pattern the baseline meets):" in text
    assert "decisive_proximity" in printed


def test_calibrate_runs_every_round_and_writes_the_chosen_values(tiny, capsys):
    lhs = write_calibration(tiny)
    assert cli("calibrate", lhs, "--out", tiny / "cal") == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    chosen_text = (tiny / "cal" / CHOSEN).read_text()
    assert printed == chosen_text
    chosen = tomllib.loads(chosen_text)
    summary = read_summary(tiny / "cal")
    winner = next(c for c in summary["candidates"] if c["chosen"])
    assert chosen["partner_choice"]["weight_proximity"] == winner["values"]["weight_proximity"]
    assert chosen["formation"]["target_size_mean"] == winner["values"]["target_size_mean"]
    assert chosen["region"]["n_centres"] == winner["values"]["n_centres"]
    assert winner["distance"] == min(c["distance"] for c in summary["candidates"])
    assert len(summary["candidates"]) == 2 and summary["fitted"] == [
        t.statistic for t in read_split(tiny / "validation.toml").fitted
    ]
    one, two = (load_experiment(p) for p in (lhs, tiny / "cal" / "round-2.toml"))
    for wide, narrow in zip(one.dimensions, two.dimensions, strict=True):
        assert wide.low <= narrow.low < narrow.high <= wide.high  # narrowed by the rule
    assert two.seed == one.seed + 1 and load_experiment(tiny / "cal" / "confirm.toml").seed == 6
    again = capsys.readouterr()
    assert cli("calibrate", lhs, "--out", tiny / "cal") == 0  # resumes: nothing runs again
    assert capsys.readouterr().out == chosen_text and again.err == ""


def test_the_document_reports_calibration_and_screening(tiny, validated, capsys):
    assert cli("calibrate", write_calibration(tiny), "--out", tiny / "cal") == 0
    folder, _, _ = validated  # its runs are done: validate-model writes the document again
    doc = tiny / "validation.md"
    status = cli(
        "validate-model", folder / "validation.toml", "--out", folder / "v", "--doc", doc,
        "--calibration", tiny / "cal", "--screening", write_screening(tiny),
        "--screening-out", tiny / "screened",
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    text = doc.read_text()
    assert "clustersim calibrate" in text and "### Round 2" in text and "### Confirmation" in text
    assert "| `target_size_mean` |" in text  # a round's accepted ranges
    assert "### Adopted defaults" in text and "### Fitted or structural?" in text
    assert "2 rounds of a lhs design" in text  # the procedure, from the record
    for output in ("survival_36 (baseline)", "share_collaborated (baseline)", "ΔS36 start_subsidy"):
        assert f"### {output}" in text
    rows = {r[0]: r for r in markdown_rows(text)}
    assert rows["`start_subsidy`"][0] == "`start_subsidy`"  # its contrast over the design
    assert "subsidy_share" in text and "n_smes" in rows


def test_the_screening_runs_every_point_in_the_reference_and_each_lever(tiny):
    screening = load_screening(write_screening(tiny))
    runs = screening.experiment
    points = len(screening.points)
    assert points == 2 * (3 + 1)  # 2 trajectories, 3 groups: n_smes, trust, subsidy_share
    assert len(runs.scenarios) == 2 * points and len(set(runs.replication_seeds)) == 1
    for k, values in enumerate(screening.points.to_dict("records")):
        base = runs.scenarios[f"baseline-p{k:04d}"]
        lever = runs.scenarios[f"start_subsidy-p{k:04d}"]
        assert base.subsidy_share == 0.0  # a lever's setting would switch it on
        assert lever.subsidy_share == values["subsidy_share"]
        assert base.trust_gain == lever.trust_gain == values["trust_gain"]
        assert base.n_smes == lever.n_smes == values["n_smes"]


def test_the_shipped_screening_covers_every_parameter_and_every_single_lever():
    screening = load_screening(ROOT / "experiments" / "validation_morris.toml")
    names = {d.name for d in screening.design.dimensions}
    assert names | set(screening.excluded) == set(specs()) and "n_smes" in names
    assert {n for n, (_, s) in specs().items() if s.group == "subsidy"} <= names
    comparison = load_experiment(ROOT / "experiments" / "policy_comparison.toml")
    singles = [s for s in comparison.scenarios if s not in (comparison.reference, "combined")]
    assert screening.levers == singles
    assert len(screening.experiment.runs()) <= 700  # affordable on 2 cores


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda t: t.replace('shock_rate = "not in this test"\n', ""), "shock_rate is neither"),
        (lambda t: t.replace('levers = ["start_subsidy"]', 'levers = ["subsidy"]'), "unknown name"),
        (lambda t: t.replace('method = "morris"', 'method = "lhs"'), 'method = "morris"'),
    ],
)
def test_a_bad_screening_is_refused_in_one_line(tiny, edit, words):
    path = write_screening(tiny)
    path.write_text(edit(path.read_text()))
    with pytest.raises(ConfigError) as caught:
        load_screening(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_folder_that_is_no_calibration_is_refused_in_one_line(tiny, capsys):
    status = cli(
        "validate-model", write_validation(tiny), "--out", tiny / "v",
        "--doc", tiny / "doc.md", "--calibration", tiny / "nowhere",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "--calibration" in err


def test_a_sweep_without_a_calibration_table_is_refused_in_one_line(tiny, capsys):
    path = write_calibration(tiny)
    path.write_text(path.read_text().replace("[calibration]", "[ignored]").split("[ignored]")[0]
                    + "[parameters]\nweight_proximity = { low = 0.2, high = 0.5 }\n")  # fmt: skip
    status = cli("calibrate", path, "--out", tiny / "cal")
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "[calibration]" in err


# ------------------------------------------------------------------ the weights step
PLANTED = np.array([0.6, 0.45, 0.35, 0.7, 1.0])  # proximity, goals, ambition, experience, expertise


def synthetic_ties(points: int = 4, per_run: int = 600, seed: int = 11) -> RecordedTies:
    """Formed ties with terms drawn like the recorded ones: experience mostly zero, expertise
    small; two replications per point."""
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame(
        {"point": np.repeat(np.arange(points), 2), "replication": np.tile([0, 1], points)}
    )
    n = len(runs) * per_run
    terms = np.column_stack(
        [
            rng.uniform(0.0, 1.0, n),
            rng.choice([0.2, 0.4, 0.6, 0.8, 1.0], n),
            rng.beta(4.0, 1.3, n),
            np.where(rng.random(n) < 0.6, 0.0, rng.uniform(0.0, 1.0, n)),
            rng.beta(1.3, 5.0, n),
        ]
    )
    return RecordedTies(terms, np.repeat(np.arange(len(runs)), per_run), runs)


def planted_targets(shares: np.ndarray, tolerance: float) -> tuple[Target, ...]:
    """Targets centred on the planted weights' shares, as the survey's are on the survey's."""
    return tuple(
        Target(f"decisive_{f}", f, "planted", "", "test", s - tolerance, s + tolerance, tolerance)
        for f, s in zip(FACTORS[:5], shares, strict=True)
    )


def weights_plan(seed: int = 1):
    shipped = read_plan(ROOT / "experiments" / "calibration.toml")
    return dataclasses.replace(shipped, weights_seed=seed)


def mean_shares(ties: RecordedTies, weights: np.ndarray) -> np.ndarray:
    """The five decisive shares under `weights`, averaged over the runs."""
    values = rescored(ties, weights[None, :])
    return np.array([np.nanmean(values[f"decisive_{f}"]) for f in FACTORS[:5]])


def test_the_weights_step_recovers_planted_weights_from_recorded_ties():
    ties = synthetic_ties()
    shares = mean_shares(ties, PLANTED)
    assert shares.min() > 5  # every factor decides some ties: the planted weights matter
    box = (np.full(5, 0.05), np.full(5, 1.0))
    found = fit_weights(ties, planted_targets(shares, 0.5), box, weights_plan())
    assert np.abs(mean_shares(ties, found) - shares).max() < 1.0  # a point of each share
    assert found / found.max() == pytest.approx(PLANTED / PLANTED.max(), abs=0.1)


def test_the_weights_step_is_the_same_bit_for_bit_on_the_same_ties_and_seed():
    ties = synthetic_ties(points=2, per_run=300)
    targets = read_split(SHIPPED).fitted  # the survey's shares and rank order
    box = (np.full(5, 0.05), np.full(5, 1.0))
    plan = dataclasses.replace(weights_plan(seed=5), weights_generations=30)
    first, second = (fit_weights(ties, targets, box, plan) for _ in range(2))
    assert first.tobytes() == second.tobytes()


def test_the_vectorised_shares_are_the_statistic_of_each_run():
    ties = synthetic_ties(points=2, per_run=50)
    weights = np.array([[0.36, 0.28, 0.23, 0.3, 0.51], [1.0, 0.1, 0.1, 0.1, 0.1]])
    shares = run_shares(ties.terms, ties.run, len(ties.runs), weights)
    for k, w in enumerate(weights):
        p = Parameters(**dict(zip(CHOICE_WEIGHTS, w.tolist(), strict=True)))
        for r in range(len(ties.runs)):
            frame = pd.DataFrame(
                ties.terms[ties.run == r], columns=[f"term_{f}" for f in FACTORS[:5]]
            )
            one = decisive_shares(frame.assign(tie_formed=True), p)
            assert [one[f"decisive_{f}"] for f in FACTORS[:5]] == shares[k, r].tolist()


def test_a_weights_step_without_the_five_weights_swept_is_refused_in_one_line(tiny):
    path = write_calibration(tiny)
    path.write_text(
        path.read_text().replace("[parameters]", "weights_from_ties = true\n[parameters]")
    )
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert "weight_goals is not in [parameters]" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_calibrate_with_the_weights_step_holds_the_fitted_weights_after_round_1(tiny, capsys):
    path = write_weights_calibration(tiny)
    assert cli("calibrate", path, "--out", tiny / "cal") == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    summary = read_summary(tiny / "cal")
    step = summary["weights_step"]
    assert list(step["weights"]) == list(CHOICE_WEIGHTS) and max(step["weights"].values()) == 1.0
    fixed = tomllib.loads((tiny / "cal" / WEIGHTS).read_text())["partner_choice"]
    assert fixed == step["weights"]
    two = load_experiment(tiny / "cal" / "round-2.toml")
    assert [d.name for d in two.dimensions] == ["target_size_mean"]  # the weights are held
    for name, value in fixed.items():
        assert getattr(two.scenarios["sweep"], name) == value
    chosen = tomllib.loads((tiny / "cal" / CHOSEN).read_text())["partner_choice"]
    assert {n: chosen[n] for n in CHOICE_WEIGHTS} == fixed
    assert all(c["values"][n] == fixed[n] for c in summary["candidates"] for n in fixed)
    assert (tiny / "cal" / "round-1" / "calibration" / "profile.csv").is_file()
    text = "\n".join(calibration_section(tiny / "cal", read_split(tiny / "validation.toml")))
    assert "### Weights step" in text and "re-scored (estimate)" in text
    assert "the weights step below fixed the 5 choice weights" in text
    assert cli("calibrate", path, "--out", tiny / "cal") == 0  # resumes: the same choice
    assert capsys.readouterr().out == printed


# ------------------------------------------------------------------ the committed document
def test_the_committed_validation_document_covers_every_target():
    text = (ROOT / "docs" / "validation.md").read_text()
    assert "Generated by `clustersim validate-model`" in text
    first_cells = {row[0] for row in markdown_rows(text)}
    for target in TARGETS:
        assert target.pattern in first_cells, target.pattern
    assert "### Held-out patterns" in text and "### Fitted patterns" in text


def test_the_committed_validation_document_is_true_to_the_calibrated_defaults():
    text = (ROOT / "docs" / "validation.md").read_text()
    defaults = Parameters()
    calibrated = [n for n, (_, s) in specs().items() if s.source.startswith(CALIBRATED)]
    assert calibrated
    rows = {tuple(row[:2]) for row in markdown_rows(text) if len(row) >= 2}
    for name in calibrated:
        assert (f"`{name}`", repr(getattr(defaults, name))) in rows, name


def test_summary_file_names_are_stable():
    assert (SUMMARY, CHOSEN) == ("calibration.json", "chosen.toml")


def test_morris_indices_are_salibs_and_leave_out_undefined_steps():
    """Where every point is defined, mu* is SALib's exactly; an undefined point (S36 with
    no partnership that old) drops only the steps that touch it, and says how many are left."""
    from SALib.analyze import morris as salib_morris
    from SALib.sample import morris as salib_sample

    problem = {
        "num_vars": 3,
        "names": ["a", "b", "c"],
        "bounds": [[0.0, 1.0], [0.0, 2.0], [10.0, 20.0]],
        "groups": ["g1", "g1", "g2"],
    }
    sample = salib_sample.sample(problem, 8, num_levels=4, seed=3)
    y = 3.0 * sample[:, 0] - sample[:, 1] + 0.5 * sample[:, 2] ** 2
    ours = morris_indices(problem, sample, y, seed=3).set_index("group")
    theirs = salib_morris.analyze(problem, sample, y, num_levels=4, seed=3).to_df()
    assert np.allclose(ours.loc[["g1", "g2"], "mu_star"], theirs.loc[["g1", "g2"], "mu_star"])
    assert ours["effects"].tolist() == [8, 8]
    y[0] = np.nan  # the first point of the first trajectory: one step of one group
    holed = morris_indices(problem, sample, y, seed=3).set_index("group")
    assert sorted(holed["effects"].tolist()) == [7, 8]
    assert np.isfinite(holed["mu_star"]).all()
