"""The worker's Prometheus metrics: what each one means, and where its number comes from.

Each worker process owns one `WorkerMetrics` with a registry of its own (never
prometheus_client's global one), served at `/metrics` by `streams.metrics_http`;
several workers each serve theirs, and Prometheus sums them.

Cost: nothing is counted per event. Counters of stored verdicts are advanced
once per stored batch, one `inc` per distinct (endpoint, verdict) pair, on label
children bound once and cached. What the worker already keeps (the join's
pending sides and evictions, dead letters per failure code, each partition's
processed offset) is read when Prometheus scrapes, on the event loop that owns it.

Label cardinality is bounded: endpoints are admitted as label values in order of
first sight up to `endpoint_cap`; later ones fold into ``other``. Verdicts,
difference kinds and failure codes are closed sets; partitions are the topic's.
No request ID, path or body value is ever a label.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from comparator import Result

DEFAULT_ENDPOINT_CAP: Final = 200
OTHER: Final = "other"
"""The label value every endpoint past the cap is counted under."""

STORE_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class EndpointLabels:
    """Endpoint -> label value: the first `cap` endpoints seen keep their name.

    Only admitted endpoints are remembered, so a flood of distinct endpoint
    names costs neither labels nor memory.
    """

    def __init__(self, cap: int = DEFAULT_ENDPOINT_CAP) -> None:
        if cap < 0:
            raise ValueError(f"the endpoint label cap must not be negative, got {cap}")
        self.cap = cap
        self._admitted: dict[str, str] = {}

    def __call__(self, endpoint: str) -> str:
        label = self._admitted.get(endpoint)
        if label is not None:
            return label
        if len(self._admitted) < self.cap:
            self._admitted[endpoint] = endpoint
            return endpoint
        return OTHER


@dataclass(frozen=True, slots=True)
class JoinGauges:
    """What the join holds right now, and the early evictions since the process began."""

    pending_sides: int
    pending_bytes: int
    evictions: int


class WorkerMetrics:
    """Every metric of one worker process; see the module docstring.

    The outbox reports stored batches (`stored`, `retried`); the worker hands
    over readers of the numbers it keeps (`watch_*`), called at scrape time.
    """

    def __init__(
        self, *, endpoint_cap: int = DEFAULT_ENDPOINT_CAP, clock: Callable[[], float] = time.time
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.endpoint = EndpointLabels(endpoint_cap)
        self._clock = clock
        registry = self.registry
        self.comparisons = Counter(
            "shadowdiff_comparisons",
            "Verdicts stored by this worker (replays the store ignored are not counted).",
            ["endpoint", "verdict"],
            registry=registry,
        )
        self.differences = Counter(
            "shadowdiff_differences",
            "Differences of the verdicts stored by this worker, by kind.",
            ["endpoint", "kind"],
            registry=registry,
        )
        self.store_batch_seconds = Histogram(
            "shadowdiff_store_batch_duration_seconds",
            "Seconds from handing a batch to the database to its commit, retries included.",
            buckets=STORE_BUCKETS,
            registry=registry,
        )
        self.store_retries = Counter(
            "shadowdiff_store_retries",
            "Attempts to store a batch that failed because the database was unreachable.",
            registry=registry,
        )
        self._comparison = _Children(self.comparisons)
        self._difference = _Children(self.differences)
        self._newest_event_s: float | None = None
        self._watched = _Watched(self)
        registry.register(self._watched)

    def stored(self, results: Sequence[Result], inserted: object, seconds: float) -> None:
        """A batch was committed; `inserted` is what the writer reported as new.

        Given the request IDs inserted, exactly those are counted; given nothing
        (None), all of them. Given only how
        many, a batch that was all new (or all replayed) is still exact; in a
        batch that mixed replays with new verdicts, which only happens while a
        restarted worker re-reads its uncommitted tail, the later verdicts are
        taken for the new ones (re-read verdicts precede new ones in offset
        order), so the total stays exact and only the split by label may not be.
        """
        self.store_batch_seconds.observe(seconds)
        new = _new_results(results, inserted)
        if not new:
            return
        label = self.endpoint
        verdicts = Tally((r.endpoint, r.comparison.verdict.value) for r in new)
        for (endpoint, verdict), n in verdicts.items():
            self._comparison(label(endpoint), verdict).inc(n)
        kinds = Tally(
            (r.endpoint, d.kind.value)
            for r in new
            if r.comparison.differences
            for d in r.comparison.differences
        )
        for (endpoint, kind), n in kinds.items():
            self._difference(label(endpoint), kind).inc(n)
        newest = max(r.observed_at for r in new).timestamp()
        if self._newest_event_s is None or newest > self._newest_event_s:
            self._newest_event_s = newest

    def retried(self) -> None:
        """A store attempt failed on an unreachable database and will be retried."""
        self.store_retries.inc()

    def watch_join(self, read: Callable[[], JoinGauges]) -> None:
        self._watched.join = read

    def watch_dead_letters(self, read: Callable[[], Mapping[str, int]]) -> None:
        """`read` returns dead letters sent by this process so far, per failure code."""
        self._watched.dead_letters = read

    def watch_consumer_lag(self, read: Callable[[], Mapping[int, int]]) -> None:
        """`read` returns, per assigned partition, records not yet processed."""
        self._watched.consumer_lag = read

    def event_time_lag_s(self) -> float | None:
        """Now minus the newest `observed_at` stored by this process; None before any."""
        if self._newest_event_s is None:
            return None
        return self._clock() - self._newest_event_s


class _Children:
    """A labelled counter's children, bound once per label pair and kept."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self._bound: dict[tuple[str, str], Counter] = {}

    def __call__(self, first: str, second: str) -> Counter:
        child = self._bound.get((first, second))
        if child is None:
            child = self._bound[(first, second)] = self.counter.labels(first, second)
        return child


