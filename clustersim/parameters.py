"""Every model parameter, with its default, unit, valid range and source.

This module is the single place where parameters are declared. The config loader
validates TOML files against it, `ClusterModel` takes its fields as keyword
arguments, and the ODD document's parameter table is generated from it, so the
three can never disagree.

Sources are cited by the digest's file numbers (000-004, see
`../shared/domain/SEED_DIGEST.md`). "assumption" marks a value chosen by us
where the sources give no figure; the ODD document says why.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from clustersim.formatting import number

GROUPS = (
    "run",
    "population",
    "region",
    "capacity",
    "partner_choice",
    "formation",
    "work",
    "trust",
    "culture",
    "leaving",
    "subsidy",
    "participant_cap",
    "quick_win",
    "matchmaking",
    "cluster_manager",
    "mechanisms",
)


@dataclass(frozen=True)
class Spec:
    """What a parameter means: its unit, closed range, config group and source."""

    unit: str
    low: float
    high: float
    group: str
    source: str
    doc: str


def _param(default: Any, unit: str, low: float, high: float, group: str, source: str, doc: str):
    assert group in GROUPS, group
    return field(default=default, metadata={"spec": Spec(unit, low, high, group, source, doc)})


@dataclass(frozen=True)
class Parameters:
    """The full, validated parameter set of one model run."""

    # --- run -------------------------------------------------------------------------
    months: int = _param(
        120,
        "months",
        1,
        1200,
        "run",
        "MODEL.md: one step = one month, 10-year horizon",
        "Horizon of a run; partnerships alive then are censored.",
    )

    # --- population ------------------------------------------------------------------
    n_smes: int = _param(
        300,
        "organisations",
        0,
        200_000,
        "population",
        "assumption: a metropolitan ICT SME population, scaled for fast runs",
        "Number of SMEs.",
    )
    n_knowledge_institutions: int = _param(
        8,
        "organisations",
        0,
        10_000,
        "population",
        "003 §2.1: knowledge institutions belong to a cluster",
        "Number of universities and research institutes.",
    )
    n_governments: int = _param(
        3,
        "organisations",
        0,
        10_000,
        "population",
        "000: public regime (municipality, region)",
        "Number of government organisations that may join partnerships.",
    )
    sme_median_employees: float = _param(
        8.0,
        "employees",
        1.0,
        250.0,
        "population",
        "003 fn. 1 (CBS): most SMEs are small (< 10 employees)",
        "Median of the log-normal SME size distribution.",
    )
    sme_employees_sigma: float = _param(
        1.0,
        "log-employees",
        0.0,
        3.0,
        "population",
        "assumption: heavy-tailed firm sizes, ~1% above 100 employees",
        "Spread of log employees.",
    )
    n_sectors: int = _param(
        3,
        "sectors",
        1,
        50,
        "population",
        "003 §2.1: horizontal collaboration is within a sector",
        "Number of sectors; SMEs in one sector at one chain stage are direct competitors.",
    )
    n_value_chain_stages: int = _param(
        4,
        "stages",
        1,
        20,
        "population",
        "003 §2.1: vertical collaboration spans stages of one value chain",
        "Number of value-chain stages.",
    )

    # --- region ----------------------------------------------------------------------
    region_km: float = _param(
        50.0,
        "km",
        1.0,
        2000.0,
        "region",
        "MODEL.md: a metropolitan region of about 50 x 50 km",
        "Side of the square region.",
    )
    n_centres: int = _param(
        5,
        "centres",
        1,
        10_000,
        "region",
        "MODEL.md: organisations cluster around business parks and town centres",
        "Number of business parks / town centres.",
    )
    centre_spread_km: float = _param(
        3.0,
        "km",
        0.1,
        500.0,
        "region",
        "assumption: a business park is a few km across",
        "Standard deviation of SME locations around their centre.",
    )
    awareness_radius_km: float = _param(
        2.0,
        "km",
        0.0,
        2000.0,
        "region",
        "003 §3.6.2: most small firms only know their literal neighbours",
        "Organisations within this distance know each other from the start.",
    )

    # --- capacity --------------------------------------------------------------------
    owner_hours: float = _param(
        5.84,
        "h/month",
        0.0,
        160.0,
        "capacity",
        "calibrated, see docs/validation.md "
        "(003 §3.2.2: small firms under-represented, not absent)",
        "Collaboration time every SME has through its owner, before its employees' time.",
    )
    hours_per_employee: float = _param(
        1.5,
        "h/employee/month",
        0.0,
        160.0,
        "capacity",
        "003 §3.2.2: firms under 15-20 employees lack capacity",
        "Collaboration time an SME can give per employee.",
    )
    max_sme_hours: float = _param(
        48.0,
        "h/month",
        0.0,
        10_000.0,
        "capacity",
        "assumption: even large SMEs commit a few people part-time",
        "Upper bound on an SME's collaboration time.",
    )
    institution_hours: float = _param(
        60.0,
        "h/month",
        0.0,
        10_000.0,
        "capacity",
        "assumption: a liaison office serves several projects",
        "Collaboration time of a knowledge institution or government body.",
    )
    hours_per_membership: float = _param(
        22.8,
        "h/month",
        0.5,
        1000.0,
        "capacity",
        "calibrated, see docs/validation.md (about 3 person-days a month per project)",
        "Time one partnership takes from each member.",
    )
    cash_eur_per_employee: float = _param(
        1500.0,
        "EUR/employee",
        0.0,
        1e7,
        "capacity",
        "assumption: a small reserve for non-core projects",
        "SME collaboration reserve at the start, and its ceiling.",
    )
    income_eur_per_employee: float = _param(
        60.0,
        "EUR/employee/month",
        0.0,
        1e6,
        "capacity",
        "assumption",
        "What an SME can put into its collaboration reserve each month.",
    )
    institution_income_eur: float = _param(
        10_000.0,
        "EUR/month",
        0.0,
        1e9,
        "capacity",
        "assumption: institutions have a project budget",
        "Monthly collaboration budget of institutions and government.",
    )

    # --- partner choice --------------------------------------------------------------
    weight_proximity: float = _param(
        0.598,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "calibrated, see docs/validation.md (decisive in 32.5 % of choices, 001 phase 4)",
        "Weight of geographic proximity in the partner score.",
    )
    weight_goals: float = _param(
        0.612,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "calibrated, see docs/validation.md (decisive in 24.9 % of choices, 001 phase 4)",
        "Weight of matching goals (motive profiles).",
    )
    weight_ambition: float = _param(
        0.446,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "calibrated, see docs/validation.md (decisive in 21.9 % of choices, 001 phase 4)",
        "Weight of matching ambition.",
    )
    weight_experience: float = _param(
        0.578,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "calibrated, see docs/validation.md (decisive in 10.6 % of choices, 001 phase 4)",
        "Weight of previous experience with the candidate.",
    )
    weight_expertise: float = _param(
        1.0,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "calibrated, see docs/validation.md (decisive in 10.2 % of choices, 001 phase 4)",
        "Weight of the candidate's complementary expertise.",
    )
    weight_culture: float = _param(
        0.10,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "001: 'the soft factors count too'; 003 §2.2",
        "Weight of organisational culture fit.",
    )
    weight_trust: float = _param(
        0.10,
        "weight",
        0.0,
        10.0,
        "partner_choice",
        "003 §2.1: trust and reputation transfer",
        "Weight of current trust in the candidate.",
    )
    proximity_scale_km: float = _param(
        3.2,
        "km",
        0.1,
        2000.0,
        "partner_choice",
        "calibrated, see docs/validation.md",
        "Distance scale d0 of the proximity term exp(-d/d0).",
    )
    same_regime_preference: float = _param(
        0.5,
        "share",
        0.0,
        1.0,
        "partner_choice",
        "000: partners of the same regime first, others with experience",
        "Score discount for another regime, fading with the chooser's experience.",
    )
    choice_noise: float = _param(
        0.05,
        "score",
        0.0,
        1.0,
        "partner_choice",
        "assumption: choices are not perfectly informed",
        "Scale of Gumbel noise added to partner scores.",
    )

    # --- formation -------------------------------------------------------------------
    initiation_rate: float = _param(
        0.03,
        "1/month",
        0.0,
        1.0,
        "formation",
        "assumption",
        "Monthly chance that an organisation with full leadership and free capacity starts a partnership.",
    )
    target_size_mean: float = _param(
        8.65,
        "members",
        2.0,
        50.0,
        "formation",
        "calibrated, see docs/validation.md (KLICT projects: about 5 firms, 003 §3.2.2)",
        "Mean partnership size an initiator aims for.",
    )
    min_members: int = _param(
        2,
        "members",
        2,
        50,
        "formation",
        "MODEL.md: a partnership needs at least two members",
        "Smallest partnership that can form.",
    )
    min_firms: int = _param(
        0,
        "SMEs",
        0,
        50,
        "formation",
        "003 §3.2.2: a KLICT submission criterion is at least 3 firms; 0 = any mix",
        "SMEs a partnership needs to form at all (a call's admission rule, not only its subsidy).",
    )
    min_public_members: int = _param(
        0,
        "organisations",
        0,
        50,
        "formation",
        "003 §3.1 PortNET: firms and government services (customs, port authority) together; 0 = any mix",
        "Government members a partnership needs to form; initiators invite the best-ranked ones first.",
    )
    invite_only_competitors: bool = _param(
        False,
        "switch",
        0,
        1,
        "formation",
        "003 §2.1, §3.2.2: horizontal collaboration, between direct competitors",
        "Whether SMEs invite only their direct competitors (a call for horizontal projects).",
    )
    invite_no_competitors: bool = _param(
        False,
        "switch",
        0,
        1,
        "formation",
        "003 §3.2.2 lessons: complementary, vertical partners do better",
        "Whether initiators invite no two direct competitors (a call for supply-chain projects).",
    )
    expected_value_eur: float = _param(
        84_100.0,
        "EUR",
        0.0,
        1e8,
        "formation",
        "calibrated, see docs/validation.md",
        "Value to a member of one main result of a perfectly fitting partnership (as members judge it, beside the cash milestone_value_eur).",
    )
    project_quality_median: float = _param(
        0.6,
        "probability",
        0.01,
        0.99,
        "formation",
        "assumption: De Man & Duysters 2002 (003 §2.1): projects differ in their chance of success",
        "Median latent quality of a planned project: the chance that its work turns into results.",
    )
    project_quality_spread: float = _param(
        1.0,
        "log-odds",
        0.0,
        5.0,
        "formation",
        "assumption: qualities differ widely (logit-normal; 1.0 puts half of them within 0.43-0.75)",
        "Standard deviation of project quality on the log-odds scale.",
    )
    quality_noise: float = _param(
        0.8,
        "log-odds",
        0.0,
        5.0,
        "formation",
        "003 §3.3: returns are uncertain; 003 §2.2: experience helps to judge them",
        "Spread of a member's estimate of a project's quality; experience narrows it.",
    )
    experience_acceptance_bonus: float = _param(
        0.5,
        "share",
        0.0,
        10.0,
        "formation",
        "003 §2.2: experienced firms see costs and benefits better",
        "Extra perceived benefit at full experience.",
    )

    # --- work ------------------------------------------------------------------------
    base_progress: float = _param(
        5.73,
        "work units/month",
        0.0,
        100.0,
        "work",
        "calibrated, see docs/validation.md (assumption: main milestones of a median-quality project take ~1.5-2 years)",
        "Progress of an ideal partnership per month.",
    )
    milestone_work: float = _param(
        12.0, "work units", 0.1, 1000.0, "work", "assumption", "Work in one main milestone."
    )
    milestone_months: int = _param(
        18,
        "months",
        1,
        240,
        "work",
        "003 §3.1: large projects take years",
        "Planned months to each main milestone; missing it disappoints members.",
    )
    project_months: int = _param(
        0,
        "months",
        0,
        1200,
        "work",
        "003 §3.2.2: KLICT capped project duration at one year; 0 = open-ended",
        "Months after which a partnership's project is complete and it ends (not a dissolution).",
    )
    milestone_value_eur: float = _param(
        15_000.0,
        "EUR/member",
        0.0,
        1e8,
        "work",
        "assumption",
        "Benefit each member gets when a main milestone is reached.",
    )
    preparation_cost_eur: float = _param(
        800.0,
        "EUR/member/month",
        0.0,
        1e7,
        "work",
        "003 §3.1 PortNET: 90 % of spending before any result",
        "Monthly cost per member until the first main milestone (a quick win does not end it).",
    )
    running_cost_eur: float = _param(
        100.0,
        "EUR/member/month",
        0.0,
        1e7,
        "work",
        "003 §3.1 PortNET: 10 % after the preparation",
        "Monthly cost per member after the first result.",
    )
    progress_noise: float = _param(
        0.3, "log-units", 0.0, 3.0, "work", "assumption", "Month-to-month spread of progress."
    )
    coordination_drag: float = _param(
        0.3,
        "1/member",
        0.0,
        10.0,
        "work",
        "003 §3.2.2: with many members and no leader, progress stalls",
        "Slow-down per member beyond two, removed in proportion to the leader's leadership.",
    )
    leader_threshold: float = _param(
        0.35,
        "leadership",
        0.0,
        1.0,
        "work",
        "003 §3.2.2: appoint a 'trekker' per project",
        "Least leadership a member needs to lead.",
    )
    competitor_drag: float = _param(
        0.57,
        "share",
        0.0,
        1.0,
        "work",
        "calibrated, see docs/validation.md (003 §2.2, §3.7: competitors are a failure factor)",
        "Progress lost when every pair of members competes directly; also slows trust gain between competitors.",
    )
    culture_drag: float = _param(
        0.8,
        "share",
        0.0,
        1.0,
        "work",
        "003 §2.2: cultural differences cause failure more than structure",
        "Progress lost per unit of culture misfit.",
    )
    free_rider_share: float = _param(
        0.5,
        "share",
        0.0,
        1.0,
        "work",
        "003 §2.2: free riding threatens stability",
        "A member whose base knowledge is below this share of its partnership's mean contributes too little: a free rider.",
    )
    free_rider_detection: float = _param(
        0.1,
        "1/month",
        0.0,
        1.0,
        "work",
        "assumption",
        "Monthly chance that partners notice a free rider.",
    )

    # --- trust -----------------------------------------------------------------------
    trust_gain: float = _param(
        0.15,
        "share of gap",
        0.0,
        1.0,
        "trust",
        "003 §3.7: trust is built by small successes",
        "Fraction of the gap to 1 that trust gains on a success.",
    )
    trust_loss: float = _param(
        0.3,
        "share",
        0.0,
        1.0,
        "trust",
        "assumption: trust is lost faster than it is won",
        "Fraction of trust lost on a disappointment.",
    )
    formation_trust: float = _param(
        0.3,
        "trust",
        0.0,
        1.0,
        "trust",
        "001 phase 5: a letter of intent and trust building",
        "Trust strangers grant each other when they sign up; pairs with a history keep theirs.",
    )
    reputation_weight: float = _param(
        0.8,
        "share",
        0.0,
        1.0,
        "trust",
        "003 §2.1: A trusts B, B trusts C, so A trusts C",
        "Share of trust passed on through a shared partner.",
    )

    # --- culture ---------------------------------------------------------------------
    culture_sd: float = _param(
        0.15,
        "culture",
        0.0,
        0.5,
        "culture",
        "assumption: organisations vary within a regime",
        "Spread of each culture dimension around its regime mean.",
    )
    culture_convergence: float = _param(
        0.01,
        "1/month",
        0.0,
        1.0,
        "culture",
        "MODEL.md: cultures converge slowly in joint work",
        "Monthly fraction by which members' cultures move towards their partnership's mean.",
    )

    # --- leaving ---------------------------------------------------------------------
    patience_months: float = _param(
        10.8,
        "months",
        0.0,
        240.0,
        "leaving",
        "calibrated, see docs/validation.md (003 §3.7: a result within 6-12 months)",
        "Months of evidence a member's first expectation of results is worth, before trust and experience lengthen it.",
    )
    patience_trust_gain: float = _param(
        3.0,
        "1/trust",
        0.0,
        100.0,
        "leaving",
        "assumption: trusting members wait longer",
        "Patience grows by this factor times mean trust in fellow members.",
    )
    leave_trust: float = _param(
        0.12,
        "trust",
        0.0,
        1.0,
        "leaving",
        "assumption",
        "A member whose mean trust in its partners falls below this leaves.",
    )
    shock_rate: float = _param(
        0.001,
        "1/member/month",
        0.0,
        1.0,
        "leaving",
        "003 §3.2.2: of ~40 KLICT projects 2 stopped early, one after losing its key champion",
        "Monthly chance of an owner change or a lost champion.",
    )
    capacity_pull_rate: float = _param(
        0.004,
        "1/month",
        0.0,
        1.0,
        "leaving",
        "003 §3.2.2: 'not unwillingness but inability'",
        "Monthly chance that core work takes back the time, scaled by the membership's share of capacity.",
    )
    experience_scale: float = _param(
        2.0,
        "partnerships",
        0.1,
        100.0,
        "leaving",
        "003 §2.2: prior collaboration experience pays",
        "Completed partnerships that give 63 % of the full experience effect.",
    )

    # --- policy: start subsidy ------------------------------------------------------
    subsidy_share: float = _param(
        0.0,
        "share of costs",
        0.0,
        1.0,
        "subsidy",
        "003 Box 0, §3.7: a start subsidy only; 0 switches it off",
        "Share of members' costs the start subsidy pays.",
    )
    subsidy_months: int = _param(
        36,
        "months",
        0,
        1200,
        "subsidy",
        "002: basic funding for three years",
        "How long a partnership's subsidy lasts.",
    )
    subsidy_budget_eur: float = _param(
        1_000_000.0,
        "EUR",
        0.0,
        1e12,
        "subsidy",
        "assumption: a regional programme",
        "Total programme budget; no payment exceeds what is left.",
    )
    subsidy_min_firms: int = _param(
        3,
        "SMEs",
        0,
        50,
        "subsidy",
        "003 §3.2.2: KLICT requires at least 3 firms",
        "SMEs a partnership needs to be eligible.",
    )
    application_hours: float = _param(
        40.0,
        "h/member",
        0.0,
        10_000.0,
        "subsidy",
        "003 §3.2.2, Box 3: procedures cost expensive time",
        "Admin burden of the application, per member.",
    )
    reporting_hours: float = _param(
        2.0,
        "h/member/month",
        0.0,
        1000.0,
        "subsidy",
        "003 §3.2.2, Box 3",
        "Admin burden of reporting while subsidised.",
    )
    hourly_cost_eur: float = _param(
        75.0,
        "EUR/h",
        0.0,
        10_000.0,
        "subsidy",
        "assumption: SME owner's hourly cost",
        "Price of an admin hour.",
    )

    # --- policy: participant cap ----------------------------------------------------
    participant_cap: int = _param(
        0,
        "members",
        0,
        1000,
        "participant_cap",
        "003 §3.2.2: many participants, nobody leads; 0 = no cap",
        "Most members a partnership may have.",
    )

    # --- policy: quick-win milestone ------------------------------------------------
    quick_win: bool = _param(
        False,
        "switch",
        0,
        1,
        "quick_win",
        "003 §3.7, 001 phase 7: a concrete result within 6-12 months",
        "Whether partnerships start with a small first milestone.",
    )
    quick_win_earliest_months: int = _param(
        6,
        "months",
        1,
        240,
        "quick_win",
        "003 §3.7: a concrete result within 6-12 months",
        "Start of the quick-win window; each partnership plans its quick win for a month in it.",
    )
    quick_win_latest_months: int = _param(
        12,
        "months",
        1,
        240,
        "quick_win",
        "003 §3.7: a concrete result within 6-12 months",
        "End of the quick-win window.",
    )
    quick_win_work: float = _param(
        3.0,
        "work units",
        0.1,
        1000.0,
        "quick_win",
        "003 §3.1: 'success within eyesight'",
        "Work in the quick-win milestone.",
    )
    quick_win_steps: int = _param(
        1,
        "milestones",
        1,
        20,
        "quick_win",
        "003 §3.1 PortNET: first several small projects 'within eyesight', then the large one",
        "Small milestones before the first main one, growing from the quick win to a main milestone.",
    )

    # --- policy: matchmaking --------------------------------------------------------
    matchmaking: bool = _param(
        False,
        "switch",
        0,
        1,
        "matchmaking",
        "002; 003 §3.6.2 'Kennis aan het IJ'",
        "Whether government holds matchmaking events.",
    )
    matchmaking_interval_months: int = _param(
        6,
        "months",
        1,
        240,
        "matchmaking",
        "assumption: two events a year",
        "Months between events.",
    )
    matchmaking_participants: int = _param(
        40,
        "organisations",
        2,
        100_000,
        "matchmaking",
        "003 §3.4 DigiKring: ~35 firms per meeting",
        "Organisations at each event.",
    )
    matchmaking_introductions: int = _param(
        3,
        "contacts",
        1,
        100,
        "matchmaking",
        "assumption",
        "Others each guest is introduced to at an event (introductions are mutual).",
    )
    matchmaking_cost_eur: float = _param(
        15_000.0,
        "EUR/event",
        0.0,
        1e9,
        "matchmaking",
        "assumption",
        "Government's cost of one event.",
    )

    # --- policy: cluster manager ----------------------------------------------------
    cluster_manager_hours: float = _param(
        0.0,
        "h/month",
        0.0,
        100_000.0,
        "cluster_manager",
        "004: cluster managers talk to their members weekly; 0 = no manager",
        "Hours a month the cluster manager gives to partnerships and introductions.",
    )
    cluster_manager_hours_per_partnership: float = _param(
        8.0,
        "h/month",
        0.5,
        1000.0,
        "cluster_manager",
        "004: a weekly conversation; assumption: two hours each",
        "Hours a month the manager needs to serve one partnership.",
    )
    cluster_manager_introduction_hours: float = _param(
        2.0,
        "h/introduction",
        0.1,
        1000.0,
        "cluster_manager",
        "assumption: a call and an e-mail on each side",
        "Hours the manager needs to introduce two organisations, from hours no partnership needs.",
    )
    cluster_manager_salary_eur: float = _param(
        7_000.0,
        "EUR/month",
        0.0,
        1e8,
        "cluster_manager",
        "assumption: one full-time manager's employer cost",
        "Monthly cost of a full-time (140 h) manager; charged in proportion to its hours.",
    )
    cluster_manager_public_share: float = _param(
        0.6,
        "share",
        0.0,
        1.0,
        "cluster_manager",
        "004: cluster organisations are funded about 60/40 public/private",
        "Share of the manager's cost the programme pays; members pay the rest as a fee.",
    )
    cluster_manager_leadership: float = _param(
        0.6,
        "leadership",
        0.0,
        1.0,
        "cluster_manager",
        "003 §3.2.2: appoint a 'trekker'; assumption: the manager coordinates like a capable leader",
        "How well the manager coordinates a partnership it serves that has no capable leader.",
    )

    # --- mechanisms (switches for ablation, `clustersim explain`) -----------------
    mechanism_selection: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "De Man & Duysters 2002, in 003 §2.1; false only to measure what the mechanism contributes",
        "Whether members judge a project by their estimate of its quality.",
    )
    mechanism_price: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 Box 0, Box 3; false only to measure what the mechanism contributes",
        "Whether members weigh what they pay, after any subsidy, against what they expect.",
    )
    mechanism_learning: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 §3.7; false only to measure what the mechanism contributes",
        "Whether members update their expectation of results from results and time.",
    )
    mechanism_coordination: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 §3.2.2; false only to measure what the mechanism contributes",
        "Whether each member beyond two slows the work unless someone leads.",
    )
    mechanism_leadership: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 §3.2.2; false only to measure what the mechanism contributes",
        "Whether a leader speeds the work, and losing the champion ends a partnership.",
    )
    mechanism_trust: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 §2.1, §3.7; false only to measure what the mechanism contributes",
        "Whether results build trust, missed deadlines and free riders erode it.",
    )
    mechanism_reputation: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 §2.1; false only to measure what the mechanism contributes",
        "Whether a shared partner passes trust on to a stranger.",
    )
    mechanism_awareness: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "002; 003 §3.6.2; false only to measure what the mechanism contributes",
        "Whether introductions widen whom organisations know.",
    )
    mechanism_capacity: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "003 §3.2.2; false only to measure what the mechanism contributes",
        "Whether collaboration hours are limited and core work can take them back.",
    )
    mechanism_manager: bool = _param(
        True,
        "switch",
        0,
        1,
        "mechanisms",
        "004; false only to measure what the mechanism contributes",
        "Whether a cluster manager coordinates, mediates and introduces.",
    )

    def __post_init__(self) -> None:
        validate(self)

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some values changed, validated like the original."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ParameterError(ValueError):
    """A parameter value that the model cannot run with."""


def specs() -> dict[str, tuple[dataclasses.Field, Spec]]:
    """Every parameter's dataclass field and spec, in declaration order."""
    return {f.name: (f, f.metadata["spec"]) for f in dataclasses.fields(Parameters)}


