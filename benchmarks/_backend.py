"""A tiny HTTP backend for the proxy benchmark: `python -m benchmarks._backend PORT`.

Answers every request at once with the same JSON body of about 400 bytes, so
what the benchmark measures is the proxy, not the backend.
"""

from __future__ import annotations

import sys

import orjson
from aiohttp import web

BODY = orjson.dumps(
    {
        "id": 7,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "roles": ["admin", "author", "reviewer"],
        "address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"},
        "created_at": "1843-07-10T09:00:00Z",
        "preferences": {"theme": "dark", "language": "en-GB", "newsletter": False},
        "stats": {"posts": 128, "followers": 4096, "following": 12, "score": 98.6},
    }
)


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=BODY, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
