"""Schemas a gateway might publish with, and records written with them, for tests.

- `newer_schema`: the Exchange schema plus one optional field (`region`), as a
  gateway that upgraded first would publish;
- `older_schema`: without `backend_version`, as a gateway that has
  not upgraded would;
- `incompatible_schema`: `status` as text, which no Exchange reader can read.

`encode_as` writes an exchange with any of them, framed as a gateway would.
"""

from __future__ import annotations

import copy
import io
from typing import Any

from fastavro import parse_schema, schemaless_writer

from streams.codec import SCHEMA_JSON, SINGLE_OBJECT_MARKER, confluent_header, to_record
from streams.exchange import Exchange
from streams.schemas import fingerprint_of

DROPPED = ("backend_version",)


def newer_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA_JSON)
    schema["fields"].append(
        {"name": "region", "type": ["null", "string"], "default": None, "doc": "added later"}
    )
    return schema


def older_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA_JSON)
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in DROPPED]
    return schema


def incompatible_schema() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA_JSON)
    for field in schema["fields"]:
        if field["name"] == "status":
            field["type"] = ["null", "string"]
    return schema


def encode_as(
    exchange: Exchange,
    schema: dict[str, Any],
    *,
    schema_id: int | None = None,
    region: str | None = "eu-west-1",
) -> bytes:
    """`exchange` written with `schema`: single-object framed, or Confluent with `schema_id`."""
    record = to_record(exchange)
    names = {f["name"] for f in schema["fields"]}
    record = {k: v for k, v in record.items() if k in names}
    if "region" in names:
        record["region"] = region
    if "status" in names and exchange.status is not None and schema == incompatible_schema():
        record["status"] = str(exchange.status)
    out = io.BytesIO()
    if schema_id is None:
        out.write(SINGLE_OBJECT_MARKER + fingerprint_of(schema))
    else:
        out.write(confluent_header(schema_id))
    schemaless_writer(out, parse_schema(schema), record)
    return out.getvalue()
