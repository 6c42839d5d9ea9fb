"""The steps of an introduction, each followed by its undo when the message it needs cannot be sent.

Introductions never leave half a state behind: a request is recorded, then the expert is DMed; if that
DM fails the request is withdrawn and the requester told to try again. An acceptance is claimed, then
the group DM opened; if that fails the request goes back to pending and the expert is told to press
Accept again. Updating the expert's DM and telling a requester about a decline are courtesies: the
decision stands if they fail, and the failure is only logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester
from bot.clock import Clock
from bot.errors import UserFacingError
from bot.experts.intros.decisions import decide_intro, record_group, reopen_acceptance
from bot.experts.intros.messaging import DeliveryFailed, IntroMessenger, MessageRef
from bot.experts.intros.requests import record_expert_message, request_intro, withdraw_unsent
from bot.experts.intros.views import IntroCreation, IntroDecision, IntroTicket, IntroView
from bot.settings import Settings

logger = logging.getLogger(__name__)


class IntroNotDelivered(UserFacingError):
    """A message the introduction needed could not be sent; the step was undone and may be retried."""


@dataclass(frozen=True)
class IntroFlow:
    """Asking for, accepting and declining introductions, for one request at a time.

    Attributes:
        session_factory: The database.
        settings: Admins, the fallback zone and the default weekly cap.
        clock: The current instant, read at every step (a step may wait on Slack for seconds).
        messenger: Delivers the messages (`bot.slack.intro_messenger.SlackIntroMessenger`).
    """

    session_factory: sessionmaker[Session]
    settings: Settings
    clock: Clock
    messenger: IntroMessenger

    def ask(self, requester: Requester, ticket: IntroTicket) -> IntroCreation:
        """Record a request and DM the expert; a repeat finds the first request and sends nothing.

        Args:
            requester: Who clicked "Ask for an intro".
            ticket: What the button carried (checked again here).

        Returns:
            The request, and whether this click created it.

        Raises:
            UserFacingError: The request is not allowed (see `request_intro`), or the expert's DM
                failed (`IntroNotDelivered`; the request was withdrawn, so nothing counts).
        """
        creation = request_intro(
            self.session_factory, self.settings, self.clock.now(), requester=requester, ticket=ticket
        )
        if not creation.created:
            return creation
        intro = creation.intro
        try:
            posted = self.messenger.send_request(intro)
        except DeliveryFailed as failure:
            # Not sent (or, after a timeout, perhaps sent without us knowing): withdraw the request so
            # it neither counts against the expert's cap nor blocks asking again.
            logger.warning(
                "intro request %s: DM to %s failed: %s", intro.id, intro.expert.slack_id, failure.reason
            )
            withdraw_unsent(
                self.session_factory,
                self.settings,
                self.clock.now(),
                intro_id=intro.id,
                requester=requester,
                error=failure.reason,
            )
            raise IntroNotDelivered(
                f"I could not send your request to {intro.expert.name} just now ({failure.reason}), so "
                "nothing was sent or counted. Please try again in a moment."
            ) from None
        record_expert_message(self.session_factory, intro.id, channel=posted.channel, ts=posted.ts)
        return creation

    def accept(self, requester: Requester, intro_id: int, *, clicked: MessageRef | None) -> IntroDecision:
        """The expert's Accept: claim it, introduce both in a group DM, then show it in the expert's DM.

        Args:
            requester: Who clicked (only the expert may decide).
            intro_id: The request.
            clicked: The message the button was on (a part Slack did not send is ""), for a request
                whose DM was not recorded.

        Returns:
            The request after the click; `changed` is False for a repeat, which did nothing.

        Raises:
            UserFacingError: No such request, not the expert's to decide, or the group DM failed
                (`IntroNotDelivered`; the request is pending again, so Accept can be pressed again).
        """
        decision = decide_intro(
            self.session_factory,
            self.settings,
            self.clock.now(),
            requester=requester,
            intro_id=intro_id,
            accept=True,
        )
        if not decision.changed:
            return decision
        intro = decision.intro
        try:
            group = self.messenger.introduce(intro)
        except DeliveryFailed as failure:
            logger.warning("intro request %s: group DM failed: %s", intro.id, failure.reason)
            reopen_acceptance(
                self.session_factory,
                self.settings,
                self.clock.now(),
                intro_id=intro.id,
                requester=requester,
                error=failure.reason,
            )
            raise IntroNotDelivered(
                f"I could not open a group DM with you and {intro.requester.name} just now "
                f"({failure.reason}). The request is still open: please press Accept again in a moment."
            ) from None
        intro = record_group(
            self.session_factory,
            self.settings,
            self.clock.now(),
            intro_id=intro.id,
            team_id=requester.team_id,
            channel=group,
        )
        self._show_decision(intro, clicked)
        return IntroDecision(intro, changed=True)

    def decline(self, requester: Requester, intro_id: int, *, clicked: MessageRef | None) -> IntroDecision:
        """The expert's Decline: record it, show it in the expert's DM and tell the requester.

        Args:
            requester: Who clicked (only the expert may decide).
            intro_id: The request.
            clicked: The message the button was on (a part Slack did not send is ""), for a request
                whose DM was not recorded.

        Returns:
            The request after the click; `changed` is False for a repeat, which did nothing.

        Raises:
            UserFacingError: No such request, or not the expert's to decide.
        """
        decision = decide_intro(
            self.session_factory,
            self.settings,
            self.clock.now(),
            requester=requester,
            intro_id=intro_id,
            accept=False,
        )
        if not decision.changed:
            return decision
        self._show_decision(decision.intro, clicked)
        try:
            self.messenger.tell_declined(decision.intro)
        except DeliveryFailed as failure:
            # The decline is recorded; the requester sees it as "they declined" if they ask again.
            logger.warning("intro request %s: decline notice failed: %s", decision.intro.id, failure.reason)
        return decision

    def _show_decision(self, intro: IntroView, clicked: MessageRef | None) -> None:
        message = _expert_message(intro, clicked)
        if message is None:
            return
        try:
            self.messenger.show_decision(intro, message)
        except DeliveryFailed as failure:
            # The decision is recorded either way; a stale message only shows buttons that now answer
            # "already decided".
            logger.warning("could not update the DM of intro request %s: %s", intro.id, failure.reason)


def _expert_message(intro: IntroView, clicked: MessageRef | None) -> MessageRef | None:
    """The expert's request DM: as recorded when it was sent, else (part by part) the clicked message."""
    channel = intro.expert_channel or (clicked.channel if clicked is not None else None)
    ts = intro.expert_ts or (clicked.ts if clicked is not None else None)
    return MessageRef(channel, ts) if channel and ts else None
