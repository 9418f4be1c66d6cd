#!/usr/bin/env bash
# Install the map page's front-end libraries from the npm registry into gis_onemap/web/vendor
# (served by the app itself: nothing is loaded from a CDN at run time).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f gis_onemap/web/package.json ]; then
    (cd gis_onemap/web && npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent)
    if [ -x gis_onemap/web/build.sh ]; then bash gis_onemap/web/build.sh; fi
fi
