"""Memory is bounded by design: a scenario that cannot fit is refused in one line before
anything starts (run, compare, the dashboard), experiment workers are capped to what
fits, and the estimate is close to the memory a run really takes.

"Available memory" is injected through CLUSTERSIM_AVAILABLE_MEMORY, so no test needs a
run large enough to fill a machine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from clustersim import cli, resources
from clustersim.dashboard.presets import load_presets
from clustersim.dashboard.scenario import Scenario
from clustersim.parameters import ParameterError, Parameters
from tests.processes import run_command

ROOT = Path(__file__).resolve().parent.parent

# The estimate overestimates, by at most this factor, the peak memory of a real run
# (measured 1.0-1.15 from 1k to 100k SMEs; see clustersim/resources.py).
FACTOR = 1.5


def one_error_line(capsys: pytest.CaptureFixture[str], status: int, *words: str) -> str:
    """Exit 2 and exactly one stderr line, `clustersim: error: ...`, holding `words`."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("clustersim: error: "), err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def big_config(tmp_path: Path) -> Path:
    config = tmp_path / "big.toml"
    config.write_text('name = "big"\n[population]\nn_smes = 50000\n')
    return config


def test_run_of_a_population_too_large_is_refused_before_it_starts(
    big_config, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv(resources.ENV, "400MiB")
    out = tmp_path / "out"
    status = cli.main(["run", str(big_config), "--out", str(out)])
    line = one_error_line(capsys, status, "big.toml", "400 MiB available", "lower n_smes")
    assert "needs about" in line
    assert not out.exists()


def test_compare_of_a_population_too_large_is_refused_before_it_starts(
    big_config, tmp_path, monkeypatch, capsys
):
    experiment = tmp_path / "cmp.toml"
    experiment.write_text(
        'name = "cmp"\nkind = "compare"\nseed = 1\nreplications = 2\nmonths = 3\n'
        '[scenarios]\nbig = "big.toml"\n'
    )
    monkeypatch.setenv(resources.ENV, "400MiB")
    out = tmp_path / "out"
    status = cli.main(["compare", str(experiment), "--out", str(out), "--no-progress"])
    one_error_line(capsys, status, "cmp.toml", "largest run", "400 MiB available")
    assert not out.exists()


def test_workers_are_capped_to_what_fits_and_the_cap_is_said(monkeypatch):
    p = Parameters(n_smes=20000, months=3)
    need = resources.estimate_bytes(p)
    monkeypatch.setenv(resources.ENV, str(resources.BASE_BYTES + 2 * need + 1))
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    workers, note = resources.fit_workers([p], "x.toml", 6, serial=False)
    assert workers == 2 and "2 workers, not 6" in note
    assert resources.fit_workers([p], "x.toml", 2, serial=False) == (2, "")


def test_the_largest_design_point_is_charged(tmp_path):
    import pandas as pd

    points = pd.DataFrame({"n_smes": [100, 30000, 100], "initiation_rate": [0.1, 0.2, 0.3]})
    sizes = resources.experiment_scenarios({"sweep": Parameters()}, points)
    assert sorted(p.n_smes for p in sizes) == [100, 30000]
    worst, need = resources.largest_run(sizes)
    assert worst.n_smes == 30000 and need == resources.estimate_bytes(worst)


def test_a_bad_memory_override_is_one_line(big_config, monkeypatch, capsys):
    monkeypatch.setenv(resources.ENV, "lots")
    status = cli.main(["run", str(big_config)])
    one_error_line(capsys, status, resources.ENV, "8GiB")


def test_dashboard_refuses_an_oversized_typed_value(monkeypatch):
    scenario = Scenario(load_presets().first())
    with pytest.raises(ParameterError, match="the dashboard shows at most 20,000"):
        scenario.with_value("n_smes", 200_000)
    monkeypatch.setenv(resources.ENV, "100MiB")
    with pytest.raises(ParameterError, match="100 MiB available"):
        scenario.with_value("n_smes", 1000)


def test_dashboard_command_refuses_an_oversized_config(tmp_path, capsys):
    config = tmp_path / "huge.toml"
    config.write_text('name = "huge"\n[population]\nn_smes = 200000\n')
    status = cli.main(["dashboard", "--config", str(config)])
    one_error_line(capsys, status, "200,011 organisations", "clustersim run")


MEASURE = """
import json, sys
from pathlib import Path
from clustersim.parameters import Parameters
from clustersim.run import simulate

def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

p = Parameters(**json.loads(sys.argv[1]))
before = peak()
simulate(p, 1)
print(json.dumps({"imported": before, "peak": peak()}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's VmHWM")
@pytest.mark.parametrize("n_smes", [6000, 12000])
def test_estimate_is_within_a_stated_factor_of_the_measured_peak(n_smes):
    """Whole-process peak, and the part above the loaded interpreter (the run's own)."""
    sizes = {"n_smes": n_smes, "months": 3}
    result = run_command([sys.executable, "-c", MEASURE, json.dumps(sizes)], timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    estimate = resources.estimate_bytes(Parameters(**sizes))
    assert measured["peak"] <= estimate <= FACTOR * measured["peak"]
    own = measured["peak"] - measured["imported"]
    assert own / FACTOR <= estimate - resources.BASE_BYTES <= FACTOR * own, (own, estimate)


def test_neighbour_lists_are_built_in_chunks_with_the_same_result():
    import numpy as np
    from scipy.spatial import cKDTree

    from clustersim.region import neighbours_within

    rng = np.random.default_rng(3)
    points = np.clip(rng.normal(5, 4, (1500, 2)), 0, 10)
    points[:20] = 0.0  # coincident points are neighbours at any radius
    for radius in (0.0, 0.5, 3.0):
        whole = cKDTree(points).query_ball_point(points, r=radius, return_sorted=True)
        expected = [[j for j in near if j != i] for i, near in enumerate(whole)]
        got = neighbours_within(points, radius, chunk=7)
        assert [g.tolist() for g in got] == expected
        assert all(g.dtype == np.int64 for g in got)
