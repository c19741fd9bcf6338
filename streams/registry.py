"""Writer schemas of Confluent-framed records, fetched from a schema registry by id.

Speaks the Confluent Schema Registry REST API, which Confluent's registry,
Apicurio Registry (under ``/apis/ccompat/v7``), Karapace and Redpanda serve:
``GET {url}/schemas/ids/{id}`` answers ``{"schema": "<schema JSON text>"}``
(with ``"schemaType"`` absent or ``"AVRO"`` for Avro).

`learn` fetches one id's schema into a `SchemaBook`, in a thread so the worker's
event loop keeps serving Kafka meanwhile, and never raises: a failure is
recorded in the book as the reason the id's records are dead-lettered, and the
registry is asked again after `streams.schemas.FAILED_FETCH_RETRY_S`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from typing import Final

from streams.schemas import SchemaBook, SchemaFileError, writer_schema

log = logging.getLogger("shadowdiff.registry")

FETCH_TIMEOUT_S: Final = 10.0


class RegistryError(RuntimeError):
    """The registry did not give an id's Avro schema; the message says why, naming it."""


def schema_url(registry_url: str, schema_id: int) -> str:
    return f"{registry_url.rstrip('/')}/schemas/ids/{schema_id}"


def fetch_schema(registry_url: str, schema_id: int, *, timeout_s: float = FETCH_TIMEOUT_S) -> str:
    """The schema JSON text the registry holds under `schema_id`; `RegistryError` if none."""
    url = schema_url(registry_url, schema_id)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise RegistryError(
                f"the registry at {registry_url} has no schema id {schema_id}"
            ) from None
        raise RegistryError(f"GET {url} answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise RegistryError(f"the registry at {registry_url} is unreachable: {error}") from None
    except ValueError as error:
        raise RegistryError(f"GET {url} did not answer JSON: {error}") from None
    if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        raise RegistryError(f"GET {url} answered no schema: {str(body)[:200]}")
    kind = body.get("schemaType", "AVRO")
    if kind != "AVRO":
        raise RegistryError(f"schema id {schema_id} is a {kind} schema, not Avro")
    return str(body["schema"])


async def learn(book: SchemaBook, schema_id: int) -> None:
    """Fetch `schema_id`'s schema from the book's registry into `book`, or record why not."""
    if book.registry_url is None:
        return
    try:
        text = await asyncio.to_thread(fetch_schema, book.registry_url, schema_id)
        schema = writer_schema(text, f"from {book.registry_url}")
    except (RegistryError, SchemaFileError) as error:
        log.warning("schema id %d: %s", schema_id, error)
        book.fail(schema_id, str(error))
        return
    if schema.problems:
        log.warning("schema id %d cannot be read: %s", schema_id, "; ".join(schema.problems))
    book.add(schema_id, schema)
