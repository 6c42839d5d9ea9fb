"""Control characters never enter Liaison: every string of an incoming Slack request is cleaned first.

A NUL byte typed into a blocker, a form field or a question is valid JSON and valid URL encoding, but
PostgreSQL refuses it in text columns (the command would fail with a database error) and other C0
controls only garble what colleagues read. Slack's clients never send them on purpose, so they are
removed — tab, newline and carriage return, which people do type, stay — before any listener runs, for
commands, interactions, form submissions and events alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

# C0 controls except \t \n \r, and DEL; and the bidirectional embeddings, overrides and isolates
# (U+202A–U+202E, U+2066–U+2069), which can make a name read backwards in colleagues' messages
# ("Trojan source"). The marks that right-to-left text does use (U+200E, U+200F) stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def without_control_characters(text: str) -> str:
    """`text` with C0 control characters (but tab, newline, carriage return), DEL and bidirectional
    overrides removed."""
    return _CONTROL.sub("", text)


def clean_strings_in_place(value: Any) -> None:
    """Remove control characters from every string inside `value` (dicts and lists), in place.

    Iterative, so a deeply nested body cannot exhaust the stack (malformed bodies are refused before,
    `bot.serving.slack_body`, but Socket Mode envelopes do not pass there).
    """
    stack: list[Any] = [value]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            items: list[tuple[Any, Any]] = list(container.items())
        elif isinstance(container, list):
            items = list(enumerate(container))
        else:
            continue
        for key, item in items:
            if isinstance(item, str):
                if _CONTROL.search(item):
                    container[key] = without_control_characters(item)
            elif isinstance(item, dict | list):
                stack.append(item)


class RemoveControlCharacters(Middleware):
    """Bolt global middleware: clean the request body (the listeners' `command`, `view`, `event`…).

    A `Middleware` subclass, which Bolt calls as it is: a function middleware would cost a build of its
    keyword arguments on every request.
    """

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Clean `req.body` in place, then go on."""
        clean_strings_in_place(req.body)
        return next()
