"""What a benchmark module gives the runner (``python -m bench``), and the table it prints.

A benchmark is any module ``bench/<name>.py`` that defines ``BENCHMARK = Benchmark(...)``:
the runner imports every module of the package and runs every ``BENCHMARK`` it finds, so a
new benchmark plugs in without editing the runner. ``Benchmark.run(sizes, repetitions, log)``
measures at each size and returns a ``Result``: rows of the table (what, ours, baseline,
ratio, target, verdict) and notes saying what its baselines are.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import attrs

#: Progress messages (the runner writes them on stderr).
Log = Callable[[str], None]
HEADER = ("what", "ours", "baseline", "ratio", "target", "")


@attrs.frozen
class Row:
    """One line of the table. ``verdict``: "ok", "MISSED", or "" for a reference row."""

    what: str
    ours: str
    baseline: str
    ratio: str = ""
    target: str = ""
    verdict: str = ""

    def cells(self) -> tuple[str, ...]:
        return (self.what, self.ours, self.baseline, self.ratio, self.target, self.verdict)


def timed_row(what: str, ours: float, baseline: float, target: float, unit: str = "s") -> Row:
    """A row comparing two times (or sizes): ours / baseline against ``<= target``."""
    ratio = ours / baseline
    return Row(
        what,
        f"{ours:.2f} {unit}",
        f"{baseline:.2f} {unit}",
        f"{ratio:.2f}x",
        f"<= {target:.2f}x",
        "ok" if ratio <= target else "MISSED",
    )


class Measured(Protocol):
    """What ``memory_rows`` needs of one scale of a benchmark."""

    @property
    def enrolments(self) -> int: ...

    @property
    def traced_peak(self) -> int: ...

    @property
    def rss_growth(self) -> int: ...

    @property
    def rss_peak(self) -> int: ...


def memory_rows(what: str, small: Measured, large: Measured) -> list[Row]:
    """Peak Python allocations (tracemalloc) and the growth of the process's peak resident
    set, the largest scale against the smallest: memory must not follow the data."""
    if large is small:
        return []
    scales = f"{large.enrolments:,} vs {small.enrolments:,}"
    rows = []
    if large.traced_peak and small.traced_peak:  # not traced: the resident set only
        rows.append(
            timed_row(
                f"peak Python memory of {what} (tracemalloc), {scales}",
                large.traced_peak / 1e6,
                small.traced_peak / 1e6,
                1.5,
                unit="MB",
            )
        )
    # flat: not following the data (4x the rows) - within a quarter, or 4 MB, of the small run
    flat = large.rss_growth <= max(small.rss_growth * 1.25, small.rss_growth + 4096)
    return [
        *rows,
        Row(
            f"growth of the max RSS of {what}'s process, {scales}",
            f"+{large.rss_growth / 1024:.1f} MB (max {large.rss_peak / 1024:.0f} MB)",
            f"+{small.rss_growth / 1024:.1f} MB (max {small.rss_peak / 1024:.0f} MB)",
            "",
            "flat",
            "ok" if flat else "MISSED",
        ),
    ]


@attrs.frozen
class Result:
    """What one benchmark measured: its rows, and notes on its baselines."""

    rows: list[Row]
    notes: list[str] = attrs.field(factory=list)


@attrs.frozen
class Benchmark:
    """A benchmark the runner discovers (``BENCHMARK`` in a module of ``bench``).

    ``name`` selects it (``--only``, ``--sizes name=...``); ``sizes`` are its default sizes
    (in ``unit``, e.g. enrolments), chosen so that ``make bench`` fits in 10 minutes;
    ``needs_postgres``: it runs against ROCKET_BENCH_DATABASE_URL's server.
    """

    name: str
    title: str
    sizes: tuple[int, ...]
    unit: str
    run: Callable[[Sequence[int], int, Log], Result]
    needs_postgres: bool = True
    #: Where the table lists it (then by name).
    order: int = 100
    #: Runs of each side per size unless ``--repetitions`` says otherwise.
    repetitions: int = 3


def discover(package: Any = None) -> list[Benchmark]:
    """Every ``BENCHMARK`` of the modules of ``package`` (``bench`` by default), in order."""
    if package is None:
        package = importlib.import_module("bench")
    found: dict[str, Benchmark] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        benchmark = getattr(loaded, "BENCHMARK", None)
        if isinstance(benchmark, Benchmark):
            if benchmark.name in found:
                raise ValueError(f"two benchmarks are named {benchmark.name!r}")
            found[benchmark.name] = benchmark
    return sorted(found.values(), key=lambda b: (b.order, b.name))


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table under a header."""
    cells = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
