"""How-to questions answered from the command catalogue, and real words left uncorrected."""

from __future__ import annotations

import pytest

from bot.commands import CommandNames
from bot.questions.answers.how_to import how_to_rows
from bot.questions.interpret.normalise import prepare_text


@pytest.mark.parametrize(
    ("task", "usage"),
    [
        ("mark something done", "/milestone done"),
        ("add a blocker", "/blocker add"),
        ("change a deadline", "/milestone move"),
        ("create a project", "/project create"),
        ("turn off reminders", "/milestone remind me off"),
        ("snooze a reminder", "Snooze 1 h"),
        ("see my calendar", "/liaison calendar"),
        ("hand over my milestones", "/milestone assign"),
        ("resolve a blocker", "/blocker resolve"),
        ("link my orcid", "/profile link orcid"),
        ("get reminders turned off", "/milestone remind me off"),
        ("see what is overdue", "/milestone overdue"),
        ("change the lead of a project", "/project edit"),
        ("record that the DUA is signed", "/agreement set-status"),
        ("add a paper", "/paper add"),
    ],
)
def test_a_task_finds_the_command_that_does_it(task: str, usage: str) -> None:
    rows = how_to_rows(task)

    assert any(row[0].startswith(usage) for row in rows), rows


@pytest.mark.parametrize("task", ["make the coffee", "book a flight to paris", "add"])
def test_a_task_no_command_does_finds_none(task: str) -> None:
    assert how_to_rows(task) == []


def test_renamed_commands_are_shown_by_their_workspace_names() -> None:
    rows = how_to_rows("add a blocker", CommandNames({"blocker": "/lz-blocker"}))

    assert rows[0][0].startswith("/lz-blocker add")


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("how can i change a deadline", "how can i change a deadline"),  # not "charge"
        ("whats overdeu", "what is overdue"),
        ("upcomming milestons", "upcoming milestones"),
        ("who is respnsible for the memo", "who is responsible for the memo"),
    ],
)
def test_real_words_stay_and_typos_are_corrected(typed: str, read: str) -> None:
    assert prepare_text(typed, None, frozenset()).text == read
