"""`shadowdiff readiness`: per endpoint, is the candidate ready to take the traffic?"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from analysis.readiness import Evidence, Latency, Readiness, judge_readiness
from analysis.readiness_rules import ReadinessBook, ReadinessRulesError, parse_readiness_rules
from shadowdiff.closest import note_unknown_endpoint
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.noise_option import settings_thresholds
from shadowdiff.recent import recent_options, recent_window
from shadowdiff.rules import resolve_rules, rules_option
from storage import latency
from storage.readiness import EndpointTraffic, readiness_traffic


def readiness_book(path: Path | None) -> ReadinessBook:
    """The `readiness:` section of the rules file at `path` (defaults without one)."""
    if path is None:
        return ReadinessBook()
    import yaml  # here: only a rules file needs the parser

    resolve_rules(path)  # the whole file must be a good rules file
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return parse_readiness_rules(data.get("readiness"))
    except ReadinessRulesError as error:
        raise click.ClickException(f"{path}: {error}") from error


def _side(histogram: latency.Histogram) -> Latency:
    p50, p95 = latency.quantiles(histogram, (0.50, 0.95))
    return Latency(p50, p95)


def evidence(traffic: EndpointTraffic, until: datetime) -> Evidence:
    """What the store read, as the judge takes it."""
    return Evidence(
        endpoint=traffic.endpoint,
        verdicts=traffic.verdicts,
        excused=traffic.expected + traffic.noise,
        open_signatures=traffic.open_signatures,
        last_new_problem=traffic.last_new_problem,
        primary=_side(traffic.primary_latency),
        candidate=_side(traffic.candidate_latency),
        first=traffic.first_minute,
        until=until,
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.3f} %"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_readiness(found: list[Readiness]) -> str:
    """A block per endpoint: the verdict, its figures, and every reason."""
    if not found:
        return "no traffic in the window: nothing to judge (try a longer --window or --until end)"
    lines = []
    for r in found:
        lines.append(f"{r.endpoint}: {'READY' if r.verdict == 'ready' else 'NOT READY'}")
        lines.append(
            f"  {r.requests} requests ({r.judged} judged), match rate {_pct(r.match_rate)}, "
            f"lower bound {_pct(r.lower_bound)} (target {_pct(r.target)})"
        )
        lines.append(
            f"  latency p50/p95 ms: primary {_ms(r.primary.p50)}/{_ms(r.primary.p95)}, "
            f"candidate {_ms(r.candidate.p50)}/{_ms(r.candidate.p95)} "
            f"(budget +{r.latency_budget:.0%}); candidate errors {_pct(r.candidate_error_rate)}; "
            f"open signatures {r.open_signatures}"
        )
        lines.extend(f"  - {reason}" for reason in r.reasons)
    lines.append("")
    lines.append(
        "coverage of request shapes is not judged: the rollups keep no request shapes "
        "(query keys, body keys)."
    )
    return "\n".join(lines)


@click.command("readiness")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@recent_options(flag="--window", default="7d")
@rules_option
@click.option(
    "--target",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=None,
    help="Match-rate target for every endpoint (overrides the rules file; default 0.999).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    length: str,
    until: str,
    run_id: str,
    rules_file: Path | None,
    target: float | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Per endpoint: ready to move to the candidate, or not ready and every reason why.

    Judged over the window from the rollups (fast at any volume): the match
    rate, mismatches marked expected counted as agreeing, must have a Wilson
    95 % lower bound at or above the target (99.9 %; the verdict says how many
    more requests the bound needs); no open signature (new or regressed); no
    new problem in the last 24 h; candidate errors at most 0.1 %; candidate
    latency p50 and p95 at most 10 % above the primary's. Per-endpoint criteria
    come from the rules file's `readiness:` section (see README).
    """
    now = datetime.now(UTC)
    book = readiness_book(rules_file)
    engine = open_store(db_url, existing=True)
    with store_errors():
        since, end = recent_window(length, until, engine, run_id, now, flag="--window")
        traffic = readiness_traffic(
            engine,
            since=since,
            until=end,
            endpoint=endpoint,
            run_id=run_id,
            thresholds=settings_thresholds,
        )
    found = []
    for t in traffic:
        criteria = book.for_endpoint(t.endpoint)
        if target is not None:
            criteria = dataclasses.replace(criteria, target=target)
        found.append(judge_readiness(evidence(t, end), criteria))
    if as_json:
        payload: dict[str, Any] = {
            "window": {"length": length, "since": since.isoformat(), "until": end.isoformat()},
            "run": run_id,
            "endpoints": [r.to_json() for r in found],
            "coverage": None,
        }
        click.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(f"window {since:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC ({length})")
        click.echo(format_readiness(found))
    if not found:
        with store_errors():
            note_unknown_endpoint(engine, run_id, endpoint)
