"""`/expert` and the App Home "Find experts" button, through the real Bolt path and the fake Slack API.

The embedder is the deterministic `HashingEmbedder` (shared words); `tests/test_experts_real_model.py`
checks the same behaviour with the real model.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import bot.experts.ranking as expert_suggestions
from bot.clock import FixedClock
from bot.experts.embeddings.calibration import relevance_floor
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.experts.embeddings.protocol import EmbedderLoadError
from bot.experts.expert_command import ALL_DISCIPLINES, ExpertMode, parse_expert_command
from bot.models import ExpertVisibility, IntroRequest, IntroStatus, Person, Workspace
from bot.services import Services
from bot.settings import Settings
from bot.slack.expert_blocks import LOOKING_TEXT, decode_ticket
from bot.slack.ids import EXPERT_HOME_ACTION, EXPERT_INTRO_ACTION, EXPERT_PICK_PROJECT_ACTION
from bot.slack.notifier import build_notifier
from tests.conftest import DEMO_NOW, add_public_project
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, RecordedCall

pytestmark = pytest.mark.usefixtures("demo")

RAO = "U03MSRAO"  # marketing science, on pcm and uplift
OSEI = "U01MLOSEI"  # machine learning, on bidshade and fatigue
STEIN = "U12ETSTEI"  # ethics, leads the private project fairdelivery
DUBOIS = "U05PLDUBO"  # privacy law
NOVAK = "U05PLNOVA"  # privacy law
PCM_MEMBERS = {"U06CRWONG", "U11DEAHME", "U07STGARC", RAO}
PCM_DISCIPLINES = {
    "Cryptography & security",
    "Data engineering",
    "Causal inference & statistics",
    "Marketing science",
}
PRIVACY_LAW = {DUBOIS, NOVAK}
SUGGESTION = re.compile(r"^\*(\d+)\. <@(U[A-Z0-9]+)>\*")


@pytest.fixture
def services(settings: Settings, session_factory: sessionmaker[Session], clock: FixedClock) -> Services:
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        notifier=build_notifier(settings, timeout=5),
        embedder=HashingEmbedder(),
    )


# -- helpers -------------------------------------------------------------------------------------


def suggestion_blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The section blocks of a results message that each present one suggestion, in order."""
    return [
        b
        for b in params.get("blocks") or []
        if b.get("type") == "section" and SUGGESTION.match(b["text"]["text"])
    ]


def suggested(params: dict[str, Any]) -> list[str]:
    """Slack ids of the suggestions, best first."""
    ids = []
    for block in suggestion_blocks(params):
        match = SUGGESTION.match(block["text"]["text"])
        assert match is not None
        ids.append(match.group(2))
    return ids


def block_of(params: dict[str, Any], slack_id: str) -> dict[str, Any]:
    """The suggestion block of one person."""
    return next(b for b in suggestion_blocks(params) if f"<@{slack_id}>" in b["text"]["text"])


def discipline_of(block: dict[str, Any]) -> str:
    """The discipline line of a suggestion (``discipline · organisation · sector``), first part."""
    return block["text"]["text"].split("\n")[1].split(" · ")[0].replace("&amp;", "&")


def set_person(session_factory: sessionmaker[Session], slack_id: str, **values: Any) -> None:
    """Change a person's profile settings as /profile would: bump the profiles version too."""
    with session_factory.begin() as session:
        session.execute(update(Person).where(Person.slack_id == slack_id).values(**values))
        session.execute(update(Workspace).values(profiles_version=Workspace.profiles_version + 1))


def add_requests(
    session_factory: sessionmaker[Session], expert: str, ages: Sequence[timedelta], requester: str = OSEI
) -> None:
    """Record intro requests for `expert`, made `ages` before DEMO_NOW."""
    with session_factory.begin() as session:
        people = {p.slack_id: p for p in session.scalars(select(Person))}
        for n, age in enumerate(ages):
            session.add(
                IntroRequest(
                    workspace_id=people[expert].workspace_id,
                    requester_id=people[requester].id,
                    expert_id=people[expert].id,
                    subject=f"earlier request {n}",
                    subject_hash=f"earlier-{n}",
                    reason="",
                    status=IntroStatus.PENDING,
                    created_at=DEMO_NOW - age,
                )
            )


