"""Pure comparison of a primary and a candidate response.

No Kafka, Faust, SQLAlchemy or environment reads in here (a test keeps it so):
everything the comparator needs arrives as arguments.

    rules = load_rules("rules.yaml")            # or RuleSet.default()
    comparison = compare(primary, candidate, rules, endpoint="GET /users/{id}")

`COMPILED` says whether the hot loop (`comparator.walk`) was compiled to C at
install, as it is wherever a C compiler was at hand, or runs interpreted.
"""

from comparator.compare import compare
from comparator.model import Comparison, Difference, Kind, Observation, Result, Verdict
from comparator.rules import DEFAULT_HEADERS, RuleSet
from comparator.rules_file import RulesError, load_rules, parse_rules
from comparator.signature import orphan
from comparator.walk import COMPILED

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
