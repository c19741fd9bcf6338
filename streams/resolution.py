"""Whether records written with one Avro schema can be read with another (pure).

`incompatibilities(writer, reader)` applies the Avro specification's schema
resolution rules to two schemas parsed by fastavro and lists, in words, every
place where a record written with `writer` could not be read as `reader`; an
empty list means every such record can. The rules:

- primitives of the same type match, and a writer's value may be promoted: int
  to long, float or double; long to float or double; float to double; string to
  bytes and bytes to string;
- records (and enums, fixed) match by unqualified name; a reader field the
  writer lacks must have a default (it is filled in), a writer field the reader
  lacks is skipped; fields are matched by name or by the reader field's aliases;
- an enum symbol the writer has and the reader lacks fails (unless the reader's
  enum has a default); fixed sizes must be equal;
- arrays and maps match when their items (values) do;
- a writer union matches when every branch matches the reader; a reader union
  matches a writer type when one of its branches does (the first such branch is
  used);
- a logical type the reader declares must be the writer's too (a plain long is
  not a timestamp).

The check is strict for unions: a writer union with a branch the reader cannot
read is reported even though only records using that branch would fail, because
the worker decides per schema, once, and not per record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PROMOTIONS: Mapping[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
_NAMED = frozenset({"record", "error", "enum", "fixed"})


def _collect(schema: Any, names: dict[str, Any]) -> None:
    """Every named type defined in `schema`, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, names)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in _NAMED:
            names[schema["name"]] = schema
        if kind in ("record", "error"):
            for field in schema["fields"]:
                _collect(field["type"], names)
        elif kind == "array":
            _collect(schema["items"], names)
        elif kind == "map":
            _collect(schema["values"], names)
        elif isinstance(kind, dict | list):
            _collect(kind, names)


class _Resolver:
    def __init__(self, writer: Any, reader: Any) -> None:
        self.writer_names: dict[str, Any] = {}
        self.reader_names: dict[str, Any] = {}
        _collect(writer, self.writer_names)
        _collect(reader, self.reader_names)
        self.checking: set[tuple[str, str]] = set()  # recursive types end here

    @staticmethod
    def deref(schema: Any, names: Mapping[str, Any]) -> Any:
        """A named type's definition where `schema` refers to it by name."""
        return names.get(schema, schema) if isinstance(schema, str) else schema

    def problems(self, writer: Any, reader: Any, path: str) -> list[str]:
        writer = self.deref(writer, self.writer_names)
        reader = self.deref(reader, self.reader_names)
        if isinstance(writer, list):
            return [p for branch in writer for p in self.problems(branch, reader, path)]
        if isinstance(reader, list):
            for branch in reader:
                if not self.problems(writer, branch, path):
                    return []
            branches = ", ".join(_describe(self.deref(b, self.reader_names)) for b in reader)
            return [f"{path}: the writer's {_describe(writer)} matches no branch of [{branches}]"]
        w_type, r_type = _kind(writer), _kind(reader)
        r_logical = reader.get("logicalType") if isinstance(reader, dict) else None
        w_logical = writer.get("logicalType") if isinstance(writer, dict) else None
        if r_logical is not None and r_logical != w_logical:
            return [
                f"{path}: the reader expects logical type {r_logical}, "
                f"the writer has {w_logical or w_type}"
            ]
        if w_type != r_type:
            if r_type in _PROMOTIONS.get(w_type, ()):
                return []
            return [f"{path}: the writer's {w_type} cannot be read as {r_type}"]
        if w_type in _NAMED and _short(writer["name"]) != _short(reader["name"]):
            return [
                f"{path}: the writer's {w_type} {writer['name']} is not the reader's "
                f"{reader['name']}"
            ]
        if w_type in ("record", "error"):
            return self._record(writer, reader, path)
        if w_type == "enum":
            missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
            if missing and "default" not in reader:
                return [
                    f"{path}: the writer's symbols {missing} are not in the reader's "
                    f"enum {reader['name']} (which has no default)"
                ]
            return []
        if w_type == "fixed" and writer["size"] != reader["size"]:
            return [f"{path}: fixed of {writer['size']} bytes cannot be read as {reader['size']}"]
        if w_type == "array":
            return self.problems(writer["items"], reader["items"], f"{path}[]")
        if w_type == "map":
            return self.problems(writer["values"], reader["values"], f"{path}{{}}")
        return []

    def _record(self, writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
        key = (writer["name"], reader["name"])
        if key in self.checking:
            return []
        self.checking.add(key)
        fields = {f["name"]: f for f in writer["fields"]}
        found: list[str] = []
        for field in reader["fields"]:
            where = f"{path}.{field['name']}"
            names = (field["name"], *field.get("aliases", ()))
            source = next((fields[n] for n in names if n in fields), None)
            if source is None:
                if "default" not in field:
                    found.append(
                        f"{where}: the reader needs this field, the writer lacks it, "
                        f"and it has no default"
                    )
                continue
            found.extend(self.problems(source["type"], field["type"], where))
        self.checking.discard(key)
        return found


def _kind(schema: Any) -> str:
    return schema if isinstance(schema, str) else str(schema["type"])


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def _describe(schema: Any) -> str:
    kind = _kind(schema)
    return f"{kind} {schema['name']}" if kind in _NAMED else kind


def incompatibilities(writer: Any, reader: Any) -> list[str]:
    """Every reason records written with `writer` cannot be read as `reader` (both
    parsed by fastavro); empty when all of them can."""
    root = _short(reader["name"]) if isinstance(reader, dict) and "name" in reader else "value"
    return _Resolver(writer, reader).problems(writer, reader, root)