def mrkdwn_texts(params: dict[str, Any]) -> list[str]:
    """Every mrkdwn text of a message (sections and contexts) plus its fallback text."""
    texts = [str(params.get("text", ""))]
    for block in params.get("blocks") or []:
        if block.get("type") == "section":
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                texts.append(element["text"])
    return texts


# -- parsing -------------------------------------------------------------------------------------


def test_command_syntax_is_parsed() -> None:
    assert parse_expert_command("").mode is ExpertMode.HELP
    assert parse_expert_command("  help ").mode is ExpertMode.HELP
    text = parse_expert_command("consent  law for\ncookie walls")
    assert (text.mode, text.query) == (ExpertMode.TEXT, "consent law for cookie walls")
    project = parse_expert_command("project pcm")
    assert (project.mode, project.query, project.all_disciplines) == (ExpertMode.PROJECT, "pcm", False)
    everyone = parse_expert_command(f"Project bid shading {ALL_DISCIPLINES.upper()}")
    assert (everyone.query, everyone.all_disciplines) == ("bid shading", True)
    assert everyone.text == f"project bid shading {ALL_DISCIPLINES}"
    # Words put before the need out of habit are not part of it.
    found = parse_expert_command("find kafka")
    assert (found.mode, found.query) == (ExpertMode.TEXT, "kafka")
    assert parse_expert_command("search project pcm").mode is ExpertMode.PROJECT
    assert parse_expert_command("find").query == "find"  # alone, it is the need


def test_floor_is_per_model() -> None:
    assert relevance_floor("all-MiniLM-L6-v2") == relevance_floor("/models/all-MiniLM-L6-v2/")
    assert relevance_floor(HashingEmbedder.model_name) < relevance_floor("all-MiniLM-L6-v2")


# -- the acceptance tests ----------------------------------------------------------------


def test_project_pcm_suggests_privacy_law_and_nobody_from_the_project(slack: SlackDriver) -> None:
    exchange = slack.command(OSEI, "/expert project pcm")
    reply = exchange.reply
    ids = suggested(reply)
    assert PRIVACY_LAW & set(ids[:3]), ids
    assert not PCM_MEMBERS & set(ids)
    assert 1 <= len(ids) <= 5
    # Cross-disciplinary by default: no discipline already on the project, and the reply says so.
    assert not {discipline_of(block_of(reply, i)) for i in ids} & PCM_DISCIPLINES
    text = exchange.reply_text.replace("&amp;", "&")
    assert "Experts for Privacy-preserving conversion measurement" in text
    assert all(d in text for d in PCM_DISCIPLINES) and "leaving out" in text
    assert f"/expert project pcm {ALL_DISCIPLINES}" in text
    assert reply["response_type"] == "ephemeral"


def test_suggestion_explains_discipline_organisation_sector_matched_items_and_project_text(
    slack: SlackDriver,
) -> None:
    reply = slack.command(RAO, "/expert project pcm").reply
    lines = block_of(reply, DUBOIS)["text"]["text"].split("\n")
    assert lines[0].endswith("— Professor of Information Law")
    assert lines[1] == "Privacy law &amp; policy · Université de Lille · academia"
    assert lines[2].startswith("matched: _Consent fatigue and the legality of cookie walls under the GDPR_")
    # The project text closest to what she matched: the sentence about lawfulness under the GDPR.
    assert lines[3].startswith("project text: _") and "lawful under the GDPR" in lines[3]


