"""What the dashboard runs: a preset, the values changed on top of it, and a seed.

Every change comes in through `Scenario.with_value` or `Scenario.with_seed`, which
validate it the way a config file is validated (`parameters.check_value`), so a bad
value is refused with a readable message before any model is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from clustersim.dashboard.labels import setting
from clustersim.dashboard.presets import Preset
from clustersim.parameters import Parameters, check_integer, check_value
from clustersim.resources import check_dashboard

SEED_RANGE = (0, 2**32 - 1)  # what numpy's and Python's generators both accept


def check_seed(seed: Any) -> int:
    """Return `seed` as an int, or raise ParameterError saying why it cannot be one."""
    return check_integer("seed", seed, *SEED_RANGE)


@dataclass(frozen=True)
class Scenario:
    """A preset plus the values changed on top of it, run with one seed."""

    preset: Preset
    seed: int = 1
    changes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parameters  # noqa: B018 -- a scenario that exists is valid: check it now

    @cached_property
    def parameters(self) -> Parameters:
        return self.preset.parameters.replace(**self.changes)

    def with_value(self, name: str, value: Any) -> Scenario:
        """This scenario with one parameter changed; ParameterError if the value is refused,
        also when the scenario is larger than the page can show or memory can hold."""
        value = check_value(name, value)
        changes = {k: v for k, v in self.changes.items() if k != name}
        if value != getattr(self.preset.parameters, name):
            changes[name] = value
        scenario = Scenario(self.preset, self.seed, changes)
        check_dashboard(scenario.parameters)  # a typed 200,000 SMEs must not reach a model
        return scenario

    def with_seed(self, seed: Any) -> Scenario:
        return Scenario(self.preset, check_seed(seed), self.changes)

    def with_preset(self, preset: Preset) -> Scenario:
        """Another preset, same seed; values changed on the old preset are dropped."""
        return Scenario(preset, self.seed)

    @property
    def title(self) -> str:
        """E.g. 'quick_win, start subsidy = 0.5 share of costs, seed 3'."""
        changed = [setting(name, value) for name, value in self.changes.items()]
        return ", ".join([self.preset.label, *changed, f"seed {self.seed}"])

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `ClusterModel`."""
        return {"seed": self.seed, **self.parameters.as_dict()}


@dataclass(frozen=True)
class ScenarioPair:
    """Two presets run with the same seed, for side-by-side comparison."""

    left: Preset
    right: Preset
    seed: int = 1

    def scenarios(self) -> tuple[Scenario, Scenario]:
        return Scenario(self.left, self.seed), Scenario(self.right, self.seed)

    def with_seed(self, seed: Any) -> ScenarioPair:
        return ScenarioPair(self.left, self.right, check_seed(seed))

    def with_side(self, side: str, preset: Preset) -> ScenarioPair:
        if side == "left":
            return ScenarioPair(preset, self.right, self.seed)
        return ScenarioPair(self.left, preset, self.seed)

    @property
    def title(self) -> str:
        return f"{self.left.label} vs {self.right.label}, seed {self.seed}"
