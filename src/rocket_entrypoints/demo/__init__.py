"""The demo school: a realistic, reproducible school built through the domain's own methods.

``build_demo_school(make_uow, seed=...)`` works over any UnitOfWork adapter (memory now, the SQL
database later); ``summarise`` reads back what was stored.
"""

from rocket_entrypoints.demo.school import DemoSchool, build_demo_school
from rocket_entrypoints.demo.summary import DemoSummary, summarise

__all__ = ["DemoSchool", "DemoSummary", "build_demo_school", "summarise"]
