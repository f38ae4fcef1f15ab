"""People as the core knows them: an id from whichever platform they wrote on.

The core never holds a platform's mention syntax. A Slack `<@U123>`, a Teams
`<at>Maria</at>` with its `29:1a2B-...` id, or a console login all arrive as a
`Person`; each renderer turns one back into its own mention.
"""

from __future__ import annotations

from conversations.frozen import Frozen


class Person(Frozen):
    """Someone the bot can mention: the platform's user id, and a name when the platform gave one."""

    id: str
    name: str | None = None

    @property
    def label(self) -> str:
        """How the person reads in plain text: their name, else their id."""
        return self.name or self.id


Owner = Person | str
"""A project owner: a person named by mention, or a name typed as plain text."""


def owner_id(owner: Owner | None) -> str | None:
    """The user id that acts as the owner: a mentioned person's id, or the typed name without '@'."""
    if owner is None:
        return None
    if isinstance(owner, Person):
        return owner.id
    return owner.strip().lstrip("@") or None
