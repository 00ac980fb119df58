"""The organisations: SMEs, knowledge institutions and government.

Their state lives in `Population`, a set of numpy arrays indexed by organisation,
because every step reads and writes it for all organisations at once. The Mesa
agents (`SME`, `KnowledgeInstitution`, `Government`) give each organisation its
identity, its place in Mesa's space and a readable view of its row, so Mesa's tools
and the dashboard can work with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

import mesa
import numpy as np

from clustersim import culture, motives, portable, region
from clustersim.parameters import Parameters

EXPERTISE_AREAS = 5  # assumption: a handful of ICT specialisms


class Regime(IntEnum):
    """000: the three regimes collaboration crosses."""

    COMMERCIAL = 0
    NON_PROFIT = 1
    PUBLIC = 2


# Each regime's organisation type, as the tables name it.
TYPE_NAMES = {
    Regime.COMMERCIAL: "sme",
    Regime.NON_PROFIT: "knowledge_institution",
    Regime.PUBLIC: "government",
}

# Assumption: institutions' headcounts; they only size markers on the map.
INSTITUTION_EMPLOYEES = {Regime.NON_PROFIT: 500.0, Regime.PUBLIC: 200.0}


@dataclass
class Population:
    """Per-organisation state as arrays; row i is organisation i."""

    regime: np.ndarray  # Regime codes
    position_km: np.ndarray  # (n, 2)
    employees: np.ndarray
    sector: np.ndarray  # -1 for institutions
    stage: np.ndarray  # value-chain stage, -1 for institutions
    culture: np.ndarray  # (n, 6) in [0, 1]
    motives: np.ndarray  # (n, 8) bool
    ambition: np.ndarray  # [0, 1]
    knowledge: np.ndarray  # ICT base knowledge / absorptive capacity, [0, 1]
    expertise: np.ndarray  # (n, EXPERTISE_AREAS), rows sum to 1
    leadership: np.ndarray  # propensity to lead, [0, 1]
    capacity_hours: np.ndarray  # collaboration time per month
    hours_per_membership: float  # what each partnership takes of it
    cash_eur: np.ndarray  # collaboration reserve
    cash_ceiling_eur: np.ndarray
    income_eur: np.ndarray  # monthly inflow into the reserve
    experience: np.ndarray  # completed partnerships
    memberships: np.ndarray  # active partnerships each belongs to, kept by membership.Roster
    ever_member: np.ndarray  # bool
    admin_hours: np.ndarray  # monthly reporting hours for subsidised partnerships

    def __len__(self) -> int:
        return len(self.regime)

    @property
    def hours_used(self) -> np.ndarray:
        """Monthly hours given to partnerships: every membership takes the same, and a
        subsidised one its reporting too (003 Box 3)."""
        return self.memberships * self.hours_per_membership + self.admin_hours

    def free_hours(self, rows: np.ndarray | slice | int = slice(None)) -> np.ndarray:
        """Monthly hours not yet given to partnerships; `rows` keeps per-initiator work O(known)."""
        used = self.memberships[rows] * self.hours_per_membership + self.admin_hours[rows]
        return self.capacity_hours[rows] - used

    @cached_property
    def competitor_keys(self) -> np.ndarray:
        """Equal keys mark direct competitors: SMEs of one sector at one chain stage (003 §2.1).

        Institutions and government never compete, so each gets a key of its own.
        Sectors and stages never change, so the keys are computed once.
        """
        keys = -1 - np.arange(len(self), dtype=np.int64)
        firms = self.regime == Regime.COMMERCIAL
        keys[firms] = self.sector[firms] * (self.stage.max() + 1) + self.stage[firms]
        return keys

    @cached_property
    def competitor_key_list(self) -> list[int]:
        """`competitor_keys` as a list: faster to read one organisation at a time."""
        return self.competitor_keys.tolist()

    def experience_factor(self, scale: float, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Saturating effect of experience: 0 for novices, towards 1 for veterans."""
        return 1.0 - portable.exp(-self.experience[rows] / scale)


def generate_population(p: Parameters, rng: np.random.Generator) -> Population:
    """Draw the region's organisations; SMEs first, then institutions, then government.

    The draws are made in a fixed order (positions, sizes, niches, knowledge and
    leadership, culture, motives, ambition, expertise): the same seed, the same region.
    """
    n_sme, n_ki, n_gov = p.n_smes, p.n_knowledge_institutions, p.n_governments
    regimes = np.repeat(
        np.array([Regime.COMMERCIAL, Regime.NON_PROFIT, Regime.PUBLIC], dtype=np.int8),
        [n_sme, n_ki, n_gov],
    )
    is_sme = regimes == Regime.COMMERCIAL
    positions = _draw_positions(p, n_sme, n_ki + n_gov, rng)
    employees = _draw_employees(p, regimes, rng)
    sector, stage = _draw_niches(p, is_sme, rng)
    knowledge, leadership = _draw_knowledge_and_leadership(regimes, employees, rng)
    capacity = np.where(
        is_sme,
        np.minimum(p.owner_hours + employees * p.hours_per_employee, p.max_sme_hours),
        p.institution_hours,
    )
    if not p.mechanism_capacity:
        capacity = np.full(len(regimes), np.inf)  # hours never run out
    income = np.where(is_sme, employees * p.income_eur_per_employee, p.institution_income_eur)
    cash_ceiling = np.where(is_sme, employees * p.cash_eur_per_employee, 12 * income)
    n = len(regimes)
    return Population(
        regime=regimes,
        position_km=positions,
        employees=employees,
        sector=sector,
        stage=stage,
        culture=culture.draw_cultures(regimes, p.culture_sd, rng),
        motives=motives.draw_motives(n, rng),
        ambition=rng.beta(2, 2, n),
        knowledge=knowledge,
        expertise=portable.dirichlet_half(rng, EXPERTISE_AREAS, n),
        leadership=leadership,
        capacity_hours=capacity,
        hours_per_membership=p.hours_per_membership,
        cash_eur=cash_ceiling.copy(),
        cash_ceiling_eur=cash_ceiling,
        income_eur=income,
        experience=np.zeros(n, dtype=np.int64),
        memberships=np.zeros(n, dtype=np.int64),
        ever_member=np.zeros(n, dtype=bool),
        admin_hours=np.zeros(n),
    )


