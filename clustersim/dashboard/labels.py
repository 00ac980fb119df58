"""Every parameter in plain words with its unit, as the page shows it to a class.

The page never shows a variable name: a slider reads "number of SMEs (organisations)",
not "n_smes", and a refusal says "member cap = 1 is below smallest partnership (2)".
The words are the dashboard's; `parameters.py` keeps the names, units and sources.
Preset descriptions lose their source citations on the page ("(003 §3.2.2)"): the
sources stay in the config files, for readers of those.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from clustersim.parameters import specs

# Short words for each parameter: about 33 characters with the unit and the value
# leave room for the slider beside the label.
WORDS: dict[str, str] = {
    "months": "run length",
    "n_smes": "number of SMEs",
    "n_knowledge_institutions": "number of knowledge institutions",
    "n_governments": "number of government bodies",
    "sme_median_employees": "typical SME size",
    "sme_employees_sigma": "spread of SME sizes",
    "n_sectors": "number of sectors",
    "n_value_chain_stages": "stages in the value chain",
    "region_km": "width of the region",
    "n_centres": "business parks and town centres",
    "centre_spread_km": "spread around each centre",
    "awareness_radius_km": "know everyone within",
    "owner_hours": "owner's collaboration time",
    "hours_per_employee": "collaboration time per employee",
    "max_sme_hours": "most collaboration time of an SME",
    "institution_hours": "collaboration time of an institution",
    "hours_per_membership": "time one partnership takes",
    "cash_eur_per_employee": "SME reserve per employee",
    "income_eur_per_employee": "SME income into its reserve",
    "institution_income_eur": "institution's collaboration budget",
    "weight_proximity": "weight of nearness",
    "weight_goals": "weight of shared goals",
    "weight_ambition": "weight of matching ambition",
    "weight_experience": "weight of working together before",
    "weight_expertise": "weight of complementary expertise",
    "weight_culture": "weight of culture fit",
    "weight_trust": "weight of trust",
    "proximity_scale_km": "distance at which nearness fades",
    "same_regime_preference": "preference for one's own type",
    "choice_noise": "chance in partner choice",
    "initiation_rate": "starting chance",
    "target_size_mean": "planned size",
    "min_members": "smallest partnership",
    "min_firms": "SMEs needed to form",
    "min_public_members": "government members needed",
    "invite_only_competitors": "invite only direct competitors",
    "invite_no_competitors": "invite no direct competitors",
    "expected_value_eur": "value of a main result to a member",
    "project_quality_median": "typical project quality",
    "project_quality_spread": "spread of project quality",
    "quality_noise": "error in judging a project",
    "experience_acceptance_bonus": "extra value the experienced see",
    "base_progress": "progress per month",
    "milestone_work": "work in a main milestone",
    "milestone_months": "months planned per milestone",
    "project_months": "project length (0: open-ended)",
    "milestone_value_eur": "cash per member per milestone",
    "preparation_cost_eur": "cost before the first result",
    "running_cost_eur": "cost after the first result",
    "progress_noise": "luck in monthly progress",
    "coordination_drag": "slow-down per extra member",
    "leader_threshold": "leadership to lead",
    "competitor_drag": "slow-down among competitors",
    "culture_drag": "slow-down from culture misfit",
    "free_rider_share": "free-rider knowledge threshold",
    "free_rider_detection": "chance a free rider is noticed",
    "trust_gain": "trust gain per result",
    "trust_loss": "trust lost per disappointment",
    "formation_trust": "trust between new partners",
    "reputation_weight": "trust passed on by shared partners",
    "culture_sd": "spread of culture",
    "culture_convergence": "cultures growing alike",
    "patience_months": "patience",
    "patience_trust_gain": "extra patience from trust",
    "leave_trust": "trust below which members leave",
    "shock_rate": "chance of losing a key person",
    "capacity_pull_rate": "chance core work takes time back",
    "experience_scale": "partnerships that give experience",
    "subsidy_share": "start subsidy",
    "subsidy_months": "subsidy lasts",
    "subsidy_budget_eur": "subsidy budget",
    "subsidy_min_firms": "SMEs needed for a subsidy",
    "application_hours": "application work per member",
    "reporting_hours": "reporting work per member",
    "hourly_cost_eur": "cost of an admin hour",
    "participant_cap": "member cap (0: none)",
    "quick_win": "start with a quick win",
    "quick_win_earliest_months": "quick win earliest",
    "quick_win_latest_months": "quick win latest",
    "quick_win_work": "work in a quick win",
    "quick_win_steps": "small results before the main one",
    "matchmaking": "matchmaking events",
    "matchmaking_interval_months": "time between matchmaking events",
    "matchmaking_participants": "guests at a matchmaking event",
    "matchmaking_introductions": "introductions per guest",
    "matchmaking_cost_eur": "cost of a matchmaking event",
    "cluster_manager_hours": "manager hours",
    "cluster_manager_hours_per_partnership": "manager hours per partnership",
    "cluster_manager_introduction_hours": "manager hours per introduction",
    "cluster_manager_salary_eur": "manager salary",
    "cluster_manager_public_share": "public share of the manager's cost",
    "cluster_manager_leadership": "manager's leadership",
    "mechanism_selection": "members judge a project's quality",
    "mechanism_price": "members weigh the price",
    "mechanism_learning": "members learn from results",
    "mechanism_coordination": "size slows work unless led",
    "mechanism_leadership": "leaders speed the work",
    "mechanism_trust": "results build trust",
    "mechanism_reputation": "shared partners pass on trust",
    "mechanism_awareness": "introductions widen who knows whom",
    "mechanism_capacity": "collaboration time is limited",
    "mechanism_manager": "the manager acts",
}

# Units as a class reads them; the others are shown as `parameters.py` gives them.
UNIT_WORDS: dict[str, str] = {
    "1/month": "per month",
    "1/member/month": "per member per month",
    "1/member": "per member",
    "1/trust": "per unit of trust",
    "log-employees": "log of employees",
    "log-units": "log scale",
    "share": "0 to 1",
    "share of gap": "0 to 1",
    "probability": "0 to 1",
    "leadership": "0 to 1",
    "trust": "0 to 1",
    "culture": "0 to 1",
    "weight": "relative weight",
    "score": "score points",
}


def words(name: str) -> str:
    """The parameter in plain words, without its unit: 'number of SMEs'."""
    return WORDS[name]


def unit(name: str) -> str:
    """The parameter's unit in plain words; '' for a switch."""
    spec = specs()[name][1]
    return "" if spec.unit == "switch" else UNIT_WORDS.get(spec.unit, spec.unit)


