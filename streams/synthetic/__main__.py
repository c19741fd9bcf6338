"""`python -m streams.synthetic --pairs N --seed S --out FILE` writes a capture."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from streams.capture import write_capture
from streams.synthetic.generator import generate


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m streams.synthetic --pairs N --seed S --out FILE` writes a capture."""
    parser = argparse.ArgumentParser(
        prog="python -m streams.synthetic", description="Write a synthetic capture."
    )
    parser.add_argument("--pairs", type=int, default=300, help="requests to generate")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same file)")
    parser.add_argument("--out", type=Path, required=True, help="capture file (.jsonl or .avro)")
    args = parser.parse_args(argv)
    traffic = generate(args.pairs, seed=args.seed)
    count = write_capture(args.out, traffic.exchanges)
    print(f"wrote {count} exchanges ({args.pairs} requests, seed {args.seed}) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
