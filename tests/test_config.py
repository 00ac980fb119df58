"""Config files: the shipped scenarios, every error a user can make, and the CLI's report of it."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clustersim.cli import main
from clustersim.config import ConfigError, LoadedConfig, load_config
from clustersim.parameters import GROUPS, Parameters, specs

from .processes import clustersim

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"

SCENARIOS = {
    "start_subsidy": {"subsidy_share": 0.5},
    "participant_cap": {"participant_cap": 4},
    "quick_win": {"quick_win": True},
    "matchmaking": {"matchmaking": True},
    "combined": {
        "subsidy_share": 0.5,
        "participant_cap": 4,
        "quick_win": True,
        "matchmaking": True,
    },
}


def changed(params: Parameters) -> dict[str, object]:
    """The values that differ from the defaults."""
    default = Parameters().as_dict()
    return {k: v for k, v in params.as_dict().items() if v != default[k]}


# --- shipped files --------------------------------------------------------------------


def test_baseline_equals_the_defaults() -> None:
    cfg = load_config(CONFIGS / "baseline.toml")
    assert cfg.parameters == Parameters()
    assert cfg.name == "baseline"
    assert cfg.description
    assert cfg.chain == (CONFIGS / "baseline.toml",)


def test_baseline_states_every_parameter_in_group_order_with_unit_and_source() -> None:
    text = (CONFIGS / "baseline.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    assert [k for k in doc if k in GROUPS] == list(GROUPS)
    listed = {key for group in GROUPS for key in doc[group]}
    assert listed == set(specs())
    assert set(load_config(CONFIGS / "baseline.toml").overrides) == set(specs())
    for name, (_, spec) in specs().items():
        assert name in doc[spec.group]
        assert f"Unit: {spec.unit}. Source: {spec.source}" in text, name


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_differs_from_baseline_only_where_it_says(scenario: str) -> None:
    path = CONFIGS / f"{scenario}.toml"
    cfg = load_config(path)
    assert changed(cfg.parameters) == SCENARIOS[scenario]
    assert cfg.name == scenario
    assert cfg.description
    assert cfg.chain == (path, CONFIGS / "baseline.toml")
    own = tomllib.loads(path.read_text(encoding="utf-8"))
    own_keys = {k for group in GROUPS for k in own.get(group, {})}
    assert own_keys == set(SCENARIOS[scenario]), "a scenario names only what it changes"


def test_start_subsidy_keeps_the_three_year_duration_from_baseline() -> None:
    params = load_config(CONFIGS / "start_subsidy.toml").parameters
    assert params.subsidy_months == 36


def test_all_shipped_configs_hash_differently() -> None:
    paths = sorted(CONFIGS.glob("*.toml"))
    hashes = {load_config(p).sha256 for p in paths}
    assert len(hashes) == len(paths)


# --- loading rules --------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_same_parameters_hash_the_same_whatever_the_file(tmp_path: Path) -> None:
    a = load_config(CONFIGS / "baseline.toml")
    b = load_config(write(tmp_path / "empty.toml", ""))
    c = load_config(write(tmp_path / "x.toml", "[subsidy]\nsubsidy_share = 0\n"))
    assert a.sha256 == b.sha256 == c.sha256
    assert len(a.sha256) == 64
    d = load_config(write(tmp_path / "y.toml", "[subsidy]\nsubsidy_share = 0.25\n"))
    assert d.sha256 != a.sha256


def test_chain_most_specific_wins_and_bases_are_relative_to_their_file(tmp_path: Path) -> None:
    write(tmp_path / "base.toml", "[run]\nmonths = 60\n[subsidy]\nsubsidy_share = 0.1\n")
    write(
        tmp_path / "mid" / "mid.toml",
        'base = "../base.toml"\n[subsidy]\nsubsidy_share = 0.2\nsubsidy_months = 12\n',
    )
    top = write(
        tmp_path / "mid" / "deep" / "top.toml",
        'base = "../mid.toml"\ndescription = "d"\n[subsidy]\nsubsidy_months = 24\n',
    )
    cfg = load_config(str(top))
    assert isinstance(cfg, LoadedConfig)
    assert cfg.path == top
    assert cfg.name == "top"  # defaults to the file stem
    assert cfg.description == "d"
    assert [p.name for p in cfg.chain] == ["top.toml", "mid.toml", "base.toml"]
    assert cfg.overrides == {"months": 60, "subsidy_share": 0.2, "subsidy_months": 24}
    assert changed(cfg.parameters) == cfg.overrides


def test_values_are_coerced_to_the_parameter_type(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "c.toml", "[subsidy]\nsubsidy_share = 1\n"))
    assert cfg.parameters.subsidy_share == 1.0
    assert isinstance(cfg.parameters.subsidy_share, float)


# --- errors ---------------------------------------------------------------------------

# Each case writes its files under a directory and returns (file to load, the file the
# message must name, words the message must contain).
Case = Callable[[Path], tuple[Path, str, list[str]]]


def _one(text: str, *words: str) -> Case:
    def make(d: Path) -> tuple[Path, str, list[str]]:
        return write(d / "bad.toml", text), "bad.toml", list(words)

    return make


def _missing(d: Path) -> tuple[Path, str, list[str]]:
    return d / "nowhere.toml", "nowhere.toml", ["no such file", "check the path"]


def _directory(d: Path) -> tuple[Path, str, list[str]]:
    (d / "adir.toml").mkdir()
    return d / "adir.toml", "adir.toml", ["directory"]


def _unreadable(d: Path) -> tuple[Path, str, list[str]]:
    path = write(d / "locked.toml", "")
    path.chmod(0)
    return path, "locked.toml", ["permission"]


def _bad_encoding(d: Path) -> tuple[Path, str, list[str]]:
    path = d / "latin1.toml"
    path.write_bytes('name = "café"\n'.encode("latin-1"))
    return path, "latin1.toml", ["UTF-8"]


def _base_missing(d: Path) -> tuple[Path, str, list[str]]:
    path = write(d / "child.toml", 'base = "nope.toml"\n')
    return path, "child.toml", ["nope.toml", "base"]


def _base_loop(d: Path) -> tuple[Path, str, list[str]]:
    write(d / "b.toml", 'base = "c.toml"\n')
    write(d / "c.toml", 'base = "b.toml"\n')
    path = write(d / "a.toml", 'base = "b.toml"\n')
    return path, "a.toml", ["loop", "b.toml -> ", "c.toml -> ", "b.toml"]


def _self_loop(d: Path) -> tuple[Path, str, list[str]]:
    path = write(d / "me.toml", 'base = "me.toml"\n')
    return path, "me.toml", ["loop", "me.toml -> ", "me.toml"]


def _error_in_base(d: Path) -> tuple[Path, str, list[str]]:
    write(d / "parent.toml", "[subsidy]\nsubsidy_shar = 0.5\n")
    path = write(d / "kid.toml", 'base = "parent.toml"\n')
    return path, "parent.toml", ["subsidy_shar", "subsidy_share"]


def _cross_field_in_chain(d: Path) -> tuple[Path, str, list[str]]:
    write(d / "p.toml", "[formation]\nmin_members = 3\n")
    path = write(d / "k.toml", 'base = "p.toml"\n[participant_cap]\nparticipant_cap = 2\n')
    return path, "k.toml", ["participant_cap", "min_members", "p.toml"]


ERROR_CASES: dict[str, Case] = {
    "missing file": _missing,
    "directory": _directory,
    "unreadable": _unreadable,
    "bad encoding": _bad_encoding,
    "malformed toml": _one("[subsidy]\nsubsidy_share = = 0.5\n", "TOML", "line 2"),
    "unclosed table": _one("[subsidy\n", "TOML", "line 1"),
    "unknown top-level key": _one('nmae = "x"\n', "nmae", "did you mean name"),
    "unknown group": _one("[subsidies]\nsubsidy_share = 0.5\n", "subsidies", "[subsidy]"),
    "unknown group no match": _one("[zzz]\n", "[zzz]", "[matchmaking]"),
    "parameter at top level": _one("subsidy_share = 0.5\n", "subsidy_share", "[subsidy]"),
    "group not a table": _one("subsidy = 0.5\n", "subsidy", "table"),
    "switch group given a value": _one("quick_win = true\n", "quick_win", "[quick_win]"),
    "unknown key": _one("[subsidy]\nsubsidy_shar = 0.5\n", "subsidy_shar", "subsidy_share"),
    "unknown key other group": _one(
        "[subsidy]\nparticipant_capp = 4\n", "participant_capp", "[participant_cap]"
    ),
    "key in wrong group": _one(
        "[subsidy]\nparticipant_cap = 4\n", "participant_cap", "belongs in [participant_cap]"
    ),
    "string for number": _one('[subsidy]\nsubsidy_share = "half"\n', "subsidy_share", "'half'"),
    "quoted number": _one('[subsidy]\nsubsidy_share = "0.5"\n', "subsidy_share", "quotes"),
    "bool for number": _one("[subsidy]\nsubsidy_share = true\n", "subsidy_share", "true"),
    "float for int": _one("[run]\nmonths = 60.5\n", "months", "whole number", "60.5"),
    "whole float for int": _one("[run]\nmonths = 60.0\n", "months", "write 60"),
    "number for bool": _one("[quick_win]\nquick_win = 1\n", "quick_win", "true or false"),
    "string for bool": _one('[quick_win]\nquick_win = "yes"\n', "quick_win", "true or false"),
    "table for value": _one("[subsidy]\nsubsidy_share = { a = 1 }\n", "subsidy_share", "table"),
    "subtable for value": _one("[subsidy.subsidy_share]\na = 1\n", "subsidy_share", "table"),
    "array for value": _one("[subsidy]\nsubsidy_share = [0.5]\n", "subsidy_share", "array"),
    "date for value": _one("[run]\nmonths = 2024-01-01\n", "months", "2024-01-01"),
    "above range": _one("[subsidy]\nsubsidy_share = 1.5\n", "subsidy_share", "1.5", "[0, 1]"),
    "below range": _one("[run]\nmonths = 0\n", "months", "0", "[1, 1200]", "months"),
    "nan": _one("[subsidy]\nsubsidy_share = nan\n", "subsidy_share", "nan", "range"),
    "cross-field rule": _one(
        "[participant_cap]\nparticipant_cap = 1\n", "participant_cap", "min_members"
    ),
    "cross-field rule via base": _cross_field_in_chain,
    "name not a string": _one("name = 3\n", "name", "string"),
    "description not a string": _one("[description]\n", "description", "string"),
    "base not a string": _one("base = 3\n", "base", "string", "3"),
    "base empty": _one('base = ""\n', "base", "string"),
    "NUL in base": _one('base = "a\\u0000.toml"\n', "base", "NUL"),
    "NUL in name": _one('name = "a\\u0000"\n', "name", "NUL"),
    "base missing": _base_missing,
    "base loop": _base_loop,
    "base self loop": _self_loop,
    "error in base file": _error_in_base,
}

needs_non_root = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file"
)
CASE_PARAMS = [
    pytest.param(name, marks=needs_non_root if name == "unreadable" else ()) for name in ERROR_CASES
]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_error_is_one_line_naming_file_and_key(case: str, tmp_path: Path) -> None:
    path, file_name, words = ERROR_CASES[case](tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    assert file_name in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_unknown_key_message_reads_well(tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", "[subsidy]\nsubsidy_shar = 0.5\n")
    with pytest.raises(ConfigError, match=r"s\.toml: \[subsidy\] .*did you mean subsidy_share\?"):
        load_config(path)


def test_wrong_group_message_reads_well(tmp_path: Path) -> None:
    path = write(tmp_path / "w.toml", "[subsidy]\nquick_win = true\n")
    with pytest.raises(ConfigError, match=r"quick_win belongs in \[quick_win\], not \[subsidy\]"):
        load_config(path)


def test_base_loop_names_every_file_of_the_loop(tmp_path: Path) -> None:
    path, _, _ = _base_loop(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    loop = str(info.value).split("loops: ")[1].split(" (reached from ")[0]
    assert [Path(p).name for p in loop.split(" -> ")] == ["b.toml", "c.toml", "b.toml"]
    assert "reached from " + str(path) in str(info.value)


def test_unreadable_file_is_reported_even_when_tests_run_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "locked.toml", "")

    def deny(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(ConfigError, match=r"locked\.toml: .*permission denied"):
        load_config(path)


def test_missing_base_names_the_referencing_file(tmp_path: Path) -> None:
    path, _, _ = _base_missing(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == path
    assert str(info.value).startswith(str(path))


# --- properties -----------------------------------------------------------------------

# A few numeric parameters whose ranges no cross-field rule narrows.
PROPERTY_KEYS = (
    "months",
    "subsidy_share",
    "weight_proximity",
    "hours_per_membership",
    "cluster_manager_hours",
    "matchmaking_participants",
)


def toml_number(value: float) -> str:
    """TOML text for a number (Python's repr is valid TOML for ints and floats)."""
    return repr(value)


def toml_file(values: dict[str, float]) -> str:
    lines = []
    for name, value in values.items():
        lines += [f"[{specs()[name][1].group}]", f"{name} = {toml_number(value)}"]
    return "\n".join(lines) + "\n"


def in_range(name: str) -> st.SearchStrategy[float]:
    f, spec = specs()[name]
    if f.type == "int":
        return st.integers(int(spec.low), int(spec.high))
    return st.floats(spec.low, spec.high, allow_nan=False)


def out_of_range(name: str) -> st.SearchStrategy[float]:
    f, spec = specs()[name]
    if f.type == "int":
        return st.integers(-(10**12), int(spec.low) - 1) | st.integers(int(spec.high) + 1, 10**12)
    outside = st.floats(-1e300, spec.low) | st.floats(spec.high, 1e300)
    special = st.sampled_from([math.inf, -math.inf, math.nan])
    return (outside | special).filter(lambda v: not spec.low <= v <= spec.high)


def load_text(text: str) -> LoadedConfig:
    with tempfile.TemporaryDirectory() as d:
        return load_config(write(Path(d) / "prop.toml", text))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_in_range_values_round_trip(data: st.DataObject) -> None:
    keys = data.draw(st.lists(st.sampled_from(PROPERTY_KEYS), min_size=1, unique=True))
    values = {k: data.draw(in_range(k), label=k) for k in keys}
    params = load_text(toml_file(values)).parameters
    for key, value in values.items():
        assert getattr(params, key) == value
        assert type(getattr(params, key)) is type(value)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_out_of_range_values_always_raise_naming_the_key(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(PROPERTY_KEYS))
    value = data.draw(out_of_range(key), label=key)
    with pytest.raises(ConfigError) as info:
        load_text(toml_file({key: value}))
    message = str(info.value)
    assert key in message and "range" in message and "\n" not in message


# --- command line ---------------------------------------------------------------------


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return clustersim(*args, env={**os.environ, "PYTHONPATH": path}, timeout=120)


def test_cli_validate_accepts_a_good_file() -> None:
    result = run_cli("validate", CONFIGS / "start_subsidy.toml")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("ok:") for line in result.stdout.splitlines())


