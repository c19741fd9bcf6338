"""The `shadowdiff` command: the composition root.

Each sub-command lives in its own module under `shadowdiff.commands`; the
group finds them by name and imports only the one that runs (see that package).
"""

from __future__ import annotations

import click

from shadowdiff import commands


class _Commands(click.Group):
    """The command group: sub-commands loaded on use; a bad setting reported, not raised."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return commands.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return commands.load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, commands.summary(name)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ValueError as error:
            # Imported only here: pydantic comes with the settings, which not every
            # command builds, and its ValidationError is a ValueError.
            from pydantic import ValidationError

            from shadowdiff.settings import describe

            if not isinstance(error, ValidationError):
                raise
            raise click.ClickException(
                f"bad setting in the environment:\n{describe(error)}"
            ) from error


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="shadowdiff")
def main() -> None:
    """Compare a primary backend with its rewrite, request by request.

    A gateway publishes both sides of every request to Kafka; shadowdiff joins
    them by request ID, classifies their differences and stores the results for
    querying. Start with `shadowdiff demo`, which runs the whole pipeline in one
    process over a sample capture and prints the mismatch report.

    Connections come from KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL; most commands
    take flags that override them.
    """
