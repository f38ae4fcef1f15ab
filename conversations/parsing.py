"""Free text -> typed answers.

People answer in their own words ("about 200 gigs a day", "by the next
morning"), so each parser recognises the common forms and otherwise returns a
`ParseError` that says what it expected, with an example. A parser never
raises: the dialogue relies on that to re-ask instead of crashing a thread.

Sizes are decimal (1 TB = 1000 GB), as storage and cloud bills count them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TypeVar

from conversations import messages as msg
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
    ParseError,
    Sla,
    Stakeholders,
    Value,
    Volume,
)

V = TypeVar("V", bound=Value)
Parser = Callable[[str], Value | ParseError]

MAX_ANSWER_CHARS = 2000

MINUTE = 1.0
HOUR = 60.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
QUARTER = 91 * DAY
YEAR = 365 * DAY

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

# A quantity in words, for counts: "a million rows", "two thousand calls", "a few hundred".
_WORD_QUANTITY = (
    r"(?<![\w.])(?P<qword>a couple of|a couple|a few|an?|one|two|three|four|five|six|seven|"
    r"eight|nine|ten)\s+(?P<qscale>dozen|hundred|thousand|million|billion)\b"
)
_SMALL_NUMBERS = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
    "a couple": 2.0,
    "a couple of": 2.0,
    "a few": 3.0,
}
_SCALES = {"dozen": 12.0, "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9}
# A count: digits with an optional multiplier ("3m", "10 million") or words ("a million").
_QUANTITY = "(?:" + _NUMBER + _MULTIPLIER + "|" + _WORD_QUANTITY + ")"
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
}
_SIZE_UNIT = (
    r"(?P<unit>petabytes?|terabytes?|gigabytes?|megabytes?|kilobytes?|bytes?|"
    r"teras?|gigs?|megs?|pb|tb|gb|mb|kb|b)\b"
)
_SIZE = re.compile(_NUMBER + r"\s*" + _SIZE_UNIT)
# Things counted in a volume, each with a size of its own: "3000 events", "20 files", "10k users".
_ROW_NOUN = (
    r"(?:rows?|records?|events?|messages?|documents?|docs?|lines?|items?|requests?|calls?|"
    r"transactions?|entry|entries|files?|images?|objects?|samples?|readings?|observations?|"
    r"predictions?|orders?|clicks?|logs?|emails?|users?|customers?|devices?|sensors?|sessions?|"
    r"accounts?)"
)
# A period written inside a volume: "rows per day", "rows/day", "events a second", "daily".
_PERIOD_INLINE = (
    r"(?:(?:per|a|an|each|every|/)\s*(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|"
    r"nights?|weeks?|wks?|months?|mo|quarters?|years?|yrs?)|daily|nightly|hourly|weekly|monthly|"
    r"quarterly|yearly|annually)\b"
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

# Periods, in minutes. Longer phrases first so "every other day" never reads as "day".
_PERIOD_WORDS: tuple[tuple[str, float], ...] = (
    (r"per\s+second|a\s+second|each\s+second|/\s*s(?:ec)?\b|\bper\s+sec\b", MINUTE / 60),
    (r"per\s+minute|a\s+minute|each\s+minute|/\s*min(?:ute)?\b|\bper\s+min\b", MINUTE),
    (r"per\s+hour|an\s+hour|a\s+hour|each\s+hour|every\s+hour|hourly|/\s*h(?:ou)?r\b", HOUR),
    (
        r"per\s+day|a\s+day|each\s+day|every\s+day|daily|nightly|/\s*day\b|"
        r"(?:per|a|each)\s+night\b",
        DAY,
    ),
    (r"per\s+week|a\s+week|each\s+week|every\s+week|weekly|/\s*w(?:ee)?k\b", WEEK),
    (r"per\s+month|a\s+month|each\s+month|every\s+month|monthly|/\s*mo(?:nth)?\b", MONTH),
    (r"per\s+quarter|a\s+quarter|each\s+quarter|quarterly", QUARTER),
    (r"per\s+year|a\s+year|each\s+year|every\s+year|yearly|annually|/\s*y(?:ea)?r\b", YEAR),
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
    r"every\s+(?:(?P<n>\d+(?:\.\d+)?|other|couple\s+of|few)\s*)?"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|wks?|months?|quarters?|years?|yrs?)\b"
)
_WORD_COUNTS = {
    "once": 1.0,
    "twice": 2.0,
    "thrice": 3.0,
    "a couple of": 2.0,
    "a couple": 2.0,
    "a few": 3.0,
}
_COUNT_PERIOD = re.compile(
    r"(?<![\w.])(?P<count>once|twice|thrice|a couple of|a couple|a few|\d+(?:\.\d+)?)\s*"
    r"(?:times?|x)?\s*(?:a|an|per|each|every|/)\s*"
    r"(?P<unit>second|sec|minute|min|hour|hr|day|night|week|wk|month|quarter|year|yr)\b"
)

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


def _clean(text: str) -> str:
    """Lower-case, straighten apostrophes and collapse whitespace: the form every parser reads."""
    straight = text.replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(straight.strip().lower().split())


def _number(match: re.Match[str]) -> float:
    """The matched number with its multiplier applied, or a quantity in words ("a million")."""
    groups = match.groupdict()
    if groups.get("num") is None and groups.get("qword") is not None:
        return _SMALL_NUMBERS[groups["qword"]] * _SCALES[groups["qscale"]]
    value = float(match.group("num").replace(",", ""))
    mult = groups.get("mult")
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
    count = {"other": 2.0, "couple of": 2.0, "few": 3.0}.get(count_text or "", 0.0)
    if not count:
        count = float(count_text) if count_text else 1.0
    return count * _UNIT_MINUTES[unit]


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


def _volume_gb(clean: str) -> float | str:
    """GB over the answer's period: a row count times a row size, else the throughput size.

    Returns the problem to report when no volume can be read.
    """
    counts = _affirmed_all(_ROW_COUNT, clean)
    sized = next((count for count in counts if count.group("rowsize")), None)
    if sized:
        row_gb = float(sized.group("rowsize")) * _SIZE_UNITS_GB[sized.group("rowunit")]
        return _number(sized) * row_gb
    sizes = _affirmed_all(_SIZE, clean)
    row_sizes = [size for size in sizes if _is_row_size(clean, size)]
    if counts and row_sizes:
        return _number(counts[0]) * _size_gb(row_sizes[0])
    # With no "each", a size is the total: "10 million rows, 40 GB a day". A stored total
    # gives way to a size that arrives: "2 TB total, growing 10 GB a day".
    totals = [size for size in sizes if size not in row_sizes]
    flows = [size for size in totals if not _is_stock(clean, size)] or totals
    if flows:
        return _size_gb(flows[0])
    if row_sizes:
        return msg.VOLUME_NO_ROW_COUNT
    if counts:
        return msg.VOLUME_NO_ROW_SIZE
    if _SIZE.search(clean):
        return msg.VOLUME_NO_SIZE
    return msg.VOLUME_NO_UNIT if re.search(r"\d", clean) else msg.VOLUME_NO_SIZE


def parse_volume(text: str) -> Volume | ParseError:
    """A size per period -> GB per day ("2 TB per week", "10 million rows of about 1 KB per day")."""
    clean = _clean(text)
    period = _schedule_minutes(clean)
    gb = _volume_gb(clean)
    if isinstance(gb, str):
        return ParseError(problem=gb, expected=msg.VOLUME_EXPECTED, example=msg.VOLUME_EXAMPLE)
    if period is None:
        return ParseError(
            problem=msg.VOLUME_NO_PERIOD, expected=msg.VOLUME_EXPECTED, example=msg.VOLUME_EXAMPLE
        )
    gb_per_day = gb * DAY / period if period > 0 else math.inf
    if not (_finite(gb_per_day) and _finite(period)):
        return ParseError(
            problem=msg.NUMBER_OUT_OF_RANGE,
            expected=msg.VOLUME_EXPECTED,
            example=msg.VOLUME_EXAMPLE,
        )
    return Volume(text=text.strip(), gb_per_day=gb_per_day)


_NEVER_CHURN = re.compile(
    r"^never\b(?!\s+(?:stops|ends|sleeps|pauses)\b)|\bnever changes?\b|\bstatic\b|"
    r"\b(?:does not|doesn't|won't|will not) change\b|\bimmutable\b|"
    r"\bfixed (?:data(?:set)?|snapshot)\b|\bone[- ]off\b|\bno changes?\b|"
    r"\bunchanging\b|\bnothing changes\b"
)
_CONSTANT_CHURN = re.compile(
    r"\bconstant(?:ly)?\b|\bcontinuous(?:ly)?\b|\bstream(?:ing|ed)?\b|\breal[- ]?time\b|"
    r"\blive\b|\ball the time\b|\bnon[- ]?stop\b|\bevery second\b|"
    r"\bnever (?:stops|ends|sleeps|pauses)\b"
)
_LOW_CHURN = re.compile(
    r"^low$|\brarely\b|\bseldom\b|\boccasionally\b|\bslow(?:ly)?\b|\binfrequent(?:ly)?\b|"
    r"\bhardly ever\b|\balmost never\b|\bnot (?:very |that |too |so )?often\b"
)
LOW_CHURN_MINUTES = MONTH


def parse_churn(text: str) -> Churn | ParseError:
    """Data velocity: never / low / on a schedule (keeping the period) / constant.

    "Never changes" as part of a longer answer gives way to arrivals it names: in "new records
    arrive daily, old ones never change" the data churns daily.
    """
    clean = _clean(text)
    choice = {kind.value: kind for kind in ChurnKind}.get(clean)
    if choice is not None:
        return Churn(text=text.strip(), kind=choice)
    low = _affirmed(_LOW_CHURN, clean)
    never = _affirmed(_NEVER_CHURN, clean)
    constant = _affirmed(_CONSTANT_CHURN, clean)
    period = _schedule_minutes(clean)
    if never and not low and not constant and period is None:
        return Churn(text=text.strip(), kind=ChurnKind.NEVER)
    if constant:
        return Churn(text=text.strip(), kind=ChurnKind.CONSTANT)
    if low:
        return Churn(text=text.strip(), kind=ChurnKind.LOW)
    if period is not None:
        if not _finite(period):
            return ParseError(
                problem=msg.NUMBER_OUT_OF_RANGE,
                expected=msg.CHURN_EXPECTED,
                example=msg.CHURN_EXAMPLE,
            )
        if period < MINUTE:
            return Churn(text=text.strip(), kind=ChurnKind.CONSTANT, period_minutes=period)
        if period > LOW_CHURN_MINUTES:
            return Churn(text=text.strip(), kind=ChurnKind.LOW, period_minutes=period)
        return Churn(text=text.strip(), kind=ChurnKind.CADENCE, period_minutes=period)
    return ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CHURN_EXPECTED, example=msg.CHURN_EXAMPLE
    )


def _count_period(clean: str) -> float | None:
    """Minutes between events for "twice a day", "3 times a week", "a few times a day"."""
    match = _affirmed(_COUNT_PERIOD, clean)
    if not match:
        return None
    count = _WORD_COUNTS.get(match.group("count")) or float(match.group("count"))
    if count <= 0:
        return None
    minutes = _UNIT_MINUTES[match.group("unit")] / count
    return minutes if minutes > 0 else None


_NO_RETRAIN = re.compile(
    # "no idea" is not "no retraining", nor is "no more than once a quarter".
    r"^(?:never|no|none|n/a)\b(?!\s+(?:idea|clue|more|later|longer)\b)|\bno need\b|\bno retrain|"
    r"\bdoes not decay\b|\bdoesn't decay\b|"
    r"\b(?:doesn't|does not|won't|will not|don't|do not) need (?:to be )?retrain|"
    r"\bnot needed\b|\bstatic\b|\bone[- ](?:off|time)\b|"
    # "once", but not "once a quarter" nor "once the drift exceeds 5%".
    r"\bonce\b(?!\s*(?:a|an|per|every|each|in|the|it|we|our|they|there|drift|performance|"
    r"accuracy|metrics?|data|quality|results?)\b)"
)


def parse_decay(text: str) -> Decay | ParseError:
    """How often the model must be retrained -> days between retrains, or never.

    A retraining schedule outweighs a "no" that is not the whole answer: "no, monthly".
    """
    clean = _clean(text)
    minutes = _schedule_minutes(clean)
    if minutes is None and _affirmed(_NO_RETRAIN, clean):
        return Decay(text=text.strip(), retrain_every_days=None)
    if minutes is None:
        minutes = _plain_duration_minutes(clean)
    if minutes is None or not _finite(minutes) or minutes == 0:
        return ParseError(
            problem=msg.NOT_UNDERSTOOD, expected=msg.DECAY_EXPECTED, example=msg.DECAY_EXAMPLE
        )
    return Decay(text=text.strip(), retrain_every_days=minutes / DAY)


_DURATION = re.compile(
    _NUMBER
    + r"\s*(?P<unit>milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|"
    r"days?|d|weeks?|wks?|w|months?|mo|quarters?|years?|yrs?|y)\b"
)
_DURATION_MINUTES = {
    **_UNIT_MINUTES,
    "millisecond": MINUTE / 60_000,
    "msec": MINUTE / 60_000,
    "ms": MINUTE / 60_000,
    "m": MINUTE,
    "y": YEAR,
}


def _plain_duration_minutes(clean: str) -> float | None:
    """Minutes in "30 days", "2 seconds", "50ms" (a duration with no "every")."""
    match = _affirmed(_DURATION, clean)
    if not match:
        return None
    unit = match.group("unit")
    key = unit if unit in _DURATION_MINUTES else unit.rstrip("s")
    return float(match.group("num").replace(",", "")) * _DURATION_MINUTES[key]


_PER_SECOND_UNITS = re.compile(r"\b(?:rps|qps|tps|req/s|requests/s|calls/s)\b")
# A number with its per-second unit: "~50 rps", "2,000 QPS".
_RATE = re.compile(_QUANTITY + r"\s*(?:rps|qps|tps|req/s|requests/s|calls/s)\b")
_CALL_NOUN = (
    r"(?:calls?|requests?|reqs?|quer(?:y|ies)|predictions?|invocations?|inferences?|hits?|"
    r"lookups?|times|x|scor(?:es?|ings?)|transactions?|events?|messages?|rows?|records?|"
    r"batch(?:es)?|runs?|jobs?)"
)
# A count attached to what it counts or to its period: "10 calls", "50 per second".
_COUNTED = re.compile(_QUANTITY + r"\s*(?:" + _CALL_NOUN + r"\b|" + _PERIOD_INLINE + ")")
_COUNT_WORD = re.compile(
    r"(?<!\w)(?P<word>once|twice|thrice|(?:a couple(?: of)?|a few)(?=\s+times\b))\b"
)
# Numbers that count no calls: clock times ("at 2am", "6:00") and availability ("24/7").
_NOT_A_COUNT = re.compile(
    r"(?<![\w.])\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)|"
    r"(?<![\w.:])\d{1,2}:\d{2}(?![\w:])|\b24\s*[/x]\s*7(?:\s*/\s*365)?\b"
)
# Calls over a period with no number: "hundreds of requests per second", "many times a day".
_VAGUE_COUNT = re.compile(
    r"\b(?:many|lots?|a lot|several|numerous|multiple|various|dozens|hundreds|thousands|"
    r"millions|billions|tons|loads|plenty|calls|requests|queries|predictions|invocations|hits|"
    r"times)\b"
)


def parse_frequency(text: str) -> Frequency | ParseError:
    """How often the model is invoked -> calls per second ("50k calls an hour", "once a day").

    The count is the number tied to a per-second unit ("24/7, ~50 rps"), else the number tied to
    what it counts or its period ("10 calls per minute"), else the first number.
    """
    clean = _NOT_A_COUNT.sub(" ", _clean(text))
    rate = _affirmed(_RATE, clean)
    if rate:
        return _frequency(text, _number(rate), MINUTE / 60)
    every = _affirmed(_EVERY_N, clean)
    # The number in "2 calls every 10 minutes" that counts calls is the one outside "every ...".
    outside = clean[: every.start()] + " " + clean[every.end() :] if every else clean
    number = _affirmed(_COUNTED, outside) or _affirmed(_QUANTITY_RE, outside)
    if number and _PER_SECOND_UNITS.search(clean):
        return _frequency(text, _number(number), MINUTE / 60)
    counted = _affirmed(_COUNT_WORD, clean)
    period = _period_minutes(clean)
    if period is None:
        return ParseError(
            problem=msg.FREQUENCY_NO_PERIOD if number else msg.NOT_UNDERSTOOD,
            expected=msg.FREQUENCY_EXPECTED,
            example=msg.FREQUENCY_EXAMPLE,
        )
    if number:
        count = _number(number)
    elif counted:
        count = _WORD_COUNTS[counted.group("word")]
    elif _VAGUE_COUNT.search(clean):
        return ParseError(
            problem=msg.FREQUENCY_NO_COUNT,
            expected=msg.FREQUENCY_EXPECTED,
            example=msg.FREQUENCY_EXAMPLE,
        )
    else:
        count = 1.0
    return _frequency(text, count, period)


def _frequency(text: str, count: float, period_minutes: float) -> Frequency | ParseError:
    """Build the value, refusing numbers too large to be real (or periods of no time at all)."""
    per_second = count / (period_minutes * 60) if period_minutes > 0 else math.inf
    if not _finite(per_second):
        return ParseError(
            problem=msg.NUMBER_OUT_OF_RANGE,
            expected=msg.FREQUENCY_EXPECTED,
            example=msg.FREQUENCY_EXAMPLE,
        )
    return Frequency(text=text.strip(), calls_per_second=per_second)


_YES = re.compile(
    r"^(?:yes|y|yeah|yep|yup|true|stateful|sure|correct|"
    r"there (?:is|are)(?! (?:no|not|none|nothing)\b))\b"
)
_NO = re.compile(r"^(?:no|n|nope|none|false|stateless|nothing|not really)\b(?! (?:idea|clue)\b)")
_STATE_HINTS = re.compile(
    r"\b(?:table|tables|config|configuration|configurations|settings|per[- ]customer|lookup|"
    r"database|thresholds?|rules|state|stateful)\b"
)


def parse_config(text: str) -> Config | ParseError:
    """Custom configuration that alters the system's state: yes / no, details kept as text."""
    clean = _clean(text)
    details = re.sub(r"^(?:yes|yeah|yep|yup|no|nope|y|n)\b[\s,.:;-]*", "", text.strip(), flags=re.I)
    if _NO.search(clean):
        return Config(text=text.strip(), stateful=False, details=details)
    if _YES.search(clean) or _affirmed(_STATE_HINTS, clean):
        return Config(text=text.strip(), stateful=True, details=details)
    if _STATE_HINTS.search(clean):
        # Every mention of state is ruled out: "we don't have any configuration".
        return Config(text=text.strip(), stateful=False, details=details)
    return ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CONFIG_EXPECTED, example=msg.CONFIG_EXAMPLE
    )


