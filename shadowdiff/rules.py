"""The `--rules` option shared by the commands that judge traffic."""

from __future__ import annotations

from pathlib import Path

import click

from comparator import RulesError, RuleSet, load_rules

rules_option = click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML comparison rules (see comparator/rules.example.yaml); default: RULES_FILE "
    "or the built-in rules.",
)


def resolve_rules(path: Path | None) -> RuleSet:
    """The rule set in `path`, or the built-in defaults; a broken file is a usage error."""
    if path is None:
        return RuleSet.default()
    try:
        return load_rules(path)
    except RulesError as error:
        raise click.ClickException(str(error)) from error
