#!/usr/bin/env bash
# Copy the front-end files the app serves (the /map page) and inlines (folium products) from
# node_modules into static/vendor/ (git-ignored; re-created by scripts/install_web_assets.sh).
# Only dist files are copied, keeping each package's relative layout so CSS url()s resolve.
set -euo pipefail
cd "$(dirname "$0")"
NM=node_modules
V=static/vendor
rm -rf "$V"
copy() {  # copy <package> <file relative to the package> ... into $V/<package>/<same path>
    local pkg=$1; shift
    for f in "$@"; do
        mkdir -p "$V/$pkg/$(dirname "$f")"
        cp "$NM/$pkg/$f" "$V/$pkg/$f"
    done
}
copy maplibre-gl dist/maplibre-gl.js dist/maplibre-gl.css LICENSE.txt
copy leaflet dist/leaflet.js dist/leaflet.css dist/images/layers.png dist/images/layers-2x.png \
    dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png LICENSE
copy jquery dist/jquery.min.js LICENSE.txt
copy bootstrap dist/js/bootstrap.bundle.min.js dist/css/bootstrap.min.css LICENSE
copy leaflet.awesome-markers dist/leaflet.awesome-markers.js dist/leaflet.awesome-markers.css \
    dist/images/markers-soft.png dist/images/markers-soft@2x.png \
    dist/images/markers-shadow.png dist/images/markers-shadow@2x.png LICENSE
copy @fortawesome/fontawesome-free css/all.min.css LICENSE.txt \
    webfonts/fa-brands-400.woff2 webfonts/fa-regular-400.woff2 webfonts/fa-solid-900.woff2 \
    webfonts/fa-v4compatibility.woff2 \
    webfonts/fa-brands-400.ttf webfonts/fa-regular-400.ttf webfonts/fa-solid-900.ttf \
    webfonts/fa-v4compatibility.ttf
copy glyphicons-only-bootstrap css/bootstrap.min.css fonts/glyphicons-halflings-regular.woff2 \
    fonts/glyphicons-halflings-regular.woff fonts/glyphicons-halflings-regular.ttf \
    fonts/glyphicons-halflings-regular.eot fonts/glyphicons-halflings-regular.svg
copy leaflet.markercluster dist/leaflet.markercluster.js dist/MarkerCluster.css \
    dist/MarkerCluster.Default.css MIT-LICENCE.txt
copy leaflet.fullscreen Control.FullScreen.js Control.FullScreen.css icon-fullscreen.svg LICENSE
copy gcoord dist/gcoord.global.prod.js LICENSE
# a version stamp: the app puts it in asset URLs so browsers may cache them for a year
node -e 'const fs=require("fs");const d=JSON.parse(fs.readFileSync("package.json")).dependencies;
fs.writeFileSync("static/vendor/versions.json", JSON.stringify(d, null, 1) + "\n")'
echo "web assets: $(find "$V" -type f | wc -l) files in gis_onemap/web/$V"