_NO_SLA = re.compile(
    r"\bno (?:(?:hard|strict|formal|real|fixed) )?sla\b|\bbest[- ]effort\b|"
    r"\bno (?:deadline|rush|hurry)\b|\bdoesn't matter\b|\bdoes not matter\b"
)
# An answer opening with "no" has no SLA unless it goes on to give one ("no, under 100 ms");
# "no more than 200 ms" is an SLA and "no idea" is no answer.
_LEADING_NO = re.compile(
    r"^(?:no|none|n/a|whenever)\b(?!\s+(?:more|later|longer|slower|greater|worse|idea|clue)\b)"
)
_NAMED_SLAS: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            r"\breal[- ]?time\b|\binstant(?:ly|aneous)?\b|\bimmediate(?:ly)?\b|\bsub[- ]?second\b|"
            r"\b(?:under|within|in|less than|below) (?:a|one) second\b"
        ),
        1.0,
    ),
    (re.compile(r"\b(?:within|in) (?:the|an|a) hour\b|\bwithin the hour\b"), 3600.0),
    (re.compile(r"\b(?:within|in) (?:the|a) minute\b"), 60.0),
    (
        re.compile(
            r"\bnext (?:morning|day|business day)\b|\bovernight\b|\btomorrow\b|\bend of day\b"
        ),
        86400.0,
    ),
    (re.compile(r"\b(?:within|in) (?:the|a) day\b|\bsame[- ]day\b"), 86400.0),
    (re.compile(r"\b(?:within|in) (?:the|a) week\b"), 7 * 86400.0),
)


