"""The ``onemap`` command line (typer)."""
