"""`python -m streams.synthetic --pairs N --seed S --out FILE` writes a capture."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streams.capture import write_capture
from streams.synthetic.fates import DEFAULT_START, Spike
from streams.synthetic.generator import DEFAULT_RATE, generate


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m streams.synthetic --pairs N --seed S --out FILE` writes a capture."""
    parser = argparse.ArgumentParser(
        prog="python -m streams.synthetic", description="Write a synthetic capture."
    )
    parser.add_argument("--pairs", type=int, default=300, help="requests to generate")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same file)")
    parser.add_argument("--out", type=Path, required=True, help="capture file (.jsonl or .avro)")
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="requests per second of event time"
    )
    parser.add_argument(
        "--spike",
        metavar="ENDPOINT@MINUTES+MINUTES",
        default=None,
        help="make ENDPOINT mostly mismatch from MINUTES after the start, for MINUTES "
        "(e.g. 'GET /courses@40+10')",
    )
    parser.add_argument(
        "--start",
        default=None,
        help="ISO-8601 time of the first request (default 2025-01-06T09:00:00Z)",
    )
    args = parser.parse_args(argv)
    try:
        spike = _spike(args.spike) if args.spike else None
        start = datetime.fromisoformat(args.start) if args.start else DEFAULT_START
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        traffic = generate(args.pairs, seed=args.seed, start=start, rate=args.rate, spike=spike)
    except ValueError as error:
        parser.error(str(error))
    count = write_capture(args.out, traffic.exchanges)
    print(f"wrote {count} exchanges ({args.pairs} requests, seed {args.seed}) to {args.out}")
    return 0


def _spike(text: str) -> Spike:
    """`ENDPOINT@AFTER+DURATION`, minutes."""
    endpoint, at, rest = text.rpartition("@")
    after, plus, duration = rest.partition("+")
    if not at or not endpoint or not plus:
        raise ValueError(f"--spike {text!r}: expected ENDPOINT@MINUTES+MINUTES")
    try:
        return Spike(endpoint, timedelta(minutes=float(after)), timedelta(minutes=float(duration)))
    except ValueError as error:
        raise ValueError(f"--spike {text!r}: {error}") from error


if __name__ == "__main__":
    raise SystemExit(main())
