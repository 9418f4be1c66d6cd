"""Tile service: check a tile request, answer it from the cache or render it with one query."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Dialect, and_
from sqlalchemy.orm import Session

from gis_onemap.categories import CATEGORIES, Category
from gis_onemap.categories.system_fields import ITEMS_PARAMS, TILE_FILTER_PARAMS
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.db.tables import table_for
from gis_onemap.errors import InvalidInput
from gis_onemap.limits import InputLimits
from gis_onemap.query.cql2 import check_filter
from gis_onemap.query.items import (
    datetime_clause,
    filter_clause,
    property_filters,
)
from gis_onemap.settings import Settings
from gis_onemap.tiles.cache import TileCache, TileKey
from gis_onemap.tiles.grid import TileIndex
from gis_onemap.tiles.layers import layer_sql
from gis_onemap.tiles.raster import render_png
from gis_onemap.tiles.sources import TileSource

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
PNG_MEDIA_TYPE = "image/png"
#: Tiles are never stale: clients may store them but must revalidate (ETag → 304) each time.
CACHE_CONTROL = "public, no-cache"


@dataclass(frozen=True)
class TileFilters:
    """The filter parameters of a tile request, as in ``/items`` (property filters, CQL2)."""

    params: tuple[tuple[str, str], ...] = ()
    #: the caller's region patterns when read scope limits what tiles show ('' = everything):
    #: part of the cache key and ETag, so a tile drawn for one scope never reaches another
    scope: str = ""
    #: Filter size/depth limits (not part of the cache key).
    limits: InputLimits = field(default_factory=InputLimits, compare=False)

    @classmethod
    def from_params(
        cls,
        params: Mapping[str, str],
        categories: Sequence[Category],
        limits: InputLimits | None = None,
    ) -> TileFilters:
        """Keep the filter parameters; refuse ``/items`` parameters that mean nothing on tiles.

        Property names are checked when the filter is compiled (on a cache miss): a request
        with a bad parameter has no cached tile, so it always reaches that check. The filter's
        size and depth are checked here already, before anything else looks at it.
        """
        limits = limits or InputLimits()
        if params.get("filter"):
            lang = (params.get("filter-lang") or "").lower() or (
                "cql2-json" if params["filter"].lstrip().startswith("{") else "cql2-text"
            )
            if lang in ("cql2-text", "cql2-json"):  # another value is refused when compiled
                check_filter(params["filter"], lang, limits)
        items = []
        for key, value in params.items():
            if key in ITEMS_PARAMS and key not in TILE_FILTER_PARAMS:
                raise InvalidInput(f"parameter '{key}' is not supported on tiles")
            items.append((key, value))
        if items and len(categories) != 1:
            names = ", ".join(k for k, _ in items)
            raise InvalidInput(
                f"filters ({names}) apply to one collection: use /collections/{{id}}/tiles"
            )
        return cls(tuple(sorted(items)), limits=limits)

    @property
    def variant(self) -> str:
        """A short digest naming this filter in cache keys (``-`` when unfiltered)."""
        if not self.params and not self.scope:
            return "-"
        raw = urlencode(self.params) + (f"|scope={self.scope}" if self.scope else "")
        return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()

    def clauses(self, category: Category) -> list[ColumnElement[bool]]:
        """The SQL clauses of the filter, built by the same functions as ``/items``."""
        if not self.params:
            return []
        params = dict(self.params)
        table = table_for(category.id)
        props = {k: v for k, v in params.items() if k not in TILE_FILTER_PARAMS}
        clauses = property_filters(props, category, table)
        for clause in (
            datetime_clause(params.get("datetime"), table),
            filter_clause(
                params.get("filter"), params.get("filter-lang"), category, table, self.limits
            ),
        ):
            if clause is not None:
                clauses.append(clause)
        return clauses


def compile_where(
    clauses: Sequence[ColumnElement[bool]], dialect: Dialect
) -> tuple[str, dict[str, Any]]:
    """``(" AND <sql>", params)`` for splicing filter clauses into a tile template.

    Values stay bound parameters; each goes through its SQL type's bind processor as it would
    in a normal SQLAlchemy execution.
    """
    if not clauses:
        return "", {}
    compiled = and_(*clauses).compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params: dict[str, Any] = {}
    for name, value in compiled.construct_params().items():
        bind = compiled.binds.get(name)
        process = bind.type.bind_processor(dialect) if bind is not None else None
        params[name] = process(value) if process else value
    return f" AND ({compiled})", params


@cache
def _multi_layer_sql(ids: tuple[str, ...], clustered: bool) -> str:
    """One statement for the layers of several categories.

    Clustered layers are concatenated (MVT layers concatenate as bytes), plain ones returned as
    an array (NULL = too many features).
    """
    from gis_onemap.categories import REGISTRY

    parts = [f"({layer_sql(REGISTRY[i]).statement(clustered)})" for i in ids]
    if clustered:
        return "SELECT " + "\n || ".join(parts)
    return "SELECT ARRAY[" + ",\n".join(parts) + "]"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, or ``*``).

    >>> etag_matches('W/"abc", "def"', '"abc"')
    True
    >>> etag_matches(None, '"abc"')
    False
    """
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _answer(data: bytes, etag: str, png: bool, gz: bool) -> TileAnswer:
    """The answer for cached bytes: gzip MVT (sent as is, or decompressed) or PNG."""
    media_type = PNG_MEDIA_TYPE if png else MVT_MEDIA_TYPE
    if not data:
        return TileAnswer(204, media_type, etag)
    if png:
        return TileAnswer(200, media_type, etag, data)
    if gz:
        return TileAnswer(200, media_type, etag, data, {"Content-Encoding": "gzip"})
    return TileAnswer(200, media_type, etag, gzip.decompress(data))


