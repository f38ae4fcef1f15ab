"""The core's one small markup, and the function every renderer maps it with.

Sentences in `messages` may mark two things: emphasis as `**words**` and a
command or value to type as `` `words` ``. Nothing else is markup. Slack shows
them as `*words*` and `` `words` ``, Teams as `**words**`, the terminal as
plain words and 'words'. Only our own templates carry markup; what people
typed is inserted after the mapping, escaped by the renderer, so a typed `*`
or backtick never turns into formatting.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SPAN = re.compile(r"\*\*(?P<strong>.+?)\*\*|`(?P<code>[^`]+)`", re.DOTALL)

Wrap = Callable[[str], str]


def convert(template: str, *, strong: Wrap, code: Wrap, plain: Wrap = str) -> str:
    """`template` with each marked span wrapped by the renderer's own markup.

    `plain` is applied to all of the template's own text (a renderer whose
    markup has control characters passes its escape function); `strong` and
    `code` then wrap a span's text, already passed through `plain`.
    """
    out: list[str] = []
    position = 0
    for match in _SPAN.finditer(template):
        out.append(plain(template[position : match.start()]))
        if match.group("strong") is not None:
            out.append(strong(plain(match.group("strong"))))
        else:
            out.append(code(plain(match.group("code"))))
        position = match.end()
    out.append(plain(template[position:]))
    return "".join(out)


def strip(template: str) -> str:
    """Plain words: emphasis dropped, commands in single quotes (the terminal's form)."""
    return convert(template, strong=str, code=lambda text: f"'{text}'")
