-- The tile cache version of every collection (bumped by triggers on each write; migration 0003).
SELECT collection, version FROM tile_versions
