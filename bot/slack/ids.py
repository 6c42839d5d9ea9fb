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
# Works fetched from ORCID/OpenAlex or uploaded (bot/experts/sources), listed under /profile: value = the
# work's row id; only its owner (or an admin) may hide or show it (re-checked on every click).
PROFILE_WORK_HIDE_ACTION = "profile_work_hide"
PROFILE_WORK_SHOW_ACTION = "profile_work_show"

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

# The agreements register (bot/agreements, docs/agreements.md). The add form's private_metadata is
# JSON {"opened_by": Slack id}; the submitter is checked again. Join approval buttons carry the join
# request's row id; only the project's lead or an admin may decide (re-checked).
AGREEMENT_MODAL = "agreement_modal"
AGREEMENT_KIND_INPUT = "agreement_kind"
AGREEMENT_TITLE_INPUT = "agreement_title"
AGREEMENT_PARTIES_INPUT = "agreement_parties"
AGREEMENT_PROJECTS_INPUT = "agreement_projects"
AGREEMENT_OWNER_INPUT = "agreement_owner"
AGREEMENT_STATUS_INPUT = "agreement_status"
AGREEMENT_EFFECTIVE_INPUT = "agreement_effective"
AGREEMENT_EXPIRES_INPUT = "agreement_expires"
AGREEMENT_URL_INPUT = "agreement_url"
AGREEMENT_REVIEW_INPUT = "agreement_review_days"
AGREEMENT_RESTRICTED_INPUT = "agreement_restricted"
AGREEMENT_NOTES_INPUT = "agreement_notes"
JOIN_APPROVE_ACTION = "join_approve"
JOIN_DECLINE_ACTION = "join_decline"
JOIN_DECISION_BLOCK = "join_decision"

# Calendar feeds (bot/calendar, docs/calendar.md): "Reset address" under `/liaison calendar [PROJECT]`.
# value = "@me" (the clicker's own feed) or a project key; only the clicker's own feed is ever reset.
CALENDAR_RESET_ACTION = "calendar_reset"
CALENDAR_ACTIONS_BLOCK = "calendar_actions"

# Joint papers (bot/publications, docs/publications.md): the `/paper add` form. Its private_metadata is
# JSON {"opened_by": Slack id}; the submitter is checked again (must be on the chosen project).
PAPER_MODAL = "paper_modal"
PAPER_PROJECT_INPUT = "paper_project"
PAPER_TITLE_INPUT = "paper_title"
PAPER_PEOPLE_INPUT = "paper_people"
PAPER_EXTERNAL_INPUT = "paper_external"
PAPER_VENUE_INPUT = "paper_venue"
PAPER_STATUS_INPUT = "paper_status"
PAPER_LINKS_INPUT = "paper_links"
