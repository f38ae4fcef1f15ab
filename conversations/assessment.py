"""The assessment: the recommendation together with the complexity risks of following it.

This is what `intake-bot decide` prints and what every summary card leads with.
"""

from __future__ import annotations

from conversations.answers import Answers
from conversations.decision import Recommendation, decide
from conversations.people import Owner
from conversations.risks import Risk, complexity_risks


class Assessment(Recommendation):
    """The recommendation and the complexity risks of following it."""

    risks: tuple[Risk, ...]


def assess(answers: Answers, *, owner: Owner | None) -> Assessment:
    """Decide, then check the decision for complexity risks."""
    recommendation = decide(answers)
    risks = complexity_risks(answers, recommendation, owner)
    return Assessment(**dict(recommendation), risks=risks)
