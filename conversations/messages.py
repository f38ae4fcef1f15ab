"""Every sentence the bot says, in one place.

Wording is reviewed and changed here without reading control flow (as
slack_bolt keeps its texts in `logger/messages.py`). Placeholders use
`str.format` names; the adapters escape what people typed, not these texts.
"""

from __future__ import annotations

# --- parse errors: problem / expected / example -------------------------------------------

NOT_UNDERSTOOD = "I couldn't read that answer."
NUMBER_OUT_OF_RANGE = "That number is too large to be real."
TOO_LONG = "That answer is {length:,} characters long; I take at most {limit:,}."
TOO_LONG_EXPECTED = "a shorter answer; put long notes in a document and paste its link"
TOO_LONG_EXAMPLE = "40 GB a day, details in https://wiki.example.com/intake"

VOLUME_NO_UNIT = "I found a number but no size unit (KB, MB, GB, TB, PB)."
VOLUME_NO_SIZE = "I couldn't find a data size."
VOLUME_NO_PERIOD = "I found a size but not the period it covers (a day, a week, a month)."
VOLUME_EXPECTED = "a size with a unit and a period, or a row count with a row size"
VOLUME_EXAMPLE = "40 GB a day"

CHURN_EXPECTED = "never, low (rarely), a schedule (hourly, nightly, every 15 minutes) or constant"
CHURN_EXAMPLE = "nightly"

DECAY_EXPECTED = "how often the model must be retrained, or never"
DECAY_EXAMPLE = "every 30 days"

FREQUENCY_NO_PERIOD = "I found a number but not the period it covers (per second, an hour, a day)."
FREQUENCY_EXPECTED = "how many calls over what period"
FREQUENCY_EXAMPLE = "50k calls an hour"

CONFIG_EXPECTED = "yes or no, with the details if yes"
CONFIG_EXAMPLE = "yes - per-customer thresholds in a table"

SLA_NO_UNIT = "I found a number but no time unit (ms, seconds, minutes, hours)."
SLA_EXPECTED = "a response time with a unit, or 'no SLA'"
SLA_EXAMPLE = "under 50 ms"

CUSTOMER_EXPECTED = (
    "internal_high_throughput, external, internal_private or file_based, or a description"
)
CUSTOMER_EXAMPLE = "partner apps over the internet"

STAKEHOLDERS_EXPECTED = "people or teams, separated by commas"
STAKEHOLDERS_EXAMPLE = "@maria, the fraud team, finance"
TOO_MANY_STAKEHOLDERS = "That names {count} stakeholders; I keep at most {limit}."

MODEL_EXPECTED = (
    "a model family (linear, xgboost, a neural network) or unknown, with a cost if known"
)
MODEL_EXAMPLE = "xgboost, about $300 to train"

NEGATIVE_NUMBER = "That number is below zero, which no amount, rate or time can be."
LOOKS_LIKE_VOLUME = "That looks like a data volume; this question asks {wants}."
WANTS_CHURN = "how often the data changes, e.g. nightly or every 15 minutes"
WANTS_DECAY = "how often the model must be retrained, e.g. every 30 days"
WANTS_FREQUENCY = "how often the model is called, e.g. 50k calls an hour"
WANTS_SLA = "how fast a prediction must come back, e.g. under 50 ms"
LOOKS_LIKE_CALL_RATE = (
    "That looks like a call rate; this question asks how much data arrives, e.g. 40 GB a day, "
    "or 1000 requests a second at 1 KB each."
)
VOLUME_ONLY_STORED = (
    "That looks like the data already stored; I need how much arrives per day, week or month."
)
STAKEHOLDERS_NOBODY = "That answer names no person or team."

# --- clarifying questions: an answer understood in part, and the missing part's options ----
# Each option label is the missing part as a person would type it after their answer.

