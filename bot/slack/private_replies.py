"""Answering whoever clicked, privately, wherever Slack gives Liaison a way to.

Buttons on messages and message shortcuts come with a `response_url`, which Bolt's `respond` posts to.
Buttons in the App Home or in a modal (Liaison shows some replies in one, `handlers.actions`) come
without: there `respond` raises ValueError, and a listener calling it would end in the error handler's
apology. `responder` gives listeners one callable for both: `respond` itself, or a stand-in with the
same keyword arguments that posts in the app's DM with the user, as the form handlers confirm a
submission.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient

from bot.slack.requesters import requester_of

# Bolt's `Respond`, or `DirectMessage`: called with `text`, `blocks` and `respond`'s other keywords.
Responder = Callable[..., Any]


def responder(body: dict[str, Any], respond: Responder | None, client: WebClient) -> Responder:
    """`respond` when the request has a `response_url`; else a `DirectMessage` to the user behind it."""
    url = body.get("response_url")
    if respond is not None and isinstance(url, str) and url:
        return respond
    return DirectMessage(client, requester_of(body).user_id)


class DirectMessage:
    """Posts what `respond` would have shown in the app's DM with the user.

    A DM is private and new, so `response_type` and `replace_original` mean nothing there; a call with
    nothing to show (`delete_original` alone) posts nothing, and so does one without a user to post to.
    """

    def __init__(self, client: WebClient, user_id: str) -> None:
        self._client = client
        self._user_id = user_id

    def __call__(
        self, text: str = "", blocks: Sequence[dict[str, Any]] | None = None, **_ignored: Any
    ) -> None:
        """Post `text` (the notification and fallback) and `blocks`, if there is anything to post."""
        if not self._user_id or not (text or blocks):
            return
        self._client.chat_postMessage(channel=self._user_id, text=text, blocks=blocks)
