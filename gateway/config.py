"""What a proxy is told: its backends, its limits, what it mirrors."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from gateway.routes import RouteTable

SIDE_EFFECT_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods that may change state: not mirrored unless `mirror_side_effects` says so."""


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """The proxy's behaviour, fixed at start.

    - `sample`: the share of requests mirrored and published (0 to 1); the rest
      are only proxied.
    - `mirror_side_effects`: endpoint globs (``POST /search``, ``mutation *``,
      ``*``) whose side-effect requests are mirrored all the same; by default
      POST, PUT, PATCH, DELETE and GraphQL mutations reach the primary alone.
    - `max_body_bytes`: a response body past this is published as its SHA-256
      alone, a request body past it not at all (the client still gets everything).
    - `max_mirrors`: mirror calls in flight at once; past it a request is
      answered but not mirrored, so a slow candidate cannot pile up memory.
    """

    primary: str
    candidate: str
    secondary: str | None = None
    routes: RouteTable = field(default_factory=lambda: RouteTable([]))
    graphql_paths: tuple[str, ...] = ("/graphql",)
    sample: float = 1.0
    mirror_side_effects: tuple[str, ...] = ()
    primary_timeout_s: float = 60.0
    mirror_timeout_s: float = 10.0
    max_body_bytes: int = 512 * 1024
    max_request_body_bytes: int = 64 * 1024 * 1024
    max_mirrors: int = 1000
    metrics_path: str = "/metrics"

    def __post_init__(self) -> None:
        if not 0.0 <= self.sample <= 1.0:
            raise ValueError(f"sample --sample must be between 0 and 1, got {self.sample}")
        backends = {"primary": self.primary, "candidate": self.candidate}
        if self.secondary is not None:
            backends["secondary"] = self.secondary
        for name, url in backends.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"--{name} must be an http:// or https:// URL, got {url!r}")

    def side_effects_mirrored(self, endpoint: str) -> bool:
        """Whether a side-effect request of `endpoint` may reach the mirrors."""
        return any(fnmatch.fnmatchcase(endpoint, glob) for glob in self.mirror_side_effects)
