"""The answer to "help" and greetings: what Liaison answers, with examples."""

from __future__ import annotations

from bot.questions.answers.core import Answer, AnswerBuilder, AnswerRequest
from bot.questions.interpret import Intent


def answer_help(request: AnswerRequest) -> Answer:
    """Answer "help" or a greeting: what Liaison answers, with examples.

    Args:
        request: The question.

    Returns:
        The answer.
    """
    b = AnswerBuilder(Intent.HELP)
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
