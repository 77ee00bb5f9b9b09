"""Maps: classification, palettes, the map data (``MapBuilder`` reads it from a store), Folium maps,
static rendering and exports (the HTML export reads the vendored files under static/). No Flask."""