def parse_sla(text: str) -> Sla | ParseError:
    """Response time needed -> seconds ("under 50 ms", "within the hour", "no SLA")."""
    clean = _clean(text)
    if _affirmed(_NO_SLA, clean):
        return Sla(text=text.strip(), seconds=None)
    minutes = _plain_duration_minutes(clean)
    if minutes is not None:
        if not _finite(minutes):
            return ParseError(
                problem=msg.NUMBER_OUT_OF_RANGE, expected=msg.SLA_EXPECTED, example=msg.SLA_EXAMPLE
            )
        return Sla(text=text.strip(), seconds=minutes * 60)
    for pattern, seconds in _NAMED_SLAS:
        if _affirmed(pattern, clean):
            return Sla(text=text.strip(), seconds=seconds)
    if _LEADING_NO.search(clean):
        return Sla(text=text.strip(), seconds=None)
    problem = msg.SLA_NO_UNIT if re.search(r"\d", clean) else msg.NOT_UNDERSTOOD
    return ParseError(problem=problem, expected=msg.SLA_EXPECTED, example=msg.SLA_EXAMPLE)


_CUSTOMER_HINTS: tuple[tuple[CustomerKind, re.Pattern[str]], ...] = (
    (
        CustomerKind.FILE_BASED,
        re.compile(
            r"\bs?ftp\b|\bfiles?\b|\bfile[- ]based\b|\bcsv\b|\bparquet\b|\bbucket\b|\bs3\b|"
            r"\bdrop(?:s|ped)?\b|\bexports?\b|\bspreadsheets?\b|\bwarehouse\b"
        ),
    ),
    (
        CustomerKind.INTERNAL_HIGH_THROUGHPUT,
        re.compile(
            r"\bhigh[- ]throughput\b|\bkafka\b|\bevent (?:bus|stream)s?\b|\bpub/?sub\b|\biot\b|"
            r"\bkinesis\b|\bfirehose\b|\bfirebase\b|\btelemetry\b"
        ),
    ),
    (
        CustomerKind.EXTERNAL,
        re.compile(
            r"\bexternal\b|\binternet\b|\bpartners?\b|\bpublic\b|\bthird[- ]part(?:y|ies)\b|"
            r"\boutside\b"
        ),
    ),
    (
        CustomerKind.INTERNAL_PRIVATE,
        re.compile(
            r"\binternal\b|\bprivate\b|\bintranet\b|\bvpc\b|\bback[- ]?office\b|\bin[- ]house\b|"
            r"\bdashboards?\b|\bour own\b|\bbackend\b|\bnon[- ]?public\b"
        ),
    ),
    # Weaker hints come after "internal": "internal customers" are inside the network.
    (
        CustomerKind.EXTERNAL,
        re.compile(r"\bcustomers?\b|\bclients?\b|\bmobile\b|\bwebsite\b|\bweb app\b"),
    ),
)


