"""Neutral replies -> Bot Framework message activities for Teams, each holding one Adaptive Card.

Pure functions over JSON-ready dicts, with no botbuilder import: moving off
botbuilder changes `outbound.py` and `app.py`, not this module. As in
`bot.slack.blocks`, the notices of a turn ride on the question, clarification
or summary that follows them, so a turn is as few posts as read well.

Every activity is an Adaptive Card 1.5, notices included. Card TextBlocks take
one documented markdown subset (bold, italic, lists, links) and no HTML, while
a Teams text message mixes markdown with HTML and hides text between curly
braces (MicrosoftDocs/msteams-docs#4956). One surface means one escaping rule,
and a mention works the same way in every post: `<at>Name</at>` in a TextBlock
and a `mention` entity in the card's `msteams.entities`. Each activity carries
a plain `summary` line as well (the Bot Framework's text for a client that
shows no cards); it never repeats the card in the chat as `text` would.

Text people typed goes through `escape_markdown` (see there) before it enters
a card: it cannot forge a link, an image, a mention, HTML or formatting. Our
own sentences are escaped the same way and then get the core's markup back:
`**words**` stays bold and `` `words` `` becomes bold too, since card
markdown has no code span.

`channelData.intake` is the `PostMetadata` object Slack sends as message
metadata (`bot.post_metadata`), keyed with the outbox id and the part number
when `to_activities` gets a key.

A scope-change warning is a card with one TextBlock per sentence; while it
waits for the owner it has Approve and Reject buttons, and the summary has an
Export record button. Each of these submits `{"intake_command": "<words>"}`:
the very words a person could type (`approve 3`), so a click and a typed
command take one path through the core. The requirements record is not a
card but plain markdown messages, since it is a document to read and copy.

A channel's digest is one card: a TextBlock per line of `digest_lines`
(section headings bold, with a line above), people as mentions, and each
intake's project a markdown link to its reply chain (`message_link`). A
reminder is a card in the intake's chain, a TextBlock per line of
`reminder_lines`, mentioning each person who owes answers. Project names in
links are typed text, escaped like any other.

Teams refuses a message over about 28 KB, so each activity is kept within
`MAX_ACTIVITY_BYTES`: long typed text is cut first, then lists are shortened,
then detail is dropped from the end with an ellipsis. Nothing here raises for
size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

from bot.choice_codec import encode_choice
from bot.plain_text import rating, render_clarify, render_notice, render_reask
from bot.ports import IntakeRef
from bot.post_metadata import PostMetadata, metadata_for, notice_metadata
from conversations import messages as msg
from conversations.digest import digest_lines, reminder_lines
from conversations.markup import convert
from conversations.people import Owner, Person
from conversations.questions import QUESTIONS, question_number
from conversations.replies import (
    ChoiceButton,
    Clarify,
    DigestReply,
    Link,
    Notice,
    QuestionReply,
    Reask,
    RecordReply,
    ReminderReply,
    Reply,
    SummaryReply,
    Tone,
    WarningReply,
)
from conversations.risks import Severity
from conversations.summary import Summary

Activity = dict[str, Any]
Element = dict[str, Any]
Names = Callable[[str], str | None]
"""A user id -> the display name Teams last sent for it, or None when none is known."""

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

CHOICE_FIELD = "intake_choice"
"""The key of an Action.Submit's data holding `encode_choice(question id, value)`."""
LABEL_FIELD = "label"
"""The key of an Action.Submit's data holding the button's label, for the answered card."""
COMMAND_FIELD = "intake_command"
"""The key of an Action.Submit's data holding the words of a command (`approve 3`, `export`)."""
APPROVE_COMMAND = "approve"
REJECT_COMMAND = "reject"
EXPORT_COMMAND = "export"
MARKDOWN_FORMAT = "markdown"

# Teams refuses messages over about 28 KB. An activity is measured as `json.dumps` writes it by
# default (non-ASCII as \u escapes, so never less than its UTF-8 size), and the room left is for
# what the connector adds (conversation, from, recipient, service URL).
MAX_ACTIVITY_BYTES = 27_000
# Teams shows six actions on a card; a question or clarification with more is answered by typing.
MAX_ACTIONS = 6
# An answer whose button data would be longer than this (as JSON) is left to be typed: cutting
# it would change the answer (Slack's button value limit, the same rule as `bot.slack.blocks`).
CHOICE_VALUE_MAX = 2000
ACTION_TITLE_MAX = 100
QUOTE_MAX = 200
LABEL_MAX = 200
SUMMARY_TEXT_MAX = 500
MAX_RISKS = 10

