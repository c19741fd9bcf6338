"""Avro schema resolution rules, checked schema against schema without any record."""

from __future__ import annotations

from typing import Any

import pytest
from fastavro import parse_schema

from streams.resolution import incompatibilities


def _record(*fields: dict[str, Any], name: str = "ns.R") -> Any:
    return parse_schema({"type": "record", "name": name, "fields": list(fields)})


def _field(name: str, kind: Any, **more: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **more}


COLOUR = {"type": "enum", "name": "ns.Colour", "symbols": ["red", "green"]}
COLOUR_WIDER = {"type": "enum", "name": "ns.Colour", "symbols": ["red", "green", "blue"]}

COMPATIBLE = [
    ("same", [_field("a", "int")], [_field("a", "int")]),
    ("field added with default", [_field("a", "int")],
     [_field("a", "int"), _field("b", ["null", "string"], default=None)]),
    ("field removed", [_field("a", "int"), _field("b", "string")], [_field("a", "int")]),
    ("int promoted to long", [_field("a", "int")], [_field("a", "long")]),
    ("long promoted to double", [_field("a", "long")], [_field("a", "double")]),
    ("string read as bytes", [_field("a", "string")], [_field("a", "bytes")]),
    ("reader union widened", [_field("a", "string")], [_field("a", ["null", "string"])]),
    ("writer union narrower", [_field("a", ["null", "int"])],
     [_field("a", ["null", "int", "string"])]),
    ("renamed through an alias", [_field("old", "int")], [_field("new", "int", aliases=["old"])]),
    ("enum symbols a subset", [_field("c", COLOUR)], [_field("c", COLOUR_WIDER)]),
    ("map values promoted", [_field("m", {"type": "map", "values": "int"})],
     [_field("m", {"type": "map", "values": "long"})]),
    ("array items promoted", [_field("x", {"type": "array", "items": "float"})],
     [_field("x", {"type": "array", "items": "double"})]),
    ("same logical type", [_field("t", {"type": "long", "logicalType": "timestamp-millis"})],
     [_field("t", {"type": "long", "logicalType": "timestamp-millis"})]),
]  # fmt: skip

INCOMPATIBLE = [
    ("field added without default", [_field("a", "int")],
     [_field("a", "int"), _field("b", "string")], "R.b: the reader needs this field"),
    ("long narrowed to int", [_field("a", "long")], [_field("a", "int")],
     "R.a: the writer's long cannot be read as int"),
    ("writer union widened", [_field("a", ["null", "int", "string"])],
     [_field("a", ["null", "int"])], "R.a: the writer's string matches no branch of [null, int]"),
    ("enum symbol added by the writer", [_field("c", COLOUR_WIDER)], [_field("c", COLOUR)],
     "R.c: the writer's symbols ['blue'] are not in the reader's enum ns.Colour"),
    ("plain long read as a timestamp", [_field("t", "long")],
     [_field("t", {"type": "long", "logicalType": "timestamp-millis"})],
     "R.t: the reader expects logical type timestamp-millis, the writer has long"),
    ("array items narrowed", [_field("x", {"type": "array", "items": "double"})],
     [_field("x", {"type": "array", "items": "float"})], "R.x[]: the writer's double"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "writer", "reader"), COMPATIBLE, ids=[c[0] for c in COMPATIBLE])
def test_compatible(name: str, writer: list[Any], reader: list[Any]) -> None:
    assert incompatibilities(_record(*writer), _record(*reader)) == []


@pytest.mark.parametrize(
    ("name", "writer", "reader", "problem"), INCOMPATIBLE, ids=[c[0] for c in INCOMPATIBLE]
)
def test_incompatible(name: str, writer: list[Any], reader: list[Any], problem: str) -> None:
    found = incompatibilities(_record(*writer), _record(*reader))
    assert len(found) == 1, found
    assert found[0].startswith(problem), found


def test_records_of_other_names_do_not_match() -> None:
    found = incompatibilities(
        _record(_field("a", "int"), name="ns.Other"), _record(_field("a", "int"))
    )
    assert found == ["R: the writer's record ns.Other is not the reader's ns.R"]


def test_every_problem_is_listed() -> None:
    writer = _record(_field("a", "string"), _field("b", "long"))
    reader = _record(_field("a", "int"), _field("b", "int"), _field("c", "int"))
    assert len(incompatibilities(writer, reader)) == 3


def test_recursive_records_end() -> None:
    node = {"type": "record", "name": "ns.Node", "fields": [
        _field("value", "int"), _field("next", ["null", "ns.Node"], default=None)]}  # fmt: skip
    assert incompatibilities(parse_schema(node), parse_schema(node)) == []
