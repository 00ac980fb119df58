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
        title="Big partnerships where nobody leads stall",
        preset="teaching/leaderless_stall",
        idea=(
            "Partnerships aim for about ten members, and an organisation needs much "
            "leadership to lead, so few can. With many members and nobody to pull them "
            "along, coordination eats the progress: results come slowly, members stop "
            "finding it worth what they pay, and the partnership falls apart."
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
            "play again: the same big ambitions, but now someone can lead. Try a "
            "second seed too: one run alone can mislead.",
        ),
        notice=(
            "Size alone is not the problem; leadership is. Every member beyond two slows "
            "the work unless someone leads, so a big partnership without a leader misses "
            "its milestones, its members' trust and expectations fall, and they leave. "
            "Compare the sizes of the partnerships that do form with the ten aimed for: "
            "invitees judge a plan for themselves, and many say no."
        ),
    ),
    Demo(
        title="A quick win builds trust",
        preset="teaching/quick_win_trust",
        idea=(
            "Every partnership first aims for a small result within its first months, "
            "before its first main milestone. A result is evidence that the partnership "
            "works: trust between the members grows, and members who have seen results "
            "expect more and wait longer for the next."
        ),
        steps=(
            "Press “Compare with baseline”: the baseline runs on the left, this demo on "
            "the right, with the same seed. Press ▶.",
            "On the maps, links start in the colour of the trust new partners grant each "
            "other, red to orange, and turn yellow and green as trust grows. Which side "
            "turns green sooner?",
            "Pause around month 24 and compare the active partnerships, the share of "
            "organisations in one and the survival curves.",
            "Press “Start this demo” to run it alone, and show only “milestones” in "
            "“What happened”: quick wins arrive within the first year.",
            "Watch “Mean trust within partnerships”: it climbs from the first quick "
            "wins, while with the baseline it stays where partnerships start until the "
            "first main milestones arrive.",
        ),
        notice=(
            "A quick win does not make the work faster; it makes results visible "
            "sooner. Each result raises trust and the members' expectation of more "
            "results, so they stay through the long wait for the main milestone."
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
            "In “What happened”, show only “subsidy” and “left”: each subsidy ends nine "
            "months after its partnership formed. Look for members that leave because "
            "they could not pay their share, and at their sizes in the feed.",
            "Play on and watch “Public money spent so far”: the subsidy line flattens "
            "when the programme's budget is used up. Partnerships formed after that get "
            "nothing: a cliff for the whole programme.",
            "Press “Compare with baseline” and compare partnerships of the same age on "
            "the two survival curves.",
            "To see firms priced out, thin their reserves: under “Parameter to type”, "
            "pick “SME reserve per employee”, type a lower value such as 600 and press "
            "Enter, then play again.",
        ),
        notice=(
            "Look at when partnerships dissolve: at the age when members' patience for "
            "a first result runs out, whether or not a subsidy ends then. A cheap start "
            "draws in weaker partnerships, which stall later. Firms' reserves carry the "
            "full price for a while, so the subsidy's end prices out only firms with "
            "thin reserves; the cliff that always shows is the programme's, when its "
            "budget runs out."
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
