"""Scenario presets: every config file under `configs/`, ready to pick in the dashboard.

A preset is a validated config (see `clustersim.config`). Files that fail to load are
not dropped silently: their one-line errors are kept so the dashboard can show them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clustersim.config import ConfigError, load_config
from clustersim.parameters import Parameters

CONFIG_ENV = "CLUSTERSIM_DASHBOARD_CONFIG"  # the --config file, passed to the app process
DEFAULTS_LABEL = "defaults"
# Folders under configs/ that are not scenarios to show a class: the alternative
# submodels that validation tests against. `--config` still starts from one of them.
NOT_PRESETS = ("validation",)


@dataclass(frozen=True)
class Preset:
    """A named parameter set to start a run from."""

    label: str  # how the picker shows it: its path under configs/, without .toml
    name: str
    description: str
    parameters: Parameters
    path: Path | None = None  # None for the built-in defaults


@dataclass(frozen=True)
class Presets:
    """The presets on offer, in picker order, and the files that could not be loaded."""

    presets: dict[str, Preset]
    problems: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        return list(self.presets)

    def __getitem__(self, label: str) -> Preset:
        return self.presets[label]

    def first(self) -> Preset:
        return next(iter(self.presets.values()))

    def label_for(self, path: Path) -> str | None:
        """The label of the preset read from `path`, if it is one of these."""
        wanted = path.resolve()
        for label, preset in self.presets.items():
            if preset.path is not None and preset.path.resolve() == wanted:
                return label
        return None


def default_folder() -> Path:
    """`configs/` in the working folder, else the one beside the package (a source checkout)."""
    here = Path.cwd() / "configs"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "configs"


def load_presets(folder: Path | None = None, extra: Path | None = None) -> Presets:
    """Every `*.toml` in `folder` and its subfolders but `NOT_PRESETS`, baseline first; plus
    `extra` if given.

    With no loadable file at all, the parameter defaults are offered, so the dashboard
    still starts outside a checkout.
    """
    folder = default_folder() if folder is None else folder
    files = sorted(
        (p for p in folder.rglob("*.toml") if p.relative_to(folder).parts[0] not in NOT_PRESETS),
        key=lambda p: _order(p.relative_to(folder)),
    )
    presets: dict[str, Preset] = {}
    problems: list[str] = []
    for path in files:
        label = path.relative_to(folder).with_suffix("").as_posix()
        try:
            presets[label] = _preset(label, path)
        except ConfigError as exc:
            problems.append(str(exc))
    if extra is not None and Presets(presets).label_for(extra) is None:
        label = extra.stem if extra.stem not in presets else extra.as_posix()
        try:
            presets[label] = _preset(label, extra)
        except ConfigError as exc:
            problems.append(str(exc))
    if not presets:
        presets[DEFAULTS_LABEL] = Preset(
            DEFAULTS_LABEL, DEFAULTS_LABEL, "Every parameter at its default.", Parameters()
        )
    return Presets(presets, tuple(problems))


def configured_start() -> Path | None:
    """The config file `clustersim dashboard --config` asked to start from, if any."""
    value = os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def _preset(label: str, path: Path) -> Preset:
    config = load_config(path)
    return Preset(label, config.name, config.description, config.parameters, path)


def _order(relative: Path) -> tuple[int, int, str]:
    """Baseline first, then top-level scenarios, then subfolders; alphabetical within."""
    return (relative.stem != "baseline", len(relative.parts), relative.as_posix())
