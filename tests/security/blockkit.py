"""A Block Kit validator for tests: Slack's documented limits, and mentions that did not come from us.

`message_violations` checks what the bot passes to `chat.postMessage`, `chat.postEphemeral`, `respond()`
and `chat.update`; `view_violations` checks modals and App Home views. Both return human-readable
problems (empty when the payload is valid), so a fuzz run can report every failure with its input.

`mention_violations` finds Slack control sequences in mrkdwn that the bot did not build from known ids:
anything `<…>` other than `<@U…>` of a known person or `<#C…>` of a known project channel. User text is
escaped (`&lt;!channel&gt;`), so an unescaped `<!channel>`, `<!here>`, `<@U…>` or `<!subteam^…>` from
input shows up here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import Any

from bot.projects.milestone_details import link_problem

# Limits from Slack's Block Kit reference (docs.slack.dev/reference/block-kit).
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
SECTION_TEXT = 3000
SECTION_FIELDS = 10
SECTION_FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
ACTION_ID = 255
BLOCK_ID = 255
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
PLAIN_INPUT_MAX = 3000
VIEW_TITLE = 24
VIEW_BUTTON = 24
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30

_TOKEN = re.compile(r"<([^<>]*)>?")


def message_violations(message: dict[str, Any]) -> list[str]:
    """Problems with a message payload (`text`, `blocks`); empty when Slack would accept it."""
    problems: list[str] = []
    text = message.get("text")
    blocks = message.get("blocks") or []
    if not text and not blocks:
        problems.append("message has neither text nor blocks")
    if text is not None and not isinstance(text, str):
        problems.append("text is not a string")
    elif text and len(text) > MESSAGE_TEXT:
        problems.append(f"text has {len(text)} characters (max {MESSAGE_TEXT})")
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks (max {MESSAGE_BLOCKS})")
    problems += _blocks_violations(blocks, allow_input=False)
    return problems


def view_violations(view: dict[str, Any]) -> list[str]:
    """Problems with a modal or Home tab view; empty when Slack would accept it."""
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append(f"view type {kind!r}")
    blocks = view.get("blocks") or []
    if len(blocks) > VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks in a view (max {VIEW_BLOCKS})")
    if kind == "modal":
        problems += _text_object(view.get("title"), "title", VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                problems += _text_object(view[key], key, VIEW_BUTTON, plain_only=True)
        if any(b.get("type") == "input" for b in blocks) and "submit" not in view:
            problems.append("a modal with inputs needs a submit button")
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        problems.append("private_metadata over 3000 characters")
    if len(view.get("callback_id") or "") > CALLBACK_ID:
        problems.append("callback_id over 255 characters")
    problems += _blocks_violations(blocks, allow_input=True)
    return problems


def mrkdwn_texts(payload: dict[str, Any]) -> Iterator[str]:
    """Every string Slack parses as mrkdwn in a message or view: the fallback `text` and mrkdwn objects."""
    if isinstance(payload.get("text"), str):
        yield payload["text"]  # a message's fallback text is mrkdwn by default
    yield from _mrkdwn_in(payload.get("blocks") or [])


def mention_violations(
    texts: Collection[str] | Iterator[str], *, users: Collection[str], channels: Collection[str]
) -> list[str]:
    """Control sequences (`<…>`) in mrkdwn that are not mentions of known people or channels, nor links
    to an http(s) URL that Liaison's own link check accepts (`bot.projects.milestone_details.link_problem`:
    a milestone's links are shown as `<url|host>`)."""
    problems: list[str] = []
    for text in texts:
        for match in _TOKEN.finditer(text):
            inner = match.group(1)
            whole = match.group(0)
            if not whole.endswith(">"):
                problems.append(
                    f"stray '<' in mrkdwn: {text[max(0, match.start() - 20) : match.end() + 20]!r}"
                )
                continue
            if inner.startswith("@") and inner[1:] in users:
                continue
            if inner.startswith("#") and inner[1:] in channels:
                continue
            url, _, label = inner.partition("|")
            if link_problem(url) is None and "<" not in label and ">" not in label:
                continue
            problems.append(f"unescaped control sequence {whole[:80]!r}")
    return problems


# -- internals ------------------------------------------------------------------------------------


def _mrkdwn_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for key, item in value.items():
            if key != "text" or isinstance(item, dict | list):
                yield from _mrkdwn_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mrkdwn_in(item)


def _text_object(
    obj: Any, where: str, limit: int, *, plain_only: bool = False, required: bool = True
) -> list[str]:
    if obj is None:
        return [f"{where}: missing text"] if required else []
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{where}: not a text object: {obj!r:.80}"]
    if plain_only and obj["type"] != "plain_text":
        return [f"{where}: must be plain_text"]
    text = obj.get("text")
    if not isinstance(text, str):
        return [f"{where}: text is not a string"]
    problems = []
    if not text.strip():
        problems.append(f"{where}: empty text")
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} characters (max {limit})")
    return problems


