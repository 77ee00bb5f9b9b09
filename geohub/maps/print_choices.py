"""The choices a map's pages offer, declared once: the print page sizes and when areas are named.

It imports nothing but ``geohub.errors``, so the CLI builds its ``--size`` and ``--labels`` choices
from it without importing the drawing stack; the map page's download links and Names control,
the map model and ``static_render`` read the same entries.
"""
from __future__ import annotations

from dataclasses import dataclass

from geohub.errors import InputError, option


@dataclass(frozen=True)
class PageSize:
    """A page for PNG, SVG and PDF exports: what the download links call it, and its size."""

    label: str
    width: float    # inches
    height: float   # inches
    print_dpis: tuple[int, ...]   # the resolutions the map page links to for this size

    @property
    def inches(self) -> tuple[float, float]:
        return self.width, self.height


# In the order the map page lists them; the first is the default.
SIZES = {
    "screen": PageSize("Screen", 1280 / 96, 800 / 96, (96, 150)),
    "a4-landscape": PageSize("A4 landscape", 297 / 25.4, 210 / 25.4, (150, 300)),
    "a4-portrait": PageSize("A4 portrait", 210 / 25.4, 297 / 25.4, (150, 300)),
    "slide": PageSize("Slide 16:9", 13.333, 7.5, (150, 300)),
}
DEFAULT_SIZE = "screen"

AUTO_LABELS_MAX = 40   # labels=auto names the areas of maps with at most this many
# When a map writes area names on the areas; the first is the default.
LABELS = {
    "auto": "when there are few areas",
    "all": "on every area",
    "none": "none",
}
DEFAULT_LABELS = "auto"


def parse_labels(value: str | None) -> str:
    """The labels choice ``value`` names (default auto); InputError listing the choices otherwise."""
    labels = (value or DEFAULT_LABELS).strip().lower()
    if labels not in LABELS:
        raise InputError(f"Unknown {option('labels', repr(labels))}.",
                         f"Use {option('labels', 'auto')} (names when the map has at most "
                         f"{AUTO_LABELS_MAX} areas), {option('labels', 'all')} or "
                         f"{option('labels', 'none')}.")
    return labels


def parse_size(value: str | None) -> str:
    """The page size ``value`` names (default screen); InputError listing the sizes otherwise."""
    size = (value or DEFAULT_SIZE).strip()
    if size not in SIZES:
        raise InputError(f"Unknown size {size!r}.", f"Use one of: {', '.join(SIZES)}.")
    return size
