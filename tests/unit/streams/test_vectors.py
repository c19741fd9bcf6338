"""The shared wire-format vectors: the Python codec writes and reads them byte for byte.

The Go client's test (`clients/go`) checks the same file, so the two encoders
cannot drift apart; it embeds a copy of the schema, which must stay identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streams.codec import FINGERPRINT, decode, encode
from tests.vectors.make_vectors import CASES, PATH, as_json, from_json

ROOT = Path(__file__).parents[3]
DOCUMENT: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))


def test_the_file_is_what_the_cases_make() -> None:
    assert DOCUMENT["schema_fingerprint_hex"] == FINGERPRINT.hex()
    assert [v["name"] for v in DOCUMENT["vectors"]] == [name for name, _ in CASES]
    assert [v["exchange"] for v in DOCUMENT["vectors"]] == [as_json(e) for _, e in CASES]


@pytest.mark.parametrize("vector", DOCUMENT["vectors"], ids=lambda v: v["name"])
def test_encode_and_decode_byte_for_byte(vector: dict[str, Any]) -> None:
    exchange = from_json(vector["exchange"])
    assert encode(exchange).hex() == vector["encoded_hex"]
    assert decode(bytes.fromhex(vector["encoded_hex"])) == exchange


def test_the_go_client_embeds_this_schema() -> None:
    ours = ROOT / "streams" / "schema" / "exchange.avsc"
    theirs = ROOT / "clients" / "go" / "exchange.avsc"
    assert theirs.read_bytes() == ours.read_bytes(), "copy streams/schema/exchange.avsc over it"
