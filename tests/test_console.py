"""The demo console: `liaison demo` fed from stdin, and `ConsoleSession` driven in-process.

The demo rebases the workspace's dates to today, so these tests assert on names and structure, never
on dates.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as text_sql

from bot.cli.console.fake_slack import RecordedCall
from bot.cli.console.render import CallRenderer, plain_mrkdwn
from bot.cli.console.session import ConsoleSession, form_values
from bot.db import make_engine, make_session_factory
from bot.models import Milestone, MilestoneStatus, Project
from bot.settings import Settings
from tests.conftest import DEMO_FILE

LIAISON = Path(sys.executable).parent / "liaison"
NAMES = {"U02ECBANE": "Prof. Ingrid Banerjee", "U01MLOSEI": "Kwame Osei"}


# -- `liaison demo` as a subprocess -----------------------------------------------------------------


def test_demo_transcript_from_stdin(tmp_path: Path) -> None:
    lines = [
        "/project status bidshade",
        ":as ingrid",
        "/project status bidshade",
        ":click 1",
        "/project status bidshade",
        ":as U01MLOSEI",
        "/milestone next",
        ":home",
        "/project create",
        ':submit key=newproj name="New project" lead=U01MLOSEI status=on_track',
        ':submit key=again name="Sent twice"',
        "/project status newproj",
        ":clock +1d",
        ":in pcm",
        "what's overdue in this project?",
        ":dm",
        "what is overdue on pcm?",
        # Waits for the model the demo loads in the background: its progress bar would show by now.
        "/expert pricing of attention",
        ":quit",
        "/project status newproj",
    ]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONUTF8": "1"}

    result = subprocess.run(
        [
            str(LIAISON),
            "demo",
            "--file",
            str(DEMO_FILE),
            "--database-url",
            f"sqlite:///{tmp_path / 'demo.db'}",
        ],
        input="\n".join(lines) + "\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = _split_transcript(out)
    # The console starts as the first person in the file and echoes each line after its prompt.
    assert "You are @Lena Kovalenko (U01MLKOV)." in out
    prompts = [
        "U01MLKOV> ",
        "U01MLKOV> ",
        *["U02ECBANE> "] * 4,
        *["U01MLOSEI> "] * 8,
        "U01MLOSEI #pcm> ",
        "U01MLOSEI #pcm> ",
        *["U01MLOSEI DM> "] * 3,
    ]
    assert [prompt for prompt, _ in steps] == [
        f"{prompt}{line}" for prompt, line in zip(prompts, lines[:-1], strict=True)
    ]
    answers = [answer for _, answer in steps]
    # Mentions are rendered as @Name, never as Slack markup.
    assert "<@" not in out
    assert "   BID SHADING FOR FIRST-PRICE AUCTIONS (BIDSHADE)" in answers[0]
    assert "@Prof. Ingrid Banerjee — lead" in answers[0]
    assert "Mark done" not in answers[0]  # Lena owns nothing in bidshade
    assert answers[1] == "You are now @Prof. Ingrid Banerjee (U02ECBANE)."
    assert "[1: Mark done]" in answers[2]
    # Pressing the button marks Ingrid's milestone done: the next status no longer lists it.
    assert "Marked done: `bidshade-2` *Equilibrium shading model write-up*" in answers[3]
    assert "Equilibrium shading model write-up" in answers[2]
    assert "Equilibrium shading model write-up" not in answers[4]
    assert "── App Home of @Kwame Osei updated" in out
    assert "── App Home of @Kwame Osei updated" in answers[7]
    assert "*My projects* (2)" in answers[7]
    assert "── Liaison opened a form: New project" in answers[8]
    assert "Created *New project* (`newproj`)" in answers[9]
    assert answers[10] == "No form is open."  # the form closed when it was accepted
    assert "   NEW PROJECT (NEWPROJ)" in answers[11]
    assert "lead @Kwame Osei" in answers[11]
    assert answers[12].startswith("Clock moved to ")
    assert answers[13] == "You are in #pcm."
    # The scheduler's own posts after the clock moved (an agreement's reminder to someone else, say)
    # may be printed among the answers: each answer is picked out by where it went.
    [in_pcm] = _posts_to(answers[14], "── Liaison → #C1PCM (in thread ")
    assert "pcm-2" in in_pcm and "uplift-1" not in in_pcm
    assert answers[15] == "You are in DM with Liaison."
    assert _posts_to(answers[16], "── Liaison → DM to @Kwame Osei · ts ")
    assert "EXPERTS FOR “PRICING OF ATTENTION”" in answers[17]
    # The model loaded while the prompt waited, without drawing its progress bar over it.
    assert "Loading weights" not in result.stderr + out
    # Nothing after :quit is read.
    assert out.rstrip().endswith("U01MLOSEI DM> :quit")


def _posts_to(printed: str, header: str) -> list[str]:
    """The posts among what was printed for one input whose header line starts with `header`."""
    posts = re.split(r"^(?=── )", printed, flags=re.MULTILINE)
    return [post for post in posts if post.startswith(header)]


def _split_transcript(out: str) -> list[tuple[str, str]]:
    """(prompt line, everything printed until the next prompt) for each input line."""
    parts = re.split(r"^(U[A-Z0-9]+(?: [^>\n]+)?> .*)$", out, flags=re.MULTILINE)
    return [(parts[i], parts[i + 1].strip("\n")) for i in range(1, len(parts), 2)]


def test_demo_with_broken_file_exits_1_before_starting(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("workspace: [not, a, mapping]\n", encoding="utf-8")

    result = subprocess.run(
        [str(LIAISON), "demo", "--file", str(broken), "--database-url", f"sqlite:///{tmp_path / 'demo.db'}"],
        input=":quit\n",
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONUTF8": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("Cannot load the demo workspace:\n")
    assert f"{broken}:1: " in result.stderr
    assert "Traceback" not in result.stderr


# -- ConsoleSession in-process ----------------------------------------------------------------------


@dataclass
class Console:
    session: ConsoleSession
    output: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def type(self, line: str) -> str:
        """Feed one line; return what the bot printed for it."""
        self.output.clear()
        self.errors.clear()
        assert self.session.handle_line(line) is True
        return "\n".join(self.output)


@pytest.fixture
def database_url(demo_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_template, target)
    return f"sqlite:///{target}"


def _console(database_url: str, *, json_output: bool = False) -> Iterator[Console]:
    output: list[str] = []
    errors: list[str] = []
    session = ConsoleSession(
        Settings(database_url=database_url),
        output=output.append,
        error_output=errors.append,
        json_output=json_output,
        with_scheduler=False,
    )
    session.start()
    try:
        yield Console(session, output, errors)
    finally:
        session.stop()


@pytest.fixture
def console(database_url: str) -> Iterator[Console]:
    yield from _console(database_url)


@pytest.fixture
def json_console(database_url: str) -> Iterator[Console]:
    yield from _console(database_url, json_output=True)


def _milestone_status(database_url: str, ref_title: str) -> MilestoneStatus:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            milestone = session.scalars(select(Milestone).where(Milestone.title == ref_title)).one()
            return milestone.status
    finally:
        engine.dispose()


def _project_names(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(Project.name).order_by(Project.key)))
    finally:
        engine.dispose()


def test_session_starts_as_first_person_in_file(console: Console) -> None:
    assert console.session.user_id == "U01MLKOV"
    assert len(console.session.people) == 24
    assert console.session.people["U02ECBANE"] == "Prof. Ingrid Banerjee"


def test_slash_command_reply_renders_mentions_as_names(console: Console) -> None:
    text = console.type("/project status bidshade")

    assert text.startswith("── Liaison → only you see this\n")
    assert "lead @Prof. Ingrid Banerjee · #C1BIDSHADE" in text
    assert "@Kwame Osei — Machine learning · Brightbid Ads" in text
    assert "<@" not in text and "<#" not in text


def test_as_switches_user_by_name(console: Console) -> None:
    assert console.type(":as kwame") == "You are now @Kwame Osei (U01MLOSEI)."
    assert console.session.user_id == "U01MLOSEI"


def test_as_unknown_name_keeps_current_user(console: Console) -> None:
    console.type(":as zebedee")

    # One sentence that says what is wrong and where to look (issue 13, defect 7: it read
    # "Did you mean: see :users").
    assert console.errors == [
        "Who is “zebedee”? Nobody in this workspace has that name or Slack id; `:users` lists everyone."
    ]
    assert console.session.user_id == "U01MLKOV"


def test_click_marks_milestone_done(console: Console, database_url: str) -> None:
    console.type(":as U02ECBANE")
    assert "[1: Mark done]" in console.type("/project status bidshade")

    text = console.type(":click 1")

    assert "Marked done: `bidshade-2`" in text
    assert _milestone_status(database_url, "Equilibrium shading model write-up") == MilestoneStatus.DONE


def test_click_without_such_button_is_an_error(console: Console) -> None:
    console.type(":click 1")
    assert console.errors == ["No buttons on screen."]


def test_home_shows_only_the_viewers_home_in_full(console: Console) -> None:
    console.type(":as U02ECBANE")
    console.type("/project status bidshade")

    text = console.type(":click 1")

    # Marking done refreshes every member's Home; only Ingrid's is hers to see and click.
    assert "── App Home of @Kwame Osei updated\n── App Home of @Prof. Ingrid Banerjee updated\n" in text
    assert "── App Home of @Diego Morales updated" in text
    buttons = console.session._renderer.state.buttons
    home_buttons = [b for b in buttons if b.surface == "home"]
    assert [b.label for b in home_buttons] == ["Status", "Find experts", "Refresh"]


def test_home_button_opens_project_status(console: Console) -> None:
    console.type(":as kwame")
    home = console.type(":home")
    assert home.startswith("── App Home of @Kwame Osei updated\n   LIAISON")
    number = re.search(r"\[(\d+): Status\]", home)
    assert number is not None

    text = console.type(f":click {number.group(1)}")

    assert text.startswith("── Liaison opened a form: Liaison")
    assert "BID SHADING FOR FIRST-PRICE AUCTIONS (BIDSHADE)" in text


def test_submit_creates_project_and_closes_form(console: Console, database_url: str) -> None:
    console.type(":as U01MLOSEI")
    form = console.type("/project create")
    assert "▢ status: Status — one of: on_track, at_risk, blocked, done" in form

    text = console.type(':submit key=newproj name="New project" lead=U01MLOSEI status=at_risk')

    assert re.search(
        r"── Liaison → DM to @Kwame Osei · ts \d+\.\d{6}\n   Created \*New project\* \(`newproj`\)\.", text
    )
    assert "New project" in _project_names(database_url)
    console.type(':submit key=twice name="Twice"')
    assert console.errors == ["No form is open."]
    status = console.type("/project status newproj")
    assert "NEW PROJECT (NEWPROJ)" in status
    assert "at risk · lead @Kwame Osei" in status


def test_submit_resolves_people_by_name(console: Console) -> None:
    console.type(":as ingrid")
    console.type("/project create")

    console.type(':submit key=duo name="Duo" lead=kwame members=diego,U11DEJANS')
    status = console.type("/project status duo")

    assert "lead @Kwame Osei" in status
    assert "@Diego Morales" in status
    assert "@Pieter Jansen" in status


def test_submit_with_field_errors_keeps_form_open(console: Console, database_url: str) -> None:
    console.type("/project create")

    rejected = console.type(":submit key=Bad! name=x")
    accepted = console.type(":submit key=fixed name=Fixed lead=U01MLKOV")

    assert rejected.startswith("── The form was not accepted:\n   key: ")
    assert "lead: Pick a lead." in rejected
    assert "Created *Fixed* (`fixed`)" in accepted
    assert "Fixed" in _project_names(database_url)


def test_submit_with_unknown_field_or_option_is_not_sent(console: Console, database_url: str) -> None:
    console.type("/project create")
    sent_before = len(console.session.fake.calls())

    console.type(":submit key=oops name=Oops lead=U01MLKOV titel=x status=sideways")

    assert console.output == []
    (error,) = console.errors
    assert error.startswith("Not sent: ")
    assert "no field 'titel'" in error
    assert "status must be one of: on_track, at_risk, blocked, done" in error
    assert len(console.session.fake.calls()) == sent_before
    assert "Oops" not in _project_names(database_url)


def test_submit_without_open_form_is_an_error(console: Console) -> None:
    console.type(":submit name=x")
    assert console.errors == ["No form is open."]


def test_private_project_is_hidden_from_non_member(console: Console) -> None:
    console.type(":as U02ECBANE")
    outsider = console.type("/project status fairdelivery")
    console.type(":as U12ETSTEI")
    member = console.type("/project status fairdelivery")

    assert "fairness audit" not in outsider.lower()
    assert "Rebecca Stein" not in outsider
    assert "FAIRNESS AUDIT OF AD DELIVERY (FAIRDELIVERY)" in member


def test_mention_is_answered_in_thread(console: Console) -> None:
    text = console.type("@liaison what is overdue?")

    call = console.session.fake.calls("chat.postMessage")[-1]
    (mention,) = [m for m in console.session.fake.messages("C0CONSOLE") if m["user"] == "U01MLKOV"]
    assert call.params["thread_ts"] == mention["ts"]
    assert text.startswith(f"── Liaison → #C0CONSOLE (in thread {mention['ts']})\n")


def test_clock_moves_simulated_time(console: Console) -> None:
    before = console.session.clock.now()

    text = console.type(":clock +2d")

    assert text.startswith("Clock moved to ")
    assert console.session.clock.now() - before >= timedelta(days=2)
    assert console.type(":clock -1h").startswith("Clock moved to ")
    assert timedelta(days=1, hours=22) < console.session.clock.now() - before < timedelta(days=2)


def test_json_output_prints_each_call_as_json(json_console: Console) -> None:
    text = json_console.type("/project status bidshade")

    calls = [json.loads(line) for line in text.splitlines()]
    assert [c["method"] for c in calls] == ["response_url"]
    assert calls[0]["args"]["blocks"][0]["type"] == "header"


def test_unknown_input_goes_to_error_output(console: Console) -> None:
    console.type(":frobnicate")
    console.type("hello")

    assert console.output == []
    assert console.errors == [
        "Start with / for a slash command, @liaison for a mention, or : for the console (:help)."
    ]


def test_quit_ends_session_and_comments_are_ignored(console: Console) -> None:
    assert console.session.handle_line("# a comment") is True
    assert console.session.handle_line("   ") is True
    assert console.session.handle_line(":quit") is False
    assert console.output == []


def test_stop_closes_fake_slack_api(database_url: str) -> None:
    session = ConsoleSession(Settings(database_url=database_url), output=lambda _: None, with_scheduler=True)
    session.start()
    url = session.fake.url

    session.stop()

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "auth.test", data=b"", timeout=2)


# -- rendering --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("lead <@U02ECBANE>", "lead @Prof. Ingrid Banerjee"),
        ("<@U0UNKNOWN> joined", "@U0UNKNOWN joined"),
        ("in <#C1BIDSHADE|bidshade>", "in #bidshade"),
        ("in <#C1BIDSHADE>", "in #C1BIDSHADE"),
        ("<!here> look", "@here look"),
        ("ask <!subteam^S123|@design>", "ask @design"),
        ("due <!date^1795000000^{date_short}|Fri 4 Dec>", "due Fri 4 Dec"),
        ("see <https://example.org/doc|the doc>", "see the doc (https://example.org/doc)"),
        ("see <https://example.org/doc>", "see https://example.org/doc"),
        ("typed &lt;@U02ECBANE&gt; &amp; more", "typed <@U02ECBANE> & more"),
    ],
)
def test_plain_mrkdwn_renders_slack_markup(mrkdwn: str, plain: str) -> None:
    assert plain_mrkdwn(mrkdwn, lambda user: NAMES.get(user, user)) == plain


def _call(method: str, **params: object) -> RecordedCall:
    return RecordedCall(method, dict(params), None, 0.0)


def test_renderer_numbers_buttons_across_messages() -> None:
    renderer = CallRenderer(lambda user: NAMES.get(user, user))
    button = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go", "value": "1"}

    first = renderer.render(
        _call("chat.postMessage", channel="C1", blocks=[{"type": "actions", "elements": [button]}])
    )
    second = renderer.render(
        _call(
            "chat.postEphemeral",
            channel="C1",
            user="U01MLOSEI",
            blocks=[{"type": "actions", "elements": [button]}],
        )
    )

    assert first == "── Liaison → #C1\n   [1: Go]"
    assert second == "── Liaison → only @Kwame Osei sees this, in #C1\n   [2: Go]"
    assert [b.number for b in renderer.state.buttons] == [1, 2]


def test_renderer_hides_calls_users_do_not_see() -> None:
    renderer = CallRenderer(lambda user: user)

    assert renderer.render(_call("auth.test")) is None
    assert renderer.render(_call("users.info", user="U1")) is None


def test_renderer_shows_section_fields() -> None:
    renderer = CallRenderer(lambda user: NAMES.get(user, user))
    block = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": "*Lead*"}, {"type": "mrkdwn", "text": "<@U02ECBANE>"}],
    }

    text = renderer.render(_call("chat.postMessage", channel="U02ECBANE", blocks=[block]))

    assert text == "── Liaison → DM to @Prof. Ingrid Banerjee\n   *Lead*\n   @Prof. Ingrid Banerjee"


def test_console_edits_a_profile_including_visibility_and_cap(console: Console, database_url: str) -> None:
    console.type(":as U05PLNOVA")
    form = console.type("/profile edit")
    assert "weekly_request_cap" in form and "visibility" in form

    text = console.type(":submit visibility=hidden weekly_request_cap=2")

    assert "── Liaison → DM to @Marek Novak" in text
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text_sql(
                    "SELECT expert_visibility, weekly_request_cap FROM person WHERE slack_id = 'U05PLNOVA'"
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("hidden", 2)
    console.type("/profile edit")
    console.type(":submit visibility=secret")
    assert console.errors[-1] == "Not sent: visibility must be one of: listed, hidden"


def test_form_values_follow_slack_state_shape() -> None:
    modal = {
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "element": {"type": "plain_text_input", "initial_value": "Old"},
            },
            {
                "type": "input",
                "block_id": "status",
                "element": {
                    "type": "static_select",
                    "options": [{"value": "on_track", "text": {"type": "plain_text", "text": "On track"}}],
                },
            },
            {"type": "input", "block_id": "lead", "element": {"type": "users_select"}},
            {"type": "input", "block_id": "members", "element": {"type": "multi_users_select"}},
            {
                "type": "input",
                "block_id": "private",
                "element": {"type": "checkboxes", "options": [{"value": "private", "text": {}}]},
            },
        ]
    }

    values = form_values(
        modal, {"status": "on_track", "lead": "U1", "members": "U1,U2", "private": "private"}
    )

    assert values["name"] == {"name": {"type": "plain_text_input", "value": "Old"}}
    assert values["status"]["status"]["selected_option"]["value"] == "on_track"
    assert values["lead"]["lead"]["selected_user"] == "U1"
    assert values["members"]["members"]["selected_users"] == ["U1", "U2"]
    assert values["private"]["private"]["selected_options"] == [{"value": "private", "text": {}}]