# Shown in a mention when Teams never told us the person's name; the mention still notifies
# them, by id. (User-facing, so it belongs with `conversations.messages` once that file is open
# to this change.)
UNKNOWN_NAME = msg.UNKNOWN_PERSON
ELLIPSIS = "…"
SEVERITY_MARKS = {Severity.HIGH: "🔴", Severity.MEDIUM: "🟠", Severity.LOW: "⚪"}
CHOSEN_MARK = "✅"
WARNING_MARK = "⚠️"

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TYPED_MARKUP = re.compile(r"([\\`*_~\[\]{}])")
_TEMPLATE_MARKUP = re.compile(r"([\\`*_~\[\]])")
_LINE_MARK = re.compile(r"^([ \t]*)([#+=-])", re.MULTILINE)
_LINE_NUMBER = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_NOT_IN_NAMES = re.compile(r"[<>\[\]*_~`\\]")
_HEADING = re.compile(r"^\*\*[^*{}]+\*\*$")
"""A notice whose whole template is bold: a section heading (`msg.DIGEST_SECTION_OWING`)."""
MESSAGE_LINK = "https://teams.microsoft.com/l/message/{channel}/{root}?tenantId={tenant}&parentMessageId={root}"
"""Teams' deep link to a channel message (learn.microsoft.com, "Deep link to Teams chat":
channel conversation), here to the root post of an intake's reply chain; the optional
groupId, teamName, channelName and createdTime are left out."""


