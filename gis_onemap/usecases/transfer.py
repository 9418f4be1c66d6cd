"""Import a file into a collection, export a collection to a file: one path for HTTP and CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from gis_onemap.categories import Category
from gis_onemap.crs import CRSSpec
from gis_onemap.io.export import ExportResult, ExportSpec, export_collection
from gis_onemap.io.importer import ImportOptions, OnDuplicate, import_file
from gis_onemap.io.limits import ImportLimits
from gis_onemap.io.report import ImportReport
from gis_onemap.usecases.context import Caller


@dataclass(frozen=True)
class ImportRequest:
    """What the caller asked for (form fields or command options), not yet checked."""

    crs: str | None = None
    layer: str | None = None
    encoding: str | None = None
    format: str | None = None
    on_duplicate: OnDuplicate = "skip"
    skip_invalid: bool = False
    dry_run: bool = False
    #: metres; ``None``: the settings' ``duplicate_distance_m``
    duplicate_distance_m: float | None = None


def import_features(
    session: Session,
    caller: Caller,
    category: Category,
    path: Path,
    req: ImportRequest,
    *,
    filename: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import ``path`` into ``category``, all or nothing, limits and defaults from the settings.

    The caller commits (HTTP: the write session before the response; CLI: ``cli_session``).
    """
    settings = caller.settings
    distance = req.duplicate_distance_m
    options = ImportOptions(
        crs=req.crs, layer=req.layer, encoding=req.encoding, format=req.format,
        on_duplicate=req.on_duplicate, skip_invalid=req.skip_invalid, dry_run=req.dry_run,
        duplicate_distance_m=settings.duplicate_distance_m if distance is None else distance,
        limits=ImportLimits.from_settings(settings), progress=progress,
    )  # fmt: skip
    return import_file(session, category, path, options, filename=filename)


def export_features(
    session: Session,
    caller: Caller,
    category: Category,
    fmt_name: str,
    out: Path,
    *,
    crs: CRSSpec,
    bbox: tuple[float, float, float, float] | None = None,
    where: list[ColumnElement[bool]] | None = None,
    limit: int | None = None,
    encoding: str | None = None,
    progress: Callable[[int], Any] | None = None,
) -> ExportResult:
    """Stream the matching features (``bbox`` in WGS84) of ``category`` to ``out``.

    Personal fields only when the caller may see them.
    """
    spec = ExportSpec(
        crs=crs, bbox=bbox, where=list(where or []), include_personal=caller.personal,
        encoding=encoding, limit=limit,
    )  # fmt: skip
    if progress is None:
        return export_collection(session, category, fmt_name, out, spec)
    return export_collection(session, category, fmt_name, out, spec, progress=progress)
