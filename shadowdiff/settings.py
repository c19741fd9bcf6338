"""One typed settings object, read from the environment at the entry point.

Nothing below the CLI reads the environment: commands build a `Settings` (flags
override the environment) and pass what each part needs down explicitly.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from analysis.baseline import BaselineThresholds
from storage.timespec import parse_duration

# The defaults match docker-compose.yml, so a Docker user needs no variables.
DEFAULT_KAFKA = "127.0.0.1:9092"
DEFAULT_DATABASE_URL = "postgresql://shadowdiff:shadowdiff@127.0.0.1:5432/shadowdiff"


MAX_SCHEMA_ID = 2**31 - 1
"""Confluent's framing holds a Schema Registry id as a signed 32-bit integer."""

KAFKA_PORT = 9092
"""The port of a broker named without one, as Kafka's own clients assume."""

DEFAULT_METRICS_PORT = 9478
"""Where a worker serves Prometheus metrics (`/metrics`) unless told otherwise."""


def parse_brokers(text: str) -> list[str]:
    """`HOST[:PORT][,HOST[:PORT]...]` as a list of HOST:PORT; ValueError saying what is wrong."""
    brokers = [b.strip() for b in text.split(",") if b.strip()]
    if not brokers:
        raise ValueError("no Kafka broker given: expected HOST:PORT[,HOST:PORT...]")
    parsed = []
    for broker in brokers:
        if ":" not in broker:
            broker = f"{broker}:{KAFKA_PORT}"
        host, _, port = broker.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{broker!r} is not a Kafka broker address: expected HOST:PORT")
        parsed.append(broker)
    return parsed


class Settings(BaseSettings):
    """Connections and knobs, from environment variables of the same name (upper-case)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    kafka_bootstrap_servers: str = Field(
        DEFAULT_KAFKA, description="Kafka brokers, host:port[,host:port]"
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="postgresql://user[:password]@host:port/db (or sqlite:///FILE)",
    )
    exchanges_topic: str = "shadowdiff.exchanges"
    comparisons_topic: str = "shadowdiff.comparisons"
    deadletter_topic: str = "shadowdiff.deadletter"
    rules_file: Path | None = Field(
        None, description="YAML comparison rules; built-in defaults if unset"
    )
    grace_period_s: float = Field(30.0, description="event-time seconds a side waits for its pair")
    tick_interval_s: float = Field(
        5.0, description="how often the leader worker appends event-time ticks to idle partitions"
    )
    max_record_bytes: int = Field(
        64 * 1024 * 1024, description="larger Kafka records go to the dead-letter topic"
    )
    max_body_bytes: int = Field(
        8 * 1024 * 1024,
        description="response bodies larger than this are compared by SHA-256 digest only",
    )
    worker_id: str = "shadowdiff"
    confluent_schema_id: int | None = Field(
        None,
        ge=0,
        le=MAX_SCHEMA_ID,
        description="Schema Registry id of the Exchange schema, when gateways publish with "
        "Confluent framing (single-object records are read either way)",
    )
    metrics_port: int = Field(
        DEFAULT_METRICS_PORT,
        ge=0,
        le=65535,
        description="port where the worker serves Prometheus metrics at /metrics; 0: none",
    )
    schema_dir: Path | None = Field(
        None,
        description="directory of .avsc writer schemas (besides the released Exchange schemas) "
        "whose single-object records the worker reads through schema resolution",
    )
    schema_registry_url: str | None = Field(
        None,
        description="Confluent-compatible schema registry (e.g. http://registry:8081, or "
        "Apicurio's http://HOST/apis/ccompat/v7) to fetch writer schemas of Confluent ids from",
    )
    shadowdiff_redaction_key: SecretStr | None = Field(
        None,
        description="key of the hash that stands in for secrets in stored and published "
        "differences; a public development key if unset",
    )

    alerts_topic: str = "shadowdiff.alerts"
    alert_interval_s: float = Field(
        30.0, ge=0, description="how often the leader judges the rollups for alerts; 0: never"
    )
    alert_webhooks: str | None = Field(
        None,
        description="where alerts go: FORMAT=URL entries (json, slack, alertmanager) "
        "separated by spaces, e.g. 'slack=https://hooks.slack.com/... json=https://...'",
    )
    shadowdiff_api_tokens: SecretStr | None = Field(
        None, description="bearer tokens `shadowdiff serve` accepts, comma-separated"
    )
    shadowdiff_api_tokens_file: Path | None = Field(
        None, description="a file of API tokens, one per line (with or instead of the list)"
    )

    retain_raw: str | None = Field(
        None,
        description="with it the worker leader prunes raw comparisons older than this "
        "(30d, 2w) every hour; unset: kept until `shadowdiff db prune`",
    )
    retain_rollups: str | None = Field(
        None, description="the same for the per-minute rollups (400d); keep them longer"
    )
    retention_interval_s: float = Field(
        3600.0,
        gt=0,
        description="how often the leader prunes when RETAIN_RAW or RETAIN_ROLLUPS is set; "
        "cuts fall on whole days, so hourly is plenty",
    )
    compaction_interval_s: float = Field(
        60.0,
        ge=0,
        description="how often the leader compacts the last day's latency into 5-minute "
        "spans, which long time series read; 0: never (they read the minutes)",
    )

    noise_relative_threshold: float = Field(
        20.0,
        ge=0,
        description="with a secondary: a path's candidate differences are real only when "
        "they exceed the secondary's by more than this percent of both (Diffy's relative)",
    )
    noise_absolute_threshold: float = Field(
        0.03,
        ge=0,
        description="... and by more than this percent of the requests (Diffy's absolute)",
    )

    def baseline_thresholds(self) -> BaselineThresholds:
        """Diffy's thresholds, as `analysis.baseline` takes them."""
        return BaselineThresholds(self.noise_relative_threshold, self.noise_absolute_threshold)

    @field_validator("retain_raw", "retain_rollups")
    @classmethod
    def _an_age(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value is not None and (parse_duration(value) or timedelta(0)) <= timedelta(0):
            raise ValueError("expected an age like 30d, 12h or 2w")
        return value

    def retention(self) -> tuple[timedelta | None, timedelta | None]:
        """(raw, rollups) ages the worker leader prunes at; None where unset."""
        return (
            parse_duration(self.retain_raw) if self.retain_raw else None,
            parse_duration(self.retain_rollups) if self.retain_rollups else None,
        )

    @property
    def redaction_secret(self) -> str | None:
        """The redaction key's text (None when unset or empty: the development key)."""
        key = self.shadowdiff_redaction_key
        return (key.get_secret_value() or None) if key is not None else None


def describe(error: ValidationError) -> str:
    """One line per bad environment variable: its name, the problem, what it held."""
    lines = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]).upper() or "settings"
        lines.append(f"{name}: {problem['msg']} (got {problem.get('input')!r})")
    return "\n".join(lines)
