"""``python -m bench``: run every benchmark and print what, our time, baseline, ratio, target.

Options: ``--repetitions N`` (default 3), ``--scales 250000,1000000`` (enrolments of the
nightly lifecycle), ``--term-scales 25000,100000`` (enrolments to invoice in the term
invoicing benchmark; each memory comparison uses the smallest and the largest scale) and
``--only nightly`` / ``--only term``. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench import nightly, postgres, term_invoicing


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _row(what: str, ours: str, baseline: str, ratio: float, target: float) -> list[str]:
    verdict = "ok" if ratio <= target else "MISSED"
    return [what, ours, baseline, f"{ratio:.2f}x", f"<= {target:.2f}x", verdict]


def _table(rows: list[list[str]]) -> str:
    header = ["what", "ours", "baseline", "ratio", "target", ""]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _memory_rows(what: str, small: Any, large: Any) -> list[list[str]]:
    """Peak Python allocations and resident-set growth, largest scale against smallest."""
    if large is small:
        return []
    scales = f"{large.enrolments:,} vs {small.enrolments:,}"
    return [
        _row(
            f"peak Python memory of {what} (tracemalloc), {scales}",
            f"{large.traced_peak / 1e6:.1f} MB",
            f"{small.traced_peak / 1e6:.1f} MB",
            large.traced_peak / small.traced_peak,
            1.5,
        ),
        [
            f"growth of the max RSS of {what}'s process, {scales}",
            f"+{large.rss_growth / 1024:.1f} MB (max {large.rss_peak / 1024:.0f} MB)",
            f"+{small.rss_growth / 1024:.1f} MB (max {small.rss_peak / 1024:.0f} MB)",
            "",
            "flat",
            "ok" if large.rss_growth <= small.rss_growth + 4096 else "MISSED",
        ],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--scales", default="250000,1000000")
    parser.add_argument("--term-scales", default="25000,100000")
    parser.add_argument("--only", choices=["nightly", "term"])
    options = parser.parse_args()
    scales = [] if options.only == "term" else sorted(int(s) for s in options.scales.split(","))
    term_scales = (
        [] if options.only == "nightly" else sorted(int(s) for s in options.term_scales.split(","))
    )
    try:
        with psycopg.connect(postgres.libpq(postgres.server_url())) as connection:
            server = connection.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError as error:
        _log(f"no Postgres at {postgres.VARIABLE} ({postgres.server_url()}): {error}")
        return 2
    started = time.perf_counter()
    results = []
    for enrolments in scales:
        _log(f"nightly lifecycle, {enrolments:,} enrolments:")
        results.append(nightly.measure(enrolments, options.repetitions, _log))
    rows = []
    for scale in results:
        rows.append(
            _row(
                f"nightly lifecycle, {scale.enrolments:,} enrolments /"
                f" {scale.enrolments // nightly.ENROLMENTS_PER_COHORT:,} cohorts"
                f" ({sum(scale.counts):,} changes, median of {len(scale.ours)})",
                f"{scale.ours_median:.2f} s",
                f"{scale.baseline_median:.2f} s",
                scale.ours_median / scale.baseline_median,
                1.5,
            )
        )
    if results:
        rows += _memory_rows("our run", results[0], results[-1])
    terms = []
    for enrolments in term_scales:
        _log(f"term invoicing, {enrolments:,} enrolments to invoice:")
        terms.append(term_invoicing.measure(enrolments, options.repetitions, _log))
    for term in terms:
        what = (
            f"term invoicing, {term.enrolments:,} enrolments / {term.families:,} families"
            f" ({term.batches} batches, median of {len(term.ours)}), vs one COPY"
        )
        rows.append(
            _row(
                f"{what} into a copy of invoices with its foreign keys",
                f"{term.ours_median:.2f} s",
                f"{term.baseline_median:.2f} s",
                term.ours_median / term.baseline_median,
                5.0,
            )
        )
        # For reference (no target): the same rows into a copy without the foreign keys,
        # which inserting into invoices cannot skip (see docs/benchmarks.md).
        rows.append(
            [
                f"{what} into a copy of invoices without its foreign keys (for reference)",
                f"{term.ours_median:.2f} s",
                f"{term.bare_median:.2f} s",
                f"{term.ours_median / term.bare_median:.2f}x",
                "",
                "",
            ]
        )
    if terms:
        rows += _memory_rows("our term run", terms[0], terms[-1])
    _out(
        f"Rocket benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Postgres"
        f" {server[0] if server else '?'}, Python {platform.python_version()},"
        f" {platform.machine()}, {os.cpu_count()} cores,"
        f" took {time.perf_counter() - started:.0f} s"
    )
    if results:
        _out(
            "nightly baseline = hand-written SQL doing the same updates and audit rows in one"
            " transaction"
        )
    if terms:
        _out(
            "term invoicing baseline = one COPY of the invoice rows our run wrote (no reading,"
            " pricing, numbering, balances, discounts or audit)"
        )
    _out(_table(rows))
    return 1 if any(row[-1] == "MISSED" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
