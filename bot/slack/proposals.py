"""Acting by conversation: a change asked for in a DM, @mention or assistant thread, always confirmed.

`answer_change_request` is called first by `bot.slack.answer_publisher.post_answer`: a message that
reads as a change request (`bot.proposals.requests`) is answered here with what Liaison understood and
Confirm / Cancel buttons (or, when it cannot be proposed, a clear sentence and no buttons); every other
message goes on to the question answerer untouched. `execute_decision` carries out a press of those
buttons for `handlers.proposals`.

Where the proposal shows: in a DM (the assistant's threads are DMs too) as a message; in a channel as
a reply in the thread, visible to the channel unless it names a private project (then, like answers,
to the asker alone); a refusal in a channel only ever to the asker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import Requester, act_as
from bot.conversations.followups import point_at_record, pointer_in
from bot.conversations.memory import load_turn
from bot.domain.dates import format_local
from bot.errors import UserFacingError
from bot.projects.people import is_slack_user_id
from bot.projects.project import affected_users
from bot.proposals.decisions import Decision, Verdict, cancel_proposal, confirm_proposal
from bot.proposals.offers import describe_refusal, make_offer
from bot.proposals.requests import ChangeKind, ChangeRequest, read_change_request
from bot.questions.answers.directory import load_directory
from bot.questions.interpret import index_directory
from bot.services import Services
from bot.slack import blocks as kit
from bot.slack import proposal_blocks as pb
from bot.slack.commands import CommandOutcome
from bot.slack.handover import assignment_messages, assignment_reply
from bot.slack.milestone_details import build_moved_reply
from bot.slack.questions import Question, QuestionOutcome, conversation_key

logger = logging.getLogger(__name__)

# A stand-in record ref: it reads as a ref wherever a milestone's would (`bot.proposals.requests`).
_ANY_REF = "x-1"


def _pointed_change_request(services: Services, question: Question) -> ChangeRequest | None:
    """A change request that points at a record of the previous answer: "mark it done", "move the
    second one to friday" (`bot.conversations.followups.point_at_record`)."""
    text = question.text
    pointer = pointer_in(text)
    # Only a message that reads as a change request once the pointer is a record is worth the
    # conversation's lookup ("what's next for this project?" is a question): most messages read nothing.
    probe = None if pointer is None else f"{text[: pointer.start()]}{_ANY_REF}{text[pointer.end() :]}"
    if probe is None or read_change_request(probe, bot_user_id=question.bot_user_id) is None:
        return None
    now = services.clock.now()
    with services.session_factory() as session:
        actor = act_as(
            session, services.settings, Requester(user_id=question.user_id, team_id=question.team_id)
        )
        key = conversation_key(question, actor)
        previous = load_turn(session, key, now) if key is not None else None
        if previous is None:
            return None
        pointed = point_at_record(question.text, previous, index_directory(load_directory(session, actor)))
    if pointed is None:
        return None
    return read_change_request(pointed[0], bot_user_id=question.bot_user_id)


def answer_change_request(
    client: WebClient, services: Services, question: Question, *, reply_thread_ts: str | None
) -> QuestionOutcome | None:
    """Answer a message that asks for a change with a proposal to confirm; None for anything else.

    Args:
        client: The Web API client.
        services: Shared dependencies.
        question: The message, as the question answerer would have taken it.
        reply_thread_ts: The thread to answer in.

    Returns:
        What was posted (a proposal or a refusal), or None when the message is not a change request
        (nothing was posted; answer it as a question).
    """
    request = read_change_request(question.text, bot_user_id=question.bot_user_id)
    if request is None:
        request = _pointed_change_request(services, question)
    if request is None:
        return None
    settings = services.settings
    try:
        with services.session_factory.begin() as session:
            actor = act_as(session, settings, Requester(user_id=question.user_id, team_id=question.team_id))
            offer = make_offer(
                session, actor, request, services.clock.now(), reminders=settings.reminder_policy
            )
            reply, private, refused = pb.build_offer_reply(offer), offer.private, False
    except UserFacingError as error:
        reply, private, refused = pb.build_refusal_reply(describe_refusal(error)), True, True
    channel = question.channel_id or question.user_id
    kwargs = reply.as_kwargs()
    if (private or refused) and not str(channel).startswith("D"):
        client.chat_postEphemeral(channel=channel, user=question.user_id, thread_ts=reply_thread_ts, **kwargs)
    else:
        client.chat_postMessage(channel=channel, thread_ts=reply_thread_ts, **kwargs)
    logger.info(
        "change request %s on %s: %s", request.kind, request.target, "refused" if refused else "offered"
    )
    return QuestionOutcome(reply=reply, private=private)


