"""Runtime settings, read from ``ONEMAP_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The installed package: migrations, demo data and map assets ship inside it (a wheel works
#: without a checkout).
PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout holding the package (development), or wherever the package is installed.
PROJECT_ROOT = PACKAGE_DIR.parent
#: Demo GeoJSON files, one ``<collection id>.geojson`` per category, and the district outlines.
DEMO_DATA_DIR = PACKAGE_DIR / "data" / "demo"


def _default_home() -> Path:
    """``.onemap`` in the checkout when run from one, else in the current directory (a wheel
    install must not write into site-packages)."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / ".onemap"
    return Path.cwd() / ".onemap"


class Settings(BaseSettings):
    """All knobs of the server; built by :func:`get_settings` or passed to ``create_app``."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=None, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of an existing PostGIS; unset = the project-local cluster.",
    )
    home: Path = Field(
        default_factory=_default_home,
        description="Folder of the project-local PostgreSQL cluster and caches.",
    )
    local_port: int = Field(default=55432, description="Port of the project-local cluster.")
    local_dbname: str = "onemap"
    pool_size: int = 10
    pool_max_overflow: int = 10
    statement_timeout_ms: int = 30_000
    default_limit: int = 100
    max_limit: int = 10_000
    base_url: str | None = Field(default=None, description="Public base URL for links.")
    basemap_url: str | None = Field(
        default=None, description="Optional external XYZ base-map URL template."
    )
    basemap_crs: str = Field(default="wgs84", description="CRS of the external base map.")
    basemap_file: Path | None = Field(
        default=None,
        description="Street base-map archive (.pmtiles/.mbtiles from `onemap basemap build`) "
        "served at /map/basemap/streets/{z}/{x}/{y}.mvt; unset = streets from the loaded road "
        "network. The district base map stays underneath either way.",
    )
    tile_cache_dir: Path | None = None
    tile_cache_size: int = 4096
    cluster_below_zoom: int = 12
    duplicate_distance_m: float = 10.0
    hazard_zone_radii_m: dict[int, float] = Field(
        default_factory=dict,
        description="Hazard-zone radius (m) per hazard level 1-4, overriding the defaults in "
        "gis_onemap.analysis.hazard_zones (no standard maps level to radius).",
    )
    api_keys: list[str] = Field(
        default_factory=list,
        description="Keys (X-API-Key header) of trusted users, who also see personal data.",
    )

    def resolved_database_url(self) -> str:
        """The URL to connect to: ``database_url`` or the local cluster's socket URL."""
        if self.database_url:
            return self.database_url
        sock = self.home / "run"
        return (
            f"postgresql+psycopg://postgres@/{self.local_dbname}?host={sock}&port={self.local_port}"
        )


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, built once on first use (not at import time)."""
    return Settings()
