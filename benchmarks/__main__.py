"""Run benchmarks: `python -m benchmarks NAME` runs `benchmarks/NAME.py`'s `main()`.

`python -m benchmarks all` runs every benchmark module in turn; `--help` lists
them. A benchmark module is any module in this package with a `main()`; each
prints `name: value` lines. Benchmarks never assert: they measure.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path


def discover() -> dict[str, Callable[[], object]]:
    """Benchmark name -> its `main`, for every module here that has one."""
    found: dict[str, Callable[[], object]] = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"benchmarks.{info.name}")
        entry = getattr(module, "main", None)
        if callable(entry):
            found[info.name] = entry
    return found


def _summary(name: str) -> str:
    doc = importlib.import_module(f"benchmarks.{name}").__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _usage(names: list[str]) -> str:
    width = max(len(n) for n in [*names, "all"])
    return (
        "usage: python -m benchmarks NAME | all\n\nbenchmarks:\n"
        + "".join(f"  {n:<{width}}  {_summary(n)}\n" for n in names)
        + f"  {'all':<{width}}  every one of the above, in turn\n\n"
        "Each prints `name: value` lines, ratios against a baseline measured in the same\n"
        "run. Those on Kafka or PostgreSQL start their own (the `services` package).\n"
        "Sizes: BENCH_PAIRS (pipeline and reprocess, 30000), BENCH_LATENCY_S (pipeline,\n"
        "20), BENCH_RESULTS (writer, 20000), BENCH_STORE_SMALL and BENCH_STORE_LARGE\n"
        "(store, 1000000 and 10000000), BENCH_API_ROWS, BENCH_API_CLIENTS,\n"
        "BENCH_API_SECONDS and BENCH_API_WORKERS (api, 10000000, 50, 20 and 1), BENCH_PROXY_RATE,\n"
        "BENCH_PROXY_SECONDS and BENCH_PROXY_ROUNDS (proxy, 500, 10 and 3)."
    )


def main(argv: list[str]) -> int:
    benchmarks = discover()
    names = sorted(benchmarks)
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(_usage(names))
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    wanted = names if argv[0] == "all" else [argv[0]]
    for name in wanted:
        if name not in benchmarks:
            print(f"no benchmark named {name!r}\n\n{_usage(names)}", file=sys.stderr)
            return 2
        benchmarks[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
