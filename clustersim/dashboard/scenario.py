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
    def name(self) -> str:
        """The preset and the values changed on it: 'baseline, manager hours = 40 h/month'."""
        return ", ".join([self.preset.label, *(setting(k, v) for k, v in self.changes.items())])

    @property
    def title(self) -> str:
        """E.g. 'quick_win, start subsidy = 0.5 share of costs, seed 3'."""
        return f"{self.name}, seed {self.seed}"

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `ClusterModel`."""
        return {"seed": self.seed, **self.parameters.as_dict()}


@dataclass(frozen=True)
class ScenarioPair:
    """Two scenarios run with one seed, for side-by-side comparison.

    A side is a preset, or a scenario brought over from the live page with its
    changed values; both sides always share the seed, so that differences come from
    the scenarios, not from chance.
    """

    left: Scenario
    right: Scenario

    def __post_init__(self) -> None:
        if self.left.seed != self.right.seed:
            raise ValueError(
                f"both sides run with one seed, not {self.left.seed} and {self.right.seed}"
            )

    @classmethod
    def of_presets(cls, left: Preset, right: Preset, seed: int = 1) -> ScenarioPair:
        return cls(Scenario(left, seed), Scenario(right, seed))

    @property
    def seed(self) -> int:
        return self.left.seed

    def scenarios(self) -> tuple[Scenario, Scenario]:
        return self.left, self.right

    def with_seed(self, seed: Any) -> ScenarioPair:
        return ScenarioPair(self.left.with_seed(seed), self.right.with_seed(seed))

    def with_side(self, side: str, preset: Preset) -> ScenarioPair:
        """`preset` on one side ('left' or 'right'), with this pair's seed."""
        return self.with_scenario(side, Scenario(preset, self.seed))

    def with_scenario(self, side: str, scenario: Scenario) -> ScenarioPair:
        """`scenario` on one side ('left' or 'right'); its seed becomes both sides' seed."""
        if side == "left":
            return ScenarioPair(scenario, self.right.with_seed(scenario.seed))
        return ScenarioPair(self.left.with_seed(scenario.seed), scenario)

    def side(self, side: str) -> Scenario:
        return self.left if side == "left" else self.right

    @property
    def title(self) -> str:
        return f"{self.left.name} vs {self.right.name}, seed {self.seed}"
