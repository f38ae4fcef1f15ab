"""Free text -> typed answers.

People answer in their own words ("about 200 gigs a day", "couple hundred ms",
"fortnightly"), so each parser recognises the common forms and returns one of:

- a `Value`, when the answer reads. A range or a vague quantity is read by one
  stated rule (the stricter end of a range; "a few" is 3) and the reading is
  kept in `Value.note`, so the bot can say it back;
- an `Unclear`, when part of the answer is understood and the rest is one of a
  few choices ("200 GB": per day, per week or per month?);
- a `ParseError` that says what it expected, with an example, otherwise: no
  guess is better than a wrong one nobody notices.

A parser never raises: the dialogue relies on that to re-ask instead of
crashing a thread. docs/reading-answers.md states the rules in prose.

Every number-reading parser first rewrites the answer into one plain form
(`_prepare`): lower case, common typos fixed, numbers in words as digits,
ranges as their stricter end. The patterns below read only that form.

Sizes are decimal (1 TB = 1000 GB), as storage and cloud bills count them;
binary units (GiB) are converted exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from conversations import messages as msg
from conversations import readings
from conversations.values import (
    Churn,
    ChurnKind,
    Config,
    Customer,
    CustomerKind,
    Decay,
    Frequency,
    ModelFamily,
    ModelPlan,
    Option,
    ParseError,
    Sla,
    Stakeholders,
    Unclear,
    Value,
    Volume,
)

V = TypeVar("V", bound=Value)
Parser = Callable[[str], Value | Unclear | ParseError]
"""A question's parser. An `Unclear` is also a `ParseError`: test for it first."""

MAX_ANSWER_CHARS = 2000

MINUTE = 1.0
HOUR = 60.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
QUARTER = 91 * DAY
YEAR = 365 * DAY

# A call rate at or above this many calls a second is high throughput (docs/reading-answers.md).
HIGH_THROUGHPUT_CALLS_PER_SECOND = 1000.0
# Two figures for one thing within this ratio restate it ("50 GB a week, ~7 GB a day").
SAME_FIGURE_RATIO = 1.1

# --- the plain form ------------------------------------------------------------------------

# Misspellings common enough in chat to be read as meant; whole words only.
_TYPOS = {
    "evry": "every",
    "everey": "every",
    "dialy": "daily",
    "daliy": "daily",
    "wekly": "weekly",
    "weekley": "weekly",
    "montly": "monthly",
    "monthy": "monthly",
    "quaterly": "quarterly",
    "quartely": "quarterly",
    "anually": "annually",
    "anualy": "annually",
    "hourley": "hourly",
    "mintues": "minutes",
    "minuets": "minutes",
    "secods": "seconds",
    "seconsd": "seconds",
    "miliseconds": "milliseconds",
    "milisecond": "millisecond",
    "terrabyte": "terabyte",
    "terrabytes": "terabytes",
    "gigabtyes": "gigabytes",
    "fortnighly": "fortnightly",
    "retrian": "retrain",
}
_TYPO = re.compile(r"\b(?:" + "|".join(_TYPOS) + r")\b")

# Other ways to say the same thing, rewritten to the form the patterns read. Periods with a
# fixed length become "every N units" or "twice a unit"; the ambiguous "bi-" periods become one
# word that no period pattern reads, so that they are asked about (`_two_ways`).
_ALIASES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Clock times count nothing: "at 2am", "by 9:30".
    (
        re.compile(
            r"(?<![\w.])\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)|"
            r"(?<![\w.:/])\d{1,2}:\d{2}(?![\w:])"
        ),
        " ",
    ),
    # "200ish", "hourly-ish": the figure as given.
    (re.compile(r"(?<=\d)\s?-?ish\b|(?<=ly)-ish\b"), ""),
    (re.compile(r"\bsemi[- ]?annual(?:ly)?\b|\bhalf[- ]?year(?:ly)?\b"), "twice a year"),
    (re.compile(r"\bsemi[- ]?monthly\b"), "twice a month"),
    (re.compile(r"\bsemi[- ]?weekly\b"), "twice a week"),
    (
        re.compile(r"\b(?:(?:once\s+)?(?:every|each|per|a)\s+)?fortnight(?:ly)?\b"),
        "every 2 weeks",
    ),
    (re.compile(r"\bbiennial(?:ly)?\b"), "every 2 years"),
    (re.compile(r"\bevery\s+(\d+)(?:st|nd|rd|th)\b"), r"every \1"),
    (re.compile(r"\bbi[- ]?(?:annual(?:ly)?|yearly)\b"), "biannually"),
    (re.compile(r"\bbi[- ]?weekly\b"), "biweekly"),
    (re.compile(r"\bbi[- ]?monthly\b"), "bimonthly"),
    (re.compile(r"\bper\s+annum\b|\bp\.a\.(?!\w)"), "a year"),
    # "a terabyte", "a gig": one of the unit (but "half a terabyte" is read with the numbers).
    (
        re.compile(
            r"(?<!half )\ban?\s+(?=(?:petabyte|terabyte|tera|gigabyte|gig|megabyte|meg|kilobyte|"
            r"pb|tb|gb|mb|kb)s?\b)"
        ),
        "1 ",
    ),
    # "a second or two", "once or twice": ranges, read by the range rule below.
    (
        re.compile(r"\b(?:an?|one)\s+(second|minute|hour|day|week|month)\s+or\s+two\b"),
        r"1-2 \1s",
    ),
    (re.compile(r"\bonce\s+or\s+twice\b"), "1-2 times"),
)

_UNIT_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALE_WORDS = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9}
# Vague quantities have one reading each; the answer's note says so.
_VAGUE_WORDS = {"couple": 2.0, "few": 3.0}
_DOZEN = 12.0
_HALF = 0.5
_SCALE = r"(?:hundred|thousand|million|billion|dozen)\b"
_WORD_TOKEN = (
    r"(?:a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|(?<!\bvery\s)(?<!\btoo\s)(?<!\bquite\s)"
    r"(?<!\bso\s)few|a\s+dozen|dozen|half\s+an?|an?(?=\s+"
    + _SCALE
    + r")|"
    + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
    + r"|hundred|thousand|million|billion)"
)
# A number in words, possibly after digits: "two hundred", "twenty-five", "a few", "3 hundred".
# "one-off" and "one time" are not counts.
_WORD_NUMBER = re.compile(
    r"(?<![\w.,-])(?:\d+(?:\.\d+)?\s+(?="
    + _SCALE
    + r"))?"
    + _WORD_TOKEN
    + r"(?:(?:\s+|-)"
    + _WORD_TOKEN
    + r")*(?![\w-])(?!\s+(?:off|time)\b)"
)
_WORD_PARTS = re.compile(
    r"a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|a\s+dozen|half\s+an?|[\w.]+"
)


def _words_value(words: str) -> tuple[float, bool] | None:
    """The number in words ("two hundred", "a few"), and whether a vague word was in it."""
    total = current = 0.0
    vague = False
    for part in _WORD_PARTS.findall(words):
        word = re.sub(r"^a\s+|\s+of$", "", part)  # "a couple of" -> "couple"
        if word.startswith("half"):
            current += _HALF
        elif word in _VAGUE_WORDS:
            current += _VAGUE_WORDS[word]
            vague = True
        elif word == "dozen":
            current = (current or 1.0) * _DOZEN
        elif word in ("a", "an"):
            current += 1.0
        elif word == "hundred":
            current = (current or 1.0) * _SCALE_WORDS[word]
        elif word in _SCALE_WORDS:
            total += (current or 1.0) * _SCALE_WORDS[word]
            current = 0.0
        elif word in _UNIT_WORDS:
            current += _UNIT_WORDS[word]
        elif re.fullmatch(r"\d+(?:\.\d+)?", word):
            current += float(word)
        else:
            return None
    return total + current, vague


