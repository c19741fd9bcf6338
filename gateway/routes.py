"""Endpoint names for requests: route templates, GraphQL operations, a fallback.

Results are grouped by endpoint, so a name must never hold a concrete id. A
route table maps path templates to names (``/users/{id}`` → ``GET /users/{id}``);
GraphQL requests are named by their operation (``query getUserProfile``); any
other path is named by its shape, segments that look like ids folded to ``{id}``.

A route table file has one route a line, ``[METHOD] /template``, ``#`` comments
and blank lines ignored; without a method a route matches every method. A
``{name}`` segment matches one path segment. When several routes match, the one
with more literal segments wins (``/users/me`` before ``/users/{id}``), then the
one listed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PARAM = re.compile(r"^\{[^{}/]+\}$")
_ID_LIKE = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,})$"
)
METHODS: frozenset[str] = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


class RouteError(ValueError):
    """A route that cannot be read; the message names it and says what is expected."""


@dataclass(frozen=True, slots=True)
class Route:
    """A path template, for one method or (None) all of them."""

    method: str | None
    template: str
    segments: tuple[str | None, ...]
    """The template's segments, None where a parameter matches any one segment."""

    @property
    def literals(self) -> int:
        return sum(segment is not None for segment in self.segments)

    def endpoint(self, method: str) -> str:
        return f"{self.method or method} {self.template}"


def parse_route(text: str) -> Route:
    """`[METHOD] /template` as a `Route`; `RouteError` says what is wrong."""
    parts = text.split()
    if len(parts) == 2 and parts[0].upper() in METHODS:
        method: str | None = parts[0].upper()
        template = parts[1]
    elif len(parts) == 1:
        method, template = None, parts[0]
    else:
        raise RouteError(f"route {text!r}: expected `[METHOD] /path/{{param}}`")
    if not template.startswith("/"):
        raise RouteError(f"route {text!r}: the template must start with '/'")
    segments = tuple(
        None if _PARAM.match(segment) else segment for segment in template.split("/")[1:]
    )
    for segment in segments:
        if segment is not None and ("{" in segment or "}" in segment):
            raise RouteError(
                f"route {text!r}: a parameter must be a whole segment, like /users/{{id}}"
            )
    return Route(method, template, segments)


def read_routes(path: Path) -> list[Route]:
    """The routes of a route table file; `RouteError` names the line at fault."""
    routes = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            routes.append(parse_route(text))
        except RouteError as error:
            raise RouteError(f"{path}:{number}: {error}") from None
    return routes


def fallback_endpoint(method: str, path: str) -> str:
    """The endpoint of an unrouted request: its path, id-like segments as ``{id}``."""
    shape = "/".join("{id}" if _ID_LIKE.match(s) else s for s in path.split("/"))
    return f"{method} {shape}"


class RouteTable:
    """Names requests by the best-matching route, else by `fallback_endpoint`."""

    def __init__(self, routes: list[Route]) -> None:
        # Stable sort: among equally literal routes, the one listed first wins.
        self.routes = sorted(routes, key=lambda r: -r.literals)
        self._by_length: dict[int, list[Route]] = {}
        for route in self.routes:
            self._by_length.setdefault(len(route.segments), []).append(route)

    def match(self, method: str, path: str) -> Route | None:
        """The route `method path` matches, or None."""
        segments = path.split("/")[1:]
        for route in self._by_length.get(len(segments), ()):
            if route.method is not None and route.method != method:
                continue
            if all(t is None or t == s for t, s in zip(route.segments, segments, strict=True)):
                return route
        return None

    def endpoint(self, method: str, path: str) -> str:
        """The endpoint name of a REST request."""
        route = self.match(method, path)
        return route.endpoint(method) if route is not None else fallback_endpoint(method, path)
