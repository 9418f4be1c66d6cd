"""CSV imports in chunks: flat memory, still all or nothing, duplicates still found, a row cap."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from gis_onemap.errors import ImportTooLarge, ValidationFailed
from gis_onemap.io.limits import ImportLimits
from tests.io.helpers import count, load, write_csv

HEADER = ["name", "tier", "headcount", "lon", "lat"]
SMALL = ImportLimits(import_chunk_rows=100)


def _rows(n: int) -> list[list[str]]:
    """``n`` valid teams about 200 m apart (no two are duplicates)."""
    return [[f"队{i}", "main", "45", f"{110 + i * 0.002:.4f}", "21.2"] for i in range(n)]


def test_an_invalid_row_in_a_late_chunk_writes_nothing(db_session, tmp_path):
    rows = _rows(350)
    rows[319][2] = "很多"  # row 320, in the fourth chunk; the first three were already COPYed
    path = write_csv(tmp_path / "teams.csv", HEADER, rows)
    before = count(db_session, "rescue_teams")
    with pytest.raises(ValidationFailed) as err:
        load(db_session, "rescue_teams", path, limits=SMALL)
    report = err.value.details
    assert report["rows_read"] == 350 and report["written"] is False
    assert [(r["row"], r["line"]) for r in report["rejected"]] == [(320, 321)]
    assert count(db_session, "rescue_teams") == before


def test_skip_invalid_across_chunks(db_session, tmp_path):
    rows = _rows(250)
    rows[9][3] = rows[209][3] = "abc"
    path = write_csv(tmp_path / "teams.csv", HEADER, rows)
    before = count(db_session, "rescue_teams")
    report = load(db_session, "rescue_teams", path, limits=SMALL, skip_invalid=True)
    assert [r["row"] for r in report.rejected] == [10, 210]
    assert (report.rows_read, report.imported) == (250, 248)
    assert count(db_session, "rescue_teams") == before + 248


def test_duplicates_are_the_same_whatever_the_chunk_size(db_session, tmp_path):
    """A row of a late chunk that duplicates an existing feature is found; rows of the file
    are not compared with the rows this import wrote from earlier chunks."""
    existing = write_csv(tmp_path / "old.csv", HEADER, [["老站", "main", "9", "110.5", "21.3"]])
    load(db_session, "rescue_teams", existing)
    rows = _rows(250)
    rows[229] = ["老站", "main", "45", "110.50002", "21.3"]  # ≈ 2 m from the old one
    rows[150] = list(rows[50])  # the same team twice in the file, in different chunks
    path = write_csv(tmp_path / "teams.csv", HEADER, rows)
    whole = load(db_session, "rescue_teams", path, dry_run=True)
    chunked = load(db_session, "rescue_teams", path, dry_run=True, limits=SMALL)
    assert chunked.as_dict() == whole.as_dict()
    assert [d["row"] for d in chunked.duplicates] == [230]
    before = count(db_session, "rescue_teams")
    written = load(db_session, "rescue_teams", path, limits=SMALL)
    assert (written.imported, written.skipped_duplicates) == (249, 1)
    assert count(db_session, "rescue_teams") == before + 249


def test_max_import_rows(db_session, tmp_path):
    path = write_csv(tmp_path / "teams.csv", HEADER, _rows(120))
    before = count(db_session, "rescue_teams")
    limits = ImportLimits(import_chunk_rows=100, max_import_rows=110)
    with pytest.raises(ImportTooLarge, match="max_import_rows") as err:
        load(db_session, "rescue_teams", path, limits=limits)
    assert err.value.status_code == 413
    assert count(db_session, "rescue_teams") == before
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [110 + i / 1000, 21.2]},
         "properties": {"name": f"队{i}", "tier": "main", "headcount": 1}}
        for i in range(12)
    ]  # fmt: skip
    geojson = tmp_path / "teams.geojson"
    geojson.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(ImportTooLarge):
        load(db_session, "rescue_teams", geojson, limits=ImportLimits(max_import_rows=10))
    assert load(db_session, "rescue_teams", geojson, dry_run=True).rows_read == 12


# The import runs in a child process that reports its own peak RSS (ru_maxrss, KiB on Linux);
# its transaction is rolled back, so the test database keeps nothing.
_CHILD = """
import json, resource, sys
from pathlib import Path
from sqlalchemy import create_engine, pool
from sqlalchemy.orm import Session
from gis_onemap.categories import get_category
from gis_onemap.io.importer import ImportOptions, import_file

engine = create_engine(sys.argv[1], poolclass=pool.NullPool)
with engine.connect() as conn, conn.begin() as tx:
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    report = import_file(session, get_category("rescue_teams"), Path(sys.argv[2]), ImportOptions())
    session.close()
    tx.rollback()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": peak, "imported": report.imported}))
"""


def _child_import(url: str, path: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_50_mb_csv_imports_in_flat_memory(test_database_url, tmp_path):
    """Peak RSS growth over a tiny import stays under 4× the file size (it was ~20×)."""
    big = tmp_path / "big.csv"
    header = "name,tier,headcount,address,lon,lat,备注\n"
    note = "值班室位于主楼一层，装备定期检修，" * 16  # wide rows: 50 MB in ~65,000 rows
    with big.open("w", encoding="utf-8") as fh:
        fh.write(header)
        i = 0
        while fh.tell() < 50 * 1024**2:
            lines = []
            for _ in range(10_000):
                lon, lat = 100 + (i % 1000) * 0.01, 20 + (i // 1000) * 0.001
                lines.append(
                    f"救援队{i},main,{i % 90},湛江市霞山区人民大道{i}号,"
                    f"{lon:.5f},{lat:.5f},{note}{i}\n"
                )
                i += 1
            fh.write("".join(lines))
    size = big.stat().st_size
    tiny = write_csv(tmp_path / "tiny.csv", HEADER, _rows(3))
    base = _child_import(test_database_url, tiny)
    result = _child_import(test_database_url, big)
    assert result["imported"] == i
    growth = result["peak"] - base["peak"]
    print(f"peak RSS growth {growth / 1024**2:.0f} MiB for a {size / 1024**2:.0f} MiB CSV")
    assert growth < 4 * size, (growth / 1024**2, size / 1024**2)
