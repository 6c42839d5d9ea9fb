"""Slack's OAuth side, for the fake Web API (`bot.cli.console.fake_slack`): installs and their tokens.

It grants install codes (what Slack's consent page redirects with), exchanges them and refresh tokens
in `oauth.v2.access` (bot tokens that expire when rotation is on), answers `auth.test` with each issued
token's own team, and tells which tokens were revoked (`token_revoked`), rotated away (`invalid_auth`)
or expired (`token_expired`). Tokens it did not issue are none of its business: the fake answers them
for its default team.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class IssuedToken:
    """A bot token the fake issued in `oauth.v2.access`, and what became of it."""

    token: str
    team_id: str | None
    team_name: str | None
    enterprise_id: str | None
    enterprise_name: str | None
    is_enterprise_install: bool
    installer: str
    bot_user_id: str
    refresh_token: str | None = None
    expires_at: float | None = None
    # "active", "revoked" (token_revoked), "rotated" (refreshed away: invalid_auth) or "expired".
    state: str = "active"

    @property
    def error(self) -> str | None:
        """What Slack answers to a call made with this token, None while it is usable."""
        if self.state == "revoked":
            return "token_revoked"
        if self.state == "rotated":
            return "invalid_auth"
        if self.state == "expired" or (self.expires_at is not None and self.expires_at <= time.time()):
            return "token_expired"
        return None


@dataclass
class _OAuthApp:
    client_id: str
    client_secret: str
    app_id: str
    token_expires_in: int | None
    invalidate_on_refresh: bool


class FakeSlackInstalls:
    """The registered app, the install codes granted, and the tokens issued for them (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._app: _OAuthApp | None = None
        self._grants: dict[str, IssuedToken] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._refresh_tokens: dict[str, IssuedToken] = {}

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_expires_in: int | None = None,
        app_id: str = "A0LIAISON",
        invalidate_on_refresh: bool = True,
    ) -> None:
        """Accept `oauth.v2.access` for this app.

        Args:
            client_id: The app's client id.
            client_secret: Its secret (checked like Slack does, from HTTP Basic auth or the form).
            token_expires_in: Seconds a bot token lives (token rotation on: refresh tokens are issued);
                None issues tokens that never expire.
            app_id: Reported in the exchange.
            invalidate_on_refresh: Refuse a token once it was refreshed away (stricter than Slack, which
                lets it live until it expires; it makes a test see which token a caller used).
        """
        with self._lock:
            self._app = _OAuthApp(client_id, client_secret, app_id, token_expires_in, invalidate_on_refresh)

    def grant_install(
        self,
        team_id: str | None,
        *,
        team_name: str = "",
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        org_wide: bool = False,
        installer: str = "U0INSTALLER",
    ) -> str:
        """What Slack's consent page does when an admin approves: a one-time code for `oauth.v2.access`.

        Args:
            team_id: The installing workspace (None for an org-wide install).
            team_name: Its name.
            enterprise_id: Its Enterprise Grid org, if any.
            enterprise_name: The org's name.
            org_wide: An org-wide install (`is_enterprise_install`).
            installer: Who approved.

        Returns:
            The code the browser brings to the redirect URL.
        """
        code = f"{int(time.time())}.{secrets.token_hex(8)}"
        grant = IssuedToken(
            token="",
            team_id=None if org_wide else team_id,
            team_name=None if org_wide else (team_name or team_id),
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name,
            is_enterprise_install=org_wide,
            installer=installer,
            bot_user_id=f"U0BOT{(team_id or enterprise_id or 'X')[-6:]}",
        )
        with self._lock:
            self._grants[code] = grant
        return code

    def issued_tokens(self, team_id: str | None = None) -> list[IssuedToken]:
        """Tokens issued so far (oldest first), optionally of one team or org."""
        with self._lock:
            return [
                t
                for t in self._tokens.values()
                if team_id is None
                or team_id in (t.team_id, t.enterprise_id if t.is_enterprise_install else None)
            ]

    def revoke(self, token: str) -> None:
        """Revoke a token (and its refresh token): Slack answers `token_revoked` from now on."""
        with self._lock:
            issued = self._tokens[token]
            issued.state = "revoked"
            if issued.refresh_token:
                self._refresh_tokens.pop(issued.refresh_token, None)

    def revoke_team(self, team_id: str) -> None:
        """Revoke every token issued to a team (or org): what uninstalling does on Slack's side."""
        for issued in self.issued_tokens(team_id):
            self.revoke(issued.token)

    def expire(self, token: str) -> None:
        """Make a token expire now (`token_expired`)."""
        with self._lock:
            self._tokens[token].state = "expired"

    def token_error(self, authorization: str | None) -> str | None:
        """The error every method answers to a call with this `Authorization`; None if usable or not ours."""
        issued = self._bearer(authorization)
        return None if issued is None else issued.error

    def access(self, params: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        """Answer `oauth.v2.access`: exchange an install code, or a refresh token, for a bot token.

        Args:
            params: The call's arguments (`code`, or `grant_type=refresh_token` and `refresh_token`;
                the client id and secret unless they come as HTTP Basic auth).
            authorization: The `Authorization` header.

        Returns:
            Slack's answer, `ok` false with Slack's error when the client or the code is refused.
        """
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode("utf-8")
            client_id, _, client_secret = decoded.partition(":")
        with self._lock:
            app = self._app
            if app is None or client_id != app.client_id:
                return {"ok": False, "error": "invalid_client_id"}
            if client_secret != app.client_secret:
                return {"ok": False, "error": "bad_client_secret"}
            if params.get("grant_type") == "refresh_token":
                previous = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
                if previous is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                if app.invalidate_on_refresh and previous.state == "active":
                    previous.state = "rotated"
                issued = self._issue(app, previous)
                return {**_exchange_answer(app, issued), "authed_user": None}
            grant = self._grants.pop(str(params.get("code")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_code"}
            issued = self._issue(app, grant)
            return {**_exchange_answer(app, issued), "authed_user": {"id": grant.installer}}

    def auth_test(self, authorization: str | None) -> dict[str, Any] | None:
        """Answer `auth.test` for a token issued here, with its own team; None for any other token."""
        issued = self._bearer(authorization)
        if issued is None:
            return None
        return {
            "ok": True,
            "url": f"https://{(issued.team_id or issued.enterprise_id or 'x').lower()}.slack.com/",
            "team": issued.team_name or issued.enterprise_name,
            "user": "liaison",
            "team_id": issued.team_id,
            "enterprise_id": issued.enterprise_id,
            "user_id": issued.bot_user_id,
            "bot_id": "B" + issued.bot_user_id[1:],
            "is_enterprise_install": issued.is_enterprise_install,
        }

    def _bearer(self, authorization: str | None) -> IssuedToken | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self._lock:
            return self._tokens.get(authorization.removeprefix("Bearer ").strip())

    def _issue(self, app: _OAuthApp, like: IssuedToken) -> IssuedToken:
        # Called with the lock held. Token shapes as Slack's (rotating tokens start with xoxe.).
        serial = len(self._tokens) + 1
        rotating = app.token_expires_in is not None
        token = f"{'xoxe.' if rotating else ''}xoxb-{serial}-{secrets.token_hex(12)}"
        issued = IssuedToken(
            token=token,
            team_id=like.team_id,
            team_name=like.team_name,
            enterprise_id=like.enterprise_id,
            enterprise_name=like.enterprise_name,
            is_enterprise_install=like.is_enterprise_install,
            installer=like.installer,
            bot_user_id=like.bot_user_id,
            refresh_token=f"xoxe-1-{secrets.token_hex(16)}" if rotating else None,
            expires_at=time.time() + app.token_expires_in if app.token_expires_in is not None else None,
        )
        self._tokens[token] = issued
        if issued.refresh_token:
            self._refresh_tokens[issued.refresh_token] = issued
        return issued


def _exchange_answer(app: _OAuthApp, issued: IssuedToken) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "ok": True,
        "app_id": app.app_id,
        "access_token": issued.token,
        "token_type": "bot",
        "scope": "chat:write,commands,users:read",
        "bot_user_id": issued.bot_user_id,
        "team": {"id": issued.team_id, "name": issued.team_name} if issued.team_id else None,
        "enterprise": (
            {"id": issued.enterprise_id, "name": issued.enterprise_name} if issued.enterprise_id else None
        ),
        "is_enterprise_install": issued.is_enterprise_install,
    }
    if issued.refresh_token and issued.expires_at is not None:
        answer["refresh_token"] = issued.refresh_token
        answer["expires_in"] = int(round(issued.expires_at - time.time()))
    return answer
