"""Pure judgement over per-minute aggregates: spikes, error and orphan rates, new signatures.

No I/O: no Kafka, Faust, SQLAlchemy, network or environment reads (a test keeps
it so). Inputs are minute series and counts the rollups provide; outputs are
immutable alerts with stable IDs. Storing, publishing and delivering them is
the caller's business.

    alerts = judge_endpoint(endpoint, series, book.for_endpoint(endpoint), now=event_now)

The names below are imported on first use, not with the package: the settings
and the store's reports need only `analysis.baseline`, and a query command
should not pay for the alert rules and judges. `_HOMES` says where each name lives.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "Alert": "analysis.alerts",
    "AlertState": "analysis.alerts",
    "RuleName": "analysis.alerts",
    "Sample": "analysis.alerts",
    "alert_id": "analysis.alerts",
    "Check": "analysis.judge",
    "judge_endpoint": "analysis.judge",
    "judged_until": "analysis.judge",
    "ratio_checks": "analysis.judge",
    "spike_checks": "analysis.judge",
    "AlertRules": "analysis.rules",
    "AlertRulesError": "analysis.rules",
    "BaselineKind": "analysis.rules",
    "NewSignatureRule": "analysis.rules",
    "RatioRule": "analysis.rules",
    "RuleBook": "analysis.rules",
    "SpikeRule": "analysis.rules",
    "parse_alert_rules": "analysis.rules",
    "MinuteCounts": "analysis.series",
    "densify": "analysis.series",
    "floor_minute": "analysis.series",
    "Sighting": "analysis.signatures",
    "SignatureStatus": "analysis.signatures",
    "judge_signatures": "analysis.signatures",
    "wilson": "analysis.stats",
    "z_score": "analysis.stats",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


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
