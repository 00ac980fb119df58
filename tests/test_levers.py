"""Every policy lever changes the outcome when switched on, with the same seed."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from clustersim.config import load_config

from .conftest import SMALL, run_model

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PACKAGE = Path(__file__).resolve().parent.parent / "clustersim"

LEVERS = {
    "start subsidy": {"subsidy_share": 0.5},
    "participant cap": {"participant_cap": 3},
    "quick-win milestone": {"quick_win": True},
    "matchmaking": {"matchmaking": True},
    "cluster manager": {"cluster_manager_hours": 40.0},
}
SUBSIDY = {"subsidy_share": 0.5, "subsidy_min_firms": 2}
SUBSIDY_VARIANTS = {
    "admin burden": {**SUBSIDY, "application_hours": 200.0, "reporting_hours": 20.0},
    "short subsidy": {**SUBSIDY, "subsidy_months": 6},
    "small budget": {**SUBSIDY, "subsidy_budget_eur": 20_000.0},
}


def _outcome(**params) -> pd.DataFrame:
    return run_model(months=60, seed=21, **params).partnership_table()


@pytest.mark.parametrize("lever", LEVERS)
def test_switching_a_lever_on_changes_the_outcome(lever):
    assert not _outcome().equals(_outcome(**LEVERS[lever]))


@pytest.mark.parametrize("variant", SUBSIDY_VARIANTS)
def test_subsidy_design_levers_change_the_outcome(variant):
    assert not _outcome(**SUBSIDY).equals(_outcome(**SUBSIDY_VARIANTS[variant]))


@pytest.mark.parametrize(
    "name",
    ["start_subsidy", "participant_cap", "quick_win", "matchmaking", "cluster_manager", "combined"],
)
def test_every_scenario_file_differs_from_baseline(name):
    """In a small region a lever may not bind in every run (a cap of four when no
    initiator knows more than four free candidates), so two seeds are tried."""
    baseline = load_config(CONFIGS / "baseline.toml").parameters
    scenario = load_config(CONFIGS / f"{name}.toml").parameters

    def table(params, seed):
        overrides = {**params.as_dict(), **SMALL, "months": 72}
        return run_model(seed=seed, **overrides).partnership_table()

    assert any(not table(baseline, seed).equals(table(scenario, seed)) for seed in (2, 3))


def test_a_subsidy_is_spent_and_reaches_partnerships():
    m = run_model(months=60, seed=21, **SUBSIDY)
    table = m.partnership_table()
    assert table["subsidised"].any()
    assert table["subsidy_eur"].sum() == pytest.approx(m.policy.subsidy.spent_eur)


# --- no policy flag multiplies an outcome ----------------------------------------------
#
# Issue 13: the old model multiplied a subsidised partnership's progress by
# `1 - adverse_selection` and a managed one's progress and trust gain by `1 + boost`, so
# the policies' effects were written into the code rather than produced by mechanisms.
# The check below reads clustersim/*.py and finds a policy parameter or a policy flag
# used directly as a factor of progress, a rate, trust, its gains and losses, patience
# or survival: in a product or quotient assigned to such a name (also `*=` and `/=`, and
# `+=` of such a product), returned by a function named for one, or passed to one, or in
# `*=` under an `if` on a policy flag, or as `x * (a if <policy flag> else b)`. A policy
# may still change an outcome through a mechanism's inputs: who coordinates, the price
# members weigh, the hours they have, whom they know.

POLICY_GROUPS = ("subsidy", "participant_cap", "quick_win", "matchmaking", "cluster_manager")
# A policy's state on a partnership, or a policy object.
POLICY_ATTRIBUTES = frozenset(
    {"subsidised", "served", "managed", "subsidy_active", "subsidy", "manager", "matchmaking"}
)
# Pieces of a name that say it carries a policy lever's value (`manager_boost`).
LEVER_WORDS = ("subsid", "manager", "managed", "matchmak", "quick_win", "boost", "participant")
OUTCOME_WORDS = frozenset(
    {"progress", "rate", "trust", "gain", "loss", "patience", "survival", "hazard"}
)
OUTCOME_CALLS = frozenset({"reinforce", "disappoint"})


def policy_names() -> frozenset[str]:
    from clustersim.parameters import specs

    return frozenset(name for name, (_, spec) in specs().items() if spec.group in POLICY_GROUPS)


def _identifier(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _identifier(node.value)
    return None


def _is_outcome(name: str | None) -> bool:
    return name is not None and bool(OUTCOME_WORDS & set(name.lower().split("_")))


def _is_outcome_call(name: str | None) -> bool:
    parts = set((name or "").lower().split("_"))
    return bool((OUTCOME_WORDS | OUTCOME_CALLS) & parts)


class _PolicyFactors(ast.NodeVisitor):
    """Collects (line, what) for each place a policy value multiplies an outcome."""

    def __init__(self, policy: frozenset[str]) -> None:
        self.policy = policy
        self.found: list[tuple[int, str]] = []
        self.tainted: set[str] = set()
        self.guards: list[bool] = []  # whether each enclosing `if` tests a policy value
        self.function: list[str] = []

    # -- what counts as a policy value
    def _policy_name(self, name: str) -> bool:
        if name.startswith("mechanism_"):
            return False  # an ablation switch, not a policy
        lowered = name.lower()
        return (
            name in self.policy
            or name in POLICY_ATTRIBUTES
            or name in self.tainted
            or any(word in lowered for word in LEVER_WORDS)
        )

    def mentions_policy(self, node: ast.AST) -> bool:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and self._policy_name(sub.id):
                return True
            if isinstance(sub, ast.Attribute) and self._policy_name(sub.attr):
                return True
        return False

    def _factors(self, node: ast.AST) -> list[ast.AST]:
        """The factors of a product or quotient, flattened; [] if `node` is neither."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            return [
                *(self._factors(node.left) or [node.left]),
                *(self._factors(node.right) or [node.right]),
            ]
        return []

    def policy_factor(self, node: ast.AST) -> bool:
        """Whether some product inside `node` has a factor that carries a policy value."""
        for sub in ast.walk(node):
            for factor in self._factors(sub):
                if isinstance(factor, ast.IfExp) and self.mentions_policy(factor.test):
                    return True
                if self.mentions_policy(factor):
                    return True
        return False

    # -- where an outcome is made
    def _flag(self, node: ast.AST, what: str) -> None:
        self.found.append((node.lineno, what))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer = set(self.tainted)
        self.function.append(node.name)
        # a function's own arguments may carry a policy value by name (`manager_boost`)
        for arg in [*node.args.args, *node.args.kwonlyargs]:
            if self._policy_name(arg.arg):
                self.tainted.add(arg.arg)
        self._taint_locals(node)
        self.generic_visit(node)
        self.function.pop()
        self.tainted = outer

    def _taint_locals(self, node: ast.AST) -> None:
        """Local names assigned from a policy value carry it too (to a fixed point)."""
        changed = True
        while changed:
            changed = False
            for sub in ast.walk(node):
                if isinstance(sub, ast.Assign) and self.mentions_policy(sub.value):
                    for target in sub.targets:
                        name = _identifier(target)
                        if isinstance(target, ast.Name) and name not in self.tainted:
                            self.tainted.add(name)
                            changed = True

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        self.guards.append(self.mentions_policy(node.test))
        for statement in node.body:
            self.visit(statement)
        self.guards.pop()
        self.guards.append(False)
        for statement in node.orelse:
            self.visit(statement)
        self.guards.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if _is_outcome(_identifier(target)) and self.policy_factor(node.value):
                self._flag(node, f"{_identifier(target)} = a product with a policy factor")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        name = _identifier(node.target)
        if node.value is not None and _is_outcome(name) and self.policy_factor(node.value):
            self._flag(node, f"{name} = a product with a policy factor")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        name = _identifier(node.target)
        if _is_outcome(name):
            scaling = isinstance(node.op, ast.Mult | ast.Div)
            if scaling and (self.mentions_policy(node.value) or any(self.guards)):
                self._flag(node, f"{name} scaled by a policy value")
            elif self.policy_factor(node.value):
                self._flag(node, f"{name} changed by a product with a policy factor")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        function = self.function[-1] if self.function else None
        if node.value is not None and _is_outcome(function) and self.policy_factor(node.value):
            self._flag(node, f"{function} returns a product with a policy factor")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_outcome_call(_identifier(node.func)):
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if any(self.policy_factor(a) for a in arguments):
                self._flag(node, f"{_identifier(node.func)}() given a product with a policy factor")
        for keyword in node.keywords:
            if _is_outcome(keyword.arg) and self.policy_factor(keyword.value):
                self._flag(node, f"{keyword.arg}= a product with a policy factor")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mult | ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.IfExp) and self.mentions_policy(side.test):
                    self._flag(node, "a factor chosen by a policy flag")
        self.generic_visit(node)


