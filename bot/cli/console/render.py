"""Turns recorded Slack Web API calls into readable console text.

Buttons are numbered as they are printed so the console can press them (`:click 2`); modals are
remembered so the console can submit them (`:submit title="…" due="…"`).
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.cli.console.conversation import CONSOLE_CHANNEL
from bot.cli.console.fake_slack import RecordedCall
from bot.cli.console.fake_slack_http import RESPONSE_URL_METHOD
from bot.slack.feed_blocks import FEED_EVENT_TYPE

# Reads (and opening a DM) change nothing anyone sees.
SILENT_METHODS = {
    "auth.test",
    "users.info",
    "conversations.open",
    "conversations.info",
    "conversations.history",
    "conversations.replies",
}
# Slack's angle-bracket markup: <@U1>, <#C1|name>, <!here>, <!date^…|fallback>, <https://x|label>.
_MARKUP = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class ClickTarget:
    """A button printed on screen."""

    number: int
    label: str
    action_id: str
    value: str
    block_id: str
    surface: str  # "message" | "home" | "modal" | "prompt" (an assistant thread's suggested prompt)
    channel_id: str | None
    message_ts: str | None
    response_url: str | None
    view: dict[str, Any] | None


def _no_name(_channel: str) -> str | None:
    return None


def _no_members(_channel: str) -> tuple[str, ...]:
    return ()


def _no_thread(_channel: str, _ts: str) -> bool:
    return False


@dataclass(frozen=True)
class Destinations:
    """What the renderer asks to say where a post went.

    Attributes:
        channel_name: A channel's name (`#pcm`), if known.
        group_members: The people of a group DM (`G…`), if it is one.
        is_assistant_thread: Whether (channel, thread ts) is an assistant thread.
        response_channel: The conversation a `response_url` token answers in.
    """

    channel_name: Callable[[str], str | None] = _no_name
    group_members: Callable[[str], tuple[str, ...]] = _no_members
    is_assistant_thread: Callable[[str, str], bool] = _no_thread
    response_channel: Callable[[str], str | None] = _no_name


@dataclass
class ScreenState:
    """What the console remembers of the screen: buttons to click and the open modal."""

    buttons: list[ClickTarget] = field(default_factory=list)
    open_modal: dict[str, Any] | None = None


def plain_mrkdwn(text: str, name_of: Callable[[str], str]) -> str:
    """Mrkdwn to terminal text: mentions become @Name / #channel, links `label (url)`, entities are
    unescaped (after the markup is replaced, so an escaped `&lt;@U1&gt;` stays literal text)."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + name_of(target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!date^"):
            return label or target  # Slack shows the fallback where it cannot format the date
        if target.startswith("!"):
            # <!here>, <!channel>, <!subteam^S1|@team> as Slack would render them.
            return "@" + (label or target[1:]).lstrip("@")
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_MARKUP.sub(replace, text))


