"""The About page: what the model is, in plain words, and the teaching demos as cards.

In the spirit of NetLogo's Info tab, for a teacher in front of a class: what the
model is, who its agents are, what happens in one month, what the map's colours and
shapes mean, things to notice and things to try. It is written from docs/ODD.md and
docs/teaching.md, without their formulas and section numbers, and says no number a
run produces: those depend on the calibration and the seed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import solara

from clustersim.dashboard.demos import DEMOS, Demo, DemoCard
from clustersim.dashboard.feed import BAD, GOOD, NEWS, WORRY
from clustersim.dashboard.survival_plot import FEW_AT_RISK

WHAT_IT_IS = """
## What this model is

clustersim simulates a region where small and medium-sized firms (SMEs), knowledge
institutions and government bodies form partnerships to work on joint projects, and
where many such partnerships end sooner than hoped. It asks which policies help
partnerships form and last, and why. It is a model, not a forecast: its organisations
are drawn at random from a few rules, and its numbers say what those rules produce,
not what happens in a real region.

## Who is in it

- **SMEs**: small firms, from one-person companies to firms of 250. A firm's size sets
  how many hours a month it can give to working with others and how much money it can
  put in.
- **Knowledge institutions**: universities and research institutes, with much knowledge
  and time.
- **Government bodies**: they can join partnerships like anyone else. The policies
  (a start subsidy, matchmaking events, a cluster manager) belong to the programme,
  not to them.

Each organisation has a place in the region (firms crowd around business parks and town
centres), a culture, goals, ambition, knowledge, expertise and a gift for leading.
Organisations know those nearby, and get to know more through their partners,
matchmaking events and a cluster manager's introductions.

## How a partnership lives

- **Forming.** Now and then an organisation with spare time starts a partnership. It
  ranks the organisations it knows by nearness, shared goals, matching ambition,
  working together before, complementary expertise, culture fit and trust, and invites
  the best. Each invitee judges the plan for itself: are the results it expects worth
  their monthly cost, and can it pay its share until the first result?
- **Working.** Each project has a quality that nobody can see. Members estimate it,
  better with experience. Work towards each milestone goes faster with a leader, with
  trust and with knowledge and experience, and slower with every extra member when
  nobody leads, with direct competitors in the team and with clashing cultures.
- **Results and trust.** A milestone reached pays each member and raises their trust in
  each other; a missed deadline erodes it. Members learn: every result raises what they
  expect of the partnership, every month without one lowers it.
- **Leaving.** A member leaves when its key person goes, when its core business needs
  its time back, when it cannot pay, when it no longer trusts its partners, or when the
  results it now expects are no longer worth what it pays. A partnership dissolves when
  too few members remain, or when it loses the only member who could lead.

## One month

One step of the model is one month. In each month, in this order: firms' reserves
fill up a little; if it is time, a matchmaking event introduces organisations to each
other; a cluster manager, if there is one, picks the partnerships most in need to
help; every partnership works and reaches or misses its milestone; members pay their
share of the costs; partners' cultures grow a little alike; members decide whether to
stay, and partnerships that lost too much dissolve; projects with a fixed length end;
and at the month's end new partnerships form. A run lasts the months set under
"run length", usually ten years.

## The policy levers

- **Start subsidy**: pays a share of members' costs for a number of months, from a
  limited budget, for partnerships with enough SMEs; applying and reporting take hours.
- **Member cap**: the most members a partnership may have.
- **Quick win**: each partnership first aims for a small result within its first months.
- **Matchmaking events**: the government introduces organisations to each other.
- **Cluster manager**: hours a month spent on the partnerships most in need (it
  coordinates those without a leader and smooths over missed deadlines) and, with the
  hours left, on introductions. The programme pays part of its salary, the members the
  rest.
"""

THE_PAGE = f"""
## What the map shows

- **Shapes**: a blue circle is an SME, a green square a knowledge institution, a purple
  triangle a government body. The bigger the marker, the more employees.
- **Faded** markers are organisations not in any partnership now.
- **A partnership** is a star of lines from its leader to each other member.
  A **dashed** star is a partnership in which nobody can lead (drawn from its first
  member).
- **Line colour** is the mean trust among the partnership's members: red is low,
  yellow middling, green high.
