"""GraphQL operations found by the top-level scanner, never inside selections or strings."""

from __future__ import annotations

import pytest

from gateway.graphql import Operation, operation, operations


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("query getUser($id: ID!) { user(id: $id) { name } }", [Operation("query", "getUser")]),
        ('mutation addTodo { add(text: "x") { id } }', [Operation("mutation", "addTodo")]),
        ("{ user { id } }", [Operation("query", "")]),
        ("query { me { id } }", [Operation("query", "")]),
        ("subscription onEvent { event { id } }", [Operation("subscription", "onEvent")]),
        # a field named `mutation`, a string and a comment holding keywords
        (
            'query q { mutation { id } search(text: "mutation evil {") { id } }\n'
            "# mutation hidden { x }\n",
            [Operation("query", "q")],
        ),
        (
            'query q { a(text: """block "mutation" {""") }',
            [Operation("query", "q")],
        ),
        (
            "fragment F on User { id }\nquery withFragment { me { ...F } }",
            [Operation("query", "withFragment")],
        ),
        (
            "query a { x }\nmutation b { y }",
            [Operation("query", "a"), Operation("mutation", "b")],
        ),
    ],
)
def test_operations(document: str, expected: list[Operation]) -> None:
    assert operations(document) == expected


def test_the_operation_a_request_runs() -> None:
    document = "query a { x }\nmutation b { y }"
    assert operation(document, "b") == Operation("mutation", "b")
    assert operation(document) is None  # ambiguous without a name: the server refuses it too
    assert operation(document, "c") is None
    assert operation("{ x }") == Operation("query", "")


def test_endpoint_names() -> None:
    assert Operation("query", "getUserProfile").endpoint == "query getUserProfile"
    assert Operation("query", "").endpoint == "query (anonymous)"
