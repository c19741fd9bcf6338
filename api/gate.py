"""The gate every request passes: bounds, the token, fresh answers, security headers.

A plain ASGI middleware (no per-request task or body buffering, which a
`BaseHTTPMiddleware` costs), in this order:

1. A request target over `MAX_URL_BYTES` (414), a body over `MAX_BODY_BYTES`
   (413) or a chunked body (411) is refused with a problem document.
2. Every path but `OPEN_PATHS` needs a token (`api.auth.presented_token`:
   the bearer header, or the dashboard's cookie). Without a valid one a
   browser asking for a page gets the sign-in page, anything else a 401
   problem document with a `WWW-Authenticate` challenge; both are 401.
3. A GET under `/api/v1/` whose answer is fresh in the answer cache is
   answered from it here, without routing or validation: only the answers
   of valid requests are kept, keyed by path and query alone, so the same
   key would pass the same checks.
4. `SECURITY_HEADERS` go on every answer that passes through.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import CHALLENGE, presented_token, token_matches
from api.cache import AnswerCache, cache_key
from api.problems import PROBLEM_TYPE, problem_body
from api.signin import signin_page

API_PREFIX = "/api/v1"

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/logout"})
"""Answered without a token: the health checks, signing in and signing out (which
only checks the token it is given, or forgets the cookie)."""

MAX_BODY_BYTES = 16 * 1024
"""Request bodies larger than this are refused: the API only reads, so none need more."""

MAX_URL_BYTES = 8 * 1024
"""Request targets (path and query) longer than this are refused."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Sent with every response: no inline script runs, nothing frames a page."""

_SECURITY = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class Gate:
    """Wraps the app; `tokens` are the accepted ones, `cache` the app's answer cache."""

    def __init__(self, app: ASGIApp, tokens: tuple[str, ...], cache: AnswerCache) -> None:
        self.app, self.tokens, self.cache = app, tokens, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        query = scope["query_string"].decode("latin-1")
        headers = Headers(scope=scope)
        length = headers.get("content-length", "0")
        if len(path) + len(query) > MAX_URL_BYTES:
            await _problem(send, path, 414, "the request target is too long")
        elif not length.isdigit() or int(length) > MAX_BODY_BYTES:
            await _problem(send, path, 413, "the request body is too large")
        elif "transfer-encoding" in headers:
            await _problem(send, path, 411, "send a Content-Length, not chunks")
        elif path not in OPEN_PATHS and not self._signed_in(headers):
            await self._refuse(send, path, headers)
        elif scope["method"] == "GET" and path.startswith(API_PREFIX + "/"):
            fresh = self.cache.fresh(cache_key(path, query))
            if fresh is None:
                await self.app(scope, receive, _secured(send))
            else:
                await _send(
                    send, 200, fresh, {"content-type": "application/json", "x-cache": "hit"}
                )
        else:
            await self.app(scope, receive, _secured(send))

    def _signed_in(self, headers: Headers) -> bool:
        given = presented_token(headers)
        return given is not None and token_matches(given, self.tokens)

    async def _refuse(self, send: Send, path: str, headers: Headers) -> None:
        if path == "/" and "text/html" in headers.get("accept", ""):
            message = "That token was refused." if presented_token(headers) else ""
            body, kind = signin_page(message), "text/html; charset=utf-8"
            await _send(send, 401, body, {"content-type": kind})
            return
        detail = (
            "the token is not valid"
            if presented_token(headers)
            else "send `Authorization: Bearer TOKEN` with an API token"
        )
        await _problem(send, path, 401, detail, {"www-authenticate": CHALLENGE})


def _secured(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_SECURITY]}
        await send(message)

    return secured


async def _problem(
    send: Send, path: str, status: int, detail: str, extra: Mapping[str, str] | None = None
) -> None:
    body = orjson.dumps(problem_body(status, detail, path))
    await _send(send, status, body, {"content-type": PROBLEM_TYPE, **(extra or {})})


async def _send(send: Send, status: int, body: bytes, headers: Mapping[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw + _SECURITY})
    await send({"type": "http.response.body", "body": body})