def _draw_positions(
    p: Parameters, n_smes: int, n_institutions: int, rng: np.random.Generator
) -> np.ndarray:
    """SMEs scattered around the centres; institutions and government in the centres."""
    centres = region.draw_centres(p.n_centres, p.region_km, rng)
    return np.vstack(
        [
            region.scatter_around(centres, n_smes, p.centre_spread_km, p.region_km, rng),
            region.place_in_centres(centres, n_institutions, p.region_km, rng),
        ]
    )


def _draw_employees(p: Parameters, regimes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed SME headcounts; institutions get a fixed size."""
    is_sme = regimes == Regime.COMMERCIAL
    employees = np.empty(len(regimes))
    # 003 fn. 1: small < 10, medium 10-100; SMEs stop at 250 employees.
    employees[is_sme] = np.clip(
        np.round(
            portable.lognormal(
                rng, portable.log(p.sme_median_employees), p.sme_employees_sigma, int(is_sme.sum())
            )
        ),
        1,
        250,
    )
    employees[regimes == Regime.NON_PROFIT] = INSTITUTION_EMPLOYEES[Regime.NON_PROFIT]
    employees[regimes == Regime.PUBLIC] = INSTITUTION_EMPLOYEES[Regime.PUBLIC]
    return employees


def _draw_niches(
    p: Parameters, is_sme: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each SME's sector and value-chain stage; -1 for institutions."""
    n_sme = int(is_sme.sum())
    sector = np.full(len(is_sme), -1, dtype=np.int64)
    stage = np.full(len(is_sme), -1, dtype=np.int64)
    sector[is_sme] = rng.integers(0, p.n_sectors, n_sme)
    stage[is_sme] = rng.integers(0, p.n_value_chain_stages, n_sme)
    return sector, stage


# Knowledge: institutions know most (003 §2.1), government least among institutions.
KNOWLEDGE_BETA = {Regime.COMMERCIAL: (2, 3), Regime.NON_PROFIT: (8, 2), Regime.PUBLIC: (3, 4)}


def _draw_knowledge_and_leadership(
    regimes: np.ndarray, employees: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Base knowledge by regime, and the propensity to lead, higher in larger firms."""
    knowledge = np.empty(len(regimes))
    leadership = np.empty(len(regimes))
    for reg, (a, b) in KNOWLEDGE_BETA.items():
        rows = regimes == reg
        knowledge[rows] = rng.beta(a, b, rows.sum())
        leadership[rows] = rng.beta(2, 4, rows.sum())
    # 003 §3.2.2: owners of larger firms know better what they want and have more time.
    firms = regimes == Regime.COMMERCIAL
    leadership[firms] = np.clip(leadership[firms] + 0.1 * portable.log10(employees[firms]), 0, 1)
    return knowledge, leadership


class Organisation(mesa.Agent):
    """One organisation: a Mesa agent whose state is row `index` of the population."""

    regime: Regime
    label: str

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _population(self) -> Population:
        return self.model.population

    @property
    def name(self) -> str:
        """Readable name for feeds and tooltips, e.g. 'SME 41'."""
        return f"{self.label} {self.index}"

    @property
    def employees(self) -> float:
        return float(self._population.employees[self.index])

    @property
    def culture(self) -> np.ndarray:
        return self._population.culture[self.index]

    @property
    def knowledge(self) -> float:
        return float(self._population.knowledge[self.index])

    @property
    def leadership(self) -> float:
        return float(self._population.leadership[self.index])

    @property
    def experience(self) -> int:
        return int(self._population.experience[self.index])

    @property
    def cash_eur(self) -> float:
        return float(self._population.cash_eur[self.index])

    @property
    def partnerships(self) -> list[int]:
        """Ids of the active partnerships this organisation belongs to."""
        return self.model.partnerships_of(self.index)


class SME(Organisation):
    """A small or medium-sized firm: commercial regime, sector and value-chain stage."""

    regime = Regime.COMMERCIAL
    label = "SME"

    @property
    def sector(self) -> int:
        return int(self._population.sector[self.index])

    @property
    def value_chain_stage(self) -> int:
        return int(self._population.stage[self.index])


class KnowledgeInstitution(Organisation):
    """A university or research institute: non-profit, high knowledge, never a competitor."""

    regime = Regime.NON_PROFIT
    label = "knowledge institution"


class Government(Organisation):
    """A municipality or regional government: public regime, may join partnerships."""

    regime = Regime.PUBLIC
    label = "government"


AGENT_CLASSES = {
    Regime.COMMERCIAL: SME,
    Regime.NON_PROFIT: KnowledgeInstitution,
    Regime.PUBLIC: Government,
}


def create_agents(model: mesa.Model, population: Population) -> list[Organisation]:
    """One Mesa agent per organisation, of its regime's class, in population order."""
    return [AGENT_CLASSES[Regime(r)](model, i) for i, r in enumerate(population.regime.tolist())]
