"""Readers and writers: boundary files (GeoJSON, TopoJSON, zipped Shapefile, GeoPackage) and fetchers."""
