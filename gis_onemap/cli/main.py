"""``onemap``: database, migrations, serving and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from gis_onemap.settings import get_settings

if TYPE_CHECKING:
    from gis_onemap.db.cluster import LocalCluster

app = typer.Typer(
    help="gis_onemap — the emergency-management one map (应急一张图).", no_args_is_help=True
)
db_app = typer.Typer(help="The project-local PostgreSQL/PostGIS cluster under .onemap/.")
app.add_typer(db_app, name="db")


def _cluster() -> LocalCluster:
    from gis_onemap.db.cluster import LocalCluster

    return LocalCluster.from_settings(get_settings())


@db_app.command("up")
def db_up() -> None:
    """Create (if needed) and start the local cluster; no-op with ONEMAP_DATABASE_URL."""
    if get_settings().database_url:
        typer.echo("ONEMAP_DATABASE_URL is set: using that database, no local cluster")
        return
    typer.echo(f"local cluster: {_cluster().up()}")


@db_app.command("down")
def db_down() -> None:
    """Stop the local cluster."""
    typer.echo(f"local cluster: {_cluster().down()}")


@db_app.command("status")
def db_status() -> None:
    """Show whether the local cluster runs, and whether the database answers."""
    settings = get_settings()
    if not settings.database_url:
        typer.echo(f"local cluster: {_cluster().status()}")
    from gis_onemap.db.health import database_status

    status = database_status(settings.resolved_database_url())
    typer.echo(f"database: {status}")
    if status != "ok":
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest migration (alembic upgrade head)."""
    from gis_onemap.db.migrate import upgrade_head

    upgrade_head(get_settings().resolved_database_url())
    typer.echo("database schema is at head")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the HTTP API and the one map page."""
    import uvicorn

    uvicorn.run(
        "gis_onemap.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    no_serve: bool = typer.Option(False, "--no-serve", help="Only set up and load the data."),
) -> None:
    """Start the database, migrate, load the demo city if empty, and serve the one map."""
    settings = get_settings()
    if not settings.database_url:
        _cluster().up()
    from gis_onemap.db.migrate import upgrade_head
    from gis_onemap.demo import load_demo_if_empty

    upgrade_head(settings.resolved_database_url())
    loaded = load_demo_if_empty(settings)
    typer.echo(f"demo data: {loaded}")
    if not no_serve:
        typer.echo(f"serving the one map at http://{host}:{port}/map")
        serve(host=host, port=port, workers=1)


def _register_capability_commands() -> None:
    """Commands of the capability folders: import/export, analysis, tiles, roads."""
    from gis_onemap.analysis import cli as analysis_cli
    from gis_onemap.auth import backup_cli
    from gis_onemap.io import cli as io_cli
    from gis_onemap.roads import cli as roads_cli
    from gis_onemap.tiles import cli as tiles_cli
    from gis_onemap.web import cli as basemap_cli

    for module in (io_cli, analysis_cli, tiles_cli, roads_cli, backup_cli, basemap_cli):
        module.register(app)
    from gis_onemap.planning import cli as planning_cli  # onemap shelters (issue 15)

    planning_cli.register(app)


_register_capability_commands()


def _register_token_commands() -> None:
    """``onemap token create|list|revoke`` (gis_onemap/auth/cli.py)."""
    from gis_onemap.auth import cli as auth_cli

    auth_cli.register(app)


_register_token_commands()


def _register_print_commands() -> None:
    """``onemap print`` and ``onemap bundle`` (gis_onemap/printing, gis_onemap/bundle)."""
    from gis_onemap.bundle import cli as bundle_cli
    from gis_onemap.printing import cli as print_cli

    print_cli.register(app)
    bundle_cli.register(app)


_register_print_commands()

if __name__ == "__main__":
    app()


def _register_hazards_commands() -> None:
    """``onemap hazards``: release zones and the risk map (issue 16)."""
    from gis_onemap.hazards import cli as hazards_cli

    hazards_cli.register(app)


_register_hazards_commands()
