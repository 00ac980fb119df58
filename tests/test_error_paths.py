"""Every damaged or mistaken input to the results commands ends in one line, never a
traceback: a run's folder given to report, labels given as outputs, a damaged manifest,
a status line of the wrong shape, a damaged data page, an incomplete export."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from clustersim.config import ConfigError, load_config
from clustersim.experiment.engine import Engine
from clustersim.experiment.spec import load_experiment
from clustersim.experiment.store import ResultStore, StoreError, read_table
from tests.processes import assert_one_line_error, clustersim
from tests.test_experiments import run as run_serially
from tests.test_experiments import write_compare, write_sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """A finished compare, a finished Morris sweep and a single run's folder."""
    here = tmp_path_factory.mktemp("results")
    experiment = write_compare(here, replications=2, months=6)
    run_serially(experiment, here / "compare")
    sweep = here / "sweep_files"
    sweep.mkdir()
    run_serially(write_sweep(sweep, "morris", samples=2), here / "morris")
    single = clustersim("run", BASELINE, "--months", "3", "--out", here / "run")
    assert single.returncode == 0, single.stderr
    return {"experiment": experiment, **{n: here / n for n in ("compare", "morris", "run")}}


def copy(folders: dict[str, Path], name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folders[name], tmp_path / name))


def damage_data_pages(path: Path) -> None:
    """Scramble the bytes between the magic number and the footer: the footer stays intact."""
    data = bytearray(path.read_bytes())
    footer = len(data) - 8 - struct.unpack("<I", data[-8:-4])[0]
    for i in range(20, footer - 20):
        data[i] = (data[i] * 7 + 13) % 256
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["report"], ["sensitivity"], ["export", "--csv"]])
def test_a_single_runs_folder_given_to_a_results_command(folders, command):
    result = clustersim(*command, folders["run"])
    assert_one_line_error(result, str(folders["run"]), "one `clustersim run`")


@pytest.mark.parametrize("label", ["scenario", "run_id", "point", "seed", "nonsense"])
def test_sensitivity_of_a_label_or_unknown_column(folders, label):
    result = clustersim("sensitivity", folders["morris"], "--output", label)
    assert_one_line_error(result, f"--output {label}", "survival_36")


@pytest.mark.parametrize(
    "text",
    [b'{"runs": [', b"[1, 2]\n", b"\xff\xfe not text", b'{"design": {}}\n', b'{"runs": [3]}'],
)
@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_damaged_manifest(folders, tmp_path, text, command):
    out = copy(folders, "compare", tmp_path)
    (out / "manifest.json").write_bytes(text)
    args = [folders["experiment"], "--out", out, "--serial"] if command == "compare" else [out]
    result = clustersim(command, *args)
    assert_one_line_error(result, "manifest.json", "damaged")


def test_status_lines_of_the_wrong_shape_are_not_runs(folders, tmp_path):
    out = copy(folders, "compare", tmp_path)
    with open(out / "status.jsonl", "ab") as log:
        log.write(b'[1, 2]\n"done"\n3\nnull\n{"run": "baseline-r000", "status": "done"}\n')
        log.write(b'{"run": 7, "status": "done", "rows": {}}\n\xff\xfe\n')
    assert clustersim("report", out).returncode == 0
    resumed = clustersim("compare", folders["experiment"], "--out", out, "--serial")
    assert resumed.returncode == 0, resumed.stderr
    assert "4 of 4 runs done (4 from before, 0 now)" in resumed.stderr


def flip_a_byte_silently(path: Path) -> None:
    """Flip one bit where the file still decodes, to other numbers: corruption nothing
    but a checksum can see. Searched for, so the test does not hang on one layout."""
    original = path.read_bytes()
    expected = pq.read_table(path)
    row_group = pq.read_metadata(path).row_group(0)
    chunk = max(
        (row_group.column(i) for i in range(row_group.num_columns)),
        key=lambda c: c.total_compressed_size,
    )
    end = chunk.data_page_offset + chunk.total_compressed_size
    for offset in range(end - 1, chunk.data_page_offset, -1):
        data = bytearray(original)
        data[offset] ^= 0x01
        path.write_bytes(bytes(data))
        try:
            if not pq.read_table(path).equals(expected):
                return
        except Exception:  # this byte breaks decoding: not silent, try another
            continue
    raise AssertionError(f"no silently corruptible byte in {path}")


