"""Response bodies of the synthetic API, and the ways a candidate gets them wrong.

Six routes of a small learning platform: four REST routes (one of them,
`POST /exercises/{id}/attempt`, answers with a per-response UUID and timestamp:
the volatile endpoint) and two GraphQL operations whose bodies carry `data`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from streams.synthetic.fates import Scenario


@dataclass(frozen=True, slots=True)
class Route:
    endpoint: str
    method: str
    path: Callable[[random.Random], tuple[str, str]]  # -> (path, query)
    body: Callable[[random.Random, str], dict[str, Any]]  # (rng, path) -> response JSON
    request: Callable[[random.Random], bytes] = lambda _rng: b""
    graphql: bool = False
    volatile: bool = False


_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances")
_SLUGS = ("intro-to-go", "sql-basics", "python-testing", "kafka-streams", "typescript-101")
_ROLES = ("student", "mentor", "author", "admin", "reviewer")


def _user(rng: random.Random, user_id: int) -> dict[str, Any]:
    name = rng.choice(_NAMES)
    return {
        "id": user_id,
        "name": name,
        "email": f"{name.lower()}.{user_id}@example.com",
        "created_at": f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00Z",
        "roles": rng.sample(_ROLES, rng.randint(1, 3)),
        "rating": round(rng.uniform(1, 5), 1) + 0.25,
        "active": rng.random() < 0.9,
        "settings": {"theme": rng.choice(("dark", "light")), "locale": rng.choice(("en", "de"))},
    }


def _progress(rng: random.Random, path: str) -> dict[str, Any]:
    done = sorted(rng.sample(range(1, 40), rng.randint(1, 8)))
    return {
        "course": path.split("/")[2],
        "user_id": rng.randint(1, 5000),
        "completed_lessons": done,
        "percent": round(len(done) / 40 * 100, 1) + 0.05,
        "last_lesson": done[-1],
        "certificate": None,
    }


def _attempt(rng: random.Random, path: str) -> dict[str, Any]:
    return {
        "attempt_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "exercise_id": int(path.split("/")[2]),
        "correct": rng.random() < 0.6,
        "score": round(rng.uniform(0, 10), 2) + 0.5,
        "hints_used": rng.randint(0, 3),
        "submitted_at": "",  # set per side: the backend's own clock
    }


def _courses(rng: random.Random, _path: str) -> dict[str, Any]:
    items = [
        {"slug": slug, "title": slug.replace("-", " ").title(), "lessons": rng.randint(5, 40)}
        for slug in rng.sample(_SLUGS, rng.randint(2, 5))
    ]
    return {"items": items, "total": len(items), "page": 1, "avg_rating": 4.25}


def _gql_profile(rng: random.Random, _path: str) -> dict[str, Any]:
    user = _user(rng, rng.randint(1, 5000))
    return {"data": {"user": {k: user[k] for k in ("id", "name", "roles", "rating", "settings")}}}


def _gql_enrolments(rng: random.Random, _path: str) -> dict[str, Any]:
    rows = [
        {"course": slug, "progress": round(rng.uniform(0, 100), 1) + 0.5}
        for slug in rng.sample(_SLUGS, rng.randint(1, 4))
    ]
    return {"data": {"enrolments": rows}}


def _gql_request(operation: str, kind: str = "query") -> Callable[[random.Random], bytes]:
    def request(rng: random.Random) -> bytes:
        return orjson.dumps(
            {
                "operationName": operation,
                "query": f"{kind} {operation}($id: ID!) {{ ... }}",
                "variables": {"id": str(rng.randint(1, 5000))},
            }
        )

    return request


ROUTES: tuple[Route, ...] = (
    Route("GET /users/{id}", "GET", lambda r: (f"/users/{r.randint(1, 5000)}", ""),
           lambda r, p: _user(r, int(p.split("/")[2]))),
    Route("GET /courses/{slug}/progress", "GET",
           lambda r: (f"/courses/{r.choice(_SLUGS)}/progress", ""), _progress),
    Route("GET /courses", "GET", lambda r: ("/courses", f"page=1&size={r.choice((10, 20))}"),
           _courses),
    Route("POST /exercises/{id}/attempt", "POST",
           lambda r: (f"/exercises/{r.randint(100, 999)}/attempt", ""), _attempt,
           request=lambda r: orjson.dumps({"answer": r.choice(("a", "b", "c", "42"))}),
           volatile=True),
    Route("query getUserProfile", "POST", lambda r: ("/graphql", ""), _gql_profile,
           request=_gql_request("getUserProfile"), graphql=True),
    Route("query listEnrolments", "POST", lambda r: ("/graphql", ""), _gql_enrolments,
           request=_gql_request("listEnrolments"), graphql=True),
)  # fmt: skip
STABLE = tuple(r for r in ROUTES if not r.volatile)
VOLATILE = tuple(r for r in ROUTES if r.volatile)


def padded(number: float) -> str:
    """`number` with a trailing zero digit: the same JSON number, other text."""
    text = repr(number)
    return text if "e" in text or "inf" in text or "nan" in text else text + "0"


def dump(
    value: Any, *, indent: bool = False, sort: bool = False, floats: Callable[[float], str] = repr
) -> bytes:
    """JSON text with controllable formatting (key order, whitespace, float digits)."""
    sep, colon = (", ", ": ") if indent else (",", ":")

    def render(v: Any) -> str:
        if isinstance(v, dict):
            items = sorted(v.items()) if sort else v.items()
            return "{" + sep.join(f"{render(k)}{colon}{render(x)}" for k, x in items) + "}"
        if isinstance(v, list):
            return "[" + sep.join(render(x) for x in v) + "]"
        if isinstance(v, float):
            return floats(v)
        return orjson.dumps(v).decode()

    return render(value).encode()


def top_level_diff(a: dict[str, Any], b: dict[str, Any]) -> frozenset[str]:
    return frozenset(k for k in a.keys() | b.keys() if k not in a or k not in b or a[k] != b[k])


# --- mutations: what the candidate gets wrong ----------------------------------------


def _target(body: dict[str, Any]) -> dict[str, Any]:
    """The object a mutation edits: the body, or a GraphQL operation's root record."""
    if "data" not in body:
        return body
    root = next(iter(body["data"].values()))
    record: dict[str, Any] = root[0] if isinstance(root, list) else root
    return record