ASK_VOLUME_PERIOD = "{size} per day, per week or per month?"
OPTIONS_VOLUME_PERIOD = ("per day", "per week", "per month")
ASK_TWO_WAYS = {
    "biweekly": "Every two weeks or twice a week?",
    "bimonthly": "Every two months or twice a month?",
    "biannually": "Every two years or twice a year?",
}
OPTIONS_TWO_WAYS = {
    "biweekly": ("every two weeks", "twice a week"),
    "bimonthly": ("every two months", "twice a month"),
    "biannually": ("every two years", "twice a year"),
}
ASK_CHURN_SCHEDULE = "Is that a schedule, or rare and irregular?"
OPTIONS_CHURN_SCHEDULE = ("on a schedule", "irregularly")
ASK_FREQUENCY_PERIOD = "{count} calls per second, per minute, per hour or per day?"
OPTIONS_FREQUENCY_PERIOD = ("per second", "per minute", "per hour", "per day")
ASK_SLA_UNIT = "{number} milliseconds, seconds or minutes?"
OPTIONS_SLA_UNIT = ("ms", "seconds", "minutes")
ASK_SLA_SOON = "How soon is that: under a second, within minutes, or by the next day?"
OPTIONS_SLA_SOON = ("under a second", "within minutes", "by the next day")
ASK_SLA_NEAR = "How near real-time: within a few seconds, within a minute, or within 15 minutes?"
OPTIONS_SLA_NEAR = ("within a few seconds", "within a minute", "within 15 minutes")
ASK_CUSTOMER_INTERNAL = "Internal high-throughput services, or a private, low-traffic system?"
OPTIONS_CUSTOMER_INTERNAL = ("high-throughput services", "private, low traffic")

# --- notes: how a range or an approximation was read (docs/reading-answers.md) -------------

NOTE_RANGE = "{phrase}: planning for {reading}"
NOTE_APPROXIMATE = '"{phrase}" read as {reading}'
NOTE_LARGEST = "{count} figures given: planning for the largest, {reading}"

# --- readings: what was understood, said back when an answer is saved ---------------------

READING_ABOUT = "about {reading}"
NUMBER_MILLIONS = "{number} million"
NUMBER_BILLIONS = "{number} billion"
READING_PER_DAY = "{size} a day"
READING_VOLUME = "{volume} ({band})"
READING_CHURN = {
    "never": "never changes",
    "low": "changes rarely, with no schedule",
    "cadence": "changes on a schedule",
    "constant": "changes constantly",
}
READING_EVERY = "every {period}"
READING_SCHEDULE = "{period} (a schedule)"
READING_CHURN_CONSTANT = "changes constantly ({period})"
READING_NO_RETRAIN = "no retraining needed"
READING_RETRAIN = "{interval} between retrains"
READING_RATE = "{count} {noun} {period}"
READING_CALL = "call"
READING_CALLS = "calls"
READING_RATE_PERIODS = {
    "second": "a second",
    "minute": "a minute",
    "hour": "an hour",
    "day": "a day",
    "week": "a week",
    "month": "a month",
}
READING_STATEFUL = "stateful"
READING_STATEFUL_DETAILS = "stateful: {details}"
READING_STATELESS = "stateless: no configuration state"
READING_NO_SLA = "no SLA"
READING_SLA = "{time}, {realtime}"
READING_REALTIME = {"yes": "real-time", "maybe": "near real-time", "no": "not real-time"}
READING_MODEL_FAMILY = {
    "simple": "a simple model",
    "deep": "deep learning",
    "unknown": "model not decided yet",
}
READING_COST = "${cost} to train"
READING_MODEL_COST = "{family}, {cost}"

# --- dialogue replies ---------------------------------------------------------------------

