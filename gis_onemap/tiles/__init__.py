"""Map tiles of the one map: MVT and PNG tiles from PostGIS, cached and invalidated on edits."""
