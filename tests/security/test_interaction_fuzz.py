"""Fuzzing every Liaison interaction on PostgreSQL: no 5xx, no unhandled errors, no pings, valid Block Kit.

The slash-command fuzz (test_command_fuzz.py) extended to what people click and submit. The surfaces are
collected from the product itself: every action, callback and shortcut id in `bot.slack.ids` (a test
below fails when one is added without being fuzzed here) and the modals Liaison really opens (built by
the same code the listeners call: `/project create|edit`, `/milestone add`, the profile form, the
Move-date form of a planned reminder and of the App Home, an admin's "Set last day" form), whose input
blocks give the `state.values` a submission carries.

Inputs mix real ids (milestone refs such as `pcm-2`, blocker refs such as `pcm-b1`, project keys,
people's Slack ids, reminder delivery ids, milestone and blocker row ids and due instants) with hostile
text (Slack markup such as `<!channel>` and `<@U…>`, C0/C1 control characters and NUL, bidi marks,
strings far past every limit) and wrong shapes (numbers, lists and objects where Slack sends strings,
missing blocks and actions).

* Over signed HTTP, into the real server (`tests.security.served`) in front of the demo workspace on
  PostgreSQL: `block_actions` (buttons, selects, overflow menus, date pickers; on messages, the App Home
  and modals), `view_submission` for every callback id, `shortcut`/`message_action`, `view_closed`, and
  malformed bodies. Checked: no HTTP 5xx, 400 for the bodies no Slack request looks like, field errors
  only on the modal's own input blocks, and every Web API call the bot made (messages, ephemeral
  answers, `response_url` posts, modals, App Home views) valid Block Kit without unescaped mentions and
  without the error handler's apology (which means a listener raised).
* Directly, for volume (together with the HTTP cases, over 10,000): the functions the form and
  reminder-button listeners call (`submit_project`, `submit_milestone`, `save_own_profile`,
  `submit_move`, `press_done`/`press_snooze`/`open_move`, `execute_confirmed_move`, the Undo and
  "Move them too" buttons, "Hand them to me", the App Home's Move-date and the "Set last day" forms)
  on the same PostgreSQL database, what they render checked the same way; and, cheaper, the parsing
  and validation in front of them (`parse_*_submission`, `validate_draft`, `parse_due`, the button
  value readers).

Every input family is sent everywhere (people pickers get forged and overlong ids and repeats, the
"Move it" button naive instants, instants at the ends of the calendar and JSON nested too deep to
decode). Malformed payloads Slack never sends are refused with 400
when listeners rely on their shape (no user object, `actions` not a list of objects) and may otherwise
end in the error handler's apology, never in a 5xx.

The inputs are reproducible (fixed seeds); a failure lists each kind of problem with its first inputs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester, act_as
from bot.app import APOLOGY
from bot.checkins.answers import AnswerForm
from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.domain.dates import DateParseError, parse_due
from bot.domain.reminders import SnoozeOption
from bot.errors import InvalidInput, UserFacingError
from bot.experts.profile_edits import (
    ProfileEditError,
    parse_publication_titles,
    save_end_date,
    save_own_profile,
)
from bot.experts.profiles import show_profile
from bot.models import Blocker, Milestone, MilestoneStatus, Person, Project, ReminderDelivery
from bot.projects.end_dates import take_over_milestones
from bot.projects.home import milestone_to_move, move_from_home
from bot.projects.project import validate_draft
from bot.reminders.actions import ClickResult, ReminderClick, open_move, press_done, press_snooze, submit_move
from bot.services import Services
from bot.slack import ids
from bot.slack.agreement_commands import execute_agreement_command
from bot.slack.archive_commands import execute_undo_delete
from bot.slack.checkin_blocks import build_answer_modal
from bot.slack.commands import CommandRequest, execute_command, execute_confirmed_move
from bot.slack.end_date_blocks import (
    build_take_over_reply,
    encode_take_over,
    read_take_over,
    take_over_messages,
)
from bot.slack.expert_blocks import decode_ticket
from bot.slack.home import build_home_move_modal, read_home_move_metadata
from bot.slack.input_hygiene import clean_strings_in_place, without_control_characters
from bot.slack.milestone_details import execute_move_dependants
from bot.slack.modals import parse_milestone_submission, parse_project_submission
from bot.slack.paper_commands import execute_paper_command
from bot.slack.payload_values import input_state, loads_clean, row_id, string_of
from bot.slack.profile_blocks import (
    build_profile_modal,
    build_until_modal,
    build_until_saved_reply,
    field_errors,
    opened_by,
    parse_profile_submission,
    parse_until_submission,
)
from bot.slack.reminder_blocks import (
    MoveTarget,
    build_move_modal,
    build_reminder_reply,
    parse_move_metadata,
    parse_reminder_value,
)
from bot.slack.submissions import SubmissionResult, submit_milestone, submit_project
from handlers.experts.payload import intro_id_of
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi, RecordedCall
from tests.security.blockkit import mention_violations, message_violations, mrkdwn_texts, view_violations
from tests.security.served import ServerPool
from tests.security.test_command_fuzz import DATES, MARKUP, RANGES

SEED = 20_261_216
HTTP_CASES = 640
# Direct calls: what the listeners call, on PostgreSQL (a few milliseconds each), and the parsing and
# validation in front of it (microseconds each).
DB_CASES = 2_600
PARSE_CASES = 6_800
DIRECT_CASES = DB_CASES + PARSE_CASES
TEAM = FakeSlackApi.team_id
FORM = "application/x-www-form-urlencoded"
LEAD = "U02ECBANE"  # leads bidshade
ADMIN = "U0ADMIN"  # LIAISON_ADMINS in the tests' settings, not in the directory
# A lead, a member of the private project, an admin and someone Liaison has never heard of.
USERS = [LEAD, "U12ETSTEI", ADMIN, "U06CRWONG", "U0STRANGER"]
# What Slack's clients never send but a body may carry: C0 controls (NUL first), DEL, C1 controls and
# the separators and marks that survive the input hygiene.
ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\ufeff", "\u202e"]
# Values of the wrong type where Slack sends a string (or an object, or a list).
WRONG: list[Any] = [None, 0, -1, 2**31, 2**63, 1.5, float("1e308"), float("inf"), float("nan"), True]
WRONG += [[], ["x"], {}, {"value": "x"}, [[{}]]]
ZONES = ["Europe/Amsterdam", "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12"]
ZONES += ["", "Mars/Olympus", "../../../etc/passwd", "Europe/Amsterdam\x00", "UTC" * 200, "zone.tab"]
# What the "Move it" button carries (`{"ref", "instant", "zone"}`, an ISO instant with its offset).
INSTANTS = ["2026-12-04T17:00:00+01:00", "2026-12-04T16:00:00+00:00", "2026-03-29T02:30:00+01:00"]
INSTANTS += ["2026-02-30T00:00+00:00", "1970-01-01T00:00:00+00:00", "3000-01-01T00:00:00-12:00"]
INSTANTS += ["yesterday", "", "2026-12-04T17:00:00+25:00", "2026-12-04T17:00:00Z"]
# Without an offset, and near the ends of the calendar (overflowing when put in a zone, or planned around).
INSTANTS += ["2026-12-04T17:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"]
INSTANTS += ["0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-12:00"]
# Integers around the edges of PostgreSQL's integer and bigint, as strings and as JSON numbers.
BIG_NUMBERS = [0, -1, 2**31 - 1, 2**31, 2**63, 10**30]
ODD_DIGITS = ["²", "١٢", "１", "0x10", "1e3", "+1", " 1", "1_000", "-0", "٣"]


# -- the surfaces ------------------------------------------------------------------------------------

# How each button (action id) carries its value; ":N" suffixes are what the builders append.
BUTTON_VALUES: dict[str, str] = {
    ids.PICK_PROJECT_ACTION: "command",
    ids.MILESTONE_DONE_ACTION: "ref",
    ids.CONFIRM_MOVE_ACTION: "move",
    ids.CANCEL_ACTION: "ref",
    ids.HANDOVER_ACTION: "command",
    ids.OPEN_PROJECT_ACTION: "key",
    ids.HOME_REFRESH_ACTION: "text",
    ids.REMINDER_DONE_ACTION: "reminder",
    ids.REMINDER_SNOOZE_ACTION_PREFIX: "reminder",
    ids.REMINDER_MOVE_ACTION: "reminder",
    ids.ASK_CHOICE_ACTION: "question",
    ids.ANSWER_SOURCE_ACTION: "command",
    ids.EXPERT_INTRO_ACTION: "ticket",
    ids.INTRO_ACCEPT_ACTION: "intro",
    ids.INTRO_DECLINE_ACTION: "intro",
    ids.EXPERT_HOME_ACTION: "key",
    ids.EXPERT_PICK_PROJECT_ACTION: "expert",
    ids.PROFILE_EDIT_ACTION: "text",
    ids.PROFILE_UNTIL_ACTION: "person",
    ids.HOME_MOVE_ACTION: "ref",
    ids.BLOCKER_RESOLVE_ACTION: "blocker",
    ids.UNDO_MILESTONE_DELETE_ACTION: "row",
    ids.UNDO_BLOCKER_DELETE_ACTION: "row",
    ids.TAKE_OVER_ACTION: "take_over",
    ids.MOVE_DEPENDANTS_ACTION: "dependants",
    # Confirm / Cancel of a change asked for in plain language: value = a proposal token (random text).
    ids.PROPOSAL_CONFIRM_ACTION: "text",
    ids.PROPOSAL_CANCEL_ACTION: "text",
    # Weekly check-ins: value = the question's row id (only the person asked may use it).
    ids.CHECKIN_ANSWER_ACTION: "row",
    ids.CHECKIN_BLOCKER_ACTION: "row",
    # Calendar feeds: value = "@me" (the clicker's own feed) or a project key (their feed of it).
    ids.CALENDAR_RESET_ACTION: "key",
    # Hide / Show a work fetched from ORCID or OpenAlex: value = the work's row id (owner or admin only).
    ids.PROFILE_WORK_HIDE_ACTION: "row",
    ids.PROFILE_WORK_SHOW_ACTION: "row",
    # Approve / Decline a join to a project with restricted data: value = the join request's row id.
    ids.JOIN_APPROVE_ACTION: "row",
    ids.JOIN_DECLINE_ACTION: "row",
}
SUFFIXED = {ids.PICK_PROJECT_ACTION, ids.ASK_CHOICE_ACTION, ids.ANSWER_SOURCE_ACTION}
SUFFIXED |= {ids.EXPERT_PICK_PROJECT_ACTION}
# How often each button is fuzzed over HTTP. Questions cost the most per call (entity matching grows
# with the text), expert searches next; the cheap buttons get more.
BUTTON_WEIGHTS = {action: 5 for action in BUTTON_VALUES}
BUTTON_WEIGHTS |= {ids.ASK_CHOICE_ACTION: 2, ids.EXPERT_HOME_ACTION: 3, ids.EXPERT_PICK_PROJECT_ACTION: 3}
BUTTON_WEIGHTS |= {ids.MILESTONE_DONE_ACTION: 9, ids.CONFIRM_MOVE_ACTION: 9, ids.REMINDER_MOVE_ACTION: 8}
# Forms fuzzed with well-typed (still hostile) values only; every form reads its state with
# `bot.slack.payload_values` now, so none.
TYPED_ONLY_FORMS: frozenset[str] = frozenset()
# Forms whose listeners cannot take any metadata or a payload without a user; none now (a payload
# without a user object is refused with 400 before any listener, bot.serving.slack_body).
FRAGILE_HANDLER_FORMS: frozenset[str] = frozenset()
MODALS = (
    ids.PROJECT_MODAL,
    ids.MILESTONE_MODAL,
    ids.REMINDER_MOVE_MODAL,
    ids.PROFILE_MODAL,
    ids.HOME_MOVE_MODAL,
    ids.PROFILE_UNTIL_MODAL,
    ids.CHECKIN_MODAL,
    ids.AGREEMENT_MODAL,
    ids.PAPER_MODAL,
)
# How often each form is submitted over HTTP (in the order of MODALS).
MODAL_WEIGHTS = (30, 26, 12, 16, 9, 7, 6, 6, 6)
SHORTCUTS = (ids.ASK_SHORTCUT,)


@dataclass(frozen=True)
class Form:
    """One modal as Liaison opens it: its callback id, metadata and input blocks (id → element)."""

    name: str
    callback_id: str
    private_metadata: str
    inputs: dict[str, dict[str, Any]]
    view: dict[str, Any]


@dataclass
class Directory:
    """What is real in the demo workspace, to mix into the inputs and to check mentions against."""

    session_factory: sessionmaker[Session]
    users: set[str]
    channels: set[str]
    people: list[str]
    keys: list[str]
    refs: list[str]
    # Row ids of milestones and blockers (what Undo and "Move them too" carry), and blocker refs.
    milestone_ids: list[int]
    # Each milestone's due instant when the fuzz started (what a "Move them too" button carries).
    dues: dict[int, str]
    blocker_ids: list[int]
    blockers: list[str]
    # (delivery id, milestone ref, a Slack id allowed to act on it)
    deliveries: list[tuple[int, str, str]]
    forms: dict[str, list[Form]]

    @property
    def names(self) -> list[str]:
        """Real ids to mix into text."""
        return self.keys + self.refs + self.people + self.blockers + [f"{k}-b1" for k in self.keys]

    def mention_problems(self, texts: list[str]) -> list[str]:
        """Mentions of anyone or any channel not in the directory *now*.

        The fuzz adds people (someone using Liaison for the first time, as a real Slack user may) and
        project channels, which Liaison may then mention: look again before blaming.
        """
        problems = mention_violations(texts, users=self.users, channels=self.channels)
        if problems:
            with self.session_factory() as session:
                self.users |= set(session.scalars(select(Person.slack_id)))
                self.channels |= {c for c in session.scalars(select(Project.channel_id)) if c}
            problems = mention_violations(texts, users=self.users, channels=self.channels)
        return problems


class Failures:
    """Problems found, grouped by kind (exception and place, or the problem's wording), with examples."""

    def __init__(self) -> None:
        self.kinds: dict[str, list[str]] = {}

    def add(self, kind: str, detail: str) -> None:
        examples = self.kinds.setdefault(re.sub(r"'[^']*'", "…", kind)[:160], [])
        examples.append(detail)

    def __len__(self) -> int:
        return sum(len(examples) for examples in self.kinds.values())

    def report(self, examples: int = 2) -> str:
        lines = [f"{len(self)} failures of {len(self.kinds)} kinds:"]
        for kind, found in sorted(self.kinds.items(), key=lambda item: -len(item[1])):
            lines.append(f"* {len(found)} x {kind}")
            lines += [f"    e.g. {_short(detail, 700)}" for detail in found[:examples]]
        return "\n".join(lines)


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b.get("type") == "input"}


