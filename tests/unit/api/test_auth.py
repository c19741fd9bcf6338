"""Every route but the two health checks refuses a request without a valid token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from httpx import Headers

import storage
from api import ApiConfig, create_app
from api.auth import COOKIE, NoTokens, load_tokens, token_matches
from shadowdiff.cli import main

TOKEN = "auth-token-0123456789abcdef"
OPEN = {"/healthz", "/readyz"}
"""The only routes that answer without a token."""

PAGES = {
    "/",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/static/app.js",
    "/static/index.html",
    "/static/vendor/uPlot.min.css",
    "/nowhere",
}
"""The dashboard, its files, the API's description, and paths that serve nothing."""

BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    engine = storage.connect(f"sqlite:///{tmp_path / 'r.db'}")
    storage.upgrade(engine)
    with TestClient(create_app(ApiConfig(engine=engine, tokens=(TOKEN, "x" * 20)))) as client:
        yield client
    engine.dispose()


def _documented_urls(client: TestClient) -> list[str]:
    """Every documented route but the open ones, path parameters filled in."""
    paths = client.get("/openapi.json", headers=BEARER).json()["paths"]
    return [
        path.replace("{signature}", "s").replace("{request_id}", "r")
        for path in paths
        if path not in OPEN
    ]


WRONG: tuple[dict[str, str], ...] = (
    {},
    {"Authorization": "Bearer " + TOKEN[:-1]},
    {"Authorization": "Bearer " + TOKEN + "x"},
    {"Authorization": "Basic " + TOKEN},
    {"Authorization": TOKEN},
    {"Authorization": "Bearer "},
    {"Cookie": f"{COOKIE}={TOKEN[:-1]}"},
    {"Cookie": f"other={TOKEN}"},
    # A header of another scheme is meant: it hides even a good cookie.
    {"Authorization": "Basic x", "Cookie": f"{COOKIE}={TOKEN}"},
)


def test_every_route_refuses_a_missing_or_wrong_token(app_client: TestClient) -> None:
    documented = _documented_urls(app_client)
    # endpoints, timeseries, signatures (2), comparisons (2), runs, alerts, readiness
    assert len(documented) == 9
    assert all(url.startswith("/api/v1/") for url in documented)
    for url in [*documented, *sorted(PAGES)]:
        for headers in WRONG:
            answer = app_client.get(url, headers=headers)
            assert answer.status_code == 401, (url, headers)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert TOKEN not in answer.text
        by_header = app_client.get(url, headers=BEARER)
        by_cookie = app_client.get(url, headers={"Cookie": f"{COOKIE}={TOKEN}"})
        assert by_header.status_code in (200, 404), url
        assert by_cookie.status_code == by_header.status_code, url
    for path in ("/api/v1/runs", "/"):
        assert app_client.post(path).status_code == 401, path


def test_health_checks_need_no_token(app_client: TestClient) -> None:
    for url in OPEN:
        assert app_client.get(url).status_code == 200, url


def test_a_browser_signs_in_with_a_form_and_gets_an_http_only_cookie(
    app_client: TestClient,
) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    form = app_client.get("/", headers=html)
    assert form.status_code == 401
    assert form.headers["content-type"].startswith("text/html")
    assert 'action="/login"' in form.text and "<script" not in form.text
    wrong = app_client.post("/login", data={"token": TOKEN[:-1]}, headers=html)
    assert wrong.status_code == 401 and "refused" in wrong.text
    assert COOKIE not in wrong.headers.get("set-cookie", "")
    assert not app_client.cookies

    signed = app_client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/" in cookie
    # The client now sends the cookie, as a browser does.
    page = app_client.get("/", headers=html)
    assert page.status_code == 200
    assert '<script type="module" src="/static/app.js">' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it
    assert app_client.get("/static/app.js").status_code == 200
    assert app_client.get("/api/v1/runs").status_code == 200

    out = app_client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert not app_client.cookies
    assert app_client.get("/", headers=html).status_code == 401


def test_no_token_reaches_the_logs(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for headers in (*WRONG, BEARER):
        app_client.get("/api/v1/runs", headers=headers)
    app_client.post("/login", data={"token": TOKEN})
    assert caplog.records, "nothing was logged: the check proves nothing"
    assert TOKEN not in caplog.text and TOKEN[:-1] not in caplog.text


def test_every_answer_carries_the_security_headers(app_client: TestClient) -> None:
    for url in ("/", "/static/app.js", "/api/v1/runs", "/healthz", "/nowhere"):
        for headers in (app_client.get(url).headers, app_client.get(url, headers=BEARER).headers):
            _secure(headers)
    form = app_client.get("/", headers={"Accept": "text/html"})
    _secure(form.headers)


def _secure(headers: Headers) -> None:
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in headers


def test_no_cors_for_another_origin(app_client: TestClient) -> None:
    answer = app_client.options(
        "/api/v1/runs",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in answer.headers


def test_request_sizes_are_bounded(app_client: TestClient) -> None:
    auth = BEARER
    long = app_client.get("/api/v1/comparisons?endpoint=" + "a" * 9000, headers=auth)
    assert long.status_code == 414
    body = app_client.request("GET", "/api/v1/runs", content=b"x" * 20000, headers=auth)
    assert body.status_code == 413
    page = app_client.get("/api/v1/comparisons?page_size=100000", headers=auth)
    assert page.status_code == 422


def test_tokens_come_from_the_list_and_the_file(tmp_path: Path) -> None:
    file = tmp_path / "tokens"
    file.write_text("# ops\n" + "f" * 20 + "\n\n")
    assert load_tokens("a" * 16 + ", " + "b" * 16, file) == ("a" * 16, "b" * 16, "f" * 20)
    for inline, path in ((None, None), (" , ", None), ("short", None)):
        with pytest.raises(NoTokens):
            load_tokens(inline, path)
    with pytest.raises(NoTokens, match="cannot read"):
        load_tokens(None, tmp_path / "absent")
    assert token_matches("a" * 16, ("b" * 16, "a" * 16))
    assert not token_matches("a" * 15, ("a" * 16,))


def test_serve_without_a_token_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHADOWDIFF_API_TOKENS", raising=False)
    monkeypatch.delenv("SHADOWDIFF_API_TOKENS_FILE", raising=False)
    result = CliRunner().invoke(main, ["serve", "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    assert result.exit_code == 1
    assert "SHADOWDIFF_API_TOKENS" in result.output and "refuses to start" in result.output
