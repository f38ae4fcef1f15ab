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
_ROW_WORDS = r"(?:rows|records|events|messages|documents|lines|items)"
_ROWS = re.compile(
    _NUMBER + _MULTIPLIER + r"\s*" + _ROW_WORDS + r"\b"
    # A comma alone does not join a row size: "10 million rows, 40 GB a day" gives the total.
    r"(?:\s*,?\s*(?:of|at|averaging|each|x|×))*\s*(?:about|around|roughly|~|approx\.?)?\s*"
    r"(?P<size>\d+(?:\.\d+)?)\s*" + _SIZE_UNIT.replace("?P<unit>", "?P<rowunit>")
)
# A row count and, elsewhere in the answer, the size of one row: "10m rows a day, 1 KB each".
_ROW_COUNT = re.compile(_NUMBER + _MULTIPLIER + r"\s*" + _ROW_WORDS + r"\b")
_ROW_SIZE = re.compile(
    _NUMBER + r"\s*" + _SIZE_UNIT + r"\s*(?:each|apiece|a piece|per\s+\w+|an?\s+(?:row|record|"
    r"event|message|document|line|item)\b)"
)

# Periods, in minutes. Longer phrases first so "every other day" never reads as "day".
_PERIOD_WORDS: tuple[tuple[str, float], ...] = (
    (r"per\s+second|a\s+second|each\s+second|/\s*s(?:ec)?\b|\bper\s+sec\b", MINUTE / 60),
    (r"per\s+minute|a\s+minute|each\s+minute|/\s*min(?:ute)?\b|\bper\s+min\b", MINUTE),
    (r"per\s+hour|an\s+hour|a\s+hour|each\s+hour|every\s+hour|hourly|/\s*h(?:ou)?r\b", HOUR),
    (r"per\s+day|a\s+day|each\s+day|every\s+day|daily|nightly|/\s*day\b|per\s+night", DAY),
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
_WORD_COUNTS = {"once": 1.0, "twice": 2.0, "thrice": 3.0}


def _clean(text: str) -> str:
    """Lower-case and collapse whitespace: every parser reads the same normal form."""
    return " ".join(text.strip().lower().split())


def _number(match: re.Match[str]) -> float:
    """The matched number with its multiplier applied."""
    value = float(match.group("num").replace(",", ""))
    mult = match.groupdict().get("mult")
    return value * _MULTIPLIERS[mult] if mult else value


def _period_minutes(text: str) -> float | None:
    """The period a text names ("a week", "nightly", "every 15 minutes"), in minutes."""
    every = _EVERY_N.search(text)
    if every:
        return _every_minutes(every)
    for pattern, minutes in _PERIODS:
        if pattern.search(text):
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


def parse_volume(text: str) -> Volume | ParseError:
    """A size per period -> GB per day ("2 TB per week", "10 million rows of about 1 KB per day")."""
    clean = _clean(text)
    period = _schedule_minutes(clean)
    rows = _ROWS.search(clean)
    row_count = _ROW_COUNT.search(clean)
    row_size = _ROW_SIZE.search(clean)
    size = _SIZE.search(clean)
    if rows:
        gb = _number(rows) * float(rows.group("size")) * _SIZE_UNITS_GB[rows.group("rowunit")]
    elif row_count and row_size:
        gb = _number(row_count) * _number(row_size) * _SIZE_UNITS_GB[row_size.group("unit")]
    elif size:
        # With no "each", a size is the total: "10 million rows, 40 GB a day".
        gb = _number(size) * _SIZE_UNITS_GB[size.group("unit")]
    else:
        problem = (
            msg.VOLUME_NO_ROW_SIZE
            if row_count
            else msg.VOLUME_NO_UNIT
            if re.search(r"\d", clean)
            else msg.VOLUME_NO_SIZE
        )
        return ParseError(problem=problem, expected=msg.VOLUME_EXPECTED, example=msg.VOLUME_EXAMPLE)
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
    r"^never\b|\bnever changes?\b|\bstatic\b|\b(?:does not|doesn't|won't|will not) change\b|"
    r"\bimmutable\b|\bfixed\b|\bone[- ]off\b|\bno changes?\b|\bunchanging\b"
)
_CONSTANT_CHURN = re.compile(
    r"\bconstant(?:ly)?\b|\bcontinuous(?:ly)?\b|\bstream(?:ing|ed)?\b|\breal[- ]?time\b|"
    r"\blive\b|\ball the time\b|\bnon[- ]?stop\b|\bevery second\b"
)
_LOW_CHURN = re.compile(
    r"^low$|\brarely\b|\bseldom\b|\boccasionally\b|\bslow(?:ly)?\b|\binfrequent(?:ly)?\b|"
    r"\bhardly ever\b|\bnot often\b"
)
LOW_CHURN_MINUTES = MONTH