INTAKE_STARTED = "Intake for **{project}** started by {user}. Reply in this thread to answer."
INTAKE_ALREADY_OPEN = "An intake for **{project}** is already open here; carry on below."
INTAKE_JOINED = "Welcome {user}: you're answering the intake for **{project}**."
NO_INTAKE = "There is no intake here yet. Start one with `start <project name>`."
NEED_PROJECT_NAME = "Give the project a name, for example `{command} Fraud scoring`."
RESERVED_PROJECT_WORD = (
    "`{command} {word}` is a command, so it can't be a project name. "
    "Give the project a name, for example `{command} Fraud scoring`."
)
INTAKE_CANCELLED = "The intake for **{project}** was cancelled by {user}."
INTAKE_IS_CANCELLED = "This intake was cancelled. Start a new one with `start <project name>`."
CANCEL_NOT_ALLOWED = "Only {allowed} can cancel this intake."
OWNER_NOT_ALLOWED = "Only {allowed} can name the project owner."
# {value} is the answer as read ("about 14 days between retrains"), so a misreading shows at once.
SAVED = "Saved {question}: {value}.{note}"
SAVED_CONFLICT = (
    "Saved {question}: {value}.{note} {others} answered differently; the summary will show both."
)
# How a range or a hedge was read, after the saved value.
SAVED_NOTE = " {note}."
SKIPPED = "Skipped {question}."
CANNOT_SKIP = "{question} is one of the required questions, so it can't be skipped."
NOTHING_TO_GO_BACK_TO = "You're at the first question; there is nothing to go back to."
UNKNOWN_QUESTION = "There is no question '{ref}'. Use a number from 1 to {count} or one of: {ids}."
EDIT_HINT = "Current answer: {value}. Reply with a new one to replace it."
RESTARTED = (
    "Starting again from the first question. Your earlier answers stay until you replace them."
)
ALL_ANSWERED = (
    "Every question has an answer. Reply `summary` for the card, or `edit <n>` to change one."
)
NOT_READY = "Not enough to recommend yet: still missing {missing}."
OWNER_SET = "{owner} is now the project owner: the one who can veto scope changes."
OWNER_NEEDS_NAME = "Name the owner, for example `owner @maria`."
REASK = "{problem} I expected {expected}, for example: {example}"
REASK_EXPECTED = "I expected {expected}, for example: {example}"
UNKNOWN_CHOICE = (
    "That button belongs to a question I don't know ({value}); it may be from an older version."
)

HELP = (
    "Answer each question in your own words, or use these commands:\n"
    "- `status`: what is answered and what is missing\n"
    "- `back`: the previous question\n"
    "- `skip`: skip an optional question\n"
    "- `edit <number or id>`: change an answer, e.g. `edit 3` or `edit sla`\n"
    "- `owner <name>`: name the project owner\n"
    "- `summary`: the recommendation so far\n"
    "- `history`: what changed since the first summary, newest first\n"
    "- `approve <n>` / `reject <n>`: decide scope change n (the owner only)\n"
    "- `export`: the requirements and decision record, as a file\n"
    "- `remind off` / `remind on`: reminders for this intake\n"
    "- `restart`: go back to the first question\n"
    "- `cancel`: cancel the intake (its starter or owner only)"
)
STATUS_HEADER = "**{project}**: {answered} of {total} answered."
STATUS_LINE_ANSWERED = "{n}. {question}: {value}"
STATUS_LINE_MISSING = "{n}. {question}: not answered"
STATUS_LINE_SKIPPED = "{n}. {question}: skipped"
STATUS_LINE_CONFLICT = "{n}. {question}: {value} (conflict: {answers})"
STATUS_OWNER = "Owner: {owner}"
STATUS_NO_OWNER = "Owner: nobody yet (`owner <name>`)"
STATUS_YOUR_QUESTION = "Your current question: {n}. {question}"

ROOT_MESSAGE = (
    "**Intake: {project}**, started by {user}.\n"
    "Stakeholders: reply in this thread to answer the questions; `help` lists the commands."
)
START_HELP = (
    "Start an intake by mentioning me with `start <project name>`; "
    "in an intake's thread, just reply."
)
START_HELP_WITH_COMMAND = (
    "Start an intake with `{command} <project name>` or by mentioning me with "
    "`start <project name>`; in an intake's thread, just reply."
)