def parse_customer(text: str) -> Customer | ParseError:
    """The consuming system, from a choice id or free text ("files dropped on SFTP")."""
    clean = _clean(text)
    choice = {kind.value: kind for kind in CustomerKind}.get(
        clean.replace(" ", "_").replace("-", "_")
    )
    if choice is not None:
        return Customer(text=text.strip(), kind=choice)
    for kind, pattern in _CUSTOMER_HINTS:
        if _affirmed(pattern, clean):
            return Customer(text=text.strip(), kind=kind)
    return ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CUSTOMER_EXPECTED, example=msg.CUSTOMER_EXAMPLE
    )


MAX_STAKEHOLDERS = 50


def parse_stakeholders(text: str) -> Stakeholders | ParseError:
    """A list of people or teams, split on commas, "and", semicolons and new lines."""
    # "&" separates only between spaces, so "R&D" stays one team.
    parts = re.split(r"\s*(?:,|;|\n|\band\b|(?<=\s)&(?=\s))\s*", text.strip(), flags=re.IGNORECASE)
    names = tuple(dict.fromkeys(part.strip(" .") for part in parts if part.strip(" .")))
    if not names:
        return ParseError(
            problem=msg.NOT_UNDERSTOOD,
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


_DEEP = re.compile(
    r"\bdeep\b|\bneural\b|\bnn\b|\bcnn\b|\brnn\b|\blstm\b|\btransformers?\b|\bbert\b|\bllms?\b|"
    r"\btensorflow\b|\bpytorch\b|\btorch\b|\bkeras\b|\bgpt\b|\bdeep learning\b"
)
_SIMPLE = re.compile(
    r"\bsimple\b|\blinear\b|\blogistic\b|\bregression\b|\bxgboost\b|\blightgbm\b|\bcatboost\b|"
    r"\brandom forests?\b|\bgradient boost(?:ing|ed)?\b|\bdecision trees?\b|\btrees?\b|\brules?\b|"
    r"\bsklearn\b|\bscikit\b|\bglm\b|\bnaive bayes\b|\bknn\b|\bsvm\b|\barima\b|\bprophet\b"
)
_UNKNOWN = re.compile(
    r"^unknown\b|\bnot sure\b|\bunsure\b|\bdon't know\b|\bdo not know\b|\bno (?:idea|clue)\b|"
    r"\btbd\b|\bundecided\b|\bnot (?:yet )?(?:decided|chosen|determined)\b|"
    r"\bhave(?:n't| not) (?:yet )?(?:decided|chosen)\b|\bto be (?:decided|determined)\b"
)
_COST = re.compile(
    r"\$\s*"
    + _NUMBER
    + _MULTIPLIER
    + r"|"
    + _NUMBER.replace("num", "num2")
    + r"\s*(?P<mult2>k|thousand|m|million)?\s*(?:usd|dollars?|\$)"
)


def parse_model(text: str) -> ModelPlan | ParseError:
    """The planned model family (simple / deep / unknown) with an optional training cost."""
    clean = _clean(text)
    if _affirmed(_DEEP, clean):
        family = ModelFamily.DEEP
    elif _affirmed(_SIMPLE, clean):
        family = ModelFamily.SIMPLE
    elif _affirmed(_UNKNOWN, clean):
        family = ModelFamily.UNKNOWN
    else:
        return ParseError(
            problem=msg.NOT_UNDERSTOOD, expected=msg.MODEL_EXPECTED, example=msg.MODEL_EXAMPLE
        )
    return ModelPlan(text=text.strip(), family=family, training_cost=_training_cost(clean))


def _training_cost(clean: str) -> float | None:
    """Dollars in "$5,000", "5k dollars", "$1.2m"; None when no cost is given."""
    match = _COST.search(clean)
    if not match:
        return None
    if match.group("num") is not None:
        value = _number(match)
    else:
        mult = match.group("mult2")
        value = float(match.group("num2").replace(",", "")) * (_MULTIPLIERS[mult] if mult else 1.0)
    return value if _finite(value) else None
