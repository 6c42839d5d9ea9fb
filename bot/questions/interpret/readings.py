"""Readings of a question: canonical questions, button labels, and "did you mean" alternatives.

When the interpreter is unsure, it offers the closest readings as buttons; each button re-asks a
canonical question (`canonical_question`) that reads back as exactly that reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.domain.dates import DateRange
from bot.questions.interpret.entities import DirectoryIndex, EntityMatch
from bot.questions.interpret.intents import NEEDS_PROJECT, Intent
from bot.questions.interpret.interpretation import Entities, Reading

# Readings offered as "did you mean" buttons.
MAX_READINGS = 3


def canonical_question(intent: Intent, entities: Entities) -> str:
    """A question the interpreter reads back as exactly this intent and these entities.

    Buttons re-ask these, so they use keys, refs and `<@U…>` mentions rather than names.
    """
    project = entities.projects[0] if entities.projects else ""
    person = f"<@{entities.people[0]}>" if entities.people else ("me" if entities.me else "")
    when = f" {_range_words(entities.date_range)}" if entities.date_range else ""
    if intent == Intent.PROJECT_STATUS:
        return f"status of {project}" if project else "status"
    if intent == Intent.LEAD:
        return f"who leads {project}" if project else "who leads"
    if intent == Intent.MEMBERS:
        return f"who is on {project}" if project else "who is on the team"
    if intent == Intent.NEXT_MILESTONE:
        scope = f" for {project}" if project else (f" for {person}" if person else "")
        return f"what is due{scope}{when}" if when else f"next milestones{scope}"
    if intent == Intent.OVERDUE:
        scope = f" on {project}" if project else (f" for {person}" if person else "")
        return f"what is overdue{scope}"
    if intent == Intent.BLOCKED:
        return f"what is blocking {project}" if project else "what is blocked"
    if intent == Intent.WAITING_ON:
        return f"what is waiting on {person or 'me'}"
    if intent == Intent.WHEN_MILESTONE:
        return f"when is {entities.milestones[0]} due" if entities.milestones else "when is it due"
    if intent == Intent.PERSON_PROJECTS:
        return f"which projects is {person} on" if person and person != "me" else "which projects am i on"
    if intent == Intent.DISCIPLINE_PROJECTS:
        field_name = entities.disciplines[0] if entities.disciplines else ""
        return f"which projects involve {field_name}"
    if intent == Intent.EXPERTS:
        # "who outside our disciplines, not privacy law & policy, knows about …" reads back as itself.
        outside = " outside our disciplines" if entities.outside_own else ""
        if entities.outside_disciplines:
            outside += "," + ",".join(f" not {d}" for d in entities.outside_disciplines) + ","
        return f"who{outside} knows about {entities.topic}".rstrip()
    if intent == Intent.LIST_PROJECTS:
        return "list all projects"
    if intent == Intent.HELP:
        return "help"
    return entities.topic or "help"


def _range_words(date_range: DateRange | None) -> str:
    if date_range is None:
        return ""
    label = date_range.label
    return label.split(" (")[0]


_LABELS = {
    Intent.PROJECT_STATUS: "Status of {project}",
    Intent.LEAD: "Who leads {project}",
    Intent.MEMBERS: "Who is on {project}",
    Intent.NEXT_MILESTONE: "Next milestones{scope}",
    Intent.OVERDUE: "What is overdue{scope}",
    Intent.BLOCKED: "What is blocked{scope}",
    Intent.WAITING_ON: "What is waiting on {person}",
    Intent.WHEN_MILESTONE: "When {milestone} is due",
    Intent.PERSON_PROJECTS: "Projects of {person}",
    Intent.DISCIPLINE_PROJECTS: "Projects involving {discipline}",
    Intent.EXPERTS: "Who knows about {topic}",
    Intent.LIST_PROJECTS: "All projects",
    Intent.LEAVING: "Who is leaving",
    Intent.HELP: "What I can answer",
    Intent.SEARCH: "Search the records",
}


def describe(intent: Intent, entities: Entities, index: DirectoryIndex | None = None) -> str:
    """A short button label for a reading, using names where the directory has them."""
    project_names = {p.key: p.name for p in index.directory.projects} if index else {}
    people_names = {p.slack_id: p.name for p in index.directory.people} if index else {}
    project = entities.projects[0] if entities.projects else ""
    project_label = project_names.get(project, project) or "a project"
    person = entities.people[0] if entities.people else ""
    person_label = people_names.get(person, person) or "you"
    milestone = entities.milestones[0] if entities.milestones else ""
    if index and milestone and (found := index.milestone(milestone)):
        milestone_label = f"{milestone} ({found.title})"
    else:
        milestone_label = milestone or "a milestone"
    scope = f" on {project_label}" if project else (f" for {person_label}" if person else "")
    if intent == Intent.NEXT_MILESTONE and entities.date_range:
        scope += f" {_range_words(entities.date_range)}"
    return _LABELS[intent].format(
        project=project_label,
        scope=scope,
        person=person_label,
        milestone=milestone_label,
        discipline=entities.disciplines[0] if entities.disciplines else "a field",
        topic=entities.topic or "a topic",
    )


def intent_readings(
    ranked: Sequence[Intent], entities: Entities, index: DirectoryIndex
) -> tuple[Reading, ...]:
    """Readings of the same entities under other intents, for a question whose intent is unclear.

    Args:
        ranked: Intents, most likely first.
        entities: What the question is about.
        index: The directory, for labels.

    Returns:
        Up to MAX_READINGS readings; none for a search, for an intent that needs a missing project
        or milestone, or for expert suggestions without a topic.
    """
    readings: list[Reading] = []
    for intent in ranked:
        if intent in (Intent.SEARCH,):
            continue
        if intent in NEEDS_PROJECT and not entities.projects:
            continue
        if intent == Intent.WHEN_MILESTONE and not entities.milestones:
            continue  # "When a milestone is due" without one answers nothing
        candidate = replace(entities, topic=entities.topic if intent == Intent.EXPERTS else "")
        if intent == Intent.EXPERTS and not candidate.topic:
            continue
        readings.append(
            Reading(
                intent, candidate, describe(intent, candidate, index), canonical_question(intent, candidate)
            )
        )
        if len(readings) == MAX_READINGS:
            break
    return tuple(readings)


def entity_readings(
    intent: Intent, entities: Entities, unsure: EntityMatch, index: DirectoryIndex
) -> tuple[Reading, ...]:
    """Readings of the same intent for each record an ambiguous name may mean.

    Args:
        intent: What the question asks.
        entities: What else it is about.
        unsure: The ambiguous name, with the records it may mean.
        index: The directory, for labels.

    Returns:
        Up to MAX_READINGS readings, in the order of the name's alternatives.
    """
    readings = []
    for key in unsure.keys[:MAX_READINGS]:
        if unsure.kind == "project":
            candidate = replace(entities, projects=(key,))
        elif unsure.kind == "person":
            candidate = replace(entities, people=(key,))
        elif unsure.kind == "milestone":
            candidate = replace(entities, milestones=(key,))
        else:
            candidate = replace(entities, disciplines=(key,))
        readings.append(
            Reading(
                intent, candidate, describe(intent, candidate, index), canonical_question(intent, candidate)
            )
        )
    return tuple(readings)