COULD_NOT_SAVE = (
    "I couldn't save that: my storage isn't answering just now. "
    "In a moment, reply `status` to see what is recorded, and send it again if it is missing."
)
TOO_MANY_ANSWERS = (
    "This intake already holds {limit:,} answers, the most one intake keeps. "
    "Start a new one with `start <project name>` to go on."
)
CANNOT_POST_NOT_A_MEMBER = (
    "I can't post in this channel until I'm in it: add me with `/invite` and my name, "
    "then try again."
)
CANNOT_POST_CHANNEL_GONE = "I can't post in this channel: it is archived, or I can't see it."
CANNOT_POST_RESTRICTED = "This channel doesn't let apps post, so I can't run an intake here."
COULD_NOT_POST = "I couldn't post in this channel just now. Please try again in a moment."
COULD_NOT_START = "I couldn't start the intake: my storage isn't answering just now. Please try again in a moment."
RESTARTING = "I'm restarting and couldn't take that. Please try again in a moment."
BUSY_RETRY = "Several people answered at once and I couldn't save yours. Please send it again."

# --- summary text -------------------------------------------------------------------------

SUMMARY_TITLE = "Intake summary: {project}"
SUMMARY_RECOMMENDATION = "Recommended deployment: **{strategy}** (score {score:.0f}/100)"
SUMMARY_FALLBACK = "{project}: recommended deployment {strategy} (score {score:.0f}/100)."
SUMMARY_NO_OWNER = "No project owner named"

# --- decision engine: names, reasons, alternatives, sizing --------------------------------

OR = " or "
VOLUME_BANDS = {
    "low": "low (under 2 GB a day)",
    "moderate": "moderate (2-25 GB a day)",
    "high": "high (25-750 GB a day)",
    "massive": "massive (over 750 GB a day)",
}
VOLUME_SHOWN = "{volume} ({band})"
CHURN_NAMES = {
    "never": "never changes",
    "low": "changes rarely",
    "cadence": "changes on a schedule",
    "constant": "changes constantly",
}
REALTIME_NAMES = {
    "yes": "real-time (1 s or less)",
    "maybe": "near real-time (up to 15 minutes)",
    "no": "not real-time (over 15 minutes, or none)",
}
CUSTOMER_NAMES = {
    "internal_high_throughput": "internal, high throughput",
    "external": "external to the infrastructure",
    "internal_private": "internal, in private networks",
    "file_based": "file based",
}
STATE_NAMES = {"yes": "stateful / configured", "no": "no configuration state"}
COLUMN_TITLES = {
    "volume": "Data volume",
    "churn": "Data churn",
    "sla": "SLA",
    "customer": "Customer system",
    "config": "Configuration",
}
REASON_TEXT = {
    "full": "{title}: {answer}, which is what it suits.",
    "partial": "{title}: {answer}, close to what it suits best ({needed}).",
    "none": "{title}: {answer}, but it suits {needed}.",
}
WOULD_NEED = "{title}: {needed} instead of {answer}"

# (upper limit in GB a day, workload, tool, infrastructure); see docs/decision-guide.md.
COMPUTE_BANDS: tuple[tuple[float, str, str, str], ...] = (
    (2.0, "small (0-2 GB)", "Pandas", "the server you have"),
    (15.0, "medium (2-15 GB)", "Pandas", "a bigger server than the one you have now"),
    (
        25.0,
        "large (15-25 GB)",
        "Pandas if the server's RAM holds the whole data set plus headroom; else Dask or PySpark",
        "one large-memory server",
    ),
    (
        750.0,
        "XL (25-750 GB)",
        "Dask or PySpark / Spark",
        "Docker Swarm or an AWS ECS cluster: a battleship or two, not more than 10",
    ),
    (
        float("inf"),
        "massive (over 750 GB)",
        "Dask or PySpark / Spark",
        "a Kubernetes cluster: time to call the Navy",
    ),
)

# --- complexity risks ---------------------------------------------------------------------

