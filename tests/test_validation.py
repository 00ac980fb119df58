"""Validation, calibration and screening: the model judged against observed patterns."""

from __future__ import annotations

import io
import math
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clustersim.cli import main
from clustersim.experiment.calibration import point_distances
from clustersim.experiment.validation import TARGETS, Target, decisive_shares
from clustersim.experiment.validation_doc import CALIBRATED, LIMITATIONS
from clustersim.parameters import Parameters, specs
from clustersim.partner_choice import FACTORS
from clustersim.survival import survival_at

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"

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


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "tiny.toml").write_text(TINY)
    return tmp_path


def write_validation(folder: Path) -> Path:
    """The baseline and one alternative submodel, as experiments/validation.toml has."""
    (folder / "no_drag.toml").write_text('base = "tiny.toml"\n[work]\ncompetitor_drag = 0.0\n')
    path = folder / "validation.toml"
    path.write_text(
        'name = "v"\nkind = "compare"\nseed = 3\nreplications = 2\nreference = "baseline"\n'
        '[scenarios]\nbaseline = "tiny.toml"\nno_drag = "no_drag.toml"\n'
    )
    return path


def write_sweep(folder: Path, method: str, design: str) -> Path:
    path = folder / f"{method}.toml"
    path.write_text(
        f'name = "{method}"\nkind = "sweep"\nbase = "tiny.toml"\nseed = 4\nreplications = 1\n'
        f'[design]\nmethod = "{method}"\n{design}\n'
        "[parameters]\nweight_proximity = { low = 0.2, high = 0.5 }\n"
        "target_size_mean = { low = 4.0, high = 7.0 }\n"
    )
    return path


def cli(*args: object) -> int:
    return main([str(a) for a in args] + ["--serial", "--no-progress"])


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> tuple[Path, str, str]:
    """`validate-model` run once for the module: its folder (experiment, results `v`,
    document `validation.md`) and what it printed on stdout and stderr."""
    folder = tmp_path_factory.mktemp("validated")
    (folder / "tiny.toml").write_text(TINY)
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


def test_validate_model_writes_a_row_for_every_target_with_its_source(validated):
    folder, printed, _ = validated
    text = (folder / "validation.md").read_text()
    cells = markdown_rows(text)
    header = ["pattern", "source", "target", "model mean [95 % interval]", "runs", "met"]
    assert header in cells
    for target in TARGETS:
        row = next(r for r in cells if len(r) == len(header) and r[0] == target.pattern)
        assert row[1] == target.source and row[2] == target.observed
        assert row[-1] in ("yes", "**no**")
    assert "Rank order in the survey: proximity > goals > ambition > experience > expertise" in text
    assert "No calibration results" in text and "No screening results" in text
    assert "- `no_drag`: `competitor_drag = 0.0`" in text  # the alternative submodel, judged
    assert "Rejected (misses a pattern the baseline meets):" in text
    assert "decisive_proximity" in printed


def test_calibration_ranks_a_toy_design_and_the_document_reports_it(tiny, validated, capsys):
    lhs = write_sweep(tiny, "lhs", "samples = 3")
    assert cli("calibrate", lhs, "--out", tiny / "cal") == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "weight_proximity = " in printed and "target_size_mean = " in printed
    ranking = pd.read_csv(tiny / "cal" / "calibration" / "ranking.csv", index_col="point")
    assert len(ranking) == 3
    assert ranking["distance"].is_monotonic_increasing

    morris = write_sweep(tiny, "morris", "samples = 2\nlevels = 4")
    assert cli("sweep", morris, "--out", tiny / "morris") == 0
    doc = tiny / "validation.md"
    folder, _, _ = validated  # its runs are done: this validate-model only writes the document
    status = cli(
        "validate-model", folder / "validation.toml", "--out", folder / "v", "--doc", doc,
        "--calibration", tiny / "cal", "--screening", tiny / "morris",
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    text = doc.read_text()
    assert "| `target_size_mean` |" in text  # the calibration's accepted ranges
    for output in ("survival_36", "partnerships_formed", "share_collaborated"):
        assert f"### {output}" in text


def test_a_folder_that_is_no_calibration_is_refused_in_one_line(tiny, capsys):
    status = cli(
        "validate-model", write_validation(tiny), "--out", tiny / "v",
        "--doc", tiny / "doc.md", "--calibration", tiny / "nowhere",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "--calibration" in err


def test_a_direction_is_met_only_beyond_the_noise_and_a_level_by_its_mean():
    below_one = Target("x", "x", "s", "below 1", 0.0, 0.99, 0.1, direction=True)
    assert below_one.met(0.9, 0.85, 0.95)
    assert not below_one.met(0.9, 0.8, 1.01)  # the interval reaches 1: not shown
    about_three = Target("y", "y", "s", "about 3", 2.5, 3.5, 0.5)
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


def test_a_point_inside_every_range_is_at_distance_zero():
    inside = {t.statistic: (t.low + min(t.high, t.low + 1e-3)) / 2 for t in TARGETS}
    outside = {**inside, "klict_size": 3.5}
    per_run = pd.DataFrame([{"point": 0, **inside}, {"point": 1, **outside}])
    ranked = point_distances(per_run)
    assert list(ranked.index) == [0, 1]
    assert ranked.loc[0, "distance"] == 0 and ranked.loc[0, "targets_met"] == len(TARGETS)
    assert ranked.loc[1, "distance"] == pytest.approx(2.0)


def test_survival_is_zero_not_undefined_once_every_partnership_has_ended():
    parts = pd.DataFrame({"duration": [3, 5, 8], "dissolved": [True, True, True]})
    assert survival_at(parts, (12, 36)) == {12: 0.0, 36: 0.0}
    censored = parts.assign(dissolved=[True, True, False])
    assert math.isnan(survival_at(censored, (12,))[12])  # the last one may live on


def test_every_target_has_an_explanation_for_a_miss():
    assert {t.statistic for t in TARGETS} <= set(LIMITATIONS)


def test_the_committed_validation_document_covers_every_target():
    text = (ROOT / "docs" / "validation.md").read_text()
    assert "Generated by `clustersim validate-model`" in text
    first_cells = {row[0] for row in markdown_rows(text)}
    for target in TARGETS:
        assert target.pattern in first_cells, target.pattern


def test_the_committed_validation_document_is_true_to_the_calibrated_defaults():
    text = (ROOT / "docs" / "validation.md").read_text()
    defaults = Parameters()
    calibrated = [n for n, (_, s) in specs().items() if s.source.startswith(CALIBRATED)]
    assert calibrated
    rows = {tuple(row[:2]) for row in markdown_rows(text) if len(row) >= 2}
    for name in calibrated:
        assert (f"`{name}`", repr(getattr(defaults, name))) in rows, name
