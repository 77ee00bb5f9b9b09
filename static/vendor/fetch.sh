#!/usr/bin/env bash
# Re-create static/vendor/ from the package registries: `npm pack` for the npm packages and
# `pip download` of folium's sdist for its one stylesheet. Keeps only the files the maps serve,
# plus the images/fonts their CSS references, plus each package's licence.
#
#   bash static/vendor/fetch.sh                  # the versions below
#   LEAFLET=1.9.4 bash static/vendor/fetch.sh    # an upgrade: override any version, then update
#                                                # the table in README.md and, if a file name
#                                                # changed, ASSETS in geohub/maps/assets.py
#
# Then run `python -m pytest -q tests/test_assets.py`.
set -euo pipefail

LEAFLET=${LEAFLET:-1.9.3}
JQUERY=${JQUERY:-3.7.1}
BOOTSTRAP=${BOOTSTRAP:-5.2.2}
FONTAWESOME=${FONTAWESOME:-6.2.0}
AWESOME_MARKERS=${AWESOME_MARKERS:-2.0.2}          # drmonty-leaflet-awesome-markers (files)
AWESOME_MARKERS_LICENSE=${AWESOME_MARKERS_LICENSE:-2.0.5}  # leaflet.awesome-markers (LICENSE only)
TOPOJSON=${TOPOJSON:-1.6.9}
D3=${D3:-3.5.5}
FULLSCREEN=${FULLSCREEN:-3.0.0}
FOLIUM=${FOLIUM:-0.20.0}

vendor=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$vendor/../.." && pwd)
if [[ -z ${PIP:-} ]]; then
    if [[ -x $repo/.venv/bin/python ]]; then PIP="$repo/.venv/bin/python -m pip"; else PIP="python3 -m pip"; fi
fi
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

echo "jquery@$JQUERY"
p=$(unpack "jquery@$JQUERY"); fresh jquery
keep "$p" jquery LICENSE.txt dist/jquery.min.js:jquery.min.js

echo "bootstrap@$BOOTSTRAP"
p=$(unpack "bootstrap@$BOOTSTRAP"); fresh bootstrap
keep "$p" bootstrap LICENSE dist/js/bootstrap.bundle.min.js:bootstrap.bundle.min.js \
    dist/css/bootstrap.min.css:bootstrap.min.css

echo "@fortawesome/fontawesome-free@$FONTAWESOME"
p=$(unpack "@fortawesome/fontawesome-free@$FONTAWESOME"); fresh fontawesome-free
keep "$p" fontawesome-free LICENSE.txt css/all.min.css
(cd "$p" && ls webfonts/*.woff2 webfonts/*.ttf) | while read -r f; do keep "$p" fontawesome-free "$f"; done

echo "drmonty-leaflet-awesome-markers@$AWESOME_MARKERS (+ LICENSE from leaflet.awesome-markers@$AWESOME_MARKERS_LICENSE)"
p=$(unpack "drmonty-leaflet-awesome-markers@$AWESOME_MARKERS"); fresh leaflet.awesome-markers
keep "$p" leaflet.awesome-markers \
    js/leaflet.awesome-markers.min.js:leaflet.awesome-markers.min.js \
    css/leaflet.awesome-markers.css:leaflet.awesome-markers.css \
    css/images/markers-soft.png:images/markers-soft.png \
    css/images/markers-soft@2x.png:images/markers-soft@2x.png \
    css/images/markers-shadow.png:images/markers-shadow.png \
    css/images/markers-shadow@2x.png:images/markers-shadow@2x.png
# drmonty's repackaging carries no licence file; the upstream project's MIT LICENSE ships in
# the later leaflet.awesome-markers package.
p=$(unpack "leaflet.awesome-markers@$AWESOME_MARKERS_LICENSE")
keep "$p" leaflet.awesome-markers LICENSE

echo "topojson@$TOPOJSON"
p=$(unpack "topojson@$TOPOJSON"); fresh topojson
keep "$p" topojson LICENSE topojson.min.js

echo "d3@$D3"
p=$(unpack "d3@$D3"); fresh d3
keep "$p" d3 LICENSE d3.min.js

echo "leaflet.fullscreen@$FULLSCREEN"
p=$(unpack "leaflet.fullscreen@$FULLSCREEN"); fresh leaflet.fullscreen
keep "$p" leaflet.fullscreen LICENSE Control.FullScreen.js Control.FullScreen.css icon-fullscreen.svg

echo "folium==$FOLIUM (sdist: templates/leaflet.awesome.rotate.css, not in the wheel)"
$PIP download --quiet --no-deps --no-binary :all: "folium==$FOLIUM" -d "$work/folium" >/dev/null
tar -xzf "$work/folium/folium-$FOLIUM.tar.gz" -C "$work/folium"
fresh folium
keep "$work/folium/folium-$FOLIUM" folium LICENSE.txt \
    folium/templates/leaflet.awesome.rotate.css:leaflet.awesome.rotate.css

echo "done: $(du -sh "$vendor" | cut -f1) in $vendor"
