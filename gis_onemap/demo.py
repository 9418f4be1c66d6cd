"""Load the Zhanjiang demo city (``data/demo``, made by ``data/make_demo.py``) into empty tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis_onemap.categories import CATEGORY_IDS, Category, get_category
from gis_onemap.db.engine import make_engine, make_session_factory, session_scope
from gis_onemap.db.repository import FeatureRepository
from gis_onemap.errors import ValidationFailed
from gis_onemap.roads.load import LayerMapping, load_network, read_layer
from gis_onemap.settings import DEMO_DATA_DIR, Settings

#: Folder of the demo GeoJSON files, one ``<collection id>.geojson`` per category.
DEMO_DIR = DEMO_DATA_DIR

#: Depots first: supplies refer to them by name (``depot_name`` → ``depot_id``).
LOAD_ORDER: tuple[str, ...] = (
    "depots",
    "supplies",
    *(c for c in CATEGORY_IDS if c not in ("depots", "supplies")),
)


def read_features(collection_id: str, data_dir: Path = DEMO_DIR) -> list[dict[str, Any]]:
    """The features of one demo file.

    Parameters
    ----------
    collection_id
        Category id, e.g. ``"shelters"``.
    data_dir
        Folder holding ``<collection_id>.geojson``.

    Returns
    -------
    list of dict
        GeoJSON Feature objects (WGS84).
    """
    path = data_dir / f"{collection_id}.geojson"
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def _resolve_references(
    category: Category, features: list[dict[str, Any]], names: dict[str, dict[str, int]]
) -> list[dict[str, Any]]:
    """Features whose references are written by name, with the referenced features' new ids.

    A field declared ``references=<collection>`` (supplies' ``depot_id``, plans'
    ``hazard_source_id``) is written in the demo files as ``<name>_name`` (``depot_name``,
    ``hazard_source_name``): the files cannot know the ids a fresh database gives.
    """
    refs = [(f.name, f.references) for f in category.all_fields if f.references]
    if not refs:
        return features
    out = []
    for i, feature in enumerate(features):
        props = dict(feature["properties"])
        for field, collection in refs:
            name = props.pop(field.removesuffix("_id") + "_name", None)
            if name is None:
                continue
            known = names.get(collection, {})
            if name not in known:
                raise ValidationFailed(
                    f"{category.id} feature {i}: no {collection} feature named '{name}'"
                )
            props[field] = known[name]
        out.append({**feature, "properties": props})
    return out


#: The demo city's road network: SYNTHETIC (see ``data/demo/README.md``), one layer whose
#: fields are the Chinese class names, names, one-way and bridge flags and ferry minutes.
ROADS_FILE = "roads.geojson"
ROADS_MAPPING = LayerMapping(
    class_field="road_class",
    name_field="name",
    oneway_field="oneway",
    bridge_field="bridge",
    ferry_minutes_field="ferry_minutes",
)


def road_edges_count(session: Session) -> int:
    """Edges in the loaded road network (0 when none is loaded)."""
    return int(session.execute(text("SELECT count(*) FROM road_edges")).scalar_one())


def load_demo_roads(session: Session, data_dir: Path = DEMO_DIR) -> dict[str, Any]:
    """Load the demo's synthetic road network (``roads.geojson``) with the bureau-layer reader.

    The caller commits; returns :func:`gis_onemap.roads.load.load_network`'s report.
    """
    path = data_dir / ROADS_FILE
    frame = read_layer(path, ROADS_MAPPING)
    return load_network(session, frame, f"demo: {ROADS_FILE} (synthetic)")


def total_features(session: Session) -> int:
    """Features in all 8 category tables together."""
    return sum(FeatureRepository(session, get_category(c)).count() for c in CATEGORY_IDS)


def load_demo(session: Session, data_dir: Path = DEMO_DIR) -> dict[str, int]:
    """Insert every demo file through the repository (validated, derived values computed).

    Parameters
    ----------
    session
        An open session; the caller commits (one transaction: all or nothing).
    data_dir
        Folder with the demo files.

    Returns
    -------
    dict
        Features inserted per collection id, in load order.
    """
    counts: dict[str, int] = {}
    names: dict[str, dict[str, int]] = {}  # collection → feature name → new id
    for cid in LOAD_ORDER:
        category = get_category(cid)
        features = _resolve_references(category, read_features(cid, data_dir), names)
        ids = FeatureRepository(session, category).insert_many(features)
        names[cid] = {f["properties"]["name"]: i for f, i in zip(features, ids, strict=True)}
        counts[cid] = len(ids)
    return counts


def load_demo_if_empty(settings: Settings, data_dir: Path | None = None) -> str:
    """Load the demo city when all 8 tables are empty; say what was done.

    Parameters
    ----------
    settings
        Where the database is.
    data_dir
        Folder with the demo files (default ``data/demo`` in the project).

    Returns
    -------
    str
        ``"loaded 3,086 features"`` or ``"already loaded (N features)"``, plus the road
        network's size when the (empty) road tables were filled from ``roads.geojson``.
    """
    engine = make_engine(settings)
    folder = data_dir or DEMO_DIR
    try:
        with session_scope(make_session_factory(engine)) as session:
            existing = total_features(session)
            if existing:
                said = f"already loaded ({existing:,} features)"
            else:
                counts = load_demo(session, folder)
                said = f"loaded {sum(counts.values()):,} features"
        # the roads separately: a database loaded before the demo had roads gets them too
        with session_scope(make_session_factory(engine)) as session:
            if road_edges_count(session) == 0 and (folder / ROADS_FILE).is_file():
                report = load_demo_roads(session, folder)
                said += f"; synthetic road network: {report['edges']:,} edges, {report['km']:,} km"
        with session_scope(make_session_factory(engine)) as session:  # issue 15
            from gis_onemap.planning.demo import load_demo_population

            said += load_demo_population(session, folder)
        return said
    finally:
        engine.dispose()
