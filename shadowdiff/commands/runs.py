"""`shadowdiff runs`: list the runs, diff two of them, delete one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

from shadowdiff.commands.db import db_option, open_store, store_errors
from storage.jsontext import json_text
from storage.run_diff import RunDiff, SignatureCount, diff_runs
from storage.runs import RunSummary, UnknownRun, delete_run, list_runs


def _table(rows: Sequence[tuple[str, ...]], numeric: frozenset[int] = frozenset()) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def format_runs(found: list[RunSummary]) -> str:
    """One row per run: name, kind, state, rules version, source range, requests."""
    if not found:
        return "no runs stored: `shadowdiff demo` or the worker makes the live run"
    rows = [("run", "kind", "state", "rules", "from", "until", "requests", "note")]
    for run in found:
        rows.append(
            (
                run.id,
                run.kind,
                run.state,
                run.rules_version,
                run.source_from.isoformat() if run.source_from else "-",
                run.source_until.isoformat() if run.source_until else "-",
                str(run.total),
                run.note or "",
            )
        )
    return "\n".join(_table(rows, frozenset({6})))


def format_diff(diff: RunDiff) -> str:
    """Endpoints side by side, then the signatures that went and came, then the flips."""
    lines = [f"run {diff.a} (A) → run {diff.b} (B)", ""]
    rows = [("endpoint", "total A", "mismatch A", "rate A", "total B", "mismatch B", "rate B")]
    for e in diff.endpoints:
        rows.append(
            (
                e.endpoint,
                str(e.a.total),
                str(e.a.mismatches),
                f"{e.a.mismatch_rate:.1%}",
                str(e.b.total),
                str(e.b.mismatches),
                f"{e.b.mismatch_rate:.1%}",
            )
        )
    lines += _table(rows, frozenset(range(1, 7)))
    sections: tuple[tuple[str, Sequence[SignatureCount], Callable[[SignatureCount], int]], ...] = (
        ("resolved (only in A)", diff.resolved, lambda s: s.count_a),
        ("new (only in B)", diff.new, lambda s: s.count_b),
    )
    for title, entries, count in sections:
        lines += ["", f"signatures {title}: {len(entries)}"]
        lines += [f"  {count(s):>6}  {s.signature}  {s.summary}" for s in entries]
    changed = [s for s in diff.both if s.count_a != s.count_b]
    lines += ["", f"signatures in both: {len(diff.both)}, {len(changed)} with another count"]
    lines += [f"  {s.count_a:>6} → {s.count_b:<6}  {s.signature}  {s.summary}" for s in changed]
    lines += [
        "",
        f"flips: {diff.match_to_mismatch} match → mismatch, "
        f"{diff.mismatch_to_match} mismatch → match, {diff.other_changes} other verdict changes",
    ]
    lines += [
        f"  {f.request_id}  {f.endpoint}  {f.verdict_a} → {f.verdict_b}" for f in diff.examples
    ]
    if diff.only_a or diff.only_b:
        lines += ["", f"requests only in A: {diff.only_a}, only in B: {diff.only_b}"]
    return "\n".join(lines)


@click.group("runs", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
@click.pass_context
def command(ctx: click.Context, as_json: bool, db_url: str | None) -> None:
    """List the runs: the live stream's, and every reprocessing.

    `shadowdiff runs diff A B` compares two runs; `shadowdiff runs delete NAME`
    removes one with all its results.
    """
    if ctx.invoked_subcommand is not None:
        return
    engine = open_store(db_url, existing=True)
    with store_errors():
        found = list_runs(engine)
    if as_json:
        click.echo(json_text({"runs": [run.to_json() for run in found]}, indent=True).decode())
    else:
        click.echo(format_runs(found))


@command.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--endpoint", default=None, help="Only this endpoint.")
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Flipped requests to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@db_option
def diff(
    a: str, b: str, endpoint: str | None, examples: int, as_json: bool, db_url: str | None
) -> None:
    """What changed from run A to run B: mismatch rates, signatures, flipped verdicts.

    Signatures only in A are resolved (by B's rules or code), only in B new.
    A flip is a request judged match in one run and mismatch in the other.
    """
    engine = open_store(db_url, existing=True)
    with store_errors():
        try:
            found = diff_runs(engine, a, b, endpoint=endpoint, examples=examples)
        except UnknownRun as error:
            raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json_text(found.to_json(), indent=True).decode())
    else:
        click.echo(format_diff(found))


@command.command("delete")
@click.argument("name")
@db_option
def delete(name: str, db_url: str | None) -> None:
    """Delete run NAME and every result it holds."""
    engine = open_store(db_url, existing=True)
    with store_errors():
        try:
            deleted = delete_run(engine, name)
        except UnknownRun as error:
            raise click.ClickException(str(error)) from error
    rows = ", ".join(f"{count} {table}" for table, count in deleted.items())
    click.echo(f"deleted run {name!r}: {rows}")