RISK_DISTRIBUTED = (
    "The plan involves {tool}, but {volume} does not call for distributed systems: "
    "they are a pain to run, and unless volume dictates it, stay away from them."
)
RISK_DISTRIBUTED_ACTION = "Start smaller on one server, measure a baseline, and scale up when the server no longer suffices."
RISK_DEEP = (
    "A deep-learning model brings heavy dependencies, costly retraining and harder maintenance; "
    "a simpler model (xgboost, linear) may earn most of the margin for a fraction of the cost."
)
RISK_DEEP_COST = (
    "Over {years} years, a ${cost:,.0f} model retrained {retrains} times at ${retrain_cost:,.0f} "
    "costs ${deep_total:,.0f} in training alone; a simpler model (${simple_cost:,.0f} to train, "
    "retrained half as often) would cost about ${simple_total:,.0f}."
)
RISK_DEEP_ACTION = (
    "Train a simple baseline first and compare the margin each model earns against its full cost."
)
RISK_STREAM_STATE = (
    "An event stream works best stateless; custom configuration in the stream adds lookups "
    "and consistency problems to every event."
)
RISK_STREAM_STATE_ACTION = (
    "Move configuration out of the event path (enrich upstream), or reconsider the strategy."
)
RISK_DATABASE_VOLUME = (
    "Database integration scores 1 for scalability; at {volume} it will strain the "
    "database it lives in. It suits small, out-of-the-way systems."
)
RISK_DATABASE_VOLUME_ACTION = "Consider batch or a REST API in front of the database instead."
RISK_REST_MASSIVE = (
    "A REST API scores 4 for scalability; {volume} through request/response calls "
    "needs heavy autoscaling."
)
RISK_REST_MASSIVE_ACTION = "Consider an event stream or batch for the bulk, and an API for lookups."
RISK_COLD_START = (
    "Serverless functions start cold after idle periods, which can break an SLA of {sla}."
)
RISK_COLD_START_ACTION = (
    "Keep functions warm (provisioned concurrency) or use a small always-on API."
)
RISK_RETRAIN = (
    "Retraining every {every} days is more often than a {label} pipeline "
    "(MLOps score {mlops}) comfortably supports (about every {floor:,.0f} days or longer)."
)
RISK_RETRAIN_ACTION = "Automate retraining and deployment before launch, or pick a strategy with a stronger MLOps score."
RISK_NO_OWNER = (
    "Nobody is named project owner: nobody can veto the small requirement tweaks that change "
    "the whole approach."
)
RISK_NO_OWNER_ACTION = "Name an owner with the power to veto scope changes (`owner @name`)."

# --- input that the parsers and `intake-bot decide` refuse ---------------------------------

VOLUME_NO_ROW_SIZE = "I found a row count but not the size of one row (for example 1 KB each)."
DECIDE_NOT_UTF8 = (
    "input: not valid UTF-8 ({reason}). Expected one JSON object; for example: {example}"
)
DECIDE_TOO_DEEP = (
    "input: the JSON is nested too deeply. Expected one JSON object; for example: {example}"
)
NOT_TEXT = "That answer holds characters that are not text (a broken character escape)."

# --- commands given without what they need ------------------------------------------------

EDIT_NEEDS_REF = "Say which answer to change, for example `edit 3` or `edit sla`."
VOLUME_NO_ROW_COUNT = (
    "I found the size of one row but not how many rows (for example 10 million rows a day)."
)
FREQUENCY_NO_COUNT = (
    "I found a period but not how many calls it holds (for example 300 requests per second)."
)

# --- card labels: what every renderer (terminal, Block Kit) prints around the data ---------

