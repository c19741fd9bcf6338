"""Which endpoints each endpoint section of a rule set applies to.

A section whose glob matches no endpoint that is seen does nothing, silently:
most often a typo in the endpoint's name. This names such sections. Pure: the
endpoints are an argument (a capture's, or those stored).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from comparator.globs import endpoint_pattern
from comparator.rules import RuleSet


@dataclass(frozen=True, slots=True)
class SectionCoverage:
    """One endpoint section: its glob and the endpoints it matches, sorted."""

    glob: str
    matches: tuple[str, ...]


def coverage(rules: RuleSet, endpoints: Iterable[str]) -> list[SectionCoverage]:
    """Every endpoint section of `rules`, in file order, with the `endpoints` it matches."""
    seen = sorted(set(endpoints))
    found = []
    for glob, _section in rules.endpoints:
        pattern = endpoint_pattern(glob)
        found.append(SectionCoverage(glob, tuple(e for e in seen if pattern.match(e))))
    return found


def unmatched(rules: RuleSet, endpoints: Iterable[str]) -> list[str]:
    """The globs of the endpoint sections that match none of `endpoints`, in file order."""
    return [c.glob for c in coverage(rules, endpoints) if not c.matches]
