"""Response bodies as the OpenAPI document describes them.

Each mirrors the `to_json()` of a `storage` value object, so the API and the
CLI's `--json` give the same figures; the routers return those dicts and
FastAPI checks them against these models on the way out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from storage.noise_filter import NoiseFilter


class PathCountOut(BaseModel):
    path: str
    kind: str
    count: int


class PrunedOut(BaseModel):
    """Where retention has removed data inside the window: gone, not quiet."""

    raw_before: datetime | None
    rollups_before: datetime | None


class EndpointOut(BaseModel):
    endpoint: str
    total: int
    mismatches: int
    mismatch_rate: float
    orphans: int
    verdicts: dict[str, int]
    top_paths: list[PathCountOut]
    examples: list[str]
    secondary: bool = Field(description="whether the endpoint had a secondary in the window")
    noise: int | None = Field(
        description="mismatches the secondary's baseline explains (null: no secondary)"
    )


class EndpointsOut(BaseModel):
    """The mismatch report: endpoints by mismatches, most first (`shadowdiff mismatches`)."""

    run: str
    since: datetime | None
    until: datetime | None
    endpoints: list[EndpointOut]
    noise: NoiseFilter = Field(description="the noise filter applied")
    secondary: bool = Field(description="whether any endpoint had a secondary in the window")
    pruned: PrunedOut


class LatencyOut(BaseModel):
    p50: float | None
    p95: float | None


class SidesLatencyOut(BaseModel):
    primary: LatencyOut
    candidate: LatencyOut


class BucketOut(BaseModel):
    start: datetime
    total: int
    mismatches: int
    mismatch_rate: float
    orphans: int
    errors: int
    latency_ms: SidesLatencyOut
    pruned: bool
    noise: int | None = Field(
        description="the bucket's mismatches the secondary's baseline explains (null: none)"
    )


class SeriesOut(BaseModel):
    endpoint: str
    buckets: list[BucketOut]
    secondary: bool


class TimeSeriesOut(BaseModel):
    """Buckets per endpoint over the window (`shadowdiff timeseries --json`)."""

    run: str
    step: str
    since: datetime
    until: datetime
    series: list[SeriesOut]
    noise: NoiseFilter
    secondary: bool


class ProblemPathOut(BaseModel):
    path: str
    kind: str


class SignatureOut(BaseModel):
    signature: str
    endpoint: str
    summary: str
    count: int
    first_seen: datetime
    last_seen: datetime
    status: str
    examples: list[str]
    paths: list[ProblemPathOut]
    noise: bool | None = Field(
        description="whether a secondary's baseline explains it (null: no secondary)"
    )


class SignaturesOut(BaseModel):
    """Distinct problems over the window, most frequent first (`shadowdiff signatures`)."""

    run: str
    since: datetime | None
    until: datetime | None
    signatures: list[SignatureOut]
    noise: NoiseFilter
    secondary: bool
    pruned: PrunedOut


class DifferenceOut(BaseModel):
    path: str
    kind: str
    primary: Any = Field(description="the primary's value (redacted where secret); null: none")
    candidate: Any = Field(description="the candidate's value; null: none")


class ComparisonSummaryOut(BaseModel):
    run: str
    request_id: str
    endpoint: str
    method: str
    observed_at: datetime
    verdict: str
    primary_status: int | None
    candidate_status: int | None
    primary_latency_ms: float | None
    candidate_latency_ms: float | None
    signature: str | None


class ComparisonOut(ComparisonSummaryOut):
    """One stored comparison with its differences (`shadowdiff show --json`)."""

    rules_version: str
    differences: list[DifferenceOut]


class SignatureDetailOut(SignatureOut):
    """One problem over the window, with the stored comparisons of its examples."""

    example_comparisons: list[ComparisonOut]
    pruned: PrunedOut


class ComparisonPageOut(BaseModel):
    """Comparisons newest first; pass `next_page_token` back as `page_token` for more."""

    run: str
    comparisons: list[ComparisonSummaryOut]
    next_page_token: str | None


class RunOut(BaseModel):
    run: str
    kind: str
    rules_version: str
    created_at: datetime
    note: str | None
    source_from: datetime | None
    source_until: datetime | None
    traffic_since: datetime | None = Field(description="first stored minute of traffic")
    traffic_until: datetime | None = Field(description="end of the last stored minute")


class RunsOut(BaseModel):
    runs: list[RunOut]


class HealthOut(BaseModel):
    status: str


class SampleOut(BaseModel):
    """A count out of a total, its rate and the rate's 95 % interval."""

    count: float
    total: float
    rate: float
    low: float
    high: float


class AlertOut(BaseModel):
    id: str
    run: str
    rule: str = Field(description="spike, candidate_errors, orphans or new_signature")
    endpoint: str
    state: str = Field(description="firing or resolved")
    window_start: datetime
    window_end: datetime
    opened_at: datetime
    resolved_at: datetime | None = None
    observed: SampleOut | None = None
    baseline: SampleOut | None = None
    threshold: float | None = None
    signature: str | None = None
    summary: str = ""
    examples: list[str] = []


class AlertsOut(BaseModel):
    """Alerts opened in the window, newest first (`shadowdiff alerts --json`)."""

    run: str
    alerts: list[AlertOut]


class ReadinessLatencyOut(BaseModel):
    primary: LatencyOut
    candidate: LatencyOut
    budget: float = Field(description="how far above the primary's the candidate's may be")


class EndpointReadinessOut(BaseModel):
    endpoint: str
    verdict: str = Field(description="ready or not_ready")
    reasons: list[str]
    requests: int
    judged: int
    match_rate: float | None
    lower_bound: float | None
    target: float
    latency_ms: ReadinessLatencyOut
    candidate_error_rate: float | None
    open_signatures: int
    hours_since_new_signature: float | None
    more_requests_needed: int | None
    more_hours_needed: float | None


class ReadinessWindowOut(BaseModel):
    length: str
    since: datetime
    until: datetime


class ReadinessOut(BaseModel):
    """Per endpoint, ready to move to the candidate or not (`shadowdiff readiness --json`)."""

    run: str
    window: ReadinessWindowOut
    endpoints: list[EndpointReadinessOut]
    coverage: None = Field(description="request shapes are not judged: always null")
