"""Run the Alembic migrations programmatically (``onemap migrate``, tests, demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from gis_onemap.settings import PACKAGE_DIR


def alembic_config(url: str) -> Config:
    """An Alembic config for the package's ``migrations/`` pointed at ``url``.

    No alembic.ini needed, so an installed wheel migrates too.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(PACKAGE_DIR) / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade_head(url: str) -> None:
    """``alembic upgrade head`` on the database at ``url``."""
    command.upgrade(alembic_config(url), "head")
