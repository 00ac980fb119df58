"""The inspector: what a click on the map or the feed shows, in words, from one frame.

An organisation: its type, size, culture, partnerships now and its trust in them; and
each of those partnerships. A partnership: its members, its leader (or that nobody
can lead), its age, its milestones, the trust among its members, its subsidy and
whether the cluster manager serves it. One that has ended is told from the frame's
events: when it formed, with whom, and how it ended. Everything comes from the frame
(`frames.ScenarioFrame`), never from the model, which may be stepping meanwhile.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import solara

from clustersim.dashboard.region_map import size_text
from clustersim.dashboard.selection import Selection, partnership
from clustersim.dashboard.wording import CAUSE_WORDS
from clustersim.formatting import eur
from clustersim.organisations import Regime

if TYPE_CHECKING:
    from clustersim.dashboard.frames import PartnershipNow, ScenarioFrame

TYPE_WORDS = {
    Regime.COMMERCIAL: "SME (a small or medium-sized firm)",
    Regime.NON_PROFIT: "knowledge institution (a university or research institute)",
    Regime.PUBLIC: "government body",
}
# The second pole of each of culture.DIMENSIONS, as the page names it.
CULTURE_WORDS = (
    "results-oriented",
    "job-oriented",
    "professional",
    "closed",
    "tight control",
    "pragmatic",
)


@dataclass(frozen=True)
class Details:
    """What the inspector shows of one thing: a title and facts, each a label and words."""

    title: str
    facts: tuple[tuple[str, str], ...]

    def fact(self, label: str) -> str:
        """The words of the fact labelled `label` (KeyError if there is none)."""
        return dict(self.facts)[label]


def culture_words(culture: np.ndarray) -> str:
    """'results-oriented 0.72, job-oriented 0.45, ...': 0 is one pole, 1 the named one."""
    return ", ".join(f"{w} {v:.2f}" for w, v in zip(CULTURE_WORDS, culture, strict=True))


def trust_in(part: PartnershipNow, organisation: int) -> tuple[float, float]:
    """`organisation`'s mean trust in its partners in `part`, and theirs in it."""
    k = part.members.index(organisation)
    others = len(part.members) - 1
    if others == 0:
        return 0.0, 0.0
    return float(part.trust[k].sum() / others), float(part.trust[:, k].sum() / others)


def organisation_details(frame: ScenarioFrame, index: int) -> Details:
    """What a click on organisation `index` shows, as of the frame's month."""
    region = frame.region
    if not 0 <= index < len(region.names):
        return Details(f"Organisation {index}", (("", "not in this run's region"),))
    parts = frame.partnerships_of(index)
    facts = [
        ("Type", TYPE_WORDS[Regime(int(region.regime[index]))]),
        ("Size", size_text(region, index) or "an institution (its size only sizes the marker)"),
        ("Culture (0 to 1)", culture_words(frame.culture[index])),
        ("Partnerships now", ", ".join(str(p.id) for p in parts) if parts else "none"),
    ]
    for part in parts:
        mine, theirs = trust_in(part, index)
        facts.append(
            (
                f"Trust in partnership {part.id}",
                f"trusts its partners {mine:.2f} on average; they trust it {theirs:.2f}",
            )
        )
    facts.append(("Partnerships completed", str(int(frame.experience[index]))))
    return Details(region.names[index], tuple(facts))


def partnership_details(frame: ScenarioFrame, pid: int) -> Details:
    """What a click on partnership `pid` shows, as of the frame's month."""
    part = frame.partnership(pid)
    if part is None:
        return ended_details(frame, pid)
    names = frame.region.names
    return Details(
        f"Partnership {pid}",
        (
            ("Members", members_words(frame, part.members)),
            ("Leader", names[part.leader] if part.leader is not None else LEADERLESS_WORDS),
            (
                "Age",
                f"{frame.month - part.formed_month} months (formed in month {part.formed_month})",
            ),
            ("Milestones", milestone_words(frame, part)),
            ("Trust", trust_words(part)),
            ("Subsidy", subsidy_words(frame.month, part)),
            ("Cluster manager", manager_words(frame, part)),
        ),
    )


LEADERLESS_WORDS = "nobody in it can lead (its links are dashed)"


def members_words(frame: ScenarioFrame, members: tuple[int, ...]) -> str:
    """'3: SME 41 (12 employees), knowledge institution 305, SME 7 (4 employees)'."""
    region = frame.region
    named = [
        f"{region.names[i]} ({size_text(region, i)})" if size_text(region, i) else region.names[i]
        for i in members
    ]
    return f"{len(members)}: {', '.join(named)}"