def _plain(value: float) -> str:
    """A number as digits, never in exponent form: "0.5", "300", "2000000"."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _next_word(text: str, end: int) -> str:
    """The word right after `end`, with its leading space, or nothing."""
    found = re.match(r"\s+[a-z]+", text[end:])
    return found.group(0) if found else ""


def _words_to_numbers(clean: str, notes: list[str]) -> str:
    """ "two hundred gigs" -> "200 gigs", "a few seconds" -> "3 seconds" (noting the reading)."""

    def replace(found: re.Match[str]) -> str:
        words = found.group(0)
        if not re.search(r"[a-z]", words):
            return words
        value = _words_value(words)
        if value is None:
            return words
        figure, vague = value
        if vague:
            unit = _next_word(found.string, found.end())
            notes.append(
                msg.NOTE_APPROXIMATE.format(
                    phrase=words + unit, reading=_display(_plain(figure) + unit)
                )
            )
        return _plain(figure)

    return _WORD_NUMBER.sub(replace, clean)


_RANGE_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_RANGE_MULTIPLIER = r"(?:\s?(?:k|thousand|million|billion|mn|bn|m|b)(?![a-z]))?"
# Two figures for one thing: "10-20", "10 to 20", "10 or 20", "between 10 and 20", "2-3k";
# followed by what they measure ("GB", "times") or ending in a multiplier ("$2-3k"), so that
# "9 to 5," (business hours) is not a range.
_RANGE = re.compile(
    r"(?P<between>\bbetween\s+)?(?<![\w.,/-])(?P<a>"
    + _RANGE_NUMBER
    + r")(?P<amult>"
    + _RANGE_MULTIPLIER
    + r")\s*(?:-|\bto\b|\bor\b|(?(between)\band\b|(?!)))\s*(?P<b>"
    + _RANGE_NUMBER
    + r")(?P<bmult>"
    + _RANGE_MULTIPLIER
    + r")(?=\s?[a-z%/]|(?<=[km])\b)(?!\s?(?:am|pm)\b)"
)
# A unit of time after a range makes it a range of durations: the shorter is the stricter.
_TIME_AFTER = re.compile(
    r"\s?(?:ms|msecs?|millis?|milliseconds?|s|secs?|seconds?|mins?|minutes?|m|h|hrs?|hours?|d|"
    r"days?|nights?|w|wks?|weeks?|months?|mo|quarters?|y|yrs?|years?)\b"
)
# What a range measures, and the period it covers: "20 GB a day", "200 ms", "3 times a day".
_RANGE_UNIT = re.compile(
    r"(?P<unit>\s?[a-z$%/][\w$%/]*)?(?P<period>\s+(?:an?|per|each|every)\s+[a-z]+|"
    r"\s*/\s*[a-z]+|\s+(?:hourly|daily|nightly|weekly|monthly|quarterly|yearly))?"
)


# Words after a range that are not what it measures: "$2-3k to train".
_NOT_UNITS = frozenset({"to", "of", "for", "on", "in", "at", "or", "and", "the", "maybe", "per"})
_PLURAL_UNIT = re.compile(r"\s?(?:seconds|minutes|hours|days|weeks|months|years|times)")


def _ranges_to_stricter(clean: str, notes: list[str]) -> str:
    """ "10-20 GB" -> "20 GB", "100-200 ms" -> "100 ms": amounts read high, durations short.

    The stricter end plans for the harder case: more data, more calls, faster change, more
    frequent retraining, a shorter SLA. Each range read leaves a note.
    """

    def replace(found: re.Match[str]) -> str:
        bmult = found.group("bmult").strip()
        amult = found.group("amult").strip() or bmult
        low = float(found.group("a").replace(",", "")) * _MULTIPLIERS.get(amult, 1.0)
        high = float(found.group("b").replace(",", "")) * _MULTIPLIERS.get(bmult, 1.0)
        durations = _TIME_AFTER.match(found.string, found.end()) is not None
        chosen = (
            found.group("a") + amult if (low <= high) == durations else found.group("b") + bmult
        )
        after = _RANGE_UNIT.match(found.string, found.end())
        unit = (after.group("unit") or "") if after else ""
        period = (after.group("period") or "") if after and unit else ""
        if unit.strip() in _NOT_UNITS:
            unit = period = ""
        shown_unit = unit[:-1] if chosen == "1" and _PLURAL_UNIT.fullmatch(unit) else unit
        dollar = "$" if found.string[found.start() - 1 : found.start()] == "$" else ""
        phrase = f"{found.group('a')}{found.group('amult').strip()}-{found.group('b')}{bmult}"
        notes.append(
            msg.NOTE_RANGE.format(
                phrase=_display(dollar + phrase + unit + period),
                reading=_display(dollar + chosen + shown_unit),
            )
        )
        return chosen

    return _RANGE.sub(replace, clean)


_DISPLAY_UNITS = re.compile(r"\b(?:kb|mb|gb|tb|pb|kib|mib|gib|tib|pib)\b")


def _display(text: str) -> str:
    """A phrase from the plain form, fit to show: size units in capitals ("20 GB")."""
    return _DISPLAY_UNITS.sub(lambda unit: unit.group(0).upper().replace("I", "i"), text)


# A minus sign on a figure ("-5 GB", "$-50"), not a range's dash ("10-20", "10 - 20").
_MINUS = re.compile(r"(?:^|(?<=[\s(~:=$]))-(?=\.?\d)|\bminus\s+(?=\d)")


def _has_negative(clean: str) -> bool:
    """Whether the answer gives a figure below zero."""
    return any(
        not clean[: found.start()].rstrip()[-1:].isdigit() for found in _MINUS.finditer(clean)
    )


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An answer in the plain form, with the notes on how its ranges and hedges were read."""

    clean: str
    notes: tuple[str, ...]
    negative: bool

    @property
    def note(self) -> str:
        """The notes as one sentence for `Value.note`."""
        return "; ".join(self.notes)


def _clean(text: str) -> str:
    """Lower-case, straighten apostrophes and dashes, collapse whitespace."""
    straight = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u2212", "-")
        .replace("\u2013", "-")
    )
    return " ".join(straight.strip().lower().split())


def _prepare(text: str) -> _Prepared:
    """The plain form every number-reading parser reads (see the module docstring)."""
    clean = _TYPO.sub(lambda typo: _TYPOS[typo.group(0)], _clean(text))
    for pattern, replacement in _ALIASES:
        clean = pattern.sub(replacement, clean)
    negative = _has_negative(clean)
    notes: list[str] = []
    clean = _words_to_numbers(clean, notes)
    clean = _ranges_to_stricter(clean, notes)
    return _Prepared(clean=" ".join(clean.split()), notes=tuple(notes), negative=negative)


# --- figures, sizes and rows ------------------------------------------------------------------

# A number as people type it: "1,000", "2.5", ".5", with an optional multiplier word. It
# starts a token: the "400" of "1e400", the "99" of "p99" and the "000" of "1,0000" are not numbers.
_NUMBER = r"(?<![\w.])(?<!\d,)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_MULTIPLIER = r"(?:\s*(?P<mult>thousand|million|billion|mn|bn|k|m|b)\b)?"
_MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}

# A count: digits with an optional multiplier ("3m", "10 million"); numbers in words are
# digits by now (`_prepare`).
_QUANTITY = "(?:" + _NUMBER + _MULTIPLIER + ")"
_QUANTITY_RE = re.compile(_QUANTITY)
# "about", "~": words that may stand between a joining word and the size it joins.
_APPROX = r"(?:about|around|roughly|approx\.?|approximately|~|≈|some|up to|on average)"

_SIZE_UNITS_GB = {
    "b": 1e-9,
    "byte": 1e-9,
    "bytes": 1e-9,
    "kb": 1e-6,
    "kilobyte": 1e-6,
    "kilobytes": 1e-6,
    "mb": 1e-3,
    "meg": 1e-3,
    "megs": 1e-3,
    "megabyte": 1e-3,
    "megabytes": 1e-3,
    "gb": 1.0,
    "gig": 1.0,
    "gigs": 1.0,
    "gigabyte": 1.0,
    "gigabytes": 1.0,
    "tb": 1e3,
    "tera": 1e3,
    "teras": 1e3,
    "terabyte": 1e3,
    "terabytes": 1e3,
    "pb": 1e6,
    "petabyte": 1e6,
    "petabytes": 1e6,
    # Binary units, exactly: 1 GiB = 2**30 bytes.
    "kib": 2**10 / 1e9,
    "mib": 2**20 / 1e9,
    "gib": 2**30 / 1e9,
    "tib": 2**40 / 1e9,
    "pib": 2**50 / 1e9,
}
_SIZE_UNIT = (
    r"(?P<unit>petabytes?|terabytes?|gigabytes?|megabytes?|kilobytes?|bytes?|"
    r"teras?|gigs?|megs?|pib|tib|gib|mib|kib|pb|tb|gb|mb|kb|b)s?\b"
)
_SIZE = re.compile(_NUMBER + r"\s*" + _SIZE_UNIT)
# Things counted in a volume, each with a size of its own: "3000 events", "20 files", "10k users".
_ROW_NOUN = (
    r"(?:rows?|records?|events?|messages?|documents?|docs?|lines?|items?|requests?|calls?|"
    r"transactions?|entry|entries|files?|images?|objects?|samples?|readings?|observations?|"
    r"predictions?|orders?|clicks?|logs?|emails?|users?|customers?|devices?|sensors?|sessions?|"
    r"accounts?|runs?|batch(?:es)?|jobs?|loads?|dumps?|uploads?|snapshots?)"
)
# A period written inside a volume: "rows per day", "rows/day", "events a second", "daily".
_PERIOD_INLINE = (
    r"(?:(?:(?:per|a|an|each|every)\s+|/\s*)(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|"
    r"days?|d|nights?|weeks?|wks?|months?|mo|quarters?|years?|yrs?|24\s*h(?:ours?|rs?)?)|"
    r"\b(?:daily|nightly|hourly|weekly|monthly|quarterly|yearly|annually))\b"
)
# A row count, possibly with the row size before the noun: "10 million rows", "10m 1 KB rows".
_ROW_COUNT = re.compile(
    _QUANTITY
    + r"(?:\s+(?:of\s+)?(?:"
    + _APPROX
    + r"\s*)?(?<![\w.])(?P<rowsize>\d+(?:\.\d+)?)\s*"
    + _SIZE_UNIT.replace("?P<unit>", "?P<rowunit>")
    + r"[\s-]*|\s*)"
    + _ROW_NOUN
    + r"\b"
)
# A size marked, after it, as the size of one row: "1 KB each", "2 GB per file", "1 KB/row".
_ROW_SIZE_AFTER = re.compile(
    r"\s*(?:each|apiece|a piece|(?:per|for each|for every|every|an?)\s+"
    + _ROW_NOUN
    + r"|/\s*"
    + _ROW_NOUN
    + r")\b"
)
# Words joining a row count to a row size: "rows per day at 1 KB", "rows/day x 500 bytes".
_ROW_JOINER = (
    r"(?:(?:of|at|x|with|averaging|avg\.?|weighing|sized|(?:average\s+)?size(?:\s+(?:is|of))?|"
    r"each(?:\s+" + _ROW_NOUN + r")?(?:\s+(?:is|are|of))?)\b|[@×*])"
)
# A size marked, before it, as the size of one row. The text before the size must end here.
_ROW_SIZE_BEFORE = re.compile(
    r"(?:\b"
    + _ROW_NOUN
    + r"\b(?:\s*"
    + _PERIOD_INLINE
    + r")?(?:\s*,?\s*"
    + _ROW_JOINER
    + r")+"
    # "each row is ~", "average row size", "each user sends", "each sends".
    + r"|\b(?:(?:each|per|every|an?|one|average|avg\.?|typical)\s+"
    + _ROW_NOUN
    + r"|each)(?:\s+(?:size|is|are|has|weighs|averages|averaging|of|sends|generates|produces|"
    r"emits|writes|uploads|takes))*"
    # "row size 2 KB", "records average 1 KB"; not "the logs are 40 GB a day".
    + r"|\b"
    + _ROW_NOUN
    + r"\s+(?:sizes?|averages?|averaging|weighs?)(?:\s+(?:is|are|of|about))?"
    + r"|\b(?:average|avg\.?|typical)\s+size(?:\s+(?:is|of))?)\s*[:=]?\s*(?:"
    + _APPROX
    + r"\s*)*$"
)
# A row count right before a size with no joining word: "10 million rows ~1 KB". Only a
# byte-scale size reads as one row's: "10 million rows 40 GB a day" gives the total.
_ROW_SIZE_BARE = re.compile(r"\b" + _ROW_NOUN + r"\s+(?:" + _APPROX + r"\s*)*$")
# A size held in storage rather than moved per period: "2 TB total", "we have 2 TB".
_STOCK_AFTER = re.compile(
    r"\s*(?:in\s+total|total|overall|stored|in\s+storage|at\s+rest|so\s+far|"
    r"historical(?:ly)?|(?:of|in)\s+history|of\s+historical\s+data|already|existing|archived|"
    r"(?:of\s+)?backlog)\b"
)
_STOCK_BEFORE = re.compile(
    r"\b(?:we\s+(?:have|store|hold|keep)|currently|already|existing|(?:history|backlog|backfill|"
    r"archive|initial\s+load|dataset|total)\s+of|backfill|historical|initial\s+load|initially)\s*"
    r"(?:" + _APPROX + r"\s*)*$"
)
_PERIOD_NEXT = re.compile(r"\s*(?:" + _PERIOD_INLINE + r"|every\b|once\b|twice\b)")


