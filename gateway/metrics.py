"""The proxy's Prometheus metrics, in a registry of its own (one per proxy).

Names follow Prometheus conventions (``_total`` counters, seconds); labels are
small closed sets, never a path or an endpoint, so cardinality stays fixed.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

DropReason = str
"""Why an observation never reached Kafka: ``queue_full`` (Kafka slower than
traffic, or down), ``kafka_error`` (the producer refused or lost it),
``too_large`` (the record is past the producer's request size), ``shutdown``."""

SkipReason = str
"""Why a request was not mirrored: ``sampled_out``, ``side_effect``, ``mirror_limit``."""

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ProxyMetrics:
    """Counters and histograms the proxy updates; `render` is the /metrics body."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "shadowdiff_proxy_requests",
            "Client requests, by the primary's outcome: answered, timeout, "
            "connection_refused, error",
            ["outcome"],
            registry=r,
        )
        self.mirrored = Counter(
            "shadowdiff_proxy_mirrored",
            "Requests sent to a mirror backend, by side",
            ["side"],
            registry=r,
        )
        self.mirror_errors = Counter(
            "shadowdiff_proxy_mirror_errors",
            "Mirror calls that got no HTTP answer (timeout, refused), by side",
            ["side"],
            registry=r,
        )
        self.not_mirrored = Counter(
            "shadowdiff_proxy_not_mirrored",
            "Requests answered but not mirrored, by reason",
            ["reason"],
            registry=r,
        )
        self.published = Counter(
            "shadowdiff_proxy_observations_published",
            "Observations acknowledged by Kafka",
            registry=r,
        )
        self.dropped = Counter(
            "shadowdiff_proxy_observations_dropped",
            "Observations given up on, by reason",
            ["reason"],
            registry=r,
        )
        self.queued = Gauge(
            "shadowdiff_proxy_observations_queued",
            "Observations waiting for the producer",
            registry=r,
        )
        self.publish_latency = Histogram(
            "shadowdiff_proxy_publish_latency_seconds",
            "From an observation being queued to Kafka acknowledging it",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )

    def drop(self, reason: DropReason, count: int = 1) -> None:
        self.dropped.labels(reason).inc(count)

    def total(self, name: str) -> float:
        """The sum of a counter's samples over all its labels, by its full sample name."""
        return sum(
            sample.value
            for metric in self.registry.collect()
            for sample in metric.samples
            if sample.name == name
        )

    def render(self) -> bytes:
        """The metrics in Prometheus' text exposition format."""
        return generate_latest(self.registry)
