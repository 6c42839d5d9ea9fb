"""The answer to "help" and greetings: what Liaison answers, with examples."""

from __future__ import annotations

import re

from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest
from bot.questions.answers.how_to import HOW_TO, how_to_rows
from bot.questions.interpret import Intent

# "thanks!", "thank you so much", "cheers", "ty": said back briefly, not with the whole help.
_THANKS = re.compile(
    r"^(?:(?:hmm|ok|okay|great|grand|perfect|cool|nice|lovely|awesome|brill|brilliant|super|got it|noted|"
    r"right)\W*\s*)*(?:thanks|thank you|thx|ty|ta|cheers|many thanks|much appreciated)\b"
)
# "hi", "hello there", "good morning!", "morning!": a greeting alone.
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|yo|morning|good (?:morning|afternoon|evening))"
    r"(?: there| liaison| all| mate)?$"
)


def answer_help(request: AnswerRequest) -> Answer:
    """Answer "help" or a greeting: what Liaison answers, with examples.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.HELP)
    text = request.interpretation.text
    if _THANKS.search(text):
        b.line("You're welcome! Ask me anything else about the projects, for example “what's due next week?”")
        return b.build()
    if _GREETING.match(text):
        b.line(
            "Hi! Ask me about the alliance's projects, for example “what's overdue?”, “who leads pcm?” or "
            "“who knows about consent law?”. Say “help” for more."
        )
        return b.build()
    how_to = HOW_TO.match(text)
    if how_to is not None:
        rows = how_to_rows(how_to.group("task"), request.commands)
        if rows:
            b.line(f"To {how_to.group('task')}:")
            for usage, what in rows:
                b.line("• ", f"`{usage}`" if usage.startswith("/") else usage, f" — {what}")
            b.line("`/liaison help` lists every command.")
            return b.build()
        b.line(f"I know no command to {how_to.group('task')}. `/liaison help` lists what the commands do.")
    b.line("I answer questions about the alliance's projects from Liaison's records. For example:")
    for example in (
        "what's the status of bid shading?",
        "what is overdue? · what's due next week? · anything due before Christmas?",
        "who leads pcm? · who is on creative fatigue?",
        "what is waiting on me? · what does @Priya owe?",
        "when is the legal memo due? · when is bidshade-2 due?",
        "which projects is Kwame on? · which projects involve economists? · who is leaving soon?",
        "who knows about differential privacy?",
    ):
        b.line("• ", example)
    b.line(
        "Ask by @mentioning me in a channel or thread, in a DM, with /ask, or with the "
        "“Ask Liaison about this” message shortcut. In a project's channel, “this project” means that one."
    )
    return b.build()