# --- periods -------------------------------------------------------------------------------

_DAY_NAMES = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
# Periods, in minutes. Longer phrases first so "every other day" never reads as "day"; each
# starts on a word, so the ambiguous "biweekly" (asked about: `_two_ways`) is not "weekly".
_PERIOD_WORDS: tuple[tuple[str, float], ...] = (
    (r"\bper\s+second|\ba\s+second|\beach\s+second|/\s*s(?:ec)?\b|\bper\s+sec\b", MINUTE / 60),
    (r"\bper\s+minute|\ba\s+minute|\beach\s+minute|/\s*min(?:ute)?\b|\bper\s+min\b", MINUTE),
    (
        r"\bper\s+hour|\ban?\s+h(?:ou)?r\b|\beach\s+hour|\bevery\s+hour|\bhourly|"
        r"/\s*h(?:ou)?r\b|\bper\s+hr\b",
        HOUR,
    ),
    (
        r"\bper\s+day|\ba\s+day|\beach\s+day|\bevery\s+day|\bdaily|\bnightly|/\s*d(?:ay)?\b|"
        r"\b(?:per|a|each)\s+night\b|\b(?:every|each|per|a)\s+(?:morning|evening|weekday|"
        r"business\s+day|working\s+day)\b|\bon\s+weekdays\b|"
        r"\b(?:per|every|each|in|a)\s+24\s*h(?:ours?|rs?)?\b",
        DAY,
    ),
    (
        r"\bper\s+week|\ba\s+week|\beach\s+week|\bevery\s+week|\bweekly|/\s*w(?:ee)?k\b|"
        r"\b(?:per|a|each)\s+wk\b|\bevery\s+(?:weekend|" + _DAY_NAMES + r")\b|"
        r"\bon\s+" + _DAY_NAMES + r"s\b",
        WEEK,
    ),
    (
        r"\bper\s+month|\ba\s+month|\beach\s+month|\bevery\s+month|\bmonthly|"
        r"/\s*mo(?:nth)?\b|\bmonth[- ]end\b|\bend\s+of\s+(?:each|every|the)\s+month\b",
        MONTH,
    ),
    (
        r"\bper\s+quarter|\ba\s+quarter|\beach\s+quarter|\bquarterly|"
        r"\bquarter[- ](?:end|close)s?\b|\bend\s+of\s+(?:each|every|the)\s+quarter\b|"
        r"\bquarter\s+closes\b",
        QUARTER,
    ),
    (
        r"\bper\s+year|\ba\s+year|\beach\s+year|\bevery\s+year|\byearly|\bannually|"
        r"/\s*y(?:ea)?r\b|\byear[- ]end\b|\bend\s+of\s+(?:each|every|the)\s+year\b",
        YEAR,
    ),
)
_PERIODS = tuple((re.compile(pattern), minutes) for pattern, minutes in _PERIOD_WORDS)

_UNIT_MINUTES = {
    "second": MINUTE / 60,
    "sec": MINUTE / 60,
    "s": MINUTE / 60,
    "minute": MINUTE,
    "min": MINUTE,
    "hour": HOUR,
    "hr": HOUR,
    "h": HOUR,
    "day": DAY,
    "night": DAY,
    "d": DAY,
    "week": WEEK,
    "wk": WEEK,
    "w": WEEK,
    "month": MONTH,
    "mo": MONTH,
    "quarter": QUARTER,
    "year": YEAR,
    "yr": YEAR,
}
_EVERY_N = re.compile(
    r"\bevery\s+(?:(?P<n>\d+(?:\.\d+)?|other)\s*)?"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|nights?|weeks?|wks?|"
    r"months?|quarters?|years?|yrs?)\b"
)
_WORD_COUNTS = {"once": 1.0, "twice": 2.0, "thrice": 3.0}
_COUNT_PERIOD = re.compile(
    r"(?<![\w.])(?P<count>once|twice|thrice|\d+(?:\.\d+)?)\s*"
    r"(?:times?|x)?\s*(?:a|an|per|each|every|/)\s*"
    r"(?P<unit>second|sec|minute|min|hour|hr|day|night|week|wk|month|quarter|year|yr)\b"
)
# A count before a period adverb: "twice daily", "2x weekly", "once nightly".
_COUNT_ADVERB = re.compile(
    r"(?<![\w.])(?P<count>once|twice|thrice|\d+(?:\.\d+)?\s*(?:times|x))\s*"
    r"(?P<adverb>hourly|daily|nightly|weekly|monthly|quarterly|yearly|annually)\b"
)
_ADVERB_MINUTES = {
    "hourly": HOUR,
    "daily": DAY,
    "nightly": DAY,
    "weekly": WEEK,
    "monthly": MONTH,
    "quarterly": QUARTER,
    "yearly": YEAR,
    "annually": YEAR,
}
# The "bi-" periods: every two units or twice a unit, so they are asked about.
_TWO_WAYS = re.compile(r"\b(?:biweekly|bimonthly|biannually)\b")
_TWO_WAYS_TYPED = {
    "biweekly": r"\bbi[- ]?weekly\b",
    "bimonthly": r"\bbi[- ]?monthly\b",
    "biannually": r"\bbi[- ]?(?:annual(?:ly)?|yearly)\b",
}

_DURATION = re.compile(
    _NUMBER
    + r"\s*(?P<unit>milliseconds?|msecs?|millis?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|"
    r"hrs?|h|days?|d|weeks?|wks?|w|months?|mo|quarters?|years?|yrs?|y)\b"
)
_DURATION_MINUTES = {
    **_UNIT_MINUTES,
    "millisecond": MINUTE / 60_000,
    "msec": MINUTE / 60_000,
    "milli": MINUTE / 60_000,
    "millis": MINUTE / 60_000,
    "ms": MINUTE / 60_000,
    "m": MINUTE,
    "y": YEAR,
}


# --- negation ------------------------------------------------------------------------------

