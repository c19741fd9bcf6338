"""The old backend: `python -m examples.monolith PORT` (aiohttp)."""

from __future__ import annotations

import sys

from aiohttp import web

from examples import catalogue


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def users(request: web.Request) -> web.Response:
    return web.json_response(catalogue.user(_id(request)))


async def products(request: web.Request) -> web.Response:
    return web.json_response(catalogue.product(_id(request)))


async def orders(request: web.Request) -> web.Response:
    return web.json_response(catalogue.order(_id(request)))


async def create_order(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"created": True}, status=201)


async def search(request: web.Request) -> web.Response:
    return web.json_response(catalogue.search(request.query.get("q", "")))


async def reports(request: web.Request) -> web.Response:
    return web.json_response(catalogue.report(_id(request)))


def application() -> web.Application:
    app = web.Application()
    app.router.add_get("/users/{id}", users)
    app.router.add_get("/products/{id}", products)
    app.router.add_get("/orders/{id}", orders)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/search", search)
    app.router.add_get("/reports/{id}", reports)
    return app


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    web.run_app(application(), host=host, port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