def assert_one_line_error(stderr: str, stdout: str, message: str, file_name: str) -> None:
    """What `clustersim validate` must print for a bad config: the message, in one line."""
    assert "Traceback" not in stderr + stdout
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), stderr
    assert lines[0].startswith("clustersim: error:")
    assert message in lines[0]
    assert file_name in lines[0]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_validate_reports_bad_config_in_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every error case through the command's own code, in this process (fast)."""
    path, file_name, _ = ERROR_CASES[case](tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    sigterm = signal.getsignal(signal.SIGTERM)  # main() installs its own handler
    try:
        assert main(["validate", str(path)]) == 2
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    out, err = capsys.readouterr()
    assert_one_line_error(err, out, str(info.value), file_name)


# One case of each kind of error, run as a user runs the command: a separate process,
# its real stderr. The in-process test above covers every case.
CLI_CASES = {
    "reading the file": "missing file",
    "TOML syntax": "malformed toml",
    "unknown name": "unknown key",
    "value of the wrong type": "string for number",
    "value out of range": "above range",
    "cross-field rule": "cross-field rule via base",
    "text field": "NUL in name",
    "chain of bases": "base loop",
}


@pytest.mark.parametrize("case", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_cli_validate_reports_bad_config_in_one_line(case: str, tmp_path: Path) -> None:
    path, file_name, _ = ERROR_CASES[case](tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    result = run_cli("validate", path)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, result.stdout, str(info.value), file_name)
