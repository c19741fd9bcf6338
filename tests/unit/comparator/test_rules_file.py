"""Rules files: loading, errors that name the line, versions."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

import comparator
from comparator import RulesError, RuleSet, load_rules, parse_rules
from comparator.rules import PathRule

EXAMPLE = Path(comparator.__file__).parent / "rules.example.yaml"


def test_the_example_file_loads_and_states_every_path_setting() -> None:
    rules = load_rules(EXAMPLE)
    settings = {f.name for f in fields(PathRule)} - {"path"}
    stated = {
        name for rule in rules.base.paths for name in settings if getattr(rule, name) is not None
    }
    assert stated == settings
    assert {g for g, _ in rules.endpoints} == {"GET /users/*", "POST /graphql", "GET /reports/**"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("default:\n  paths:\n    /a: {ignor: true}\n", 3, "unknown key 'ignor'"),
        ("default:\n  graphql: maybe\n", 2, "'graphql' must be auto, on or off"),
        ("default:\n  paths:\n    a/b: {ignore: true}\n", 3, "must start with '/'"),
        ("default:\n  paths:\n    /a:\n      tolerance: -1\n", 4, "number >= 0"),
        ("default:\n  paths:\n    /a:\n      array: sorted\n", 4, "'array' must be one of"),
        ("default:\n  paths:\n    /a:\n      array: keyed\n", 4, "needs 'match_by"),
        ("default:\n  paths:\n    /a:\n      ignore_if: '('\n", 4, "bad regular expression"),
        ("default:\n  paths:\n    /a:\n      normalise: [soundex]\n", 4, "'normalise' takes"),
        ("default:\n  paths:\n    /a:\n      redact: yes please\n", 4, "'redact' must be true"),
        ("default:\n  headers: location\n", 2, "list of header names"),
        ("default:\n\n  paths: [1, 2]\n", 3, "'paths' must be a mapping"),
        ("endpoints:\n  'GET /a':\n    nope: 1\n", 3, "unknown key 'nope' in endpoint"),
        ("rules: {}\n", 1, "unknown key 'rules'"),
        ("default:\n  paths:\n    /a: {ignore: [\n", 4, "not valid YAML"),
        ("default:\n  paths:\n    /a/**x: {ignore: true}\n", 3, "'**' must be a whole"),
    ],
)
def test_errors_name_the_line_and_the_problem(text: str, line: int, words: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.yaml")
    message = str(caught.value)
    assert message.startswith(f"rules.yaml:{line}: "), message
    assert words in message


def test_load_rules_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("default:\n  whitespace: tabs\n")
    with pytest.raises(RulesError, match=r"rules\.yaml:2: 'whitespace'"):
        load_rules(path)
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml")


def test_empty_rules_are_the_defaults() -> None:
    assert parse_rules("").version == RuleSet.default().version
    assert parse_rules("default: {}").version == RuleSet.default().version


def test_version_ignores_comments_order_and_stated_defaults() -> None:
    a = parse_rules("default:\n  paths:\n    /a: {ignore: true, array: unordered}\n")
    b = parse_rules(
        "# a comment\ndefault:\n  graphql: auto\n"
        "  paths:\n    /a: {array: unordered, ignore: true}\n"
    )
    assert a.version == b.version
    assert len(a.version) == 12
    int(a.version, 16)


def test_version_changes_with_meaning() -> None:
    base = parse_rules("default: {paths: {/a: {ignore: true}}}").version
    assert parse_rules("default: {paths: {/b: {ignore: true}}}").version != base
    assert parse_rules("default: {paths: {/a: {ignore: false}}}").version != base
    assert parse_rules("default: {graphql: off}").version != RuleSet.default().version


def test_a_file_that_is_not_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_bytes(b"default:\n  \xff\xfe\x00 binary")
    with pytest.raises(RulesError, match="not UTF-8"):
        load_rules(path)
