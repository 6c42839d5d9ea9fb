"""Action, callback and block ids shared by the Block Kit builders and the handlers."""

from __future__ import annotations

# Buttons
PICK_PROJECT_ACTION = "pick_project"  # "did you mean" choices (":N" appended); value = JSON {command, text}
MILESTONE_DONE_ACTION = "milestone_done"  # value = milestone ref
CONFIRM_MOVE_ACTION = "confirm_move"  # value = JSON {"ref", "due", "zone"}
CANCEL_ACTION = "cancel"
OPEN_PROJECT_ACTION = "open_project"  # value = project key
HOME_REFRESH_ACTION = "home_refresh"
# Reminder messages: value = JSON {"d": delivery id, "m": milestone ref}. Action ids must differ within
# a message, so each snooze choice has its own.
REMINDER_DONE_ACTION = "reminder_done"
REMINDER_SNOOZE_ACTION_PREFIX = "reminder_snooze_"  # + bot.domain.reminders.SnoozeOption value
REMINDER_MOVE_ACTION = "reminder_move"
REMINDER_ACTIONS_BLOCK = "reminder_actions"

# Modals
PROJECT_MODAL = "project_modal"  # private_metadata = JSON {"mode": "create"|"edit", "key"}
MILESTONE_MODAL = "milestone_modal"  # private_metadata = JSON {"project": key or ""}
REMINDER_MOVE_MODAL = "reminder_move_modal"  # private_metadata = JSON {"d", "m", "c", "ts"}

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

# Answers to questions (action ids carry a ":N" suffix: ids must be unique within a block)
ASK_CHOICE_ACTION = "ask_choice"  # "did you mean" reading: value = the question to re-ask
ANSWER_SOURCE_ACTION = "answer_source"  # a record an answer came from: value = JSON {"command", "text"}
ASK_SHORTCUT = "ask_liaison"  # message shortcut "Ask Liaison about this"
