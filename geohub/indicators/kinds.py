"""The kinds of indicator, declared once: how each combines when areas are put together (DESIGN.md).

The importer checks an indicator's kind against ``KINDS``, ``overlaps.aggregate`` combines by it,
and the CLI's ``--kind`` choices are read from it.
"""
from __future__ import annotations

# kind -> how its values combine when several areas make one.
KINDS = {
    "count": "summed (value x share)",
    "rate": "a weighted mean (the weight is a count, e.g. population)",
    "ratio": "a weighted mean, or for a derived ratio its summed numerator over its summed denominator",
}
