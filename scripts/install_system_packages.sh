#!/usr/bin/env bash
# Install the OS packages gis_onemap needs, only those that are missing (Debian/Ubuntu, apt-get).
# PostgreSQL + PostGIS (+ pgRouting) for the database, Chromium for the browser tests, Python venv support.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || {
    ver=$(ls /usr/lib/postgresql/ 2>/dev/null | sort -n | tail -1)
    need+=("postgresql-${ver:-15}-postgis-3")
}
# pgRouting for travel-time analyses over the road network (issue 14)
ls /usr/share/postgresql/*/extension/pgrouting.control >/dev/null 2>&1 || {
    ver=$(ls /usr/lib/postgresql/ 2>/dev/null | sort -n | tail -1)
    need+=("postgresql-${ver:-15}-pgrouting")
}
# the street base map (onemap basemap build): tilemaker renders OSM extracts, osmium prepares them
command -v tilemaker >/dev/null 2>&1 || need+=(tilemaker)
command -v osmium >/dev/null 2>&1 || need+=(osmium-tool)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# a CJK font, so that headless Chromium draws the Chinese map page (screenshots, PNG export)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
# printed maps (issue 16): a TrueType CJK font matplotlib can embed in PDF (Noto CJK is CFF, which
# it cannot embed as Type 42 — see gis_onemap/printing/fonts.py), and pdftotext/pdffonts for tests
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ ${#need[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi
echo "system packages: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# postgis's package name needs the server's version, known only once postgresql is installed
if printf '%s\n' "${need[@]}" | grep -q '^postgresql$'; then
    $SUDO apt-get install -y -qq postgresql >/dev/null
    ver=$(ls /usr/lib/postgresql/ | sort -n | tail -1)
    need=("${need[@]/postgresql-15-postgis-3/}")
    need=("${need[@]/postgresql-15-pgrouting/}")
    need+=("postgresql-${ver}-postgis-3" "postgresql-${ver}-pgrouting")
fi
pkgs=()
for p in "${need[@]}"; do [ -n "$p" ] && [ "$p" != postgresql ] && pkgs+=("$p"); done
$SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
echo "system packages: done"
