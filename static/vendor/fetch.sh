#!/usr/bin/env bash
# Re-create static/vendor/ from the npm registry (`npm pack`): Leaflet and topojson, the only
# front-end libraries geohub's pages load. Keeps only the files the maps serve, plus the images their
# CSS references, plus each package's licence.
#
#   bash static/vendor/fetch.sh                  # the versions below
#   LEAFLET=1.9.4 bash static/vendor/fetch.sh    # an upgrade: override any version, then update
#                                                # the table in README.md and, if a file name
#                                                # changed, ASSETS in geohub/maps/assets.py
#
# Then run `python -m pytest -q tests/test_assets.py`.
set -euo pipefail

LEAFLET=${LEAFLET:-1.9.3}
TOPOJSON=${TOPOJSON:-1.6.9}

vendor=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# unpack SPEC -> prints the folder holding the package's files
unpack() {
    local spec=$1 dir tgz
    dir="$work/$(echo "$spec" | tr '/@' '__')"
    mkdir -p "$dir"
    tgz=$(cd "$dir" && npm pack "$spec" --silent 2>/dev/null | tail -n 1)
    tar -xzf "$dir/$tgz" -C "$dir"
    echo "$dir/package"
}

# keep SRC_DIR DEST FILE... : copy each FILE (a path inside SRC_DIR, or SRC:DEST_NAME) under
# static/vendor/DEST, keeping FILE's sub-folders.
keep() {
    local src=$1 dest=$vendor/$2 f from to
    shift 2
    mkdir -p "$dest"
    for f in "$@"; do
        from=${f%%:*}; to=${f#*:}
        mkdir -p "$dest/$(dirname "$to")"
        cp "$src/$from" "$dest/$to"
    done
}

fresh() { rm -rf "${vendor:?}/$1"; }

echo "leaflet@$LEAFLET"
p=$(unpack "leaflet@$LEAFLET"); fresh leaflet
keep "$p" leaflet LICENSE dist/leaflet.js:leaflet.js dist/leaflet.css:leaflet.css \
    dist/images/layers.png:images/layers.png dist/images/layers-2x.png:images/layers-2x.png \
    dist/images/marker-icon.png:images/marker-icon.png \
    dist/images/marker-icon-2x.png:images/marker-icon-2x.png \
    dist/images/marker-shadow.png:images/marker-shadow.png

echo "topojson@$TOPOJSON"
p=$(unpack "topojson@$TOPOJSON"); fresh topojson
keep "$p" topojson LICENSE topojson.min.js

echo "done: $(du -sh "$vendor" | cut -f1) in $vendor"
