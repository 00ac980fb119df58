"""The teaching demos of docs/teaching.md as cards a teacher can follow on the page.

Each demo is a preset in `configs/teaching/`, the idea it shows, the steps to take on
the page and what to notice. The cards describe mechanisms, not numbers: the numbers
a run shows depend on the calibration and the seed, the mechanisms do not. A card
sits on the About page, with buttons that load its preset, and above the map while
its preset runs.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import solara


@dataclass(frozen=True)
class Demo:
    """One teaching demo: its preset, the idea, the steps and what to notice."""

    title: str
    preset: str  # the preset's label in the picker
    idea: str
    steps: tuple[str, ...]
    notice: str


DEMOS = (
    Demo(
        title="Partnerships where nobody leads stall",
        preset="teaching/leaderless_stall",
        idea=(
            "An organisation needs much leadership to lead, so few can. Without a leader, "
            "coordination eats the progress: deadlines pass without a result, months "
            "without results tell the members the project will not deliver, missed "
            "deadlines cost trust, and the members leave."
        ),
        steps=(
            "Press “Start this demo”, then ▶, and pause (❚❚) around month 24.",
            "On the map, most partnership stars are dashed: nobody in them can lead. "
            "Click one: under the map you see its members, that nobody can lead it, its "
            "age and its missed milestones.",
            "In “What happened”, show only “dissolved” and “left”: partnerships "
            "dissolve because their results came too slowly to be worth the cost, and "
            "members leave for the same reason.",
            "Click one of those lines: the map rings its partnership's members, if it "
            "is still active, and “Its story in the feed” (or its number typed into "
            "“Only partnership”) shows its whole story, from its forming to its end.",
            "Look at the survival curve: how many partnerships are still active two "
            "years after forming?",
            "Drag “leadership to lead” down to 0.35, the baseline's value, and "
            "play again: the same partnerships, but now someone can lead. Try a "
            "second seed too: one run alone can mislead.",
        ),
        notice=(
            "A leader speeds the work, and every member beyond two slows it unless "
            "someone leads, so a partnership without a leader misses its milestones; its "
            "members' expectations of results and their trust fall, and they leave. "
            "Losing its only capable leader ends a partnership at once."
        ),
    ),
    Demo(
        title="A quick win: early evidence that results come",
        preset="teaching/quick_win_trust",
        idea=(
            "Every partnership first aims for a small result 6 to 12 months after "
            "forming, before its first main milestone. A result is evidence: members "
            "count every result in proportion to its size, and every month without one "
            "against the partnership, so an early result keeps them judging it worth "
            "its cost through the long wait for the main milestone."
        ),
        steps=(
            "Press “Compare with baseline”: the baseline runs on the left, this demo on "
            "the right, with the same seed. Press ▶.",
            "Watch the survival curves: which side keeps more of its partnerships "
            "through their first year?",
            "Pause around month 24 and compare the active partnerships, the share of "
            "organisations in one and the survival curves.",
            "Press “Start this demo” to run it alone, and show only “milestones” in "
            "“What happened”: quick wins arrive within the first year.",
            "Watch “Mean trust within partnerships”: a quick win reveals only a quarter "
            "of a main milestone's work, so it moves trust only a little.",
        ),
        notice=(
            "A quick win does not make the work faster; it shows part of the result "
            "early. Members stay because their expectation of results holds up, not "
            "because trust jumps: fewer leave for results too slow to be worth the "
            "cost. It keeps weaker projects going longer too."
        ),
    ),
    Demo(
        title="The cliff when a start subsidy ends",
        preset="teaching/subsidy_cliff",
        idea=(
            "A start subsidy pays most of members' costs, but only for their first nine "
            "months, from a limited programme budget, and only partnerships with at "
            "least three SMEs can have it. Costs come before results: when the subsidy "
            "stops before the first result, members who joined because it was cheap pay "
            "the full price while nothing has come back yet."
        ),
        steps=(
            "Press “Start this demo”, then ▶, and pause around month 18.",
            "In “What happened”, show only “subsidy”, “left” and “dissolved”: each "
            "subsidy ends nine months after its partnership formed, and in the next "
            "month, at the full price, members leave because the results they expected "
            "were no longer worth the cost.",
            "Play on and watch “Public money spent so far”: the subsidy line climbs "
            "while partnerships claim it.",
            "Press “Compare with baseline” and compare partnerships of the same age on "
            "the two survival curves.",
            "Move the wave: change how long the subsidy lasts and play again; the "
            "departures follow the subsidy's end.",
        ),
        notice=(
            "Members decide to join at the price they will pay. When the subsidy stops "
            "before the first main result, the price jumps to the full cost while "
            "nothing has come back yet, and members who found the project worth the "
            "subsidised price, but not the full one, leave: the cliff follows the "
            "subsidy's end, not a lack of money."
        ),
    ),
)
DEMO_FOR_PRESET = {demo.preset: demo for demo in DEMOS}


def steps_html(demo: Demo) -> str:
    """The demo's steps as a numbered list, its words escaped."""
    items = "".join(f"<li>{html.escape(step)}</li>" for step in demo.steps)
    return f'<ol class="demo-steps">{items}</ol>'


@solara.component
def DemoSteps(demo: Demo):
    """The idea, the steps and what to notice of one demo."""
    with solara.Column(gap="4px") as steps:
        solara.Text(demo.idea, style={"display": "block"})
        solara.HTML(tag="div", unsafe_innerHTML=steps_html(demo))
        solara.Text(f"What to notice: {demo.notice}", classes=["demo-notice"])
    return steps


@solara.component
def DemoCard(
    demo: Demo,
    available: bool,
    on_start: Callable[[Demo], None],
    on_compare: Callable[[Demo], None],
):
    """A demo as a card, with buttons that load its preset alone or beside the baseline."""
    with solara.Card(demo.title, subtitle=f"Preset {demo.preset}", classes=["demo-card"]) as card:
        DemoSteps(demo)
        if not available:
            solara.Warning(f"The preset {demo.preset} is not among the presets found.")
        with solara.CardActions():
            solara.Button(
                "Start this demo",
                color="primary",
                disabled=not available,
                on_click=lambda: on_start(demo),
            )
            solara.Button(
                "Compare with baseline",
                color="primary",
                outlined=True,
                disabled=not available,
                on_click=lambda: on_compare(demo),
            )
    return card


@solara.component
def CurrentDemo(preset: str):
    """The steps of the demo whose preset is running, folded under one line; else nothing."""
    demo = DEMO_FOR_PRESET.get(preset)
    if demo is not None:
        solara.Details(
            summary=f"Demo: {demo.title}. Steps and what to notice",
            children=[DemoSteps(demo)],
            expand=True,
        )
