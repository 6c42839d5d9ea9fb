"""Reading values out of Slack payloads without trusting their shape: form state, row ids in buttons.

Slack structures a submission as `values[block_id][action_id]` → an object whose keys depend on the
element (`value` for text and number inputs, `selected_option` for selects and radio buttons,
`selected_user`, `selected_users`, `selected_conversation`…). A signed body proves who sent it, not that
it is shaped like that: a block may be missing, or a string where an object belongs, a value a number
or a list. These readers return None (or an empty list) for anything that is not what Slack sends, so a
form parser never raises on a forged or garbled submission; the validation that follows then treats it
as a field left empty or not sent.

Buttons and modals carry JSON in strings (a button's value, a modal's `private_metadata`):
`loads_clean` decodes it, without the control characters the app's middleware removes from every
other string. They also carry ids of Liaison's own rows (a reminder delivery, an intro request) in their
values and metadata; `row_id` reads one only when PostgreSQL can compare it with an `integer` column.
"""

from __future__ import annotations

import json
from typing import Any

from bot.slack.input_hygiene import clean_strings_in_place, without_control_characters

# PostgreSQL's `integer` (the type of Liaison's primary keys): a larger number in a query is an error.
MAX_ROW_ID = 2**31 - 1


def loads_clean(text: str | bytes) -> Any:
    """`json.loads(text)` with control characters removed from every string it holds.

    The middleware cleans a request's strings, but a `\\u0000` escape inside JSON-in-a-string becomes
    NUL only when decoded, here (PostgreSQL refuses NUL in text).

    Raises:
        ValueError: Not JSON, including JSON nested too deep to decode (a RecursionError otherwise).
        TypeError: `text` is not a string (a forged body may carry a number or an object instead).
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if isinstance(value, str):
        return without_control_characters(value)
    clean_strings_in_place(value)
    return value


def row_id(value: Any) -> int | None:
    """A row id from a button value or modal metadata: an int or a string of ASCII digits within
    PostgreSQL's `integer`; None for anything else (booleans, floats, "²", negative or huge numbers)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ROW_ID else None


def input_state(values: Any, block_id: str, action_id: str | None = None) -> dict[str, Any] | None:
    """The state of one input (`values[block_id][action_id or block_id]`); None unless both are objects."""
    block = values.get(block_id) if isinstance(values, dict) else None
    state = block.get(action_id or block_id) if isinstance(block, dict) else None
    return state if isinstance(state, dict) else None


def string_of(state: dict[str, Any] | None, key: str = "value") -> str | None:
    """`state[key]` when it is a string (a text input's `value`, `selected_user`…); else None."""
    value = state.get(key) if state is not None else None
    return value if isinstance(value, str) else None


def selected_value(state: dict[str, Any] | None) -> str | None:
    """The `value` of a select's or radio group's `selected_option`; None when none (or not a string)."""
    chosen = state.get("selected_option") if state is not None else None
    value = chosen.get("value") if isinstance(chosen, dict) else None
    return value if isinstance(value, str) else None


def selected_values(state: dict[str, Any] | None) -> list[str]:
    """The string `value`s of checkboxes' or a multi-select's `selected_options` (others skipped)."""
    chosen = state.get("selected_options") if state is not None else None
    if not isinstance(chosen, list):
        return []
    found = (option.get("value") for option in chosen if isinstance(option, dict))
    return [value for value in found if isinstance(value, str)]


def strings_of(state: dict[str, Any] | None, key: str) -> list[str]:
    """The strings of a list such as a multi users select's `selected_users` (others skipped)."""
    items = state.get(key) if state is not None else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, str)]
