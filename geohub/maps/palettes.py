"""Colours: ColorBrewer palettes (via branca), the missing-value colour, and overlay line styles."""
from __future__ import annotations

from branca.utilities import color_brewer

from geohub.errors import InputError
from geohub.geography.levels import LEVELS

# ColorBrewer schemes that stay distinguishable for colour-blind readers (colorbrewer2.org).
PALETTES = ("YlGnBu", "YlOrRd", "Blues", "BuPu", "PuBu", "Greens", "Purples", "Oranges", "Reds",
            "Greys", "GnBu", "OrRd", "PuBuGn", "YlGn", "RdBu", "RdYlBu", "PuOr", "PRGn", "BrBG")
DEFAULT_PALETTE = "YlGnBu"
MISSING_COLOUR = "#d0d0d0"   # neutral grey, in none of the palettes above
OUTLINE_COLOUR = "#505a5f"

# Overlay outlines: one line style per governance level, as Leaflet path options, from the levels'
# own definitions (geography/levels.py: Level.outline), in the order of LEVELS.
OVERLAY_STYLES = {level.name: {"color": level.outline.colour, "weight": level.outline.weight,
                               "dashArray": level.outline.dash}
                  for level in LEVELS if level.outline is not None}
OVERLAY_ORDER = tuple(OVERLAY_STYLES)


def colours(name: str, k: int) -> list[str]:
    """``k`` colours of ColorBrewer scheme ``name``, light to dark."""
    if name not in PALETTES:
        raise InputError(f"Unknown palette {name!r}.",
                         f"Use a colour-blind safe ColorBrewer scheme: {', '.join(PALETTES)}.")
    if k < 3:  # ColorBrewer starts at three classes: take the ends of the three-class scheme
        return [color_brewer(name, 3)[i] for i in ((0,) if k == 1 else (0, 2))]
    return color_brewer(name, k)
