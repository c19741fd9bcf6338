"""The `--rules` option shared by the commands that judge traffic."""

from __future__ import annotations

from pathlib import Path

import click

from analysis import AlertRulesError, RuleBook, parse_alert_rules
from comparator import RuleSet

rules_option = click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    # Read by click, so a command need not build the settings to find it.
    envvar="RULES_FILE",
    show_envvar=True,  # in the help, and in the error when the variable names no file
    help="YAML comparison rules (see comparator/rules.example.yaml); without: the built-in rules.",
)


def resolve_rules(path: Path | None) -> RuleSet:
    """The rule set in `path`, or the built-in defaults; a broken file is a usage error."""
    if path is None:
        return RuleSet.default()
    # Here: the file's parser (YAML) is for commands given a rules file.
    from comparator import RulesError, load_rules

    try:
        return load_rules(path)
    except RulesError as error:
        raise click.ClickException(str(error)) from error


def resolve_alert_rules(path: Path | None) -> RuleBook:
    """The `alerts:` section of the rules file in `path`, or the judge's defaults."""
    if path is None:
        return RuleBook()
    import yaml  # here: only a rules file needs the parser

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        section = data.get("alerts") if isinstance(data, dict) else None
        return parse_alert_rules(section)
    except (OSError, yaml.YAMLError, AlertRulesError, ValueError) as error:
        raise click.ClickException(f"{path}: alerts: {error}") from error