def policy_factors(source: str, policy: frozenset[str] | None = None) -> list[tuple[int, str]]:
    """Where `source` multiplies an outcome by a policy value: (line, what), sorted."""
    checker = _PolicyFactors(policy_names() if policy is None else policy)
    checker.visit(ast.parse(source))
    return sorted(set(checker.found))


OLD_PROGRESS = """
def progress_rate(p, *, size, leadership, mean_trust, manager_boost, subsidised):
    rate = p.base_progress * (0.5 + 0.5 * leadership) * (0.4 + 0.6 * mean_trust)
    rate *= 1.0 + manager_boost  # 0 unless a cluster manager serves it
    if subsidised:
        rate *= 1.0 - p.adverse_selection
    return rate
"""
OLD_TRUST_GAIN = """
def work_month(parts, month, *, population, trust, p, policy, rng):
    manager_boost = policy.manager.boost_at(month)
    for part in parts:
        boost = manager_boost if part.managed else 0.0
        gain = p.trust_gain * (1.0 + boost)
        trust.reinforce_among(part.members, gain, population.keys, p.competitor_drag)
"""
OTHER_PATTERNS = {
    "progress by a flag": "part.progress += rate * (0.8 if part.subsidised else 1.0)\n",
    "a lever's parameter": "patience = p.patience_months * (1.0 + 0.1 * p.quick_win_steps)\n",
    "a product passed on": "trust.reinforce(a, b, p.trust_gain * (1 + p.cluster_manager_hours))\n",
    "a returned product": "def survival(p, part):\n    return p.base * (1 - 0.2 * part.served)\n",
    "a keyword": "work(progress=rate * p.subsidy_share)\n",
}
ALLOWED = {
    "a price": "cost = p.preparation_cost_eur * (1.0 - subsidy.share)\n",
    "who coordinates": "leadership = np.maximum(led, p.cluster_manager_leadership)\n",
    "an ablation switch": "drag = p.coordination_drag if p.mechanism_coordination else 0.0\n",
    "a mechanism's input": "rate = p.base_progress * (0.5 + 0.5 * leadership)\n",
}


