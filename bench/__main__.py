"""``python -m bench`` (``make bench``): run every benchmark of the project and print one table:
what, our time, the baseline's time, the ratio, the target.

Every module of ``bench`` that defines ``BENCHMARK`` (a ``bench.runner.Benchmark``) is run,
in order: ``nightly`` (the nightly lifecycle), ``term`` (term invoicing) and ``http`` (the
staff API under load). The default
sizes keep the whole run within 10 minutes on the project's machines (2 cores); see
docs/benchmarks.md for the figures.

Options: ``--list`` (the benchmarks and their default sizes), ``--only NAME[,NAME]``,
``--sizes NAME=N,N`` (repeatable; ``--scales`` and ``--term-scales`` are the same for
``nightly`` and ``term``), ``--repetitions N`` (default: each benchmark's own). Exit status
1 when a target is missed, 2 when Postgres is needed and not there.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime

import psycopg

from bench import postgres
from bench.runner import Benchmark, Row, discover, table

#: The time ``make bench`` must fit in.
BUDGET_SECONDS = 600


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(sorted(int(size.replace("_", "")) for size in text.split(",") if size))


def _options(benchmarks: list[Benchmark]) -> argparse.Namespace:
    names = [b.name for b in benchmarks]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    parser.add_argument("--only", help=f"comma-separated names among {', '.join(names)}")
    parser.add_argument(
        "--sizes", action="append", default=[], metavar="NAME=N,N", help="sizes of one benchmark"
    )
    parser.add_argument("--scales", help="the nightly benchmark's sizes (--sizes nightly=...)")
    parser.add_argument("--term-scales", help="the term benchmark's sizes (--sizes term=...)")
    parser.add_argument(
        "--repetitions",
        type=int,
        default=None,
        help="runs of each side per size (default: each benchmark's own)",
    )
    options = parser.parse_args()
    sizes: dict[str, tuple[int, ...]] = {}
    for item in options.sizes:
        name, _, values = item.partition("=")
        if name not in names or not values:
            parser.error(f"--sizes {item}: NAME=N,N with NAME among {', '.join(names)}")
        sizes[name] = _sizes(values)
    if options.scales:
        sizes["nightly"] = _sizes(options.scales)
    if options.term_scales:
        sizes["term"] = _sizes(options.term_scales)
    options.sizes = sizes
    wanted = names if options.only is None else options.only.split(",")
    unknown = [name for name in wanted if name not in names]
    if unknown:
        parser.error(f"--only: no benchmark named {', '.join(unknown)} ({', '.join(names)})")
    options.selected = [b for b in benchmarks if b.name in wanted]
    if options.repetitions is not None and options.repetitions < 1:
        parser.error("--repetitions: at least 1")
    return options


def main() -> int:
    benchmarks = discover()
    options = _options(benchmarks)
    if options.list:
        for b in benchmarks:
            sizes = ", ".join(f"{size:,}" for size in b.sizes)
            runs = f"{b.repetitions} repetition{'s' if b.repetitions > 1 else ''}"
            _out(f"{b.name:10} {b.title} (sizes: {sizes} {b.unit}; {runs})")
        return 0
    server = "not used"
    if any(b.needs_postgres for b in options.selected):
        try:
            with psycopg.connect(postgres.libpq(postgres.server_url())) as connection:
                found = connection.execute("SHOW server_version").fetchone()
        except psycopg.OperationalError as error:
            _log(f"no Postgres at {postgres.VARIABLE} ({postgres.server_url()}): {error}")
            return 2
        server = found[0] if found else "?"
    started = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []
    for benchmark in options.selected:
        sizes = options.sizes.get(benchmark.name, benchmark.sizes)
        repetitions = options.repetitions or benchmark.repetitions
        result = benchmark.run(sizes, repetitions, _log)
        rows += result.rows
        notes += result.notes
    took = time.perf_counter() - started
    _out(
        f"Rocket benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Postgres {server},"
        f" Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores,"
        f" took {took:.0f} s (budget {BUDGET_SECONDS} s)"
    )
    for note in notes:
        _out(note)
    _out(table(rows))
    if took > BUDGET_SECONDS:
        _log(f"the benchmarks took {took:.0f} s, over the {BUDGET_SECONDS} s budget")
    return 1 if any(row.verdict == "MISSED" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
