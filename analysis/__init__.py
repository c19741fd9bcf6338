"""Pure judgement over per-minute aggregates: spikes, error and orphan rates, new signatures.

No I/O: no Kafka, Faust, SQLAlchemy, network or environment reads (a test keeps
it so). Inputs are minute series and counts the rollups provide; outputs are
immutable alerts with stable IDs. Storing, publishing and delivering them is
the caller's business.

    alerts = judge_endpoint(endpoint, series, book.for_endpoint(endpoint), now=event_now)
"""

from analysis.alerts import Alert, AlertState, RuleName, Sample, alert_id
from analysis.judge import Check, judge_endpoint, judged_until, ratio_checks, spike_checks
from analysis.rules import (
    AlertRules,
    AlertRulesError,
    BaselineKind,
    NewSignatureRule,
    RatioRule,
    RuleBook,
    SpikeRule,
    parse_alert_rules,
)
from analysis.series import MinuteCounts, densify, floor_minute
from analysis.signatures import Sighting, SignatureStatus, judge_signatures
from analysis.stats import wilson, z_score

__all__ = [
    "Alert",
    "AlertRules",
    "AlertRulesError",
    "AlertState",
    "BaselineKind",
    "Check",
    "MinuteCounts",
    "NewSignatureRule",
    "RatioRule",
    "RuleBook",
    "RuleName",
    "Sample",
    "Sighting",
    "SignatureStatus",
    "SpikeRule",
    "alert_id",
    "densify",
    "floor_minute",
    "judge_endpoint",
    "judge_signatures",
    "judged_until",
    "parse_alert_rules",
    "ratio_checks",
    "spike_checks",
    "wilson",
    "z_score",
]
