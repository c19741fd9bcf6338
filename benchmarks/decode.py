"""Decoding records of each writer schema, against fastavro's bare reader.

Every contender decodes the exchanges of the same 1,000 generated requests
(about 2,000 records of about 600 bytes), in turns over 7 rounds; each figure
is its best round, in microseconds per record:

- fastavro: `schemaless_reader` of the Avro datum alone with the Exchange schema
  (no framing, no checks, no `Exchange`), the floor;
- current: `codec.decode` of single-object records of the Exchange schema, the
  worker's common case;
- confluent: the same, Confluent-framed with the configured id;
- newer / older: single-object records of a schema with one optional field more
  (one fewer), which the worker reads with the writer schema and fills in the
  defaults of the fields it lacks;
- promoted: a schema whose `latency_ms` is a float, which needs Avro's
  resolving reader (promotion to double).

`*_vs_fastavro` is each one's cost over the floor's.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Callable
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from streams import codec
from streams.schemas import SchemaBook, fingerprint_of, writer_schema
from streams.synthetic import generate

REQUESTS = 1000
ROUNDS = 7
SCHEMA_ID = 7


def _variant(kind: str) -> dict[str, Any]:
    schema = copy.deepcopy(codec.SCHEMA_JSON)
    if kind == "newer":
        schema["fields"].append({"name": "region", "type": ["null", "string"], "default": None})
    elif kind == "older":
        schema["fields"] = [f for f in schema["fields"] if f["name"] != "backend_version"]
    else:
        for field in schema["fields"]:
            if field["name"] == "latency_ms":
                field["type"] = ["null", "float"]
    return schema


def _encode(record: dict[str, Any], schema: dict[str, Any]) -> bytes:
    names = {f["name"] for f in schema["fields"]}
    out = io.BytesIO()
    out.write(codec.SINGLE_OBJECT_MARKER + fingerprint_of(schema))
    schemaless_writer(out, parse_schema(schema), {k: v for k, v in record.items() if k in names})
    return out.getvalue()


def main() -> None:
    exchanges = generate(REQUESTS, seed=5).exchanges
    records = [codec.to_record(e) for e in exchanges]
    variants = {kind: _variant(kind) for kind in ("newer", "older", "promoted")}
    book = SchemaBook(
        [writer_schema(schema, kind) for kind, schema in variants.items()],
        confluent_id=SCHEMA_ID,
    )
    current = [codec.encode(e) for e in exchanges]
    data: dict[str, list[bytes]] = {
        "fastavro": [c[10:] for c in current],
        "current": current,
        "confluent": [codec.encode(e, framing="confluent", schema_id=SCHEMA_ID) for e in exchanges],
        **{kind: [_encode(r, schema) for r in records] for kind, schema in variants.items()},
    }

    def bare(value: bytes) -> object:
        return schemaless_reader(io.BytesIO(value), codec.PARSED_SCHEMA, None)

    def framed(value: bytes) -> object:
        return codec.decode(value, schema_id=SCHEMA_ID, schemas=book)

    contenders: dict[str, Callable[[bytes], object]] = {
        name: bare if name == "fastavro" else framed for name in data
    }
    print(f"measuring: decoding {len(current)} records per schema, best of {ROUNDS} rounds")
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(ROUNDS):
        for name, decode in contenders.items():
            values = data[name]
            began = time.perf_counter()
            for value in values:
                decode(value)
            best[name] = min(best[name], (time.perf_counter() - began) / len(values))
    for name, seconds in best.items():
        print(f"decode_{name}_us: {seconds * 1e6:.1f}")
    for name, seconds in best.items():
        if name != "fastavro":
            print(f"decode_{name}_vs_fastavro: {seconds / best['fastavro']:.2f}")


if __name__ == "__main__":
    main()