LABEL_WHY = "Why"
LABEL_CHOICES = "Choices"
LABEL_EXAMPLES = "For example"
LABEL_CURRENT_ANSWER = "Current answer"
OPTIONAL_HINT = "Optional: reply `skip` to leave it out."
LABEL_REPORT_CARD = "Report card"
LABEL_RATINGS = {
    "scalability": "Scalability",
    "speed": "Speed",
    "ease_of_deployment": "Ease of deployment",
    "mlops_pipeline": "MLOps pipeline",
}
LABEL_COMPUTE = "Compute"
COMPUTE_LINE = "{tool}, on {infrastructure}"
LABEL_ALTERNATIVES = "Alternatives, and what would make each win"
ALTERNATIVE_TIE = "a tie; no change needed"
LABEL_RISKS = "Complexity risks"
NO_RISKS = "none found"
LABEL_WHAT_TO_DO = "What to do"
LABEL_CONFLICTS = "Conflicts between stakeholders"
CONFLICT_USING = "using {answer}"
LABEL_OPEN_QUESTIONS = "Open questions"
LABEL_OWNER = "Project owner"
OWNER_MISSING_HINT = "reply `owner @name`."
CHOSE = "{user} chose {label}"
# How a mention reads when the platform never told the bot the person's name.
UNKNOWN_PERSON = "someone"

# --- the scope-creep guard ----------------------------------------------------------------

DIFF_STRATEGY = "Strategy"
# (report-card field, how the guide names it)
DIFF_CARD_FIELDS: tuple[tuple[str, str], ...] = (
    ("scalability", "Scalability"),
    ("speed", "Speed"),
    ("ease_of_deployment", "Ease of deployment"),
    ("mlops_pipeline", "MLOps pipeline"),
)
DIFF_COMPUTE = "Compute"
DIFF_COMPUTE_VALUE = "{workload}, {tool}"
DIFF_COMPUTE_ON = " on {infrastructure}"
DIFF_VOLUME = "Volume band"
DIFF_REALTIME = "Real-time"
DIFF_NEW_RISK = "New high risk"
NO_ANSWER = "no answer"

SCOPE_WARNING = (
    "**Scope change {number}** on **{project}**: {user} changed {questions}, "
    "and that moves the plan."
)
SCOPE_REPEATED = (
    "**Warning {number}** on **{project}**: {question} has now changed {count} times since "
    "the baseline; the requirement may not be settled."
)
SCOPE_REOPENED = (
    "**Warning {number}** on **{project}**: {user} changed {question} again after the owner "
    "approved a change to it; it is open again."
)
SCOPE_CONFLICT = (
    "**Warning {number}** on **{project}**: stakeholders have disagreed on {question} for more "
    "than {days} days. The owner settles it by answering it (`edit {n}`)."
)
SCOPE_CHANGE_LINE = "{question}: {old} ({old_reading}) → {new} ({new_reading})"
SCOPE_DIFFERENCE = "{what}: {before} → {after}"
BUTTON_APPROVE = "Approve"
BUTTON_REJECT = "Reject"
BUTTON_EXPORT_RECORD = "Export record"
RECORD_FILE_TITLE = "Requirements and decision record: {project}"
SCOPE_OWNER_DECIDES = (
    "{owner}: approve to make today's answers the new baseline, or reject to put the "
    "baseline's answer back (`approve {number}` or `reject {number}`)."
)
SCOPE_OWNER_NOTE = "{owner}: for your attention; nothing waits for a decision."
SCOPE_NO_OWNER = (
    "{starter}: nobody can approve or reject this until a project owner is named (`owner @name`)."
)
SCOPE_SET_ASIDE = (
    "Set aside undecided on {when}: more than {limit} scope changes were waiting. "
    "The change stands; the history has it."
)
SCOPE_DECIDED_APPROVED = "Approved by {user} on {when}."
SCOPE_DECIDED_REJECTED = "Rejected by {user} on {when}: the baseline's answer is back."
SCOPE_APPROVED = "{user} approved scope change {number}: today's answers are the new baseline."
SCOPE_REJECTED = "{user} rejected scope change {number}: the baseline's answer is back."
SCOPE_ALREADY_DECIDED = "Warning {number} is already decided, or waits for no decision."
SCOPE_NO_SUCH_WARNING = (
    "There is no warning '{ref}'. Use the number on the warning, for example `approve 1`."
)
SCOPE_NOTHING_WAITING = "No scope change is waiting for a decision."
SCOPE_WHICH = "Several scope changes are waiting; name one, for example `approve {numbers}`."
SCOPE_NO_OWNER_TO_DECIDE = (
    "Nobody can approve or reject scope change {number} until a project owner is named "
    "(`owner @name`, by the starter). The warning stays open."
)
SCOPE_ONLY_OWNER = (
    "Only {owner}, the project owner, can approve or reject scope change {number}. "
    "The warning stays open."
)
SCOPE_OWNER_NOT_MENTIONED = (
    "The owner, {owner}, was named as text, so nobody can decide as the owner; name them "
    "with a mention (`owner @name`). Scope change {number} stays open."
)