def test_the_check_catches_the_old_policy_multipliers():
    assert policy_factors(OLD_PROGRESS) == [
        (4, "rate scaled by a policy value"),
        (6, "rate scaled by a policy value"),
    ]
    assert policy_factors(OLD_TRUST_GAIN) == [(6, "gain = a product with a policy factor")]
    # were adverse_selection a subsidy parameter again, using it alone would be caught too
    alone = "rate *= 1.0 - p.adverse_selection\n"
    assert policy_factors(alone) == []  # not a policy parameter today
    assert policy_factors(alone, policy_names() | {"adverse_selection"}) == [
        (1, "rate scaled by a policy value")
    ]


@pytest.mark.parametrize("pattern", OTHER_PATTERNS)
def test_the_check_catches_other_ways_to_write_a_policy_multiplier(pattern):
    assert policy_factors(OTHER_PATTERNS[pattern])


@pytest.mark.parametrize("pattern", ALLOWED)
def test_the_check_lets_a_policy_act_through_a_mechanism(pattern):
    assert policy_factors(ALLOWED[pattern]) == []


def test_no_parameter_multiplies_progress_trust_or_survival_by_a_policy_flag_alone():
    modules = sorted(PACKAGE.glob("*.py"))
    assert {"partnership.py", "leaving.py", "trust.py", "policy.py"} <= {m.name for m in modules}
    found = {
        f"{module.name}:{line}: {what}"
        for module in modules
        for line, what in policy_factors(module.read_text(encoding="utf-8"))
    }
    assert not found, "a policy multiplies an outcome directly:\n" + "\n".join(sorted(found))
