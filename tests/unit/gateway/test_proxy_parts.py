"""The proxy's pure functions: GraphQL requests read, media types, metric outcomes."""

from __future__ import annotations

from multidict import CIMultiDict

from gateway.proxy import _graphql_request, _media_type, _outcome


def test_graphql_request_from_a_json_body_or_the_query_string() -> None:
    body = b'{"query": "query a { x }", "operationName": "a", "variables": {}}'
    assert _graphql_request(body, {}) == ("query a { x }", "a")
    assert _graphql_request(b"", {"query": "{ x }"}) == ("{ x }", None)
    assert _graphql_request(b'{"query": "{ x }", "operationName": 3}', {}) == ("{ x }", None)
    for not_graphql in (b"", b"not json", b"[1, 2]", b'{"query": 5}'):
        assert _graphql_request(not_graphql, {}) == ("", None)


def test_media_type_without_parameters() -> None:
    assert _media_type(CIMultiDict({"Content-Type": "Application/JSON; charset=utf-8"})) == (
        "application/json"
    )
    assert _media_type(CIMultiDict()) is None
    assert _media_type(None) is None


def test_outcome_labels_are_a_closed_set() -> None:
    assert _outcome(None) == "answered"
    assert _outcome("timeout") == "timeout"
    assert _outcome("connection refused") == "connection_refused"
    assert _outcome("ClientOSError: [Errno 104] Connection reset by peer") == "error"
