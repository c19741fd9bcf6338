"""Schemathesis against the live OpenAPI document: no server error, no answer outside it.

Generated requests (valid and invalid) carry a valid token, so they reach
the routes; the store holds the contract's data set, so lists, series and
look-ups have something to return. The app is built when the module loads,
as schemathesis's own parametrisation needs the document at collection
(`schemathesis.pytest.from_fixture` fails on pytest 9).
"""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

import storage
from api import ApiConfig, create_app
from tests.storage_contract import RULES, dataset

TOKEN = "fuzz-token-0123456789abcdef"


def _app_over_the_data_set() -> object:
    folder = tempfile.TemporaryDirectory(prefix="shadowdiff-fuzz-")
    atexit.register(folder.cleanup)
    engine = storage.connect(f"sqlite:///{Path(folder.name) / 'results.db'}")
    storage.upgrade(engine)
    storage.ResultWriter(engine, rules_version=RULES).write(dataset())
    # With the answer cache on, repeated questions are answered by the gate from
    # the cache: those answers must stay within the schema too.
    return create_app(ApiConfig(engine=engine, tokens=(TOKEN,), cache_seconds=60))


# The document, like every route but the health checks, needs the token.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", _app_over_the_data_set(), headers={"Authorization": f"Bearer {TOKEN}"}
)
# The token goes on every call below; schemathesis generating the Authorization
# header itself would count a request whose header it dropped as invalid, though
# the call sends a valid one. Refusals without a token are tested in test_auth.
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_within_its_schema(case: schemathesis.Case) -> None:
    # Every other check runs, server errors and schema conformance included.
    # `positive_data_acceptance` expects every schema-valid request to succeed,
    # but some valid-looking ones are refused by meaning, which no schema can
    # state: an `until` before `since`, a `page_token` this server never issued,
    # a window of more buckets than a series may have. Those get a 400 problem.
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = case.call(headers=headers)
    excluded = [positive_data_acceptance]
    if response.status_code in (413, 414):
        # A size bound refused the request: a rejection, though not one of the
        # statuses `negative_data_rejection` lists. Its body is still checked.
        assert response.headers["content-type"] == ["application/problem+json"]
        excluded.append(negative_data_rejection)
    case.validate_response(response, headers=headers, excluded_checks=excluded)
