"""Modal builders and parsers of their submissions (pure; no Slack calls).

Slack limits: modal titles 24 characters, 100 blocks, 100 options per static select, plain-text inputs
at most 3,000 characters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidInput
from bot.models import Project, ProjectStatus, Role
from bot.projects.project import ProjectDraft
from bot.slack import ids
from bot.slack.blocks import Block, context, escape, truncate
from bot.slack.payload_values import input_state, selected_value, selected_values, string_of, strings_of

MAX_INPUT = 3000
MAX_OPTIONS = 100
STATUS_OPTION_TEXT = {
    ProjectStatus.ON_TRACK: "On track",
    ProjectStatus.AT_RISK: "At risk",
    ProjectStatus.BLOCKED: "Blocked",
    ProjectStatus.DONE: "Done",
}


def plain_text(text: str) -> dict[str, Any]:
    """A Block Kit plain_text object (emoji shortcodes rendered)."""
    return {"type": "plain_text", "text": text, "emoji": True}


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    """A select / radio option; text and description cut to Slack's 75 characters."""
    choice: dict[str, Any] = {"text": plain_text(truncate(text, 75)), "value": value}
    if description:
        choice["description"] = plain_text(truncate(description, 75))
    return choice


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None
) -> Block:
    """An input block whose element's action_id is its block_id (so `state.values[id][id]`)."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint)
    return block


def _modal(title: str, callback_id: str, blocks: list[Block], metadata: dict[str, Any], submit: str) -> Block:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(truncate(title, 24)),
        "submit": plain_text(submit),
        "close": plain_text("Cancel"),
        "blocks": blocks[:100],
        "private_metadata": json.dumps(metadata),
    }


def build_project_modal(project: Project | None) -> Block:
    """The create (project is None) or edit modal for a project (whoever creates one is on it)."""
    status_options = [option(label, status.value) for status, label in STATUS_OPTION_TEXT.items()]
    blocks: list[Block] = []
    if project is None:
        blocks.append(
            input_block(
                ids.KEY_INPUT,
                "Key",
                {"type": "plain_text_input", "max_length": 40, "placeholder": plain_text("e.g. bidshade")},
                hint="Short id used in commands: lowercase letters, digits, _",
            )
        )
    else:
        blocks.append(context(f"Project key: `{project.key}`"))
    name: dict[str, Any] = {"type": "plain_text_input", "max_length": 200}
    if project is not None:
        name["initial_value"] = project.name
    blocks.append(input_block(ids.NAME_INPUT, "Name", name))
    if project is None or len(project.description) <= MAX_INPUT:
        description: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": MAX_INPUT}
        if project is not None and project.description:
            description["initial_value"] = project.description
        blocks.append(input_block(ids.DESCRIPTION_INPUT, "Description", description, optional=True))
    else:
        # Slack inputs hold at most 3,000 characters: never prefill a cut copy that would save truncated.
        blocks.append(
            context(
                f"The description has {len(project.description)} characters, more than Slack "
                "can edit here; it is kept as it is."
            )
        )
    status: dict[str, Any] = {"type": "static_select", "options": status_options}
    status["initial_option"] = status_options[
        list(STATUS_OPTION_TEXT).index(project.status if project else ProjectStatus.ON_TRACK)
    ]
    blocks.append(input_block(ids.STATUS_INPUT, "Status", status))
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if project is not None and project.channel_id:
        channel["initial_conversation"] = project.channel_id
    blocks.append(input_block(ids.CHANNEL_INPUT, "Channel", channel, optional=True))
    private_option = option("Private: only members can see it", "private")
    private: dict[str, Any] = {"type": "checkboxes", "options": [private_option]}
    if project is not None and project.private:
        private["initial_options"] = [private_option]
    blocks.append(input_block(ids.PRIVATE_INPUT, "Visibility", private, optional=True))
    lead: dict[str, Any] = {"type": "users_select"}
    if project is not None and project.lead is not None:
        lead["initial_user"] = project.lead.slack_id
    lead_hint = (
        "Someone else you name as lead is told by a DM. People must have used Liaison before."
        if project is None
        else "A new lead is told by a DM; the one handing over stays on as a member. People must have used "
        "Liaison before."
    )
    blocks.append(input_block(ids.LEAD_INPUT, "Lead", lead, hint=lead_hint))
    members: dict[str, Any] = {"type": "multi_users_select"}
    if project is not None:
        members["initial_users"] = [m.person.slack_id for m in project.memberships if m.role == Role.MEMBER][
            :100
        ]
    members_hint = (
        "You are a member of the project you create, whoever leads it." if project is None else None
    )
    blocks.append(input_block(ids.MEMBERS_INPUT, "Members", members, optional=True, hint=members_hint))
    metadata = {"mode": "create"} if project is None else {"mode": "edit", "key": project.key}
    return _modal(
        "New project" if project is None else "Edit project",
        ids.PROJECT_MODAL,
        blocks,
        metadata,
        "Create" if project is None else "Save",
    )


def build_milestone_modal(projects: Sequence[Project], chosen: Project | None) -> Block:
    """The "add milestone" modal; the project is fixed when given, else picked from those the user leads."""
    blocks: list[Block] = []
    if chosen is not None:
        blocks.append(context(f"Project: *{escape(chosen.name)}* (`{chosen.key}`)"))
    else:
        options = [option(f"{p.name} ({p.key})", p.key) for p in projects[:MAX_OPTIONS]]
        blocks.append(
            input_block(ids.PROJECT_INPUT, "Project", {"type": "static_select", "options": options})
        )
    blocks.append(input_block(ids.TITLE_INPUT, "Title", {"type": "plain_text_input", "max_length": 300}))
    blocks.append(
        input_block(
            ids.DUE_INPUT,
            "Due",
            {
                "type": "plain_text_input",
                "max_length": 60,
                "placeholder": plain_text("dec 4, 2026-12-04 17:00 or next friday 5pm"),
            },
            hint="In your time zone. A date alone means 17:00.",
        )
    )
    blocks.append(input_block(ids.OWNER_INPUT, "Owner", {"type": "users_select"}, optional=True))
    return _modal(
        "New milestone", ids.MILESTONE_MODAL, blocks, {"project": chosen.key if chosen else ""}, "Add"
    )


def _text(values: Any, block_id: str) -> str:
    """A text input's value; "" when it was left empty or is not a string (a forged submission)."""
    return string_of(input_state(values, block_id)) or ""


