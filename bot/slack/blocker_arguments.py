"""The project a `/blocker add` names and the blocker's text: a key, a quoted name, or an unquoted one.

`/blocker add bid shading need GPUs` must raise "need GPUs" on bidshade, not "shading need GPUs".
"""

from __future__ import annotations

import shlex

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.domain.matching import fold
from bot.errors import InvalidInput, UserFacingError
from bot.projects.project import find_project
from bot.slack import blocks as kit

_QUOTES = ('"', "'", "“")


def split_project_argument(args: str) -> tuple[str, str]:
    """Split `PROJECT rest…` where PROJECT is one word or a quoted name.

    Raises:
        InvalidInput: A quote is opened and not closed.
    """
    if args.startswith(_QUOTES):
        normalised = args.replace("“", '"').replace("”", '"')
        try:
            lexer = shlex.shlex(normalised, posix=True)
            lexer.whitespace_split = True
            project = next(iter(lexer))
        except (ValueError, StopIteration):
            raise InvalidInput("Close the quotes around the project name.") from None
        rest = normalised.split('"', 2)[2] if normalised.count('"') >= 2 else ""
        return project, rest.strip()
    project, _, rest = args.partition(" ")
    return project, rest.strip()


def project_and_blocker_text(session: Session, actor: Actor, command: str, args: str) -> tuple[str, str]:
    """The project query and the blocker's text of `/blocker add`'s arguments.

    When an unquoted first word found a project by its name rather than its key, the words right after
    it that are words of that name go with it ("shading"), so the blocker reads "need GPUs". A query that
    finds nothing, or finds its key, is left to the caller (`raise_blocker` says what is wrong).

    Args:
        session: The request's session.
        actor: Who raises it.
        command: The command's configured name, for the message.
        args: What follows `add`.

    Raises:
        InvalidInput: The arguments are the project's name and nothing that blocks, or a quote is open.
    """
    query, text = split_project_argument(args)
    if not text or args.startswith(_QUOTES):
        return query, text
    try:
        project = find_project(session, actor, query)
    except UserFacingError:
        return query, text
    if project.key == query.strip().lower():
        return query, text
    name_words = set(fold(project.name).split())
    words = text.split()
    taken = 0
    while taken < len(words) and fold(words[taken]) in name_words:
        taken += 1
    if taken == len(words):  # "/blocker add bid shading": the name, and nothing that blocks
        raise InvalidInput(
            f"What is blocking *{kit.escape(project.name)}*? Write it after the project: "
            f"`{command} add {project.key} what is blocking`."
        )
    return project.key, " ".join(words[taken:])
