"""Import uploads (``POST /collections/{id}/import``) and file downloads of ``/items?f=...``."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from gis_onemap.api.deps import CallerDep, CategoryDep, WriteSessionDep
from gis_onemap.api.responses import FastJSONResponse
from gis_onemap.auth.deps import EDITOR
from gis_onemap.crs.edge import content_crs, output_crs
from gis_onemap.errors import InvalidInput
from gis_onemap.io.formats import get_format
from gis_onemap.usecases import transfer
from gis_onemap.usecases.context import Caller

router = APIRouter(tags=["Import and export"])

#: Largest accepted upload.
MAX_UPLOAD_BYTES = 1024**3
#: ``f`` values of ``/items`` served as file downloads (GeoJSON pages stay the default).
DOWNLOAD_FORMATS = ("csv", "gpkg", "shp", "kml", "fgb")
_SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)


def _save_upload(upload: UploadFile, folder: Path) -> tuple[Path, str]:
    name = Path(upload.filename or "upload").name
    safe = _SAFE_NAME.sub("_", name)[-120:] or "upload"
    target = folder / safe
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise InvalidInput(f"the upload is larger than {MAX_UPLOAD_BYTES // 1024**2} MB")
            out.write(chunk)
    return target, name


@router.post(
    "/collections/{collection_id}/import",
    summary="Import a file (CSV, XLSX, GeoJSON, zipped Shapefile, GeoPackage, KML, FlatGeobuf)",
    description=(
        "Every row is validated before anything is written; a file with an invalid row writes "
        "nothing (422, the report in `details`) unless `skip_invalid`. Duplicates (within "
        "`distance_m` of a feature with a similar name) are skipped, updated or refused (409). "
        "`dry_run` reports without writing."
    ),
    dependencies=[EDITOR],
)
def import_features(
    session: WriteSessionDep,  # committed before the report is sent
    caller: CallerDep,
    category: CategoryDep,
    file: Annotated[UploadFile, File(description="The file to import")],
    crs: Annotated[str | None, Form(description="Source CRS: EPSG:4490, gcj02, bd09...")] = None,
    layer: Annotated[str | None, Form(description="Layer, sheet or Shapefile in a zip")] = None,
    encoding: Annotated[str | None, Form(description="Text encoding, e.g. gbk")] = None,
    format: Annotated[str | None, Form(description="Format if not from the extension")] = None,
    on_duplicate: Annotated[Literal["skip", "update", "error"], Form()] = "skip",
    skip_invalid: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
    distance_m: Annotated[float | None, Form(ge=0, le=10_000)] = None,
) -> FastJSONResponse:
    req = transfer.ImportRequest(
        crs=crs, layer=layer, encoding=encoding, format=format, on_duplicate=on_duplicate,
        skip_invalid=skip_invalid, dry_run=dry_run, duplicate_distance_m=distance_m,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="onemap-upload-") as tmp:
        path, name = _save_upload(file, Path(tmp))
        report = transfer.import_features(session, caller, category, path, req, filename=name)
    return FastJSONResponse(report.as_dict())


def download_response(
    request: Request,
    session: Any,
    category: Any,
    caller: Caller,
    fmt_name: str,
    query: Any,
    crs: str | None,
) -> FileResponse:
    """All features matching ``query`` (bbox, filters; ``limit`` only when given) as a file."""
    fmt = get_format(fmt_name, export=True)
    out_crs = output_crs(crs)
    headers = {"Content-Crs": content_crs(out_crs)}  # refused (400) before any work
    tmp = Path(tempfile.mkdtemp(prefix="onemap-export-"))
    try:
        out = tmp / f"{category.id}.{fmt.name}"
        result = transfer.export_features(
            session, caller, category, fmt.name, out, crs=out_crs, bbox=query.bbox,
            where=list(query.where),
            limit=query.limit if "limit" in request.query_params else None,
        )  # fmt: skip
        path, filename = out, f"{category.id}.{fmt.name}"
        if fmt.name == "shp":
            path, filename = tmp / f"{category.id}.zip", f"{category.id}.shp.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for shp in result.files:
                    for part in sorted(shp.parent.glob(shp.stem + ".*")):
                        zf.write(part, part.name)
        headers["OGC-NumberMatched"] = str(result.count)
        return CleanupFileResponse(
            path, media_type=fmt.media_type, filename=filename, headers=headers,
            background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True),
            cleanup=tmp,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class CleanupFileResponse(FileResponse):
    """A file download whose temporary folder is removed however the response ends.

    Starlette runs the ``background`` task only after the body was sent in full; a client
    that disconnects (or a failing send) skips it, so ``__call__`` also removes the folder in
    ``finally``.
    """

    def __init__(self, *args: Any, cleanup: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cleanup = cleanup

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Send the file, then remove its temporary folder whatever happened."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            shutil.rmtree(self.cleanup, ignore_errors=True)
