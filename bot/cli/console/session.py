"""The local demo console: the real Bolt app and scheduler against a fake Slack Web API.

What you type is turned into signed Slack requests (slash commands, @mentions, button clicks, modal
submissions) and dispatched through Bolt exactly as Slack's would be; everything the bot sends to
Slack's Web API is printed readably (or as JSON lines).
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from sqlalchemy import Engine, select

from bot.app import create_app
from bot.cli.console.fake_slack import FakeSlackApi, RecordedCall
from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.cli.console.render import CallRenderer, ClickTarget
from bot.clock import SimulatedClock
from bot.db import make_engine, make_session_factory
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.experts.embeddings.protocol import Embedder
from bot.models import Person, Project
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.notifier import build_notifier
from jobs.feed import run_feed_tick
from jobs.reminders import plan_reminders, run_reminder_tick
from jobs.scheduler import build_scheduler

CONSOLE_SIGNING_SECRET = "liaison-console-signing-secret"
_CLOCK_RE = re.compile(r"^([+-]?)(\d+)([mhdw])$")
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

CONSOLE_HELP = """\
Type what a Slack user would:
  /project status bidshade      any slash command (/project, /milestone, /blocker, /liaison)
  @liaison what is overdue?     an @mention in the project's channel
Console commands:
  :as U02ECBANE | :as kwame     act as another user (Slack id or name)
  :users                        list the people in the workspace
  :click N                      press button [N] from the output above
  :submit field=value …         submit the open form (quote values with spaces; people by id or name)
  :home                         open your App Home tab
  :clock +3d                    move the simulated clock (m, h, d, w) and let the scheduler run
  :quit                         leave"""


@dataclass
class ConsoleResult:
    """Calls made in answer to one input line."""

    calls: list[RecordedCall]
    status: int | None
    body: str = ""


class ConsoleSession:
    """One running console: fake Slack API, Bolt app, optional scheduler.

    Everything the bot sends goes to `output`; complaints about the input itself (an unknown user or
    console command, a request Slack would reject) go to `error_output`, which defaults to `output`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        output: Callable[[str], None],
        error_output: Callable[[str], None] | None = None,
        json_output: bool = False,
        with_scheduler: bool = True,
        embedder: Embedder | None = None,
    ) -> None:
        self._output = output
        self._embedder = embedder
        self._error = error_output or output
        self._json = json_output
        self._with_scheduler = with_scheduler
        self._base_settings = settings
        self.fake = FakeSlackApi()
        self.clock = SimulatedClock()
        self._scheduler: BackgroundScheduler | None = None
        self._names: dict[str, str] = {}
        self._renderer = CallRenderer(self._name_of, viewer=lambda: self.user_id)
        self.user_id = ""
        self._app: App | None = None
        self._payloads: SlackPayloads | None = None
        self._services: Services | None = None
        self._engine: Engine | None = None
        # While `:clock` steps through simulated time, its reminders are printed under a time marker.
        self._stepping = False

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the fake API, build the app (Bolt's `auth.test` goes to the fake) and the scheduler."""
        self.fake.start()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        settings = Settings(
            slack_bot_token="xoxb-liaison-console",
            slack_signing_secret=CONSOLE_SIGNING_SECRET,
            slack_api_url=self.fake.url,
            database_url=self._base_settings.database_url,
            default_timezone=self._base_settings.default_timezone,
            embedding_model=self._base_settings.embedding_model,
            admins=self._base_settings.admins,
            reminder_tick_seconds=self._base_settings.reminder_tick_seconds,
            reminder_policy=self._base_settings.reminder_policy,
            reminder_grace_hours=self._base_settings.reminder_grace_hours,
            reminder_retry_hours=self._base_settings.reminder_retry_hours,
            commands=self._base_settings.commands,
            llm_base_url=self._base_settings.llm_base_url,
            llm_model=self._base_settings.llm_model,
            llm_api_key=self._base_settings.llm_api_key,
        )
        self._engine = make_engine(settings.database_url)
        self._services = Services(
            settings=settings,
            session_factory=make_session_factory(self._engine),
            clock=self.clock,
            embedder=self._embedder,
            notifier=build_notifier(settings),
        )
        self._load_directory()
        # process_before_response: dispatch returns once the listener is done, so output is in order.
        self._app = create_app(
            settings, self._services, client=build_web_client(settings), process_before_response=True
        )
        self._payloads = SlackPayloads(
            CONSOLE_SIGNING_SECRET,
            team_id=FakeSlackApi.team_id,
            response_url_base=f"http://127.0.0.1:{self.fake.port}/response",
        )
        if self._with_scheduler:
            self._scheduler = build_scheduler(self._services)
            self._scheduler.start()
            # Whatever the scheduler posts in the background is printed as it happens.
            self.fake.subscribe(self._print_background_call)
        self.fake.reset()

    def stop(self) -> None:
        """Stop the scheduler and the fake API, and close the database connections."""
        if self._scheduler is not None:
            # Let a running tick finish against the live fake first: stopped under it, its sends would
            # retry a refused connection with back-off for half a minute before the process could exit.
            # A tick is bounded by the client's timeouts and retries.
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        self.fake.stop()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _load_directory(self) -> None:
        assert self._services is not None
        with self._services.session_factory() as session:
            people = session.scalars(select(Person).order_by(Person.id)).all()
            for person in people:
                self._names[person.slack_id] = person.name
                self.fake.add_user(person.slack_id, name=person.name, tz=person.timezone)
            channels = session.scalars(
                select(Project.channel_id).where(Project.channel_id.is_not(None))
            ).all()
        for channel in channels:
            if channel:
                self._names.setdefault(channel, channel)
        if people and not self.user_id:
            self.user_id = people[0].slack_id

    def _name_of(self, slack_id: str) -> str:
        if slack_id.startswith("D"):
            slack_id = "U" + slack_id[1:]
        return self._names.get(slack_id, slack_id)

    @property
    def people(self) -> dict[str, str]:
        """Slack id → name of everyone in the workspace."""
        return {k: v for k, v in self._names.items() if k.startswith(("U", "W"))}

    # -- input -----------------------------------------------------------------------------------
    def handle_line(self, line: str) -> bool:
        """Act on one input line. Returns False when the user asked to quit."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line.startswith(":"):
            verb, _, rest = line[1:].partition(" ")
            action = {
                "help": lambda _: self._output(CONSOLE_HELP),
                "as": self._switch_user,
                "users": lambda _: self._list_users(),
                "click": self._click,
                "submit": self._submit,
                "home": lambda _: self.send(
                    self._payload().event(
                        {
                            "type": "app_home_opened",
                            "user": self.user_id,
                            "channel": "D" + self.user_id[1:],
                            "tab": "home",
                            "event_ts": f"{self.clock.now().timestamp():.6f}",
                        }
                    )
                ),
                "clock": self._advance_clock,
            }.get(verb)
            if action is None:
                self._error(f"Unknown console command :{verb}. Type :help.")
            else:
                action(rest.strip())
            return True
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            self.send(
                self._payload().slash_command(
                    command, text.strip(), user_id=self.user_id, channel_id="C0CONSOLE"
                )
            )
            return True
        if line.lower().startswith("@liaison"):
            text = line[len("@liaison") :].strip()
            self.send(
                self._payload().event(
                    {
                        "type": "app_mention",
                        "user": self.user_id,
                        "channel": "C0CONSOLE",
                        "text": f"<@{FakeSlackApi.bot_user_id}> {text}",
                        "ts": f"{self.clock.now().timestamp():.6f}",
                    }
                )
            )
            return True
        self._error("Start with / for a slash command, @liaison for a mention, or : for the console (:help).")
        return True

    def _payload(self) -> SlackPayloads:
        assert self._payloads is not None, "console not started"
        return self._payloads

    def send(self, signed: SignedBody) -> ConsoleResult:
        """Dispatch a signed request through Bolt and print what the bot did in answer."""
        assert self._app is not None
        before = len(self.fake.calls())
        response = self._app.dispatch(signed.to_bolt_request())
        self._run_feed()
        calls = self.fake.calls()[before:]
        if response.status >= 400:
            detail = f" {response.body}" if response.body else ""
            self._error(f"(Slack would show an error: HTTP {response.status}{detail})")
        elif response.body and not self._json:
            # An ack with a body (e.g. field errors of a form) is what Slack shows first.
            self._print_ack(response.body)
        self._print(calls)
        return ConsoleResult(calls, response.status, response.body or "")

    def _run_feed(self) -> None:
        """Post the change feed right after a request, so its channel posts and DMs follow the answer.

        With the scheduler (the demo) the feed batches as in production: a project's further changes
        within `LIAISON_FEED_BATCH_SECONDS` of a post to a channel wait for the scheduler's feed job.
        Without it (`liaison say`, one request per process) nothing would post them later, so they go
        at once.
        """
        assert self._services is not None
        run_feed_tick(self._services, batching=self._with_scheduler)

    def _print_ack(self, body: str) -> None:
        try:
            data = json.loads(body)
        except ValueError:
            self._output(f"── Liaison: {body}")
            return
        if not isinstance(data, dict):
            return
        action = data.get("response_action")
        if action == "errors":
            self._output(
                "── The form was not accepted:\n"
                + "\n".join(f"   {field}: {message}" for field, message in data.get("errors", {}).items())
            )
        elif action in ("update", "push") and isinstance(data.get("view"), dict):
            # The ack replaces (or stacks) the form in place; show it like a views.update.
            text = self._renderer.render(
                RecordedCall("views." + action, {"view": data["view"]}, None, time.time())
            )
            if text:
                self._output(text)

    def _print(self, calls: list[RecordedCall]) -> None:
        if self._with_scheduler:
            return  # printed by the subscription as they arrive
        for call in calls:
            self._emit(call)

    def _emit(self, call: RecordedCall) -> None:
        if self._json:
            self._output(
                json.dumps({"method": call.method, "args": call.params}, default=str, sort_keys=True)
            )
            return
        text = self._renderer.render(call)
        if text:
            self._output(text)

    def _print_background_call(self, call: RecordedCall) -> None:
        if not self._stepping:
            self._emit(call)

    # -- console commands ------------------------------------------------------------------------
    def _switch_user(self, who: str) -> None:
        if not who:
            self._output(f"You are @{self._name_of(self.user_id)} ({self.user_id}).")
            return
        if self.switch_user(who):
            self._output(f"You are now @{self._name_of(self.user_id)} ({self.user_id}).")

    def switch_user(self, who: str, *, where_to_look: str = "`:users` lists everyone") -> bool:
        """Act as the user with this Slack id or (fuzzy) name; says so and returns False if unclear.

        Args:
            who: A Slack user id or a name.
            where_to_look: Where the people are listed, for when nobody is close to `who`.
        """
        if who.upper() in self.people:
            self.user_id = who.upper()
            return True
        match = match_name(who, [Candidate(k, v) for k, v in self.people.items()])
        if match.kind not in (MatchKind.EXACT, MatchKind.CONFIDENT) or match.best is None:
            if match.alternatives:
                options = ", ".join(f"{c.name} ({c.key})" for c in match.alternatives)
                self._error(f"Who is “{who}”? Did you mean: {options}?")
            else:
                self._error(
                    f"Who is “{who}”? Nobody in this workspace has that name or Slack id; {where_to_look}."
                )
            return False
        self.user_id = match.best.key
        return True

    def resolve_user(self, who: str) -> str | None:
        """The Slack id for an id or (fuzzy) name, as a users_select would pick it; None if unclear."""
        if who.upper() in self.people:
            return who.upper()
        if _SLACK_USER_ID.match(who):
            return who  # anyone in the Slack workspace, not only the people Liaison knows
        match = match_name(who, [Candidate(k, v) for k, v in self.people.items()])
        if match.kind in (MatchKind.EXACT, MatchKind.CONFIDENT) and match.best is not None:
            return match.best.key
        return None

    def _list_users(self) -> None:
        self._output("\n".join(f"  {sid}  {name}" for sid, name in self.people.items()))

    def _click(self, arg: str) -> None:
        buttons = self._renderer.state.buttons
        try:
            target = buttons[int(arg) - 1]
        except (ValueError, IndexError):
            self._error(f"No button [{arg}] on screen." if buttons else "No buttons on screen.")
            return
        self.send(self._click_payload(target))

    def _click_payload(self, target: ClickTarget) -> SignedBody:
        payload = self._payload()
        if target.surface in ("home", "modal") and target.view is not None:
            return payload.block_action(
                user_id=self.user_id,
                action_id=target.action_id,
                value=target.value,
                block_id=target.block_id,
                view=target.view,
            )
        response_url = (
            f"http://127.0.0.1:{self.fake.port}{target.response_url}" if target.response_url else None
        )
        return payload.block_action(
            user_id=self.user_id,
            action_id=target.action_id,
            value=target.value,
            block_id=target.block_id,
            channel_id=target.channel_id or "C0CONSOLE",
            message_ts=target.message_ts,
            response_url=response_url,
        )

    def _submit(self, arg: str) -> None:
        modal = self._renderer.state.open_modal
        if modal is None or not modal.get("submit"):
            self._error("No form is open.")
            return
        try:
            fields = dict(part.split("=", 1) for part in shlex.split(arg))
        except ValueError:
            self._error('Write fields as name=value, quoting values with spaces: title="Pilot report"')
            return
        problems = form_problems(modal, fields, self.resolve_user)
        if problems:
            # Slack's own inputs cannot send these, so the form is not sent at all.
            self._error("Not sent: " + "; ".join(problems))
            return
        values = form_values(modal, _with_user_ids(modal, fields, self.resolve_user))
        result = self.send(
            self._payload().view_submission(
                user_id=self.user_id,
                callback_id=modal["callback_id"],
                values=values,
                private_metadata=modal.get("private_metadata", ""),
            )
        )
        accepted = result.status == 200 and _response_action(result.body) not in ("errors", "update", "push")
        if accepted and self._renderer.state.open_modal is modal:
            # Slack closes a form once its submission is acknowledged; it cannot be sent twice.
            self._renderer.state.open_modal = None

    def _advance_clock(self, arg: str) -> None:
        match = _CLOCK_RE.match(arg.replace(" ", ""))
        if match is None:
            self._output(
                f"Now: {self.clock.now():%a %d %b %Y %H:%M} UTC. Move it with :clock +3d (m, h, d, w)."
            )
            return
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(**{_UNITS[match.group(3)]: sign * int(match.group(2))})
        stepping = sign > 0 and self._scheduler is not None
        now = self.clock.now() + delta if stepping else self.clock.advance(delta)
        self._output(f"Clock moved to {now:%a %d %b %Y %H:%M} UTC.")
        if stepping:
            # Reminders, escalations and digests due on the way are shown as they fire.
            self._live_through(delta)
        if self._scheduler is not None:
            # Jobs read the simulated clock; wake them now instead of at their next real-time tick.
            for job in self._scheduler.get_jobs():
                job.modify(next_run_time=datetime.now(UTC))

    def _live_through(self, delta: timedelta) -> None:
        """Move the clock forward in steps (an hour, or 1/100 of a long jump), running the reminder
        jobs at each, so reminders, escalations and digests fire in order (a single jump would look
        like downtime: anything more than the grace window late would expire unseen)."""
        assert self._services is not None
        step = max(timedelta(hours=1), delta / 100)
        remaining = delta
        self._stepping = True
        try:
            while remaining > timedelta(0):
                move = min(step, remaining)
                remaining -= move
                now = self.clock.advance(move)
                before = len(self.fake.calls())
                plan_reminders(self._services, now=now)
                run_reminder_tick(self._services, now=now)
                run_feed_tick(self._services, now=now)  # e.g. DMs held back by quiet hours
                calls = self.fake.calls()[before:]
                if any(c.method == "chat.postMessage" for c in calls):
                    self._output(f"⏰ {now:%a %d %b %Y %H:%M} UTC (simulated)")
                    for call in calls:
                        self._emit(call)
        finally:
            self._stepping = False


def _response_action(body: str) -> str | None:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    return data.get("response_action") if isinstance(data, dict) else None


def _inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in modal.get("blocks", []) if b.get("type") == "input"}


def form_problems(
    modal: dict[str, Any], fields: dict[str, str], resolve_user: Callable[[str], str | None]
) -> list[str]:
    """What is wrong with `field=value` pairs for a modal: unknown fields, options it does not offer,
    people that cannot be told apart. Empty when the submission can be sent."""
    inputs = _inputs(modal)
    problems: list[str] = []
    for name, raw in fields.items():
        element = inputs.get(name)
        if element is None:
            problems.append(f"this form has no field {name!r} (fields: {', '.join(inputs)})")
            continue
        kind = element.get("type")
        offered = [o["value"] for o in element.get("options", [])]
        chosen = [v for v in raw.split(",") if v] if kind == "checkboxes" else [raw]
        if (
            kind in ("static_select", "checkboxes", "radio_buttons")
            and raw
            and any(v not in offered for v in chosen)
        ):
            problems.append(f"{name} must be one of: {', '.join(offered)}")
        elif kind in ("users_select", "multi_users_select"):
            people = [v for v in raw.split(",") if v] if kind == "multi_users_select" else [raw]
            unknown = [p for p in people if p and resolve_user(p) is None]
            if unknown:
                problems.append(
                    f"{name}: who is {', '.join(repr(p) for p in unknown)}? (:users lists everyone)"
                )
    return problems


def _with_user_ids(
    modal: dict[str, Any], fields: dict[str, str], resolve_user: Callable[[str], str | None]
) -> dict[str, str]:
    inputs = _inputs(modal)
    resolved = dict(fields)
    for name, raw in fields.items():
        kind = inputs.get(name, {}).get("type")
        if kind == "users_select" and raw:
            resolved[name] = resolve_user(raw) or raw
        elif kind == "multi_users_select":
            resolved[name] = ",".join(resolve_user(v) or v for v in raw.split(",") if v)
    return resolved


def form_values(modal: dict[str, Any], fields: dict[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Build a modal's `state.values` from `field=value` pairs, by each input's element type."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in modal.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id = block["block_id"]
        element = block["element"]
        kind = element.get("type")
        raw = fields.get(block_id)
        state: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            state["value"] = raw if raw is not None else element.get("initial_value")
        elif kind == "static_select":
            option = next(
                (o for o in element.get("options", []) if raw is not None and o["value"] == raw), None
            )
            state["selected_option"] = option or (
                element.get("initial_option")
                if raw is None
                else {"value": raw, "text": {"type": "plain_text", "text": raw}}
            )
        elif kind == "users_select":
            state["selected_user"] = raw if raw is not None else element.get("initial_user")
        elif kind == "multi_users_select":
            state["selected_users"] = (
                [u for u in raw.split(",") if u] if raw is not None else element.get("initial_users", [])
            )
        elif kind == "conversations_select":
            state["selected_conversation"] = raw if raw is not None else element.get("initial_conversation")
        elif kind == "number_input":
            state["value"] = raw if raw is not None else element.get("initial_value")
        elif kind == "radio_buttons":
            option = next(
                (o for o in element.get("options", []) if raw is not None and o["value"] == raw), None
            )
            state["selected_option"] = option or element.get("initial_option")
        elif kind == "checkboxes":
            chosen = (
                {v for v in (raw or "").split(",") if v}
                if raw is not None
                else {o["value"] for o in element.get("initial_options", [])}
            )
            state["selected_options"] = [o for o in element.get("options", []) if o["value"] in chosen]
        values[block_id] = {block_id: state}
    return values
