"""ClusterModel: SMEs, knowledge institutions and government forming partnerships.

Organisations sit in a region around business parks and town centres. Each month
some of them start a partnership: they score the organisations they know by
proximity, goals, ambition, shared experience, expertise, culture fit and trust,
and invite the best. Invitees join when the expected benefit outweighs the cost,
which is front-loaded and lowered by a start subsidy. Partnerships then work
towards milestones; results build trust, missed deadlines and free riders erode it.
Members leave when trust collapses, money runs out, patience for a result ends,
their time is needed elsewhere or a shock hits; a partnership with fewer than two
members dissolves, and its cause is recorded.

One step is one month. The state of all organisations lives in numpy arrays
(`Population`); the Mesa agents give them identity and a place in Mesa's space.

Each submodel is a function in the module of its concept: `formation` and
`acceptance`, `partnership` (founding, work, milestones, leader choice), `policy`
(payments), `leaving`, `culture` and `trust`. The model holds the state, runs the
submodels in the order of the ODD schedule (`step`), keeps the books (`membership`,
`records`) and is Mesa's face.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Sequence

import mesa
import numpy as np
import pandas as pd
from mesa.datacollection import DataCollector
from mesa.space import ContinuousSpace

from clustersim import formation, leaving
from clustersim.awareness import Awareness
from clustersim.culture import converge_partners
from clustersim.formation import Invitations
from clustersim.groups import members_end_to_end
from clustersim.membership import Roster
from clustersim.organisations import TYPE_NAMES, Organisation, create_agents, generate_population
from clustersim.parameters import Parameters, specs
from clustersim.partner_choice import PartnerScore
from clustersim.partnership import Cause, Partnership, choose_leader, found_partnership, work_month
from clustersim.policy import Policy, member_costs_eur, pay_costs
from clustersim.records import SERIES, Event, TieLog, month_statistics, partnership_table
from clustersim.region import neighbours_within
from clustersim.trust import TrustNetwork


class ClusterModel(mesa.Model):
    """Partnership formation and survival in a region; see the module docstring.

    Every model parameter (see `clustersim.parameters.Parameters`) is a keyword
    argument with its default, so Mesa's `batch_run`, `SolaraViz` and other tools
    can drive the model directly. Pass `seed` (or a numpy `rng`) for reproducibility.
    The submodels are functions in their concept modules; the model holds the state,
    runs them in the order of the ODD schedule and keeps the books.
    """

    def __init__(self, *, seed: int | None = None, rng=None, **parameters) -> None:
        super().__init__(seed=seed, rng=rng)
        self.p = Parameters(**parameters)
        self.policy = Policy.from_parameters(self.p)
        self.scorer = PartnerScore.from_parameters(self.p)
        self.population = generate_population(self.p, self.rng)
        self.space = ContinuousSpace(self.p.region_km, self.p.region_km, torus=False)
        self.organisations: list[Organisation] = create_agents(self, self.population)
        for agent in self.organisations:
            self.space.place_agent(agent, tuple(self.population.position_km[agent.index]))
        self.awareness = Awareness(
            neighbours_within(self.population.position_km, self.p.awareness_radius_km)
        )
        self.trust = TrustNetwork()
        self.partnerships: dict[int, Partnership] = {}
        # Those alive, in the order they formed: a step asks for them several times, and
        # scanning every partnership there ever was would grow with the months.
        self._active: dict[int, Partnership] = {}
        self.roster = Roster(self.population)
        self.ties = TieLog()
        self.events: list[Event] = []
        self._counts: Counter[str] = Counter()
        self.statistics: dict[str, float] = {}
        self.datacollector = DataCollector(model_reporters={key: _reporter(key) for key in SERIES})
        self._collect()
        self.running = True

    @property
    def month(self) -> int:
        """The current month: Mesa's step count (0 before the first step)."""
        return self.steps

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One month, in the order of the ODD document's schedule."""
        self._counts = Counter()
        self.replenish_reserves()
        self.hold_matchmaking()
        self.manage()
        self.work_on_milestones()
        costs, unable_to_pay = self.pay_costs()
        self.converge_cultures()
        self.decide_memberships(costs, unable_to_pay)
        self.complete_projects()
        self.form_partnerships()
        self._collect()
        self.running = self.month < self.p.months

    def replenish_reserves(self) -> None:
        """0. Each organisation puts its monthly income into its collaboration reserve, and
        books this month's reporting hours for its subsidised partnerships."""
        pop = self.population
        np.minimum(pop.cash_eur + pop.income_eur, pop.cash_ceiling_eur, out=pop.cash_eur)
        pop.admin_hours[:] = 0.0
        subsidised = [part for part in self.active_partnerships if part.subsidy_active(self.month)]
        if subsidised:
            idx, _, _ = members_end_to_end([part.members for part in subsidised])
            np.add.at(pop.admin_hours, idx, self.p.reporting_hours)

    def hold_matchmaking(self) -> None:
        """1. Government's matchmaking event widens who knows whom (002)."""
        if self.policy.matchmaking.due(self.month):
            made = self.policy.matchmaking.hold(
                len(self.population), self.awareness, self.p.mechanism_awareness, self.rng
            )
            self._tell("matchmaking", count=made)

    def manage(self) -> None:
        """2. A cluster manager serves the partnerships most in need and, with hours to
        spare, introduces organisations (004)."""
        manager = self.policy.manager
        if not manager.present:
            return
        parts = self.active_partnerships
        need = [(part.leader is not None, self.trust.mean_among(part.members)) for part in parts]
        manager.choose(parts, need)
        free = np.flatnonzero(self.population.free_hours() >= self.p.hours_per_membership)
        remember = self.p.mechanism_awareness and self.p.mechanism_manager
        served = sum(part.served for part in parts)
        made = manager.introduce(free, served, self.awareness, remember, self.rng)
        if made:
            self._tell("introductions", count=made)

    def form_partnerships(self) -> None:
        """9. Organisations with free time may start a partnership (`formation`); formed at
        the month's end, it works from the next month on."""
        for initiator in formation.initiators(self.population, self.p, self.rng).tolist():
            self._try_to_form(initiator)

    def _try_to_form(self, initiator: int) -> None:
        pop, p = self.population, self.p
        asked = formation.invite(
            initiator,
            self.roster.partners_of(initiator),
            population=pop,
            awareness=self.awareness,
            trust=self.trust,
            scorer=self.scorer,
            policy=self.policy,
            p=p,
            rng=self.rng,
        )
        if asked is None:
            return
        admitted = formation.admitted(asked.members, pop, p, self.policy)
        pid = self.found(asked).id if admitted else -1
        self.ties.add(self.month, asked, pid)

    def found(self, asked: Invitations) -> Partnership:
        """`asked`'s members found a partnership this month; it is enrolled."""
        members = asked.members
        part = found_partnership(
            len(self.partnerships) + 1,
            asked,
            self.month,
            population=self.population,
            awareness=self.awareness,
            trust=self.trust,
            p=self.p,
            policy=self.policy,
            rng=self.rng,
        )
        self.partnerships[part.id] = part
        self._active[part.id] = part
        self.roster.enrol(part, self.month)
        if part.subsidised:  # its reporting hours are spoken for from now on
            self.population.admin_hours[members] += self.p.reporting_hours
        self._counts["formed"] += 1
        self._tell("formed", part.id, members, subsidised=part.subsidised)
        return part

    def work_on_milestones(self) -> None:
        """3. Each partnership makes progress; results build trust, missed deadlines erode it."""
        results = work_month(
            self.active_partnerships,
            self.month,
            population=self.population,
            trust=self.trust,
            p=self.p,
            policy=self.policy,
            rng=self.rng,
        )
        for part, reached in results:
            if reached is None:
                self._tell("missed", part.id)
            elif reached.quick_win:
                self._tell("quick_win", part.id)
            else:
                self._tell("milestone", part.id, count=part.main_milestones_reached)

    def pay_costs(self) -> tuple[list[float], set[tuple[int, int]]]:
        """4. Members pay their monthly share; returns each partnership's cost per member as
        members judge it, and the (partnership, member) pairs that could not pay."""
        parts, month = self.active_partnerships, self.month
        claiming = [part.subsidy_active(month) for part in parts]
        costs = member_costs_eur(parts, self.p, self.policy, month)
        for part, claimed in zip(parts, claiming, strict=True):
            if claimed and not part.subsidy_active(month + 1):
                self._tell("subsidy_ended", part.id)
        return costs.judged_eur, pay_costs(self.population.cash_eur, parts, costs.paid_eur)

    def converge_cultures(self) -> None:
        """5. Partners' cultures drift slowly towards their partnership's mean."""
        if self.p.culture_convergence:
            groups = [part.members for part in self.active_partnerships]
            converge_partners(self.population.culture, groups, self.p.culture_convergence)

    def decide_memberships(
        self, costs_eur: list[float], unable_to_pay: set[tuple[int, int]]
    ) -> None:
        """6. Each member stays or leaves for the first reason that applies; then dissolutions."""
        parts = self.active_partnerships
        if not parts:
            return
        decisions = leaving.departures(
            parts,
            month=self.month,
            population=self.population,
            trust=self.trust,
            p=self.p,
            costs_eur=costs_eur,
            unable_to_pay=unable_to_pay,
            rng=self.rng,
        )
        for k, part in enumerate(parts):
            if decisions.anyone[k]:
                self._depart(part, decisions.leavers(k))

    def _depart(self, part: Partnership, leavers: list[tuple[int, Cause]]) -> None:
        """Members leave; the partnership dissolves, or finds a new leader if its left."""
        leader_cause = next((cause for m, cause in leavers if m == part.leader), None)
        for member, cause in leavers:
            self.roster.leave(part, member, self.month, cause)
            self._tell("member_left", part.id, [member], cause=cause)
        if leader_cause is not None and part.members:
            self._replace_leader(part)
        held = part.served and self.p.mechanism_manager  # a manager keeps it going
        champion_lost = (
            leader_cause
            if part.leader is None and leader_cause and self.p.mechanism_leadership and not held
            else None
        )
        admitted = formation.admitted(part.members, self.population, self.p, self.policy)
        cause = leaving.dissolution_cause(part, [c for _, c in leavers], admitted, champion_lost)
        if cause is not None:
            self._dissolve(part, cause)

    def complete_projects(self) -> None:
        """7. A project capped at `project_months` ends complete: not a failure (003 §3.2.2)."""
        months = self.p.project_months
        if not months:
            return
        for part in self.active_partnerships:
            if self.month - part.formed_month >= months:
                self._end(part, Cause.COMPLETED, Cause.COMPLETED)
                self._tell("completed", part.id, count=months)

    # ------------------------------------------------------------ bookkeeping
    def _replace_leader(self, part: Partnership) -> None:
        part.leader = choose_leader(
            part.members, self.population.leadership, self.p.leader_threshold
        )
        if part.leader is None:
            self._tell("leader_lost", part.id)

    def _dissolve(self, part: Partnership, cause: Cause) -> None:
        self._end(part, cause, Cause.DISSOLVED)
        self._counts[f"dissolved_{cause}"] += 1
        self._tell("dissolved", part.id, cause=cause)

    def _end(self, part: Partnership, cause: Cause, members_reason: Cause) -> None:
        part.size_at_end = part.size
        for member in list(part.members):
            self.roster.leave(part, member, self.month, members_reason)
        part.ended_month = self.month
        del self._active[part.id]
        part.cause = cause

    def _tell(
        self, kind: str, partnership: int = -1, organisations: Sequence[int] = (), **details
    ) -> None:
        names = tuple(self.organisations[i].name for i in organisations)
        event = Event(self.month, kind, partnership, tuple(organisations), names, **details)
        self.events.append(event)

    # ------------------------------------------------------------ Mesa face
    def partnerships_of(self, organisation: int) -> list[int]:
        """Ids of the active partnerships an organisation belongs to."""
        return self.roster.partnerships_of(organisation)

    @property
    def active_partnerships(self) -> list[Partnership]:
        """The partnerships alive now, in the order they formed."""
        return list(self._active.values())

    def _collect(self) -> None:
        self.statistics = month_statistics(
            self.active_partnerships,
            self._counts,
            self.population,
            self.trust,
            self.policy,
            self.month,
        )
        self.datacollector.collect(self)

    def series(self) -> pd.DataFrame:
        """Model-level time series, one row per month (month 0 is the initial state)."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "month", np.arange(len(frame)))
        return frame

    def partnership_table(self) -> pd.DataFrame:
        """One row per partnership; those alive now are censored at this month."""
        return partnership_table(self.partnerships.values(), self.month, TYPE_NAMES.values())

    def tie_table(self) -> pd.DataFrame:
        """One row per invitation, with its score terms and decisive factor."""
        return self.ties.table()

    def membership_table(self) -> pd.DataFrame:
        """One row per membership: who joined which partnership, when, and why they left."""
        return self.roster.log.table()


def _reporter(key: str):
    return lambda model: model.statistics[key]


def _signature() -> inspect.Signature:
    """Expose every parameter as a real keyword argument, for introspecting tools."""
    params = [
        inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=f.default)
        for name, (f, _) in specs().items()
    ]
    return inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *params]
    )


ClusterModel.__init__.__signature__ = _signature()
