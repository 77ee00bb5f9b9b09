"""Levels, GSS codes, vintages and canonical Area records: what an area *is*, independent of storage."""
from geohub.crs import DISPLAY_SRID, STORAGE_SRID

__all__ = ["DISPLAY_SRID", "STORAGE_SRID"]
