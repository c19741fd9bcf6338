"""Signing in to the dashboard: a form that trades a token for a cookie.

A browser cannot send a bearer header when it opens a page, so `/` without
a token answers 401 with `signin_page`: a plain form (no script, so the CSP
stays whole) posting the token to `/login`. A valid token comes back as the
`api.auth.COOKIE` cookie, HttpOnly (no script can read it) and
SameSite=Strict (no other site's page sends it), Secure over HTTPS, kept
until the browser closes; the API accepts it like the bearer header. A
wrong token gets the form again, 401. `/logout` forgets the cookie.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request, Response

from api.auth import COOKIE, token_matches

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>shadowdiff: sign in</title>
</head>
<body>
  <main>
    <h1>shadowdiff</h1>
    <p>Enter an API token (one of <code>SHADOWDIFF_API_TOKENS</code>). This browser keeps
    it in a cookie no script can read, until it closes or you sign out.</p>
    <form id="login" method="post" action="/login">
      <label>API token
        <input id="token" name="token" type="password" autocomplete="current-password"
          required autofocus>
      </label>
      <button type="submit">open</button>
    </form>
    <p id="login-error" role="alert">{message}</p>
  </main>
</body>
</html>
"""


def signin_page(message: str = "") -> bytes:
    """The sign-in form, with `message` (escaped) under it."""
    return PAGE.replace("{message}", escape(message)).encode()


def _page(status: int, message: str) -> Response:
    return Response(signin_page(message), status_code=status, media_type="text/html")


@router.post("/login")
async def login(request: Request) -> Response:
    """303 to the dashboard with the cookie set for a valid `token`; else the form, 401."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0].strip()
    if not given or not token_matches(given, request.app.state.config.tokens):
        return _page(401, "That token was refused. Enter a valid one.")
    answer = Response(status_code=303, headers={"Location": "/"})
    answer.set_cookie(
        COOKIE,
        quote(given, safe=""),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return answer


@router.post("/logout")
async def logout() -> Response:
    """Forget the cookie and go back to the sign-in form."""
    answer = Response(status_code=303, headers={"Location": "/"})
    answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return answer
