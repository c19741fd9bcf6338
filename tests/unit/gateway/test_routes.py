"""Endpoint naming: route templates, their precedence, the fallback's id folding."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.routes import RouteError, RouteTable, fallback_endpoint, parse_route, read_routes


def table(*routes: str) -> RouteTable:
    return RouteTable([parse_route(r) for r in routes])


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/users/7", "GET /users/{id}"),
        ("GET", "/users/me", "GET /users/me"),  # literal beats parameter
        ("DELETE", "/users/7", "DELETE /users/{id}"),  # no method: any method
        ("GET", "/orders/9/items", "GET /orders/{order}/items"),  # listed first
        ("POST", "/orders/9/items", "POST /orders/{id}/items"),
        ("GET", "/users/7/extra", "GET /users/{id}/extra"),  # unrouted: fallback
        ("GET", "/reports/2024", "GET /reports/{id}"),
    ],
)
def test_endpoint_names(method: str, path: str, expected: str) -> None:
    routes = table(
        "/users/{id}", "GET /users/me", "GET /orders/{order}/items", "/orders/{id}/items"
    )
    assert routes.endpoint(method, path) == expected


def test_a_method_route_does_not_match_other_methods() -> None:
    routes = table("GET /users/{id}")
    assert routes.match("POST", "/users/7") is None
    assert routes.endpoint("POST", "/users/7") == "POST /users/{id}"  # by the fallback


def test_the_first_of_equally_literal_routes_wins() -> None:
    routes = table("GET /a/{x}", "GET /{y}/b")
    assert routes.endpoint("GET", "/a/b") == "GET /a/{x}"


def test_fallback_folds_ids_but_keeps_words() -> None:
    uuid = "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a2b"
    assert fallback_endpoint("GET", f"/carts/{uuid}/lines/12") == "GET /carts/{id}/lines/{id}"
    assert fallback_endpoint("GET", "/blobs/0123456789abcdef0123") == "GET /blobs/{id}"
    assert fallback_endpoint("GET", "/v2/health") == "GET /v2/health"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("users/{id}", "must start with '/'"),
        ("GET /users/x{id}", "whole segment"),
        ("FETCH /users", r"expected `\[METHOD\]"),
        ("GET /a /b", r"expected `\[METHOD\]"),
    ],
)
def test_bad_routes_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(RouteError, match=problem):
        parse_route(text)


def test_route_file_with_comments_and_a_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "routes.txt"
    good.write_text("# the API\nGET /users/{id}\n\n/orders/{id}  # any method\n")
    assert [r.endpoint("PUT") for r in read_routes(good)] == [
        "GET /users/{id}",
        "PUT /orders/{id}",
    ]
    bad = tmp_path / "bad.txt"
    bad.write_text("GET /users/{id}\nusers\n")
    with pytest.raises(RouteError, match=r"bad\.txt:2: "):
        read_routes(bad)
