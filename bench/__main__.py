"""``python -m bench``: run every benchmark and print what, our time, baseline, ratio, target.

Options: ``--repetitions N`` (default 3) and ``--scales 250000,1000000`` (enrolments; the
memory comparison uses the smallest and the largest). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime

import psycopg

from bench import nightly, postgres


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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--scales", default="250000,1000000")
    options = parser.parse_args()
    scales = sorted(int(s) for s in options.scales.split(","))
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
    small, large = results[0], results[-1]
    if large is not small:
        rows.append(
            _row(
                f"peak Python memory of our run (tracemalloc), {large.enrolments:,}"
                f" vs {small.enrolments:,}",
                f"{large.traced_peak / 1e6:.1f} MB",
                f"{small.traced_peak / 1e6:.1f} MB",
                large.traced_peak / small.traced_peak,
                1.5,
            )
        )
        rows.append(
            [
                f"growth of our process's max RSS in the run, {large.enrolments:,}"
                f" vs {small.enrolments:,}",
                f"+{large.rss_growth / 1024:.1f} MB (max {large.rss_peak / 1024:.0f} MB)",
                f"+{small.rss_growth / 1024:.1f} MB (max {small.rss_peak / 1024:.0f} MB)",
                "",
                "flat",
                "ok" if large.rss_growth <= small.rss_growth + 4096 else "MISSED",
            ]
        )
    _out(
        f"Rocket benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Postgres"
        f" {server[0] if server else '?'}, Python {platform.python_version()},"
        f" {platform.machine()}, {os.cpu_count()} cores,"
        f" took {time.perf_counter() - started:.0f} s"
    )
    _out("baseline = hand-written SQL doing the same updates and audit rows in one transaction")
    _out(_table(rows))
    return 1 if any(row[-1] == "MISSED" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
