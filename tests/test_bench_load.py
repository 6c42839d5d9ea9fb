"""The pieces of the HTTP load benchmark (bench/load.py): statistics, signed requests, the baseline app.

No timings are asserted here; the benchmark itself reports them as ratios measured in one run.
"""

from __future__ import annotations

import argparse
import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest

from bench.load import (
    BARE_REPLY,
    SECTION,
    ColdStart,
    CommandCpu,
    LoadClient,
    PhaseRecord,
    PhaseResult,
    RunResult,
    Sample,
    Summary,
    cpu_times,
    create_bare_bolt_app,
    get,
    percentile,
    post,
    prepare_commands,
    render,
    summarize,
    write_section,
)
from bot.cli.console.fake_slack_http import FAKE_POLL_INTERVAL
from bot.cli.console.payloads import SlackPayloads
from bot.services import Services
from bot.serving.http_server import GracefulWSGIServer, make_http_server
from tests.conftest import SIGNING_SECRET
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.security.served import ServerPool


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    rng = random.Random(1)
    values = [rng.expovariate(1.0) for _ in range(101)]

    for q in (0, 50, 95, 99, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([4.0], 99) == 4.0
    assert percentile([1.0, 2.0], 50) == 1.5


def test_percentile_refuses_an_empty_sample_and_a_bad_rank() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def _sample(seconds: float | None, status: int | None, responded_after: float | None = None) -> Sample:
    return Sample(
        server="s",
        phase="p",
        command="/project list all",
        token="r1",
        sent_at=100.0,
        lag=0.001,
        seconds=seconds,
        connect=None if seconds is None else seconds / 10,
        status=status,
        error=None if status else "TimeoutError",
        responded_at=None if responded_after is None else 100.0 + responded_after,
    )


def test_summary_keeps_failures_out_of_the_percentiles_and_counts_late_acks() -> None:
    samples = [
        _sample(0.010, 200, 0.020),
        _sample(0.030, 200, 0.040),
        _sample(3.5, 200),  # acked, but later than Slack's 3 s
        _sample(None, None),  # no answer at all
        _sample(0.001, 500),
    ]

    summary = summarize(samples)

    assert (summary.requests, summary.failed, summary.over_budget, summary.responded) == (5, 2, 1, 2)
    assert summary.failures == {"TimeoutError": 1, "HTTP 500": 1}
    assert summary.p50 == pytest.approx(0.030)
    assert summary.max == pytest.approx(3.5)
    assert summary.respond_p50 == pytest.approx(0.030)
    assert summary.connect_p99 == pytest.approx(percentile([0.001, 0.003, 0.35, 0.0001], 99))


def test_prepared_commands_are_unique_and_accepted_by_liaison(
    services: Services, demo: None, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    prepared = prepare_commands(payloads, 8, random.Random(0))
    assert len({r.body for r in prepared}) == len({r.token for r in prepared}) == 8

    pool = ServerPool()
    served = pool.start(services)
    try:
        port = int(served.url.rsplit(":", 1)[1])
        status, _, connect = post(port, prepared[0], timeout=10)
        served.settle()
    finally:
        pool.stop_all()

    assert status == 200
    assert 0 <= connect < 1
    (answer,) = slack_api.wait_for(RESPONSE_URL_METHOD, timeout=5)
    assert answer.params["_response_token"] == prepared[0].token
    assert "went wrong" not in str(answer.params)


@pytest.fixture
def bare_bolt(monkeypatch: pytest.MonkeyPatch, slack_api: FakeSlackApi) -> Iterator[int]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-bench-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("LIAISON_WEB_THREADS", "2")
    server: GracefulWSGIServer = make_http_server(create_bare_bolt_app(), "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": FAKE_POLL_INTERVAL}, daemon=True
    )
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_the_load_client_drives_the_bare_bolt_baseline(
    bare_bolt: int, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    prepared = prepare_commands(payloads, 6, random.Random(2))
    client = LoadClient(threads=6, timeout=10)
    try:
        samples = client.run("bare Bolt", "burst", bare_bolt, prepared, [0.0] * 3 + [0.01, 0.02, 0.03])
    finally:
        client.close()

    assert get(bare_bolt, "/healthz", timeout=5) == 200
    assert [s.status for s in samples] == [200] * 6
    assert all(s.seconds is not None and s.lag >= 0 for s in samples)
    answers = slack_api.wait_for(RESPONSE_URL_METHOD, count=6, timeout=5)
    assert {a.params["_response_token"] for a in answers} == {r.token for r in prepared}
    assert {a.params["text"] for a in answers} == {BARE_REPLY}


def test_bare_bolt_checks_signatures(bare_bolt: int, slack_api: FakeSlackApi) -> None:
    forged = SlackPayloads("another-secret", team_id="T0LIAISON", response_url_base=slack_api.url)
    (request,) = prepare_commands(forged, 1, random.Random(3))

    assert post(bare_bolt, request, timeout=5)[0] == 401


def test_write_section_replaces_only_its_own_section(tmp_path: Path) -> None:
    results = tmp_path / "benchmarks.md"
    results.write_text("# Benchmarks\n\n## Reminders\n\nold reminders\n", encoding="utf-8")

    write_section(results, f"{SECTION}\n\nfirst\n")
    write_section(results, f"{SECTION}\n\nsecond\n")

    text = results.read_text(encoding="utf-8")
    assert "old reminders" in text and "second" in text and "first" not in text
    assert text.count(SECTION) == 1


def test_cpu_steal_is_the_stolen_share_of_the_machine_time_over_all_slices() -> None:
    record = PhaseRecord()
    record.add_machine_time((10, 1_000), (20, 1_100))  # 10 of 100 ticks stolen
    record.add_machine_time((20, 1_500), (20, 1_800))  # none of 300
    assert record.steal_percent() == pytest.approx(100 * 10 / 400)
    record.add_machine_time(None, (30, 2_000))  # unreadable: the share is unknown, not understated
    assert record.steal_percent() is None


def test_the_machine_cpu_times_are_read_on_linux() -> None:
    if not Path("/proc/stat").exists():
        pytest.skip("no /proc/stat on this system")
    first = cpu_times()
    _ = sum(i * i for i in range(200_000))  # let the clock tick
    second = cpu_times()
    assert first is not None and second is not None
    assert 0 <= first[0] <= second[0] and first[1] <= second[1]
    assert first[0] <= first[1]


def test_server_cpu_per_request_spans_every_slice_and_is_unknown_if_one_slice_is() -> None:
    record = PhaseRecord(samples=[_sample(0.01, 200)] * 4, cpu=[0.020, 0.040])
    assert record.cpu_ms_per_request() == pytest.approx(1000 * 0.060 / 4)
    record.cpu.append(None)
    assert record.cpu_ms_per_request() is None


def test_prepared_commands_can_be_drawn_from_one_command(payloads: SlackPayloads) -> None:
    prepared = prepare_commands(payloads, 5, random.Random(4), mix=(("/milestone", "next"),))

    assert {r.command for r in prepared} == {"/milestone next"}
    assert {parse_qs(r.body.decode())["text"][0] for r in prepared} == {"next"}


def test_write_section_replaces_the_section_under_another_heading(tmp_path: Path) -> None:
    results = tmp_path / "benchmarks.md"
    results.write_text(f"# Benchmarks\n\n{SECTION}\n\nload\n\n## CPU\n\nold\n", encoding="utf-8")

    write_section(results, "## CPU\n\nnew\n", "## CPU")

    text = results.read_text(encoding="utf-8")
    assert "load" in text and "new" in text and "old" not in text


def _summary(ack_p99: float, respond_p99: float | None, cpu_ms: float | None) -> Summary:
    return replace(
        summarize([_sample(ack_p99, 200, respond_p99)]),
        cpu_ms_per_request=cpu_ms,
    )


def test_phase_ratios_of_the_answer_and_the_server_cpu() -> None:
    phase = PhaseResult(
        "steady",
        "50/s",
        {"Liaison": _summary(0.006, 0.012, 4.0), "bare Bolt": _summary(0.012, 0.004, 2.5)},
    )

    assert phase.ratio() == pytest.approx(0.5)
    assert phase.answer_ratio() == pytest.approx(3.0)
    assert phase.cpu_ratio() == pytest.approx(1.6)
    unknown = PhaseResult(
        "burst", "200", {"Liaison": _summary(0.1, None, None), "bare Bolt": _summary(0.1, 0.2, 2.0)}
    )
    assert unknown.answer_ratio() is None and unknown.cpu_ratio() is None
    assert CommandCpu("/milestone next", 300, {"Liaison": 3.0, "bare Bolt": 2.0}).ratio() == pytest.approx(
        1.5
    )
    assert CommandCpu("/milestone next", 300, {"Liaison": 3.0, "bare Bolt": None}).ratio() is None


def test_the_report_says_which_targets_are_met() -> None:
    phase = PhaseResult(
        "steady",
        "50/s for 60 s",
        {"Liaison": _summary(0.006, 0.012, 4.0), "bare Bolt": _summary(0.012, 0.010, 2.5)},
    )
    result = RunResult(
        database="SQLite (file, WAL)",
        cold_starts=[],
        phases=[phase],
        sanity="fine",
        server_errors={"Liaison": 0, "bare Bolt": 0},
        command_cpu=[
            CommandCpu("/project status bidshade", 300, {"Liaison": 5.0, "bare Bolt": 2.0}),
            CommandCpu("/milestone next", 300, {"Liaison": 3.9, "bare Bolt": 2.0}),
        ],
    )
    args = argparse.Namespace(server="gunicorn", workers=1, threads=8, rate=50.0, cold_starts=0)

    text = render([result], args, "python -m bench.load", "0.1 → 0.2")

    assert "ack p99 ratio Liaison / bare Bolt = **0.50** (target ≤ 1.5: met)" in text
    assert "answer (respond()) p99 ratio = **1.20** (target ≤ 2: met)" in text
    assert "server CPU per request ratio = **1.60** (target ≤ 2: met)" in text
    assert "| `/project status bidshade` | 300 | 5.00 | 2.00 | 2.50 | **not met** |" in text
    assert "| `/milestone next` | 300 | 3.90 | 2.00 | 1.95 | met |" in text


def test_the_report_opens_each_database_with_its_targets() -> None:
    phases = [
        PhaseResult(
            "steady",
            "50/s for 60 s",
            {"Liaison": _summary(0.006, 0.012, 4.0), "bare Bolt": _summary(0.012, 0.010, 2.5)},
        ),
        PhaseResult(
            "burst",
            "200 at once",
            {"Liaison": _summary(0.3, 1.2, 4.0), "bare Bolt": _summary(0.25, 0.4, 2.0)},
        ),
    ]
    cold = ColdStart("Liaison web role, model off", healthz=[1.0], first_ack=[1.1, 1.3])
    result = RunResult(
        database="PostgreSQL",
        cold_starts=[cold],
        phases=phases,
        sanity="fine",
        server_errors={"Liaison": 0, "bare Bolt": 0},
        command_cpu=[CommandCpu("/milestone next", 300, {"Liaison": 3.9, "bare Bolt": 2.0})],
    )
    args = argparse.Namespace(server="gunicorn", workers=1, threads=8, rate=50.0, cold_starts=1)

    text = render([result], args, "python -m bench.load", "0.1 → 0.2")

    assert text.startswith(SECTION)
    table = text[text.index("### PostgreSQL") : text.index("Ack = HTTP response time")]
    assert (
        "| Server CPU per command, `/milestone next` alone (ms) | 3.90 | 2.00 | 1.95 | ≤ 2 | met |" in table
    )
    assert "| Answer (respond()) p99, steady (ms) | 12.00 | 10.00 | 1.20 | ≤ 2 | met |" in table
    assert "| Ack p99, steady (ms) | 6.00 | 12.00 | 0.50 | ≤ 1.5 | met |" in table
    assert "| Answer (respond()) p99, bursts (ms) | 1200.00 | 400.00 | 3.00 | ≤ 2 | **not met** |" in table
    assert "| Ack p99, bursts (ms) | 300.00 | 250.00 | 1.20 | ≤ 1.5 | met |" in table
    assert "spawn → first acked command, worst (s) | 1.30 | – | – | < 3 s | met |" in table
