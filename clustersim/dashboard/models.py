"""The models the dashboard steps: one scenario, or two side by side.

Both also take a reactive scenario (its value is used), as Mesa's SolaraViz passes it.
"""

from __future__ import annotations

import mesa
import solara

from clustersim.dashboard.scenario import Scenario, ScenarioPair
from clustersim.model import ClusterModel


class ScenarioModel(ClusterModel):
    """A ClusterModel that knows which scenario (preset, changes, seed) it runs."""

    def __init__(self, scenario: Scenario | solara.Reactive[Scenario]) -> None:
        chosen = scenario.value if isinstance(scenario, solara.Reactive) else scenario
        super().__init__(**chosen.model_kwargs())
        self.scenario = chosen


class ComparisonModel(mesa.Model):
    """Two scenarios with the same seed, stepped together one month at a time."""

    def __init__(self, pair: ScenarioPair | solara.Reactive[ScenarioPair]) -> None:
        chosen = pair.value if isinstance(pair, solara.Reactive) else pair
        super().__init__(seed=chosen.seed)
        self.pair = chosen
        left, right = chosen.scenarios()
        self.left = ScenarioModel(left)
        self.right = ScenarioModel(right)
        self.running = True

    def step(self) -> None:
        for side in (self.left, self.right):
            if side.running:
                side.step()
        self.running = self.left.running or self.right.running
