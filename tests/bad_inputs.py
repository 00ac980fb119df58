"""The bad-input sweep of issue 11: every subcommand, fed what a careless user or an
adversary would give it, must answer with a non-zero exit and exactly one line
`clustersim: error: ...` (or one `clustersim: warning: ...` where the tool proceeds by
design), no traceback, nothing silently accepted, and nothing deleted.

    .venv/bin/python -m tests.bad_inputs            # every case, one process each
    .venv/bin/python -m tests.bad_inputs -k report  # the cases whose name holds "report"
    .venv/bin/python -m tests.bad_inputs --keep DIR # keep the sandbox in DIR

Cases run in a sandbox folder (their working directory and HOME), built first: small
configs and experiment files, special files (a FIFO, a folder, an oversized file,
links to /dev/zero), and small finished results (a run, a comparison, two sweeps)
with damaged copies. `tests/test_bad_inputs.py` runs a representative subset in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
TIMEOUT_S = 90
VERDICTS = ("clean", "warning", "traceback", "silent", "messy", "hang", "deleted")


@dataclass(frozen=True)
class Case:
    """One bad input: a command line (with {S} for the sandbox), its class, its kind."""

    name: str
    kind: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    warns: bool = False  # the tool proceeds by design, saying so in one warning line
    needs_results: bool = False  # uses a finished results folder of the sandbox

    def args(self, sandbox: Path) -> list[str]:
        return [a.replace("{S}", str(sandbox)) for a in self.argv]


@dataclass
class Result:
    """What one case did, and the verdict on it."""

    case: Case
    status: int | None
    stderr: str
    deleted: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("clustersim: error: ")]
        warnings = [line for line in lines if line.startswith("clustersim: warning: ")]
        if self.deleted:
            return "deleted"
        if self.status is None:
            return "hang"
        if "Traceback" in self.stderr:
            return "traceback"
        if self.status != 0:
            one = len(errors) == 1 and lines[-1] == errors[0]
            return "clean" if one and not any(li.startswith("usage:") for li in lines) else "messy"
        return "warning" if self.case.warns and len(warnings) == 1 else "silent"


# --- the sandbox ---------------------------------------------------------------------

SMALL = f"""base = "{BASELINE}"
name = "ok"
[population]
n_smes = 40
n_knowledge_institutions = 2
n_governments = 1
[region]
region_km = 20.0
n_centres = 2
[run]
months = 6
"""

# Config files, by name: their text (bytes for binary).
CONFIGS: dict[str, str | bytes] = {
    "garbage": "this is = = not toml\n",
    "binary": bytes(range(256)),
    "duplicate_key": "[population]\nn_smes = 1\nn_smes = 2\n",
    "unknown_key": "[population]\nn_smez = 5\n",
    "unknown_group": "[populaton]\nn_smes = 5\n",
    "unknown_top": 'colour = "red"\n',
    "type_string": '[population]\nn_smes = "many"\n',
    "type_bool": "[population]\nn_smes = true\n",
    "type_float": "[population]\nn_smes = 1.5\n",
    "type_array": "[population]\nn_smes = [1, 2]\n",
    "group_not_table": "population = 5\n",
    "switch_type": '[quick_win]\nquick_win = "yes"\n',
    "negative": "[population]\nn_smes = -1\n",
    "over_max": "[population]\nn_smes = 200001\n",
    "huge_int": "[population]\nn_smes = 9223372036854775807\n",
    "nan": "[subsidy]\nsubsidy_share = nan\n",
    "inf": "[region]\nregion_km = inf\n",
    "share_over": "[subsidy]\nsubsidy_share = 1.5\n",
    "months_zero": "[run]\nmonths = 0\n",
    "members_over": "[formation]\nmin_members = 60\n",
    "name_dotdot": 'name = "../../escaped"\n',
    "name_absolute": 'name = "/tmp/escaped"\n',
    "name_empty": 'name = ""\n',
    "name_nul": 'name = "a\\u0000b"\n',
    "name_type": "name = 5\n",
    "base_missing": 'base = "nope.toml"\n',
    "base_self": 'base = "base_self.toml"\n',
    "base_cycle": 'base = "base_cycle2.toml"\n',
    "base_cycle2": 'base = "base_cycle.toml"\n',
    "base_device": 'base = "/dev/zero"\n',
    "base_folder": 'base = "."\n',
    "base_type": "base = 5\n",
    "memory": "[population]\nn_smes = 200000\n[region]\nawareness_radius_km = 50.0\n",
    "oversized": "# " + "x" * (2 * 2**20) + "\n",
}
BAD_CONFIGS = [name for name in CONFIGS if name != "base_cycle2"]


def build_files(sandbox: Path) -> None:
    """Configs, experiment files and special files; no simulation."""
    (sandbox / "home").mkdir(parents=True)
    (sandbox / "home" / "thesis.txt").write_text("my thesis\n")
    (sandbox / "ok.toml").write_text(SMALL)
    (sandbox / "dash50k.toml").write_text(SMALL + "\n")
    text = (sandbox / "dash50k.toml").read_text().replace("n_smes = 40", "n_smes = 50000")
    (sandbox / "dash50k.toml").write_text(text)
    for name, text in CONFIGS.items():
        path = sandbox / f"{name}.toml"
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    (sandbox / "folder.toml").mkdir()
    os.mkfifo(sandbox / "fifo.toml")
    os.symlink("/dev/zero", sandbox / "zero_link.toml")
    (sandbox / "a_file").write_text("not a folder\n")
    for name, text in {**COMPARES, **SWEEPS}.items():
        (sandbox / f"{name}.toml").write_text(text)


def _compare(body: str, scenarios: str = 'a = "ok.toml"\nb = "ok.toml"\n') -> str:
    return f'kind = "compare"\n{body}[scenarios]\n{scenarios}'


COMPARES: dict[str, str] = {
    "cmp": _compare('name = "cmp"\nseed = 1\nreplications = 2\n'),
    "cmp_other": _compare('name = "cmp_other"\nseed = 2\nreplications = 1\n'),
    "c_unknown_key": _compare('name = "x"\nseed = 1\nreplications = 1\ncolour = "red"\n'),
    "c_kind_missing": 'name = "x"\nseed = 1\nreplications = 1\n[scenarios]\na = "ok.toml"\n',
    "c_kind_bad": 'kind = "banana"\nseed = 1\nreplications = 1\n',
    "c_seed_missing": _compare('name = "x"\nreplications = 1\n'),
    "c_seed_negative": _compare('name = "x"\nseed = -1\nreplications = 1\n'),
    "c_seed_type": _compare('name = "x"\nseed = "one"\nreplications = 1\n'),
    "c_reps_zero": _compare('name = "x"\nseed = 1\nreplications = 0\n'),
    "c_reps_huge": _compare('name = "x"\nseed = 1\nreplications = 100000000\n'),
    "c_reps_float": _compare('name = "x"\nseed = 1\nreplications = 1.5\n'),
    "c_scenarios_empty": _compare('name = "x"\nseed = 1\nreplications = 1\n', ""),
    "c_scenarios_type": 'kind = "compare"\nseed = 1\nreplications = 1\nscenarios = 5\n',
    "c_scenario_missing": _compare('name = "x"\nseed = 1\nreplications = 1\n', 'a = "no.toml"\n'),
    "c_scenario_bad": _compare('name = "x"\nseed = 1\nreplications = 1\n', 'a = "garbage.toml"\n'),
    "c_scenario_device": _compare('name = "x"\nseed = 1\nreplications = 1\n', 'a = "/dev/zero"\n'),
    "c_scenario_fifo": _compare('name = "x"\nseed = 1\nreplications = 1\n', 'a = "fifo.toml"\n'),
    "c_scenario_cycle": _compare(
        'name = "x"\nseed = 1\nreplications = 1\n', 'a = "base_cycle.toml"\n'
    ),
    "c_scenario_type": _compare('name = "x"\nseed = 1\nreplications = 1\n', "a = 5\n"),
    "c_reference_bad": _compare('name = "x"\nseed = 1\nreplications = 1\nreference = "zz"\n'),
    "c_name_dotdot": _compare('name = "../../escaped"\nseed = 1\nreplications = 1\n'),
    "c_name_absolute": _compare('name = "/tmp/escaped"\nseed = 1\nreplications = 1\n'),
    "c_months_zero": _compare('name = "x"\nseed = 1\nreplications = 1\nmonths = 0\n'),
    "c_months_type": _compare('name = "x"\nseed = 1\nreplications = 1\nmonths = "six"\n'),
    "c_memory": _compare('name = "x"\nseed = 1\nreplications = 1\n', 'a = "memory.toml"\n'),
    "c_garbage": "kind = = compare\n",
    "c_oversized": "# " + "x" * (2 * 2**20) + "\n",
}


def _sweep(body: str, design: str = 'method = "lhs"\nsamples = 4\n', params: str = "") -> str:
    params = params or "subsidy_share = { low = 0.0, high = 0.8 }\n"
    head = 'kind = "sweep"\nbase = "ok.toml"\nseed = 3\nreplications = 1\n'
    return f"{head}{body}[design]\n{design}[parameters]\n{params}"


GRID7 = "".join(f"{n} = {list(range(1, 11))}\n" for n in ("n_sectors", "n_centres", "min_members"))
SWEEPS: dict[str, str] = {
    "morris": _sweep(
        'name = "morris"\n',
        'method = "morris"\nsamples = 2\nlevels = 4\n',
        "subsidy_share = { low = 0.0, high = 0.8 }\n"
        "initiation_rate = { low = 0.01, high = 0.08 }\n",
    ),
    "lhs": _sweep('name = "lhs"\n'),
    "s_method_bad": _sweep("", 'method = "magic"\nsamples = 4\n'),
    "s_samples_zero": _sweep("", 'method = "lhs"\nsamples = 0\n'),
    "s_samples_huge": _sweep("", 'method = "lhs"\nsamples = 1000000000\n'),
    "s_samples_type": _sweep("", 'method = "sobol"\nsamples = "x"\n'),
    "s_grid_huge": _sweep(
        "",
        'method = "grid"\n',
        GRID7
        + "".join(
            f"{n} = {list(range(2, 12))}\n"
            for n in ("target_size_mean", "milestone_months", "subsidy_months", "patience_months")
        ),
    ),
    "s_param_unknown": _sweep("", params="subsidy_sharez = { low = 0.0, high = 0.5 }\n"),
    "s_low_over_high": _sweep("", params="subsidy_share = { low = 0.8, high = 0.1 }\n"),
    "s_out_of_range": _sweep("", params="subsidy_share = { low = 0.0, high = 2.0 }\n"),
    "s_values_type": _sweep("", 'method = "grid"\n', 'subsidy_share = ["a", "b"]\n'),
    "s_range_type": _sweep("", params='subsidy_share = "all"\n'),
    "s_params_empty": _sweep("", params=" ").replace("[parameters]\n \n", "[parameters]\n"),
    "s_base_missing": _sweep("").replace('base = "ok.toml"', 'base = "nope.toml"'),
    "s_base_device": _sweep("").replace('base = "ok.toml"', 'base = "/dev/zero"'),
    "s_base_bad": _sweep("").replace('base = "ok.toml"', 'base = "unknown_key.toml"'),
    "s_levels_bad": _sweep("", 'method = "morris"\nsamples = 2\nlevels = 1\n'),
    "s_design_missing": 'kind = "sweep"\nbase = "ok.toml"\nseed = 3\nreplications = 1\n',
    "s_switched_off": _sweep("", params="quick_win_latest_months = { low = 3, high = 12 }\n"),
    "s_memory": _sweep(
        "", 'method = "grid"\n', "n_smes = [100, 200000]\nawareness_radius_km = [50.0]\n"
    ),
}


def build_results(sandbox: Path) -> None:
    """Small finished results, in this process, and damaged copies of them."""
    commands = [
        ["run", "ok.toml", "--out", "runfolder"],
        ["compare", "cmp.toml", "--out", "cmp", "--serial", "--no-progress"],
        ["compare", "cmp_other.toml", "--out", "cmp_other", "--serial", "--no-progress"],
        ["sweep", "morris.toml", "--out", "morris", "--serial", "--no-progress"],
        ["sweep", "lhs.toml", "--out", "lhs", "--serial", "--no-progress"],
    ]
    for argv in commands:
        _build(argv, sandbox)
    for name, damage in DAMAGES.items():
        shutil.copytree(sandbox / "cmp", sandbox / name)
        damage(sandbox / name)
    shutil.copytree(sandbox / "morris", sandbox / "morris_page")
    _flip_page(sandbox / "morris_page")
    (sandbox / "empty_folder").mkdir()


def _build(argv: list[str], sandbox: Path) -> None:
    """One command that must succeed, run in-process in the sandbox."""
    from clustersim.cli import main

    err = io.StringIO()
    terminate = signal.getsignal(signal.SIGTERM)
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(err),
        _inside(sandbox),
    ):
        status = main(argv)
    signal.signal(signal.SIGTERM, terminate)
    if status:
        raise RuntimeError(f"building the sandbox: clustersim {' '.join(argv)}: {err.getvalue()}")


def _data_file(folder: Path) -> Path:
    """A file of the runs table, which every reader reads, one row for each run."""
    return sorted((folder / "data" / "runs").rglob("*.parquet"))[0]


def _flip_page(folder: Path) -> None:
    """Change one byte among the values of a data page; the footer stays intact."""
    import pyarrow.parquet as pq

    path = _data_file(folder)
    column = pq.read_metadata(path).row_group(0).column(0)
    start = column.dictionary_page_offset or column.data_page_offset
    at = start + column.total_compressed_size - 2  # in the last page's values
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(folder: Path) -> None:
    path = _data_file(folder)
    path.write_bytes(path.read_bytes()[:100])


def _data_to_folder(folder: Path) -> None:
    path = _data_file(folder)
    path.unlink()
    path.mkdir()


def _incomplete(folder: Path) -> None:
    """What an interrupted compare leaves: the same comparison run again into this
    folder, with Ctrl-C arriving as its second batch of runs starts (the first, one
    scenario's runs, is done and merged; the other scenario has none)."""
    from clustersim.cli import main
    from clustersim.experiment import engine

    shutil.rmtree(folder)
    real, batches = engine.execute_batch, []

    def interrupted(*args: object, **kwargs: object) -> object:
        if batches:
            raise KeyboardInterrupt
        batches.append(args)
        return real(*args, **kwargs)

    command = ["compare", "cmp.toml", "--out", folder.name, "--serial", "--no-progress"]
    terminate = signal.getsignal(signal.SIGTERM)
    with (
        mock.patch.object(engine, "execute_batch", interrupted),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        _inside(folder.parent),
    ):
        status = main(command)
    signal.signal(signal.SIGTERM, terminate)
    if status == 0 or len(batches) != 1:
        raise RuntimeError(f"building {folder.name}: the compare was not interrupted once")


DAMAGES = {
    "d_manifest_garbage": lambda f: (f / "manifest.json").write_text("{not json"),
    "d_manifest_list": lambda f: (f / "manifest.json").write_text("[]"),
    "d_manifest_empty": lambda f: (f / "manifest.json").write_text("{}"),
    "d_manifest_gone": lambda f: (f / "manifest.json").unlink(),
    "d_manifest_folder": lambda f: ((f / "manifest.json").unlink(), (f / "manifest.json").mkdir()),
    "d_status_garbage": lambda f: (f / "status.jsonl").write_text('garbage\n[1, 2]\n"x"\n'),
    "d_status_gone": lambda f: (f / "status.jsonl").unlink(),
    "d_page": _flip_page,
    "d_truncated": _truncate,
    "d_data_folder": _data_to_folder,
    "d_data_gone": lambda f: shutil.rmtree(f / "data"),
    "d_report_file": lambda f: (shutil.rmtree(f / "report"), (f / "report").write_text("x")),
    "d_csv_file": lambda f: (f / "csv").write_text("in the way\n"),
    "d_incomplete": _incomplete,
}


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    here = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(here)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


# --- the cases -----------------------------------------------------------------------

PATHS = {  # special paths given where a file is expected, by class
    "missing file": "{S}/nope.toml",
    "directory": "{S}/folder.toml",
    "device": "/dev/zero",
    "FIFO": "{S}/fifo.toml",
    "link to a device": "{S}/zero_link.toml",
    "name too long": "{S}/" + "x" * 5000 + ".toml",
}


PATH_KINDS = {
    "missing file": "missing files",
    "directory": "directories",
    "device": "devices",
    "link to a device": "devices",
    "FIFO": "FIFOs",
    "name too long": "bad names",
}


def _kind_of(config: str) -> str:
    for prefix, kind in (
        ("name_", "bad names"),
        ("base_", "bad references"),
        ("type_", "bad types"),
        ("unknown", "unknown keys"),
        ("memory", "oversized values"),
        ("oversized", "oversized values"),
        ("huge", "oversized values"),
        ("over_max", "oversized values"),
    ):
        if config.startswith(prefix):
            return kind
    return "bad types" if config in ("switch_type", "group_not_table") else "bad values"


def config_cases(command: str, extra: tuple[str, ...] = ()) -> list[Case]:
    """Every bad config file and special path where `command` takes a config."""
    flag = ("--config",) if command == "dashboard" else ()
    cases = [
        Case(
            f"{command}: config {name}",
            _kind_of(name),
            (command, *flag, f"{{S}}/{name}.toml", *extra),
        )
        for name in BAD_CONFIGS
    ]
    cases += [
        Case(f"{command}: config is a {kind}", PATH_KINDS[kind], (command, *flag, path, *extra))
        for kind, path in PATHS.items()
    ]
    return cases


def run_cases() -> list[Case]:
    out = ("--out", "{S}/out_run")
    ok = "{S}/ok.toml"
    return [
        *config_cases("run", out),
        Case("run: --seed -1", "bad values", ("run", ok, "--seed", "-1", *out)),
        Case("run: --seed x", "bad types", ("run", ok, "--seed", "x", *out)),
        Case("run: --seed empty", "bad types", ("run", ok, "--seed", "", *out)),
        Case("run: --months 0", "bad values", ("run", ok, "--months", "0", *out)),
        Case("run: --months 5000", "oversized values", ("run", ok, "--months", "5000", *out)),
        Case("run: --months 1.5", "bad types", ("run", ok, "--months", "1.5", *out)),
        Case("run: unknown option", "unknown keys", ("run", ok, "--colour", "red")),
        Case("run: no config", "missing files", ("run",)),
        Case("run: --out under a file", "bad names", ("run", ok, "--out", "{S}/a_file/x")),
        Case("run: --out is a file", "bad names", ("run", ok, "--out", "{S}/a_file")),
        Case("run: --out .", "bad names", ("run", ok, "--out", ".")),
        Case(
            "run: --out a home folder",
            "folders of another command",
            ("run", ok, "--out", "{S}/home"),
        ),
        Case(
            "run: --out a comparison",
            "folders of another command",
            ("run", ok, "--out", "{S}/cmp"),
            needs_results=True,
        ),
        Case("run: --out in /proc", "devices", ("run", ok, "--out", "/proc/clustersim")),
        Case("run: --out /dev/null", "devices", ("run", ok, "--out", "/dev/null")),
        Case(
            "run: bad memory override",
            "bad values",
            ("run", ok, *out),
            env=(("CLUSTERSIM_AVAILABLE_MEMORY", "lots"),),
        ),
        Case(
            "run: memory over what is available",
            "oversized values",
            ("run", ok, *out),
            env=(("CLUSTERSIM_AVAILABLE_MEMORY", "100MiB"),),
        ),
    ]


def validate_cases() -> list[Case]:
    return [
        *config_cases("validate"),
        Case("validate: an experiment file", "bad types", ("validate", "{S}/cmp.toml")),
        Case("validate: no config", "missing files", ("validate",)),
        Case("validate: two configs", "bad values", ("validate", "{S}/ok.toml", "{S}/ok.toml")),
    ]


def params_cases() -> list[Case]:
    return [
        Case("params: unknown option", "unknown keys", ("params", "--json")),
        Case("params: an argument", "bad values", ("params", "n_smes")),
        Case("(none): no command", "missing files", ()),
        Case("(none): unknown command", "unknown keys", ("simulate",)),
        Case("(none): unknown option", "unknown keys", ("--verbose", "run")),
    ]


def experiment_cases() -> list[Case]:
    """compare and sweep: bad files, special paths, engine options, foreign folders."""
    cases = []
    for name in COMPARES:
        if name not in ("cmp", "cmp_other"):
            kind = _kind_of(name[2:]) if name[2:] in CONFIGS else "bad values"
            kind = (
                "oversized values" if name in ("c_reps_huge", "c_oversized", "c_memory") else kind
            )
            cases.append(
                Case(
                    f"compare: {name}",
                    kind,
                    ("compare", f"{{S}}/{name}.toml", "--out", "{S}/out_cmp", "--serial"),
                )
            )
    for name in SWEEPS:
        if name not in ("morris", "lhs"):
            kind = "oversized values" if "huge" in name or "memory" in name else "bad values"
            cases.append(
                Case(
                    f"sweep: {name}",
                    kind,
                    ("sweep", f"{{S}}/{name}.toml", "--out", "{S}/out_sweep", "--serial"),
                )
            )
    for command in ("compare", "sweep"):
        cases += [
            Case(f"{command}: experiment is a {kind}", PATH_KINDS[kind], (command, path))
            for kind, path in PATHS.items()
        ]
    cases.append(Case("sweep: a compare file", "bad types", ("sweep", "{S}/cmp.toml")))
    cases.append(Case("compare: a sweep file", "bad types", ("compare", "{S}/lhs.toml")))
    cases.append(Case("compare: a config file", "bad types", ("compare", "{S}/ok.toml")))
    return cases + engine_cases()


def engine_cases() -> list[Case]:
    """Engine options (workers, scheduler), then output folders, of compare and sweep."""
    cmp = ("compare", "{S}/cmp.toml")
    return _engine_option_cases(cmp) + _out_folder_cases(cmp)


def _engine_option_cases(cmp: tuple[str, str]) -> list[Case]:
    return [
        Case("compare: --workers 0", "bad workers", (*cmp, "--workers", "0")),
        Case("compare: --workers -3", "bad workers", (*cmp, "--workers", "-3")),
        Case("compare: --workers x", "bad workers", (*cmp, "--workers", "x")),
        Case("compare: --workers 1e3", "bad workers", (*cmp, "--workers", "1e3")),
        Case(
            "compare: --serial and --workers", "bad workers", (*cmp, "--serial", "--workers", "2")
        ),
        Case(
            "compare: --scheduler not an address", "bad schedulers", (*cmp, "--scheduler", "bogus")
        ),
        Case(
            "compare: --scheduler nobody there",
            "bad schedulers",
            (*cmp, "--scheduler", "tcp://127.0.0.1:9", "--out", "{S}/out_sched"),
        ),
        Case(
            "compare: --scheduler and --serial",
            "bad schedulers",
            (*cmp, "--scheduler", "tcp://127.0.0.1:9", "--serial"),
        ),
        Case("sweep: --workers 0", "bad workers", ("sweep", "{S}/lhs.toml", "--workers", "0")),
    ]


def _out_folder_cases(cmp: tuple[str, str]) -> list[Case]:
    return [
        Case(
            "compare: --out under a file", "bad names", (*cmp, "--out", "{S}/a_file/x", "--serial")
        ),
        Case("compare: --out is a file", "bad names", (*cmp, "--out", "{S}/a_file", "--serial")),
        Case("compare: --out in /proc", "devices", (*cmp, "--out", "/proc/clustersim", "--serial")),
        Case(
            "compare: --out a run's folder",
            "folders of another command",
            (*cmp, "--out", "{S}/runfolder", "--serial"),
            needs_results=True,
        ),
        Case(
            "compare: --out another comparison",
            "folders of another command",
            (*cmp, "--out", "{S}/cmp_other", "--serial"),
            needs_results=True,
        ),
        Case(
            "compare: --out a sweep",
            "folders of another command",
            (*cmp, "--out", "{S}/lhs", "--serial"),
            needs_results=True,
        ),
        Case(
            "compare: --out with a damaged manifest",
            "damaged manifests",
            (*cmp, "--out", "{S}/d_manifest_garbage", "--serial"),
            needs_results=True,
        ),
        Case(
            "compare: --out with a manifest that is a list",
            "damaged manifests",
            (*cmp, "--out", "{S}/d_manifest_list", "--serial"),
            needs_results=True,
        ),
        Case(
            "compare: --out a home folder",
            "folders of another command",
            (*cmp, "--out", "{S}/home", "--serial"),
        ),
        Case(
            "sweep: --out a comparison",
            "folders of another command",
            ("sweep", "{S}/lhs.toml", "--out", "{S}/cmp", "--serial"),
            needs_results=True,
        ),
        Case(
            "compare: memory over what is available",
            "oversized values",
            (*cmp, "--out", "{S}/out_mem", "--serial"),
            env=(("CLUSTERSIM_AVAILABLE_MEMORY", "100MiB"),),
        ),
    ]


def results_cases() -> list[Case]:
    """report, sensitivity and export on what is not a good results folder."""
    cases = []
    damaged = [n for n in DAMAGES if n not in ("d_csv_file", "d_incomplete", "d_status_garbage")]
    for command in ("report", "export"):
        extra = ("--csv",) if command == "export" else ()
        for name in damaged:
            if command == "export" and name == "d_report_file":
                continue
            kind = (
                "damaged manifests"
                if "manifest" in name
                else (
                    "damaged Parquet"
                    if name in ("d_page", "d_truncated", "d_data_folder")
                    else "damaged status logs"
                    if "status" in name
                    else "folders of another command"
                )
            )
            partial = name in ("d_truncated", "d_data_folder")  # that run is not done: warn
            cases.append(
                Case(
                    f"{command}: {name}",
                    kind,
                    (command, f"{{S}}/{name}", *extra),
                    warns=partial,
                    needs_results=True,
                )
            )
        for kind, path in (
            ("missing files", "{S}/nofolder"),
            ("devices", "/dev/zero"),
            ("directories", "{S}/empty_folder"),
            ("bad types", "{S}/ok.toml"),
            ("FIFOs", "{S}/fifo.toml"),
        ):
            cases.append(Case(f"{command}: results is a {kind}", kind, (command, path, *extra)))
        cases.append(
            Case(
                f"{command}: a run's folder",
                "folders of another command",
                (command, "{S}/runfolder", *extra),
                needs_results=True,
            )
        )
    return cases + sensitivity_cases() + export_cases()


def sensitivity_cases() -> list[Case]:
    morris = ("sensitivity", "{S}/morris")
    return [
        Case(
            "sensitivity: a comparison",
            "folders of another command",
            ("sensitivity", "{S}/cmp"),
            needs_results=True,
        ),
        Case(
            "sensitivity: an LHS sweep",
            "folders of another command",
            ("sensitivity", "{S}/lhs"),
            needs_results=True,
        ),
        Case(
            "sensitivity: a run's folder",
            "folders of another command",
            ("sensitivity", "{S}/runfolder"),
            needs_results=True,
        ),
        Case("sensitivity: missing folder", "missing files", ("sensitivity", "{S}/nofolder")),
        Case("sensitivity: /dev/zero", "devices", ("sensitivity", "/dev/zero")),
        Case(
            "sensitivity: --output unknown",
            "bad values",
            (*morris, "--output", "happiness"),
            needs_results=True,
        ),
        Case(
            "sensitivity: --output scenario",
            "bad values",
            (*morris, "--output", "scenario"),
            needs_results=True,
        ),
        Case(
            "sensitivity: --output run_id",
            "bad values",
            (*morris, "--output", "run_id"),
            needs_results=True,
        ),
        Case(
            "sensitivity: --output empty",
            "bad values",
            (*morris, "--output", ""),
            needs_results=True,
        ),
        Case(
            "sensitivity: damaged page",
            "damaged Parquet",
            ("sensitivity", "{S}/morris_page"),
            needs_results=True,
        ),
        Case(
            "sensitivity: damaged manifest",
            "damaged manifests",
            ("sensitivity", "{S}/d_manifest_garbage"),
            needs_results=True,
        ),
    ]


def export_cases() -> list[Case]:
    cmp = ("export", "{S}/cmp", "--csv")
    return [
        Case("export: without --csv", "missing files", ("export", "{S}/cmp"), needs_results=True),
        Case(
            "export: --out under a file",
            "bad names",
            (*cmp, "--out", "{S}/a_file/x"),
            needs_results=True,
        ),
        Case(
            "export: --out is a file",
            "bad names",
            (*cmp, "--out", "{S}/a_file"),
            needs_results=True,
        ),
        Case(
            "export: --out in /proc",
            "devices",
            (*cmp, "--out", "/proc/clustersim"),
            needs_results=True,
        ),
        Case(
            "export: csv folder is a file",
            "folders of another command",
            ("export", "{S}/d_csv_file", "--csv"),
            needs_results=True,
        ),
        Case(
            "export: an incomplete folder",
            "damaged status logs",
            ("export", "{S}/d_incomplete", "--csv", "--out", "{S}/out_csv"),
            warns=True,
            needs_results=True,
        ),
        Case(
            "report: status lines of the wrong shape",
            "damaged status logs",
            ("report", "{S}/d_status_garbage"),
            needs_results=True,
        ),
    ]


def model_cases() -> list[Case]:
    """validate-model, calibrate and the dashboard's options."""
    lhs, cmp = "{S}/lhs.toml", "{S}/cmp.toml"
    cases = [
        Case("validate-model: missing file", "missing files", ("validate-model", "{S}/no.toml")),
        Case("validate-model: a sweep file", "bad types", ("validate-model", lhs)),
        Case(
            "validate-model: --calibration missing",
            "missing files",
            ("validate-model", cmp, "--calibration", "{S}/nofolder"),
        ),
        Case(
            "validate-model: --screening a file",
            "bad types",
            ("validate-model", cmp, "--screening", "{S}/ok.toml"),
        ),
        Case(
            "validate-model: --doc under a file",
            "bad names",
            ("validate-model", cmp, "--doc", "{S}/a_file/v.md", "--serial"),
        ),
        Case(
            "validate-model: --doc a folder",
            "directories",
            ("validate-model", cmp, "--doc", "{S}/empty_folder", "--serial"),
        ),
        Case(
            "validate-model: --workers 0", "bad workers", ("validate-model", cmp, "--workers", "0")
        ),
        Case("calibrate: --accept 0", "bad values", ("calibrate", lhs, "--accept", "0")),
        Case("calibrate: --accept 2", "bad values", ("calibrate", lhs, "--accept", "2")),
        Case("calibrate: --accept x", "bad types", ("calibrate", lhs, "--accept", "x")),
        Case("calibrate: --accept nan", "bad values", ("calibrate", lhs, "--accept", "nan")),
        Case("calibrate: --accept -0.5", "bad values", ("calibrate", lhs, "--accept", "-0.5")),
        Case("calibrate: a compare file", "bad types", ("calibrate", cmp)),
        Case("calibrate: missing file", "missing files", ("calibrate", "{S}/no.toml")),
        Case("calibrate: /dev/zero", "devices", ("calibrate", "/dev/zero")),
    ]
    return cases + dashboard_cases()


def dashboard_cases() -> list[Case]:
    picked = (
        "garbage",
        "unknown_key",
        "type_string",
        "over_max",
        "name_dotdot",
        "base_cycle",
        "memory",
        "oversized",
    )
    cases = [
        c for c in config_cases("dashboard") if c.name.split()[-1] in picked or "is a" in c.name
    ]
    return [
        *cases,
        Case("dashboard: --port 0", "bad ports", ("dashboard", "--port", "0")),
        Case("dashboard: --port 65536", "bad ports", ("dashboard", "--port", "65536")),
        Case("dashboard: --port -1", "bad ports", ("dashboard", "--port", "-1")),
        Case("dashboard: --port http", "bad ports", ("dashboard", "--port", "http")),
        Case(
            "dashboard: --host not an address",
            "bad values",
            ("dashboard", "--host", "999.1.1.1", "--port", "18765"),
        ),
        Case(
            "dashboard: --host empty", "bad values", ("dashboard", "--host", "", "--port", "18766")
        ),
        Case(
            "dashboard: 50,000 SMEs",
            "oversized values",
            ("dashboard", "--config", "{S}/dash50k.toml"),
        ),
        Case("dashboard: unknown option", "unknown keys", ("dashboard", "--open-browser")),
    ]


def all_cases() -> list[Case]:
    """Every case of the sweep, by subcommand."""
    cases = (
        run_cases()
        + validate_cases()
        + params_cases()
        + experiment_cases()
        + results_cases()
        + model_cases()
    )
    return [
        Case(c.name, c.kind, c.argv, c.env, True, c.needs_results)
        if c.name == "validate: config memory"
        else c
        for c in cases
    ]


# --- running them --------------------------------------------------------------------


def snapshot(sandbox: Path) -> set[str]:
    """Every file and folder in the sandbox, relative: what a case must not delete."""
    found = set()
    for folder, dirs, files in os.walk(sandbox):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), sandbox))
    return found