def label(name: str) -> str:
    """A parameter in words, with its unit: 'manager hours (h/month)'."""
    shown = unit(name)
    return f"{words(name)} ({shown})" if shown else words(name)


def labelled_value(name: str, value: Any) -> str:
    """The label with the value, which a slider does not show: 'run length (months): 120'."""
    return label(name) if isinstance(value, bool) else f"{label(name)}: {value:g}"


def setting(name: str, value: Any) -> str:
    """A changed value as a status line says it: 'start subsidy = 0.5 share of costs'."""
    if isinstance(value, bool):
        return f"{words(name)}: {'on' if value else 'off'}"
    shown = unit(name)
    return f"{words(name)} = {value:g}" + (f" {shown}" if shown else "")


@cache
def _names() -> re.Pattern[str]:
    longest_first = sorted(specs(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, longest_first)) + r")\b")


def in_words(message: str) -> str:
    """A validation message with every parameter name replaced by its words."""
    return _names().sub(lambda found: words(found.group(1)), message)


# A source citation in a preset's description: "(003 §3.2.2)", "(003 Box 0; 002)",
# "(004)", "(003 §3.1, what if)", and a source named in passing, "001's survey".
_CITATION = re.compile(r"\s*\((?:\d{3}\b)[^()]*\)")
_NAMED_SOURCE = re.compile(r"\b\d{3}'s\s+")


def blurb(description: str) -> str:
    """A preset's description for the page, without its source citations."""
    text = _NAMED_SOURCE.sub("a ", _CITATION.sub("", description))
    return re.sub(r"\s+([.,;:])", r"\1", text).strip()
