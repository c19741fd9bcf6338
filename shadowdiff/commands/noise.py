"""`shadowdiff noise`: volatile paths learnt from the traffic, as rules ready to paste."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from analysis.noise import NoiseSettings, Suggestion, learn_noise
from comparator import parse_rules
from shadowdiff.closest import note_unknown_endpoint
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.recent import recent_options, recent_window
from storage.noise_sample import DEFAULT_SAMPLE, EndpointSample, difference_sample


def suggest(samples: tuple[EndpointSample, ...], settings: NoiseSettings) -> list[Suggestion]:
    """Every endpoint's noise, endpoints by name."""
    found: list[Suggestion] = []
    for sample in samples:
        found.extend(learn_noise(sample.endpoint, sample.compared, sample.differences, settings))
    return found


def rules_yaml(suggestions: list[Suggestion]) -> str:
    """A rules file holding the suggestions, each commented with its evidence.

    Keys and rules are written as JSON, which YAML reads as they are (floats
    aside, see `_flow`); the result is checked with the comparator's own reader.
    """
    lines = [
        "# Suggested by `shadowdiff noise`: review each rule, then merge into your rules file.",
        "endpoints:",
    ]
    if not suggestions:
        lines[-1] = "endpoints: {}"
    current = None
    for s in suggestions:
        if s.endpoint != current:
            current = s.endpoint
            lines.append(f"  {json.dumps(s.endpoint)}:")
            lines.append("    paths:")
        rule = _flow(s.rule)
        lines.append(
            f"      {json.dumps(s.path)}: {rule}  # {s.value_class}: differs on "
            f"{s.share:.0%} of pairs, {s.distinct[0]}/{s.distinct[1]} distinct values"
        )
    text = "\n".join(lines) + "\n"
    parse_rules(text, "<suggested rules>")  # a suggestion that does not load is a bug here
    return text


def _flow(value: Any) -> str:
    """`value` as YAML flow text; JSON's, but for floats in a form YAML 1.1 reads as numbers."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        mantissa, _, exponent = repr(value).partition("e")
        if exponent and "." not in mantissa:
            mantissa += ".0"  # YAML 1.1 reads 1e-10 as text, 1.0e-10 as a number
        return f"{mantissa}e{exponent}" if exponent else mantissa
    return json.dumps(value)


def format_suggestions(suggestions: list[Suggestion], yaml_text: str) -> str:
    if not suggestions:
        return (
            "no noise found: no path differs on most pairs with values of a volatile class "
            "(try a longer --since or --until end)"
        )
    lines = []
    for s in suggestions:
        lines.append(
            f"{s.endpoint}  {s.path}  [{s.value_class}]  differs on {s.share:.0%} of "
            f"{s.pairs} pairs; distinct values primary {s.distinct[0]}, "
            f"candidate {s.distinct[1]}"
        )
        for primary, candidate in s.examples:
            lines.append(f"    e.g. {_short(primary)}  vs  {_short(candidate)}")
    lines.extend(["", yaml_text.rstrip()])
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


@click.command("noise")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@recent_options(flag="--since", default="1d")
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=DEFAULT_SAMPLE,
    show_default=True,
    help="Latest compared requests read per endpoint.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the suggested rules file here (for `shadowdiff demo --rules FILE`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(
    endpoint: str | None,
    length: str,
    until: str,
    run_id: str,
    sample: int,
    out: Path | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Paths whose differences are noise, with rules to paste into a rules file.

    Reads the latest compared requests of each endpoint and finds paths whose
    values differ on most pairs and take many distinct values on both sides:
    UUIDs, each backend's own clock, tokens, float jitter, each backend's own
    counter. Each suggestion names the value class and its evidence; the YAML
    at the end is a rules file (`shadowdiff demo --rules FILE` re-judges with
    it). A path where the candidate is consistently wrong (always null, off by
    one, a renamed field, a changed enum, a shifted time) is never suggested.
    """
    now = datetime.now(UTC)
    engine = open_store(db_url, existing=True)
    with store_errors():
        since, end = recent_window(length, until, engine, run_id, now, flag="--since")
        samples = difference_sample(
            engine, since=since, until=end, endpoint=endpoint, run_id=run_id, per_endpoint=sample
        )
    suggestions = suggest(samples, NoiseSettings())
    text = rules_yaml(suggestions)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if as_json:
        payload = {
            "since": since.isoformat(),
            "until": end.isoformat(),
            "suggestions": [s.to_json() for s in suggestions],
            "yaml": text,
        }
        click.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(format_suggestions(suggestions, text))
    if not suggestions:
        with store_errors():
            note_unknown_endpoint(engine, run_id, endpoint)
