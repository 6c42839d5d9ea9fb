"""Action, callback and block ids shared by the Block Kit builders and the handlers."""

from __future__ import annotations

# Buttons
PICK_PROJECT_ACTION = "pick_project"  # "did you mean" choices (":N" appended); value = JSON {command, text}
MILESTONE_DONE_ACTION = "milestone_done"  # value = milestone ref
CONFIRM_MOVE_ACTION = "confirm_move"  # value = JSON {"ref", "instant", "zone"}
CANCEL_ACTION = "cancel"
# "Hand them to <lead> and leave/remove": value = JSON {command, text}, the `/project leave|remove … --to`
# command it re-runs as the clicker.
HANDOVER_ACTION = "handover"
HANDOVER_BLOCK = "handover_actions"
OPEN_PROJECT_ACTION = "open_project"  # value = project key
HOME_REFRESH_ACTION = "home_refresh"
# Reminder messages: value = JSON {"d": delivery id, "m": milestone ref}. Action ids must differ within
# a message, so each snooze choice has its own.
REMINDER_DONE_ACTION = "reminder_done"
REMINDER_SNOOZE_ACTION_PREFIX = "reminder_snooze_"  # + bot.domain.reminders.SnoozeOption value
REMINDER_MOVE_ACTION = "reminder_move"
REMINDER_ACTIONS_BLOCK = "reminder_actions"
# The lead view of the App Home (bot/slack/home.py) and the handover notice before someone's last day.
HOME_MOVE_ACTION = "home_move"  # "Move date…" on a milestone: value = milestone ref; opens HOME_MOVE_MODAL
BLOCKER_RESOLVE_ACTION = "blocker_resolve"  # "Resolve": value = blocker ref (`pcm-b1`)
# "Hand them to me": value = JSON {"person": leaver's Slack id, "project": key}; the clicker takes over.
TAKE_OVER_ACTION = "take_over"

# Modals
PROJECT_MODAL = "project_modal"  # private_metadata = JSON {"mode": "create"|"edit", "key"}
MILESTONE_MODAL = "milestone_modal"  # private_metadata = JSON {"project": key or ""}
REMINDER_MOVE_MODAL = "reminder_move_modal"  # private_metadata = JSON {"d", "m", "c", "ts"}
HOME_MOVE_MODAL = "home_move_modal"  # private_metadata = JSON {"ref"}

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

# Expert suggestions and intros
EXPERT_INTRO_ACTION = "expert_intro"  # "Ask for an intro": value = JSON ticket (encode_ticket)
INTRO_ACCEPT_ACTION = "intro_accept"  # in the expert's DM: value = intro request id
INTRO_DECLINE_ACTION = "intro_decline"  # in the expert's DM: value = intro request id
EXPERT_HOME_ACTION = "expert_find_project"  # App Home "Find experts": value = project key
# "Did you mean": value = the /expert text to re-run. Slack wants action ids unique within a block, so
# each choice's id carries a ":N" suffix.
EXPERT_PICK_PROJECT_ACTION = "expert_pick_project"
INTRO_DECISION_BLOCK = "intro_decision"

# The profile form
PROFILE_EDIT_ACTION = "profile_edit"  # the "Edit profile" button; its value is not trusted
PROFILE_ACTIONS_BLOCK = "profile_actions"
PROFILE_MODAL = "profile_modal"  # private_metadata = JSON {"opened_by": Slack id}
PROFILE_TITLE_INPUT = "title"  # same block id as TITLE_INPUT: they are in different modals
DISCIPLINE_INPUT = "discipline"
ORGANISATION_INPUT = "organisation"
SECTOR_INPUT = "sector"
EXPERTISE_INPUT = "expertise"
PUBLICATIONS_INPUT = "publications"
VISIBILITY_INPUT = "visibility"
CAP_INPUT = "weekly_request_cap"
UNTIL_INPUT = "until"  # the last day, in the profile form and in the admin's "Set last day" form
# An admin's "Set last day…" on someone's profile: value = their Slack id (re-checked on submission).
PROFILE_UNTIL_ACTION = "profile_until"
PROFILE_UNTIL_MODAL = "profile_until_modal"  # private_metadata = JSON {"person": Slack id}

# Undo under "Deleted …" (`/milestone delete`, `/blocker delete`): value = the row's id; the clicker's
# permissions are checked again, and a second click says it was restored already.
UNDO_MILESTONE_DELETE_ACTION = "undo_milestone_delete"
UNDO_BLOCKER_DELETE_ACTION = "undo_blocker_delete"
# "Move them too" under a move whose dependants are now due before the moved milestone.
MOVE_DEPENDANTS_ACTION = "move_dependants"
# Changes asked for in plain language ("mark pcm-2 done"), held until the asker confirms them
# (bot/proposals): value = the stored proposal's random token; only its asker may press them.
PROPOSAL_CONFIRM_ACTION = "proposal_confirm"
PROPOSAL_CANCEL_ACTION = "proposal_cancel"
PROPOSAL_BLOCK = "proposal_actions"

# Weekly check-ins (bot/checkins, docs/checkins.md). Button values and the form's private_metadata are the
# check-in question's row id; whoever clicks or submits must be the person it asked (re-checked).
CHECKIN_ANSWER_ACTION = "checkin_answer"  # "Answer" under the question DM: opens the form
CHECKIN_BLOCKER_ACTION = "checkin_blocker"  # "Record as a blocker" under the saved answers
CHECKIN_ACTIONS_BLOCK = "checkin_actions"
CHECKIN_MODAL = "checkin_modal"
CHECKIN_DONE_INPUT = "checkin_done"
CHECKIN_NEXT_INPUT = "checkin_next"
CHECKIN_BLOCKING_INPUT = "checkin_blocking"
