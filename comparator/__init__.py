"""Pure comparison of a primary and a candidate response.

No Kafka, Faust, SQLAlchemy or environment reads in here (a test keeps it so):
everything the comparator needs arrives as arguments.

    rules = load_rules("rules.yaml")            # or RuleSet.default()
    comparison = compare(primary, candidate, rules, endpoint="GET /users/{id}")

`COMPILED` says whether the hot loop (`comparator.walk`) was compiled to C at
install, as it is wherever a C compiler was at hand, or runs interpreted.

The other names are imported on first use, not with the package: the store's
tables need only `comparator.model`'s enums, and a query command should not pay
for the rules file parser (YAML) nor the comparison itself. `_HOMES` says where
each name lives. (`compare` lives in `comparator.pair`: a module of the same
name as an export would be set on the package over it when it loads.)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from comparator.model import Comparison, Difference, Kind, Observation, Result, Verdict
    from comparator.pair import compare
    from comparator.rules import DEFAULT_HEADERS, RuleSet
    from comparator.rules_file import RulesError, load_rules, parse_rules
    from comparator.signature import orphan
    from comparator.walk import COMPILED

_HOMES = {
    "Comparison": "comparator.model",
    "Difference": "comparator.model",
    "Kind": "comparator.model",
    "Observation": "comparator.model",
    "Result": "comparator.model",
    "Verdict": "comparator.model",
    "DEFAULT_HEADERS": "comparator.rules",
    "RuleSet": "comparator.rules",
    "RulesError": "comparator.rules_file",
    "load_rules": "comparator.rules_file",
    "parse_rules": "comparator.rules_file",
    "orphan": "comparator.signature",
    "COMPILED": "comparator.walk",
    "compare": "comparator.pair",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


__all__ = [
    "COMPILED",
    "DEFAULT_HEADERS",
    "Comparison",
    "Difference",
    "Kind",
    "Observation",
    "Result",
    "RuleSet",
    "RulesError",
    "Verdict",
    "compare",
    "load_rules",
    "orphan",
    "parse_rules",
]