# A keyword counts only when the answer affirms it: "not real-time", "no partners",
# "non-public", "without kafka" and "real-time is not needed" name a thing to rule it out.
_NEGATOR = re.compile(r"\b(?:no|not|non|without|never|neither|nor|nothing|none|cannot)\b|n't\b")
# A negation reaches to the end of its clause: "not external, internal only" affirms "internal".
_CLAUSE_BREAK = re.compile(
    r"[,;:!?()\[\]\n]|\.(?!\d)|\s[-\u2013\u2014]\s|\b(?:but|just|only|instead|rather|though|"
    r"although|however|except|whereas|while|so|because|then|more like|actually)\b"
)
# How far back a negation can reach, in characters: further than any clause people type.
_CLAUSE_REACH = 200
# A negation that sets a bound affirms: "no more than 200 ms", "not needed before the morning".
_BOUND_WORDS = re.compile(
    r"\b(?:more|less|later|longer|slower|greater|bigger|larger|higher|worse|fewer|than|until|"
    r"till|before|after|earlier|sooner|beyond|over|under|above|below|exceed\w*)\b"
)
# A negation ends at a figure: in "not even 10 requests a day" it does not reach "a day".
_FIGURE = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:\s*(?:k|m|b|bn|mn|kb|mb|gb|tb|pb|bytes?|ms|s|secs?|mins?|h|"
    r"hrs?|d|x|rps|qps|tps|%))?(?!\w)"
)
# A figure is ruled out only by a negation right before it, or across a verb: "not 40 GB",
# "we don't need 100 ms"; in "without compression 40 GB" the negation is about compression.
_TO_A_FIGURE = re.compile(
    r"(?:\s*\b(?:need|needs|want|wants|require|requires|expect|have|has|be|to|it|that|really|"
    r"necessarily|do|does)\b)*\s*"
)
# Ruled out after the keyword: "real-time is not required", "streaming isn't needed".
_DECLINED_AFTER = re.compile(
    r"\s*(?:(?:is|are|was|would|will)\s+)?(?:not|never|isn't|aren't|wasn't|won't|wouldn't)\s+"
    r"(?:(?:be|really|strictly|actually|necessarily)\s+)*(?:needed|required|necessary|important|"
    r"wanted|critical|an?\s+(?:requirement|must|priority|concern|need|option))\b"
)


def _number(match: re.Match[str]) -> float:
    """The matched number with its multiplier applied."""
    value = float(match.group("num").replace(",", ""))
    mult = match.groupdict().get("mult")
    return value * _MULTIPLIERS[mult] if mult else value


def _negated(clean: str, match: re.Match[str]) -> bool:
    """Whether the answer rules out what `match` names, earlier in its clause or right after it.

    The last "no", "not", "non-", "without" or "never" before a keyword in the same clause
    negates it, unless a bound ("no more than", "not later than") or a figure stands between.
    A figure ("40 GB", "100 ms") is negated only from right before it ("not 40 GB") or across
    a verb ("don't need 100 ms"). A following "is not needed" negates either.
    """
    before = clean[max(0, match.start() - _CLAUSE_REACH) : match.start()]
    breaks = [found.end() for found in _CLAUSE_BREAK.finditer(before)]
    clause = before[breaks[-1] :] if breaks else before
    negators = list(_NEGATOR.finditer(clause))
    if negators:
        between = clause[negators[-1].end() :]
        reaches = not _BOUND_WORDS.search(between) and not _FIGURE.search(between)
        if match.group(0)[:1].isdigit():
            reaches = reaches and _TO_A_FIGURE.fullmatch(between) is not None
        if reaches:
            return True
    return _DECLINED_AFTER.match(clean, match.end()) is not None


def _affirmed_all(pattern: re.Pattern[str], clean: str) -> list[re.Match[str]]:
    """Every match of `pattern` that the answer does not negate, in order."""
    return [found for found in pattern.finditer(clean) if not _negated(clean, found)]


def _affirmed(pattern: re.Pattern[str], clean: str) -> re.Match[str] | None:
    """The first match of `pattern` the answer does not negate: how every keyword family reads."""
    return next((found for found in pattern.finditer(clean) if not _negated(clean, found)), None)


def _period_minutes(text: str) -> float | None:
    """The period a text names ("a week", "nightly", "every 15 minutes"), in minutes."""
    every = _affirmed(_EVERY_N, text)
    if every:
        return _every_minutes(every)
    for pattern, minutes in _PERIODS:
        if _affirmed(pattern, text):
            return minutes
    return None


def _schedule_minutes(text: str) -> float | None:
    """Minutes between occurrences: a count per period first ("twice a day"), else the period."""
    counted = _count_period(text)
    return counted if counted is not None else _period_minutes(text)


def _every_minutes(match: re.Match[str]) -> float:
    """Minutes between occurrences of an "every N units" phrase."""
    unit = match.group("unit").rstrip("s") or "s"
    count_text = match.group("n")
    if count_text == "other":
        return 2 * _UNIT_MINUTES[unit]
    return (float(count_text) if count_text else 1.0) * _UNIT_MINUTES[unit]


def _finite(value: float) -> bool:
    """Reject inf/nan that huge typed numbers could produce."""
    return math.isfinite(value) and value >= 0


def too_long(text: str) -> ParseError | None:
    """Refuse an answer over the length limit before any parser sees it."""
    if len(text) > MAX_ANSWER_CHARS:
        return ParseError(
            problem=msg.TOO_LONG.format(length=len(text), limit=MAX_ANSWER_CHARS),
            expected=msg.TOO_LONG_EXPECTED,
            example=msg.TOO_LONG_EXAMPLE,
        )
    return None


def is_text(text: str) -> bool:
    """False for a string no card can show: lone surrogates, as a JSON escape can produce."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _count_period(clean: str) -> float | None:
    """Minutes between events for "twice a day", "3 times a week", "twice daily"."""
    match = _affirmed(_COUNT_PERIOD, clean)
    adverb = _affirmed(_COUNT_ADVERB, clean)
    if match:
        period = _UNIT_MINUTES[match.group("unit")]
    elif adverb:
        match = adverb
        period = _ADVERB_MINUTES[adverb.group("adverb")]
    else:
        return None
    written = re.sub(r"\s*(?:times|x)$", "", match.group("count"))
    count = _WORD_COUNTS.get(written) or float(written)
    if count <= 0:
        return None
    minutes = period / count
    return minutes if minutes > 0 else None


def _plain_duration_minutes(clean: str) -> float | None:
    """Minutes in "30 days", "2 seconds", "50ms" (a duration with no "every")."""
    match = _affirmed(_DURATION, clean)
    if not match:
        return None
    unit = match.group("unit")
    key = unit if unit in _DURATION_MINUTES else unit.rstrip("s")
    return float(match.group("num").replace(",", "")) * _DURATION_MINUTES[key]


def _two_ways(clean: str) -> str | None:
    """The "bi-" period the answer gives ("biweekly"), when it gives no other period."""
    found = _affirmed(_TWO_WAYS, clean)
    return found.group(0) if found else None


def _unclear(refused: ParseError, ask: str, options: list[tuple[str, str]]) -> Unclear:
    """A refusal that also asks for the missing part, with (label, whole answer) options."""
    return Unclear(
        problem=refused.problem,
        expected=refused.expected,
        example=refused.example,
        ask=ask,
        options=tuple(Option(label=label, answer=answer) for label, answer in options),
    )


def _finished(text: str, labels: tuple[str, ...]) -> list[tuple[str, str]]:
    """Options whose answers are the answer followed by the missing part: "200 GB per week"."""
    return [(label, f"{text.strip()} {label}") for label in labels]


def _two_ways_unclear(text: str, which: str, refused: ParseError) -> Unclear:
    """ "Every two weeks or twice a week?": each option puts its period in the bi- word's place."""
    labels = msg.OPTIONS_TWO_WAYS[which]
    typed = re.compile(_TWO_WAYS_TYPED[which], re.IGNORECASE)
    options = [(label, typed.sub(label, text.strip(), count=1)) for label in labels]
    return _unclear(refused, msg.ASK_TWO_WAYS[which], options)


# A data volume in an answer to another question: "300 GB per day". A bare "b" is left out:
# in "3b calls a day" it counts calls.
_VOLUME_PHRASE = re.compile(
    _NUMBER
    + r"\s*(?:petabytes?|terabytes?|gigabytes?|megabytes?|kilobytes?|bytes|teras?|gigs?|megs?|"
    r"pib|tib|gib|mib|kib|pb|tb|gb|mb|kb)s?\b(?:\s*(?:of\s+\w+\s+)?" + _PERIOD_INLINE + r")?"
)


def _read(
    text: str,
    reader: Callable[[str, _Prepared], V | ParseError],
    refused: ParseError,
    wants: str | None = None,
) -> V | ParseError:
    """Prepare the answer and read it; an `Unclear` is kept only if its options finish it.

    Negative figures are refused. With `wants`, an answer that is only a data volume is
    refused with a hint saying what the question asks; a volume beside a readable answer is
    left out of its reading.
    """

    def once(answer: str) -> V | ParseError:
        prepared = _prepare(answer)
        if prepared.negative:
            return refused.model_copy(update={"problem": msg.NEGATIVE_NUMBER})
        if wants is not None:
            rest = _VOLUME_PHRASE.sub(" ", prepared.clean)
            if rest != prepared.clean:
                read = reader(answer, _Prepared(clean=rest, notes=prepared.notes, negative=False))
                if isinstance(read, ParseError) and not isinstance(read, Unclear):
                    return refused.model_copy(
                        update={"problem": msg.LOOKS_LIKE_VOLUME.format(wants=wants)}
                    )
                return read
        return reader(answer, prepared)

    return _checked(once(text), text, once)


def _checked(
    result: V | ParseError, text: str, reread: Callable[[str], V | ParseError]
) -> V | ParseError:
    """An `Unclear` whose every option finishes the answer, else the plain refusal.

    An option finishes it when its answer reads on its own and the answer followed by its
    label reads the same, which is what a button and a typed follow-up send. An answer
    unclear in more than one way ("rarely, biweekly") is refused rather than asked twice.
    """
    if not isinstance(result, Unclear):
        return result
    refusal = ParseError(problem=result.problem, expected=result.expected, example=result.example)
    for option in result.options:
        alone = reread(option.answer)
        followed = reread(f"{text.strip()} {option.label}")
        if not isinstance(alone, Value) or not isinstance(followed, Value):
            return refusal
        if not alone.same_as(followed):
            return refusal
    return result


# --- volume --------------------------------------------------------------------------------


