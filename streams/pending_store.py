"""Keep the join's pending sides in a Faust table as compact bytes.

A table value is one changelog record, so it must stay small and cheap to
encode: the side's request body and headers are dropped (the comparison never
reads them) and the rest is the same Avro encoding the gateway used, behind a
4-byte partition number (the join's clocks are per partition).
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterator, MutableMapping

from streams import codec
from streams.join import Pending

_PARTITION = struct.Struct(">I")


def encode_pending(entry: Pending) -> bytes:
    trimmed = dataclasses.replace(entry.exchange, request_body=b"", request_headers={})
    return _PARTITION.pack(entry.partition) + codec.encode(trimmed)


def decode_pending(data: bytes) -> Pending:
    (partition,) = _PARTITION.unpack_from(data)
    return Pending(partition, codec.decode(data[_PARTITION.size :]))


class EncodedPending(MutableMapping[str, Pending]):
    """A `MutableMapping[str, Pending]` view over a bytes-to-bytes mapping (a Faust table).

    Keys are UTF-8 request IDs: raw bytes survive the changelog unchanged, where a
    str key would come back from recovery as bytes.
    """

    def __init__(self, raw: MutableMapping[bytes, bytes]) -> None:
        self.raw = raw

    def __getitem__(self, key: str) -> Pending:
        return decode_pending(self.raw[key.encode()])

    def __setitem__(self, key: str, value: Pending) -> None:
        self.raw[key.encode()] = encode_pending(value)

    def __delitem__(self, key: str) -> None:
        del self.raw[key.encode()]

    def __iter__(self) -> Iterator[str]:
        return (key.decode() for key in self.raw)

    def __len__(self) -> int:
        return len(self.raw)
