"""Every route but the two health checks refuses a request without a valid token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import storage
from api import ApiConfig, create_app
from api.auth import NoTokens, load_tokens, token_matches
from shadowdiff.cli import main

TOKEN = "auth-token-0123456789abcdef"
OPEN = {"/healthz", "/readyz"}
"""The only routes that answer without a token."""

SHELL = {"/", "/openapi.json"}
"""The page shell and the API's description: no data, no secret in either."""


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    engine = storage.connect(f"sqlite:///{tmp_path / 'r.db'}")
    storage.upgrade(engine)
    with TestClient(create_app(ApiConfig(engine=engine, tokens=(TOKEN, "x" * 20)))) as client:
        yield client
    engine.dispose()


def _api_urls(client: TestClient) -> list[str]:
    """Every documented route but the open ones, path parameters filled in."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        path.replace("{signature}", "s").replace("{request_id}", "r")
        for path in paths
        if path not in OPEN
    ]


def test_every_api_route_refuses_a_missing_or_wrong_token(app_client: TestClient) -> None:
    urls = _api_urls(app_client)
    assert len(urls) == 7  # endpoints, timeseries, signatures (2), comparisons (2), runs
    assert all(url.startswith("/api/v1/") for url in urls)
    wrong = (
        {},
        {"Authorization": "Bearer " + TOKEN[:-1]},
        {"Authorization": "Bearer " + TOKEN + "x"},
        {"Authorization": "Basic " + TOKEN},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer "},
    )
    for url in urls:
        for headers in wrong:
            answer = app_client.get(url, headers=headers)
            assert answer.status_code == 401, (url, headers)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert TOKEN not in answer.text
        good = app_client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert good.status_code in (200, 404), url


def test_health_checks_and_the_shell_need_no_token(app_client: TestClient) -> None:
    for url in OPEN | SHELL:
        assert app_client.get(url).status_code == 200, url
    page = app_client.get("/")
    assert "<script" in page.text and 'type="module"' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it


def test_every_answer_carries_the_security_headers(app_client: TestClient) -> None:
    for url in ("/", "/static/app.js", "/api/v1/runs", "/healthz", "/nowhere"):
        headers = app_client.get(url).headers
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
    auth = {"Authorization": f"Bearer {TOKEN}"}
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
