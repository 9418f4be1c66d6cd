"""GDAL's MVT driver reads our tiles; TileJSON 3.0.0 and OGC API – Tiles documents are valid."""

from __future__ import annotations

import jsonschema
import pyogrio
import pytest

from tests.tiles.conftest import CENTER, TO_MERCATOR, WMQ, Z, decode, tile_url

#: TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0), written from the
#: spec's text: required tilejson + tiles, vector_layers required for vector tiles, the types
#: and ranges of the optional members.
TILEJSON_3_SCHEMA = {
    "type": "object",
    "required": ["tilejson", "tiles", "vector_layers"],
    "properties": {
        "tilejson": {"type": "string", "pattern": r"^3\.0\.\d+$"},
        "tiles": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "vector_layers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "fields"],
                "properties": {
                    "id": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "description": {"type": "string"},
                    "minzoom": {"type": "integer", "minimum": 0, "maximum": 30},
                    "maxzoom": {"type": "integer", "minimum": 0, "maximum": 30},
                },
            },
        },
        "attribution": {"type": "string"},
        "bounds": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "center": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
        "data": {"type": "array", "items": {"type": "string"}},
        "description": {"type": "string"},
        "fillzoom": {"type": "integer", "minimum": 0, "maximum": 30},
        "grids": {"type": "array", "items": {"type": "string"}},
        "legend": {"type": "string"},
        "maxzoom": {"type": "integer", "minimum": 0, "maximum": 30},
        "minzoom": {"type": "integer", "minimum": 0, "maximum": 30},
        "name": {"type": "string"},
        "scheme": {"enum": ["xyz", "tms"]},
        "template": {"type": "string"},
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
    },
}


def test_gdal_mvt_driver_reads_the_tile(client, teams, tmp_path):
    assert "MVT" in pyogrio.list_drivers()
    tile = CENTER
    r = client.get(tile_url("rescue_teams", Z, tile.x, tile.y))
    assert r.status_code == 200
    # GDAL georeferences a tile file from its z/x/y.pbf path
    path = tmp_path / str(Z) / str(tile.x) / f"{tile.y}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(r.content)
    assert [name for name, _ in pyogrio.list_layers(path)] == ["rescue_teams"]
    df = pyogrio.read_dataframe(path, layer="rescue_teams")
    assert df.crs.to_epsg() == 3857
    inside = {p.id: p for p in teams if WMQ.tile(p.lon, p.lat, Z) == tile}
    assert len(df) == len(inside)
    b = WMQ.xy_bounds(tile)
    precision = (b.right - b.left) / 4096  # one tile unit, in metres
    for row in df.itertuples():
        placed = inside[int(row.mvt_id)]
        mx, my = TO_MERCATOR.transform(placed.lon, placed.lat)
        assert abs(row.geometry.x - mx) <= precision and abs(row.geometry.y - my) <= precision
        assert row.name == f"rescue_teams {teams.index(placed)}"


@pytest.mark.parametrize(
    "path, layers",
    [
        ("/collections/rescue_teams/tiles/WebMercatorQuad/tilejson.json", ["rescue_teams"]),
        ("/tiles/WebMercatorQuad/tilejson.json", None),
    ],
)
def test_tilejson_is_valid_and_its_template_serves_tiles(client, teams, path, layers):
    r = client.get(path)
    assert r.status_code == 200
    doc = r.json()
    jsonschema.validate(doc, TILEJSON_3_SCHEMA)
    ids = [layer["id"] for layer in doc["vector_layers"]]
    if layers:
        assert ids == layers
    else:
        assert len(ids) == 8 and "rescue_teams" in ids
    w, s, e, n = doc["bounds"]
    assert all(w <= p.lon <= e and s <= p.lat <= n for p in teams)
    url = doc["tiles"][0].replace("{z}", str(Z)).replace("{x}", str(CENTER.x))
    tile = client.get(url.replace("{y}", str(CENTER.y)))
    assert tile.status_code == 200
    fields = next(v for v in doc["vector_layers"] if v["id"] == "rescue_teams")["fields"]
    for feature in decode(tile.content)["rescue_teams"]["features"]:
        assert set(feature["properties"]) <= set(fields)


def test_tilejson_carries_the_filter_and_rejects_a_bad_one(client):
    base = "/collections/rescue_teams/tiles/WebMercatorQuad/tilejson.json"
    doc = client.get(base, params={"tier": "professional"}).json()
    assert doc["tiles"][0].endswith("{z}/{x}/{y}?tier=professional")
    assert client.get(base, params={"tier": "nonsense"}).status_code == 400
    assert client.get(base, params={"filter": "headcount >>> 3"}).status_code == 400


def test_ogc_tiles_documents(client):
    conformance = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conformance
    sets = client.get("/collections/shelters/tiles").json()["tilesets"]
    assert sets[0]["dataType"] == "vector"
    assert sets[0]["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    meta = client.get(sets[0]["links"][0]["href"]).json()
    assert [layer["id"] for layer in meta["layers"]] == ["shelters"]
    item = next(link for link in meta["links"] if link["rel"] == "item")
    assert item["templated"] and "{tileMatrix}" in item["href"]
    tms = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) >= 23
    listed = client.get("/tileMatrixSets").json()["tileMatrixSets"]
    assert [t["id"] for t in listed] == ["WebMercatorQuad"]
    assert len(client.get("/tiles/WebMercatorQuad").json()["layers"]) == 8


def test_openapi_documents_the_empty_tile(client):
    spec = client.get("/api").json()
    for path in (
        "/collections/{collection_id}/tiles/{tms_id}/{z}/{x}/{y}",
        "/tiles/{tms_id}/{z}/{x}/{y}",
        "/collections/{collection_id}/map/tiles/{tms_id}/{z}/{x}/{y}.png",
    ):
        responses = spec["paths"][path]["get"]["responses"]
        assert "204" in responses and "Empty tile" in responses["204"]["description"]
