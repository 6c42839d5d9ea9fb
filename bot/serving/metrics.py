"""Prometheus metrics of one Liaison process, served at `/metrics`.

Each process builds its own `Metrics` with its own registry (nothing is registered at import time, and
tests get a fresh set). The recommended layout runs one server process per instance
(docs/deployment.md), so a scrape of an instance sees all of its requests; with several gunicorn workers
per instance a scrape sees one worker's counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.models import DeliveryStatus, ReminderDelivery

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

logger = logging.getLogger(__name__)

# Slack wants the HTTP answer within 3 s; the buckets are dense below that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    """The process's counters, gauges and histograms, in a registry of their own.

    Args:
        registry: Where to register; a new `CollectorRegistry` by default.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.http_requests = Counter(
            "liaison_http_requests",
            "HTTP requests answered, by route and status code.",
            ["route", "status"],
            registry=self.registry,
        )
        self.slack_requests = Counter(
            "liaison_slack_requests",
            "Requests to /slack/events by kind (command, block_actions, event, …) and outcome "
            "(accepted, too_large, bad_signature, stale, replay, bad_request, error).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.slack_ack_seconds = Histogram(
            "liaison_slack_ack_seconds",
            "Seconds from receiving a verified Slack request to answering it (the ack).",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "liaison_http_in_flight_requests", "HTTP requests being handled now.", registry=self.registry
        )
        # Each labelled child, once looked up: prometheus_client's `labels()` validates and locks on
        # every call, which costs more than the increment (a few per request). The label values come
        # from small fixed sets (route, status, kind, outcome), so these stay small.
        self._children: dict[tuple[str, ...], Any] = {}

    def count_http_request(self, route: str, status: int) -> None:
        """Count an HTTP answer (`liaison_http_requests_total`)."""
        key = ("http", route, str(status))
        child = self._children.get(key)
        if child is None:
            child = self._children.setdefault(key, self.http_requests.labels(route, str(status)))
        child.inc()

    def count_slack_request(self, kind: str, outcome: str) -> None:
        """Count a request to /slack/events by kind and outcome (`liaison_slack_requests_total`)."""
        key = ("slack", kind, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children.setdefault(key, self.slack_requests.labels(kind, outcome))
        child.inc()

    def observe_ack(self, kind: str, seconds: float) -> None:
        """Record how long a Slack request of `kind` waited for its answer (`liaison_slack_ack_seconds`)."""
        key = ("ack", kind)
        child = self._children.get(key)
        if child is None:
            child = self._children.setdefault(key, self.slack_ack_seconds.labels(kind))
        child.observe(seconds)

    def watch_model(self, is_ready: Callable[[], bool]) -> None:
        """Export `liaison_model_ready` (1 once the embedding model is loaded in this process)."""
        gauge = Gauge(
            "liaison_model_ready", "1 when this process's embedding model is loaded.", registry=self.registry
        )
        gauge.set_function(lambda: 1.0 if is_ready() else 0.0)

    def watch_deliveries(self, session_factory: sessionmaker[Session]) -> None:
        """Export `liaison_reminder_deliveries{status}`, counted in the database at scrape time."""
        self.registry.register(DeliveryCollector(session_factory))

    def exposition(self) -> tuple[bytes, str]:
        """The current values in Prometheus's text format, with its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class DeliveryCollector(Collector):
    """Reminder deliveries in the ledger by status, read from the database on each scrape.

    The ledger is shared, so every instance reports the same numbers (aggregate with `max`, not `sum`).
    A database error skips the metric for that scrape rather than failing the whole scrape.

    Args:
        session_factory: The process's sessions.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] | None = None
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock or (lambda: datetime.now(UTC))

    def describe(self) -> list[Metric]:
        """Nothing: registering the collector must not query the database."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Count deliveries by status, and how late the oldest due one is."""
        now = self._clock()
        try:
            with self._session_factory() as session:
                rows = session.execute(
                    select(ReminderDelivery.status, func.count()).group_by(ReminderDelivery.status)
                ).all()
                # Queue lag: a planned delivery whose time has come but no tick has sent yet. Zero when
                # the ticks keep up; growing when they are down or cannot keep up.
                oldest_due = session.scalar(
                    select(func.min(ReminderDelivery.not_before)).where(
                        ReminderDelivery.status == DeliveryStatus.PLANNED, ReminderDelivery.not_before <= now
                    )
                )
        except SQLAlchemyError as error:
            logger.warning("metrics: cannot count reminder deliveries: %s", error)
            return
        counts = {status: int(count) for status, count in rows}
        family = GaugeMetricFamily(
            "liaison_reminder_deliveries",
            "Reminder deliveries in the ledger by status (database-wide; every instance reports the same).",
            labels=["status"],
        )
        for status in DeliveryStatus:
            family.add_metric([status.value], counts.get(status, 0))
        yield family
        lag = GaugeMetricFamily(
            "liaison_reminder_queue_lag_seconds",
            "Seconds since the oldest planned delivery became due (0 when nothing due waits).",
            value=max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0,
        )
        yield lag