# --- the change history -------------------------------------------------------------------

HISTORY_HEADER = (
    "**Change history of {project}**: {total} entries since the first summary, newest first "
    "(page {page} of {pages})."
)
HISTORY_EMPTY = "Nothing has changed on **{project}** since its first summary."
HISTORY_NO_BASELINE = (
    "**{project}** has no summary yet: its history starts with the first complete summary."
)
HISTORY_NO_PAGE = "There is no page {page}; the history has {pages}."
HISTORY_MORE = "Older entries: `history {next}`."
HISTORY_CHANGED = (
    "{when}: {user} changed {question}: {old} ({old_reading}) → {new} ({new_reading})."
)
HISTORY_CHANGED_WARNED = (
    "{when}: {user} changed {question}: {old} ({old_reading}) → {new} ({new_reading}); "
    "this raised scope change {number}."
)
HISTORY_APPROVED = "{when}: {user} approved scope change {number}."
HISTORY_REJECTED = (
    "{when}: {user} rejected scope change {number}; the baseline's answer was put back."
)
HISTORY_REJECTED_RESTORED = (
    "{when}: {user} rejected scope change {number}; {restored} put back to the baseline's."
)
HISTORY_RESTORED = "{question} {new}"
HISTORY_SUPERSEDED = (
    "{when}: scope change {number} was set aside undecided: too many newer ones were waiting."
)
HISTORY_WARNED = "{when}: warning {number} to the owner: {reason} ({question})."
# WarningKind value -> how the history and the record name it.
WARNING_REASONS: dict[str, str] = {
    "scope_change": "a change that moves the plan",
    "repeated_changes": "an answer changed more than twice",
    "reopened": "a question reopened after an approval",
    "unsettled_conflict": "stakeholders' answers unsettled for more than 3 days",
}

# --- the requirements and decision record (Markdown) --------------------------------------

RECORD_TITLE = "# Requirements and decision record: {project}"
RECORD_FACTS = (
    "- Started by {starter} on {started}\n"
    "- Project owner: {owner}\n"
    "- Status: {status}; {answered} of {total} questions answered\n"
    "- Record written {written}"
)
RECORD_NO_OWNER = "none named (a high risk: nobody holds the veto over scope changes)"
RECORD_RECOMMENDATION = "## Recommendation: {strategy} (score {score:.0f})"
RECORD_NOT_READY = (
    "## Recommendation\n\nNot enough answers to recommend yet: still missing {missing}."
)
RECORD_WHY = "### Why"
RECORD_REPORT_CARD = "### Report card ({source})"
RECORD_CARD_HEADER = (
    "| Scalability | Speed | Ease of deployment | MLOps pipeline |\n|---|---|---|---|"
)
RECORD_COMPUTE = "### Compute sizing\n\n{workload}: {tool}, on {infrastructure}."
RECORD_ALTERNATIVES = "### Alternatives, and what would make each win"
RECORD_RISKS = "### Risks"
RECORD_ANSWERS = "## Answers"
RECORD_QUESTION = "### {number}. {title}"
RECORD_USED = "Used: {text} ({reading}), given by {by}."
RECORD_UNANSWERED = "No answer."
RECORD_SKIPPED = "Skipped."
RECORD_GIVEN = "Every answer given:"
RECORD_ANSWER_LINE = "- {when}, {by}: {text}"
RECORD_CONFLICTS = "## Conflicts"
RECORD_CONFLICT_LINE = "- {title}: {answers}; the decision uses {used}."
RECORD_HISTORY = "## Change history"
RECORD_NO_HISTORY = "No change since the first summary."
RECORD_OPEN_WARNINGS = "## Scope changes waiting for the owner"
RECORD_OPEN_WARNING = (
    "- Scope change {number}: {questions}, {from_strategy} → {to_strategy}, raised {when} by {by}."
)
RECORD_NONE = "None."