def parse_churn(text: str) -> Churn | ParseError:
    """Data velocity: never / low / on a schedule (keeping the period) / constant."""
    clean = _clean(text)
    choice = {kind.value: kind for kind in ChurnKind}.get(clean)
    if choice is not None:
        return Churn(text=text.strip(), kind=choice)
    if _NEVER_CHURN.search(clean):
        return Churn(text=text.strip(), kind=ChurnKind.NEVER)
    if _CONSTANT_CHURN.search(clean):
        return Churn(text=text.strip(), kind=ChurnKind.CONSTANT)
    if _LOW_CHURN.search(clean):
        return Churn(text=text.strip(), kind=ChurnKind.LOW)
    period = _schedule_minutes(clean)
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
    """Minutes between events for "twice a day", "3 times a week", "4x per hour"."""
    match = re.search(
        r"(?<![\w.])(?P<count>once|twice|thrice|\d+(?:\.\d+)?)\s*(?:times?|x)?\s*"
        r"(?:a|an|per|each|every|/)\s*"
        r"(?P<unit>second|sec|minute|min|hour|hr|day|night|week|wk|month|quarter|year|yr)\b",
        clean,
    )
    if not match:
        return None
    count = _WORD_COUNTS.get(match.group("count")) or float(match.group("count"))
    if count <= 0:
        return None
    minutes = _UNIT_MINUTES[match.group("unit")] / count
    return minutes if minutes > 0 else None


_NO_RETRAIN = re.compile(
    r"^(?:never|no|none|n/a)\b|\bno need\b|\bno retrain|\bdoes not decay\b|\bdoesn't decay\b|"
    r"\bnot needed\b|\bstatic\b|\bonce\b(?!\s*(?:a|an|per|every|each|in)\b)"
)


def parse_decay(text: str) -> Decay | ParseError:
    """How often the model must be retrained -> days between retrains, or never."""
    clean = _clean(text)
    if _NO_RETRAIN.search(clean):
        return Decay(text=text.strip(), retrain_every_days=None)
    minutes = _schedule_minutes(clean)
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
    match = _DURATION.search(clean)
    if not match:
        return None
    unit = match.group("unit")
    key = unit if unit in _DURATION_MINUTES else unit.rstrip("s")
    return float(match.group("num").replace(",", "")) * _DURATION_MINUTES[key]


_PER_SECOND_UNITS = re.compile(r"\b(?:rps|qps|tps|req/s|requests/s|calls/s)\b")


def parse_frequency(text: str) -> Frequency | ParseError:
    """How often the model is invoked -> calls per second ("50k calls an hour", "once a day")."""
    clean = _clean(text)
    every = _EVERY_N.search(clean)
    # The number in "2 calls every 10 minutes" that counts calls is the one outside "every ...".
    outside = clean[: every.start()] + " " + clean[every.end() :] if every else clean
    number = re.search(_NUMBER + _MULTIPLIER, outside)
    if number and _PER_SECOND_UNITS.search(clean):
        return _frequency(text, _number(number), MINUTE / 60)
    counted = re.search(r"\b(?P<word>once|twice|thrice)\b", clean)
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


_YES = re.compile(r"^(?:yes|y|yeah|yep|yup|true|stateful|sure|correct|there (?:is|are))\b")
_NO = re.compile(r"^(?:no|n|nope|none|false|stateless|nothing|not really)\b")
_STATE_HINTS = re.compile(
    r"\b(?:table|tables|config|configuration|configurations|settings|per[- ]customer|lookup|"
    r"database|thresholds?|rules|state)\b"
)


def parse_config(text: str) -> Config | ParseError:
    """Custom configuration that alters the system's state: yes / no, details kept as text."""
    clean = _clean(text)
    details = re.sub(r"^(?:yes|yeah|yep|yup|no|nope|y|n)\b[\s,.:;-]*", "", text.strip(), flags=re.I)
    if _NO.search(clean):
        return Config(text=text.strip(), stateful=False, details=details)
    if _YES.search(clean) or _STATE_HINTS.search(clean):
        return Config(text=text.strip(), stateful=True, details=details)
    return ParseError(
        problem=msg.NOT_UNDERSTOOD, expected=msg.CONFIG_EXPECTED, example=msg.CONFIG_EXAMPLE
    )


_NO_SLA = re.compile(
    # "no SLA", but not "no more than 200 ms": that is an SLA.
    r"^(?:no|none|n/a|whenever)\b(?!\s+(?:more|later|longer|slower|greater|worse)\b)|\bno sla\b|\bbest[- ]effort\b|\bno (?:deadline|rush|hurry)\b|"
    r"\bdoesn't matter\b|\bdoes not matter\b"
)
_NAMED_SLAS: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            r"\breal[- ]?time\b|\binstant(?:ly|aneous)?\b|\bimmediate(?:ly)?\b|\bsub[- ]?second\b"
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
    (re.compile(r"\b(?:within|in) (?:the|a) (?:day|week)\b"), 86400.0),
)


def parse_sla(text: str) -> Sla | ParseError:
    """Response time needed -> seconds ("under 50 ms", "within the hour", "no SLA")."""
    clean = _clean(text)
    if _NO_SLA.search(clean):
        return Sla(text=text.strip(), seconds=None)
    minutes = _plain_duration_minutes(clean)
    if minutes is not None:
        if not _finite(minutes):
            return ParseError(
                problem=msg.NUMBER_OUT_OF_RANGE, expected=msg.SLA_EXPECTED, example=msg.SLA_EXAMPLE
            )
        return Sla(text=text.strip(), seconds=minutes * 60)
    for pattern, seconds in _NAMED_SLAS:
        if pattern.search(clean):
            return Sla(text=text.strip(), seconds=seconds)
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
            r"\bdashboards?\b|\bour own\b|\bbackend\b"
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
        if pattern.search(clean):
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
    r"^unknown\b|\bnot sure\b|\bdon't know\b|\bdo not know\b|\btbd\b|\bundecided\b"
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
    if _DEEP.search(clean):
        family = ModelFamily.DEEP
    elif _SIMPLE.search(clean):
        family = ModelFamily.SIMPLE
    elif _UNKNOWN.search(clean):
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
