"""Duplicate detection at import: an R-tree of existing features, geodesic distance, names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyproj import Geod
from rtree import index

#: Names at least this similar (difflib ratio of the normalised names) count as the same.
NAME_SIMILARITY = 0.85
_GEOD = Geod(ellps="WGS84")
_METRES_PER_DEGREE = 111_320.0
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """A name folded for comparison: NFKC (full-width → ASCII), lower case, no punctuation.

    >>> normalise_name("湛江（霞山）消防站 ")
    '湛江霞山消防站'
    """
    return _NOISE.sub("", unicodedata.normalize("NFKC", name).lower())


def similar_names(a: str, b: str, threshold: float = NAME_SIMILARITY) -> bool:
    """The same or a very similar name (after :func:`normalise_name`).

    >>> similar_names("霞山消防救援站", "霞山消防救援站 ")
    True
    >>> similar_names("霞山消防救援站", "赤坎医院")
    False
    >>> similar_names("湛江市第一中学", "湛江市第一中学校")
    True
    """
    x, y = normalise_name(a), normalise_name(b)
    if x == y:
        return True
    if not x or not y:
        return False
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() >= threshold


@dataclass(frozen=True)
class Duplicate:
    """An incoming row that duplicates an existing feature."""

    row: int  # 0-based row of the file
    existing_id: int
    existing_name: str
    distance_m: float


def find_duplicates(
    new_xy: np.ndarray,
    new_names: Sequence[str],
    existing_ids: Sequence[int],
    existing_xy: np.ndarray,
    existing_names: Sequence[str],
    distance_m: float,
) -> list[Duplicate]:
    """Rows within ``distance_m`` (geodesic, WGS84) of an existing feature with a similar name.

    Candidates come from an R-tree (bulk-loaded, queried in one vectorised call) over boxes
    padded by ``distance_m``; the geodesic distance (pyproj.Geod) and the names decide.
    The nearest matching feature is reported for each row.

    >>> xy = np.array([[110.0, 21.0]])
    >>> d = find_duplicates(np.array([[110.00005, 21.0]]), ["A站"], [7], xy, ["A站"], 10.0)
    >>> d[0].existing_id, round(d[0].distance_m, 1)
    (7, 5.2)
    """
    if len(existing_ids) == 0 or len(new_xy) == 0:
        return []
    idx = index.Index(
        ((i, (x, y, x, y), None) for i, (x, y) in enumerate(existing_xy.tolist())),
        interleaved=True,
    )
    lat = np.clip(np.abs(new_xy[:, 1]), 0, 89.0)
    dlat = distance_m / _METRES_PER_DEGREE * 1.01
    dlon = dlat / np.cos(np.radians(lat))
    mins = np.column_stack([new_xy[:, 0] - dlon, new_xy[:, 1] - dlat])
    maxs = np.column_stack([new_xy[:, 0] + dlon, new_xy[:, 1] + dlat])
    hits, counts = idx.intersection_v(mins, maxs)
    if len(hits) == 0:
        return []
    rows = np.repeat(np.arange(len(new_xy)), np.asarray(counts, dtype=np.int64))
    hits = np.asarray(hits, dtype=np.int64)
    _, _, dist = _GEOD.inv(
        new_xy[rows, 0], new_xy[rows, 1], existing_xy[hits, 0], existing_xy[hits, 1]
    )
    best: dict[int, Duplicate] = {}
    for r, h, d in zip(rows.tolist(), hits.tolist(), np.asarray(dist).tolist(), strict=True):
        if d > distance_m or (r in best and best[r].distance_m <= d):
            continue
        if similar_names(new_names[r], existing_names[h]):
            best[r] = Duplicate(r, int(existing_ids[h]), existing_names[h], float(d))
    return sorted(best.values(), key=lambda dup: dup.row)
