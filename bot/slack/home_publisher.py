"""Publishes App Home tabs (a Slack call, so it lives with the other Slack adapters)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import load_actor, resolve_workspace
from bot.agreements.records import my_agreements
from bot.errors import NotSetUp
from bot.projects.home import home_report
from bot.publications.questions import my_papers
from bot.services import Services
from bot.slack.agreement_blocks import with_agreements
from bot.slack.home import build_home_view
from bot.slack.paper_blocks import with_papers

logger = logging.getLogger(__name__)


def publish_homes(client: WebClient, services: Services, team_id: str | None, user_ids: Iterable[str]) -> int:
    """Republish the Home tab of each user (after a change that affects them).

    A failure for one user is logged and does not stop the others.

    Returns:
        How many homes were published.
    """
    published = 0
    now = services.clock.now()
    for user_id in sorted(set(user_ids)):
        try:
            with services.session_factory() as session:
                try:
                    workspace = resolve_workspace(session, team_id)
                except NotSetUp:
                    return published
                actor = load_actor(
                    session,
                    workspace,
                    user_id,
                    admins=services.settings.admins,
                    fallback_zone=services.settings.default_timezone,
                )
                settings = services.settings
                view = build_home_view(
                    home_report(session, actor, now, notice_days=settings.handover_notice_days),
                    actor.zone,
                    now,
                    user_id,
                    settings.commands.project,
                    settings.commands.milestone,
                )
                today = now.astimezone(actor.zone).date()
                view = with_agreements(view, my_agreements(session, actor), today)  # bot.agreements
                view = with_papers(view, my_papers(session, actor, now), actor.zone, now)  # bot.publications
            client.views_publish(user_id=user_id, view=view)
            published += 1
        except SlackApiError as error:
            logger.warning("views.publish failed for %s: %s", user_id, error.response.get("error"))
        except OSError as error:  # connection failures left after the client's retries
            logger.warning("views.publish failed for %s: %s", user_id, error)
    return published
