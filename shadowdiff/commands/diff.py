"""`shadowdiff diff`: compare two response bodies from files, as the stream would.

Exit status follows diff(1): 0 when the verdict is match, 1 otherwise, 2 when
the command cannot run (unreadable file, bad rules).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from comparator import Comparison, Observation, RulesError, RuleSet, compare, load_rules
from shadowdiff.display import path_text, value_text

_COLOURS = {"primary": "red", "candidate": "green"}


class _Trouble(click.ClickException):
    """The command cannot run: reported like every command's error, but exit 2 as diff(1)."""

    exit_code = 2


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _Trouble(f"cannot read {path}: {exc.strerror}") from None


def as_json(comparison: Comparison) -> str:
    """The comparison as one JSON object (big integers kept exact)."""
    return json.dumps(
        {
            "verdict": comparison.verdict.value,
            "signature": comparison.signature,
            "summary": comparison.summary,
            "rules_version": comparison.rules_version,
            "differences": [
                {
                    "path": d.path,
                    "kind": d.kind.value,
                    "primary": d.primary,
                    "candidate": d.candidate,
                }
                for d in comparison.differences
            ],
        },
        ensure_ascii=False,
        default=str,
    )


def _cut(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def as_table(comparison: Comparison, colour: bool) -> str:
    """Verdict line, then one row per difference: path, kind, primary, candidate."""
    lines = [f"verdict: {comparison.verdict.value}"]
    if comparison.signature:
        lines.append(f"signature: {comparison.signature}  {comparison.summary}")
    lines.append(f"rules: {comparison.rules_version}")
    if not comparison.differences:
        return "\n".join(lines)
    rows = [
        (
            path_text(d.path),
            d.kind.value,
            value_text(d.primary, d.kind.value, "primary"),
            value_text(d.candidate, d.kind.value, "candidate"),
        )
        for d in comparison.differences
    ]
    path_w = min(max(len(r[0]) for r in [*rows, ("path", "", "", "")]), 40)
    kind_w = max(len(r[1]) for r in [*rows, ("", "kind", "", "")])
    total = shutil.get_terminal_size((120, 20)).columns
    value_w = max((total - path_w - kind_w - 6) // 2, 12)

    def row(path: str, kind: str, a: str, b: str, head: bool = False) -> str:
        left = _cut(a, value_w).ljust(value_w)
        right = _cut(b, value_w)
        if colour and not head:
            left = click.style(left, fg=_COLOURS["primary"])
            right = click.style(right, fg=_COLOURS["candidate"])
        return f"{_cut(path, path_w).ljust(path_w)}  {kind.ljust(kind_w)}  {left}  {right}"

    lines.append("")
    lines.append(row("path", "kind", "primary", "candidate", head=True))
    lines.extend(row(*r) for r in rows)
    return "\n".join(lines)


_Command = TypeVar("_Command", bound=Callable[..., Any])


def status_option(side: str) -> Callable[[_Command], _Command]:
    return click.option(
        f"--status-{side}",
        type=click.IntRange(100, 599),
        default=200,
        show_default=True,
        help=f"HTTP status of the {side}'s answer.",
    )


@click.command("diff")
@click.argument("primary_file", type=click.Path(dir_okay=False))
@click.argument("candidate_file", type=click.Path(dir_okay=False))
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    help="YAML rules file (default: built-in rules).",
)
@click.option("--endpoint", default="", help="Endpoint the bodies answer, for endpoint rules.")
@status_option("primary")
@status_option("candidate")
@click.option(
    "--content-type",
    "content_type",
    default=None,
    help="Content type of both bodies (default: guessed, JSON first).",
)
@click.option("--json", "as_json_output", is_flag=True, help="Print one JSON object.")
def command(
    primary_file: str,
    candidate_file: str,
    rules_file: str | None,
    endpoint: str,
    status_primary: int,
    status_candidate: int,
    content_type: str | None,
    as_json_output: bool,
) -> None:
    """Compare the response bodies in PRIMARY_FILE and CANDIDATE_FILE.

    Prints the verdict, the signature and every difference (paths are JSON
    Pointers into the body, or `status` / `content_type` / `header:NAME`).
    Exit status: 0 match, 1 any other verdict, 2 trouble.
    """
    try:
        rules = load_rules(rules_file) if rules_file else RuleSet.default()
    except RulesError as exc:
        raise _Trouble(str(exc)) from None
    primary = Observation(status_primary, _read(primary_file), content_type=content_type)
    candidate = Observation(status_candidate, _read(candidate_file), content_type=content_type)
    comparison = compare(primary, candidate, rules, endpoint=endpoint)
    if as_json_output:
        click.echo(as_json(comparison))
    else:
        click.echo(as_table(comparison, colour=sys.stdout.isatty()), color=None)
    raise click.exceptions.Exit(0 if comparison.verdict.value == "match" else 1)