@dataclass
class TileAnswer:
    """What to send: ``status`` 200 (body), 204 (empty tile) or 304 (not modified)."""

    status: int
    media_type: str
    etag: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class TileService:
    """Vector and raster tiles of one or more categories, cached by data version."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cluster_below_zoom = settings.cluster_below_zoom
        self.cache = TileCache(settings.tile_cache_size, settings.tile_cache_dir)

    def close(self) -> None:
        """Nothing to close: the connections are the backend's (``tiles/sources.py``)."""

    def key(
        self,
        versions: dict[str, int],
        categories: Sequence[Category],
        tile: TileIndex,
        filters: TileFilters,
        ext: str,
    ) -> TileKey:
        """The cache key of a tile, with the data version of its layers."""
        ids = [c.id for c in categories]
        if len(ids) == 1:
            scope, version = ids[0], str(versions.get(ids[0], 0))
        else:
            scope = "all" if len(ids) == len(CATEGORIES) else "+".join(ids)
            raw = ",".join(f"{i}:{versions.get(i, 0)}" for i in ids)
            version = hashlib.blake2b(raw.encode(), digest_size=10).hexdigest()
        return TileKey(scope, version, tile.z, tile.x, tile.y, filters.variant, ext)

    # ---- rendering -----------------------------------------------------------------------
    def query_mvt(
        self,
        source: TileSource,
        categories: Sequence[Category],
        tile: TileIndex,
        filters: TileFilters,
    ) -> bytes:
        """Render a tile from the database.

        One query whatever the number of layers, plus one per layer too dense for plain
        features, which is then clustered.
        """
        params: dict[str, Any] = {"tile_z": tile.z, "tile_x": tile.x, "tile_y": tile.y}
        ids = tuple(c.id for c in categories)
        where = ""
        if len(categories) == 1:
            where, extra = compile_where(filters.clauses(categories[0]), source.dialect)
            params.update(extra)
        if tile.z < self.cluster_below_zoom:
            sql = (
                layer_sql(categories[0]).statement(True, where)
                if len(categories) == 1
                else _multi_layer_sql(ids, True)
            )
            data = source.scalar(sql, params)
            return bytes(data) if data else b""
        sql = (
            "SELECT ARRAY[(" + layer_sql(categories[0]).statement(False, where) + ")]"
            if len(categories) == 1
            else _multi_layer_sql(ids, False)
        )
        out = []
        layers: list[Any] = source.scalar(sql, params) or []
        for category, data in zip(categories, layers, strict=True):
            if data is None:  # too dense for plain features: cluster this layer
                data = source.scalar(layer_sql(category).statement(True, where), params)
            out.append(bytes(data) if data else b"")
        return b"".join(out)

    def mvt_bytes(
        self,
        source: TileSource,
        categories: Sequence[Category],
        tile: TileIndex,
        filters: TileFilters,
        key: TileKey | None = None,
    ) -> bytes:
        """The tile gzip-compressed as cached (``b""`` when empty), rendering it on a miss."""
        key = key or self.key(source.versions(), categories, tile, filters, "mvt")
        data = self.cache.get(key)
        if data is None:
            raw = self.query_mvt(source, categories, tile, filters)
            # level 1: 4x faster than 6 on a 150 KB tile for ~9% more bytes (cold path time)
            data = gzip.compress(raw, compresslevel=1, mtime=0) if raw else b""
            self.cache.put(key, data)
        return data

    def png_bytes(
        self,
        source: TileSource,
        categories: Sequence[Category],
        tile: TileIndex,
        filters: TileFilters,
        key: TileKey,
    ) -> bytes:
        """The PNG tile (``b""`` when empty), drawn from the cached or rendered vector tile."""
        png = self.cache.get(key)
        if png is None:
            mvt_key = TileKey(key.scope, key.version, tile.z, tile.x, tile.y, key.variant, "mvt")
            mvt = self.mvt_bytes(source, categories, tile, filters, mvt_key)
            png = render_png(gzip.decompress(mvt)) if mvt else b""
            self.cache.put(key, png)
        return png

    # ---- answers -------------------------------------------------------------------------
    def cached(
        self,
        versions: dict[str, int],
        categories: Sequence[Category],
        tile: TileIndex,
        filters: TileFilters,
        *,
        png: bool = False,
        accept_gzip: bool = True,
        if_none_match: str | None = None,
    ) -> TileAnswer | None:
        """The answer from the cache alone (304 or the cached tile), ``None`` on a miss."""
        key = self.key(versions, categories, tile, filters, "png" if png else "mvt")
        gz = accept_gzip and not png
        etag = key.etag("gzip" if gz else "")
        if etag_matches(if_none_match, etag):
            return TileAnswer(304, PNG_MEDIA_TYPE if png else MVT_MEDIA_TYPE, etag)
        data = self.cache.get(key)
        return None if data is None else _answer(data, etag, png, gz)

    def answer(
        self,
        source: TileSource,
        categories: Sequence[Category],
        tile: TileIndex,
        filters: TileFilters,
        *,
        png: bool = False,
        accept_gzip: bool = True,
        if_none_match: str | None = None,
        versions: dict[str, int] | None = None,
    ) -> TileAnswer:
        """The full answer: 304 if the client has it, 204 if empty, else the tile.

        The tile is MVT (gzip when accepted) or PNG, rendered on a cache miss. ``versions`` are
        read from ``source`` unless given (read before the render, they may only be older).
        """
        if versions is None:
            versions = source.versions()
        key = self.key(versions, categories, tile, filters, "png" if png else "mvt")
        gz = accept_gzip and not png
        etag = key.etag("gzip" if gz else "")
        if etag_matches(if_none_match, etag):
            return TileAnswer(304, PNG_MEDIA_TYPE if png else MVT_MEDIA_TYPE, etag)
        if png:
            data = self.png_bytes(source, categories, tile, filters, key)
        else:
            data = self.mvt_bytes(source, categories, tile, filters, key)
        return _answer(data, etag, png, gz)

    # ---- metadata helpers ----------------------------------------------------------------
    @staticmethod
    def extent(
        session: Session, categories: Sequence[Category]
    ) -> tuple[float, float, float, float] | None:
        """The exact lon/lat extent of the categories' features (``None`` when empty).

        Exact rather than the planner's estimate: TileJSON clients skip tiles outside
        ``bounds``, so an estimate that is too small would hide features.
        """
        boxes = []
        for category in categories:
            box = FeatureRepository(session, category).extent()
            if box is not None:
                boxes.append(box)
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
