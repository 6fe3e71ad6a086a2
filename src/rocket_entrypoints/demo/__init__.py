"""The demo school: a realistic, reproducible school built by its staff through the use cases.

``build_demo_school(make_uow, seed=...)`` works over any UnitOfWork adapter (memory, SQL);
``summarise`` reads back what was stored. The organisation's id depends on the seed alone
(``demo_organisation_id``), so ``demo_school_loaded`` can tell whether a database has it.
Billing runs as it does for staff: enrolments are invoiced automatically and families pay at
the front desk (``billing``).
"""

from rocket_entrypoints.demo.school import (
    DEMO_PASSWORD,
    SUPER_ADMIN,
    DemoSchool,
    build_demo_school,
    demo_organisation_id,
    demo_school_loaded,
)
from rocket_entrypoints.demo.summary import BillingFigures, DemoSummary, summarise

__all__ = [
    "DEMO_PASSWORD",
    "SUPER_ADMIN",
    "BillingFigures",
    "DemoSchool",
    "DemoSummary",
    "build_demo_school",
    "demo_organisation_id",
    "demo_school_loaded",
    "summarise",
]
