"""Reading rules from YAML, with errors that name the line and the problem.

The file's shape (see `rules.example.yaml` for every setting, commented):

    default:            # applies to every endpoint
      headers: [...]    # allowlist of compared response headers
      graphql: auto     # auto | on | off
      graphql_messages: false
      whitespace: normalise
      paths:
        /glob: {ignore: true, ...}
    endpoints:
      "GET /users/*":   # endpoint glob; same keys as `default`
        paths: {...}
    alerts: {...}       # the alert judge's rules (analysis/rules.py), not read here
    readiness: {...}    # criteria of `shadowdiff readiness`, not of the comparison
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import yaml

from comparator.globs import parse_path_glob
from comparator.rules import (
    ARRAY_MODES,
    NORMALISERS,
    ArrayMode,
    GraphQLMode,
    Normaliser,
    PathRule,
    RuleSet,
    Section,
    WhitespaceMode,
)


class RulesError(ValueError):
    """A rules file that cannot be used; the message starts with `source:line:`."""


class _Map(dict[Any, Any]):
    """A mapping that remembers the line of each of its keys."""

    line: int
    key_lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)

_SECTION_KEYS = ("headers", "graphql", "graphql_messages", "whitespace", "paths")
_PATH_KEYS = (
    "ignore",
    "ignore_if",
    "array",
    "match_by",
    "tolerance",
    "normalise",
    "timestamp_tolerance",
    "redact",
)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int, problem: str) -> RulesError:
        return RulesError(f"{self.source}:{line}: {problem}")

    def mapping(self, value: Any, line: int, what: str) -> _Map:
        if not isinstance(value, _Map):
            raise self.fail(line, f"{what} must be a mapping, not {_describe(value)}")
        return value

    def known_keys(self, m: _Map, allowed: tuple[str, ...], where: str) -> None:
        for key in m:
            if key not in allowed:
                raise self.fail(
                    m.key_lines[key],
                    f"unknown key {key!r} in {where} (expected one of: {', '.join(allowed)})",
                )

    def document(self, data: Any) -> RuleSet:
        if data is None:
            return RuleSet.build(Section())
        top = self.mapping(data, 1, "the rules file")
        # `alerts` and `readiness` belong to the alert and readiness judges
        # (`analysis`), which read the same file; the comparison leaves them alone,
        # and they are outside the rules' version.
        self.known_keys(top, ("default", "endpoints", "alerts", "readiness"), "the rules file")
        base = Section()
        if top.get("default") is not None:
            line = top.key_lines["default"]
            base = self.section(self.mapping(top["default"], line, "'default'"), "'default'")
        endpoints: list[tuple[str, Section]] = []
        if top.get("endpoints") is not None:
            line = top.key_lines["endpoints"]
            eps = self.mapping(top["endpoints"], line, "'endpoints'")
            for glob, body in eps.items():
                where = f"endpoint {glob!r}"
                if not isinstance(glob, str) or not glob:
                    raise self.fail(eps.key_lines[glob], "an endpoint glob must be a string")
                sec = self.mapping(body, eps.key_lines[glob], where) if body else _Map()
                if not body:
                    sec.line, sec.key_lines = eps.key_lines[glob], {}
                endpoints.append((glob, self.section(sec, where)))
        return RuleSet.build(base, tuple(endpoints))

    def section(self, m: _Map, where: str) -> Section:
        self.known_keys(m, _SECTION_KEYS, where)
        headers: tuple[str, ...] | None = None
        if "headers" in m:
            raw = m["headers"]
            if not isinstance(raw, list) or not all(isinstance(h, str) for h in raw):
                raise self.fail(m.key_lines["headers"], "'headers' must be a list of header names")
            headers = tuple(sorted({h.lower() for h in raw}))
        graphql: GraphQLMode | None = None
        if "graphql" in m:
            # YAML 1.1 reads a bare on/off as a boolean.
            raw = {True: "on", False: "off"}.get(m["graphql"], m["graphql"])
            if raw not in ("auto", "on", "off"):
                raise self.fail(m.key_lines["graphql"], "'graphql' must be auto, on or off")
            graphql = cast(GraphQLMode, raw)
        messages = self.boolean(m, "graphql_messages")
        whitespace: WhitespaceMode | None = None
        if "whitespace" in m:
            if m["whitespace"] not in ("normalise", "exact"):
                raise self.fail(
                    m.key_lines["whitespace"], "'whitespace' must be normalise or exact"
                )
            whitespace = cast(WhitespaceMode, m["whitespace"])
        paths: list[PathRule] = []
        if m.get("paths") is not None:
            pm = self.mapping(m["paths"], m.key_lines["paths"], "'paths'")
            for glob, body in pm.items():
                paths.append(self.path_rule(glob, body, pm.key_lines[glob]))
        return Section(headers, graphql, messages, whitespace, tuple(paths))

    def boolean(self, m: _Map, key: str) -> bool | None:
        if key not in m:
            return None
        if not isinstance(m[key], bool):
            raise self.fail(m.key_lines[key], f"{key!r} must be true or false")
        return bool(m[key])

    def number(self, value: Any, line: int, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(line, f"{what} must be a number >= 0, not {_describe(value)}")
        return float(value)

    def path_rule(self, glob: Any, body: Any, line: int) -> PathRule:
        if not isinstance(glob, str):
            raise self.fail(line, "a path glob must be a string")
        try:
            parse_path_glob(glob)
        except ValueError as exc:
            raise self.fail(line, str(exc)) from None
        m = self.mapping(body, line, f"the rule for {glob!r}")
        self.known_keys(m, _PATH_KEYS, f"the rule for {glob!r}")
        lines = m.key_lines
        ignore = self.boolean(m, "ignore")
        ignore_if: str | None = None
        if "ignore_if" in m:
            ignore_if = m["ignore_if"]
            if not isinstance(ignore_if, str):
                raise self.fail(lines["ignore_if"], "'ignore_if' must be a regular expression")
            try:
                re.compile(ignore_if)
            except re.error as exc:
                raise self.fail(lines["ignore_if"], f"bad regular expression: {exc}") from None
        array: ArrayMode | None = None
        if "array" in m:
            if m["array"] not in ARRAY_MODES:
                raise self.fail(lines["array"], f"'array' must be one of {', '.join(ARRAY_MODES)}")
            array = cast(ArrayMode, m["array"])
        match_by: str | None = None
        if "match_by" in m:
            if not isinstance(m["match_by"], str) or not m["match_by"]:
                raise self.fail(lines["match_by"], "'match_by' must be a member name")
            match_by = m["match_by"]
            if array not in (None, "keyed"):
                raise self.fail(
                    lines["match_by"], "'match_by' needs 'array: keyed' (or no 'array')"
                )
        elif array == "keyed":
            raise self.fail(lines["array"], "'array: keyed' needs 'match_by: <member name>'")
        absolute = relative = None
        if "tolerance" in m:
            tol, tline = m["tolerance"], lines["tolerance"]
            if isinstance(tol, _Map):
                self.known_keys(tol, ("absolute", "relative"), "'tolerance'")
                if "absolute" in tol:
                    absolute = self.number(tol["absolute"], tol.key_lines["absolute"], "'absolute'")
                if "relative" in tol:
                    relative = self.number(tol["relative"], tol.key_lines["relative"], "'relative'")
            else:
                absolute = self.number(tol, tline, "'tolerance'")
        normalise: tuple[Normaliser, ...] | None = None
        if "normalise" in m:
            raw = m["normalise"]
            names = [raw] if isinstance(raw, str) else raw
            if not isinstance(names, list) or any(n not in NORMALISERS for n in names):
                raise self.fail(
                    lines["normalise"],
                    f"'normalise' takes one or more of: {', '.join(NORMALISERS)}",
                )
            normalise = tuple(cast(list[Normaliser], names))
        ts_tol = None
        if "timestamp_tolerance" in m:
            ts_tol = self.number(
                m["timestamp_tolerance"], lines["timestamp_tolerance"], "'timestamp_tolerance'"
            )
        return PathRule(
            glob,
            ignore,
            ignore_if,
            array,
            match_by,
            absolute,
            relative,
            normalise,
            ts_tol,
            self.boolean(m, "redact"),
        )


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Rules from YAML text; RulesError (`source:line: problem`) when they are wrong."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise RulesError(f"{source}:{line}: not valid YAML: {exc.problem}") from None
    return _Reader(source).document(data)


def load_rules(path: str | Path) -> RuleSet:
    """Rules from a YAML file; errors name the file as given and the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read rules: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RulesError(f"{path}: not a rules file (not UTF-8 text)") from None
    return parse_rules(text, str(path))