def _size_gb(match: re.Match[str]) -> float:
    """A matched size in decimal GB."""
    return _number(match) * _SIZE_UNITS_GB[match.group("unit")]


def _is_row_size(clean: str, size: re.Match[str]) -> bool:
    """Whether a size is one row's ("1 KB each", "rows/day at 1 KB", "each row ~2 KB")."""
    if _STOCK_AFTER.match(clean, size.end()):
        return False
    if _ROW_SIZE_AFTER.match(clean, size.end()):
        return True
    before = clean[max(0, size.start() - 120) : size.start()]
    if _ROW_SIZE_BEFORE.search(before):
        return True
    return _SIZE_UNITS_GB[size.group("unit")] < 1.0 and bool(_ROW_SIZE_BARE.search(before))


def _is_stock(clean: str, size: re.Match[str]) -> bool:
    """Whether a size is what is stored, not what arrives ("2 TB total", "we have 2 TB").

    A stock with a period straight after it is a throughput after all: "2 TB total per year".
    """
    after = _STOCK_AFTER.match(clean, size.end())
    before = _STOCK_BEFORE.search(clean[max(0, size.start() - 60) : size.start()])
    if not (after or before):
        return False
    return _PERIOD_NEXT.match(clean, after.end() if after else size.end()) is None


_CALL_COUNT = re.compile(
    r"\b(?:requests?|reqs?|calls?|quer(?:y|ies)|transactions?|hits?|invocations?|lookups?)\b"
)
_CALL_RATE_UNIT = re.compile(r"\b(?:rps|qps|tps|rpm|req/s|requests/s|calls/s)\b")


def _volume_sizes(clean: str) -> list[tuple[float, float | None]] | str:
    """Each amount of data the answer gives, in GB, with the period written right after it.

    A row count times a row size is one amount; otherwise each size that is not one row's
    and not a stored total is one ("10 GB a day but spikes to 50 GB" gives two). Returns the
    problem to report when no amount can be read.
    """
    counts = _affirmed_all(_ROW_COUNT, clean)
    sized = next((count for count in counts if count.group("rowsize")), None)
    if sized:
        row_gb = float(sized.group("rowsize")) * _SIZE_UNITS_GB[sized.group("rowunit")]
        return [(_number(sized) * row_gb, None)]
    sizes = _affirmed_all(_SIZE, clean)
    row_sizes = [size for size in sizes if _is_row_size(clean, size)]
    if counts and row_sizes:
        return [(_number(counts[0]) * _size_gb(row_sizes[0]), None)]
    # With no "each", a size is the total: "10 million rows, 40 GB a day". A stored total
    # gives way to a size that arrives: "2 TB total, growing 10 GB a day".
    totals = [size for size in sizes if size not in row_sizes]
    flows = [size for size in totals if not _is_stock(clean, size)]
    if flows:
        return [(_size_gb(size), _own_period(clean, size.end())) for size in flows]
    if totals:
        return msg.VOLUME_ONLY_STORED
    if row_sizes:
        return msg.VOLUME_NO_ROW_COUNT
    if any(_CALL_COUNT.search(count.group(0)) for count in counts) or _CALL_RATE_UNIT.search(clean):
        return msg.LOOKS_LIKE_CALL_RATE
    if counts:
        return msg.VOLUME_NO_ROW_SIZE
    if _SIZE.search(clean):
        return msg.VOLUME_NO_SIZE
    return msg.VOLUME_NO_UNIT if re.search(r"\d", clean) else msg.VOLUME_NO_SIZE


def _own_period(clean: str, end: int) -> float | None:
    """The period written after a size in its own clause: the "a week" of "50 GB a week, ..."."""
    clause = clean[end:]
    cut = _CLAUSE_BREAK.search(clause)
    return _schedule_minutes(clause[: cut.start()] if cut else clause)


def parse_volume(text: str) -> Volume | Unclear | ParseError:
    """A size per period -> GB per day ("2 TB per week", "10 million rows of about 1 KB per day").

    Several amounts ("10 GB a day, spikes to 50 GB") read as the largest, and say so.
    """
    refused = ParseError(problem="", expected=msg.VOLUME_EXPECTED, example=msg.VOLUME_EXAMPLE)
    return _read(text, lambda typed, prepared: _read_volume(typed, prepared, refused), refused)


def _read_volume(text: str, prepared: _Prepared, refused: ParseError) -> Volume | ParseError:
    clean = prepared.clean
    sizes = _volume_sizes(clean)
    if isinstance(sizes, str):
        return refused.model_copy(update={"problem": sizes})
    period = _schedule_minutes(clean)
    timed = [(gb, own if own is not None else period) for gb, own in sizes]
    periods = [minutes for _, minutes in timed if minutes is not None]
    if not periods:
        unperiodic = refused.model_copy(update={"problem": msg.VOLUME_NO_PERIOD})
        which = _two_ways(clean)
        if which is not None:
            return _two_ways_unclear(text, which, unperiodic)
        size = readings.data_size(max(gb for gb, _ in sizes))
        return _unclear(
            unperiodic,
            msg.ASK_VOLUME_PERIOD.format(size=size),
            _finished(text, msg.OPTIONS_VOLUME_PERIOD),
        )
    daily = [
        gb * DAY / minutes if minutes > 0 else math.inf
        for gb, minutes in timed
        if minutes is not None
    ]
    gb_per_day = max(daily)
    if not (_finite(gb_per_day) and all(_finite(minutes) for minutes in periods)):
        return refused.model_copy(update={"problem": msg.NUMBER_OUT_OF_RANGE})
    notes = list(prepared.notes)
    if gb_per_day > min(daily) * SAME_FIGURE_RATIO:
        notes.append(
            msg.NOTE_LARGEST.format(count=len(daily), reading=readings.daily_volume(gb_per_day))
        )
    return Volume(text=text.strip(), gb_per_day=gb_per_day, note="; ".join(notes))


# --- churn ---------------------------------------------------------------------------------

_NEVER_CHURN = re.compile(
    r"^never\b(?!\s+(?:stops|ends|sleeps|pauses)\b)|\bnever (?:really )?changes?\b|\bstatic\b|"
    r"\b(?:does not|doesn't|won't|will not) (?:really )?change\b|\bimmutable\b|"
    r"\bfixed (?:data(?:set)?|snapshot)\b|\bone[- ]off\b|\bno changes?\b|"
    r"\bunchanging\b|\bnothing changes\b"
)
_CONSTANT_CHURN = re.compile(
    r"\bconstant(?:ly)?\b|\bcontinuous(?:ly)?\b|\bstream(?:s|ing|ed)?\b|"
    r"(?<!near )(?<!near-)\breal[- ]?time\b|\blive\b|\ball the time\b|\bnon[- ]?stop\b|"
    r"\bevery second\b|\bnever (?:stops|ends|sleeps|pauses)\b"
)
# Change that is rare and keeps no schedule. A stated period, however long, is a schedule.
_LOW_CHURN = re.compile(
    r"^low$|\brarely\b|\bseldom\b|\boccasionally\b|\bslow(?:ly)?\b|\binfrequent(?:ly)?\b|"
    r"\bhardly (?:ever\b|changes?\b)|\balmost never\b|\bnot (?:very |that |too |so )?often\b|"
    r"\bonce in a while\b|\b(?:every )?now and (?:then|again)\b|\bfrom time to time\b|"
    r"\bad[- ]hoc\b|\bsporadic(?:ally)?\b|\birregular(?:ly)?\b|\bunscheduled\b|"
    r"\bno (?:fixed |set |regular )?schedule\b"
)
# Which way a rare change with a period goes: "rarely, about once a year ... on a schedule".
# They answer the clarifying question, so they are read wherever they stand, irregular first.
_SCHEDULED = re.compile(r"\bon a (?:fixed )?schedule\b|\bscheduled\b|\bfixed schedule\b")
_IRREGULAR = re.compile(
    r"\birregular(?:ly)?\b|\bno (?:fixed |set |regular )?schedule\b|\bnot on a schedule\b|"
    r"\bunscheduled\b|\bad[- ]hoc\b|\bsporadic(?:ally)?\b"
)


def parse_churn(text: str) -> Churn | Unclear | ParseError:
    """Data velocity: never / low (rare, no schedule) / a schedule (keeping its period) / constant.

    "Never changes" as part of a longer answer gives way to arrivals it names: in "new records
    arrive daily, old ones never change" the data churns daily. "Rarely" with a period asks
    which of the two it is.
    """
    refused = ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CHURN_EXPECTED, example=msg.CHURN_EXAMPLE
    )
    return _read(
        text,
        lambda typed, prepared: _read_churn(typed, prepared, refused),
        refused,
        wants=msg.WANTS_CHURN,
    )


