"""The quick commands answer without importing Mesa or the model (issue 10).

`clustersim --version`, `--help`, `validate` and `params` only read configs and the
parameter declarations; importing Mesa (and NumPy, pandas, ...) made them take seconds.
Each case runs the command as a user does, under `python -X importtime`, and reads
which modules it imported.
"""

from __future__ import annotations

import sys

import pytest

from .processes import run_command

HEAVY = ("mesa", "numpy", "pandas", "clustersim.model")


def imported(*args: str) -> tuple[set[str], str]:
    """The modules `python -m clustersim ARGS` imports, and its stdout."""
    command = [sys.executable, "-X", "importtime", "-m", "clustersim", *args]
    result = run_command(command, timeout=120)
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "clustersim.cli" in modules, result.stderr[-2000:]
    return modules, result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["validate", "configs/start_subsidy.toml"],
        ["validate", "no/such/config.toml"],  # a refused config too
        ["params"],
        ["params", "--toml"],
    ],
    ids=" ".join,
)
def test_quick_commands_do_not_import_mesa_or_the_model(args: list[str]) -> None:
    modules, _ = imported(*args)
    assert not [name for name in HEAVY if name in modules]


def test_version_is_the_installed_package_version() -> None:
    from importlib.metadata import version

    _, stdout = imported("--version")
    assert stdout == f"clustersim {version('clustersim')}\n"


def test_the_package_loads_its_public_names_on_first_use() -> None:
    command = [
        sys.executable,
        "-c",
        "import sys, clustersim\n"
        "assert 'mesa' not in sys.modules\n"
        "from clustersim import ClusterModel, Parameters, ParameterError\n"
        "assert 'mesa' in sys.modules and ClusterModel.__module__ == 'clustersim.model'\n"
        "assert {'ClusterModel', '__version__'} <= set(dir(clustersim))\n",
    ]
    result = run_command(command, timeout=120)
    assert result.returncode == 0, result.stderr