def _new_results(results: Sequence[Result], inserted: object) -> Sequence[Result]:
    """The results of a batch the store took as new (the first copy of a request wins)."""
    if inserted is None:
        return results
    if isinstance(inserted, int):
        if inserted <= 0:
            return ()
        if inserted == len(results):
            return results
    first: dict[str, Result] = {}
    for result in results:
        first.setdefault(result.request_id, result)
    unique = list(first.values())
    if isinstance(inserted, int):
        return unique[-inserted:] if inserted < len(unique) else unique
    if not isinstance(inserted, Collection):
        raise TypeError(f"a writer reports an int or request IDs, not {type(inserted).__name__}")
    return [r for r in unique if r.request_id in inserted]


class _Watched(Collector):
    """The numbers the worker keeps anyway, read at scrape time."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self.metrics = metrics
        self.join: Callable[[], JoinGauges] | None = None
        self.dead_letters: Callable[[], Mapping[str, int]] | None = None
        self.consumer_lag: Callable[[], Mapping[int, int]] | None = None

    def describe(self) -> Iterable[Metric]:
        # Names only; the values are read in `collect`.
        return self._families(JoinGauges(0, 0, 0), {}, {}, 0.0)

    def collect(self) -> Iterable[Metric]:
        join = self.join() if self.join is not None else None
        dead = self.dead_letters() if self.dead_letters is not None else {}
        lag = self.consumer_lag() if self.consumer_lag is not None else {}
        return self._families(join, dead, lag, self.metrics.event_time_lag_s())

    def _families(
        self,
        join: JoinGauges | None,
        dead: Mapping[str, int],
        lag: Mapping[int, int],
        event_lag_s: float | None,
    ) -> Iterator[Metric]:
        letters = CounterMetricFamily(
            "shadowdiff_dead_letters",
            "Records this worker sent to the dead-letter topic, by failure code.",
            labels=["failure"],
        )
        for failure, count in sorted(dead.items()):
            letters.add_metric([failure], count)
        yield letters
        if join is not None:
            yield GaugeMetricFamily(
                "shadowdiff_join_pending_sides",
                "Sides the join holds: waiting for their counterpart, or paired and "
                "kept until expiry to absorb duplicates.",
                value=join.pending_sides,
            )
            yield GaugeMetricFamily(
                "shadowdiff_join_pending_bytes",
                "Approximate bytes of the sides the join holds.",
                value=join.pending_bytes,
            )
            yield CounterMetricFamily(
                "shadowdiff_join_early_evictions",
                "Waiting sides made orphans before their grace period because the join was full.",
                value=join.evictions,
            )
        consumer = GaugeMetricFamily(
            "shadowdiff_consumer_lag_records",
            "Records of each assigned exchanges partition not yet processed by this worker.",
            labels=["partition"],
        )
        for partition, records in sorted(lag.items()):
            consumer.add_metric([str(partition)], records)
        yield consumer
        if event_lag_s is not None:
            yield GaugeMetricFamily(
                "shadowdiff_event_time_lag_seconds",
                "Now minus the newest event time (observed_at) this worker has stored.",
                value=event_lag_s,
            )