def _blocks_violations(blocks: list[dict[str, Any]], *, allow_input: bool) -> list[str]:
    problems: list[str] = []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        block_id = block.get("block_id")
        where = f"block {index} ({block.get('type')}{f' {block_id}' if block_id else ''})"
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > BLOCK_ID:
                problems.append(f"{where}: bad block_id")
            elif block_id in block_ids:
                problems.append(f"{where}: duplicate block_id {block_id!r} in one message")
            block_ids.add(str(block_id))
        kind = block.get("type")
        # Slack wants action_id unique among the elements of one block (not the whole message).
        action_ids: list[str] = []
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: needs text or fields")
            if "text" in block:
                problems += _text_object(block["text"], f"{where} text", SECTION_TEXT)
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS:
                problems.append(f"{where}: {len(fields)} fields (max {SECTION_FIELDS})")
            for field in fields:
                problems += _text_object(field, f"{where} field", SECTION_FIELD_TEXT)
            if "accessory" in block:
                problems += _element(block["accessory"], f"{where} accessory", action_ids)
        elif kind == "header":
            problems += _text_object(block.get("text"), f"{where} text", HEADER_TEXT, plain_only=True)
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= CONTEXT_ELEMENTS:
                problems.append(f"{where}: {len(elements)} elements (1 to {CONTEXT_ELEMENTS})")
            for element in elements:
                if element.get("type") == "image":
                    continue
                problems += _text_object(element, f"{where} element", SECTION_TEXT)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= ACTIONS_ELEMENTS:
                problems.append(f"{where}: {len(elements)} elements (1 to {ACTIONS_ELEMENTS})")
            for element in elements:
                problems += _element(element, f"{where} element", action_ids)
        elif kind == "input":
            if not allow_input:
                problems.append(f"{where}: input blocks only belong in modals")
            problems += _text_object(block.get("label"), f"{where} label", INPUT_LABEL, plain_only=True)
            if "hint" in block:
                problems += _text_object(block["hint"], f"{where} hint", INPUT_HINT, plain_only=True)
            problems += _element(block.get("element") or {}, f"{where} element", action_ids)
        elif kind in ("divider", "image", "rich_text"):
            pass
        else:
            problems.append(f"{where}: unknown block type")
        duplicates = {a for a in action_ids if action_ids.count(a) > 1}
        if duplicates:
            problems.append(f"{where}: duplicate action_id(s) {sorted(duplicates)} in one block")
    return problems


def _element(element: dict[str, Any], where: str, action_ids: list[str]) -> list[str]:
    problems: list[str] = []
    kind = element.get("type")
    action_id = element.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or not action_id or len(action_id) > ACTION_ID:
            problems.append(f"{where}: bad action_id")
        action_ids.append(str(action_id))
    if "confirm" in element:
        confirm = element["confirm"]
        problems += _text_object(
            confirm.get("title"), f"{where} confirm title", CONFIRM_TITLE, plain_only=True
        )
        problems += _text_object(confirm.get("text"), f"{where} confirm text", CONFIRM_TEXT)
        problems += _text_object(
            confirm.get("confirm"), f"{where} confirm button", CONFIRM_BUTTON, plain_only=True
        )
        problems += _text_object(confirm.get("deny"), f"{where} deny button", CONFIRM_BUTTON, plain_only=True)
    if kind == "button":
        problems += _text_object(element.get("text"), f"{where} text", BUTTON_TEXT, plain_only=True)
        if len(element.get("value") or "") > BUTTON_VALUE:
            problems.append(f"{where}: value of {len(element['value'])} characters (max {BUTTON_VALUE})")
        if len(element.get("url") or "") > BUTTON_URL:
            problems.append(f"{where}: url over {BUTTON_URL} characters")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}: style {element.get('style')!r}")
    elif kind in ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes"):
        options = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            options += group.get("options") or []
        if len(options) > OPTIONS:
            problems.append(f"{where}: {len(options)} options (max {OPTIONS})")
        for option in options + [o for o in element.get("initial_options") or []]:
            problems += _text_object(option.get("text"), f"{where} option", OPTION_TEXT)
            if len(option.get("value") or "") > OPTION_VALUE:
                problems.append(f"{where}: option value over {OPTION_VALUE} characters")
        if "placeholder" in element:
            problems += _text_object(
                element["placeholder"], f"{where} placeholder", PLACEHOLDER, plain_only=True
            )
    elif kind == "plain_text_input":
        maximum = element.get("max_length", PLAIN_INPUT_MAX)
        if not 1 <= maximum <= PLAIN_INPUT_MAX:
            problems.append(f"{where}: max_length {maximum}")
        initial = element.get("initial_value") or ""
        if len(initial) > maximum:
            problems.append(f"{where}: initial_value of {len(initial)} characters over max_length {maximum}")
        if "placeholder" in element:
            problems += _text_object(
                element["placeholder"], f"{where} placeholder", PLACEHOLDER, plain_only=True
            )
    elif kind in (
        "users_select",
        "multi_users_select",
        "conversations_select",
        "channels_select",
        "multi_conversations_select",
        "datepicker",
        "timepicker",
        "datetimepicker",
        "email_text_input",
        "number_input",
        "url_text_input",
    ):
        if "placeholder" in element:
            problems += _text_object(
                element["placeholder"], f"{where} placeholder", PLACEHOLDER, plain_only=True
            )
    else:
        problems.append(f"{where}: unknown element type {kind!r}")
    return problems