def check_integer(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """The one check of a whole number and its bounds, for config, experiment, CLI and dashboard.

    A float that is whole (80.0, as a slider gives) counts; a bool does not. The message
    names the value, what it got and what it accepts.
    """
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        raise ParameterError(f"{name} must be a whole number, got {value!r}")
    return check_range(name, int(value), low, high)


def check_range(
    name: str, value: Any, low: float | None = None, high: float | None = None, unit: str = ""
) -> Any:
    """Refuse a number outside [low, high] (either bound may be open), naming what it accepts."""
    within = unit and f" ({unit})"
    if low is not None and high is not None and not low <= value <= high:
        raise ParameterError(
            f"{name} = {value!r} is out of range [{_bound(low)}, {_bound(high)}]{within}"
        )
    if low is not None and value < low:
        raise ParameterError(f"{name} must be {_bound(low)} or more, got {value!r}")
    if high is not None and value > high:
        raise ParameterError(f"{name} must be at most {_bound(high)}, got {value!r}")
    return value


def _bound(x: float) -> str:
    return number(x, "g" if isinstance(x, float) else "d")


def check_value(name: str, value: Any) -> Any:
    """Return `value` coerced to the parameter's type, or raise ParameterError saying why."""
    f, spec = specs()[name]
    kind = (
        f.type if isinstance(f.type, type) else {"int": int, "float": float, "bool": bool}[f.type]
    )
    if kind is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"{name} must be a number ({kind.__name__}), got {value!r}")
    value = check_integer(name, value) if kind is int else float(value)
    return check_range(name, value, float(spec.low), float(spec.high), spec.unit)


