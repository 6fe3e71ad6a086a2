"""Thin entrypoints over rocket_core: the `rocket` command line (HTTP comes later)."""
