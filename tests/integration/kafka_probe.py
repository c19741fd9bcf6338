"""Client-side helpers for the services smoke tests: what the broker says about itself."""

from __future__ import annotations

from aiokafka.conn import create_conn
from aiokafka.protocol.admin import ApiVersionRequest

#: API keys by name, from the Kafka protocol guide.
FETCH = 1
DESCRIBE_SHARE_GROUP_OFFSETS = 90  # KIP-932, first advertised by 4.1 brokers


async def api_versions(host: str, port: int) -> dict[int, tuple[int, int]]:
    """The broker's ApiVersions answer: api key → (min version, max version)."""
    conn = await create_conn(host, port)
    try:
        response = await conn.send(ApiVersionRequest())
    finally:
        conn.close()
    return {key: (low, high) for key, low, high in response.api_versions}


def release_floor(versions: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The oldest Kafka release line that answers ApiVersions this way.

    Kafka 4.0 dropped Fetch versions below 4 (KIP-896); 4.1 added the share-group
    offset APIs. Anything else is reported as (3, 0): older than 4.
    """
    if versions.get(FETCH, (0, 0))[0] < 4:
        return (3, 0)
    if DESCRIBE_SHARE_GROUP_OFFSETS in versions:
        return (4, 1)
    return (4, 0)