def _form(name: str, view: dict[str, Any]) -> Form:
    return Form(name, view["callback_id"], view.get("private_metadata") or "", _inputs(view), view)


def _command_modal(services: Services, user: str, command: str, text: str) -> dict[str, Any]:
    request = CommandRequest(command, text, user, TEAM, "C0GENERAL")
    outcome = execute_command(services.session_factory, services.settings, services.clock.now(), request)
    assert outcome.modal is not None, (command, text, outcome.reply)
    return outcome.modal


def collect_directory(services: Services) -> Directory:
    """The demo's people, projects, milestones and planned reminders, and the modals Liaison opens."""
    now = services.clock.now()
    with services.session_factory() as session:
        # In a fixed order, so that the seeds reproduce the same inputs.
        people = list(session.scalars(select(Person.slack_id).order_by(Person.id)))
        channels = {c for c in session.scalars(select(Project.channel_id)) if c}
        keys = list(session.scalars(select(Project.key).order_by(Project.id)))
        refs = [
            f"{m.project.key}-{m.number}" for m in session.scalars(select(Milestone).order_by(Milestone.id))
        ]
        dues = {m.id: m.due_at.isoformat() for m in session.scalars(select(Milestone).order_by(Milestone.id))}
        milestone_ids = list(dues)
        blocker_rows = list(session.scalars(select(Blocker).order_by(Blocker.id)))
        blocker_ids = [b.id for b in blocker_rows]
        blockers = [f"{b.project.key}-b{b.number}" for b in blocker_rows]
        deliveries = []
        for delivery in session.scalars(select(ReminderDelivery).order_by(ReminderDelivery.id)):
            milestone = session.get(Milestone, delivery.milestone_id) if delivery.milestone_id else None
            if milestone is not None and milestone.project.lead is not None:
                ref = f"{milestone.project.key}-{milestone.number}"
                deliveries.append((delivery.id, ref, milestone.project.lead.slack_id))
    assert deliveries, "the demo plans reminders"
    forms: dict[str, list[Form]] = {callback: [] for callback in MODALS}
    forms[ids.PROJECT_MODAL] += [
        _form("project create", _command_modal(services, LEAD, "/project", "create")),
        _form("project edit", _command_modal(services, LEAD, "/project", "edit bidshade")),
    ]
    forms[ids.MILESTONE_MODAL] += [
        _form("milestone pick", _command_modal(services, LEAD, "/milestone", "add")),
        _form("milestone bidshade", _command_modal(services, LEAD, "/milestone", "add bidshade")),
    ]
    profile = show_profile(services.session_factory, services.settings, Requester(LEAD, TEAM), None)
    cap = services.settings.expert_weekly_request_cap
    forms[ids.PROFILE_MODAL].append(_form("profile", build_profile_modal(profile, default_cap=cap)))
    for delivery_id, ref, actor in deliveries[:3]:
        click = ReminderClick(delivery_id, ref, actor, TEAM)
        move = open_move(services.session_factory, services.settings, now, click)
        assert move.reminder is not None, move.denial
        target = MoveTarget(delivery_id, ref, "C1BIDSHADE", "1.000001")
        forms[ids.REMINDER_MOVE_MODAL].append(_form(f"move {ref}", build_move_modal(move.reminder, target)))
    with services.session_factory() as session:
        lead = act_as(session, services.settings, Requester(LEAD, TEAM))
        open_ones = session.scalars(
            select(Milestone).where(Milestone.status == MilestoneStatus.OPEN).order_by(Milestone.id)
        )
        movable = [f"{m.project.key}-{m.number}" for m in open_ones if m.project.key == "bidshade"]
        lines = [milestone_to_move(session, lead, ref, now) for ref in movable[:2]]
        zone = lead.zone
    assert lines, "the lead of bidshade may move its milestones"
    for line in lines:
        forms[ids.HOME_MOVE_MODAL].append(
            _form(f"home move {line.ref}", build_home_move_modal(line, zone, now))
        )
    for person in (LEAD, people[-1]):
        shown = show_profile(services.session_factory, services.settings, Requester(ADMIN, TEAM), person)
        forms[ids.PROFILE_UNTIL_MODAL].append(_form(f"last day of {person}", build_until_modal(shown)))
    # A check-in form as the Answer button opens it (the demo has no check-in rows: a submission is refused
    # as not the submitter's, with a field error).
    checkin = AnswerForm(1, "bidshade", "Bid shading", now, ZoneInfo("Asia/Seoul"), "", "", "")
    forms[ids.CHECKIN_MODAL].append(_form("check-in", build_answer_modal(checkin)))
    agreement = execute_agreement_command(
        services.session_factory, services.settings, now, CommandRequest("/agreement", "add", LEAD, TEAM)
    )
    assert agreement.modal is not None, agreement.reply
    forms[ids.AGREEMENT_MODAL].append(_form("agreement add", agreement.modal))
    paper = execute_paper_command(
        services.session_factory, services.settings, now, Requester(LEAD, TEAM), "/paper", "add bidshade"
    )
    assert paper.modal is not None, paper.reply
    forms[ids.PAPER_MODAL].append(_form("paper add", paper.modal))
    for variants in forms.values():
        for form in variants:
            assert form.inputs, form.name
            assert view_violations(form.view) == [], form.name
    return Directory(
        session_factory=services.session_factory,
        users=set(people) | set(USERS),
        channels=channels,
        people=people,
        keys=keys,
        refs=refs,
        milestone_ids=milestone_ids,
        dues=dues,
        blocker_ids=blocker_ids,
        blockers=blockers,
        deliveries=deliveries,
        forms=forms,
    )


