"""Rocket's benchmarks: ``make bench`` (``python -m bench``) runs them all and prints a table.

They need a Postgres server: ROCKET_BENCH_DATABASE_URL names its maintenance database
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``, a superuser); each benchmark
creates fresh databases of its own and drops them at the end.
"""
