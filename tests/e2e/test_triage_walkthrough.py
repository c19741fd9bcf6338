"""The README's walk on the demo data, as a user runs it: noise, rules, triage, readiness."""

from __future__ import annotations

import json
from pathlib import Path

from comparator import load_rules
from tests.e2e.test_demo import shadowdiff
from tests.samples import demo_traffic

DB = "sqlite:///shadowdiff-demo.sqlite"
ATTEMPT = "POST /exercises/{id}/attempt"


def test_noise_then_rules_then_triage_then_readiness(tmp_path: Path) -> None:
    shadowdiff("demo", cwd=tmp_path)
    before = json.loads(
        shadowdiff("readiness", "--db", DB, "--until", "end", "--json", cwd=tmp_path)
    )
    rates = {e["endpoint"]: e["match_rate"] for e in before["endpoints"]}
    assert rates[ATTEMPT] == 0.0  # every compared attempt differs in its id and clock

    noise = json.loads(
        shadowdiff(
            "noise", "--db", DB, "--until", "end", "--out", "rules.yaml", "--json", cwd=tmp_path
        )
    )
    assert {(s["path"], s["class"]) for s in noise["suggestions"]} == {
        ("/attempt_id", "uuid"),
        ("/submitted_at", "timestamp"),
    }
    assert load_rules(tmp_path / "rules.yaml").endpoints[0][0] == ATTEMPT

    shadowdiff("demo", "--rules", "rules.yaml", cwd=tmp_path)
    after = json.loads(
        shadowdiff("readiness", "--db", DB, "--until", "end", "--json", cwd=tmp_path)
    )
    rates = {e["endpoint"]: e["match_rate"] for e in after["endpoints"]}
    # The volatile pairs now agree; the candidate's errors and orphans still do not,
    # and requests without a primary to compare with are not judged.
    fates = [f for f in demo_traffic().truth.values() if f.endpoint == ATTEMPT]
    agree = sum(f.expected == "match" or f.volatile for f in fates)
    judged = sum(
        f.expected in ("match", "mismatch", "error_candidate", "missing_candidate") for f in fates
    )
    assert rates[ATTEMPT] == agree / judged
    report = json.loads(shadowdiff("mismatches", "--db", DB, "--json", cwd=tmp_path))
    attempts = next(e for e in report["endpoints"] if e["endpoint"] == ATTEMPT)
    assert attempts["mismatches"] == 0 and attempts["total"] == len(fates)

    queue = json.loads(
        shadowdiff("signatures", "--status", "new", "--db", DB, "--json", cwd=tmp_path)
    )
    progress = "GET /courses/{slug}/progress"
    added = [{"path": "/migrated_from", "kind": "field_added"}]
    target = next(
        s for s in queue["signatures"] if s["endpoint"] == progress and s["paths"] == added
    )
    shadowdiff("signatures", "mark", target["signature"][:8], "expected", "--db", DB, cwd=tmp_path)
    triaged = json.loads(
        shadowdiff("readiness", "--db", DB, "--until", "end", "--json", cwd=tmp_path)
    )
    before_rate = next(e for e in after["endpoints"] if e["endpoint"] == progress)["match_rate"]
    entry = next(e for e in triaged["endpoints"] if e["endpoint"] == progress)
    assert entry["match_rate"] > before_rate
    assert entry["verdict"] == "not_ready" and entry["reasons"]