def validate(params: Parameters) -> None:
    """Check every value and the rules that tie values together."""
    for name in specs():
        object.__setattr__(params, name, check_value(name, getattr(params, name)))
    if params.participant_cap and params.participant_cap < params.min_members:
        raise ParameterError(
            f"participant_cap = {params.participant_cap} is below min_members = "
            f"{params.min_members}: no partnership could form (use 0 for no cap)"
        )
    required = params.min_firms + params.min_public_members
    if params.participant_cap and params.participant_cap < required:
        raise ParameterError(
            f"participant_cap = {params.participant_cap} is below min_firms + min_public_members"
            f" = {required}: no partnership could form (use 0 for no cap)"
        )
    if params.invite_only_competitors and params.min_public_members:
        raise ParameterError(
            "invite_only_competitors admits only firms, so min_public_members must be 0, "
            f"got {params.min_public_members}"
        )
    if params.invite_only_competitors and params.invite_no_competitors:
        raise ParameterError(
            "invite_only_competitors and invite_no_competitors are both true: "
            "switch one of them off"
        )
    if params.quick_win_earliest_months > params.quick_win_latest_months:
        raise ParameterError(
            f"quick_win_earliest_months = {params.quick_win_earliest_months} is after "
            f"quick_win_latest_months = {params.quick_win_latest_months}: the window is empty"
        )
    if params.n_smes + params.n_knowledge_institutions + params.n_governments < 2:
        raise ParameterError("the region needs at least two organisations")
