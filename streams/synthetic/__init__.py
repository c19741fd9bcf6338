"""Synthetic shadow traffic with known ground truth, for tests, benchmarks and demos.

`generate(pairs, seed)` invents `pairs` requests to a small learning-platform API
(REST routes and GraphQL operations), has both backends answer each one, and
decides per request a *fate*: what the gateway ends up publishing and what
shadowdiff should conclude. The same seed always gives the same traffic.

Fates (`Scenario`, weighted by `Mix`), and the verdict each guarantees
independently of any comparison rules:

- match: ``identical`` bodies, or equal JSON written differently (``key_order``
  with other whitespace, ``number_format`` such as ``4.5`` vs ``4.50``);
- mismatch: ``value_changed``, ``field_missing``, ``field_added``,
  ``array_length``, ``status_500``, ``graphql_error`` (candidate answers with
  ``errors`` and null data);
- ``volatile``: only fields that differ on every pair of the endpoint differ
  (a per-response UUID and timestamp). Under rules that compare everything this is
  a mismatch, and the truth says so (verdict ``mismatch``, `Fate.volatile` true);
  rules that normalise UUIDs and timestamps, or learnt volatility, make it a match;
- ``orphan_primary`` / ``orphan_candidate``: only that side is ever published
  (verdicts ``missing_candidate`` / ``missing_primary``);
- ``error_primary`` / ``error_candidate``: that side timed out or was refused
  (``error`` set, ``status`` null, empty body).

Two delivery accidents are applied on top, with their own probabilities: a side
published twice (the gateway retried the publish), and the candidate arriving
before the primary. Neither changes the verdict.

A `Spike` makes one endpoint mostly mismatch for a stretch of event time, as a
broken deploy of the candidate would (what the alert judge must catch).

Event time: requests arrive about every 25 ms on average (`rate`, 40 a second);
the candidate starts
a few ms after the primary; records are published when each response completes,
so the publish order interleaves requests the way a real gateway does.
"""

from __future__ import annotations

from streams.synthetic.fates import (
    DEFAULT_MIX,
    DEFAULT_START,
    Expected,
    Fate,
    Mix,
    Scenario,
    Spike,
    Traffic,
)
from streams.synthetic.generator import generate

__all__ = [
    "DEFAULT_MIX",
    "DEFAULT_START",
    "Expected",
    "Fate",
    "Mix",
    "Scenario",
    "Spike",
    "Traffic",
    "generate",
]