def _environment(case: Case, sandbox: Path) -> dict[str, str]:
    env = {**os.environ, "HOME": str(sandbox / "home"), **dict(case.env)}
    env.setdefault("CLUSTERSIM_AVAILABLE_MEMORY", os.environ.get("CLUSTERSIM_AVAILABLE_MEMORY", ""))
    if not env["CLUSTERSIM_AVAILABLE_MEMORY"]:
        del env["CLUSTERSIM_AVAILABLE_MEMORY"]
    env.pop("PYTHONWARNINGS", None)
    return env


def run_case(case: Case, sandbox: Path) -> Result:
    """One case as a user runs it: `python -m clustersim ...` in its own process group."""
    before = snapshot(sandbox)
    command = [sys.executable, "-m", "clustersim", *case.args(sandbox)]
    proc = subprocess.Popen(
        command,
        cwd=sandbox,
        env=_environment(case, sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = proc.communicate(timeout=TIMEOUT_S)
        status: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        status, stderr = None, ""
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    deleted = sorted(before - snapshot(sandbox) - _own_leftovers(before))
    return Result(case, status, stderr, deleted)


def _own_leftovers(before: set[str]) -> set[str]:
    """What a case may remove: the tool's own lock and staging files, and what it redoes."""
    return {p for p in before if Path(p).name.startswith(".") or p.startswith(("out_", "results"))}


def run_in_process(case: Case, sandbox: Path) -> Result:
    """One case through `cli.main` in this process (for the quick pytest subset)."""
    from clustersim.cli import main

    before = snapshot(sandbox)
    err = io.StringIO()
    saved, terminate = dict(os.environ), signal.getsignal(signal.SIGTERM)
    os.environ.update(dict(case.env))
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(err),
            _inside(sandbox),
        ):
            try:
                status = main(case.args(sandbox))
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) else 1
            except Exception:
                import traceback

                traceback.print_exc()
                status = 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
        signal.signal(signal.SIGTERM, terminate)  # main() sets its own
    deleted = sorted(before - snapshot(sandbox) - _own_leftovers(before))
    return Result(case, status, err.getvalue(), deleted)