def test_project_query_uses_open_blockers_and_milestones_only(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    from bot.access import load_actor, resolve_workspace
    from bot.experts.search import prepare_search

    blocker = "Waiting for a review of the TCF consent strings and data processing agreements"
    assert "pcm-b1" in slack.command(RAO, f"/blocker add pcm {blocker}").reply_text
    with session_factory() as session:
        workspace = resolve_workspace(session, None)
        actor = load_actor(session, workspace, OSEI, admins=frozenset(), fallback_zone="UTC")
        search = prepare_search(session, actor, parse_expert_command("project pcm"))
    assert search.project is not None
    assert search.project.segments[1] == blocker  # after the description, before the milestones
    assert "Legal basis memo for processing conversions" in search.project.segments
    assert "Threat model and data-flow diagram" not in search.query_text  # done
    assert search.query_text.startswith("Privacy-preserving conversion measurement. Measure ad conversions")
    reply = slack.command(OSEI, "/expert project pcm").reply
    assert f"project text: _{blocker}_" in block_of(reply, NOVAK)["text"]["text"]


def test_free_text_query_ranks_and_explains(slack: SlackDriver) -> None:
    reply = slack.command(RAO, "/expert consent law for cookie walls").reply
    ids = suggested(reply)
    assert ids[0] == DUBOIS
    assert (
        "matched: _Consent fatigue and the legality of cookie walls under the GDPR_"
        in (block_of(reply, DUBOIS)["text"]["text"])
    )
    assert "project text" not in message_text(reply)
    assert "Experts for “consent law for cookie walls”" in message_text(reply)


def test_asker_is_never_suggested(slack: SlackDriver) -> None:
    assert DUBOIS in suggested(slack.command(RAO, "/expert consent law for cookie walls").reply)
    assert DUBOIS not in suggested(slack.command(DUBOIS, "/expert consent law for cookie walls").reply)


def test_all_disciplines_keeps_project_disciplines_but_still_no_members(slack: SlackDriver) -> None:
    exchange = slack.command(OSEI, f"/expert project pcm {ALL_DISCIPLINES}")
    assert "All disciplines, including those already on the project." in exchange.reply_text
    assert "leaving out" not in exchange.reply_text
    assert not PCM_MEMBERS & set(suggested(exchange.reply))


def test_cross_disciplinary_mode_leaves_out_the_projects_disciplines_until_asked(slack: SlackDriver) -> None:
    # bidshade's lead and members are economists, an ML researcher and a data engineer.
    on_project = {"Machine learning", "Auction theory & economics", "Data engineering"}
    cross = slack.command(RAO, "/expert project bidshade").reply
    assert not {discipline_of(block_of(cross, i)) for i in suggested(cross)} & on_project
    everyone = slack.command(RAO, f"/expert project bidshade {ALL_DISCIPLINES}").reply
    assert {discipline_of(block_of(everyone, i)) for i in suggested(everyone)} & on_project


def test_nonsense_query_says_nobody_matched(slack: SlackDriver) -> None:
    exchange = slack.command(RAO, "/expert knitting patterns winter scarves")
    assert suggested(exchange.reply) == []
    assert "Nobody in the directory matched this closely enough" in exchange.reply_text
    assert not exchange.buttons()


# -- privacy -------------------------------------------------------------------------------------


def test_hidden_person_never_appears_nor_their_texts(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    before = slack.command(RAO, "/expert consent law for cookie walls")
    assert DUBOIS in suggested(before.reply)
    set_person(session_factory, DUBOIS, expert_visibility=ExpertVisibility.HIDDEN)
    for line in (
        "/expert consent law for cookie walls",
        "/expert project pcm",
        f"/expert project pcm {ALL_DISCIPLINES}",
    ):
        everything = json.dumps(slack.command(RAO, line).reply, ensure_ascii=False)  # button values too
        assert DUBOIS not in everything and "Dubois" not in everything
        assert "Consent fatigue" not in everything and "Université de Lille" not in everything


def test_private_project_is_not_findable_by_a_non_member(slack: SlackDriver) -> None:
    exchange = slack.command(RAO, "/expert project fairdelivery")
    status = slack.command(RAO, "/project status fairdelivery")
    assert exchange.reply["text"] == status.reply["text"]  # reported exactly like a missing project
    assert "Fairness" not in exchange.reply_text and not exchange.buttons()
    by_name = slack.command(RAO, "/expert project fairness audit")
    assert "Fairness" not in by_name.reply_text and not by_name.buttons()


def test_private_project_works_for_its_members_and_excludes_them(slack: SlackDriver) -> None:
    exchange = slack.command(STEIN, "/expert project fairdelivery")
    assert "Experts for Fairness audit of ad delivery" in exchange.reply_text
    ids = suggested(exchange.reply)
    assert ids and not {STEIN, "U01MLKOV"} & set(ids)


def test_unclear_project_name_offers_did_you_mean_that_reruns_expert(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    add_public_project(session_factory, key="pbudget", name="Privacy budget accounting")
    # Two projects start with "Privacy": a choice, not a guess; the choice keeps all-disciplines.
    exchange = slack.command(RAO, f"/expert project privacy {ALL_DISCIPLINES}")
    assert "More than one project matches" in exchange.reply_text
    choices = [b for b in exchange.buttons() if b["action_id"].startswith(EXPERT_PICK_PROJECT_ACTION)]
    assert len({b["action_id"] for b in choices}) == len(choices) >= 2  # unique within the block
    values = {b["value"] for b in choices}
    assert {f"project pcm {ALL_DISCIPLINES}", f"project pbudget {ALL_DISCIPLINES}"} <= values
    pick = next(b for b in choices if b["value"].startswith("project pcm"))
    clicked = slack.click(RAO, pick)
    assert clicked.reply["replace_original"] is True
    assert "Experts for Privacy-preserving conversion measurement" in clicked.reply_text
    assert "All disciplines" in clicked.reply_text


# -- caps ----------------------------------------------------------------------------------------


def test_over_cap_person_is_listed_last_with_when_they_are_free(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    set_person(session_factory, DUBOIS, weekly_request_cap=2)
    add_requests(session_factory, DUBOIS, [timedelta(days=2), timedelta(days=1), timedelta(days=9)])
    reply = slack.command(RAO, "/expert consent law for cookie walls").reply
    ids = suggested(reply)
    assert ids[-1] == DUBOIS and len(ids) > 1
    assert "accessory" not in block_of(reply, DUBOIS)  # no "Ask for an intro" for her now
    blocks = reply["blocks"]
    note = blocks[blocks.index(block_of(reply, DUBOIS)) + 1]["elements"][0]["text"]
    # The older of her two requests this week (2 days ago) leaves the window in 5 days; the one of
    # 9 days ago no longer counts. Shown in Rao's zone (Asia/Kolkata).
    assert "as many intro requests this week as they accept" in note
    assert "can be asked again after Wed 25 Nov 2026, 13:30 IST (in 5 days)" in note
    assert all(b["action_id"] == EXPERT_INTRO_ACTION for b in buttons_of(blocks))


def test_under_cap_after_old_requests_leave_the_window(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    set_person(session_factory, DUBOIS, weekly_request_cap=1)
    add_requests(session_factory, DUBOIS, [timedelta(days=7, minutes=1)])
    reply = slack.command(RAO, "/expert consent law for cookie walls").reply
    assert suggested(reply)[0] == DUBOIS and "accessory" in block_of(reply, DUBOIS)


def test_cap_zero_person_is_listed_last_as_taking_no_requests(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    set_person(session_factory, DUBOIS, weekly_request_cap=0)
    reply = slack.command(RAO, "/expert consent law for cookie walls").reply
    assert suggested(reply)[-1] == DUBOIS
    assert "accessory" not in block_of(reply, DUBOIS)
    assert "Not taking intro requests through Liaison." in message_text(reply)


# -- the model -----------------------------------------------------------------------------------


class SlowLoadingEmbedder:
    """The hashing embedder behind a model that takes `load_seconds` to load.

    Like `SentenceTransformerEmbedder`, the load starts (in a timer thread) when someone first waits
    for it, so the request under test is already waiting when the model becomes ready, however slow
    the machine is; `load_seconds=None` never finishes.
    """

    def __init__(self, load_seconds: float | None = 0.4) -> None:
        self.inner = HashingEmbedder()
        self.loaded = threading.Event()
        self.load_seconds = load_seconds
        self.timer: threading.Timer | None = None
        self.embedded_early = False
        self.fail_with: BaseException | None = None

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def ready(self) -> bool:
        return self.loaded.is_set() and self.fail_with is None

    def wait_ready(self, timeout: float | None = None) -> bool:
        if self.timer is None and self.load_seconds is not None:
            self.timer = threading.Timer(self.load_seconds, self.loaded.set)
            self.timer.start()
        finished = self.loaded.wait(timeout)
        if self.fail_with is not None:
            raise EmbedderLoadError(str(self.fail_with))
        return finished

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not self.loaded.is_set():
            self.embedded_early = True
            self.loaded.wait()
        return self.inner.embed(texts)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


def test_query_before_the_model_is_loaded_is_answered_once_it_is(
    slack: SlackDriver, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expert_suggestions, "QUIET_WAIT", 0.05)
    embedder = SlowLoadingEmbedder(load_seconds=0.4)
    services.embedder = embedder
    started = time.monotonic()
    try:
        exchange = slack.command(OSEI, "/expert project pcm")
    finally:
        embedder.stop()
    assert time.monotonic() - started >= 0.4
    note, answer = exchange.of(RESPONSE_URL_METHOD)
    assert note.params["text"] == LOOKING_TEXT and note.params["replace_original"] is False
    assert answer.params["replace_original"] is True  # the answer replaces the note
    assert PRIVACY_LAW & set(suggested(answer.params)[:3])
    assert not embedder.embedded_early


def test_model_still_loading_after_the_wait_says_try_again(
    slack: SlackDriver, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expert_suggestions, "QUIET_WAIT", 0.01)
    monkeypatch.setattr(expert_suggestions, "MODEL_WAIT", 0.05)
    services.embedder = SlowLoadingEmbedder(load_seconds=None)
    note, answer = slack.command(OSEI, "/expert project pcm").of(RESPONSE_URL_METHOD)
    assert note.params["text"] == LOOKING_TEXT
    assert "still loading. Please try again in a minute" in answer.params["text"]
    assert answer.params["replace_original"] is True


def test_model_that_failed_to_load_is_reported(slack: SlackDriver, services: Services) -> None:
    embedder = SlowLoadingEmbedder(load_seconds=None)
    embedder.fail_with = OSError("model directory missing")
    embedder.loaded.set()
    services.embedder = embedder
    assert "could not be loaded" in slack.command(OSEI, "/expert project pcm").reply_text


def test_without_an_embedder_the_command_says_so(slack: SlackDriver, services: Services) -> None:
    services.embedder = None
    exchange = slack.command(OSEI, "/expert consent law")
    assert "Expert suggestions need the language model" in exchange.reply_text
    assert exchange.reply["response_type"] == "ephemeral"


def test_usage_without_text_or_with_help(slack: SlackDriver, services: Services) -> None:
    services.embedder = None  # usage needs no model
    for line in ("/expert", "/expert help"):
        text = slack.command(OSEI, line).reply_text
        assert "/expert project pcm" in text and ALL_DISCIPLINES in text and "Ask for an intro" in text


def test_liaison_help_lists_expert_and_profile(slack: SlackDriver) -> None:
    text = slack.command(OSEI, "/liaison help").reply_text
    assert "/expert project pcm" in text
    assert "/profile edit" in text and "/profile @someone" in text


# -- rendering -----------------------------------------------------------------------------------


def test_user_text_is_escaped_and_button_values_fit(slack: SlackDriver) -> None:
    query = "<!channel> consent & cookie walls " + "x" * 3000
    exchange = slack.command(RAO, f"/expert {query}")
    assert all("<!channel>" not in text for text in mrkdwn_texts(exchange.reply))
    buttons = exchange.buttons()
    assert buttons
    for button in buttons:
        assert len(button["value"]) <= 2000
        ticket = decode_ticket(button["value"])
        assert ticket is not None and ticket.subject.startswith("<!channel> consent & cookie walls")


def test_button_value_is_cut_to_slack_limit_even_with_escapes() -> None:
    from bot.experts.intros.views import IntroTicket
    from bot.slack.expert_blocks import encode_ticket

    value = encode_ticket(IntroTicket("U1", None, '"\\' * 400, ('"' * 300, "\\" * 300)))
    assert len(value) <= 2000 and decode_ticket(value) is not None
    assert decode_ticket("not json") is None
    assert decode_ticket(json.dumps({"e": 5})) is None


# -- App Home ------------------------------------------------------------------------------------


def _home_view(calls: list[RecordedCall], user: str) -> dict[str, Any]:
    published = [c for c in calls if c.method == "views.publish" and c.params["user_id"] == user]
    assert published
    view = published[-1].params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def _home_find_button(slack: SlackDriver, user: str, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    view = _home_view(slack.event({"type": "app_home_opened", "user": user, "tab": "home"}).calls, user)
    buttons = [b for b in buttons_of(view["blocks"]) if b["action_id"] == EXPERT_HOME_ACTION]
    assert {b["value"] for b in buttons} == {"pcm", "uplift"} if user == RAO else buttons
    return next(b for b in buttons if b["value"] == key), view


def test_home_find_experts_button_dms_the_suggestions(slack: SlackDriver) -> None:
    button, view = _home_find_button(slack, RAO, "pcm")
    assert button["text"]["text"] == "Find experts"
    exchange = slack.click(RAO, button, view={**view, "id": "VHOME"})
    assert not exchange.of(RESPONSE_URL_METHOD)  # a Home click has no response_url
    (posted,) = exchange.of("chat.postMessage")
    assert posted.params["channel"] == RAO
    ids = suggested(posted.params)
    assert PRIVACY_LAW & set(ids[:3]) and not PCM_MEMBERS & set(ids)


def test_home_button_while_the_model_loads_updates_its_note(
    slack: SlackDriver, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(expert_suggestions, "QUIET_WAIT", 0.05)
    button, view = _home_find_button(slack, RAO, "pcm")
    embedder = SlowLoadingEmbedder(load_seconds=0.3)
    services.embedder = embedder
    try:
        exchange = slack.click(RAO, button, view={**view, "id": "VHOME"})
    finally:
        embedder.stop()
    (note,) = exchange.of("chat.postMessage")
    (answer,) = exchange.of("chat.update")
    assert note.params["text"] == LOOKING_TEXT
    assert answer.params["channel"] == "D" + RAO[1:]
    assert PRIVACY_LAW & set(suggested(answer.params)[:3])


def test_home_still_shows_status_buttons_and_stays_within_limits(slack: SlackDriver) -> None:
    view = _home_view(slack.event({"type": "app_home_opened", "user": RAO, "tab": "home"}).calls, RAO)
    assert len(view["blocks"]) <= 100
    actions = [b["action_id"] for b in buttons_of(view["blocks"])]
    assert actions.count(EXPERT_HOME_ACTION) == actions.count("open_project") == 2


def test_find_experts_for_a_project_that_became_invisible_is_an_error(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    button, view = _home_find_button(slack, RAO, "pcm")
    forged = {**button, "value": "fairdelivery"}
    exchange = slack.click(RAO, forged, view={**view, "id": "VHOME"})
    (posted,) = exchange.of("chat.postMessage")
    assert "No project matches" in message_text(posted.params) and "Fairness" not in message_text(
        posted.params
    )
    with session_factory() as session:
        assert session.scalars(select(IntroRequest)).first() is None


# -- Block Kit validity --------------------------------------------------------------------------


def assert_valid_block_kit(calls: Sequence[RecordedCall], session_factory: sessionmaker[Session]) -> None:
    """Every message and view the bot sent is one Slack accepts, and mentions only known people."""
    from tests.security.blockkit import mention_violations, message_violations, mrkdwn_texts, view_violations

    with session_factory() as session:
        users = set(session.scalars(select(Person.slack_id)))
    problems: list[str] = []
    for call in calls:
        if call.method in (RESPONSE_URL_METHOD, "chat.postMessage", "chat.update"):
            payload = {k: v for k, v in call.params.items() if k in ("text", "blocks")}
            problems += [f"{call.method}: {p}" for p in message_violations(payload)]
        elif call.method == "views.publish":
            payload = call.params["view"]
            problems += [f"{call.method}: {p}" for p in view_violations(payload)]
        else:
            continue
        mentions = mention_violations(mrkdwn_texts(payload), users=users, channels=set())
        problems += [f"{call.method}: {p}" for p in mentions]
    assert problems == [], problems[:10]


def test_every_expert_message_is_valid_block_kit(
    slack: SlackDriver, slack_api: Any, session_factory: sessionmaker[Session]
) -> None:
    add_public_project(session_factory, key="pbudget", name="Privacy <!channel> budget")
    for line in (
        "/expert project pcm",
        f"/expert project pcm {ALL_DISCIPLINES}",
        "/expert consent law for cookie walls",
        "/expert <!here> <@U0NOBODY> *bold* _it_ " + "é" * 4000,
        "/expert knitting patterns winter scarves",
        "/expert project privacy",
        "/expert project fairdelivery",
        "/expert",
    ):
        slack.command(RAO, line)
    button, view = _home_find_button(slack, RAO, "pcm")
    slack.click(RAO, button, view={**view, "id": "VHOME"})
    assert_valid_block_kit(slack_api.calls(), session_factory)
