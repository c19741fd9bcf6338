"""The traffic the demo ships, as the generator makes it (its ground truth)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from streams.synthetic import Spike, Traffic, generate

SAMPLES = Path(__file__).parents[1] / "streams" / "samples"
DEMO_TRAFFIC = SAMPLES / "traffic.avro"
SMALL_CAPTURE = SAMPLES / "capture.jsonl"
SPIKE = Spike("GET /courses", timedelta(minutes=35), timedelta(minutes=10))


def demo_traffic() -> Traffic:
    """`python -m streams.synthetic --pairs 5400 --rate 1.5 --seed 7
    --spike 'GET /courses@35+10' --out streams/samples/traffic.avro`."""
    return generate(5400, seed=7, rate=1.5, spike=SPIKE)
