"""Child process of the nightly benchmark: one LifecycleService.run_nightly over the SQL
adapter, measured. ``python -m bench.ours URL ORGANISATION_ID DAY NOW [trace]`` prints one JSON
line. With ``trace``, tracemalloc records the peak of Python allocations (and slows Python
down: timed runs go without it)."""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc
from datetime import date, datetime
from uuid import UUID

import sqlalchemy as sa

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_core.events import EventBus
from rocket_core.services.lifecycle import LifecycleService


def peak_rss() -> int:
    """This process's peak resident set in kilobytes: VmHWM, which belongs to the process's
    own memory map (ru_maxrss would carry the parent's peak over from the fork)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(url: str, organisation: str, day: str, now: str, *flags: str) -> None:
    trace = "trace" in flags
    at = datetime.fromisoformat(now)
    database = Database(url)
    with database.engine.connect() as connection:  # connect before the clock starts
        connection.execute(sa.text("SELECT 1"))
    service = LifecycleService(database.unit_of_work, FixedClock(at), EventBus())
    rss_before = peak_rss()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    report = service.run_nightly(UUID(organisation), date.fromisoformat(day), at)
    seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    rss_after = peak_rss()
    database.dispose()
    counts = [
        report.cohorts_begun,
        report.enrolments_started,
        report.enrolments_completed,
        report.cohorts_completed,
    ]
    sys.stdout.write(
        json.dumps(
            {
                "seconds": seconds,
                "counts": counts,
                "traced_peak": traced_peak,
                "rss_before": rss_before,
                "rss_after": rss_after,
                "batches": report.batches,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
