"""The `shadowdiff` command: the composition root.

Each sub-command lives in its own module under `shadowdiff.commands`; the
group finds them by name and imports only the one that runs (see that package).
"""

from __future__ import annotations

import gc

import click

from shadowdiff import commands


class _Commands(click.Group):
    """The command group: sub-commands loaded on use; a bad setting reported, not raised."""

    as_program = False
    """Whether this process is the `shadowdiff` program (see `run`), not a test's runner."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return commands.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = commands.load(cmd_name)
        if self.as_program:
            # What the imports made lives until exit: collections from here on skip it.
            gc.freeze()
            gc.enable()
        return command

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


def run() -> None:
    """`shadowdiff` as a program: the console script and `python -m shadowdiff`.

    Garbage collection waits until the command's module is imported, and what
    the imports made (modules, classes, functions: nothing that dies before
    exit) is then frozen out of it. Walking those objects again and again finds
    nothing to free, yet costs a command reading the store a fifth of its start,
    most of it in the interpreter's last collections at exit. What the command
    itself makes is collected as always. `main` alone does neither: in a test's
    process, freezing would keep whatever garbage the process holds.
    """
    gc.disable()
    main.as_program = True
    main()
