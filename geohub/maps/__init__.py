"""Maps: classification, palettes, Folium map building and static rendering. No I/O, no Flask."""
