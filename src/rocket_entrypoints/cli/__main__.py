"""``python -m rocket_entrypoints.cli``: the `rocket` command without its console script."""

from rocket_entrypoints.cli.app import main

main()
