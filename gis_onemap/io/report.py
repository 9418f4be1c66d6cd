"""The import report: rows read, imported, updated, rejected (row and reason), duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: At most this many rejected rows and duplicates are listed (all are counted).
MAX_LISTED = 1000


@dataclass
class ImportReport:
    """What an import did, or would do (``dry_run``), to one collection.

    Row numbers are 1-based record numbers (the first data row or feature is row 1); for
    CSV/XLSX ``line`` is the spreadsheet row as Excel shows it (the header is line 1).
    """

    collection: str
    file: str
    format: str
    crs: str = ""
    layer: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    skipped_duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_count: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    duplicate_count: int = 0
    on_duplicate: str = "skip"
    skip_invalid: bool = False
    dry_run: bool = False
    written: bool = False
    warnings: list[str] = field(default_factory=list)

    def add_rejected(self, row: int, reasons: list[str], tabular: bool) -> None:
        """Record a rejected 0-based ``row``."""
        self.rejected_count += 1
        if len(self.rejected) < MAX_LISTED:
            entry: dict[str, Any] = {"row": row + 1, "reasons": reasons}
            if tabular:
                entry["line"] = row + 2
            self.rejected.append(entry)

    def add_duplicate(self, row: int, existing_id: int, name: str, distance_m: float) -> None:
        """Count a row skipped as a duplicate of ``existing_id``; the first ones are listed."""
        self.duplicate_count += 1
        if len(self.duplicates) < MAX_LISTED:
            self.duplicates.append(
                {
                    "row": row + 1,
                    "existing_id": existing_id,
                    "existing_name": name,
                    "distance_m": round(distance_m, 2),
                    "action": self.on_duplicate,
                }
            )

    def as_dict(self) -> dict[str, Any]:
        """The report as a plain dict (JSON output)."""
        return dict(self.__dict__)

    def summary(self) -> str:
        """One line for people, e.g. ``read 10, imported 9, rejected 1, duplicates 0``."""
        verb = "would import" if self.dry_run else "imported"
        parts = [f"read {self.rows_read}", f"{verb} {self.imported}"]
        if self.updated:
            parts.append(f"updated {self.updated}")
        parts += [f"rejected {self.rejected_count}", f"duplicates {self.duplicate_count}"]
        if self.dry_run:
            parts.append("dry run: nothing written")
        elif not self.written:
            parts.append("nothing written")
        return ", ".join(parts)