@dataclass(frozen=True)
class DecisionOutcome:
    """What a press of Confirm or Cancel shows.

    Attributes:
        outcome: The reply, DMs and App Homes to republish, as a command's.
        replace_original: The reply replaces the proposal (done, cancelled, asked again); otherwise
            it is shown to the presser alone and the proposal stays as it is.
    """

    outcome: CommandOutcome
    replace_original: bool


def execute_decision(
    services: Services, requester: Requester, token: str, *, confirm: bool
) -> DecisionOutcome:
    """Confirm or cancel a proposal as whoever pressed the button, in one transaction.

    A refusal by the feature function (the permission is checked again) rolls everything back,
    the proposal included, and is shown to the presser alone.
    """
    settings = services.settings
    now = services.clock.now()
    try:
        with services.session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            if confirm:
                decision = confirm_proposal(session, actor, token, now, reminders=settings.reminder_policy)
            else:
                decision = cancel_proposal(session, actor, token, now)
            return _render(session, services, decision, actor.zone)
    except UserFacingError as error:
        return DecisionOutcome(
            CommandOutcome(reply=kit.build_error_reply(error.message), is_error=True), False
        )


def _render(session: Session, services: Services, decision: Decision, zone: ZoneInfo) -> DecisionOutcome:
    verdict = decision.verdict
    if verdict == Verdict.APPLIED:
        return DecisionOutcome(_applied(session, services, decision, zone), True)
    if verdict == Verdict.ASKED_AGAIN and decision.offer is not None:
        return DecisionOutcome(CommandOutcome(reply=pb.build_offer_reply(decision.offer)), True)
    if verdict == Verdict.NO_LONGER_POSSIBLE:
        message = f"This changed since you asked, so nothing was changed: {decision.message}"
        return DecisionOutcome(CommandOutcome(reply=kit.build_error_reply(message), is_error=True), True)
    if verdict == Verdict.CANCELLED:
        return DecisionOutcome(CommandOutcome(reply=kit.build_notice_reply(pb.CANCELLED)), True)
    if verdict == Verdict.NOT_YOURS:
        requester = decision.requester if is_slack_user_id(decision.requester) else None
        text = pb.NOT_YOURS.format(requester=requester) if requester else pb.OUT_OF_DATE
        # The fallback is escaped (`Reply.as_kwargs`), so the mention is only in the block.
        reply = kit.Reply(text=pb.NOT_YOURS_FALLBACK, blocks=[kit.section(f":no_entry_sign: {text}")])
        return DecisionOutcome(CommandOutcome(reply=reply, is_error=True), False)
    message = {
        Verdict.ALREADY_CONFIRMED: pb.ALREADY_CONFIRMED,
        Verdict.ALREADY_CANCELLED: pb.ALREADY_CANCELLED,
        Verdict.EXPIRED: pb.EXPIRED,
    }.get(verdict, pb.OUT_OF_DATE)
    # An expired proposal's buttons go: pressing them again could only say the same.
    return DecisionOutcome(CommandOutcome(reply=kit.build_notice_reply(message)), verdict == Verdict.EXPIRED)


def _applied(session: Session, services: Services, decision: Decision, zone: ZoneInfo) -> CommandOutcome:
    now = services.clock.now()
    settings = services.settings
    if decision.kind == ChangeKind.ASSIGN and decision.assignment is not None:
        assignment = decision.assignment
        messages = assignment_messages(assignment, fallback_zone=settings.zone, now=now)
        return CommandOutcome(
            reply=assignment_reply(assignment), refresh_homes=assignment.affected, messages=messages
        )
    if decision.kind == ChangeKind.BLOCKER and decision.blocker is not None:
        blocker = decision.blocker
        ref = f"{blocker.project.key}-b{blocker.number}"
        reply = pb.build_blocker_raised_reply(ref, blocker.project.name, blocker.text)
        return CommandOutcome(reply=reply, refresh_homes=frozenset(affected_users(blocker.project)))
    milestone = decision.milestone
    assert milestone is not None
    ref = f"{milestone.project.key}-{milestone.number}"
    if decision.kind == ChangeKind.MOVE and decision.previous_due is not None:
        local_text = format_local(milestone.due_at, zone)
        reply = build_moved_reply(session, milestone, local_text, decision.previous_due, zone, now)
        return CommandOutcome(reply=reply, refresh_homes=frozenset(affected_users(milestone.project)))
    if decision.kind == ChangeKind.REMIND and decision.remind_at is not None:
        return CommandOutcome(
            reply=pb.build_reminder_planned_reply(ref, milestone.title, decision.remind_at, zone)
        )
    homes = frozenset(affected_users(milestone.project)) if decision.changed else frozenset()
    return CommandOutcome(
        reply=pb.build_marked_done_reply(ref, milestone.title, changed=decision.changed), refresh_homes=homes
    )
