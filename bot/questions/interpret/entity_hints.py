"""How the kinds of names a question holds tip the balance between intent rules that fit its words alike.

The phrase rules (`bot.questions.interpret.intents.rule_scores`) see only words; a question that names a
milestone and asks "who should I bug about it?" wants the milestone's owner, and one that names a person
and asks "how is she doing?" wants that person's projects. `adjust_for_entities` moves the scores
accordingly before `decide` picks the intent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.domain.dates import DateRange
from bot.questions.interpret.entities import EntityMatch
from bot.questions.interpret.intents import ASKS_LAST_DAY, RULE_MARGIN, STRONG_RULE, Intent

# "which economist …", "any psychologists …", "who's the data engineer …": people, picked out.
_ASKS_WHO_AMONG = re.compile(
    r"\b(who|whos|which|any|anyone|anybody|is there|are there|name the|do we have|have we got|got)\b"
)
# "who should I bug about the memo?", "who do I chase for the prototype": someone answerable for it.
_WHOM_TO_CHASE = re.compile(
    r"\bwho(m)? (should|do|can|could|shall) (i|we) (bug|chase|nudge|poke|hassle|follow up with|remind) "
    r"(about|for|on|re|regarding)\b|\bwho (is |s )?(on the hook|responsible|accountable|answerable) for\b|"
    r"\b(blocked|held up|stuck|waiting) (by|on)\b"
)
# "what comes after the legal memo?", "the description of pcm-3": about one milestone.
_ABOUT_A_MILESTONE = re.compile(
    r"\b(what (comes|is|s|happens) (next )?after|what follows|description|describe|details? (of|on|for))\b"
)
# "what does pcm-3 depend on?", "what is it waiting for": what comes before a milestone.
_WHAT_IT_WAITS_FOR = re.compile(
    r"\b(depends? on|depending on|waiting (on|for)|waits (on|for)|wait on|held up by)\b"
)


# "is Kwame on pcm?", "are Sara and Lucia in uplift?": whether the people named are among its people.
ASKS_WHETHER_ON = re.compile(r"^(?:is|are|am) .+ (?:on|in|part of|a member of|working on|involved in|with)\b")
# "… on this project?", "… here?", "… on my team?": the project in context, or the asker's.
_A_PROJECT_IN_CONTEXT = re.compile(r"\b(this|that|our|my|the) (project|team)\b|\bhere\b|\bon it\b")


def adjust_for_entities(
    rules: dict[Intent, float],
    by_kind: Mapping[str, list[EntityMatch]],
    refs: Sequence[str],
    people: Sequence[str],
    me: bool,
    date_range: DateRange | None,
    text: str,
) -> None:
    """Let the kinds of names present tip the balance between rules that fit the words equally.

    Args:
        rules: Rule scores (see `rule_scores`), adjusted in place; intents left at zero or below are
            removed.
        by_kind: The names found, per kind ("project", "person", "milestone", "discipline").
        refs: Milestone refs typed as KEY-N that the directory knows.
        people: People mentioned or named, by Slack id.
        me: Whether the question is about the asker.
        date_range: The date range the question names, if any.
        text: The normalised question.
    """

    def add(intent: Intent, amount: float) -> None:
        rules[intent] = rules.get(intent, 0.0) + amount

    has_project = any(m.sure for m in by_kind["project"])
    has_milestone = bool(refs) or any(m.sure for m in by_kind["milestone"])
    has_person = bool(people)
    has_discipline = any(m.sure for m in by_kind["discipline"])
    asks_when = bool(re.search(r"\b(when|by when|what date|due date|deadline)\b", text))

    if has_milestone and asks_when:
        add(Intent.WHEN_MILESTONE, 1.5)
    if has_milestone and not has_project and not rules:
        # "what is pcm-2?": a typed ref names the milestone exactly, and nothing else is asked; the
        # model's second opinion on "what is …" alone (a person's projects) must not outweigh it.
        add(Intent.WHEN_MILESTONE, STRONG_RULE + RULE_MARGIN if refs else 1.0)
    if date_range is not None and Intent.OVERDUE not in rules and Intent.WAITING_ON not in rules:
        # A date range is itself a strong hint that the question is about what is due.
        add(Intent.NEXT_MILESTONE, 1.0 if rules else 2.0)
    if Intent.PERSON_PROJECTS in rules and not has_person and not me and not re.search(r"\bwho is\b", text):
        rules.pop(Intent.PERSON_PROJECTS)
    if (
        has_milestone
        and not has_project
        and re.search(
            r"\bwho (owns|is responsible for|is the owner of|is doing|is working on|has|handles|"
            r"is handling|has got|is got|got)\b",
            text,
        )
    ):
        # "who owns pcm-2": the milestone's answer names its owner.
        add(Intent.WHEN_MILESTONE, 3.5)
        rules.pop(Intent.LEAD, None)
    if (has_person or me) and ASKS_LAST_DAY.search(text):
        # "when is my final day?": not the "Final report" milestone.
        rules.pop(Intent.WHEN_MILESTONE, None)
    if has_milestone and not has_person and _WHOM_TO_CHASE.search(text):
        # "who should I bug about the memo?": the milestone's owner, not an expert on memos.
        add(Intent.WHEN_MILESTONE, 4.0)
        for other in (Intent.EXPERTS, Intent.MEMBERS, Intent.WAITING_ON, Intent.PERSON_PROJECTS):
            rules.pop(other, None)
    if has_milestone and not has_project and _ABOUT_A_MILESTONE.search(text):
        # "what comes after the legal memo?", "what's the description of pcm-3?": the milestone's answer,
        # which names what follows it and, when asked, its description.
        add(Intent.WHEN_MILESTONE, 3.0)
    if has_milestone and not has_person and Intent.WAITING_ON in rules and _WHAT_IT_WAITS_FOR.search(text):
        # "what does the PSI prototype depend on?": what comes before the milestone, which its answer
        # gives, not what someone owes.
        add(Intent.WHEN_MILESTONE, rules.pop(Intent.WAITING_ON) + 0.5)
    if (
        Intent.PERSON_PROJECTS in rules
        and re.search(r"\b(on|in|for|across|of) (my|our) projects?\b", text)
        and any(i in rules for i in (Intent.OVERDUE, Intent.NEXT_MILESTONE, Intent.BLOCKED))
    ):
        rules.pop(Intent.PERSON_PROJECTS)  # "what's overdue on my projects": the projects are a scope
    if Intent.EXPERTS in rules and Intent.PERSON_PROJECTS in rules and not has_person and not me:
        rules.pop(Intent.PERSON_PROJECTS)  # "who is our go-to person for kafka"
    if has_person and not has_project:
        if Intent.PROJECT_STATUS in rules and Intent.PERSON_PROJECTS not in rules:
            # "tell me about Kwame", "how is Priya doing": a person's status is what they are on.
            add(Intent.PERSON_PROJECTS, rules.pop(Intent.PROJECT_STATUS))
        if Intent.EXPERTS in rules and re.search(r"\bwho (works|has worked) on\b", text):
            rules.pop(Intent.EXPERTS)
        if Intent.MEMBERS in rules and not re.search(r"\bmembers? of\b", text):
            rules[Intent.MEMBERS] -= 1.5
        if re.search(r"\bwho is\b", text) and Intent.PERSON_PROJECTS in rules:
            add(Intent.PERSON_PROJECTS, 0.5)
        if not rules:
            add(Intent.PERSON_PROJECTS, 2.0)
    if (
        has_project
        and has_discipline
        and not has_person
        and Intent.EXPERTS not in rules
        and _ASKS_WHO_AMONG.search(text)
    ):
        # "which economist works on bid shading?", "any psychologists on pcm?": the project's people of
        # that field, not its status.
        add(Intent.MEMBERS, 3.0)
        rules.pop(Intent.DISCIPLINE_PROJECTS, None)
        rules.pop(Intent.PROJECT_STATUS, None)
    if has_project:
        if Intent.PERSON_PROJECTS in rules and not has_person and not me:
            rules.pop(Intent.PERSON_PROJECTS)
        if Intent.EXPERTS in rules and re.search(r"\bwho (works|has worked) on\b", text):
            rules.pop(Intent.EXPERTS)
            add(Intent.MEMBERS, 2.0)
        if Intent.DISCIPLINE_PROJECTS in rules and not has_discipline:
            rules.pop(Intent.DISCIPLINE_PROJECTS)
        if not rules:
            add(Intent.PROJECT_STATUS, 2.0)
    if (
        has_discipline
        and not has_project
        and not has_person
        and Intent.MEMBERS in rules
        and not _A_PROJECT_IN_CONTEXT.search(text)
    ):
        # "who's in machine learning?", "any NLP people on projects?": that field's people, by project.
        add(Intent.DISCIPLINE_PROJECTS, rules.pop(Intent.MEMBERS) + 0.5)
    if has_discipline and not has_project and not has_person:
        if Intent.EXPERTS not in rules and (
            Intent.DISCIPLINE_PROJECTS in rules
            or Intent.PERSON_PROJECTS in rules
            or Intent.LIST_PROJECTS in rules
        ):
            add(Intent.DISCIPLINE_PROJECTS, 2.0)
            rules.pop(Intent.PERSON_PROJECTS, None)
            rules.pop(Intent.LIST_PROJECTS, None)
    elif Intent.DISCIPLINE_PROJECTS in rules and not has_discipline:
        rules[Intent.DISCIPLINE_PROJECTS] -= 1.0
    if (
        me
        and not has_person
        and Intent.WHEN_MILESTONE not in rules
        and Intent.PERSON_PROJECTS in rules
        and re.search(r"\b(am i|my projects|i am)\b", text)
    ):
        add(Intent.PERSON_PROJECTS, 1.0)
    if (
        Intent.LEAD in rules
        and Intent.MEMBERS in rules
        and re.search(r"\bwho (leads|is leading|runs|is in charge)\b", text)
    ):
        rules[Intent.MEMBERS] -= 1.5
    if Intent.WAITING_ON in rules and Intent.PERSON_PROJECTS in rules and "working on" not in text:
        rules.pop(Intent.PERSON_PROJECTS)
    if me and not has_person and Intent.NEXT_MILESTONE in rules and Intent.WAITING_ON not in rules:
        add(Intent.NEXT_MILESTONE, 1.0)
    if Intent.WAITING_ON in rules and Intent.NEXT_MILESTONE in rules:
        rules[Intent.NEXT_MILESTONE] -= 1.0
    if Intent.OVERDUE in rules and Intent.NEXT_MILESTONE in rules:
        rules[Intent.NEXT_MILESTONE] -= 1.0
    if Intent.BLOCKED in rules and Intent.PROJECT_STATUS in rules and not has_project:
        rules[Intent.PROJECT_STATUS] -= 1.0
    if (
        date_range
        and not (has_project or has_person)
        and set(rules) == {Intent.PROJECT_STATUS, Intent.NEXT_MILESTONE}
    ):
        add(
            Intent.NEXT_MILESTONE, rules.pop(Intent.PROJECT_STATUS)
        )  # "what about late december?": what's due
    if (
        (has_person or me)
        and (has_project or _A_PROJECT_IN_CONTEXT.search(text))
        and ASKS_WHETHER_ON.search(text)
        and Intent.MEMBERS not in rules
    ):
        # "is Kwame on pcm?", "am I on this project?": whether they are among its people.
        add(Intent.MEMBERS, 4.0)
        rules.pop(Intent.PERSON_PROJECTS, None)
    if (
        Intent.LIST_PROJECTS in rules
        and re.search(r"\b(across|on|in|for) (all|every)\b", text)
        and any(i in rules for i in (Intent.NEXT_MILESTONE, Intent.OVERDUE, Intent.BLOCKED))
    ):
        rules.pop(Intent.LIST_PROJECTS)  # "what's due across all projects this week?": the milestones
    if (
        Intent.LIST_PROJECTS in rules
        and (has_person or re.search(r"\b(am i|i am|do i|have i|i have|i m)\b", text))
        and Intent.PERSON_PROJECTS not in rules
    ):
        # "how many projects is Kwame on?", "how many projects am I on?": theirs, not every project.
        add(Intent.PERSON_PROJECTS, rules[Intent.LIST_PROJECTS])
    if Intent.LIST_PROJECTS in rules and (has_person or me) and Intent.PERSON_PROJECTS in rules:
        rules.pop(Intent.LIST_PROJECTS)
    for intent in [i for i, s in rules.items() if s <= 0]:
        rules.pop(intent)