def mutate(rng: random.Random, scenario: Scenario, body: dict[str, Any]) -> dict[str, Any]:
    """A changed deep copy of `body` that differs from it as `scenario` says."""
    changed: dict[str, Any] = orjson.loads(orjson.dumps(body))
    target = _target(changed)
    if scenario == "value_changed":
        key = rng.choice(sorted(k for k, v in target.items() if isinstance(v, str | int | float)))
        value = target[key]
        if isinstance(value, bool):
            target[key] = not value
        elif isinstance(value, int | float):
            target[key] = value + 1
        else:
            target[key] = value + "-v2" if value else "v2"
    elif scenario == "field_missing":
        del target[rng.choice(sorted(target))]
    elif scenario == "field_added":
        target["migrated_from"] = "legacy"
    elif scenario == "array_length":
        if "data" in changed and isinstance(next(iter(changed["data"].values())), list):
            rows = next(iter(changed["data"].values()))
            rows.append(dict(rows[-1]))
        else:
            key = rng.choice(sorted(k for k, v in target.items() if isinstance(v, list)))
            target[key] = target[key][:-1] if len(target[key]) > 1 else [*target[key], "extra"]
    elif scenario == "graphql_error":
        operation = next(iter(changed["data"]))
        return {
            "data": {operation: None},
            "errors": [{"message": "internal error resolving field", "path": [operation]}],
        }
    return changed


def _applicable(route: Route) -> tuple[Scenario, ...]:
    kinds: list[Scenario] = ["value_changed", "field_missing", "field_added", "status_500"]
    target = _target(route.body(random.Random(0), route.path(random.Random(0))[0]))
    if route.graphql:
        kinds.append("graphql_error")
    if route.graphql or any(isinstance(v, list) for v in target.values()):
        kinds.append("array_length")
    return tuple(kinds)


MISMATCHES = {route.endpoint: _applicable(route) for route in ROUTES}