# --- digests, reminders and the channel's list ----------------------------------------------

BOT_MENTION = "@intake-bot"
"""How people address the bot where it has no slash command (Teams): the app's name."""
DIGEST_UNKNOWN_CADENCE = "'{word}' is not a digest schedule."
DIGEST_NEEDS_DAY = "A weekly digest needs a day (mon, tue, wed, thu, fri, sat or sun)."
DIGEST_NEEDS_TIME = "The digest needs a time of day as HH:MM (24-hour)."
DIGEST_UNKNOWN_ZONE = "'{zone}' is not a time zone I know; use an IANA name."
DIGEST_PROBLEM = (
    "{problem} I expected `daily HH:MM`, `weekly <day> HH:MM` or `off`, with an optional "
    "IANA time zone, for example `{command} digest weekly mon 09:00 Europe/Berlin`."
)
DIGEST_SET = (
    "Digests for this channel: {setting}, set by {user}. The next one comes {next}; "
    "a period with nothing to report gets none."
)
DIGEST_TURNED_OFF = "Digests for this channel are off (turned off by {user})."
DIGEST_SHOW = (
    "This channel's digest: {setting}, set by {user} on {when}. The next one comes {next}."
)
DIGEST_NONE = (
    "This channel has no digest. Set one with `{command} digest daily 09:00`; a time zone "
    "may follow, for example `Europe/Berlin`."
)
DIGEST_NOT_A_MEMBER = "Only members of this channel can change its digest."

DIGEST_TITLE = "**Intake digest**: {start} to {end}"
DIGEST_STARTED = "**Started**: {projects}"
DIGEST_FINISHED = "**Finished**: {projects}"
DIGEST_RECOMMENDED = "{project} recommends {label} (score {score})."
DIGEST_OWING = "{project}: {people} still owe {questions}."
DIGEST_WAITING = "{project}: scope change {numbers} waits for {owner}."
DIGEST_WAITING_NO_OWNER = "{project}: scope change {numbers} waits for an owner to be named."
DIGEST_UNSETTLED = "{project}: stakeholders disagree on {questions}."
DIGEST_IDLE = "{project}: no answer for {days} days."
DIGEST_QUIET = "{count} smaller changes moved nothing the decision uses."
DIGEST_SECTION_OWING = "**Waiting for answers**"
DIGEST_SECTION_WAITING = "**Waiting for the owner**"
DIGEST_SECTION_UNSETTLED = "**Unsettled conflicts**"
DIGEST_SECTION_IDLE = "**Idle for more than 7 days**"
DIGEST_SECTION_RECOMMENDED = "**Recommendations**"

REMINDER_HEAD = "**{project}** has had no answer for {hours} hours. Still open:"
REMINDER_LINE = "{person}: {questions}"
REMINDER_FOOT = "Reply here to answer; `remind off` stops these reminders for this intake."
REMIND_OFF = "Reminders for this intake are off; `remind on` turns them back on."
REMIND_ON = "Reminders for this intake are on again."

LIST_HEADER = "Intakes in this channel: {count}."
LIST_NONE = "No intakes in this channel yet. Start one with `{command} <project name>`."
LIST_LINE = "{project}: {state}"
LIST_STATE_OPEN = "open, {answered} of {total} answered"
LIST_STATE_DONE = "{label} recommended"
LIST_STATE_WAITING = "{label} recommended; scope change {numbers} waits for the owner"
LIST_STATE_CANCELLED = "cancelled"
LIST_MORE = "…and {count} more."
