"""Where alerts go: webhooks, each with its payload format and retry policy.

Configured as text, one webhook per `FORMAT=URL` (several separated by
whitespace or commas), e.g.::

    slack=https://hooks.slack.com/services/T000/B000/XXXX
    alertmanager=http://alertmanager:9093
    json=https://ops.example.com/hooks/shadowdiff

An Alertmanager URL without a path gets Alertmanager's `/api/v2/alerts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import urlsplit

Format = Literal["json", "slack", "alertmanager"]
"""`json`: shadowdiff's own document (the alert as `shadowdiff alerts --json` shows it);
`slack`: a Slack incoming-webhook message; `alertmanager`: a `POST /api/v2/alerts` list."""

ALERTMANAGER_PATH = "/api/v2/alerts"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff from `initial_s`, doubling up to `max_s`, for `attempts` tries.

    Connection failures, timeouts, 408, 429 and 5xx answers are retried; any
    other 4xx answer will not get better and is given up at once.
    """

    attempts: int = 6
    initial_s: float = 0.5
    max_s: float = 30.0
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a webhook needs at least one attempt, got {self.attempts}")
        if self.initial_s < 0 or self.max_s < self.initial_s or self.timeout_s <= 0:
            raise ValueError("retry delays must satisfy 0 <= initial_s <= max_s, timeout_s > 0")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max_s, self.initial_s * 2 ** (attempt - 1)))


@dataclass(frozen=True, slots=True)
class Webhook:
    """One receiver. `repeat_firing_s`: re-send a still-firing alert offered again after
    this many seconds (Alertmanager forgets a firing alert not re-sent within its
    `resolve_timeout`); None: each alert once per state."""

    url: str
    format: Format = "json"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    repeat_firing_s: float | None = None

    @property
    def name(self) -> str:
        """The receiver without secrets (Slack's URL path is its token): scheme and host."""
        parts = urlsplit(self.url)
        return f"{self.format}:{parts.scheme}://{parts.netloc}"


def parse_webhook(text: str, retry: RetryPolicy | None = None) -> Webhook:
    """`FORMAT=URL` (or a bare URL, as `json`) as a `Webhook`; ValueError saying what is wrong."""
    kind, sep, url = text.strip().partition("=")
    if not sep or "://" in kind:
        kind, url = "json", text.strip()
    if kind not in get_args(Format):
        raise ValueError(
            f"unknown webhook format {kind!r} in {text!r}: use one of "
            f"{', '.join(get_args(Format))}, as FORMAT=URL"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL (in webhook {text!r})")
    if kind == "alertmanager" and parts.path in ("", "/"):
        url = url.rstrip("/") + ALERTMANAGER_PATH
    return Webhook(
        url=url,
        format=kind,  # type: ignore[arg-type]
        retry=retry or RetryPolicy(),
        repeat_firing_s=60.0 if kind == "alertmanager" else None,
    )


def parse_webhooks(text: str, retry: RetryPolicy | None = None) -> tuple[Webhook, ...]:
    """Every `FORMAT=URL` in `text`, separated by whitespace or commas."""
    items = text.replace(",", " ").split()
    return tuple(parse_webhook(item, retry) for item in items)