def test_a_flipped_byte_fails_its_page_checksum_and_is_redone(folders, tmp_path):
    """Silent corruption: the file still decodes, to wrong numbers; the checksum tells."""
    out = copy(folders, "compare", tmp_path)
    store = ResultStore.existing(out)
    victim = store.file_of("series", store.runs[1].run_id)  # its scenario's two runs
    flip_a_byte_silently(victim)
    with pytest.raises(StoreError, match="checksum") as error:
        read_table(out, "series")
    assert str(victim) in str(error.value)
    assert_one_line_error(clustersim("export", out, "--csv"), str(victim), "checksum")
    resumed = clustersim("compare", folders["experiment"], "--out", out, "--serial")
    assert "(2 from before, 2 now)" in resumed.stderr, resumed.stderr
    assert clustersim("export", out, "--csv").returncode == 0


@pytest.mark.parametrize("command", [["report"], ["export", "--csv"]])
def test_a_damaged_data_page_is_named_then_redone(folders, tmp_path, command):
    out = copy(folders, "compare", tmp_path)
    store = ResultStore.existing(out)
    victim = store.file_of("partnerships", store.runs[0].run_id)  # its scenario's two runs
    damage_data_pages(victim)
    result = clustersim(*command, out)
    assert_one_line_error(result, str(victim), "damaged", "run the same compare")
    resumed = clustersim("compare", folders["experiment"], "--out", out, "--serial")
    assert "(2 from before, 2 now)" in resumed.stderr, resumed.stderr
    assert clustersim(*command, out).returncode == 0


def test_an_incomplete_export_names_the_missing_runs(folders, tmp_path):
    out = copy(folders, "compare", tmp_path)
    lines = (out / "status.jsonl").read_text().splitlines(keepends=True)
    # the log without quick_win's lines: its batch and its compaction
    (out / "status.jsonl").write_text("".join(x for x in lines if "quick_win" not in x))
    result = clustersim("export", out, "--csv")
    assert result.returncode == 0, result.stderr
    assert "clustersim: warning: exported 2 of 4 designed runs" in result.stderr
    assert "quick_win-r001" in result.stderr
    complete = clustersim("export", folders["compare"], "--csv", "--out", tmp_path / "csv")
    assert "warning" not in complete.stderr


def test_dashboard_port_0_is_refused():
    result = clustersim("dashboard", "--port", "0")
    assert result.returncode == 2 and "--port = 0 is out of range [1, 65535]" in result.stderr
    assert "Traceback" not in result.stderr


def test_devices_fifos_and_huge_files_are_not_read(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (2 << 20) + "\n")
    based = tmp_path / "based.toml"
    based.write_text('base = "/dev/zero"\n')
    for path, words in ((fifo, "not a regular file"), (big, "larger than"), (based, "/dev/zero")):
        with pytest.raises(ConfigError, match=words):
            load_config(path)
    for path in (fifo, big, Path("/dev/zero")):
        with pytest.raises(ConfigError):
            load_experiment(path)
    assert_one_line_error(clustersim("validate", "/dev/zero"), "/dev/zero", "not a regular file")


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("compare", ("replications = 1", "replications = 100000000")),
        ("lhs", ("samples = 4", "samples = 1000000000")),
        ("grid", ("[0.0, 0.5]", "[" + ", ".join(str(i / 5000) for i in range(5000)) + "]")),
    ],
)
def test_an_experiment_too_large_to_run_is_refused_up_front(tmp_path, kind, change):
    path = (
        write_compare(tmp_path, replications=1, months=3)
        if kind == "compare"
        else write_sweep(tmp_path, kind)
    )
    path.write_text(path.read_text().replace(*change))
    if kind == "grid":  # 5000 x 3 x 2 replications is not too many; 10 of them is
        path.write_text(path.read_text().replace("replications = 2", "replications = 10"))
    with pytest.raises(ConfigError, match=r"runs, more than the 100,000"):
        load_experiment(path)


def test_workers_are_at_least_one_and_at_most_the_cores():
    assert_usage = clustersim("compare", "experiments/policy_comparison.toml", "--workers", "0")
    assert assert_usage.returncode == 2 and "--workers must be 1 or more" in assert_usage.stderr
    cores = os.cpu_count() or 1
    with Engine.local(cores + 100_000) as engine:
        assert engine.slots == 2 * cores and f"capped at the {cores} cores" in engine.label
    with Engine.local(1) as engine:
        assert engine.slots == 2 and "capped" not in engine.label
