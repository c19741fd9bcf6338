"""The data both backends serve, derived from ids alone so the two agree by construction.

`examples/rewrite/main.go` computes the same values the same way (integer
arithmetic, CRC-32 of the query); only its planted differences depart from it.
"""

from __future__ import annotations

import zlib
from typing import Any

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson")


def user(uid: int) -> dict[str, Any]:
    first, last = FIRST[uid % len(FIRST)], LAST[(uid // len(FIRST)) % len(LAST)]
    return {
        "id": uid,
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "created_at": f"2024-{1 + uid % 12:02d}-{1 + uid % 28:02d}T09:00:00Z",
    }


def product(pid: int) -> dict[str, Any]:
    cents = 500 + (pid * 137) % 10000
    return {"id": pid, "name": f"Widget {pid}", "price": cents / 100, "currency": "EUR"}


def order_items(oid: int) -> list[dict[str, Any]]:
    """The order's lines in the order they were added (the rewrite returns them so)."""
    return [
        {"sku": f"SKU-{(oid * 7 + k * 13) % 97:03d}", "qty": 1 + (oid + k) % 4} for k in range(3)
    ]


def order(oid: int) -> dict[str, Any]:
    items = sorted(order_items(oid), key=lambda item: item["sku"])  # the monolith sorts
    return {"id": oid, "items": items, "lines": len(items)}


def search(query: str) -> dict[str, Any]:
    seed = zlib.crc32(query.encode())
    results = [{"id": (seed >> (8 * k)) % 1000, "title": f"{query} #{k}"} for k in range(3)]
    return {"query": query, "results": results}


def report(rid: int) -> dict[str, Any]:
    return {"id": rid, "rows": 10 + rid % 90, "status": "ready"}