def _read_churn(text: str, prepared: _Prepared, refused: ParseError) -> Churn | ParseError:
    clean = prepared.clean
    choice = {kind.value: kind for kind in ChurnKind}.get(clean)
    if choice is not None:
        return Churn(text=text.strip(), kind=choice)
    low = _affirmed(_LOW_CHURN, clean)
    never = _affirmed(_NEVER_CHURN, clean)
    constant = _affirmed(_CONSTANT_CHURN, clean)
    period = _schedule_minutes(clean)
    if period is None and not (low or never or constant):
        # "About 2 weeks until it's all new" answers the question as asked.
        period = _plain_duration_minutes(clean)
    note = prepared.note
    if never and not low and not constant and period is None:
        return Churn(text=text.strip(), kind=ChurnKind.NEVER, note=note)
    if constant:
        return Churn(text=text.strip(), kind=ChurnKind.CONSTANT, note=note)
    if period is None:
        which = _two_ways(clean)
        if which is not None:
            return _two_ways_unclear(text, which, refused)
        if low:
            return Churn(text=text.strip(), kind=ChurnKind.LOW, note=note)
        return refused
    if not _finite(period) or period == 0:
        return refused.model_copy(update={"problem": msg.NUMBER_OUT_OF_RANGE})
    if low and _IRREGULAR.search(clean):
        return Churn(text=text.strip(), kind=ChurnKind.LOW, note=note)
    if low and not _SCHEDULED.search(clean):
        return _unclear(
            refused,
            msg.ASK_CHURN_SCHEDULE,
            _finished(text, msg.OPTIONS_CHURN_SCHEDULE),
        )
    kind = ChurnKind.CONSTANT if period < MINUTE else ChurnKind.CADENCE
    return Churn(text=text.strip(), kind=kind, period_minutes=period, note=note)


# --- decay ---------------------------------------------------------------------------------

_NO_RETRAIN = re.compile(
    # "no idea" is not "no retraining", nor is "no more than once a quarter".
    r"^(?:(?:probably|likely|prob|honestly|tbh)\s+)?(?:never|no|none|n/a)\b"
    r"(?!\s+(?:idea|clue|more|later|longer)\b)|\bno need\b|\bno retrain|"
    r"\b(?:does not|doesn't|won't|will not|don't|do not)\s+(?:really\s+)?decay\b|"
    r"\b(?:doesn't|does not|won't|will not|don't|do not) need (?:to be )?retrain|"
    r"\bnot needed\b|\bstatic\b|\bone[- ](?:off|time)\b|"
    # "once", but not "once a quarter" nor "once the drift exceeds 5%".
    r"\bonce\b(?!\s*(?:a|an|per|every|each|in|the|it|we|our|they|there|drift|performance|"
    r"accuracy|metrics?|data|quality|results?|nightly|daily|weekly|monthly|yearly)\b)"
)


def parse_decay(text: str) -> Decay | Unclear | ParseError:
    """How often the model must be retrained -> days between retrains, or never.

    A retraining schedule outweighs a "no" that is not the whole answer: "no, monthly".
    """
    refused = ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.DECAY_EXPECTED, example=msg.DECAY_EXAMPLE
    )
    return _read(
        text,
        lambda typed, prepared: _read_decay(typed, prepared, refused),
        refused,
        wants=msg.WANTS_DECAY,
    )


def _read_decay(text: str, prepared: _Prepared, refused: ParseError) -> Decay | ParseError:
    clean = prepared.clean
    minutes = _schedule_minutes(clean)
    if minutes is None and _affirmed(_NO_RETRAIN, clean):
        return Decay(text=text.strip(), retrain_every_days=None, note=prepared.note)
    if minutes is None:
        minutes = _plain_duration_minutes(clean)
    if minutes is None:
        which = _two_ways(clean)
        return refused if which is None else _two_ways_unclear(text, which, refused)
    if not _finite(minutes) or minutes == 0:
        return refused
    return Decay(text=text.strip(), retrain_every_days=minutes / DAY, note=prepared.note)


# --- frequency -----------------------------------------------------------------------------

_PER_SECOND_UNITS = re.compile(r"\b(?:rps|qps|tps|req/s|requests/s|calls/s)\b")
# A number with its rate unit: "~50 rps", "2,000 QPS", "60 rpm".
_RATE = re.compile(
    _QUANTITY + r"\s*(?P<rate>rps|qps|tps|req/s|requests/s|calls/s|rpm|qpm|req/min|requests/min|"
    r"calls/min)(?!\w)"
)
_RATE_SECONDS = {"rpm": 60.0, "qpm": 60.0, "req/min": 60.0, "requests/min": 60.0, "calls/min": 60.0}
_CALL_NOUN = (
    r"(?:calls?|requests?|reqs?|quer(?:y|ies)|predictions?|invocations?|inferences?|hits?|"
    r"lookups?|times|x|scor(?:es?|ings?)|transactions?|events?|messages?|rows?|records?|"
    r"batch(?:es)?|runs?|jobs?)"
)
# A count attached to what it counts or to its period: "10 calls", "50 per second".
_COUNTED = re.compile(_QUANTITY + r"\s*(?:" + _CALL_NOUN + r"\b|" + _PERIOD_INLINE + ")")
_COUNT_WORD = re.compile(r"(?<!\w)(?P<word>once|twice|thrice)\b")
# Numbers that count no calls: availability ("24/7").
_NOT_A_COUNT = re.compile(r"\b24\s*[/x]\s*7(?:\s*/\s*365)?\b")
# Calls over a period with no number: "hundreds of requests per second", "many times a day".
_VAGUE_COUNT = re.compile(
    r"\b(?:many|lots?|a lot|several|numerous|multiple|various|handful|dozens|hundreds|thousands|"
    r"millions|billions|tons|loads|plenty|calls|requests|queries|predictions|invocations|hits|"
    r"times)\b"
)
# A number that ends the answer, so that a unit or a period typed after it finishes it.
_LAST_NUMBER = re.compile(r"(?<![\w.])(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?:k|m)?\s*$")


def parse_frequency(text: str) -> Frequency | Unclear | ParseError:
    """How often the model is invoked -> calls per second ("50k calls an hour", "once a day").

    The count is the number tied to a rate unit ("24/7, ~50 rps"; the busiest when several
    are given), else the number tied to what it counts or its period ("10 calls per
    minute"), else the first number.
    """
    refused = ParseError(
        problem=msg.NOT_UNDERSTOOD,
        expected=msg.FREQUENCY_EXPECTED,
        example=msg.FREQUENCY_EXAMPLE,
    )
    return _read(
        text,
        lambda typed, prepared: _read_frequency(typed, prepared, refused),
        refused,
        wants=msg.WANTS_FREQUENCY,
    )


def _read_frequency(text: str, prepared: _Prepared, refused: ParseError) -> Frequency | ParseError:
    clean = _NOT_A_COUNT.sub(" ", prepared.clean)
    rates = [
        _number(rate) / _RATE_SECONDS.get(rate.group("rate"), 1.0)
        for rate in _affirmed_all(_RATE, clean)
    ]
    if rates:
        busiest = max(rates)
        notes = list(prepared.notes)
        if busiest > min(rates) * SAME_FIGURE_RATIO:
            notes.append(
                msg.NOTE_LARGEST.format(count=len(rates), reading=readings.call_rate(busiest))
            )
        return _frequency(text, busiest, MINUTE / 60, refused, "; ".join(notes))
    every = _affirmed(_EVERY_N, clean)
    # The number in "2 calls every 10 minutes" that counts calls is the one outside "every ...".
    outside = clean[: every.start()] + " " + clean[every.end() :] if every else clean
    number = _affirmed(_COUNTED, outside) or _affirmed(_QUANTITY_RE, outside)
    if number and _PER_SECOND_UNITS.search(clean):
        return _frequency(text, _number(number), MINUTE / 60, refused, prepared.note)
    counted = _affirmed(_COUNT_WORD, clean)
    period = _period_minutes(clean)
    if period is None:
        which = _two_ways(clean)
        if which is not None:
            return _two_ways_unclear(text, which, refused)
        if not number:
            return refused
        unperiodic = refused.model_copy(update={"problem": msg.FREQUENCY_NO_PERIOD})
        if not _LAST_NUMBER.search(clean):
            return unperiodic
        return _unclear(
            unperiodic,
            msg.ASK_FREQUENCY_PERIOD.format(count=_shown_number(_number(number))),
            _finished(text, msg.OPTIONS_FREQUENCY_PERIOD),
        )
    if number:
        count = _number(number)
    elif counted:
        count = _WORD_COUNTS[counted.group("word")]
    elif _VAGUE_COUNT.search(clean):
        return refused.model_copy(update={"problem": msg.FREQUENCY_NO_COUNT})
    else:
        count = 1.0
    return _frequency(text, count, period, refused, prepared.note)


def _shown_number(value: float) -> str:
    """A number for a question back to the person: "1,000", "5 million"."""
    return readings.number(value) if _finite(value) else _plain(value)


def _frequency(
    text: str, count: float, period_minutes: float, refused: ParseError, note: str
) -> Frequency | ParseError:
    """Build the value, refusing numbers too large to be real (or periods of no time at all)."""
    per_second = count / (period_minutes * 60) if period_minutes > 0 else math.inf
    if not _finite(per_second):
        return refused.model_copy(update={"problem": msg.NUMBER_OUT_OF_RANGE})
    return Frequency(text=text.strip(), calls_per_second=per_second, note=note)


# --- configuration -------------------------------------------------------------------------

_YES = re.compile(
    r"^(?:yes|y|yeah|yep|yup|ya|yea|true|stateful|sure|correct|absolutely|definitely|indeed|"
    r"of course|kinda|kind of|sort of|there (?:is|are)(?! (?:no|not|none|nothing)\b))\b"
    r"(?! not\b)"
)
_NO = re.compile(
    r"^(?:no|n|nope|nah|none|n/a|false|stateless|nothing|not really|not that i know of|"
    r"(?:i )?don't think so|(?:i )?do not think so|definitely not|absolutely not|"
    r"not at all)\b(?! (?:idea|clue|sure)\b)"
)
_STATE_HINTS = re.compile(
    r"\b(?:table|tables|config|configs|configuration|configurations|settings|per[- ]customer|"
    r"lookup|database|db|postgres|mysql|redis|cache|feature store|thresholds?|rules|limits|"
    r"state|stateful|preferences|profiles?|history|feature flags?|tiers?|"
    r"per[- ](?:tenant|client|user|merchant|account|card|region|country)|"
    r"stores?|stored|storing|remembers?|keeps?)\b"
)
# State ruled out in other words: "a pure function of the input", "all in the request".
_STATELESS_HINTS = re.compile(
    r"\bstateless\b|\bpure function\b|\bin the (?:request|payload|event|message|input)\b"
)


