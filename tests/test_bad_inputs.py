"""A representative subset of the bad-input sweep (`tests/bad_inputs.py`), in-process:
one case of every class for every subcommand ends in exactly one line
`clustersim: error: ...` (or the one warning of a command that proceeds by design),
no traceback, nothing silently accepted, nothing deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import bad_inputs

# Cases that wait on the network, or on a process pool, whole seconds each: the full
# sweep (`python -m tests.bad_inputs`) runs them in processes of their own.
SLOW = ("nobody there", "--scheduler and --serial")


def representative() -> list[bad_inputs.Case]:
    """The first case of every (subcommand, class) pair, the slow ones left to the sweep."""
    seen: set[tuple[str, str]] = set()
    picked = []
    for case in bad_inputs.all_cases():
        key = (case.name.split(":")[0], case.kind)
        if key not in seen and not any(word in case.name for word in SLOW):
            seen.add(key)
            picked.append(case)
    return picked


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-inputs")
    bad_inputs.build_sandbox(folder)
    return folder


@pytest.fixture(autouse=True)
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dashboard case that got through would exec the server in place of pytest."""

    def refuse(**kwargs: object) -> None:
        raise AssertionError(f"the dashboard would have started: {kwargs}")

    monkeypatch.setattr("clustersim.dashboard.server.serve", refuse)


def test_the_sweep_has_every_class_and_enough_cases():
    cases = bad_inputs.all_cases()
    commands = {c.argv[0] for c in cases if c.argv}
    assert len(cases) >= 148
    assert len({c.name for c in cases}) == len(cases)
    for command in (
        "run",
        "validate",
        "params",
        "compare",
        "sweep",
        "report",
        "sensitivity",
        "export",
        "validate-model",
        "calibrate",
        "dashboard",
    ):
        assert command in commands


@pytest.mark.parametrize("case", representative(), ids=lambda c: c.name)
def test_bad_input_gets_one_line(case: bad_inputs.Case, sandbox: Path):
    result = bad_inputs.run_in_process(case, sandbox)
    assert result.verdict == ("warning" if case.warns else "clean"), (
        result.status,
        result.stderr,
        result.deleted,
    )


def test_export_of_runs_with_and_without_partnerships(sandbox: Path, tmp_path: Path):
    """DuckDB took the first file's column types for all: a first run without partnerships
    (null-typed columns) made every export of the comparison fail."""
    from clustersim.experiment.store import read_table

    rows = read_table(sandbox / "cmp", "runs")["partnerships_formed"].tolist()  # design order
    assert rows[0] == 0 and sum(rows) > 0  # the case this test is about
    assert sum(rows) == len(read_table(sandbox / "cmp", "partnerships"))
    case = bad_inputs.Case("export", "ok", ("export", "{S}/cmp", "--csv", "--out", str(tmp_path)))
    result = bad_inputs.run_in_process(case, sandbox)
    assert result.status == 0, result.stderr
    exported = (tmp_path / "partnerships.csv").read_text().splitlines()
    assert len(exported) == 1 + sum(rows)