def build_sandbox(sandbox: Path, results: bool = True) -> None:
    """Everything the cases refer to; `results=False` skips the (seconds of) simulation."""
    build_files(sandbox)
    if results:
        build_results(sandbox)


def summary(results: list[Result]) -> str:
    """Counts by verdict, then every case that is not clean, one line each."""
    counts = Counter(r.verdict for r in results)
    head = f"{len(results)} cases: " + ", ".join(f"{v} {counts.get(v, 0)}" for v in VERDICTS)
    lines = [head]
    for r in results:
        if r.verdict not in ("clean", "warning"):
            last = (r.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1][:200]
            lines.append(
                f"  {r.verdict:9} {r.case.name} [exit {r.status}] {last}"
                + (f" DELETED {r.deleted[:3]}" if r.deleted else "")
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the sweep (or the cases whose name holds -k) and print the counts."""
    parser = argparse.ArgumentParser(prog="python -m tests.bad_inputs", description=__doc__)
    parser.add_argument("-k", default="", help="only cases whose name holds this")
    parser.add_argument("--keep", type=Path, default=None, help="build the sandbox here, keep it")
    parser.add_argument("-v", action="store_true", help="print every case's stderr")
    args = parser.parse_args(argv)
    sandbox = args.keep or Path(tempfile.mkdtemp(prefix="clustersim-bad-inputs-"))
    if not (sandbox / "ok.toml").exists():
        build_sandbox(sandbox)
    results = []
    try:
        for case in all_cases():
            if args.k in case.name:
                results.append(run_case(case, sandbox))
                if args.v:
                    print(f"--- {case.name} [{results[-1].verdict}]\n{results[-1].stderr}")
    finally:
        if args.keep is None:
            shutil.rmtree(sandbox, ignore_errors=True)
    print(summary(results))
    return 0 if all(r.verdict in ("clean", "warning") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