def parse_config(text: str) -> Config | ParseError:
    """Custom configuration that alters the system's state: yes / no, details kept as text."""
    clean = _clean(text)
    details = re.sub(
        r"^(?:yes|yeah|yep|yup|ya|no|nope|nah|y|n)\b[\s,.:;-]*", "", text.strip(), flags=re.I
    )
    if _NO.search(clean):
        return Config(text=text.strip(), stateful=False, details=details)
    if _YES.search(clean) or _affirmed(_STATE_HINTS, clean):
        return Config(text=text.strip(), stateful=True, details=details)
    if _STATE_HINTS.search(clean) or _affirmed(_STATELESS_HINTS, clean):
        # Every mention of state is ruled out: "we don't have any configuration".
        return Config(text=text.strip(), stateful=False, details=details)
    return ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CONFIG_EXPECTED, example=msg.CONFIG_EXAMPLE
    )


# --- SLA -----------------------------------------------------------------------------------

_NO_SLA = re.compile(
    r"\bno (?:(?:hard|strict|formal|real|fixed) )?sla\b|\bbest[- ]effort\b|"
    r"\bno (?:deadline|rush|hurry)\b|\bdoesn't matter\b|\bdoes not matter\b"
)
# An answer opening with "no" has no SLA unless it goes on to give one ("no, under 100 ms");
# "no more than 200 ms" is an SLA and "no idea" is no answer.
_LEADING_NO = re.compile(
    r"^(?:(?:tbh|honestly|imo|well|meh|eh|um)\b[\s,]*)*(?:no|none|n/a|whenever)\b"
    r"(?!\s+(?:more|later|longer|slower|greater|worse|idea|clue)\b)"
)
# "a minute", "an hour": one of the unit, so "less than a minute" is a duration.
_ONE_UNIT = re.compile(
    r"\b(?:an?|one)\s+(millisecond|second|sec|minute|min|hour|hr|day|week|month)\b"
)
# "within minutes": an unnamed few of the unit.
_SOME_UNITS = re.compile(r"\b(within|in|under|takes)\s+(seconds|minutes|hours|days)\b")
_NAMED_SLAS: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            r"(?<!near )(?<!near-)\breal[- ]?time\b|\binstant(?:ly|aneous)?\b|"
            r"\bimmediate(?:ly)?\b|\bsub[- ]?second\b"
        ),
        1.0,
    ),
    (re.compile(r"\b(?:within|in) (?:the|an|a) hour\b|\bwithin the hour\b"), 3600.0),
    (re.compile(r"\b(?:within|in) (?:the|a) minute\b"), 60.0),
    (
        re.compile(
            r"\bnext (?:morning|day|business day|working day)\b|\bovernight\b|\btomorrow\b|"
            r"\bend of (?:the )?(?:business |working )?day\b|\beod\b|\bcob\b|"
            r"\bclose of business\b"
        ),
        86400.0,
    ),
    (re.compile(r"\b(?:within|in) (?:the|a) day\b|\bsame[- ]day\b"), 86400.0),
    (re.compile(r"\b(?:within|in) (?:the|a) week\b"), 7 * 86400.0),
)
# Fast, but how fast is not said: asked about.
_SOON = re.compile(
    r"\basap\b|\ba\.s\.a\.p\b|\bas (?:soon|fast|quick(?:ly)?) as possible\b|"
    r"\bthe faster the better\b|\bfast(?:er)?\b|\bquick(?:ly)?\b|\bsnappy\b"
)
_NEAR_REAL_TIME = re.compile(r"\bnear[- ]?real[- ]?time\b|\bnearline\b")


def parse_sla(text: str) -> Sla | Unclear | ParseError:
    """Response time needed -> seconds ("under 50 ms", "within the hour", "no SLA")."""
    refused = ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.SLA_EXPECTED, example=msg.SLA_EXAMPLE
    )
    return _read(
        text,
        lambda typed, prepared: _read_sla(typed, prepared, refused),
        refused,
        wants=msg.WANTS_SLA,
    )


def _read_sla(text: str, prepared: _Prepared, refused: ParseError) -> Sla | ParseError:
    notes = list(prepared.notes)

    def some(found: re.Match[str]) -> str:
        notes.append(
            msg.NOTE_APPROXIMATE.format(phrase=found.group(0), reading=f"3 {found.group(2)}")
        )
        return f"{found.group(1)} 3 {found.group(2)}"

    clean = _SOME_UNITS.sub(some, _ONE_UNIT.sub(r"1 \1", prepared.clean))
    if _affirmed(_NO_SLA, clean):
        return Sla(text=text.strip(), seconds=None)
    minutes = _plain_duration_minutes(clean)
    if minutes is not None:
        if not _finite(minutes):
            return refused.model_copy(update={"problem": msg.NUMBER_OUT_OF_RANGE})
        return Sla(text=text.strip(), seconds=minutes * 60, note="; ".join(notes))
    for pattern, seconds in _NAMED_SLAS:
        if _affirmed(pattern, clean):
            return Sla(text=text.strip(), seconds=seconds, note="; ".join(notes))
    if _affirmed(_NEAR_REAL_TIME, clean):
        return _unclear(refused, msg.ASK_SLA_NEAR, _labelled(msg.OPTIONS_SLA_NEAR))
    if _affirmed(_SOON, clean):
        return _unclear(refused, msg.ASK_SLA_SOON, _labelled(msg.OPTIONS_SLA_SOON))
    if _LEADING_NO.search(clean):
        return Sla(text=text.strip(), seconds=None)
    if not re.search(r"\d", clean):
        return refused
    unitless = refused.model_copy(update={"problem": msg.SLA_NO_UNIT})
    last = _LAST_NUMBER.search(clean)
    if last is None:
        return unitless
    return _unclear(
        unitless,
        msg.ASK_SLA_UNIT.format(number=last.group("num")),
        _finished(text, msg.OPTIONS_SLA_UNIT),
    )


def _labelled(labels: tuple[str, ...]) -> list[tuple[str, str]]:
    """Options that are whole answers by themselves: "under a second"."""
    return [(label, label) for label in labels]


# --- customer ------------------------------------------------------------------------------

_FILE_BASED = re.compile(
    r"\bs?ftp\b|\bfiles?\b|\bfile[- ]based\b|\bcsv\b|\bparquet\b|\bbucket\b|\bs3\b|"
    r"\bdrop(?:s|ped)?\b|\bexports?\b|\bspreadsheets?\b|\bexcel\b|\bsheets\b|\bwarehouse\b"
)
_HIGH_THROUGHPUT = re.compile(
    r"\bhigh[- ]throughput\b|\bkafka\b|\bevent (?:bus|stream)s?\b|\bpub/?sub\b|\biot\b|"
    r"\bkinesis\b|\bfirehose\b|\bfirebase\b|\btelemetry\b|\bhigh[- ]traffic\b|"
    r"\bhigh[- ]volume\b"
)
_EXTERNAL = re.compile(
    r"\bexternal\b|\binternet\b|\bpartners?(?:'s)?\b|\bpublic\b|\bthird[- ]part(?:y|ies)\b|"
    r"\boutside\b|\bvendors?(?:'s)?\b"
)
# Internal and plainly private or low-traffic: dashboards, tools, people, a private network.
_PRIVATE = re.compile(
    r"\bprivate\b|\bintranet\b|\bvpc\b|\bvpn\b|\bback[- ]?office\b|\bdashboards?\b|"
    r"\breporting\b|\breports?\b|\banalysts?\b|\btools?\b|\bteams?\b|\bstaff\b|\bemployees\b|"
    r"\bour own\b|\bbackend\b|\bnon[- ]?public\b|\blow[- ](?:traffic|volume|throughput)\b|"
    r"\binternal[- ]only\b|\binternal (?:customers?|users?|clients?)\b|\btableau\b|\blooker\b"
)
# Internal, with nothing yet about its traffic: "internal services", "on-prem", "our datacenter".
_INTERNAL = re.compile(
    r"\binternal(?:ly)?\b|\binside (?:our|the)\b|\bin[- ]house\b|\bon[- ]prem(?:ise)?s?\b|"
    r"\b(?:our|the) (?:data ?cent(?:er|re)|infra(?:structure)?|network)\b|"
    r"\bdata ?cent(?:er|re)'?s?\b"
)
_WEAK_EXTERNAL = re.compile(
    r"\bcustomers?\b|\bclients?\b|\bmobile\b|\bios\b|\bandroid\b|\bwebsite\b|\bweb ?app\b|"
    r"\bbrowsers?\b"
)
# A rate too vague to count that is still plainly high: "thousands of rps".
_VAGUE_HIGH_RATE = re.compile(
    r"\b(?:thousands|millions|billions)\s+of\s+(?:rps|qps|tps|requests|calls|events|"
    r"transactions|messages)\b"
)


