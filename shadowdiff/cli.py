"""The `shadowdiff` command: the composition root.

Each sub-command lives in its own module under `shadowdiff.commands` and is
registered here; this module only assembles them.
"""

from __future__ import annotations

import click
from pydantic import ValidationError

from shadowdiff.commands import COMMANDS
from shadowdiff.settings import describe


class _Commands(click.Group):
    """The command group: a bad setting in the environment is reported, not raised."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ValidationError as error:
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


for command in COMMANDS:
    main.add_command(command)
