"""Tokens: where they come from, how a request presents one, and the check.

Tokens are opaque secrets compared in constant time (`hmac.compare_digest`)
against every configured one, so neither a match's position nor a prefix
leaks through timing. They are never logged: a refusal says only that the
token is missing or wrong.

A request presents a token as `Authorization: Bearer TOKEN`, or, from the
dashboard in a browser, in the `COOKIE` cookie its sign-in form set
(HttpOnly, so no script reads it; SameSite=Strict, so no other site's page
sends it). The header wins when both are there.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from api.problems import Problem

MIN_TOKEN_LENGTH = 16
"""Shorter tokens are refused at start: guessable secrets protect nothing."""

COOKIE = "shadowdiff_token"
"""The cookie the dashboard's sign-in sets, holding the token itself."""

CHALLENGE = 'Bearer realm="shadowdiff"'
"""The `WWW-Authenticate` header of a 401."""

HOW_TO_SET = (
    "set SHADOWDIFF_API_TOKENS to one or more comma-separated tokens (for example "
    '`export SHADOWDIFF_API_TOKENS="$(openssl rand -hex 24)"`), or '
    "SHADOWDIFF_API_TOKENS_FILE to a file holding one token per line"
)


class NoTokens(ValueError):
    """No usable token is configured: the API would be open or closed to all."""


def load_tokens(inline: str | None, file: Path | None) -> tuple[str, ...]:
    """The tokens from a comma-separated list and a file of one per line (# comments).

    Raises NoTokens when there are none, a token is too short, or the file
    cannot be read; the message says how to set them.
    """
    found = [t.strip() for t in (inline or "").split(",") if t.strip()]
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise NoTokens(f"cannot read the token file {file}: {error.strerror}") from None
        found += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not found:
        raise NoTokens(f"no API token configured: {HOW_TO_SET}")
    short = sum(1 for t in found if len(t) < MIN_TOKEN_LENGTH)
    if short:
        raise NoTokens(
            f"{short} API token(s) shorter than {MIN_TOKEN_LENGTH} characters: use long "
            "random ones (`openssl rand -hex 24`)"
        )
    return tuple(dict.fromkeys(found))


def token_matches(given: str, tokens: tuple[str, ...]) -> bool:
    """Whether `given` is one of `tokens`, comparing against all of them in constant time."""
    given_bytes = given.encode()
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given_bytes, token.encode())
    return matched


def presented_token(headers: Headers) -> str | None:
    """The token a request presents: the bearer header's, else the cookie's, else None.

    An `Authorization` header of another scheme presents nothing (and hides
    the cookie: a client that sends a header means it).
    """
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return credentials.strip() or None
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return unquote(value)
    return None


_bearer = HTTPBearer(auto_error=False, description="a token from SHADOWDIFF_API_TOKENS")


def require_token(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse (401) a request without one of the configured tokens.

    `api.gate` has refused such a request already; this states the scheme in
    the OpenAPI document and keeps each route safe should the gate move.
    """
    given = presented_token(request.headers)
    tokens: tuple[str, ...] = request.app.state.config.tokens
    if given is None or not token_matches(given, tokens):
        raise Problem(401, "the token is missing or not valid", {"WWW-Authenticate": CHALLENGE})
