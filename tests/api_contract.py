"""One contract for the HTTP API, run against SQLite and real PostgreSQL.

A test module subclasses `ApiContract` and provides `db_url` (a fresh, empty
database). The store is loaded with the store contract's known data set and
the API is driven through FastAPI's TestClient; figures are checked against
the CLI's `--json` output for the same query, so both read the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import storage
from analysis.alerts import Alert, Sample
from api import ApiConfig, create_app
from comparator import RuleSet
from shadowdiff.cli import main
from storage.alert_store import StoredAlert, save_alerts
from storage.models import LIVE_RUN
from streams.pipeline import run_pipeline
from streams.synthetic.secondary import QUOTES, bugs, quotes, users
from streams.synthetic.secondary import T0 as T_SECONDARY
from tests.storage_contract import DATASET, RULES, T0, dataset

TOKEN = "contract-token-0123456789abcdef"
PROBLEM = "application/problem+json"


def _store_alerts(db_url: str) -> None:
    """A resolved spike on one endpoint, then a new signature firing on another."""
    spike = Alert(
        id="a" * 32,
        rule="spike",
        endpoint="GET /users/{id}",
        state="resolved",
        window_start=T0,
        window_end=T0 + timedelta(minutes=1),
        opened_at=T0 + timedelta(minutes=1),
        resolved_at=T0 + timedelta(minutes=4),
        observed=Sample(5, 10, 0.5, 0.24, 0.76),
        baseline=Sample(1, 100, 0.01, 0.002, 0.05),
        examples=("r-1", "r-2"),
    )
    new = Alert(
        id="b" * 32,
        rule="new_signature",
        endpoint="POST /orders",
        state="firing",
        window_start=T0 + timedelta(minutes=4),
        window_end=T0 + timedelta(minutes=5),
        opened_at=T0 + timedelta(minutes=5),
        resolved_at=None,
        observed=None,
        signature="s" * 16,
        summary="/total changed",
    )
    stored = [
        StoredAlert(
            a.id,
            LIVE_RUN,
            a.rule,
            a.endpoint,
            a.state,
            a.window_start,
            a.window_end,
            a.opened_at,
            a.resolved_at,
            a.to_json(),
        )
        for a in (spike, new)
    ]
    engine = storage.connect(db_url)
    save_alerts(engine, LIVE_RUN, stored, T0 + timedelta(minutes=5))
    engine.dispose()


def cli_json(*args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


class ApiContract:
    """The behaviour the API must show over every store backend."""

    @pytest.fixture
    def db_url(self) -> Iterator[str]:
        raise NotImplementedError("a backend's test module provides db_url")

    @pytest.fixture
    def loaded(self, db_url: str) -> Iterator[str]:
        """`db_url` migrated and holding the known data set."""
        engine = storage.connect(db_url)
        storage.upgrade(engine)
        storage.ResultWriter(engine, rules_version=RULES).write(dataset())
        engine.dispose()
        yield db_url

    @pytest.fixture
    def client(self, loaded: str) -> Iterator[TestClient]:
        engine = storage.connect(loaded)
        app = create_app(ApiConfig(engine=engine, tokens=(TOKEN,)))
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            yield client
        engine.dispose()

    def test_endpoints_are_the_cli_mismatch_report(self, client: TestClient, loaded: str) -> None:
        answer = client.get("/api/v1/endpoints")
        assert answer.status_code == 200
        body = answer.json()
        assert body["endpoints"] == cli_json("mismatches", "--db", loaded)["endpoints"]
        totals = {e["endpoint"]: e["total"] for e in body["endpoints"]}
        assert totals == {name: sum(v.values()) for name, v in DATASET.items()}
        assert body["endpoints"][0]["endpoint"] == "POST /orders"

    def test_an_endpoint_with_slashes_and_braces_is_a_query_parameter(
        self, client: TestClient
    ) -> None:
        name = "GET /users/{id}"
        body = client.get(f"/api/v1/endpoints?endpoint={quote(name)}").json()
        assert [e["endpoint"] for e in body["endpoints"]] == [name]
        assert body["endpoints"][0]["mismatches"] == 3

    def test_timeseries_is_the_cli_timeseries(self, client: TestClient, loaded: str) -> None:
        since, until = T0.isoformat(), (T0 + timedelta(minutes=5)).isoformat()
        params = {"since": since, "until": until, "step": "1m", "endpoint": "POST /orders"}
        body = client.get("/api/v1/endpoints/timeseries", params=params).json()
        cli = cli_json(
            "timeseries", "--db", loaded, "--since", since, "--until", until,
            "--step", "1m", "--endpoint", "POST /orders",
        )  # fmt: skip

        def figures(report: dict[str, Any]) -> list[tuple[Any, ...]]:
            return [
                (b["total"], b["mismatches"], b["mismatch_rate"], b["latency_ms"])
                for s in report["series"]
                for b in s["buckets"]
            ]

        assert figures(body) == figures(cli)
        assert sum(b["total"] for b in body["series"][0]["buckets"]) == 9
        assert len(body["series"][0]["buckets"]) == 5

    def test_an_unknown_step_is_a_problem(self, client: TestClient) -> None:
        answer = client.get("/api/v1/endpoints/timeseries", params={"step": "7s"})
        assert answer.status_code == 400
        assert answer.headers["content-type"] == PROBLEM
        assert "unknown step" in answer.json()["detail"]

    def test_signatures_are_the_cli_signatures(self, client: TestClient, loaded: str) -> None:
        body = client.get("/api/v1/signatures").json()
        cli = cli_json("signatures", "--db", loaded)["signatures"]
        assert [(s["signature"], s["count"]) for s in body["signatures"]] == [
            (s["signature"], s["count"]) for s in cli
        ]
        orders = client.get("/api/v1/signatures", params={"endpoint": "POST /orders"}).json()
        assert {s["endpoint"] for s in orders["signatures"]} == {"POST /orders"}
        fixed = client.get("/api/v1/signatures", params={"status": "fixed"}).json()
        assert fixed["signatures"] == []

    def test_one_signature_with_its_examples(self, client: TestClient) -> None:
        top = client.get("/api/v1/signatures").json()["signatures"][0]
        body = client.get(f"/api/v1/signatures/{quote(top['signature'])}").json()
        assert body["count"] == top["count"]
        examples = [c["request_id"] for c in body["example_comparisons"]]
        assert examples == top["examples"] and examples
        assert all(c["differences"] for c in body["example_comparisons"])
        missing = client.get("/api/v1/signatures/nope")
        assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM

    def test_comparisons_page_through_with_filters(self, client: TestClient) -> None:
        seen: list[str] = []
        params: dict[str, Any] = {"endpoint": "GET /users/{id}", "page_size": 5}
        while True:
            body = client.get("/api/v1/comparisons", params=params).json()
            seen += [c["request_id"] for c in body["comparisons"]]
            if body["next_page_token"] is None:
                break
            params["page_token"] = body["next_page_token"]
        assert len(seen) == len(set(seen)) == sum(DATASET["GET /users/{id}"].values())
        mismatches = client.get("/api/v1/comparisons", params={"verdict": "mismatch"}).json()
        assert {c["verdict"] for c in mismatches["comparisons"]} == {"mismatch"}
        assert len(mismatches["comparisons"]) == 9

    def test_bad_list_parameters_are_problems(self, client: TestClient) -> None:
        for params in (
            {"page_token": "not-a-token"},
            {"verdict": "sideways"},
            {"since": "2024-13-45"},
            {"since": "1h", "until": "2h"},
        ):
            answer = client.get("/api/v1/comparisons", params=params)
            assert answer.status_code == 400, params
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["status"] == 400 and answer.json()["detail"]
        for params in ({"page_size": 501}, {"since": "yesterday"}, {"endpiont": "GET /x"}):
            answer = client.get("/api/v1/comparisons", params=params)
            assert answer.status_code in (400, 422), params
            assert answer.headers["content-type"] == PROBLEM
        unknown = client.get("/api/v1/comparisons", params={"endpiont": "GET /x"}).json()
        assert "endpiont" in unknown["detail"]

    def test_one_comparison_is_the_cli_show(self, client: TestClient, loaded: str) -> None:
        some = client.get("/api/v1/comparisons", params={"verdict": "mismatch"}).json()
        request_id = some["comparisons"][0]["request_id"]
        body = client.get(f"/api/v1/comparisons/{request_id}").json()
        cli = cli_json("show", request_id, "--db", loaded)
        assert body["differences"] == cli["differences"]
        assert body["differences"][0]["path"] == "/total"
        missing = client.get("/api/v1/comparisons/no-such-request")
        assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM

    def test_runs_with_their_span(self, client: TestClient) -> None:
        (live,) = client.get("/api/v1/runs").json()["runs"]
        assert live["run"] == "live" and live["rules_version"] == RULES
        assert live["traffic_since"].startswith("2024-06-01T12:00:00")
        assert client.get("/api/v1/runs", params={"run": "other"}).json() == {"runs": []}

    def test_lists_of_another_run_are_empty(self, client: TestClient) -> None:
        assert client.get("/api/v1/endpoints", params={"run": "x"}).json()["endpoints"] == []
        page = client.get("/api/v1/comparisons", params={"run": "x"}).json()
        assert page["comparisons"] == [] and page["next_page_token"] is None

    def test_alerts_are_the_cli_alerts(self, client: TestClient, loaded: str) -> None:
        _store_alerts(loaded)
        body = client.get("/api/v1/alerts").json()
        assert body == cli_json("alerts", "--db", loaded)
        assert [a["rule"] for a in body["alerts"]] == ["new_signature", "spike"]
        assert body["alerts"][1]["observed"]["count"] == 5
        firing = client.get("/api/v1/alerts", params={"state": "firing"}).json()
        assert [a["state"] for a in firing["alerts"]] == ["firing"]
        window = {"since": T0.isoformat(), "until": (T0 + timedelta(minutes=3)).isoformat()}
        early = client.get("/api/v1/alerts", params=window).json()
        assert [a["rule"] for a in early["alerts"]] == ["spike"]
        users = client.get("/api/v1/alerts", params={"endpoint": "GET /users/{id}"}).json()
        assert [a["endpoint"] for a in users["alerts"]] == ["GET /users/{id}"]
        bad = client.get("/api/v1/alerts", params={"state": "sleeping"})
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM

    def test_readiness_is_the_cli_readiness(self, client: TestClient, loaded: str) -> None:
        body = client.get("/api/v1/readiness", params={"until": "end", "window": "1d"}).json()
        cli = cli_json("readiness", "--db", loaded, "--until", "end", "--window", "1d")
        assert body == cli
        verdicts = {e["endpoint"]: e["verdict"] for e in body["endpoints"]}
        assert set(verdicts) == set(DATASET) and "not_ready" in verdicts.values()
        one = client.get(
            "/api/v1/readiness",
            params={"until": "end", "endpoint": "POST /orders", "target": "0.5"},
        ).json()
        assert [e["endpoint"] for e in one["endpoints"]] == ["POST /orders"]
        assert one["endpoints"][0]["target"] == 0.5
        for params in ({"window": "0s"}, {"window": "soon"}, {"until": "later"}):
            answer = client.get("/api/v1/readiness", params=params)
            assert answer.status_code in (400, 422), params
            assert answer.headers["content-type"] == PROBLEM
        assert (
            client.get("/api/v1/readiness", params={"until": "end", "run": "x"}).json()["endpoints"]
            == []
        )

    def test_noise_is_a_parameter_of_every_list_as_of_the_cli(
        self, client: TestClient, loaded: str
    ) -> None:
        engine = storage.connect(loaded)
        writer = storage.ResultWriter(engine, run_id="with-secondary", rules_version=RULES)
        run_pipeline(quotes(100) + users(20), RuleSet.default(), writer)
        engine.dispose()
        window = {"run": "with-secondary", "since": T_SECONDARY.isoformat()}
        window["until"] = (T_SECONDARY + timedelta(minutes=5)).isoformat()
        cli_args = [arg for name, value in window.items() for arg in (f"--{name}", value)]
        bug = bugs(100)

        def get(route: str, noise: str, **more: str) -> Any:
            answer = client.get(f"/api/v1/{route}", params={**window, "noise": noise, **more})
            assert answer.status_code == 200, answer.text
            return answer.json()

        for noise in ("include", "exclude", "only"):
            body = get("endpoints", noise)
            assert body == cli_json("mismatches", "--db", loaded, *cli_args, "--noise", noise)
            assert (body["noise"], body["secondary"]) == (noise, True)
            series = get("endpoints/timeseries", noise, step="1m")
            cli = cli_json(
                "timeseries", "--db", loaded, *cli_args, "--step", "1m", "--noise", noise
            )
            assert series == cli
            listed = get("signatures", noise)
            assert (
                listed["signatures"]
                == cli_json("signatures", "--db", loaded, *cli_args, "--noise", noise)["signatures"]
            )
        quotes_row = {
            noise: next(e for e in get("endpoints", noise)["endpoints"] if e["endpoint"] == QUOTES)
            for noise in ("include", "exclude", "only")
        }
        assert [quotes_row[n]["mismatches"] for n in ("include", "exclude", "only")] == [
            100,
            bug,
            100 - bug,
        ]
        assert quotes_row["exclude"]["noise"] == 100 - bug
        buckets = [
            (b["mismatches"], b["noise"])
            for s in get("endpoints/timeseries", "exclude", step="1m")["series"]
            if s["endpoint"] == QUOTES
            for b in s["buckets"]
            if b["total"]
        ]
        assert buckets == [(bug, 100 - bug)]
        assert {s["noise"] for s in get("signatures", "only")["signatures"]} == {True}
        bad = client.get("/api/v1/endpoints", params={"noise": "sometimes"})
        assert bad.status_code in (400, 422)
        assert bad.headers["content-type"] == PROBLEM

    def test_without_a_secondary_noise_changes_nothing(self, client: TestClient) -> None:
        plain = client.get("/api/v1/endpoints").json()
        excluded = client.get("/api/v1/endpoints", params={"noise": "exclude"}).json()
        assert plain["secondary"] is False and plain["noise"] == "include"
        assert {**excluded, "noise": "include"} == plain

    def test_health_needs_no_token(self, loaded: str) -> None:
        engine = storage.connect(loaded)
        with TestClient(create_app(ApiConfig(engine=engine, tokens=(TOKEN,)))) as anonymous:
            assert anonymous.get("/healthz").json() == {"status": "ok"}
            assert anonymous.get("/readyz").json() == {"status": "ok"}
            assert anonymous.get("/api/v1/runs").status_code == 401
        engine.dispose()
