"""A calendar feed's address is its secret: `liaison serve`'s request log never shows the token."""

from __future__ import annotations

import logging

import pytest

from bot.serving.http_server import _QuietHandler


def test_the_request_log_line_masks_the_feed_token_and_query_strings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = object.__new__(_QuietHandler)  # only its log_message is used
    with caplog.at_level(logging.DEBUG, logger="bot.serving.http_server"):
        handler.log_message('"%s" %s %s', "GET /calendar/s3cr3tT0ken_abc.ics HTTP/1.1", "200", "-")
        handler.log_message('"%s" %s %s', "GET /slack/oauth_redirect?code=xyz&state=abc HTTP/1.1", "302", "-")
    logged = caplog.text
    assert "s3cr3tT0ken_abc" not in logged and "/calendar/…" in logged
    assert "code=xyz" not in logged and "oauth_redirect?…" in logged