# --- escaping ----------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Text people typed, made literal for a Teams card TextBlock.

    - `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;` (in one pass, so no entity is
      escaped twice). Card markdown decodes these entities to plain characters (CommonMark; the
      JS renderer and the shared object model alike, microsoft/AdaptiveCards#4000), and
      Teams matches a mention entity against the raw `<at>...</at>` string, so a typed
      `<at>General</at>` or `<b>` shows as typed and pings or bolds nothing.
    - `\\`, `` ` ``, `*`, `_`, `~`, `[`, `]`, `{` and `}` get a backslash (CommonMark's
      escape): no emphasis, strikethrough or code span, no `[x](url)` link or
      `![i](url)` image, no `{{DATE()}}` function.
    - A line starting like a block (`#`, `-`, `+`, `=`, `1.` or `1)`) gets its marker
      escaped, so a typed answer never turns into a heading or a list.

    Other characters (`(`, `!`, `.`) are left alone: with `[` escaped they start nothing.
    """
    escaped = _TYPED_MARKUP.sub(r"\\\1", text.translate(_ENTITIES))
    escaped = _LINE_NUMBER.sub(r"\1\\\2", escaped)
    return _LINE_MARK.sub(r"\1\\\2", escaped)


def _escape_template(text: str) -> str:
    """Our own template text: escaped like typed text, but its `{placeholders}` are kept for
    `str.format` and its line starts (the help's list) are left as the list they are."""
    out: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        out.append(
            _TEMPLATE_MARKUP.sub(r"\\\1", text[position : match.start()].translate(_ENTITIES))
        )
        out.append(match.group())
        position = match.end()
    out.append(_TEMPLATE_MARKUP.sub(r"\\\1", text[position:].translate(_ENTITIES)))
    return "".join(out)


def _bold(text: str) -> str:
    return f"**{text}**" if text.strip() else text


def markdown_template(template: str) -> str:
    """One of our templates in card markdown: escaped, placeholders kept, markup mapped."""
    return convert(template, strong=_bold, code=_bold, plain=_escape_template)


def markdown_sentence(text: str) -> str:
    """A finished sentence of ours (it may quote typed text): escaped, markup mapped."""
    return convert(text, strong=_bold, code=_bold, plain=escape_markdown)


def _cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, a cut marked with an ellipsis (before escaping)."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


# --- links -------------------------------------------------------------------------------


def message_link(ref: IntakeRef, thread: str) -> str | None:
    """The deep link to the reply chain that starts with post `thread` in `ref`'s channel.

    Every part is percent-encoded (a channel id holds `:` and `@`), so the URL
    has nothing markdown would end a link at. None where there is no chain to
    open: a chat without threads, or a link with no thread.
    """
    if not thread or not ref.channel or not ref.workspace:
        return None
    return MESSAGE_LINK.format(
        channel=quote(ref.channel, safe=""),
        root=quote(thread, safe=""),
        tenant=quote(ref.workspace, safe=""),
    )


# --- mentions ----------------------------------------------------------------------------


def display_name(person: Person, names: Names) -> str:
    """The name a mention shows: the person's own, else the one Teams sent last, else
    `UNKNOWN_NAME`.

    The name sits inside Teams' mention tag, which is not markdown, so characters that
    could close the tag or start markup are dropped rather than escaped (no backslash shows
    in the mention).
    """
    raw = person.name or names(person.id) or ""
    shown = " ".join(_NOT_IN_NAMES.sub("", raw).split())
    return shown or UNKNOWN_NAME


@dataclass(slots=True)
class _People:
    """The mentions one card makes, as Teams wants them listed."""

    names: Names
    entities: dict[tuple[str, str], Element] = field(default_factory=dict)

    def mention(self, person: Person) -> str:
        """`<at>Name</at>` for the card's text; the entity naming the person is kept."""
        name = display_name(person, self.names)
        text = f"<at>{name}</at>"
        self.entities.setdefault(
            (text, person.id),
            {"type": "mention", "text": text, "mentioned": {"id": person.id, "name": name}},
        )
        return text


# --- fitting -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fit:
    """How much of each thing one rendering shows."""

    typed: int
    """Characters of one typed text."""
    sentence: int
    """Characters of one of our finished sentences (reasons, risks)."""
    items: int
    """Items of one list (reasons, alternatives, risks, conflicts and their answers)."""


# Tried in order until the activity fits; the first one shows everything a normal intake has.
FITS = (_Fit(2000, 2000, 20), _Fit(500, 1000, 10), _Fit(150, 400, 5), _Fit(50, 200, 3))


@dataclass(slots=True)
class _Writer:
    """Card text for one rendering: typed text cut and escaped, people as mentions."""

    fit: _Fit
    people: _People
    ref: IntakeRef | None = None
    """Where the post goes: a `Link` opens a reply chain of this channel."""

    def typed(self, text: str, limit: int | None = None) -> str:
        """Typed text, cut to the fit (or to `limit`, if smaller), escaped."""
        most = self.fit.typed if limit is None else min(limit, self.fit.typed)
        return escape_markdown(_cut(text, most))

    def sentence(self, text: str) -> str:
        """One of our finished sentences, cut to the fit."""
        return markdown_sentence(_cut(text, self.fit.sentence))

    def notice(self, notice: Notice) -> str:
        """A notice: our template mapped, its typed parameters escaped, people mentioned."""
        return notice.fill(
            markdown_template(notice.template), self.typed, self.people.mention, self.link
        )

    def link(self, link: Link) -> str:
        """A project's name as a markdown link to its reply chain; its escaped text where the
        chain cannot be linked. The text is typed, so it is escaped inside the brackets."""
        text = self.typed(link.text)
        url = message_link(self.ref, link.thread) if self.ref is not None else None
        return f"[{text}]({url})" if url is not None else text

    def mention(self, person: Person) -> str:
        return self.people.mention(person)


@dataclass(slots=True)
class _Parts:
    """A card's content before assembly: dropped from the end when it will not fit."""

    preface: list[Element]
    main: list[Element]
    actions: list[Element] = field(default_factory=list)


Build = Callable[[_Writer], _Parts]


def _text(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _apart(preface: Sequence[object]) -> dict[str, Any]:
    """A line between a card's preface (the turn's notices) and its own content."""
    return {"separator": True} if preface else {}


def _note(text: str, **style: Any) -> Element:
    return _text(text, isSubtle=True, spacing="small", **style)


def _size(activity: Activity) -> int:
    return len(json.dumps(activity).encode("utf-8"))


def texts(elements: Sequence[Element]) -> Iterator[str]:
    """Every markdown text of card elements: TextBlocks, FactSets, inside containers too."""
    for element in elements:
        if element.get("type") == "TextBlock":
            yield element["text"]
        for fact in element.get("facts", ()):
            yield fact["title"]
            yield fact["value"]
        yield from texts(element.get("items", ()))


def _assemble(
    parts: _Parts, people: _People, summary: str, metadata: PostMetadata | None
) -> Activity:
    body = [*parts.preface, *parts.main]
    shown = "\n".join(texts(body))
    # Only the people still shown are listed: Teams wants each entity's text in the card.
    entities = [entity for entity in people.entities.values() if entity["text"] in shown]
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if parts.actions:
        card["actions"] = parts.actions
    if entities:
        card["msteams"] = {"entities": entities}
    activity: Activity = {
        "type": "message",
        "summary": _cut(summary, SUMMARY_TEXT_MAX),
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }
    if metadata is not None:
        activity["channelData"] = {"intake": metadata.model_dump()}
    return activity


def _fitted(
    build: Build,
    names: Names,
    summary: str,
    metadata: PostMetadata | None,
    ref: IntakeRef | None = None,
) -> Activity:
    """The first rendering (most detail first) whose activity is within `MAX_ACTIVITY_BYTES`."""
    for fit in FITS:
        writer = _Writer(fit, _People(names), ref)
        parts = build(writer)
        activity = _assemble(parts, writer.people, summary, metadata)
        if _size(activity) <= MAX_ACTIVITY_BYTES:
            return activity
    return _shrunk(parts, writer.people, summary, metadata)


def _shrunk(
    parts: _Parts, people: _People, summary: str, metadata: PostMetadata | None
) -> Activity:
    """Drop the preface, then the card's detail from the end (an ellipsis marks each cut),
    then the buttons, until the activity fits; at worst only the summary line is left."""
    preface, main, actions = list(parts.preface), list(parts.main), list(parts.actions)
    marker = _note(ELLIPSIS)
    while True:
        if preface:
            preface.pop()
        elif len(main) > 1:
            main.pop()
        elif actions:
            actions.pop()
        else:
            last = _Parts([], [_text(escape_markdown(_cut(summary, SUMMARY_TEXT_MAX)))])
            return _assemble(last, people, summary, metadata)
        shown = _Parts(
            [*preface, marker] if len(preface) < len(parts.preface) else preface,
            [*main, marker] if len(main) < len(parts.main) else main,
            actions,
        )
        activity = _assemble(shown, people, summary, metadata)
        if _size(activity) <= MAX_ACTIVITY_BYTES:
            return activity


# --- the parts of each reply ---------------------------------------------------------------


def _preface(replies: Sequence[Notice | Reask], writer: _Writer) -> list[Element]:
    elements: list[Element] = []
    for reply in replies:
        if isinstance(reply, Notice):
            elements.append(_notice_block(reply, writer))
        else:
            elements.extend(_reask_blocks(reply, writer))
    return elements


def _notice_block(notice: Notice, writer: _Writer) -> Element:
    style = {"color": "attention"} if notice.tone is Tone.PROBLEM else {}
    return _text(writer.notice(notice), **style)


def _quote(text: str, writer: _Writer, **style: Any) -> Element:
    """What someone typed, in a shaded box."""
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [_text(writer.typed(text, QUOTE_MAX))],
        **style,
    }


def _reask_blocks(reask: Reask, writer: _Writer) -> list[Element]:
    """Quote what could not be read; say what was wrong, what is expected, and an example."""
    said = msg.REASK.format(problem=reask.problem, expected=reask.expected, example=reask.example)
    return [
        _quote(reask.quoted, writer),
        _text(f"{writer.mention(reask.to_user)} {writer.sentence(said)}"),
    ]


def _choice_actions(question_id: str, choices: Sequence[ChoiceButton]) -> list[Element]:
    """An Action.Submit per choice whose data carries the question id and the value."""
    actions: list[Element] = []
    for choice in choices:
        value = encode_choice(question_id, choice.id)
        if len(json.dumps(value)) > CHOICE_VALUE_MAX:
            continue
        label = _cut(choice.label, ACTION_TITLE_MAX)
        actions.append(
            {
                "type": "Action.Submit",
                "title": label,
                "data": {CHOICE_FIELD: value, LABEL_FIELD: label},
            }
        )
        if len(actions) == MAX_ACTIONS:
            break
    return actions


def _question_parts(
    question: QuestionReply, preface: Sequence[Notice | Reask], writer: _Writer
) -> _Parts:
    """Who is asked, the progress and title, the prompt, why, examples and hints, and choices.

    Typing an answer always works, so nothing here says to use the buttons.
    """
    heading = (
        f"{writer.mention(question.to_user)} "
        f"**{question.number}/{question.total} · {writer.typed(question.title)}**"
    )
    main = [
        _text(heading, **_apart(preface)),
        _text(writer.typed(question.prompt)),
        _note(f"_{msg.LABEL_WHY}:_ {writer.typed(question.why)}"),
        _note(f"_{msg.LABEL_EXAMPLES}:_ " + writer.typed(" · ".join(question.examples))),
    ]
    if question.current_answer:
        main.append(
            _note(f"_{msg.LABEL_CURRENT_ANSWER}:_ " + writer.typed(question.current_answer))
        )
    if question.optional:
        main.append(_note(markdown_template(msg.OPTIONAL_HINT)))
    return _Parts(
        _preface(preface, writer), main, _choice_actions(question.question_id, question.choices)
    )


def _clarify_parts(clarify: Clarify, preface: Sequence[Notice | Reask], writer: _Writer) -> _Parts:
    """Quote the answer, ask for its missing part, and offer a button for each way to finish it.

    Each button submits the whole answer it stands for (the option's id).
    """
    main = [
        _quote(clarify.quoted, writer, **_apart(preface)),
        _text(f"{writer.mention(clarify.to_user)} {writer.sentence(clarify.ask)}"),
    ]
    return _Parts(
        _preface(preface, writer), main, _choice_actions(clarify.question_id, clarify.options)
    )


def _notices_parts(replies: Sequence[Notice | Reask], writer: _Writer) -> _Parts:
    return _Parts([], _preface(replies, writer))


def _bullets(items: Sequence[str], limit: int) -> str:
    shown = [f"- {item}" for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"- {ELLIPSIS}")
    return "\n".join(shown)


def _summary_parts(summary: Summary, preface: Sequence[Notice | Reask], writer: _Writer) -> _Parts:
    """The summary card: Slack's summary card, element for element."""
    a = summary.assessment
    card = a.report_card
    title = markdown_template(msg.SUMMARY_TITLE).format(project=writer.typed(summary.project))
    recommendation = markdown_template(msg.SUMMARY_RECOMMENDATION).format(
        strategy=writer.typed(a.label), score=a.scores[a.strategy]
    )
    main: list[Element] = [
        _text(title, size="large", weight="bolder", style="heading", **_apart(preface)),
        _text(recommendation),
        {
            "type": "FactSet",
            "facts": [
                {"title": escape_markdown(label), "value": escape_markdown(rating(card, name))}
                for name, label in msg.LABEL_RATINGS.items()
            ],
        },
        _note(writer.typed(f"{msg.LABEL_REPORT_CARD} ({card.source}). {card.note}".strip())),
    ]
    if a.reasons:
        main.append(_text(f"**{msg.LABEL_WHY}**"))
        reasons = [writer.sentence(reason.text) for reason in a.reasons]
        main.append(_text(_bullets(reasons, writer.fit.items), spacing="small"))
    if a.compute:
        line = msg.COMPUTE_LINE.format(tool=a.compute.tool, infrastructure=a.compute.infrastructure)
        main.append(_text(f"**{msg.LABEL_COMPUTE}** ({writer.typed(a.compute.workload)})"))
        main.append(_text(writer.sentence(line), spacing="small"))
    main += _alternatives(summary, writer)
    main += _risks(summary, writer)
    main += _conflicts(summary, writer)
    if summary.open_questions:
        opened = writer.typed(", ".join(summary.open_questions))
        main.append(_note(f"{msg.LABEL_OPEN_QUESTIONS}: {opened}"))
    main.append(_owner_block(summary.owner, writer))
    return _Parts(
        _preface(preface, writer), main, [_command_action(msg.BUTTON_EXPORT_RECORD, EXPORT_COMMAND)]
    )


def _command_action(title: str, command: str, **style: Any) -> Element:
    """A button that submits the words of a command, as if the person had typed them."""
    return {"type": "Action.Submit", "title": title, "data": {COMMAND_FIELD: command}, **style}


def _warning_parts(
    reply: WarningReply, preface: Sequence[Notice | Reask], writer: _Writer
) -> _Parts:
    """A warning: one TextBlock per sentence, and Approve / Reject while it waits for the owner.

    The buttons name the warning's number, so a click decides the warning on
    the card that was clicked even when several are open.
    """
    main = [_notice_block(line, writer) for line in reply.lines]
    if main:
        main[0] = {**main[0], "text": f"{WARNING_MARK} {main[0]['text']}", **_apart(preface)}
    actions: list[Element] = []
    warning = reply.warning
    if warning.decidable:
        actions = [
            _command_action(
                msg.BUTTON_APPROVE, f"{APPROVE_COMMAND} {warning.number}", style="positive"
            ),
            _command_action(
                msg.BUTTON_REJECT, f"{REJECT_COMMAND} {warning.number}", style="destructive"
            ),
        ]
    return _Parts(_preface(preface, writer), main, actions)


def _line_blocks(lines: Sequence[Notice], writer: _Writer) -> list[Element]:
    """A TextBlock per line; a heading (a bold-only line) gets a line above it."""
    blocks: list[Element] = []
    for line in lines:
        if not line.params and _HEADING.match(line.template):
            blocks.append(_text(writer.notice(line), separator=True, spacing="medium"))
        else:
            blocks.append(_notice_block(line, writer))
    return blocks


def _scheduled_lines(reply: DigestReply | ReminderReply) -> list[Notice]:
    """The sentences every front end shows for a digest or a reminder."""
    return digest_lines(reply) if isinstance(reply, DigestReply) else reminder_lines(reply)


def _scheduled_parts(
    reply: DigestReply | ReminderReply, preface: Sequence[Notice | Reask], writer: _Writer
) -> _Parts:
    """A channel's digest, or a reminder in an intake's chain: a TextBlock per line.

    A digest is its title, then each section, every intake linked to its chain; a
    reminder says how long the intake waited, then each person (a mention) with the
    questions they still owe. When the card is too big, `_shrunk` drops lines from the
    end and marks the cut.
    """
    main = _line_blocks(_scheduled_lines(reply), writer)
    if main:
        title = {"size": "medium"} if isinstance(reply, DigestReply) else {}
        main[0] = {**main[0], **title, **_apart(preface)}
    return _Parts(_preface(preface, writer), main)


def _addressed(build: Build, user: str) -> Build:
    """`build` with `user` mentioned at the start, for a post meant for them alone that
    has to be made where everyone reads it."""

    def addressed(writer: _Writer) -> _Parts:
        parts = build(writer)
        mention = writer.mention(Person(id=user))
        blocks = parts.preface or parts.main
        if blocks and blocks[0].get("type") == "TextBlock":
            blocks[0] = {**blocks[0], "text": f"{mention} {blocks[0]['text']}"}
        else:
            blocks.insert(0, _text(mention))
        return parts

    return addressed


def _alternatives(summary: Summary, writer: _Writer) -> list[Element]:
    lines = [
        f"**{writer.typed(alt.label)}** ({alt.score:.0f}): "
        + writer.sentence("; ".join(alt.would_need) or msg.ALTERNATIVE_TIE)
        for alt in summary.assessment.alternatives
    ]
    if not lines:
        return []
    return [
        _text(f"**{msg.LABEL_ALTERNATIVES}**", separator=True),
        _text(_bullets(lines, writer.fit.items), spacing="small"),
    ]


def _risks(summary: Summary, writer: _Writer) -> list[Element]:
    risks = summary.assessment.risks
    if not risks:
        return [_text(f"**{msg.LABEL_RISKS}**: {escape_markdown(msg.NO_RISKS)}", separator=True)]
    blocks = [_text(f"**{msg.LABEL_RISKS}** ({len(risks)})", separator=True)]
    shown = risks[: min(writer.fit.items, MAX_RISKS)]
    for risk in shown:
        blocks.append(
            _text(
                f"{SEVERITY_MARKS[risk.severity]} **{risk.severity.value}**: "
                + writer.sentence(risk.message)
            )
        )
        blocks.append(_note(f"_{msg.LABEL_WHAT_TO_DO}:_ {writer.sentence(risk.action)}"))
    if len(risks) > len(shown):
        blocks.append(_note(ELLIPSIS))
    return blocks


def _conflicts(summary: Summary, writer: _Writer) -> list[Element]:
    """Each conflicting question: who gave which answer (a mention each), and the one used."""
    if not summary.conflicts:
        return []
    most = writer.fit.items
    lines = []
    for conflict in summary.conflicts[: most + 1]:
        given = [
            f"{writer.mention(Person(id=line.by))}: {writer.typed(line.text)}"
            for line in conflict.answers[:most]
        ]
        if len(conflict.answers) > most:
            given.append(ELLIPSIS)
        using = markdown_template(msg.CONFLICT_USING).format(
            answer=f"_{writer.typed(conflict.used.text)}_"
        )
        lines.append(f"**{writer.typed(conflict.title)}**: {'; '.join(given)} ({using})")
    return [
        _text(f"**{msg.LABEL_CONFLICTS}**", separator=True),
        _text(_bullets(lines, most), spacing="small"),
    ]


def _owner_block(owner: Owner | None, writer: _Writer) -> Element:
    """The owner, mentioned when named by mention; a typed name is plain text; none is flagged."""
    if not owner:
        missing = f"{WARNING_MARK} {escape_markdown(msg.SUMMARY_NO_OWNER)}: " + markdown_template(
            msg.OWNER_MISSING_HINT
        )
        return _text(missing, color="warning", separator=True)
    shown = writer.mention(owner) if isinstance(owner, Person) else writer.typed(owner)
    return _text(f"{msg.LABEL_OWNER}: {shown}", separator=True)


# --- the plain summary line of each activity -----------------------------------------------


def _question_line(number: int, total: int, title: str, prompt: str) -> str:
    return f"{number}/{total} {title}: {prompt}"


def _notices_line(replies: Sequence[Notice | Reask], names: Names) -> str:
    def named(person: Person) -> str:
        return display_name(person, names)

    return "\n".join(
        render_notice(reply, named) if isinstance(reply, Notice) else render_reask(reply)
        for reply in replies
    )


# --- the public API ------------------------------------------------------------------------


def to_activities(
    replies: Sequence[Reply],
    ref: IntakeRef,
    names: Names,
    *,
    key: str | None = None,
    addressed_to: str | None = None,
) -> list[Activity]:
    """Replies of one turn -> as few message activities as read well, in order.

    Notices and re-asks before a question, clarification, warning or summary ride
    on top of its card; any after the last of those get a card of their own. A
    record is plain markdown messages (`record_activities`), after a card for
    the notices before it. `names` gives the display name of a person the reply
    knows only by id. With `key` (the outbox id), each activity's
    `channelData.intake` also carries the key and its part number, as Slack's
    metadata does (`PostMetadata.keyed`). With `addressed_to`, the first card
    starts by mentioning that user: replies meant for them alone, posted where
    everyone reads them.
    """
    activities: list[Activity] = []
    to_user = [addressed_to] if addressed_to else []

    def keyed(metadata: PostMetadata | None) -> PostMetadata | None:
        if key is not None and metadata is not None:
            return metadata.keyed(key, len(activities))
        return metadata

    def add(build: Build, summary: str, metadata: PostMetadata | None) -> None:
        if to_user:
            build = _addressed(build, to_user.pop())
        activities.append(_fitted(build, names, summary, keyed(metadata), ref))

    pending: list[Notice | Reask] = []
    for reply in replies:
        match reply:
            case Notice() | Reask():
                pending.append(reply)
                continue
            case QuestionReply():
                line = _question_line(reply.number, reply.total, reply.title, reply.prompt)
                add(partial(_question_parts, reply, pending), line, metadata_for(reply, ref))
            case Clarify():
                add(
                    partial(_clarify_parts, reply, pending),
                    render_clarify(reply),
                    metadata_for(reply, ref),
                )
            case SummaryReply():
                a = reply.summary.assessment
                line = msg.SUMMARY_FALLBACK.format(
                    project=reply.summary.project, strategy=a.label, score=a.scores[a.strategy]
                )
                add(partial(_summary_parts, reply.summary, pending), line, metadata_for(reply, ref))
            case WarningReply():
                add(
                    partial(_warning_parts, reply, pending),
                    _notices_line(reply.lines, names),
                    metadata_for(reply, ref),
                )
            case DigestReply() | ReminderReply():
                add(
                    partial(_scheduled_parts, reply, pending),
                    _notices_line(_scheduled_lines(reply)[:1], names),
                    metadata_for(reply, ref),
                )
            case RecordReply():
                if pending:
                    add(
                        partial(_notices_parts, pending),
                        _notices_line(pending, names),
                        notice_metadata(ref),
                    )

                def metadata() -> PostMetadata | None:
                    return keyed(notice_metadata(ref))

                for text in record_texts(reply, metadata):
                    activities.append(_record_activity(text, metadata()))
            case _:
                continue  # a lookup the service fills in before anything is posted
        pending = []
    if pending:
        add(partial(_notices_parts, pending), _notices_line(pending, names), notice_metadata(ref))
    return activities


# --- the requirements record ---------------------------------------------------------------

_RECORD_ANGLE = re.compile(r"\\([<>])")
_RECORD_BRACE = re.compile(r"([{}])")


def record_markdown(markdown: str) -> str:
    """The record's markdown made safe for a Teams text message, which mixes markdown and HTML.

    The record escapes typed text for markdown (`\\<` for `<`); Teams would still
    read `<b>` as HTML, and hides text between curly braces. So `&` becomes
    `&amp;`, each escaped `<` or `>` its entity, and braces get a backslash.
    Every `<` or `>` in the record is typed (none of its templates has one), so
    each comes escaped, and a typed backslash before it is itself escaped.
    """
    text = markdown.replace("&", "&amp;")
    text = _RECORD_ANGLE.sub(lambda m: "&lt;" if m.group(1) == "<" else "&gt;", text)
    return _RECORD_BRACE.sub(r"\\\1", text)


def _record_activity(text: str, metadata: PostMetadata | None) -> Activity:
    activity: Activity = {"type": "message", "textFormat": MARKDOWN_FORMAT, "text": text}
    if metadata is not None:
        activity["channelData"] = {"intake": metadata.model_dump()}
    return activity


def _json_size(text: str) -> int:
    """What `text` adds inside a JSON string as `json.dumps` writes it (per character, so sums)."""
    return len(json.dumps(text)) - 2


def record_texts(
    record: RecordReply, metadata: Callable[[], PostMetadata | None] = lambda: None
) -> Iterator[str]:
    """The record's markdown in pieces, in order, each making an activity within the limit.

    Pieces end at line ends; a line too long for one message on its own is cut
    between characters. Joined, the pieces are `record_markdown` of the record.
    `metadata` gives the object the next piece's activity will carry (asked
    again after each piece is taken, as a keyed part number grows), for its size.
    """
    current: list[str] = []
    room = MAX_ACTIVITY_BYTES - _size(_record_activity("", metadata()))
    used = 0
    for line in record_markdown(record.markdown).splitlines(keepends=True):
        # A line fits whole, else starts a piece of its own, else is cut between characters.
        for part in [line] if _json_size(line) <= room else list(line):
            size = _json_size(part)
            if used + size > room and current:
                yield "".join(current)
                current.clear()
                room = MAX_ACTIVITY_BYTES - _size(_record_activity("", metadata()))
                used = 0
            current.append(part)
            used += size
    if current:
        yield "".join(current)


def _no_names(user_id: str) -> str | None:
    del user_id
    return None


def answered_card(question_id: str, who: Person, label: str, names: Names = _no_names) -> Activity:
    """The question's activity after a click, for an update: buttons gone, who chose what.

    The question comes from the catalog, not from the clicked payload; the label is
    what the button said (typed text as far as escaping goes). Like Slack's
    `answered_message`, it carries no metadata: the update replaces the card only.
    """
    question = QUESTIONS[question_id]
    number, total = question_number(question_id), len(QUESTIONS)

    def build(writer: _Writer) -> _Parts:
        chose = markdown_template(msg.CHOSE).format(
            user=writer.mention(who), label=f"**{writer.typed(label, LABEL_MAX)}**"
        )
        return _Parts(
            [],
            [
                _text(f"**{number}/{total} · {writer.typed(question.title)}**"),
                _text(writer.typed(question.prompt)),
                _text(f"{CHOSEN_MARK} {chose}"),
            ],
        )

    line = _question_line(number, total, question.title, question.prompt)
    return _fitted(build, names, line, None)


def decided_card(reply: WarningReply, ref: IntakeRef, names: Names = _no_names) -> Activity:
    """A decided warning's activity, for an update in place of the card that was clicked.

    No buttons, and the last sentence says who decided and when. Unlike
    `answered_card` it carries its metadata: the new status (approved or
    rejected) is what other apps reading the chain look for.
    """
    if reply.warning.decidable:
        raise ValueError(f"warning {reply.warning.number} is still open")
    return _fitted(
        partial(_warning_parts, reply, []),
        names,
        _notices_line(reply.lines, names),
        metadata_for(reply, ref),
    )
