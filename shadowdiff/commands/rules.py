"""`shadowdiff rules check`: validate a rules file and say what each section applies to."""

from __future__ import annotations

from pathlib import Path

import click

from comparator.coverage import coverage
from shadowdiff.closest import hint
from shadowdiff.rules import resolve_alert_rules, resolve_rules


@click.group("rules")
def command() -> None:
    """Check comparison rules files before a worker or a reprocessing uses them."""


@command.command("check")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--capture",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A capture (.jsonl or .avro) whose endpoints the sections should match.",
)
def check(rules_file: Path, capture: Path | None) -> None:
    """Validate RULES_FILE; list its endpoint sections and the endpoints each matches.

    Without --capture only the file is checked. With one, every endpoint section
    is listed with the capture's endpoints it matches; a section matching none
    (often a typo in the endpoint's name) is named, and the exit status is 1.
    """
    rules = resolve_rules(rules_file)
    resolve_alert_rules(rules_file)
    n = len(rules.endpoints)
    sections = "1 endpoint section" if n == 1 else f"{n} endpoint sections"
    click.echo(f"{rules_file}: valid (rules {rules.version}, {sections})")
    if capture is None:
        for glob, _section in rules.endpoints:
            click.echo(f"  {glob}")
        return
    endpoints = _endpoints(capture)
    found = coverage(rules, endpoints)
    for section in found:
        matched = ", ".join(section.matches) if section.matches else "(no endpoint of the capture)"
        click.echo(f"  {section.glob}: {matched}")
    inert = [s.glob for s in found if not s.matches]
    if inert:
        lines = [f"{len(inert)} of the sections match no endpoint of {capture.name}:"]
        lines += [f"  {glob!r}: {hint(glob, endpoints)}" for glob in inert]
        raise click.ClickException("\n".join(lines))


def _endpoints(capture: Path) -> set[str]:
    from streams.capture import CaptureError, read_capture  # the Avro reader is slow to import

    seen: set[str] = set()
    try:
        for exchange in read_capture(capture, on_skip=lambda _error: None):
            seen.add(exchange.endpoint)
    except CaptureError as error:
        raise click.ClickException(str(error)) from error
    return seen
