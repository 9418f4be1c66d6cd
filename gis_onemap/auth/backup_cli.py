"""``onemap backup --out FILE`` and ``onemap restore FILE``.

Maintenance commands: they run as the database owner, outside row-level security.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gis_onemap.settings import get_settings


def _print_counts(counts: dict[str, int]) -> None:
    for table, n in counts.items():
        typer.echo(f"  {table:<20} {n:>10}")


def backup_command(
    out: Path = typer.Option(..., "--out", "-o", help="The backup file (pg_dump custom format)."),
) -> None:
    """Back the database up (pg_dump -Fc) with a side-car of row counts (FILE.counts.json)."""
    from gis_onemap.auth.backup import BackupError, backup

    try:
        result = backup(get_settings().resolved_database_url(), out)
    except BackupError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backup written to {result.path}; rows:")
    _print_counts(result.counts)


def restore_command(
    file: Path = typer.Argument(..., help="A backup made by 'onemap backup'."),
) -> None:
    """Restore a backup, then check the row counts against the backup's side-car.

    The database is created if missing; the restore is one transaction.
    """
    from gis_onemap.auth.backup import BackupError, restore

    try:
        counts = restore(get_settings().resolved_database_url(), file)
    except BackupError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo("restored; rows (checked against the backup's counts when present):")
    _print_counts(counts)


def register(app: typer.Typer) -> None:
    """Add ``onemap backup`` and ``onemap restore`` to ``app``."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
