"""Roads: a routable network in PostGIS/pgRouting, travel-time analyses, closures (issue 14)."""
