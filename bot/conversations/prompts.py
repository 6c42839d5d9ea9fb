"""Suggested prompts for a person opening a conversation with Liaison (the assistant surface).

Chosen from the records for the person: the project whose channel they are looking at, what they
own that is overdue, their next milestone, and their projects. Only projects the person may see are
used (`bot.access.visible_condition`): the prompts show in their own assistant pane, but a prompt
must still never name a private project they are not on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access import Actor, visible_condition
from bot.models import Membership, Milestone, MilestoneStatus, Project

# Slack shows at most four suggested prompts.
MAX_PROMPTS = 4
# Prompt titles are short button-like labels.
MAX_TITLE = 60


@dataclass(frozen=True)
class Prompt:
    """A suggested prompt: its label and the message it sends as the person."""

    title: str
    message: str


GENERAL_PROMPTS = (
    Prompt("What can you answer?", "What can you answer?"),
    Prompt("What is due next week?", "What is due next week?"),
    Prompt("Which projects are blocked?", "Which projects are blocked?"),
    Prompt("List all projects", "List all projects"),
)


def suggested_prompts(
    session: Session, actor: Actor, now: datetime, *, context_project: str | None = None
) -> list[Prompt]:
    """Prompts chosen for the person, most specific first, then general ones up to `MAX_PROMPTS`.

    Args:
        session: The request's session.
        actor: The person.
        now: The current instant.
        context_project: The key of the project whose channel the person is looking at (already
            checked to be visible to them), if any.

    Returns:
        Up to `MAX_PROMPTS` prompts, no two with the same message.
    """
    prompts: list[Prompt] = []
    if context_project:
        prompts.append(Prompt("What's next for this project?", f"What's next for {context_project}?"))
    if actor.person_id is not None:
        visible = visible_condition(actor)
        owned_open = (
            select(Project.key, Milestone.number, Milestone.title, Milestone.due_at)
            .join(Milestone.project)
            .where(
                visible,
                Milestone.owner_id == actor.person_id,
                Milestone.status == MilestoneStatus.OPEN,
            )
        )
        overdue = session.scalar(
            select(func.count()).select_from(owned_open.where(Milestone.due_at < now).subquery())
        )
        if overdue:
            items = "item" if overdue == 1 else "items"
            prompts.append(Prompt(f"My {overdue} overdue {items}", "What is overdue for me?"))
        upcoming = session.execute(
            owned_open.where(Milestone.due_at >= now).order_by(Milestone.due_at).limit(1)
        ).first()
        if upcoming is not None:
            ref = f"{upcoming.key}-{upcoming.number}"
            prompts.append(Prompt(_cut(f"When is {ref} ({upcoming.title}) due?"), f"When is {ref} due?"))
        mine = session.execute(
            select(Project.key, Project.name)
            .join(Membership, Membership.project_id == Project.id)
            .where(visible, Membership.person_id == actor.person_id)
            .order_by(Membership.position, Project.key)
            .limit(MAX_PROMPTS)
        ).all()
        for key, name in mine:
            if key != context_project:
                prompts.append(Prompt(_cut(f"How is {name} doing?"), f"How is {key} doing?"))
    chosen: list[Prompt] = []
    for prompt in [*prompts, *GENERAL_PROMPTS]:
        if prompt.message not in {c.message for c in chosen}:
            chosen.append(prompt)
    return chosen[:MAX_PROMPTS]


def _cut(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"