class CallRenderer:
    """Formats calls; keeps `ScreenState` current.

    `viewer` gives the user the console acts as: only their App Home is shown in full (with buttons),
    because nobody can see, let alone press buttons on, someone else's Home.
    """

    def __init__(
        self,
        name_of: Callable[[str], str],
        viewer: Callable[[], str] | None = None,
        destinations: Destinations | None = None,
    ) -> None:
        self._name_of = name_of
        self._viewer = viewer
        self._destinations = destinations or Destinations()
        self.state = ScreenState()

    def render_ack(self, body: str) -> str | None:
        """What Slack shows for an ack with a body: a form's field errors, or the form it replaces."""
        try:
            data = json.loads(body)
        except ValueError:
            return f"── Liaison: {body}"
        if not isinstance(data, dict):
            return None
        action = data.get("response_action")
        if action == "errors":
            return "── The form was not accepted:\n" + "\n".join(
                f"   {field}: {message}" for field, message in data.get("errors", {}).items()
            )
        if action in ("update", "push") and isinstance(data.get("view"), dict):
            # The ack replaces (or stacks) the form in place; show it like a views.update.
            return self.render(RecordedCall("views." + action, {"view": data["view"]}, None, time.time()))
        return None

    def conversation(self, channel: str) -> str:
        """A conversation in words: `#C1PCM`, `DM to @Name`, `group DM with @A, @B`."""
        if channel.startswith(("U", "W", "D")):
            return f"DM to @{self._name_of(channel)}"
        members = self._destinations.group_members(channel)
        if members:
            return "group DM with " + ", ".join(f"@{self._name_of(m)}" for m in members)
        return f"#{channel}"

    def _named(self, channel: str) -> str:
        """` · #pcm` after a channel id whose name is known (the id comes first, as scripts read it)."""
        name = self._destinations.channel_name(channel)
        return f" · {name}" if name else ""

    def _thread(self, channel: str, thread_ts: Any) -> str:
        if not thread_ts:
            return ""
        ts = str(thread_ts)
        if self._destinations.is_assistant_thread(
            "D" + channel[1:] if channel.startswith("U") else channel, ts
        ):
            return f" (assistant thread {ts})"
        return f" (in thread {ts})"

    def render(self, call: RecordedCall) -> str | None:
        """Readable text for one call, or None for calls a user would not see."""
        method, params = call.method, call.params
        if method in SILENT_METHODS:
            return None
        if method == "chat.postMessage":
            channel = str(params.get("channel", ""))
            where = self.conversation(channel)
            thread = self._thread(channel, params.get("thread_ts"))
            feed = " (change feed)" if _event_type(params) == FEED_EVENT_TYPE else ""
            posted = (call.reply or {}).get("ts")
            # A top-level post's own ts is what a follow-up thread (:thread, --thread) is named by.
            ts = f" · ts {posted}" if posted and not thread else ""
            return self._message(
                f"Liaison → {where}{thread}{feed}{self._named(channel)}{ts}",
                params,
                "message",
                channel_id=channel,
                message_ts=str(posted) if posted else None,
            )
        if method == "chat.postEphemeral":
            channel = str(params.get("channel", ""))
            who = self._name_of(str(params.get("user", "")))
            where = (
                self.conversation(channel)
                + self._thread(channel, params.get("thread_ts"))
                + self._named(channel)
            )
            return self._message(
                f"Liaison → only @{who} sees this, in {where}", params, "message", channel_id=channel
            )
        if method == "chat.update":
            channel = str(params.get("channel", ""))
            where = self.conversation(channel) + self._named(channel)
            return self._message(
                f"Liaison updated a message in {where} (ts {params.get('ts')})",
                params,
                "message",
                channel_id=channel,
                message_ts=str(params.get("ts")),
            )
        if method == RESPONSE_URL_METHOD:
            if params.get("delete_original"):
                return "── Liaison removed its message"
            kind = "replaced its message" if params.get("replace_original") else "→ only you see this"
            if params.get("response_type") == "in_channel":
                kind = "→ channel"
            token = str(params.get("_response_token"))
            answered_in = self._destinations.response_channel(token)
            # The console's own channel goes unsaid (it is where commands go unless told otherwise).
            where = (
                f", in {self.conversation(answered_in)}{self._named(answered_in)}"
                if answered_in and answered_in != CONSOLE_CHANNEL
                else ""
            )
            return self._message(
                f"Liaison {kind}{where}",
                params,
                "message",
                channel_id=answered_in,
                response_url=f"/response/{token}",
            )
        if method.startswith("assistant.threads."):
            return self._assistant_call(method, params)
        if method in ("views.open", "views.push", "views.update"):
            view = params.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            self.state.open_modal = view
            title = (view.get("title") or {}).get("text", "")
            body = self._blocks(view.get("blocks") or [], "modal", view=view)
            hint = (
                "\n   (fill it in with :submit field=value …; fields: "
                + ", ".join(
                    b.get("block_id", "") for b in view.get("blocks") or [] if b.get("type") == "input"
                )
                + ")"
            )
            return f"── Liaison opened a form: {title}\n{body}" + (hint if view.get("submit") else "")
        if method == "views.publish":
            view = params.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            user_id = str(params.get("user_id", ""))
            who = self._name_of(user_id)
            if self._viewer is not None and user_id != self._viewer():
                return f"── App Home of @{who} updated"
            return f"── App Home of @{who} updated\n" + self._blocks(
                view.get("blocks") or [], "home", view=view
            )
        return f"── {method} {json.dumps(params, default=str)[:300]}"

    def _assistant_call(self, method: str, params: dict[str, Any]) -> str | None:
        """The assistant surface's calls: the thread's status, title and suggested prompts."""
        channel, thread_ts = str(params.get("channel_id", "")), str(params.get("thread_ts", ""))
        where = f"assistant thread {thread_ts}"
        if method == "assistant.threads.setStatus":
            status = str(params.get("status") or "")
            # An empty status clears it (Slack clears it on the reply too): nothing to see.
            return f"── Liaison's status: {status} ({where})" if status else None
        if method == "assistant.threads.setTitle":
            return f"── Liaison titled the {where}: {params.get('title', '')}"
        if method == "assistant.threads.setSuggestedPrompts":
            prompts = params.get("prompts") or []
            if isinstance(prompts, str):
                prompts = json.loads(prompts)
            title = params.get("title") or "Suggested prompts"
            buttons = []
            for prompt in prompts:
                number = len(self.state.buttons) + 1
                label = str(prompt.get("title", ""))
                self.state.buttons.append(
                    ClickTarget(
                        number,
                        label,
                        "",
                        str(prompt.get("message", "")),
                        "",
                        "prompt",
                        channel,
                        thread_ts,
                        None,
                        None,
                    )
                )
                buttons.append(f"[{number}: {label}]")
            return f"── Liaison suggests ({where}): {title}\n   " + "  ".join(buttons)
        return f"── {method} {json.dumps(params, default=str)[:300]}"

    def _message(
        self,
        title: str,
        params: dict[str, Any],
        surface: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        response_url: str | None = None,
    ) -> str:
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks:
            body = self._blocks(
                blocks, surface, channel_id=channel_id, message_ts=message_ts, response_url=response_url
            )
        else:
            body = "   " + plain_mrkdwn(str(params.get("text", "")), self._name_of).replace("\n", "\n   ")
        return f"── {title}\n{body}"

    def _blocks(
        self,
        blocks: list[dict[str, Any]],
        surface: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        response_url: str | None = None,
        view: dict[str, Any] | None = None,
    ) -> str:
        lines: list[str] = []

        def add_button(element: dict[str, Any], block_id: str) -> str:
            number = len(self.state.buttons) + 1
            label = (element.get("text") or {}).get("text", "")
            self.state.buttons.append(
                ClickTarget(
                    number,
                    label,
                    element.get("action_id", ""),
                    str(element.get("value", "")),
                    block_id,
                    surface,
                    channel_id,
                    message_ts,
                    response_url,
                    view,
                )
            )
            return f"[{number}: {label}]"

        for block in blocks:
            kind = block.get("type")
            block_id = str(block.get("block_id", "b"))
            if kind == "header":
                lines.append("   " + block["text"]["text"].upper())
            elif kind == "section":
                text = plain_mrkdwn((block.get("text") or {}).get("text", ""), self._name_of)
                for item in block.get("fields") or []:
                    text += ("\n" if text else "") + plain_mrkdwn(item.get("text", ""), self._name_of)
                accessory = block.get("accessory")
                if accessory and accessory.get("type") == "button":
                    text += "  " + add_button(accessory, block_id)
                lines.append("   " + text.replace("\n", "\n   "))
            elif kind == "context":
                texts = [plain_mrkdwn(e.get("text", ""), self._name_of) for e in block.get("elements", [])]
                lines.append("   · " + " ".join(texts))
            elif kind == "divider":
                lines.append("   " + "─" * 40)
            elif kind == "actions":
                lines.append(
                    "   "
                    + "  ".join(
                        add_button(e, block_id)
                        for e in block.get("elements", [])
                        if e.get("type") == "button"
                    )
                )
            elif kind == "input":
                optional = " (optional)" if block.get("optional") else ""
                lines.append(
                    f"   ▢ {block.get('block_id')}: {block['label']['text']}{optional}"
                    + _input_hint(block.get("element") or {})
                )
        return "\n".join(lines)


def _event_type(params: dict[str, Any]) -> str | None:
    """The message metadata's event type of a post (form-encoded calls carry the metadata as JSON)."""
    metadata = params.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    return str(metadata.get("event_type")) if isinstance(metadata, dict) else None


def _input_hint(element: dict[str, Any]) -> str:
    """What `:submit` accepts for an input: the option values of a select, people for a user picker."""
    kind = element.get("type")
    if kind in ("static_select", "checkboxes"):
        values = [str(o.get("value", "")) for o in element.get("options", [])]
        return " — one of: " + ", ".join(values) if kind == "static_select" else " — " + ", ".join(values)
    if kind == "users_select":
        return " — a person (id or name)"
    if kind == "multi_users_select":
        return " — people, comma-separated"
    if kind == "conversations_select":
        return " — a channel id"
    return ""
