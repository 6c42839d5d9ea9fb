"""Action, callback and block ids shared by the Block Kit builders and the handlers."""

from __future__ import annotations

# Buttons
PICK_PROJECT_ACTION = "pick_project"  # "did you mean" choices: value = JSON {"command", "text"}
MILESTONE_DONE_ACTION = "milestone_done"  # value = milestone ref
CONFIRM_MOVE_ACTION = "confirm_move"  # value = JSON {"ref", "due", "zone"}
CANCEL_ACTION = "cancel"
OPEN_PROJECT_ACTION = "open_project"  # value = project key
HOME_REFRESH_ACTION = "home_refresh"

# Modals
PROJECT_MODAL = "project_modal"  # private_metadata = JSON {"mode": "create"|"edit", "key"}
MILESTONE_MODAL = "milestone_modal"  # private_metadata = JSON {"project": key or ""}

# Input blocks (block_id == action_id, so state.values[b][b])
KEY_INPUT = "key"
NAME_INPUT = "name"
DESCRIPTION_INPUT = "description"
STATUS_INPUT = "status"
CHANNEL_INPUT = "channel"
PRIVATE_INPUT = "private"
LEAD_INPUT = "lead"
MEMBERS_INPUT = "members"
PROJECT_INPUT = "project"
TITLE_INPUT = "title"
DUE_INPUT = "due"
OWNER_INPUT = "owner"
