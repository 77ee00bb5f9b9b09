"""Levels, GSS codes, vintages and canonical Area records: what an area *is*, independent of storage."""