# -- the generator -----------------------------------------------------------------------------------


class Fuzz:
    """Reproducible hostile values, mixed with what is real in the directory."""

    def __init__(self, seed: int, directory: Directory) -> None:
        self.rng = random.Random(seed)
        self.d = directory
        self._n = 0

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def unicode(self, length: int) -> str:
        chars = []
        for _ in range(length):
            low, high = self.rng.choice(RANGES)
            chars.append(chr(self.rng.randint(low, high)))
        return "".join(chars)

    def fragment(self) -> str:
        roll = self.rng.random()
        if roll < 0.3:
            return self.rng.choice(MARKUP)
        if roll < 0.5:
            return self.rng.choice(self.d.names)
        if roll < 0.62:
            return "".join(self.rng.choice(CONTROL) for _ in range(self.rng.randint(1, 4)))
        if roll < 0.75:
            return self.unicode(self.rng.randint(1, 10))
        if roll < 0.82:
            return self.rng.choice(DATES)
        return self.rng.choice(["x", "a b", "Q3", "2026", "\t", "\n", " ", "•", "- item", "\r\n"])

    def text(self, *, huge: float = 0.03) -> str:
        """A short hostile text; now and then one past every limit (Slack's 3,000, the columns')."""
        if self.chance(huge):
            size = self.rng.choice([301, 2001, 3001, 12_000])
            unit = "".join(self.fragment() for _ in range(40)) or "x"
            return (unit * (size // len(unit) + 1))[:size]
        if self.chance(0.04):
            return self.rng.choice(["", " ", "\x00", "\n\n", "\u200b"])
        return " ".join(self.fragment() for _ in range(self.rng.randint(1, 5)))

    def wrong(self) -> Any:
        return self.rng.choice(WRONG)

    def user(self) -> str:
        return self.rng.choice(USERS) if self.chance(0.6) else self.rng.choice(self.d.people)

    def user_string(self) -> str:
        """A Slack user id as a select sends it: real, unknown (shaped like Slack's or not), or garbage."""
        roll = self.rng.random()
        if roll < 0.65:
            return self.user()
        if roll < 0.72:
            return self.rng.choice("UW") + "".join(self.rng.choices(ID_CHARACTERS, k=10))
        if roll < 0.8:
            return self.rng.choice(["U0FUZZ01", "W0FUZZ02", "B0LIAISONBOT", "USLACKBOT", "U" + "9" * 40])
        return self.text()

    def user_value(self) -> Any:
        roll = self.rng.random()
        if roll < 0.6:
            return self.user()
        if roll < 0.7:
            return self.rng.choice(["U0FUZZ01", "W0FUZZ02", "B0LIAISONBOT", "USLACKBOT", "U" + "9" * 40])
        if roll < 0.9:
            return self.text()
        return self.wrong()

    def key(self) -> str:
        roll = self.rng.random()
        if roll < 0.55:
            return self.rng.choice(self.d.keys)
        if roll < 0.65:
            return self.rng.choice(self.d.keys).upper() + self.rng.choice(["", " ", "\x00", "-1", "\u200b"])
        return self.text()

    def ref(self) -> str:
        roll = self.rng.random()
        if roll < 0.55:
            return self.rng.choice(self.d.refs)
        if roll < 0.7:
            key = self.rng.choice(self.d.keys)
            return f"{key}-{self.rng.choice(['0', '-1', '999', str(2**31), str(10**30), '²', '1.5', ''])}"
        return self.text()

    def number(self) -> Any:
        roll = self.rng.random()
        if roll < 0.5:
            return self.rng.choice(BIG_NUMBERS)
        if roll < 0.7:
            return str(self.rng.choice(BIG_NUMBERS))
        if roll < 0.85:
            return self.rng.choice(ODD_DIGITS)
        return self.wrong()

    def delivery(self) -> tuple[Any, str, str]:
        """(delivery id, ref, a user) of a real reminder, or a forged one."""
        delivery_id, ref, actor = self.rng.choice(self.d.deliveries)
        user = actor if self.chance(0.5) else self.user()
        roll = self.rng.random()
        if roll < 0.55:
            return delivery_id, ref, user
        if roll < 0.7:
            return delivery_id, self.ref(), user
        return self.number(), self.ref() if self.chance(0.5) else ref, user

    def json_or_junk(self, value: Any, *, deep: bool = True) -> str:
        """`value` as JSON mostly; otherwise JSON of the wrong kind or no JSON at all.

        With `deep`, the junk includes JSON nested deeper than Python's decoder goes (a RecursionError
        where a ValueError is expected).
        """
        roll = self.rng.random()
        if roll < 0.85:
            return json.dumps(value, ensure_ascii=self.chance(0.5))
        if roll < 0.93:
            return json.dumps(self.rng.choice([[value], "x", 1, None, True, []]))
        junk = ["{", "not json", '{"d": }', "", "[" * 600 + "]" * 600, self.text(), '{"d": NaN, "m": 1}']
        return self.rng.choice(junk + ["[" * 5000 + "]" * 5000] * deep)

    def button_value(self, kind: str) -> Any:
        """A value as Liaison's buttons of this kind carry it, with real ids or fuzz inside."""
        if self.chance(0.05):
            return self.wrong()
        if self.chance(0.08):
            return self.text(huge=0.2)
        if kind == "command":
            command = self.rng.choice(["/project", "/milestone", "/blocker", "/liaison", "/ask", self.text()])
            verb = self.rng.choice(
                ["status", "list", "done", "members", "blockers", "edit", "add", "create", "leave", "assign"]
            )
            args = self.key() if self.chance(0.6) else self.ref()
            text = f"{verb} {args}" if self.chance(0.8) else self.text()
            payload: dict[str, Any] = {"command": command, "text": text}
            if self.chance(0.1):
                payload[self.rng.choice(["command", "text"])] = self.wrong()
            return self.json_or_junk(payload)
        if kind == "ref":
            return self.ref()
        if kind == "key":
            return self.key()
        if kind == "move":
            move = {
                "ref": self.ref(),
                "instant": self.rng.choice(INSTANTS) if self.chance(0.8) else self.text(),
                "zone": self.rng.choice(ZONES),
            }
            if self.chance(0.1):
                move[self.rng.choice(list(move))] = self.wrong()
            return self.json_or_junk(move)
        if kind == "reminder":
            delivery_id, ref, _user = self.delivery()
            return self.json_or_junk({"d": delivery_id, "m": ref if self.chance(0.9) else self.wrong()})
        if kind == "question":
            return self.text(huge=0.01)[:400]
        if kind == "ticket":
            ticket = {
                "e": self.user_value(),
                "p": self.key() if self.chance(0.6) else self.rng.choice([None, self.wrong()]),
                "q": self.text(),
                "m": [self.text() for _ in range(self.rng.randint(0, 3))],
            }
            return self.json_or_junk(ticket)
        if kind == "intro":
            return str(self.number()) if self.chance(0.8) else self.text()
        if kind == "expert":
            return self.rng.choice(["project ", "", "all "]) + self.key()
        if kind == "person":
            return self.user_string()
        if kind == "blocker":
            return self.blocker()
        if kind == "row":
            return self.row()
        if kind == "take_over":
            person, project = self.user_value(), self.key() if self.chance(0.8) else self.wrong()
            if self.chance(0.7) and isinstance(person, str) and isinstance(project, str):
                return encode_take_over(person, project)
            return self.json_or_junk({"person": person, "project": project})
        if kind == "dependants":
            return self.json_or_junk(self.dependants())
        return self.text()

    def blocker(self) -> str:
        roll = self.rng.random()
        if roll < 0.55 and self.d.blockers:
            return self.rng.choice(self.d.blockers)
        if roll < 0.7:
            key = self.rng.choice(self.d.keys)
            return f"{key}-b{self.rng.choice(['0', '-1', '999', str(2**31), str(10**30), '²', '1.5', ''])}"
        return self.ref() if self.chance(0.3) else self.text()

    def instant(self) -> str:
        return self.rng.choice(INSTANTS) if self.chance(0.85) else self.text()

    def row(self) -> Any:
        """A row id as Undo carries it (digits), real or forged."""
        roll = self.rng.random()
        if roll < 0.5:
            return str(self.rng.choice(self.d.milestone_ids + self.d.blocker_ids))
        if roll < 0.85:
            return str(self.number())
        return self.text()

    def dependants(self) -> dict[str, Any]:
        """What "Move them too" carries: {"m": milestone id, "to": instant, "s": shift seconds, "d": ids}."""
        real = self.d.milestone_ids
        milestone = self.rng.choice(real)
        data: dict[str, Any] = {
            "m": milestone if self.chance(0.7) else self.number(),
            # Mostly where the milestone was moved to (the button's check), else anywhere.
            "to": self.d.dues[milestone] if self.chance(0.5) else self.instant(),
            "s": self.rng.choice([86_400, -86_400, 3_600, 0, 7 * 86_400, 3_660 * 86_400, -3_660 * 86_400])
            if self.chance(0.7)
            else self.number(),
            "d": [
                self.rng.choice(real) if self.chance(0.7) else self.number()
                for _ in range(self.rng.randint(0, 4))
            ],
        }
        if self.chance(0.1):
            data[self.rng.choice(list(data))] = self.wrong()
        return data

    def field(self, element: dict[str, Any], *, typed: bool) -> dict[str, Any]:
        """What Slack puts in `state.values[block][action]` for this element, fuzzed.

        With `typed`, every value has the type Slack gives it (strings, options, lists of strings, or
        null for nothing chosen); otherwise numbers, lists and objects turn up in their place too.
        """
        kind = element["type"]
        entry: dict[str, Any] = {"type": kind}
        options = element.get("options") or []
        untyped = not typed and self.chance(0.12)
        if kind in ("plain_text_input", "number_input"):
            value: Any = self.text(huge=0.05)
            if kind == "number_input" and self.chance(0.6):
                value = str(self.number())
            entry["value"] = value if self.chance(0.95) else None
        elif kind in ("static_select", "radio_buttons"):
            if self.chance(0.6) and options:
                entry["selected_option"] = self.rng.choice(options)
            elif self.chance(0.7):
                entry["selected_option"] = {"text": {"type": "plain_text", "text": "x"}, "value": self.text()}
            else:
                entry["selected_option"] = None
        elif kind == "checkboxes":
            chosen = [o for o in options if self.chance(0.5)]
            entry["selected_options"] = chosen if self.chance(0.8) else [{"value": self.text()}]
        elif kind == "users_select":
            user = self.user_string()
            entry["selected_user"] = user if self.chance(0.95) else None
        elif kind == "multi_users_select":
            count = self.rng.choice([0, 1, 2, 5, 120])
            users = [self.user_string() for _ in range(count)]
            if users and self.chance(0.2):
                users.append(self.rng.choice(users))  # picked twice (a forged list)
            entry["selected_users"] = users
        elif kind == "conversations_select":
            channel = self.rng.choice(sorted(self.d.channels)) if self.chance(0.5) else self.user_string()
            entry["selected_conversation"] = channel if self.chance(0.95) else None
        else:
            entry["value"] = self.text()
        if untyped:
            key = next((k for k in entry if k != "type"), "value")
            entry[key] = self.rng.choice([self.wrong(), {"value": self.wrong()}, [self.wrong()], {}])
        return entry

    def state_values(self, form: Form, *, typed: bool) -> dict[str, Any]:
        """`state.values` for `form`: every input block filled (or left out), hostile inside.

        Unless `typed`, a value, a block or its action may also be of the wrong type (a number, a list,
        a string where Slack sends an object), or keyed by another id. Forms in `TYPED_ONLY_FORMS` are
        always filled `typed` (a defect, see there).
        """
        typed = typed or form.callback_id in TYPED_ONLY_FORMS
        values: dict[str, Any] = {}
        for block_id, element in form.inputs.items():
            if self.chance(0.06):
                continue  # a block the form did not send (an older form, a forged one)
            entry = self.field(element, typed=typed)
            if block_id in (ids.DUE_INPUT, ids.UNTIL_INPUT) and "value" in entry and self.chance(0.3):
                entry["value"] = self.rng.choice(DATES + ["2027-01-29", "jan 29", ""])  # a date as typed
            if not typed and self.chance(0.06):
                values[block_id] = self.rng.choice([self.wrong(), {block_id: self.wrong()}, {"other": entry}])
            else:
                values[block_id] = {element.get("action_id", block_id): entry}
        if self.chance(0.05):
            extra = {"type": "plain_text_input", "value": self.text()}
            values[self.text()[:255] or "extra"] = {"extra": extra}
        return values

    def metadata(self, form: Form) -> Any:
        """The form's private_metadata: as Liaison wrote it mostly, else forged or garbled.

        Not for `FRAGILE_HANDLER_FORMS`: JSON nested too deep to decode, and metadata that is not a
        string.
        """
        fragile = form.callback_id in FRAGILE_HANDLER_FORMS
        roll = self.rng.random()
        if roll < 0.7:
            return form.private_metadata
        if roll < 0.85:
            forged: dict[str, Any] = json.loads(form.private_metadata or "{}")
            if isinstance(forged, dict) and forged:
                forged[self.rng.choice(list(forged))] = self.rng.choice(
                    [self.text(), self.key(), self.ref(), self.number(), self.user_value(), self.wrong()]
                )
            return json.dumps(forged, ensure_ascii=self.chance(0.5))
        if roll < 0.95 or fragile:
            junk = ["", "{}", "[]", "null", "1", '"edit"', "{", "not json", self.text(), '{"d": Infinity}']
            return self.rng.choice(junk + ["[" * 5000 + "]" * 5000] * (not fragile))
        return self.wrong()

    def unique(self) -> str:
        self._n += 1
        return f"{self._n}.{uuid.uuid4().hex[:12]}"


# -- HTTP cases --------------------------------------------------------------------------------------


@dataclass
class Case:
    """One request sent, and what it may and must do."""

    surface: str
    summary: str
    signed: SignedBody
    # The status the request must get (400: refused as malformed); None: anything but a 5xx.
    status: int | None = 200
    # A request Slack would never send (no user, wrong shapes): the listener may fail with an apology.
    may_apologise: bool = False
    response_token: str | None = None
    trigger_id: str | None = None
    # Modal submissions: the input block ids a field error may name.
    error_blocks: frozenset[str] | None = None


def _brief(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= 80 else f"{value[:80]}… ({len(value)} chars)"
    if isinstance(value, dict):
        return {str(k)[:40]: _brief(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_brief(v) for v in value[:6]] + ([f"… ({len(value)} items)"] if len(value) > 6 else [])
    return value


def _short(value: Any, limit: int = 160) -> str:
    """`value` for a failure message: long strings and lists cut, the whole cut to `limit`."""
    text = value if isinstance(value, str) else json.dumps(_brief(value), ensure_ascii=True, default=str)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


class Interactions:
    """Builds signed interaction bodies the way Slack structures them."""

    def __init__(self, payloads: SlackPayloads, fuzz: Fuzz) -> None:
        self.payloads = payloads
        self.f = fuzz

    def sign(self, payload: Any) -> SignedBody:
        return self.payloads.sign(urlencode({"payload": json.dumps(payload)}), FORM)

    def envelope(self, kind: str, user: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "team": {"id": TEAM, "domain": "liaison-demo"},
            "user": {"id": user, "team_id": TEAM, "username": "fuzz"},
            "api_app_id": "A0LIAISON",
            "token": "legacy-unused",
            "trigger_id": f"{self.f.unique()}.trigger",
            # Not Slack's: which case a listener's failure belongs to (found in its traceback).
            "fuzz_case": self.f.unique(),
        }

    def element(self, action_id: str, value: Any) -> dict[str, Any]:
        f = self.f
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": f.rng.choice(
                ["b", ids.REMINDER_ACTIONS_BLOCK, "did_you_mean", f.text()[:255] or "b"]
            ),
            "action_ts": f"{time.time():.6f}",
        }
        roll = f.rng.random()
        if roll < 0.72:
            action |= {"type": "button", "text": {"type": "plain_text", "text": "x"}, "value": value}
        elif roll < 0.8:
            option = {"text": {"type": "plain_text", "text": "x"}, "value": value}
            action |= {"type": f.rng.choice(["static_select", "overflow"]), "selected_option": option}
        elif roll < 0.86:
            action |= {"type": "users_select", "selected_user": f.user_value()}
        elif roll < 0.9:
            action |= {"type": "datepicker", "selected_date": f.rng.choice(["2026-12-04", "9999-99-99", ""])}
        elif roll < 0.93:
            action |= {"type": "multi_static_select", "selected_options": [{"value": value}]}
        else:
            action |= {"type": "button"}  # no value at all
        return action

    def block_action(self) -> Case:
        f = self.f
        base = f.rng.choices(list(BUTTON_WEIGHTS), list(BUTTON_WEIGHTS.values()))[0]
        action_id = base
        if base in SUFFIXED:
            action_id += f.rng.choice(["", ":0", ":1", ":2", ":99"])
        elif base == ids.REMINDER_SNOOZE_ACTION_PREFIX:
            action_id += f.rng.choice([*(o.value for o in SnoozeOption), "", "forever", f.text()[:40]])
        if f.chance(0.04):
            action_id = f.rng.choice([f.text()[:255] or "x", base + ":x", base + "_", base.upper()])
        kind = BUTTON_VALUES[base]
        value = f.button_value(kind)
        user = f.user()
        if kind == "reminder" and f.chance(0.5) and isinstance(value, str):
            # The presser of a real reminder's button is often the one allowed to press it.
            parsed = parse_reminder_value(value)
            user = next((a for d, _r, a in f.d.deliveries if parsed and d == parsed[0]), user)
        payload = self.envelope("block_actions", user)
        payload["actions"] = [self.element(action_id, value)]
        token = trigger = None
        where = f.rng.random()
        if where < 0.72:
            channel = f.rng.choice(["C1BIDSHADE", "C1PCM", "C0GENERAL", "D0DM", user])
            url = self.payloads.next_response_url()
            token = urlparse(url).path.rsplit("/", 1)[-1]
            ephemeral = f.chance(0.5)
            ts = f"{1_700_000_000 + f.rng.randint(0, 10**6)}.{f.rng.randint(0, 999999):06d}"
            payload |= {
                "channel": {"id": channel, "name": "fuzz"},
                "container": {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": ephemeral,
                },
                "message": {"ts": ts, "text": f.text(), "type": "message"},
                "response_url": url,
            }
            if ephemeral:
                del payload["message"]
        else:
            kind_of_view = "home" if where < 0.93 else "modal"
            view_id = f"V{f.unique().replace('.', '')[:10].upper()}"
            payload["view"] = {
                "id": view_id,
                "type": kind_of_view,
                "callback_id": "" if kind_of_view == "home" else f.rng.choice(MODALS),
                "private_metadata": f.text() if f.chance(0.3) else "",
                "state": {"values": {}},
                "hash": f"{f.unique()}.hash",
            }
            payload["container"] = {"type": "view", "view_id": view_id}
        trigger = payload["trigger_id"]
        summary = f"{action_id!r} by {user}: value={_short(value)}"
        return Case(f"block_actions/{base}", summary, self.sign(payload), 200, False, token, trigger)

    def view_submission(self) -> Case:
        f = self.f
        callback_id = f.rng.choices(MODALS, MODAL_WEIGHTS)[0]
        form = f.rng.choice(f.d.forms[callback_id])
        user = f.user()
        if callback_id == ids.REMINDER_MOVE_MODAL and f.chance(0.6):
            parsed = parse_move_metadata(form.private_metadata)
            user = next((a for d, _r, a in f.d.deliveries if parsed and d == parsed.delivery_id), user)
        elif callback_id in (ids.HOME_MOVE_MODAL, ids.PROFILE_UNTIL_MODAL) and f.chance(0.5):
            # Mostly by someone allowed to: the lead moving its milestone, an admin setting a last day.
            user = LEAD if callback_id == ids.HOME_MOVE_MODAL else ADMIN
        values = f.state_values(form, typed=f.chance(0.5))
        metadata = f.metadata(form)
        payload = self.envelope("view_submission", user)
        payload["view"] = {
            "id": f"V{f.unique().replace('.', '')[:10].upper()}",
            "team_id": TEAM,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
            "hash": f"{f.unique()}.hash",
            "blocks": form.view["blocks"],
        }
        # Field errors may only name the input blocks of the form that was open (Slack refuses others).
        blocks = frozenset(b for variant in f.d.forms[callback_id] for b in variant.inputs)
        summary = f"{form.name} by {user}: metadata={_short(metadata)} values={_short(values, 300)}"
        case = Case(f"view_submission/{callback_id}", summary, self.sign(payload), 200, error_blocks=blocks)
        case.trigger_id = payload["trigger_id"]
        return case

    def shortcut(self) -> Case:
        f = self.f
        user = f.user()
        if f.chance(0.75):
            payload = self.envelope("message_action", user)
            url = self.payloads.next_response_url()
            channel = f.rng.choice(["C1BIDSHADE", "C0GENERAL", "D0DM"])
            message: Any = {
                "type": "message",
                "text": f.text(huge=0.02)[:600],
                "ts": "1.000001",
                "user": LEAD,
            }
            if f.chance(0.3):
                message["thread_ts"] = f.rng.choice(["1.000000", "", f.text()[:20], f.wrong()])
            if f.chance(0.1):
                message = f.rng.choice([f.text(), f.wrong(), {"text": f.wrong()}])
            payload |= {
                "callback_id": ids.ASK_SHORTCUT if f.chance(0.9) else f.text()[:255],
                "channel": {"id": channel, "name": "fuzz"},
                "message": message,
                "message_ts": "1.000001",
                "response_url": url,
            }
            token = urlparse(url).path.rsplit("/", 1)[-1]
            summary = f"message_action by {user}: message={_short(message)}"
            signed, trigger = self.sign(payload), payload["trigger_id"]
            return Case("message_action", summary, signed, response_token=token, trigger_id=trigger)
        payload = self.envelope("shortcut", user)
        payload["callback_id"] = ids.ASK_SHORTCUT if f.chance(0.5) else f.text()[:255]
        summary = f"global shortcut {payload['callback_id']!r} by {user}"
        return Case("shortcut", summary, self.sign(payload), 200, False, None, payload["trigger_id"])

    def view_closed(self) -> Case:
        f = self.f
        form = f.rng.choice(f.d.forms[f.rng.choice(MODALS)])
        payload = self.envelope("view_closed", f.user())
        payload["is_cleared"] = f.rng.choice([True, False, f.wrong()])
        payload["view"] = {
            "id": "V0CLOSED",
            "type": "modal",
            "callback_id": form.callback_id,
            "private_metadata": f.metadata(form),
            "state": {"values": f.state_values(form, typed=False)},
            "hash": f"{f.unique()}.hash",
        }
        return Case("view_closed", f"view_closed of {form.name}", self.sign(payload))

    def malformed(self) -> Iterator[Case]:
        """Bodies no Slack request looks like (400), and payloads with parts missing or of the wrong type."""
        f = self.f
        refused: list[tuple[str, str]] = [
            ("payload not JSON", urlencode({"payload": "not json " + f.unique()})),
            (
                "payload a JSON list",
                urlencode({"payload": json.dumps([f.unique(), {"type": "block_actions"}])}),
            ),
            ("payload a JSON string", urlencode({"payload": json.dumps(f.unique())})),
            ("payload a JSON number", urlencode({"payload": str(f.rng.randint(0, 10**9))})),
            ("payload nested 5,000 deep", urlencode({"payload": "[" * 5000 + f.unique() + "]" * 5000})),
            (
                "payload object nested 5,000 deep",
                urlencode({"payload": '{"type": "block_actions", "x": ' + "[" * 5000 + "]" * 5000 + "}"}),
            ),
            ("JSON body a list", json.dumps([f.unique()])),
            ("JSON body does not parse", '{"type": "block_actions", "x": "' + f.unique()),
        ]
        for name, body in refused:
            content = "application/json" if body.startswith(("[", "{")) else FORM
            # Two of each: a second, different body must be refused the same way.
            for extra in ("", "&x=" + f.unique() if content == FORM else " "):
                yield Case(f"malformed/{name}", name, self.payloads.sign(body + extra, content), 400)
        for name, mutate in self._broken_views():
            form = f.rng.choice(f.d.forms[f.rng.choice(MODALS)])
            payload = self.envelope("view_submission", f.user())
            payload["view"] = {"id": "V0", "callback_id": form.callback_id, "state": {"values": {}}}
            mutate(payload)
            yield Case(f"malformed/{name}", name, self.sign(payload), 400)
        yield from self._without_user()
        yield from self._wrong_shapes()

    def _broken_views(self) -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
        return [
            ("view submission without view", lambda p: p.pop("view")),
            ("view submission, view a string", lambda p: p.update(view="V0")),
            ("view submission without state", lambda p: p["view"].pop("state")),
            ("view submission, state.values a list", lambda p: p["view"]["state"].update(values=[])),
            ("view submission, state a string", lambda p: p["view"].update(state="x")),
        ]

    def _without_user(self) -> Iterator[Case]:
        """Interactions without a usable user: Slack always sends one; refused with 400."""
        f = self.f
        for user_part in (None, "U02ECBANE", {}, {"id": None}, {"id": ["U02ECBANE"]}):
            for kind in ("block_actions", "view_submission", "message_action"):
                if kind == "block_actions":
                    case = self.block_action()
                elif kind == "view_submission":
                    case = self.view_submission()
                else:
                    case = self.shortcut()
                payload = _payload_of(case.signed)
                view = payload.get("view") or {}
                if kind == "view_submission" and view["callback_id"] in FRAGILE_HANDLER_FORMS:
                    view["callback_id"] = f.rng.choice([ids.PROFILE_MODAL, ids.REMINDER_MOVE_MODAL])
                if user_part is None:
                    payload.pop("user", None)
                else:
                    payload["user"] = user_part
                yield dataclasses.replace(
                    case,
                    surface=f"malformed/{kind} with user {user_part!r}",
                    summary=f"user={user_part!r}; {case.summary}",
                    signed=self.sign(payload),
                    status=400,  # refused before any listener (bot.serving.slack_body)
                    may_apologise=False,
                    error_blocks=None,
                )

    def _wrong_shapes(self) -> Iterator[Case]:
        """Parts Slack always sends as objects or lists sent as something else."""
        mutations: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
            ("actions missing", lambda p: p.pop("actions", None)),
            ("actions empty", lambda p: p.update(actions=[])),
            ("actions an object", lambda p: p.update(actions={"action_id": ids.HOME_REFRESH_ACTION})),
            ("action a string", lambda p: p.update(actions=[ids.HOME_REFRESH_ACTION])),
            ("team a list", lambda p: p.update(team=[TEAM])),
            ("team missing", lambda p: p.pop("team", None)),
            ("channel a string", lambda p: p.update(channel="C1BIDSHADE")),
            ("container a list", lambda p: p.update(container=[])),
            ("response_url a number", lambda p: p.update(response_url=7)),
            ("trigger_id missing", lambda p: p.pop("trigger_id", None)),
            ("type unknown", lambda p: p.update(type="block_actionz")),
            ("deeply nested value", lambda p: p.update(extra=_nested(400))),
        ]
        for name, mutate in mutations:
            for _ in range(2):
                case = self.block_action()
                payload = _payload_of(case.signed)
                mutate(payload)
                # A click without a list of action objects is refused before any listener.
                refused = name.startswith(("actions", "action a string"))
                yield dataclasses.replace(
                    case,
                    surface=f"malformed/block_actions, {name}",
                    summary=f"{name}; {case.summary}",
                    signed=self.sign(payload),
                    status=400 if refused else None,
                    may_apologise=not refused,
                )
        for name, mutate in [
            ("callback_id a number", lambda p: p["view"].update(callback_id=7)),
            ("private_metadata an object", _metadata_set_to({"mode": "edit"})),
            ("private_metadata a number", _metadata_set_to(12)),
            (
                "values nested deep",
                lambda p: p["view"]["state"]["values"].update(x=_nested(400)),
            ),
        ]:
            for _ in range(2):
                case = self.view_submission()
                payload = _payload_of(case.signed)
                mutate(payload)
                yield dataclasses.replace(
                    case,
                    surface=f"malformed/view_submission, {name}",
                    summary=f"{name}; {case.summary}",
                    signed=self.sign(payload),
                    status=None,
                    may_apologise=True,
                )


def _metadata_set_to(value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation giving a view submission `value` as private_metadata (on a form that takes any)."""

    def mutate(payload: dict[str, Any]) -> None:
        if payload["view"]["callback_id"] in FRAGILE_HANDLER_FORMS:
            payload["view"]["callback_id"] = ids.PROFILE_MODAL
        payload["view"]["private_metadata"] = value

    return mutate


def _nested(depth: int) -> Any:
    return json.loads("[" * depth + "]" * depth)


def _payload_of(signed: SignedBody) -> dict[str, Any]:
    payload = json.loads(parse_qs(signed.body)["payload"][0])
    assert isinstance(payload, dict)
    return payload


def _marker_of(case: Case) -> str | None:
    """The `fuzz_case` marker of a case's interaction payload; None for bodies that carry none."""
    try:
        payload = json.loads(parse_qs(case.signed.body)["payload"][0])
    except (KeyError, ValueError, RecursionError):
        return None
    return payload.get("fuzz_case") if isinstance(payload, dict) else None


def generate_http_cases(interactions: Interactions, count: int) -> list[Case]:
    """Every surface over HTTP, mostly clicks and submissions, plus every malformed family."""
    f = interactions.f
    cases = list(interactions.malformed())
    while len(cases) < count:
        roll = f.rng.random()
        if roll < 0.55:
            cases.append(interactions.block_action())
        elif roll < 0.9:
            cases.append(interactions.view_submission())
        elif roll < 0.97:
            cases.append(interactions.shortcut())
        else:
            cases.append(interactions.view_closed())
    f.rng.shuffle(cases)
    return cases


# -- checking what the bot sent ----------------------------------------------------------------------

SENT_METHODS = {RESPONSE_URL_METHOD, "chat.postMessage", "chat.postEphemeral", "chat.update"}
SENT_METHODS |= {"views.open", "views.update", "views.push", "views.publish"}


def _sent(call: RecordedCall) -> tuple[dict[str, Any], bool]:
    params = dict(call.params)
    for key in ("blocks", "view"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    if "view" in params:
        return params["view"], True
    return params, False


def problems_of(payload: dict[str, Any], directory: Directory, *, view: bool) -> list[str]:
    """Block Kit violations and unescaped mentions in one message or view (as Slack receives it)."""
    sent = json.loads(json.dumps(payload))
    problems = view_violations(sent) if view else message_violations(sent)
    return problems + directory.mention_problems(list(mrkdwn_texts(sent)))


def _error_problems(errors: Any, allowed: frozenset[str]) -> list[str]:
    if not isinstance(errors, dict) or not errors:
        return [f"field errors are not a non-empty object: {errors!r}"]
    problems = []
    for block, message in errors.items():
        if block not in allowed:
            problems.append(f"field error on {block!r}, not an input block of the form")
        if not isinstance(message, str) or not message.strip():
            problems.append(f"field error on {block!r} is not a message: {message!r}")
    return problems


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def directory(on_postgres: Services) -> Directory:
    return collect_directory(on_postgres)


# -- tests -------------------------------------------------------------------------------------------


def test_every_interactive_id_is_fuzzed() -> None:
    """A new button, form or shortcut id fails here until the fuzz below sends it."""
    declared = {name: value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}
    buttons = {v for n, v in declared.items() if n.endswith(("_ACTION", "_ACTION_PREFIX"))}
    forms = {v for n, v in declared.items() if n.endswith("_MODAL")}
    shortcuts = {v for n, v in declared.items() if n.endswith("_SHORTCUT")}

    assert buttons == set(BUTTON_VALUES)
    assert forms == set(MODALS)
    assert shortcuts == set(SHORTCUTS)
    assert DIRECT_CASES + HTTP_CASES >= 10_000


def test_values_carried_in_buttons_and_forms_are_read_defensively() -> None:
    """What the fuzz found, pinned: ids the database cannot take, NUL behind JSON escapes, wrong types."""
    assert [row_id(v) for v in ("12", 12, "²", "٣", 2**31, "2147483648", -1, 0, True, 1.0, None)] == [
        12,
        12,
        *[None] * 9,
    ]
    assert parse_reminder_value('{"d": 2147483648, "m": "pcm-2"}') is None
    assert parse_reminder_value('{"d": Infinity, "m": "pcm-2"}') is None
    assert parse_reminder_value('{"d": 7, "m": "pcm-\\u00002"}') == (7, "pcm-2")
    assert parse_move_metadata("[" * 5000 + "]" * 5000) is None
    assert loads_clean('{"text": "a\\u0000b\\u0007c\\td"}') == {"text": "abc\td"}
    assert decode_ticket('{"e": "U02ECBANE", "q": "x\\u0000y"}') is not None
    assert opened_by({"opened_by": "U02ECBANE"}) is None  # type: ignore[arg-type]
    assert intro_id_of({"actions": [{"value": "²"}]}) is None
    # A form input of the wrong shape counts as not sent: the profile keeps that field.
    edit = parse_profile_submission({"title": "x", "discipline": {"discipline": {"value": 5}}})
    assert (edit.title, edit.discipline, edit.sector, edit.visibility) == (None, None, None, None)
    emptied = parse_profile_submission({"title": {"title": {"type": "plain_text_input", "value": None}}})
    assert emptied.title == ""


@pytest.mark.postgres
def test_hostile_interactions_over_signed_http_never_fail(
    pool: ServerPool,
    on_postgres: Services,
    directory: Directory,
    payloads: SlackPayloads,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    served = pool.start(on_postgres)
    cases = generate_http_cases(Interactions(payloads, Fuzz(SEED, directory)), HTTP_CASES)
    failures = Failures()
    by_token: dict[Any, Case] = {c.response_token: c for c in cases if c.response_token}
    by_trigger: dict[Any, Case] = {c.trigger_id: c for c in cases if c.trigger_id}
    by_marker: dict[Any, Case] = {_marker_of(c): c for c in cases}
    started = time.monotonic()
    for case in cases:
        reply = served.post(case.signed, settle=False)
        if reply.status >= 500 or (case.status is not None and reply.status != case.status):
            kind = f"HTTP {reply.status} (expected {case.status or 'no 5xx'}) for {case.surface}"
            failures.add(kind, f"{_short(reply.body.decode(errors='replace'))}: {case.summary}")
            continue
        if case.error_blocks is not None and reply.body:
            answer = reply.json()
            if answer.get("response_action") == "errors":
                for problem in _error_problems(answer.get("errors"), case.error_blocks):
                    failures.add(f"{case.surface}: {problem}", case.summary)
            else:
                failures.add(f"{case.surface}: unexpected ack", f"{_short(answer)}: {case.summary}")
    served.settle(timeout=120)
    elapsed = time.monotonic() - started

    # Every apology comes from an exception that reached the app's error handler (logged as "listener
    # failed") or from Bolt itself failing after the ack: each is a failure unless its case may fail.
    for record in caplog.records:
        if record.exc_info is None or record.exc_info[1] is None:
            continue
        error = record.exc_info[1]
        body = _body_in(record.exc_info[2])
        found = by_marker.get(body.get("fuzz_case")) if body else None
        if found is None or not found.may_apologise:
            detail = f"{type(error).__name__}: {_short(str(error), 200)}"
            failures.add(
                f"{type(error).__name__} at {_where(error)} ({record.getMessage()})",
                f"{detail}: {found.summary if found else _short(body or '(no body found)')}",
            )

    calls = [c for c in slack_api.calls() if c.method in SENT_METHODS]
    for call in calls:
        sent_for = by_token.get(call.params.get("_response_token"))
        sent_for = sent_for or by_trigger.get(call.params.get("trigger_id"))
        to = call.params.get("channel") or call.params.get("user_id")
        where = sent_for.summary if sent_for else f"(to {to})"
        surface = sent_for.surface if sent_for else "?"
        payload, is_view = _sent(call)
        # An apology in a DM or an ephemeral message cannot be traced to its case here; its exception
        # was (above).
        if APOLOGY in json.dumps(payload) and sent_for is not None and not sent_for.may_apologise:
            failures.add(f"{call.method} for {surface}: the error handler apologised", where)
        for problem in problems_of(payload, directory, view=is_view):
            failures.add(f"{call.method} for {surface}: {problem}", where)

    surfaces: dict[str, int] = {}
    for case in cases:
        family = case.surface.split("/")[0].split(",")[0]
        surfaces[family] = surfaces.get(family, 0) + 1
    assert not failures, f"{surfaces}\n{failures.report()}"
    assert len(cases) >= HTTP_CASES
    # The fuzz reached the listeners: answers through response_url, modals opened, forms confirmed.
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) > HTTP_CASES // 4
    assert slack_api.calls("views.open") and slack_api.calls("chat.postMessage")
    assert elapsed < 120, surfaces


# -- the direct path ---------------------------------------------------------------------------------


Check = Callable[[], list[str]]
Describe = Callable[[], str]


class Direct:
    """Calls what the form and reminder-button listeners call, and checks what they would send.

    Each method draws one input and returns its summary and a check to run (which returns problems).
    """

    def __init__(self, services: Services, directory: Directory, fuzz: Fuzz) -> None:
        self.s = services
        self.d = directory
        self.f = fuzz

    def _metadata(self, form: Form) -> tuple[Any, dict[str, Any]]:
        # Cleaned as the app's middleware cleans every string, then read as handlers.views reads it:
        # anything but a JSON object is no metadata.
        raw = self.f.metadata(form)
        raw = without_control_characters(raw) if isinstance(raw, str) else raw
        try:
            data = json.loads(raw) if isinstance(raw, str) else None
        except (ValueError, RecursionError):  # only profile and Move-date metadata are that deep
            data = None
        return raw, data if isinstance(data, dict) else {}

    def _values(self, form: Form) -> dict[str, Any]:
        values = self.f.state_values(form, typed=self.f.chance(0.7))
        clean_strings_in_place(values)  # as the app's middleware does before any listener
        return values

    def _submission(self, result: SubmissionResult, callback_id: str) -> list[str]:
        if result.errors:
            allowed = frozenset(b for v in self.d.forms[callback_id] for b in v.inputs)
            return _error_problems(result.errors, allowed)
        assert result.notice is not None
        return problems_of(result.notice.as_kwargs(), self.d, view=False)

    def project(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.PROJECT_MODAL])
        raw, metadata = self._metadata(form)
        values = self._values(form)
        user = self.f.user()

        def check() -> list[str]:
            result = submit_project(
                self.s.session_factory,
                self.s.settings,
                self.s.clock.now(),
                user_id=user,
                team_id=TEAM,
                values=values,
                metadata=metadata,
            )
            return self._submission(result, ids.PROJECT_MODAL)

        return lambda: f"{form.name} by {user}: metadata={_short(raw)} values={_short(values, 400)}", check

    def milestone(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.MILESTONE_MODAL])
        raw, metadata = self._metadata(form)
        values = self._values(form)
        user = self.f.user() if self.f.chance(0.5) else LEAD

        def check() -> list[str]:
            result = submit_milestone(
                self.s.session_factory,
                self.s.settings,
                self.s.clock.now(),
                user_id=user,
                team_id=TEAM,
                values=values,
                metadata=metadata,
            )
            return self._submission(result, ids.MILESTONE_MODAL)

        return lambda: f"{form.name} by {user}: metadata={_short(raw)} values={_short(values, 400)}", check

    def profile(self) -> tuple[Describe, Check]:
        form = self.d.forms[ids.PROFILE_MODAL][0]
        raw, _data = self._metadata(form)
        values = self._values(form)
        user = self.f.user()

        def check() -> list[str]:
            # As handlers.profiles does: parse, save the submitter's own profile, errors by block id.
            try:
                save_own_profile(
                    self.s.session_factory,
                    self.s.settings,
                    Requester(user, TEAM),
                    parse_profile_submission(values),
                    self.s.clock.now(),
                    opened_for=opened_by(raw if isinstance(raw, str) else ""),
                )
            except ProfileEditError as error:
                return _error_problems(field_errors(error.errors), frozenset(form.inputs))
            except UserFacingError as error:
                return [] if error.message.strip() else ["empty error message"]
            return []

        return lambda: f"profile by {user}: metadata={_short(raw)} values={_short(values, 400)}", check

    def move(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.REMINDER_MOVE_MODAL])
        raw, _data = self._metadata(form)
        values = self._values(form)
        target = parse_move_metadata(raw if isinstance(raw, str) else "")
        user = next((a for d, _r, a in self.d.deliveries if target and d == target.delivery_id), LEAD)
        user = user if self.f.chance(0.7) else self.f.user()

        def check() -> list[str]:
            if target is None:
                return []
            due = string_of(input_state(values, ids.DUE_INPUT)) or ""  # as handlers.reminders reads it
            click = ReminderClick(target.delivery_id, target.ref, user, TEAM)
            now = self.s.clock.now()
            return self._click(submit_move(self.s.session_factory, self.s.settings, now, click, due_text=due))

        return lambda: f"move by {user}: metadata={_short(raw)} values={_short(values)}", check

    def _click(self, result: ClickResult) -> list[str]:
        if result.denial is not None:
            return [] if result.denial.strip() else ["empty denial"]
        if result.reminder is None:
            return []
        reply = build_reminder_reply(result.reminder, note=result.note, closed=result.closed)
        return problems_of(reply.as_kwargs(), self.d, view=False)

    def reminder_button(self) -> tuple[Describe, Check]:
        value = self.f.button_value("reminder")
        _delivery, _ref, user = self.f.delivery()
        parsed = parse_reminder_value(value if isinstance(value, str) else "")
        if parsed is not None and self.f.chance(0.6):
            user = next((a for d, _r, a in self.d.deliveries if d == parsed[0]), user)
        press = self.f.rng.choice(["done", "snooze", "move"])
        option = self.f.rng.choice(list(SnoozeOption))

        def check() -> list[str]:
            if parsed is None:
                return []
            click = ReminderClick(parsed[0], parsed[1], user, TEAM)
            now = self.s.clock.now()
            if press == "done":
                return self._click(press_done(self.s.session_factory, self.s.settings, now, click))
            if press == "snooze":
                return self._click(press_snooze(self.s.session_factory, self.s.settings, now, click, option))
            form = open_move(self.s.session_factory, self.s.settings, now, click)
            if form.reminder is None:
                return [] if (form.denial or "").strip() else ["no reminder and no denial"]
            target = MoveTarget(click.delivery_id, click.ref, "C1PCM", "1.000001")
            return problems_of(build_move_modal(form.reminder, target), self.d, view=True)

        return lambda: f"reminder {press} by {user}: value={_short(value)}", check

    def confirm_move(self) -> tuple[Describe, Check]:
        value = self.f.button_value("move")
        user = LEAD if self.f.chance(0.5) else self.f.user()

        def check() -> list[str]:
            request = CommandRequest(self.s.settings.commands.milestone, "", user, TEAM, "C1BIDSHADE")
            now = self.s.clock.now()
            outcome = execute_confirmed_move(
                self.s.session_factory, self.s.settings, now, request, str(value)
            )
            assert outcome.reply is not None
            return problems_of(outcome.reply.as_kwargs(), self.d, view=False)

        return lambda: f"confirm_move by {user}: value={_short(value)}", check

    def undo(self) -> tuple[Describe, Check]:
        action = self.f.rng.choice([ids.UNDO_MILESTONE_DELETE_ACTION, ids.UNDO_BLOCKER_DELETE_ACTION])
        value = self.f.button_value("row")
        user = LEAD if self.f.chance(0.4) else self.f.user()

        def check() -> list[str]:
            # As handlers.actions reads it: the value as a string.
            done = execute_undo_delete(
                self.s.session_factory,
                self.s.settings,
                self.s.clock.now(),
                Requester(user, TEAM),
                action_id=action,
                value=str(value or ""),
            )
            return problems_of(done.reply.as_kwargs(), self.d, view=False)

        return lambda: f"{action} by {user}: value={_short(value)}", check

    def dependants(self) -> tuple[Describe, Check]:
        value = self.f.button_value("dependants")
        user = LEAD if self.f.chance(0.5) else self.f.user()

        def check() -> list[str]:
            now = self.s.clock.now()
            reply, _homes, _failed = execute_move_dependants(
                self.s.session_factory, self.s.settings, now, Requester(user, TEAM), str(value or "")
            )
            return problems_of(reply.as_kwargs(), self.d, view=False)

        return lambda: f"move dependants by {user}: value={_short(value)}", check

    def take_over(self) -> tuple[Describe, Check]:
        value = self.f.button_value("take_over")
        user = LEAD if self.f.chance(0.4) else self.f.user()

        def check() -> list[str]:
            target = read_take_over(str(value or ""))  # as handlers.lead_view reads it
            if target is None:
                return []
            now = self.s.clock.now()
            try:
                with self.s.session_factory.begin() as session:
                    actor = act_as(session, self.s.settings, Requester(user, TEAM))
                    taken = take_over_milestones(
                        session, actor, target[0], target[1], now, reminders=self.s.settings.reminder_policy
                    )
                    zone = actor.zone
            except UserFacingError as error:
                return [] if error.message.strip() else ["empty error message"]
            problems = problems_of(build_take_over_reply(taken, zone, now).as_kwargs(), self.d, view=False)
            by = next((a.by for a in taken.assignments), None)
            for message in take_over_messages(taken, by) if by is not None else ():
                problems += problems_of(message.reply.as_kwargs(), self.d, view=False)
            return problems

        return lambda: f"take over by {user}: value={_short(value)}", check

    def home_move(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.HOME_MOVE_MODAL])
        raw, _data = self._metadata(form)
        values = self._values(form)
        user = LEAD if self.f.chance(0.6) else self.f.user()

        def check() -> list[str]:
            # As handlers.lead_view does: the metadata's ref, the typed date, moved as the submitter.
            ref = read_home_move_metadata(raw)
            if ref is None:
                return []
            text = string_of(input_state(values, ids.DUE_INPUT)) or ""
            try:
                with self.s.session_factory.begin() as session:
                    actor = act_as(session, self.s.settings, Requester(user, TEAM))
                    now = self.s.clock.now()
                    move_from_home(session, actor, ref, text, now, reminders=self.s.settings.reminder_policy)
            except UserFacingError as error:
                return _error_problems({ids.DUE_INPUT: error.message}, frozenset(form.inputs))
            return []

        return lambda: f"{form.name} by {user}: metadata={_short(raw)} values={_short(values)}", check

    def until(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.PROFILE_UNTIL_MODAL])
        raw, _data = self._metadata(form)
        values = self._values(form)
        user = ADMIN if self.f.chance(0.6) else self.f.user()

        def check() -> list[str]:
            # As handlers.profiles does: parse the form, save, confirm to the admin and the person.
            parsed = parse_until_submission({"private_metadata": raw, "state": {"values": values}})
            if parsed is None:
                return []
            try:
                change = save_end_date(
                    self.s.session_factory,
                    self.s.settings,
                    Requester(user, TEAM),
                    *parsed,
                    self.s.clock.now(),
                )
            except UserFacingError as error:
                return _error_problems({ids.UNTIL_INPUT: error.message}, frozenset(form.inputs))
            replies = [build_until_saved_reply(change), build_until_saved_reply(change, by=user)]
            return [p for reply in replies for p in problems_of(reply.as_kwargs(), self.d, view=False)]

        return lambda: f"{form.name} by {user}: metadata={_short(raw)} values={_short(values)}", check


