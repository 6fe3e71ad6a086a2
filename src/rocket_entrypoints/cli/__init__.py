"""The `rocket` command line (Typer)."""
