"""`shadowdiff status`: what this installation is configured to talk to."""

from __future__ import annotations

import click

from comparator import COMPILED
from shadowdiff.settings import Settings
from storage.urls import hide_password


@click.command("status")
def command() -> None:
    """Show the Kafka, database and topic settings in force (from the environment)."""
    settings = Settings()
    click.echo(f"kafka:        {settings.kafka_bootstrap_servers}")
    click.echo(f"database:     {hide_password(settings.database_url)}")
    click.echo(f"topics:       {settings.exchanges_topic} -> {settings.comparisons_topic}")
    click.echo(f"dead letters: {settings.deadletter_topic}")
    port = settings.metrics_port
    click.echo(f"metrics:      {f':{port}/metrics' if port else 'off (METRICS_PORT=0)'}")
    rules = settings.rules_file
    if rules is None:
        click.echo("rules:        (built-in defaults)")
    elif not rules.is_file():
        click.echo(f"rules:        {rules} (no such file: the worker will refuse to start)")
    else:
        click.echo(f"rules:        {rules}")
    schemas = (
        f"released Exchange schemas, + {settings.schema_dir}"
        if settings.schema_dir
        else "released Exchange schemas (no SCHEMA_DIR)"
    )
    click.echo(f"schemas:      {schemas}")
    click.echo(
        f"registry:     {settings.schema_registry_url or '(none: SCHEMA_REGISTRY_URL unset)'}"
    )
    # Whether a key is set, never the key itself.
    key = "set" if settings.redaction_secret else "not set: the public development key"
    click.echo(f"redaction:    SHADOWDIFF_REDACTION_KEY {key}")
    if COMPILED:
        click.echo("comparator:   compiled")
    else:
        click.echo(
            "comparator:   interpreted, so slower (it was not compiled at install: "
            "with a C compiler such as gcc at hand, reinstall shadowdiff)"
        )
