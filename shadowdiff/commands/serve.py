"""`shadowdiff serve`: the read-only HTTP API and the dashboard."""

from __future__ import annotations

import logging
import re

import click

import storage
from shadowdiff.commands.db import db_option, open_store, store_errors
from shadowdiff.settings import Settings

DEFAULT_PORT = 8000

DEFAULT_CACHE_SECONDS = 5.0
"""How old an answer may be by default: a dashboard's refresh, not a report's staleness."""

_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|::1|localhost)$")


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; loopback unless you mean to expose it (then use TLS in front).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True)
@click.option(
    "--cache-seconds",
    type=click.FloatRange(0, 300),
    default=DEFAULT_CACHE_SECONDS,
    show_default=True,
    help="How old an answer may be: the same question within this time gets the same answer "
    "without a query (0: every answer afresh).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes sharing the port: one per core the API may use.",
)
@db_option
def command(host: str, port: int, cache_seconds: float, workers: int, db_url: str | None) -> None:
    """Serve the query API (/api/v1, OpenAPI at /openapi.json) and the dashboard (/).

    Every route but /healthz and /readyz needs a token from SHADOWDIFF_API_TOKENS
    (comma-separated) or the file named by SHADOWDIFF_API_TOKENS_FILE (one per
    line): `Authorization: Bearer TOKEN` from a client; in a browser, / asks for
    it once and keeps it in an HttpOnly cookie. Answers are at most
    --cache-seconds old. The API only reads: a database role with SELECT alone
    is enough (see the README).
    """
    from api.app import ApiConfig, create_app
    from api.auth import NoTokens, load_tokens
    from api.processes import serve
    from shadowdiff.commands.readiness import readiness_book

    settings = Settings()
    secret = settings.shadowdiff_api_tokens
    try:
        tokens = load_tokens(
            secret.get_secret_value() if secret is not None else None,
            settings.shadowdiff_api_tokens_file,
        )
    except NoTokens as error:
        raise click.ClickException(f"{error}; the API refuses to start without one") from None
    engine = open_store(db_url or settings.database_url, existing=True)
    with store_errors():
        revision = storage.current_revision(engine)
    if revision is None:
        raise click.ClickException(
            f"the database at {storage.safe_url(engine)} has no shadowdiff schema: "
            "run `shadowdiff db upgrade` (or `shadowdiff demo`) first"
        )
    if not _LOOPBACK.match(host):
        click.echo(
            f"note: listening on {host}, reachable from other machines; "
            "put TLS in front so tokens never cross a network in the clear",
            err=True,
        )
    config = ApiConfig(
        engine=engine,
        tokens=tokens,
        cache_seconds=cache_seconds,
        readiness=readiness_book(settings.rules_file),
        noise_thresholds=settings.baseline_thresholds(),
    )
    app = create_app(config)
    click.echo(f"serving {storage.safe_url(engine)} at http://{host}:{port}/", err=True)
    logging.getLogger("api").setLevel(logging.INFO)
    serve(app, engine, host, port, workers)
