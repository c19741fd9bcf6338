"""The answer cache: fresh for its time to live, one computation per key, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import storage
from api import ApiConfig, create_app
from api.cache import AnswerCache, cache_key
from tests.storage_contract import RULES, dataset

TOKEN = "cache-token-0123456789abcdef"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _counting(body: bytes) -> tuple[list[int], Callable[[], Awaitable[bytes]]]:
    calls: list[int] = []

    async def compute() -> bytes:
        calls.append(1)
        await asyncio.sleep(0)
        return body

    return calls, compute


def test_an_answer_is_kept_for_its_time_to_live_and_no_longer() -> None:
    clock = Clock()
    cache = AnswerCache(5, clock=clock)
    calls, compute = _counting(b"a")

    async def run() -> list[str]:
        sources: list[str] = []
        for at in (0, 1, 5):  # nobody asks in the second half of its life
            clock.now = 100 + at
            sources.append((await cache.answer("k", compute)).source)
        return sources

    assert asyncio.run(run()) == ["miss", "hit", "miss"]
    assert len(calls) == 2


def test_past_half_its_life_an_answer_is_recomputed_while_still_served() -> None:
    clock = Clock()
    cache = AnswerCache(5, clock=clock)
    bodies = iter([b"old", b"new"])
    calls: list[float] = []

    async def compute() -> bytes:
        calls.append(clock.now)
        await asyncio.sleep(0)
        return next(bodies)

    async def run() -> None:
        assert (await cache.answer("k", compute)).body == b"old"
        clock.now += 2  # before half its life: served as it is, also by the gate
        assert cache.fresh("k") == b"old"
        clock.now += 1  # past half: the gate sends the request on to the route
        assert cache.fresh("k") is None
        due = await cache.answer("k", compute)
        assert (due.body, due.source) == (b"old", "hit")
        assert cache.fresh("k") == b"old"  # being recomputed: the gate serves it
        for _ in range(5):
            await asyncio.sleep(0)
        assert cache.fresh("k") == b"new"
        clock.now += 4.9  # 4.9 s after the recomputation started: still fresh
        assert (await cache.answer("k", compute)).body == b"new"

    asyncio.run(run())
    assert calls[:2] == [100, 103]


def test_no_time_to_live_computes_every_answer() -> None:
    cache = AnswerCache(0)
    calls, compute = _counting(b"a")

    async def run() -> None:
        for _ in range(3):
            assert (await cache.answer("k", compute)).source == "miss"

    asyncio.run(run())
    assert len(calls) == 3 and cache.size_bytes == 0


def test_concurrent_requests_share_one_computation() -> None:
    cache = AnswerCache(5)
    calls, compute = _counting(b"shared body")

    async def run() -> list[str]:
        found = await asyncio.gather(*(cache.answer("k", compute) for _ in range(10)))
        assert {a.body for a in found} == {b"shared body"}
        return sorted(a.source for a in found)

    assert asyncio.run(run()) == ["miss"] + ["shared"] * 9
    assert len(calls) == 1


def test_an_error_is_shared_with_the_waiting_but_never_kept() -> None:
    cache = AnswerCache(5)
    calls: list[int] = []

    async def failing() -> bytes:
        calls.append(1)
        await asyncio.sleep(0)
        raise LookupError("no such thing")

    async def run() -> list[BaseException | object]:
        return await asyncio.gather(
            *(cache.answer("k", failing) for _ in range(3)), return_exceptions=True
        )

    assert all(isinstance(r, LookupError) for r in asyncio.run(run()))
    assert len(calls) == 1
    with pytest.raises(LookupError):
        asyncio.run(cache.answer("k", failing))
    assert len(calls) == 2 and cache.size_bytes == 0


def test_the_least_recently_used_answers_go_past_the_byte_bound() -> None:
    cache = AnswerCache(60, max_bytes=10)

    async def body(data: bytes) -> bytes:
        return data

    async def run() -> None:
        await cache.answer("a", lambda: body(b"aaaa"))
        await cache.answer("b", lambda: body(b"bbbb"))
        assert cache.fresh("a") == b"aaaa"  # a is now the most recently used
        await cache.answer("c", lambda: body(b"cccc"))
        await cache.answer("huge", lambda: body(b"x" * 11))

    asyncio.run(run())
    assert cache.fresh("b") is None and cache.fresh("huge") is None
    assert cache.fresh("a") == b"aaaa" and cache.fresh("c") == b"cccc"
    assert cache.size_bytes == 8


def test_the_key_ignores_the_order_of_query_parameters() -> None:
    assert cache_key("/p", "b=2&a=1") == cache_key("/p", "a=1&b=2")
    assert cache_key("/p", "a=1") != cache_key("/p", "a=2")
    assert cache_key("/p", "a=1") != cache_key("/q", "a=1")
    assert cache_key("/p", "a=%20") == cache_key("/p", "a=+")


@pytest.fixture
def cached_client(tmp_path: Path) -> TestClient:
    engine = storage.connect(f"sqlite:///{tmp_path / 'r.db'}")
    storage.upgrade(engine)
    storage.ResultWriter(engine, rules_version=RULES).write(dataset())
    app = create_app(ApiConfig(engine=engine, tokens=(TOKEN,), cache_seconds=300))
    return TestClient(app)


def test_the_api_answers_a_repeated_question_from_the_cache_behind_the_token(
    cached_client: TestClient,
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    first = cached_client.get("/api/v1/endpoints?since=2000-01-01&top=3", headers=auth)
    again = cached_client.get("/api/v1/endpoints?top=3&since=2000-01-01", headers=auth)
    assert first.status_code == again.status_code == 200
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert again.content == first.content and first.json()["endpoints"]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    # A fresh answer in the cache is no way around the token.
    refused = cached_client.get("/api/v1/endpoints?since=2000-01-01&top=3")
    assert refused.status_code == 401 and refused.content != first.content
    # Refusals are not kept: the same bad question is checked again, and again refused.
    for _ in range(2):
        bad = cached_client.get("/api/v1/endpoints?top=999", headers=auth)
        assert bad.status_code == 422 and "x-cache" not in bad.headers