def parse_customer(text: str) -> Customer | Unclear | ParseError:
    """The consuming system, from a choice id or free text ("files dropped on SFTP").

    An internal system is high throughput when the answer says so, or gives a call rate of
    `HIGH_THROUGHPUT_CALLS_PER_SECOND` or more; private when it names something private or
    low-traffic, or a lower rate; with neither, the answer is asked about.
    """
    return _checked(_read_customer(text), text, _read_customer)


def _read_customer(text: str) -> Customer | ParseError:
    clean = _clean(text)
    choice = {kind.value: kind for kind in CustomerKind}.get(
        clean.replace(" ", "_").replace("-", "_")
    )
    if choice is not None:
        return Customer(text=text.strip(), kind=choice)
    internal = _affirmed(_INTERNAL, clean)
    ruled_out_throughput = _HIGH_THROUGHPUT.search(clean) is not None
    for kind, pattern in (
        (CustomerKind.FILE_BASED, _FILE_BASED),
        (CustomerKind.INTERNAL_HIGH_THROUGHPUT, _HIGH_THROUGHPUT),
        (CustomerKind.EXTERNAL, _EXTERNAL),
        (CustomerKind.INTERNAL_PRIVATE, _PRIVATE),
    ):
        if _affirmed(pattern, clean):
            return Customer(text=text.strip(), kind=kind)
    refused = ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CUSTOMER_EXPECTED, example=msg.CUSTOMER_EXAMPLE
    )
    if internal:
        if ruled_out_throughput:
            # "internal, but not high-throughput", "no kafka, internal REST service".
            return Customer(text=text.strip(), kind=CustomerKind.INTERNAL_PRIVATE)
        rate = _calls_per_second(text, clean)
        if rate is not None:
            high = rate >= HIGH_THROUGHPUT_CALLS_PER_SECOND
            kind = CustomerKind.INTERNAL_HIGH_THROUGHPUT if high else CustomerKind.INTERNAL_PRIVATE
            return Customer(text=text.strip(), kind=kind)
        return _unclear(
            refused,
            msg.ASK_CUSTOMER_INTERNAL,
            _finished(text, msg.OPTIONS_CUSTOMER_INTERNAL),
        )
    if _affirmed(_WEAK_EXTERNAL, clean):
        return Customer(text=text.strip(), kind=CustomerKind.EXTERNAL)
    return refused


def _calls_per_second(text: str, clean: str) -> float | None:
    """The call rate an answer gives, if any: "~5k rps", "20 requests a minute"."""
    if _affirmed(_VAGUE_HIGH_RATE, clean):
        return HIGH_THROUGHPUT_CALLS_PER_SECOND
    rate = parse_frequency(text)
    return rate.calls_per_second if isinstance(rate, Frequency) else None


# --- stakeholders --------------------------------------------------------------------------

MAX_STAKEHOLDERS = 50

# Answers that name nobody, whole or as one of the parts: "idk", "n/a", "tbd", "nobody".
_NOBODY = re.compile(
    r"(?:idk|i\s+don'?t\s+know|dunno|don'?t\s+know|no\s+idea|not\s+sure|unsure|n/a|n\.a\.?|"
    r"none|nobody|no\s+one|noone|tbd|tbc|unknown|not\s+(?:yet\s+)?(?:decided|known|sure)|"
    r"undecided|-+|\?+|\.+)(?:\s+(?:yet|tbh|really|atm|for\s+now))*[\s.!?]*",
    re.IGNORECASE,
)
# Hedges around a name: "just the fraud team", "maybe legal too", "tbh also sales".
_HEDGE_BEFORE = re.compile(
    r"^(?:(?:just|only|mostly|mainly|probably|maybe|perhaps|also|plus|tbh|imo|and|then|"
    r"definitely|primarily)\s+)+",
    re.IGNORECASE,
)
_HEDGE_AFTER = re.compile(
    r"(?:\s+(?:too|as\s+well|also|i\s+guess|i\s+think|probably|maybe|tbh|for\s+now))+$",
    re.IGNORECASE,
)
# Chat mentions side by side with no comma between them: "@maria @tom", "<@U1> <@U2>".
_MENTION_GAP = re.compile(r"(?P<mention><@\w+>|(?<![\w@])@[\w.-]+)\s+(?=<@|@\w)")


def parse_stakeholders(text: str) -> Stakeholders | ParseError:
    """A list of people or teams, split on commas, "and", "+", semicolons and new lines.

    Hedges around a name ("just", "maybe ... too") are left out, and so are parts that name
    nobody ("idk", "n/a"); an answer with nobody left is refused.
    """
    # "&" separates only between spaces, so "R&D" stays one team.
    parts = re.split(
        r"\s*(?:,|;|\n|\band\b|(?<=\s)[&+](?=\s))\s*",
        _MENTION_GAP.sub(r"\g<mention>, ", text.strip()),
        flags=re.IGNORECASE,
    )
    cleaned = (_HEDGE_AFTER.sub("", _HEDGE_BEFORE.sub("", part.strip(" ."))) for part in parts)
    named = (part.strip(" .") for part in cleaned if part and not _NOBODY.fullmatch(part))
    names = tuple(dict.fromkeys(part for part in named if part))
    if not names:
        problem = msg.STAKEHOLDERS_NOBODY if text.strip(" ,;\n") else msg.NOT_UNDERSTOOD
        return ParseError(
            problem=problem,
            expected=msg.STAKEHOLDERS_EXPECTED,
            example=msg.STAKEHOLDERS_EXAMPLE,
        )
    if len(names) > MAX_STAKEHOLDERS:
        return ParseError(
            problem=msg.TOO_MANY_STAKEHOLDERS.format(count=len(names), limit=MAX_STAKEHOLDERS),
            expected=msg.STAKEHOLDERS_EXPECTED,
            example=msg.STAKEHOLDERS_EXAMPLE,
        )
    return Stakeholders(text=text.strip(), names=names)


# --- model ---------------------------------------------------------------------------------

_DEEP = re.compile(
    r"\bdeep\b|\bneural\b|\bnn\b|\bcnn\b|\brnn\b|\blstm\b|\btransformers?\b|\bbert\b|\bllms?\b|"
    r"\btensorflow\b|\bpytorch\b|\btorch\b|\bkeras\b|\bgpt\b|\bdeep learning\b|\bresnet\b|"
    r"\bllama\b|\bmistral\b|\bdiffusion\b|\bautoencoder\b"
)
_SIMPLE = re.compile(
    r"\bsimple\b|\blinear\b|\blogistic\b|\bregression\b|\blogreg\b|\bxgboost\b|\bxgb\b|"
    r"\blightgbm\b|\blgbm\b|\bgbm\b|\bcatboost\b|\brandom forests?\b|\bforests?\b|"
    r"\bgradient boost(?:ing|ed)?\b|\bdecision trees?\b|\btrees?\b|\brules?\b|\brules-based\b|"
    r"\bheuristics?\b|\bsklearn\b|\bscikit\b|\bglm\b|\bnaive bayes\b|\bknn\b|\bsvm\b|\barima\b|"
    r"\bprophet\b|\bk-?means\b|\bclustering\b|\bdbscan\b"
)
_UNKNOWN = re.compile(
    r"^unknown\b|\bnot sure\b|\bunsure\b|\bdon't know\b|\bdo not know\b|\bno (?:idea|clue)\b|"
    r"\btbd\b|\bundecided\b|\bnot (?:yet )?(?:decided|chosen|determined|picked)\b|"
    r"\bhave(?:n't| not) (?:yet )?(?:decided|chosen|picked)\b|\bto be (?:decided|determined)\b|"
    r"^idk\b|^dunno\b"
)
_GRAND = 1e3
_COST = re.compile(
    r"\$\s*"
    + _NUMBER
    + _MULTIPLIER
    + r"|"
    + _NUMBER.replace("num", "num2")
    + r"\s*(?P<mult2>k|thousand|m|million|grand)?\s*(?:usd|dollars?|bucks|\$)"
    + r"|"
    + _NUMBER.replace("num", "num3")
    + r"\s*grand\b"
)


def parse_model(text: str) -> ModelPlan | ParseError:
    """The planned model family (simple / deep / unknown) with an optional training cost."""
    refused = ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.MODEL_EXPECTED, example=msg.MODEL_EXAMPLE
    )
    return _read(text, lambda typed, prepared: _read_model(typed, prepared, refused), refused)


def _read_model(text: str, prepared: _Prepared, refused: ParseError) -> ModelPlan | ParseError:
    clean = prepared.clean
    if _affirmed(_DEEP, clean):
        family = ModelFamily.DEEP
    elif _affirmed(_SIMPLE, clean):
        family = ModelFamily.SIMPLE
    elif _affirmed(_UNKNOWN, clean):
        family = ModelFamily.UNKNOWN
    else:
        return refused
    cost = _training_cost(clean)
    return ModelPlan(
        text=text.strip(),
        family=family,
        training_cost=cost,
        note=prepared.note if cost is not None else "",
    )


def _training_cost(clean: str) -> float | None:
    """Dollars in "$5,000", "5k dollars", "$1.2m", "50 bucks", "2 grand"; None when not given."""
    match = _COST.search(clean)
    if not match:
        return None
    if match.group("num") is not None:
        value = _number(match)
    elif match.group("num2") is not None:
        mult = match.group("mult2")
        value = float(match.group("num2").replace(",", "")) * (
            _GRAND if mult == "grand" else _MULTIPLIERS[mult] if mult else 1.0
        )
    else:
        value = float(match.group("num3").replace(",", "")) * _GRAND
    return value if _finite(value) else None
