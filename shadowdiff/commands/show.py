"""`shadowdiff show`: one stored comparison with its differences side by side."""

from __future__ import annotations

from typing import Any

import click

import storage
from comparator.baseline import fold
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.display import Side, path_text, value_text
from storage.jsontext import json_text
from storage.secondary_report import secondary_of

_VALUE_WIDTH = 40


def _cell(value: Any, kind: str, side: Side) -> str:
    text = value_text(value, kind, side)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def format_detail(detail: storage.ComparisonDetail) -> str:
    """The comparison's facts, then one line per difference: path, kind, both values."""
    lines = [
        f"request   {detail.request_id}   (run {detail.run_id})",
        f"endpoint  {detail.method} {detail.endpoint}"
        if not detail.endpoint.startswith(detail.method + " ")
        else f"endpoint  {detail.endpoint}",
        f"observed  {detail.observed_at.isoformat()}",
        f"verdict   {detail.verdict}",
        f"status    primary {detail.primary_status or '-'}   "
        f"candidate {detail.candidate_status or '-'}",
        f"signature {detail.signature or '-'}   rules {detail.rules_version}",
    ]
    if not detail.differences:
        lines.append("no differences")
        return "\n".join(lines)
    rows = [("path", "kind", "primary", "candidate")] + [
        (
            path_text(d.path),
            d.kind,
            _cell(d.primary, d.kind, "primary"),
            _cell(d.candidate, d.kind, "candidate"),
        )
        for d in detail.differences
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines.append("")
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


@click.command("show")
@click.argument("request_id")
@click.option("--run", "run_id", default="live", show_default=True, help="Run to look in.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def command(request_id: str, run_id: str, as_json: bool, db_url: str | None) -> None:
    """Show the stored comparison of REQUEST_ID and its differences."""
    engine = open_store(db_url, existing=True)
    with store_errors():
        detail = storage.comparison_detail(engine, request_id, run_id=run_id)
        secondary = secondary_of(engine, request_id, run_id)
    if detail is None:  # nothing found is an answer, not a failure
        click.echo(f"no comparison for request {request_id!r} in run {run_id!r}")
        return
    if as_json:
        click.echo(json_text(with_secondary(detail.to_json(), secondary), indent=True).decode())
    else:
        click.echo(format_detail(detail))
        if secondary is not None:
            where = ", ".join(sorted(secondary)) or "nothing"
            click.echo(f"secondary differed from the primary at: {where}")


def with_secondary(document: dict[str, Any], secondary: frozenset[str] | None) -> dict[str, Any]:
    """The comparison's JSON, saying whether it had a secondary and, per difference,
    whether the secondary differed from the primary there too."""
    if secondary is None:
        return {**document, "secondary": None}
    differences = [
        {**d, "secondary_differs": fold(d["path"]) in secondary} for d in document["differences"]
    ]
    return {
        **document,
        "differences": differences,
        "secondary": {"differed_at": sorted(secondary)},
    }
