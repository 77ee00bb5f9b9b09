"""Indicators: ONS/Nomis tables in, clean values matched to areas of the right vintage out."""
