"""SQL persistence: SQLAlchemy 2 tables, imperative mapping, repositories, unit of work and
Alembic migrations, on SQLite (the embedded default) and Postgres (production)."""

from rocket_adapters.sql.database import Database, make_engine
from rocket_adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["Database", "SqlUnitOfWork", "make_engine"]
