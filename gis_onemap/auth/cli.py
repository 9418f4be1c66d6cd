"""``onemap token create|list|revoke``: Bearer tokens for the API (only hashes are stored)."""

from __future__ import annotations

from typing import Annotated

import typer

from gis_onemap.auth.principal import Role
from gis_onemap.cli.session import cli_session
from gis_onemap.settings import get_settings

ROLES = ("viewer", "editor", "admin")


def create(
    name: Annotated[str, typer.Option("--name", help="A unique name (who holds the token).")],
    role: Annotated[str, typer.Option("--role", help="viewer, editor or admin.")],
    region_code: Annotated[
        list[str] | None,
        typer.Option(
            "--region-code", help="Limit to a region (6-digit code or a prefix, e.g. 4408)."
        ),
    ] = None,
) -> None:
    """Create a token; it is printed once, as the last line, and only its hash is stored."""
    from gis_onemap.auth.tokens import create_token

    if role not in ROLES:
        typer.echo(f"error: --role must be one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    with cli_session(get_settings(), exit_code=1) as session:
        token = create_token(session.connection(), name, Role[role], region_code or ())
    scope = ", ".join(region_code) if region_code else "all regions"
    typer.echo(f"token {name!r} ({role}, {scope}); store it now, it is not shown again:")
    typer.echo(token)


def list_() -> None:
    """List tokens: name, role, regions, created, revoked (never the token itself)."""
    from gis_onemap.auth.tokens import list_tokens

    with cli_session(get_settings(), commit=False) as session:
        tokens = list_tokens(session.connection())
    for t in tokens:
        regions = ",".join(t.region_codes) or "*"
        revoked = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        typer.echo(f"{t.name}\t{t.role}\t{regions}\t{t.created_at:%Y-%m-%d %H:%M}\t{revoked}")


def revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: refused within the token cache's TTL (1 s by default) everywhere."""
    from gis_onemap.auth.tokens import revoke_token

    with cli_session(get_settings(), exit_code=1) as session:
        revoke_token(session.connection(), name)
    typer.echo(f"token {name!r} revoked")


def register(app: typer.Typer) -> None:
    """Add the ``token`` command group to the ``onemap`` CLI."""
    token_app = typer.Typer(help="API tokens (Authorization: Bearer): create, list, revoke.")
    token_app.command("create")(create)
    token_app.command("list")(list_)
    token_app.command("revoke")(revoke)
    app.add_typer(token_app, name="token")