def _body_in(trace: TracebackType | None) -> dict[str, Any] | None:
    """The Slack request body a failed listener (or Bolt) was working on, from its traceback's frames."""
    for frame, _line in traceback.walk_tb(trace):
        for name in ("body", "req", "request"):
            found = frame.f_locals.get(name)
            found = getattr(found, "body", found)
            if isinstance(found, dict) and "fuzz_case" in found:
                return found
    return None


def _where(error: BaseException) -> str:
    """The innermost frame of Liaison's own code in a traceback (file:line function)."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if "/bot/" in f.filename or "/handlers/" in f.filename] or frames
    frame = own[-1]
    return f"{frame.filename.split('/main/')[-1]}:{frame.lineno} {frame.name}"


class Parsers:
    """The validation the form and button listeners start with, called directly: no database, so cheap.

    Each method draws one input and returns its summary and a check (parsing must never raise, and what
    it returns must have the types the code behind it expects).
    """

    def __init__(self, services: Services, directory: Directory, fuzz: Fuzz) -> None:
        self.now = services.clock.now()
        self.zone = services.settings.zone
        self.d = directory
        self.f = fuzz
        self.direct = Direct(services, directory, fuzz)

    def _due(self, text: str) -> list[str]:
        try:
            due = parse_due(text, now=self.now, zone=self.zone)
        except DateParseError as error:
            return [] if str(error).strip() else ["a date error without a message"]
        return [] if due.instant.tzinfo is not None else [f"naive instant from {text!r}"]

    def project(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.PROJECT_MODAL])
        raw, metadata = self.direct._metadata(form)
        values = self.direct._values(form)

        def check() -> list[str]:
            try:
                draft = parse_project_submission(values, _cleaned(metadata), None)
            except InvalidInput as error:  # a status not offered: shown next to the field
                return [] if error.message.strip() else ["an error without a message"]
            problems = validate_draft(draft)
            strings = [draft.key, draft.name, draft.description, draft.lead_slack_id, *draft.member_slack_ids]
            typed = all(isinstance(text, str) for text in strings)
            return ([] if typed else [f"not strings: {draft}"]) + [
                f"problem with {field!r} not a message" for field, text in problems.items() if not text
            ]

        return lambda: f"parse {form.name}: metadata={_short(raw)} values={_short(values, 400)}", check

    def milestone(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.MILESTONE_MODAL])
        raw, metadata = self.direct._metadata(form)
        values = self.direct._values(form)

        def check() -> list[str]:
            submission = parse_milestone_submission(values, _cleaned(metadata))
            return self._due(submission.due_text)

        return lambda: f"parse {form.name}: metadata={_short(raw)} values={_short(values, 400)}", check

    def profile(self) -> tuple[Describe, Check]:
        form = self.d.forms[ids.PROFILE_MODAL][0]
        raw, _data = self.direct._metadata(form)
        values = self.direct._values(form)

        def check() -> list[str]:
            edit = parse_profile_submission(values)
            opened_by(raw)
            texts = [edit.title, edit.discipline, edit.organisation, edit.sector, edit.expertise]
            texts += [edit.publications, edit.visibility, edit.weekly_request_cap]
            problems = [f"not a string: {t!r}" for t in texts if t is not None and not isinstance(t, str)]
            if edit.publications is not None:
                parse_publication_titles(edit.publications)
            return problems

        return lambda: f"parse profile: metadata={_short(raw)} values={_short(values, 400)}", check

    def move(self) -> tuple[Describe, Check]:
        form = self.f.rng.choice(self.d.forms[ids.REMINDER_MOVE_MODAL])
        raw, _data = self.direct._metadata(form)
        values = self.direct._values(form)

        def check() -> list[str]:
            target = parse_move_metadata(raw)
            if target is not None and not (0 < target.delivery_id < 2**31 and isinstance(target.ref, str)):
                return [f"not a target: {target}"]
            return self._due(string_of(input_state(values, ids.DUE_INPUT)) or "")

        return lambda: f"parse move: metadata={_short(raw)} values={_short(values)}", check

    def forms(self) -> tuple[Describe, Check]:
        """The App Home's Move-date form and the admin's "Set last day" form, as their listeners read them."""
        form = self.f.rng.choice(self.d.forms[ids.HOME_MOVE_MODAL] + self.d.forms[ids.PROFILE_UNTIL_MODAL])
        raw, _data = self.direct._metadata(form)
        values = self.direct._values(form)

        def check() -> list[str]:
            if form.callback_id == ids.HOME_MOVE_MODAL:
                ref = read_home_move_metadata(raw)
                ok = ref is None or (isinstance(ref, str) and "\x00" not in ref)
                return ([] if ok else [f"not a ref: {ref!r}"]) + self._due(
                    string_of(input_state(values, ids.DUE_INPUT)) or ""
                )
            parsed = parse_until_submission({"private_metadata": raw, "state": {"values": values}})
            ok = parsed is None or all(isinstance(p, str) and "\x00" not in p for p in parsed)
            return [] if ok else [f"not (person, day): {parsed!r}"]

        return lambda: f"parse {form.name}: metadata={_short(raw)} values={_short(values)}", check

    def buttons(self) -> tuple[Describe, Check]:
        kind = self.f.rng.choice(["reminder", "ticket", "intro", "command", "take_over", "row"])
        value = self.f.button_value(kind)
        text = value if isinstance(value, str) else json.dumps(value)

        def check() -> list[str]:
            if kind == "reminder":
                parsed = parse_reminder_value(text)
                ok = parsed is None or (0 < parsed[0] < 2**31 and "\x00" not in parsed[1])
            elif kind == "ticket":
                ticket = decode_ticket(text)
                ok = ticket is None or "\x00" not in ticket.subject + ticket.expert_slack_id
            elif kind in ("intro", "row"):
                number = row_id(text)
                ok = number is None or 0 < number < 2**31
            elif kind == "take_over":
                target = read_take_over(text)
                ok = target is None or "\x00" not in target[0] + target[1]
            else:  # as handlers.actions reads a command button
                try:
                    choice = loads_clean(text)
                    ok = "\x00" not in str(choice["command"]) + str(choice["text"])
                except (ValueError, KeyError, TypeError):
                    ok = True
            return [] if ok else ["parsed into something the database cannot take"]

        return lambda: f"parse {kind} button: value={_short(value)}", check


def _cleaned(metadata: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(metadata))
    clean_strings_in_place(copy)  # as bot.slack.submissions does before parsing
    return copy


# Full submissions and clicks on PostgreSQL, and the cheap parsing in front of them.
DIRECT_WEIGHTS = {"project": 22, "milestone": 20, "profile": 16, "move": 8, "reminder_button": 10}
DIRECT_WEIGHTS |= {"confirm_move": 7, "undo": 4, "dependants": 4, "take_over": 3, "home_move": 4, "until": 2}
PARSE_WEIGHTS = {"project": 23, "milestone": 18, "profile": 22, "move": 9, "forms": 8, "buttons": 20}


def _run(
    runners: dict[str, Callable[[], tuple[Describe, Check]]],
    weights: dict[str, int],
    count: int,
    rng: random.Random,
    failures: Failures,
    prefix: str,
) -> dict[str, int]:
    counts = dict.fromkeys(weights, 0)
    for _ in range(count):
        name = rng.choices(list(weights), list(weights.values()))[0]
        counts[name] += 1
        describe, check = runners[name]()
        try:
            problems = check()
        except Exception as error:  # what the user would see as an apology (a 500 for a form)
            kind = f"{type(error).__name__} at {_where(error)}"
            failures.add(kind, f"{type(error).__name__}: {_short(str(error), 200)}: {describe()}")
            continue
        for problem in problems:
            failures.add(f"{prefix}{name}: {problem}", f"{problem}: {describe()}")
    return counts


@pytest.mark.postgres
def test_ten_thousand_interactions_render_safely(on_postgres: Services, directory: Directory) -> None:
    fuzz = Fuzz(SEED + 1, directory)
    direct, parsers = Direct(on_postgres, directory, fuzz), Parsers(on_postgres, directory, fuzz)
    rng = random.Random(SEED + 2)
    failures = Failures()

    submitted = _run(
        {name: getattr(direct, name) for name in DIRECT_WEIGHTS}, DIRECT_WEIGHTS, DB_CASES, rng, failures, ""
    )
    parsed = _run(
        {name: getattr(parsers, name) for name in PARSE_WEIGHTS},
        PARSE_WEIGHTS,
        PARSE_CASES,
        rng,
        failures,
        "parse ",
    )

    assert not failures, f"on PostgreSQL {submitted}, parsed {parsed}\n{failures.report()}"
    assert sum(submitted.values()) + sum(parsed.values()) == DIRECT_CASES