def milestone_words(frame: ScenarioFrame, part: PartnershipNow) -> str:
    """Results reached, the quick win's month, misses, and when the next is planned."""
    missed = sum(1 for e in frame.events if e.kind == "missed" and e.partnership == part.id)
    quick = f", quick win in month {part.quick_win_month}" if part.quick_win_month else ""
    return (
        f"{part.milestones_reached} reached ({part.main_milestones_reached} main results"
        f"{quick}), {missed} missed; the next is planned for month {part.due_month}"
    )


def trust_words(part: PartnershipNow) -> str:
    """The mean trust among members and the weakest pair's."""
    k = len(part.members)
    if k < 2:
        return "one member left"
    lowest = float(part.trust[~np.eye(k, dtype=bool)].min())
    return (
        f"{part.mean_trust:.2f} on average among members (lowest from one to another {lowest:.2f})"
    )


def subsidy_words(month: int, part: PartnershipNow) -> str:
    if not part.subsidised:
        return "none"
    received = f"{eur(part.subsidy_eur)} received so far"
    if month <= part.subsidy_until_month:
        return f"start subsidy until month {part.subsidy_until_month}, {received}"
    return f"start subsidy ended after month {part.subsidy_until_month}, {received}"


def manager_words(frame: ScenarioFrame, part: PartnershipNow) -> str:
    if not frame.scenario.parameters.cluster_manager_hours:
        return "none in this scenario"
    now = "serves it this month" if part.served else "does not serve it this month"
    return f"{now}; {part.served_months} months served so far"


def ended_details(frame: ScenarioFrame, pid: int) -> Details:
    """A partnership no longer active, told from the events: its start and its end."""
    own = [e for e in frame.events if e.partnership == pid]
    formed = next((e for e in own if e.kind == "formed"), None)
    if formed is None:
        return Details(f"Partnership {pid}", (("", "has not formed in this run"),))
    end = next((e for e in reversed(own) if e.kind in ("dissolved", "completed")), None)
    if end is None:
        how = "ended"
    elif end.kind == "completed":
        how = f"completed its project in month {end.month}"
    else:
        how = f"dissolved in month {end.month}: {CAUSE_WORDS[end.cause]}"
    return Details(
        f"Partnership {pid} (ended)",
        (
            ("Ended", how),
            ("Formed", f"in month {formed.month} by {members_words(frame, formed.organisations)}"),
            ("On the map", "no longer: only active partnerships are drawn"),
        ),
    )


def details(frame: ScenarioFrame, chosen: Selection) -> list[Details]:
    """What the inspector shows for a choice: an organisation with its partnerships, or
    one partnership."""
    if chosen.kind == "partnership":
        return [partnership_details(frame, chosen.id)]
    parts = frame.partnerships_of(chosen.id)
    return [
        organisation_details(frame, chosen.id),
        *(partnership_details(frame, p.id) for p in parts),
    ]


def details_html(shown: Details) -> str:
    """The facts as a definition list (the words escaped)."""
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(words)}</dd>"
        for label, words in shown.facts
    )
    return f"<dl class='inspector-facts'>{rows}</dl>"


@solara.component
def Inspector(
    frame: ScenarioFrame,
    chosen: Selection | None,
    on_choose: Callable[[Selection | None], None],
    on_story: Callable[[int], None] | None = None,
):
    """The chosen organisation or partnership as of the frame, or how to choose one."""
    shown = solara.use_memo(lambda: details(frame, chosen) if chosen else [], [frame, chosen])
    with solara.Column(gap="4px", classes=["inspector"]) as inspector:
        if chosen is None:
            solara.Text(
                "Click an organisation or a partnership's line on the map, or a line of "
                "the feed, to see it here.",
                classes=["inspector-hint"],
            )
        for item in shown:
            solara.Text(item.title, classes=["inspector-title"])
            solara.HTML(tag="div", unsafe_innerHTML=details_html(item))
        if chosen is not None:
            InspectorButtons(frame, chosen, on_choose, on_story)
    return inspector


@solara.component
def InspectorButtons(
    frame: ScenarioFrame,
    chosen: Selection,
    on_choose: Callable[[Selection | None], None],
    on_story: Callable[[int], None] | None,
):
    """A partnership's story in the feed, an organisation's partnerships, and Clear."""
    parts = frame.partnerships_of(chosen.id) if chosen.kind == "organisation" else ()
    with solara.Row(style={"flex-wrap": "wrap"}) as buttons:
        if chosen.kind == "partnership" and on_story is not None:
            solara.Button("Its story in the feed", text=True, on_click=lambda: on_story(chosen.id))
        for part in parts:
            solara.Button(
                f"Partnership {part.id}",
                text=True,
                on_click=lambda pid=part.id: on_choose(partnership(pid)),
            )
        solara.Button("Clear", text=True, on_click=lambda: on_choose(None))
    return buttons
