"""Helpers for the import/export tests: write small input files, count rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis_onemap.categories import get_category
from gis_onemap.db.tables import table_for
from gis_onemap.io.importer import ImportOptions, import_file
from gis_onemap.io.report import ImportReport


def count(session: Session, collection: str) -> int:
    return session.execute(select(func.count()).select_from(table_for(collection))).scalar_one()


def write_csv(
    path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load(session: Session, collection: str, path: Path, **options: Any) -> ImportReport:
    return import_file(session, get_category(collection), path, ImportOptions(**options))