- **Hover** over a marker or a line for its name; **click** it to see it under the map:
  an organisation's type, size, culture, partnerships and trust; a partnership's
  members, leader, age, milestones, trust, subsidy and whether the cluster manager
  serves it. The map rings what you chose and draws its lines bold. **Scroll** to zoom
  in on a business park, **drag** to move, **double-click** to zoom out.

## The plots and the feed

- **Active partnerships**, **formed and dissolved per month**, the **share of
  organisations collaborating** (now, and ever), **mean trust within partnerships** and
  **public money spent so far** by each lever, in thousand EUR.
- **Partnership survival so far**: of the partnerships formed so far, the share still
  active a given number of months after forming. Partnerships still active count only
  for as long as they have lived. The shaded band is a 95 % confidence band; the curve
  fades where fewer than {FEW_AT_RISK} partnerships have been watched that long, and
  the row under it counts how many have (the number at risk). Early in a run the curve
  rests on few partnerships and says little.
- **What happened** lists every event of the run, newest first. The colours:
  <span style="color: {GOOD}">green</span> for progress (formed, results),
  <span style="color: {NEWS}">blue</span> for news (introductions, a subsidy's end),
  <span style="color: {WORRY}">orange</span> for trouble (a missed milestone, a member
  leaving, a lost leader) and <span style="color: {BAD}">red</span> for a dissolution.
  Show one kind only with the buttons above the list, or one partnership's story by
  typing its number. Click a line to find its partnership on the map.
- **Hover** over a plot to read every line's value in that month.
- On the **Side by side** tab each plot overlays both scenarios: the left one in blue,
  the right one in orange.

## Things to notice

- Where do partnerships form? Nearness counts most in choosing partners, and at first
  organisations know only those nearby.
- When do partnerships dissolve: before their first main result, or after? Costs come
  before results, and members' patience for a first result is limited.
- Do dashed stars, partnerships without a leader, last as long as solid ones?
- Watch the colour of the links: trust grows with each result and falls with each
  missed deadline.
- Which firms leave because they cannot pay: big ones or small ones? The feed gives
  each firm's size.

## Things to try

- Switch on "start with a quick win" and watch mean trust and the survival curve.
- Give the cluster manager hours, and watch leaderless partnerships and introductions
  in the feed.
- Cap partnerships at four members.
- Switch on matchmaking events: do partnerships now link organisations far apart?
- Make the start subsidy generous but short, and watch what happens when it ends.
- Change the seed: the same scenario in another region with another history. One run
  can mislead; the **Side by side** tab runs two scenarios with one seed, so their
  differences come from the scenarios, not from chance.

The full description of the model, with its formulas and sources, is docs/ODD.md;
the demos below are explained at more length in docs/teaching.md.
"""


def to_html(text: str) -> str:
    """HTML of the About text: '## ' headings, '- ' lists (continued by indented lines),
    paragraphs and **bold**; inline HTML passes through.

    Not solara.Markdown: its page script fetches maths and diagram libraries from a
    CDN, and the dashboard reaches no network.
    """
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.startswith("## "):
            out.append(f"<h2>{block[3:].strip()}</h2>")
        elif block.startswith("- "):
            items = re.split(r"^- ", block, flags=re.MULTILINE)[1:]
            out.append("<ul>" + "".join(f"<li>{' '.join(i.split())}</li>" for i in items) + "</ul>")
        else:
            out.append(f"<p>{' '.join(block.split())}</p>")
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", "\n".join(out))


@solara.component
def AboutViews(
    available: frozenset[str],
    on_start: Callable[[Demo], None],
    on_compare: Callable[[Demo], None],
):
    """The model in plain words, then one card per demo.

    `available` are the preset labels found; a demo whose preset is missing is shown
    with its buttons off.
    """
    with solara.Column(classes=["about"], style={"padding": "0 16px"}) as about:
        solara.HTML(
            tag="div", unsafe_innerHTML=to_html(WHAT_IT_IS + THE_PAGE), classes=["about-text"]
        )
        solara.HTML(tag="h2", unsafe_innerHTML="Demos for a class")
        solara.Text(
            "Each demo is a preset that changes only what the demo is about. Run it on "
            "the Live tab while talking through the map and the feed, then compare it "
            "with the baseline side by side.",
            style={"display": "block", "margin-bottom": "8px"},
        )
        for demo in DEMOS:
            DemoCard(demo, demo.preset in available, on_start, on_compare)
    return about
