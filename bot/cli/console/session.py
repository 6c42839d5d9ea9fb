"""The local demo console: the real Bolt app and scheduler against a fake Slack Web API.

What you type is turned into signed Slack requests (slash commands, @mentions, button clicks, modal
submissions) and dispatched through Bolt exactly as Slack's would be; everything the bot sends to
Slack's Web API is printed readably (or as JSON lines).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from sqlalchemy import Engine, select

from bot.app import create_app
from bot.cli.console.conversation import (
    CONSOLE_CHANNEL,
    Place,
    Surface,
    app_mention,
    assistant_thread_event,
    default_place,
    describe_place,
    direct_message,
    dm_channel,
    is_thread_ts,
    resolve_channel,
)
from bot.cli.console.fake_scholarly import FakeScholarlyApi, fetch_new_links
from bot.cli.console.fake_slack import FakeSlackApi, RecordedCall
from bot.cli.console.forms import form_problems, form_values, response_action, with_user_ids
from bot.cli.console.help import CONSOLE_HELP
from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.cli.console.render import CallRenderer, ClickTarget, Destinations
from bot.cli.console.simulated_time import live_through, parse_clock_step, wake_jobs
from bot.clock import SimulatedClock
from bot.db import make_engine, make_session_factory
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.errors import UserFacingError
from bot.experts.embeddings.protocol import Embedder
from bot.models import Person, Project
from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.notifier import build_notifier
from jobs.feed import run_feed_tick
from jobs.scheduler import build_scheduler

CONSOLE_SIGNING_SECRET = "liaison-console-signing-secret"
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# How long `:clock` waits for the scheduled jobs it wakes (a job retrying a slow Slack can take long).
_JOB_WAIT_SECONDS = 30.0


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
        # ORCID and OpenAlex for `/profile link orcid …`: the console never reaches the real APIs.
        self.scholarly = FakeScholarlyApi()
        self.clock = SimulatedClock()
        self._scheduler: BackgroundScheduler | None = None
        self._names: dict[str, str] = {}
        # Project channels by id → "#key" (the fake Slack has no channel names of its own).
        self._channel_names: dict[str, str] = {}
        self._assistant_threads: set[tuple[str, str]] = set()
        self._renderer = CallRenderer(
            self._name_of,
            viewer=lambda: self.user_id,
            destinations=Destinations(
                channel_name=self._channel_names.get,
                group_members=self.fake.group_members,
                is_assistant_thread=lambda channel, ts: (channel, ts) in self._assistant_threads,
                response_channel=self._response_channel,
            ),
        )
        self.user_id = ""
        self.place: Place = default_place()
        self._announced = False  # an assistant event already said where the user is now
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
        self.scholarly.start()
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
            orcid_api_url=self.scholarly.url,
            openalex_api_url=self.scholarly.url,
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
        fetch_new_links(self._services)  # the demo's linked ORCID record, from the fake
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
        self.scholarly.stop()
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
            channels = session.execute(
                select(Project.channel_id, Project.key).where(Project.channel_id.is_not(None))
            ).all()
        for channel, key in channels:
            if channel:
                self._names.setdefault(channel, channel)
                self._channel_names[channel] = f"#{key}"
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
                            "channel": dm_channel(self.user_id),
                            "tab": "home",
                            "event_ts": f"{self.clock.now().timestamp():.6f}",
                        }
                    )
                ),
                "clock": self._advance_clock,
                "dm": lambda arg: self._moved(self.enter_dm(arg or None)),
                "in": lambda arg: self._moved(self.enter_channel(arg)),
                "thread": lambda arg: self._moved(self.enter_thread(arg)),
                "assistant": lambda arg: self._moved(self.open_assistant(arg or None)),
                "where": lambda _: self._output(f"You are in {self.where()}."),
            }.get(verb)
            if action is None:
                self._error(f"Unknown console command :{verb}. Type :help.")
            else:
                action(rest.strip())
            return True
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            # Slash commands run from the conversation (never a thread: Slack does not allow them there).
            self.send(
                self._payload().slash_command(
                    command, text.strip(), user_id=self.user_id, channel_id=self.place.channel_id
                )
            )
            return True
        mention = line.lower().startswith("@liaison")
        text = line[len("@liaison") :].strip() if mention else line
        if self.place.surface is Surface.CHANNEL and not (mention or self.place.chosen):
            self._error(
                "Start with / for a slash command, @liaison for a mention, or : for the console (:help)."
            )
            return True
        self.post_message(text, mention=mention)
        return True

    # -- where the user speaks -------------------------------------------------------------------
    def post_message(self, text: str, *, mention: bool = False) -> ConsoleResult:
        """Post `text` where the user is, and deliver the event Slack would send Liaison for it.

        In a channel Liaison hears only mentions, so the message is an `app_mention` there; in the DM
        and in assistant threads it is a `message.im` event (in the thread, if any).

        Args:
            text: What the user typed (without `@liaison`).
            mention: The user wrote `@liaison` (kept in the text of a DM, as Slack would).
        """
        place, bot = self.place, FakeSlackApi.bot_user_id
        if place.surface is Surface.CHANNEL:
            mentioned = f"<@{bot}> {text}"
            ts = self.fake.post_user_message(
                place.channel_id, self.user_id, mentioned, thread_ts=place.thread_ts
            )
            event = app_mention(self.user_id, place, text, ts, bot)
        else:
            body = f"<@{bot}> {text}" if mention else text
            ts = self.fake.post_user_message(place.channel_id, self.user_id, body, thread_ts=place.thread_ts)
            event = direct_message(self.user_id, place, body, ts)
        return self.send(self._payload().event(event))

    def go_to(
        self,
        *,
        dm: bool = False,
        channel: str | None = None,
        thread_ts: str | None = None,
        assistant: bool = False,
    ) -> bool:
        """Choose where the next message goes, as `liaison say`'s options do; says why and returns False
        when it cannot.

        Args:
            dm: Liaison's DM.
            channel: A channel (id, project key or name); with `assistant`, the one the user looks at.
            thread_ts: A thread in that conversation (with `assistant`: the assistant thread to continue).
            assistant: An assistant thread: a new one unless `thread_ts` names one.
        """
        if assistant:
            if thread_ts is None:
                return self.open_assistant(channel)
            # Continuing a thread while looking at another channel: Slack says so first.
            return self.open_assistant(thread_ts=thread_ts) and (
                channel is None or self.enter_channel(channel)
            )
        if dm:
            return self.enter_dm(thread_ts)
        if channel and not self.enter_channel(channel):
            return False
        return thread_ts is None or self.enter_thread(thread_ts)

    def where(self) -> str:
        """Where the user speaks, in words (`#pcm`, `DM with Liaison, thread …`)."""
        return describe_place(self.place, self._channel_label)

    def prompt(self) -> str:
        """The console prompt: the user, and where they are unless in the console's own channel."""
        place = self.place
        if place == default_place():
            return f"{self.user_id}> "
        where = {Surface.DM: "DM", Surface.ASSISTANT: "assistant"}.get(place.surface) or self._channel_label(
            place.channel_id
        )
        thread = f" thread {place.thread_ts}" if place.thread_ts else ""
        return f"{self.user_id} {where}{thread}> "

    def enter_dm(self, thread_ts: str | None = None) -> bool:
        """Speak in Liaison's DM from now on (in thread `thread_ts`, if given)."""
        if thread_ts is not None and not self._valid_ts(thread_ts):
            return False
        self.place = Place(Surface.DM, dm_channel(self.user_id), thread_ts=thread_ts)
        return True

    def enter_channel(self, target: str) -> bool:
        """Speak in a channel (a channel id or a project's key or name); none: the console's channel.

        In an assistant thread, the thread stays and the channel becomes the one the user is looking
        at: Slack then sends `assistant_thread_context_changed`.
        """
        if not target:
            self.place = default_place()
            return True
        channel = self._resolve_channel(target)
        if channel is None:
            return False
        if self.place.surface is Surface.ASSISTANT:
            self.place = replace(self.place, context_channel_id=channel)
            self._assistant_event("assistant_thread_context_changed")
        else:
            self.place = Place(Surface.CHANNEL, channel, chosen=True)
        return True

    def enter_thread(self, arg: str) -> bool:
        """Follow up in thread `arg` (a ts) of the current conversation; empty: its latest thread; `off`:
        back to the top level."""
        if arg.lower() in ("off", "-", "none"):
            if self.place.surface is Surface.ASSISTANT:
                self._error("An assistant thread is always a thread: :dm or :in CHANNEL leaves it.")
                return False
            self.place = self.place.in_thread(None)
            return True
        if not arg:
            latest = self._latest_thread()
            if latest is None:
                self._error("Nothing was posted here yet; give a thread's ts: :thread 1733480000.000100")
                return False
            arg = latest
        if not self._valid_ts(arg):
            return False
        if not self._known_message(self.place.channel_id, arg):
            # A thread from before this process (`liaison say --thread`): its parent exists in Slack.
            self.fake.post_user_message(self.place.channel_id, self.user_id, "", ts=arg)
        # Following up in a channel's thread is talking to Liaison: a plain line is a mention there.
        self.place = replace(self.place.in_thread(arg), chosen=True)
        if self.place.surface is Surface.ASSISTANT:
            self._assistant_threads.add((self.place.channel_id, arg))
        return True

    def open_assistant(self, looking_at: str | None = None, *, thread_ts: str | None = None) -> bool:
        """Open an assistant thread in the AI-app view, as Slack does: a new thread in Liaison's DM and
        `assistant_thread_started` with the channel the user is looking at.

        Args:
            looking_at: The channel the user is looking at (id or project); None: the channel they are
                in, if any.
            thread_ts: Continue this existing assistant thread instead (no event: it was started before).
        """
        context = self.place.context_channel_id
        if self.place.surface is Surface.CHANNEL:
            context = None if self.place.channel_id == CONSOLE_CHANNEL else self.place.channel_id
        if looking_at:
            context = self._resolve_channel(looking_at)
            if context is None:
                return False
        if thread_ts is not None and not self._valid_ts(thread_ts):
            return False
        channel = dm_channel(self.user_id)
        started = thread_ts is None
        if thread_ts is None or not self._known_message(channel, thread_ts):
            # Slack posts the thread's root message (subtype assistant_app_thread) itself; a thread
            # from before this process (`liaison say --thread`) gets its root back.
            thread_ts = self.fake.post_user_message(
                channel, FakeSlackApi.bot_user_id, "New chat", subtype="assistant_app_thread", ts=thread_ts
            )
        self.place = Place(Surface.ASSISTANT, channel, thread_ts=thread_ts, context_channel_id=context)
        self._assistant_threads.add((channel, thread_ts))
        if started:
            self._assistant_event("assistant_thread_started")
        return True

    def _assistant_event(self, kind: str) -> None:
        if not self._json:
            self._output(f"── You are in {self.where()} (Slack sends Liaison {kind})")
            self._announced = True
        event = assistant_thread_event(
            kind, self.user_id, self.place, FakeSlackApi.team_id, f"{self.clock.now().timestamp():.6f}"
        )
        self.send(self._payload().event(event))

    def _moved(self, done: bool) -> None:
        if done and not self._announced:
            self._output(f"You are in {self.where()}.")
        self._announced = False

    def _valid_ts(self, ts: str) -> bool:
        if is_thread_ts(ts):
            return True
        self._error(f"“{ts}” is not a message ts (like 1733480000.000100; posts print theirs).")
        return False

    def _resolve_channel(self, target: str) -> str | None:
        assert self._services is not None
        try:
            with self._services.session_factory() as session:
                return resolve_channel(session, self._services.settings, self.user_id, target)
        except UserFacingError as error:
            self._error(error.message)
            return None

    def _known_message(self, channel: str, ts: str) -> bool:
        return any(m["ts"] == ts for m in self.fake.messages(channel))

    def _latest_thread(self) -> str | None:
        """The thread of the latest message in the current conversation (a top-level post's own ts)."""
        messages = self.fake.messages(self.place.channel_id)
        if not messages:
            return None
        latest = messages[-1]
        return str(latest.get("thread_ts") or latest["ts"])

    def _channel_label(self, channel_id: str | None) -> str:
        if not channel_id:
            return "no channel"
        return self._channel_names.get(channel_id) or f"#{channel_id}"

    def _response_channel(self, token: str) -> str | None:
        return None if self._payloads is None else self._payloads.response_channels.get(token)

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
        text = self._renderer.render_ack(body)
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
            self._become(who.upper())
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
        self._become(match.best.key)
        return True

    def _become(self, user_id: str) -> None:
        changed = user_id != self.user_id
        self.user_id = user_id
        if changed and self.place.surface is not Surface.CHANNEL:
            # Nobody can write in someone else's DM with Liaison: the new user starts in their own.
            self.place = Place(Surface.DM, dm_channel(user_id))

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
        if target.surface == "prompt" and target.channel_id and target.message_ts:
            # A suggested prompt is not a button: Slack posts its message as the user in the thread.
            if (target.channel_id, target.message_ts) != (self.place.channel_id, self.place.thread_ts):
                self.open_assistant(thread_ts=target.message_ts)
            self._output(f"── You → {target.value}")
            self.post_message(target.value)
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
            channel_id=target.channel_id or CONSOLE_CHANNEL,
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
        values = form_values(modal, with_user_ids(modal, fields, self.resolve_user))
        result = self.send(
            self._payload().view_submission(
                user_id=self.user_id,
                callback_id=modal["callback_id"],
                values=values,
                private_metadata=modal.get("private_metadata", ""),
            )
        )
        accepted = result.status == 200 and response_action(result.body) not in ("errors", "update", "push")
        if accepted and self._renderer.state.open_modal is modal:
            # Slack closes a form once its submission is acknowledged; it cannot be sent twice.
            self._renderer.state.open_modal = None

    def _advance_clock(self, arg: str) -> None:
        delta = parse_clock_step(arg)
        if delta is None:
            self._output(
                f"Now: {self.clock.now():%a %d %b %Y %H:%M} UTC. Move it with :clock +3d (m, h, d, w)."
            )
            return
        stepping = delta > timedelta(0) and self._scheduler is not None
        now = self.clock.now() + delta if stepping else self.clock.advance(delta)
        self._output(f"Clock moved to {now:%a %d %b %Y %H:%M} UTC.")
        if stepping:
            # Reminders, escalations and digests due on the way are shown as they fire.
            assert self._services is not None
            self._stepping = True
            try:
                live_through(self._services, self.clock, self.fake, delta, self._print_step)
            finally:
                self._stepping = False
        if self._scheduler is not None and not wake_jobs(self._scheduler, timeout=_JOB_WAIT_SECONDS):
            self._error("(Some scheduled jobs are still running; what they send will appear when done.)")

    def _print_step(self, now: datetime, calls: list[RecordedCall]) -> None:
        self._output(f"⏰ {now:%a %d %b %Y %H:%M} UTC (simulated)")
        for call in calls:
            self._emit(call)
