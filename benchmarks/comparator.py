"""The comparator against DeepDiff, against parsing, and against `==`.

One run, one set of generated response pairs of about 1, 4 and 20 KiB, each
equal (the same document written with another key order and number spelling,
so not byte-equal) and differing (a changed value, an added member, a missing
member). Every contender starts from the two bodies' bytes:

- comparator: `comparator.compare` on two observations;
- deepdiff: `orjson.loads` of both bodies, then DeepDiff configured for JSON
  semantics (int/float type changes ignored, bool kept apart from numbers);
- parse: `orjson.loads` of both bodies;
- parse_eq: `orjson.loads` of both bodies, then `==`.

Printed, one `name: value` per line: whether the comparator's hot loop runs
compiled (`comparator_compiled: yes`, as installed with a C compiler), the time
per pair of each contender, then the ratios the goals are stated in
(`comparator_vs_deepdiff_*` as how many times faster; `comparator_vs_parse*` as
how many times the cost of parsing).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import orjson
from deepdiff import DeepDiff

from comparator import COMPILED, Observation, RuleSet, compare

SIZES = {"1k": 1024, "4k": 4096, "20k": 20 * 1024}
BATCH_SECONDS = 0.1


def _item(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "id": 1000 + i,
        "name": f"user {rng.randrange(10**6)}",
        "email": f"u{i}@example.com",
        "active": rng.random() < 0.5,
        "score": round(rng.random() * 100, 3),
        "balance": float(rng.randrange(10**5)),
        "tags": rng.sample(["red", "green", "blue", "admin", "beta"], 2),
        "created_at": f"2024-0{1 + i % 9}-1{i % 10}T10:00:00Z",
        "address": {"city": "Springfield", "zip": f"{rng.randrange(10**5):05d}"},
    }


def document(size: int, seed: int) -> dict[str, Any]:
    """An API-like list response of about `size` bytes as compact JSON."""
    rng = random.Random(seed)
    doc: dict[str, Any] = {"page": 1, "next": None, "items": []}
    while len(orjson.dumps(doc)) < size:
        doc["items"].append(_item(rng, len(doc["items"])))
    doc["total"] = len(doc["items"])
    return doc


def _reordered(value: Any) -> Any:
    """The same JSON value, members in reverse order, integral floats spelled as ints."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _mutated(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = orjson.loads(orjson.dumps(doc))
    items = out["items"]
    items[len(items) // 2]["score"] += 1
    items[-1]["nickname"] = "added"
    del items[0]["email"]
    return out


def pairs() -> dict[str, tuple[bytes, bytes]]:
    made = {}
    for label, size in SIZES.items():
        doc = document(size, seed=size)
        body = orjson.dumps(doc)
        made[f"{label}_equal"] = (body, orjson.dumps(_reordered(doc)))
        made[f"{label}_diff"] = (body, orjson.dumps(_mutated(doc)))
    return made


def best_times(fns: dict[str, Callable[[], object]], rounds: int = 7) -> dict[str, float]:
    """Best seconds per call of each contender over `rounds` rounds.

    The contenders take turns within each round (a batch of about
    `BATCH_SECONDS` each), so a slow spell of a shared machine falls on all of
    them alike instead of on whichever happened to be timed then.
    """
    batch: dict[str, int] = {}
    for name, fn in fns.items():
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-7)
        batch[name] = max(1, int(BATCH_SECONDS / once))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(batch[name]):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / batch[name])
    return best


def contenders(a: bytes, b: bytes) -> dict[str, Callable[[], object]]:
    rules = RuleSet.default()
    oa = Observation(200, a, {"content-type": "application/json"}, "application/json")
    ob = Observation(200, b, {"content-type": "application/json"}, "application/json")
    loads = orjson.loads

    def deepdiff() -> object:
        # JSON's semantics, as in the property tests: int and float one type,
        # bool not a number, arrays compared element by element.
        return DeepDiff(
            loads(a),
            loads(b),
            ignore_type_in_groups=[(int, float)],
            ignore_type_subclasses=True,
            zip_ordered_iterables=True,
        )

    return {
        "comparator": lambda: compare(oa, ob, rules, endpoint="GET /users"),
        "deepdiff": deepdiff,
        "parse": lambda: (loads(a), loads(b)),
        "parse_eq": lambda: loads(a) == loads(b),
    }


def main() -> None:
    print(f"comparator_compiled: {'yes' if COMPILED else 'no'}", flush=True)
    ratios: list[str] = []
    for name, (a, b) in pairs().items():
        times = best_times(contenders(a, b))
        for contender, seconds in times.items():
            print(f"{contender}_{name}_us: {seconds * 1e6:.1f}", flush=True)
        print(f"body_bytes_{name}: {len(a)}/{len(b)}")
        mine = times["comparator"]
        ratios.append(f"comparator_vs_deepdiff_{name}: {times['deepdiff'] / mine:.0f}x")
        base = "parse_eq" if name.endswith("equal") else "parse"
        ratios.append(f"comparator_vs_{base}_{name}: {mine / times[base]:.2f}x")
    for line in ratios:
        print(line)
