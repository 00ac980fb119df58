"""The model's mechanisms by name, each switched by one `mechanism_<name>` parameter.

Switching one off and re-running a comparison with the same seeds shows how much of a
policy's effect that mechanism carries (`clustersim explain`). The names are the
model's own terms; a switched-off mechanism takes a neutral value, stated here, rather
than removing the submodel, so everything else runs as before.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mechanism:
    """A mechanism: its switch and what switching it off means."""

    name: str
    meaning: str
    when_off: str

    @property
    def parameter(self) -> str:
        return f"mechanism_{self.name}"


MECHANISMS: dict[str, Mechanism] = {
    m.name: m
    for m in (
        Mechanism(
            "selection",
            "members accept a project by their estimate of its quality",
            "every member takes each project for the median quality",
        ),
        Mechanism(
            "price",
            "members weigh their cost after any subsidy against what they expect",
            "members decide at the full price, although a subsidy still pays",
        ),
        Mechanism(
            "learning",
            "members revise their expected rate of results from results and waiting",
            "members keep the expectation they joined with",
        ),
        Mechanism(
            "coordination",
            "each member beyond two slows the work unless someone leads",
            "size does not slow the work",
        ),
        Mechanism(
            "leadership",
            "a leader speeds the work; losing the champion ends a partnership",
            "every partnership works as if led at the threshold, and none ends with its leader",
        ),
        Mechanism(
            "trust",
            "results build trust, missed deadlines and free riders erode it",
            "trust stays at its formation value",
        ),
        Mechanism(
            "reputation",
            "a shared partner passes trust on to a stranger",
            "strangers start at the formation trust only",
        ),
        Mechanism(
            "awareness",
            "introductions (matchmaking, a manager) widen whom organisations know",
            "introductions are made but nobody remembers them",
        ),
        Mechanism(
            "capacity",
            "collaboration hours are limited and core work can take them back",
            "hours never run out and core work never calls members back",
        ),
        Mechanism(
            "manager",
            "a cluster manager coordinates, mediates and introduces",
            "the manager is paid but does nothing",
        ),
    )
}