def _metadata_text(metadata: dict[str, Any], key: str) -> str:
    value = metadata.get(key)
    return value if isinstance(value, str) else ""


def parse_project_submission(
    values: dict[str, Any], metadata: dict[str, Any], existing: Project | None
) -> ProjectDraft:
    """Turn the project modal's `state.values` into a draft (validation happens in the domain).

    Nothing here trusts the submission's shape (`bot.slack.payload_values`): a field of the wrong type
    reads as empty, and the validation says so next to it.
    """
    key = _metadata_text(metadata, "key") or _text(values, ids.KEY_INPUT).strip().lower()
    if input_state(values, ids.DESCRIPTION_INPUT) is not None:
        description = _text(values, ids.DESCRIPTION_INPUT)
    else:
        description = existing.description if existing is not None else ""
    status_value = selected_value(input_state(values, ids.STATUS_INPUT)) or ProjectStatus.ON_TRACK.value
    try:
        status = ProjectStatus(status_value)
    except ValueError:
        # Only a forged or outdated form can send another value; say so next to the field.
        raise InvalidInput("Pick one of the listed statuses.") from None
    return ProjectDraft(
        key=key,
        name=_text(values, ids.NAME_INPUT).strip(),
        description=description,
        status=status,
        channel_id=string_of(input_state(values, ids.CHANNEL_INPUT), "selected_conversation") or None,
        private="private" in selected_values(input_state(values, ids.PRIVATE_INPUT)),
        lead_slack_id=string_of(input_state(values, ids.LEAD_INPUT), "selected_user") or "",
        member_slack_ids=tuple(
            dict.fromkeys(strings_of(input_state(values, ids.MEMBERS_INPUT), "selected_users"))
        ),
    )


@dataclass(frozen=True)
class MilestoneSubmission:
    """What the milestone modal submitted."""

    project_key: str
    title: str
    due_text: str
    owner_slack_id: str | None


def parse_milestone_submission(values: dict[str, Any], metadata: dict[str, Any]) -> MilestoneSubmission:
    """Turn the milestone modal's `state.values` into a submission (wrong shapes read as empty)."""
    project = (
        _metadata_text(metadata, "project") or selected_value(input_state(values, ids.PROJECT_INPUT)) or ""
    )
    return MilestoneSubmission(
        project_key=project,
        title=_text(values, ids.TITLE_INPUT),
        due_text=_text(values, ids.DUE_INPUT),
        owner_slack_id=string_of(input_state(values, ids.OWNER_INPUT), "selected_user") or None,
    )
