"""Reading change requests: each kind's paraphrase family is read the same way, and questions never are."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.proposals.requests import ChangeKind, ChangeRequest, read_change_request

QUESTIONS = Path(__file__).resolve().parent.parent / "data" / "questions.yaml"

FAMILIES: dict[ChangeRequest, tuple[str, ...]] = {
    ChangeRequest(ChangeKind.DONE, "pcm-2"): (
        "mark pcm-2 done",
        "Mark PCM-2 as done.",
        "please mark pcm-2 as complete",
        "pcm-2 is done",
        "pcm-2 has been finished!",
        "pcm-2 done",
        "complete pcm-2",
        "close pcm-2 please",
        "I finished pcm-2",
        "we've completed pcm-2",
        "done with pcm-2",
        "can you mark pcm-2 done?",
        "<@U0LIAISONBOT> mark pcm-2 done",
        "set pcm-2 as finished",
    ),
    ChangeRequest(ChangeKind.MOVE, "bidshade-3", "next friday"): (
        "move bidshade-3 to next friday",
        "push bidshade-3 to next friday",
        "postpone bidshade-3 until next friday",
        "reschedule bidshade-3 for next friday",
        "push bidshade-3 back to next friday",
        "set bidshade-3's due date to next friday",
        "change the deadline of bidshade-3 to next friday",
        "bidshade-3 is now due next friday",
        "could you move bidshade-3 to next friday please?",
    ),
    ChangeRequest(ChangeKind.MOVE, "bidshade-3", "2026-12-20"): (
        "push bidshade-3 to 2026-12-20",
        "move bidshade-3’s deadline to 2026-12-20",
        "delay bidshade-3 till 2026-12-20",
    ),
    ChangeRequest(ChangeKind.ASSIGN, "pcm-2", "Marek"): (
        "assign pcm-2 to Marek",
        "give pcm-2 to Marek",
        "hand pcm-2 over to Marek",
        "reassign pcm-2 to Marek",
        "make Marek the owner of pcm-2",
        "assign Marek to pcm-2",
        "change the owner of pcm-2 to Marek",
        "pcm-2 should be owned by Marek",
    ),
    ChangeRequest(ChangeKind.ASSIGN, "pcm-2", "@Marek"): ("set pcm-2's owner to @Marek",),
    ChangeRequest(ChangeKind.ASSIGN, "pcm-2", "<@U05PLNOVA>"): ("give pcm-2 to <@U05PLNOVA>",),
    ChangeRequest(ChangeKind.BLOCKER, "uplift", "waiting for the data agreement"): (
        "add a blocker to uplift: waiting for the data agreement",
        "raise a blocker on uplift: waiting for the data agreement",
        "log a new blocker for the uplift project: waiting for the data agreement",
        "add blocker to uplift - waiting for the data agreement",
        "blocker on uplift: waiting for the data agreement",
        "uplift is blocked by waiting for the data agreement",
        "the uplift project is now blocked on waiting for the data agreement",
    ),
    ChangeRequest(ChangeKind.BLOCKER, "bid shading", "no auction logs"): (
        'add a blocker to "bid shading": no auction logs',
        "add a blocker to bid shading: no auction logs",
    ),
    ChangeRequest(ChangeKind.REMIND, "fatigue-2", "tomorrow at 9"): (
        "remind me about fatigue-2 tomorrow at 9",
        "remind me of fatigue-2 tomorrow at 9",
        "remind me tomorrow at 9 about fatigue-2",
        "please remind me about fatigue-2 tomorrow at 9, thanks",
    ),
}

NOT_REQUESTS = (
    "is pcm-2 done?",
    "pcm-2 is done?",
    "who owns pcm-2?",
    "when is bidshade-3 due",
    "what's blocking uplift",
    "is uplift blocked?",
    "why is uplift blocked by legal?",
    "why uplift is blocked by legal",
    "what happens if I move pcm-2 to friday?",
    "mark it done",
    "move on",
    "assign pcm-2 to pcm-3",
    "tell me about pcm-2",
    "can you tell me who owns pcm-2?",
    "remind me what pcm-2 is about",
    "",
    "mark pcm-2 done\nand also move pcm-3",
    "mark pcm-2 done " + "x" * 700,
)


@pytest.mark.parametrize(
    ("text", "expected"), [(text, expected) for expected, texts in FAMILIES.items() for text in texts]
)
def test_paraphrases_read_as_the_same_request(text: str, expected: ChangeRequest) -> None:
    assert read_change_request(text, bot_user_id="U0LIAISONBOT") == expected


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_questions_and_vague_texts_are_not_requests(text: str) -> None:
    assert read_change_request(text, bot_user_id="U0LIAISONBOT") is None


def test_no_question_of_the_dev_set_reads_as_a_change_request() -> None:
    entries = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    texts = [str(entry["text"]) for entry in entries]

    assert len(texts) > 100
    assert [t for t in texts if read_change_request(t) is not None] == []
