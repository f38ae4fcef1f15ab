"""The question catalog: the requirement topics of docs/decision-guide.md as data.

A question declares its prompt, why it matters, examples, choices and parser,
so the dialogue asks, validates and re-asks any question the same way and never
branches on a question id (as botbuilder's prompts do).
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations import parsing
from conversations.values import ChurnKind, CustomerKind, ModelFamily


@dataclass(frozen=True, slots=True)
class Choice:
    """A categorical answer a front end can show as a button; `id` is what the parser reads."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """One requirement question."""

    id: str
    title: str
    prompt: str
    why: str
    examples: tuple[str, ...]
    parser: parsing.Parser
    choices: tuple[Choice, ...] = ()
    required: bool = True
    names_people: bool = False
    """Its answers start with a mention as often as not, so a leading mention is no side remark."""


CATALOG: tuple[Question, ...] = (
    Question(
        id="volume",
        title="Data volume",
        prompt="How much data will the model process, per day, week or month?",
        why="Volume decides whether a single server does the job or you need distributed compute.",
        examples=("500 MB a day", "2 TB per week", "10 million rows of about 1 KB per day"),
        parser=parsing.parse_volume,
    ),
    Question(
        id="stakeholders",
        title="Stakeholders",
        prompt="Who are the stakeholders: who is affected by building and maintaining this?",
        why="The people affected by development and maintenance must agree on scale and practices.",
        examples=("@maria, the fraud team, finance", "data platform team and risk"),
        parser=parsing.parse_stakeholders,
        names_people=True,
    ),
    Question(
        id="churn",
        title="Data churn",
        prompt="How often does the data change? How long until today's records are all replaced?",
        why="Data that never changes can be scored once; constantly changing data needs a stream.",
        examples=("never", "nightly", "every 15 minutes", "constantly"),
        parser=parsing.parse_churn,
        choices=(
            Choice(ChurnKind.NEVER.value, "Never changes"),
            Choice(ChurnKind.LOW.value, "Rarely"),
            Choice(ChurnKind.CADENCE.value, "On a schedule"),
            Choice(ChurnKind.CONSTANT.value, "Constantly"),
        ),
    ),
    Question(
        id="decay",
        title="Model decay",
        prompt="How quickly does the model's predictive quality decay: how often must it be retrained?",
        why="Retraining frequency decides how strong an MLOps pipeline the deployment must have.",
        examples=("every 30 days", "weekly", "never"),
        parser=parsing.parse_decay,
    ),
    Question(
        id="frequency",
        title="Frequency of use",
        prompt="How often will the model be invoked by its customers?",
        why="Invocation rate separates a nightly job from a service that must stay up and scale.",
        examples=("1000 requests per second", "50k calls an hour", "once a day"),
        parser=parsing.parse_frequency,
    ),
    Question(
        id="config",
        title="Configuration / state",
        prompt="Are there custom configurations that alter the system's state (e.g. a customer table)?",
        why="State and configuration rule out some deployments and favour database integration.",
        examples=("no", "yes - per-customer thresholds in a table"),
        parser=parsing.parse_config,
        choices=(Choice("yes", "Yes"), Choice("no", "No")),
    ),
    Question(
        id="sla",
        title="SLA",
        prompt="What is the service level agreement: how fast must a prediction come back?",
        why="A millisecond SLA needs a live service; a next-morning SLA is a batch job.",
        examples=("under 50 ms", "2 seconds", "within the hour", "by the next morning", "no SLA"),
        parser=parsing.parse_sla,
    ),
    Question(
        id="customer",
        title="Customer system",
        prompt="Which system consumes the predictions?",
        why="Who calls the model, and from where, decides the interface: stream, API, files.",
        examples=("partner apps over the internet", "files dropped on SFTP", "internal dashboards"),
        parser=parsing.parse_customer,
        choices=(
            Choice(CustomerKind.INTERNAL_HIGH_THROUGHPUT.value, "Internal, high throughput"),
            Choice(CustomerKind.EXTERNAL.value, "External to our infrastructure"),
            Choice(CustomerKind.INTERNAL_PRIVATE.value, "Internal, private network"),
            Choice(CustomerKind.FILE_BASED.value, "File based"),
        ),
    ),
    Question(
        id="model",
        title="Model type",
        prompt="What kind of model do you plan (and, if known, what will training cost)?",
        why="Simpler is better: a complex model can cost more in upkeep than its accuracy earns.",
        examples=("xgboost, about $300 to train", "TensorFlow CNN, $5,000 to train", "unknown"),
        parser=parsing.parse_model,
        choices=(
            Choice(ModelFamily.SIMPLE.value, "Simple (linear, trees)"),
            Choice(ModelFamily.DEEP.value, "Deep learning"),
            Choice(ModelFamily.UNKNOWN.value, "Not decided"),
        ),
        required=False,
    ),
)

QUESTIONS: dict[str, Question] = {question.id: question for question in CATALOG}
QUESTION_IDS: tuple[str, ...] = tuple(QUESTIONS)


def question_number(question_id: str) -> int:
    """1-based position, as people count ("question 3 of 9")."""
    return QUESTION_IDS.index(question_id) + 1


def find_question(ref: str) -> Question | None:
    """A question by id ("sla") or by 1-based number ("7"), as typed after `edit`."""
    ref = ref.strip().lower()
    if ref.isascii() and ref.isdigit() and 1 <= int(ref) <= len(CATALOG):
        return CATALOG[int(ref) - 1]
    return QUESTIONS.get(ref)
