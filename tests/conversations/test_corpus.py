"""The parsers against the realistic corpus: how many answers read exactly as a person would.

Every answer of `corpus.CORPUS` is read with its question's parser and compared with the
reading written down for it. Two figures matter: the share read exactly (at least 97%), and
the silent misreads, which must be none: an answer that should be refused or clarified but
came back as a value, or a value that differs from the expected one. A refusal where a value
was expected is a loud miss: the person is asked again, so it only costs accuracy.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conversations.answers import parse_answer
from conversations.questions import QUESTION_IDS, QUESTIONS
from conversations.values import Config, ParseError, Unclear, Value
from tests.conversations.corpus import CORPUS, REPORTED, Case, Outcome

REQUIRED_ACCURACY = 0.97
MIN_CASES = 400
MIN_CASES_PER_QUESTION = 35
MAX_OPTIONS = 5
MAX_LABEL_CHARS = 40


def _same(got: Value, expected: Value) -> bool:
    """Whether a parsed value reads as expected: floats to a relative 1e-6, wording ignored."""
    if type(got) is not type(expected):
        return False
    if isinstance(got, Config):
        return got.same_as(expected)
    mine = got.model_dump(exclude={"text", "note", "details"})
    theirs = expected.model_dump(exclude={"text", "note", "details"})
    if mine.keys() != theirs.keys():
        return False
    for key, value in mine.items():
        other = theirs[key]
        if isinstance(value, float) and isinstance(other, float):
            if not math.isclose(value, other, rel_tol=1e-6):
                return False
        elif value != other:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Reading:
    """One corpus answer as the parser read it."""

    case: Case
    got: Value | ParseError

    @property
    def outcome(self) -> str:
        """What came back: a value, a clarifying question, or a refusal."""
        if isinstance(self.got, Unclear):
            return Outcome.CLARIFY.value
        if isinstance(self.got, ParseError):
            return Outcome.REFUSE.value
        return "value"

    @property
    def exact(self) -> bool:
        """Read exactly as expected."""
        expected = self.case.expect
        if isinstance(expected, Outcome):
            return self.outcome == expected.value
        return isinstance(self.got, Value) and _same(self.got, expected)

    @property
    def silent_misread(self) -> bool:
        """Came back as a value that is not the expected one: nobody would notice."""
        return isinstance(self.got, Value) and not self.exact

    def line(self) -> str:
        """The reading, for a failure message."""
        got = self.got if isinstance(self.got, Value) else self.outcome
        return (
            f"[{self.case.question}] {self.case.text!r}: expected {self.case.expect!r}, got {got!r}"
        )


READINGS = tuple(Reading(case, parse_answer(case.question, case.text)) for case in CORPUS)


def test_corpus_is_large_and_covers_every_question() -> None:
    """The corpus holds at least 400 answers, and at least 35 for each of the nine questions."""
    per_question = Counter(case.question for case in CORPUS)
    assert len(CORPUS) >= MIN_CASES
    assert set(per_question) == set(QUESTION_IDS)
    assert min(per_question.values()) >= MIN_CASES_PER_QUESTION, per_question


def test_corpus_holds_every_reported_reply() -> None:
    """Each reply the issue reported as refused or misread is in the corpus."""
    texts = {(case.question, case.text) for case in CORPUS}
    assert [reply for reply in REPORTED if reply not in texts] == []


def test_no_silent_misreads(report_line: Callable[[str], None]) -> None:
    """No answer comes back as a value it does not mean: refuse or clarify rather than guess."""
    exact = sum(reading.exact for reading in READINGS)
    misreads = [reading.line() for reading in READINGS if reading.silent_misread]
    report_line(
        f"parsing corpus: {exact}/{len(READINGS)} read exactly "
        f"({exact / len(READINGS):.1%}), {len(misreads)} silent misreads"
    )
    assert misreads == []


def test_corpus_reads_exactly_at_least_97_percent() -> None:
    """At least 97% of the corpus reads exactly as a careful person would read it."""
    misses = [reading.line() for reading in READINGS if not reading.exact]
    accuracy = 1 - len(misses) / len(READINGS)
    assert accuracy >= REQUIRED_ACCURACY, f"{accuracy:.1%} exact; misses:\n" + "\n".join(misses)


CLARIFIED = [reading for reading in READINGS if isinstance(reading.got, Unclear)]


@pytest.mark.parametrize(
    "reading", CLARIFIED, ids=[f"{r.case.question}:{r.case.text}" for r in CLARIFIED]
)
def test_every_clarifying_option_finishes_the_answer(reading: Reading) -> None:
    """A few short options, each a whole answer that reads alone, as does the answer plus its label."""
    unclear = reading.got
    assert isinstance(unclear, Unclear)
    assert unclear.ask
    assert 2 <= len(unclear.options) <= MAX_OPTIONS
    parser = QUESTIONS[reading.case.question].parser
    for option in unclear.options:
        assert 0 < len(option.label) <= MAX_LABEL_CHARS
        alone = parser(option.answer)
        assert isinstance(alone, Value), f"{option.answer!r} does not read: {alone!r}"
        folded = parser(reading.case.text + " " + option.label)
        assert isinstance(folded, Value), f"{option.label!r} does not finish it: {folded!r}"
        assert _same(folded, alone)
