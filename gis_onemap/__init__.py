"""gis_onemap: the emergency-management one map (应急一张图) on PostGIS."""
