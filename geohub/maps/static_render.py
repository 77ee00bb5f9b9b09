"""Print-quality maps without a browser: PNG, SVG and PDF by matplotlib, drawn from the same
MapData as the interactive map, so classes, colours, the missing colour, legend, title, source
line and attribution are the same; with a scale bar."""
from __future__ import annotations

import gc
import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: rendering happens on the server

import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib_scalebar.scalebar import ScaleBar  # noqa: E402

from geohub.errors import InputError  # noqa: E402
from geohub.geography.levels import get_level  # noqa: E402
from geohub.maps.model import MapData  # noqa: E402
from geohub.maps.palettes import MISSING_COLOUR, OUTLINE_COLOUR, OVERLAY_STYLES  # noqa: E402

# name -> (width, height) in inches
SIZES = {
    "screen": (1280 / 96, 800 / 96),
    "a4-portrait": (210 / 25.4, 297 / 25.4),
    "a4-landscape": (297 / 25.4, 210 / 25.4),
    "slide": (13.333, 7.5),
}
DPI_RANGE = (72, 600)
SCREEN_DPI = 96


@dataclass(frozen=True)
class PrintOptions:
    size: str = "screen"
    dpi: int = SCREEN_DPI

    @classmethod
    def from_args(cls, args) -> "PrintOptions":
        size = (args.get("size") or "screen").strip()
        if size not in SIZES:
            raise InputError(f"Unknown size {size!r}.", f"Use one of: {', '.join(SIZES)}.")
        raw = (args.get("dpi") or "").strip().lower()
        if raw in ("", "screen"):
            dpi = SCREEN_DPI if size == "screen" or raw == "screen" else 150
        else:
            try:
                dpi = int(raw)
            except ValueError as exc:
                raise InputError(f"dpi={raw!r} is not a number.", "Use e.g. dpi=150 or dpi=300.") from exc
        if not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
            raise InputError(f"dpi={dpi} is out of range.", f"Use {DPI_RANGE[0]} to {DPI_RANGE[1]}.")
        return cls(size, dpi)

    @property
    def pixels(self) -> tuple[int, int]:
        w, h = SIZES[self.size]
        return round(w * self.dpi), round(h * self.dpi)

    @property
    def inches(self) -> tuple[float, float]:
        """The page size, nudged to whole pixels at this resolution (A4 at 150 dpi: 1240 x 1754)."""
        w, h = self.pixels
        return w / self.dpi, h / self.dpi


def _paths(geoms) -> list[Path]:
    """One compound matplotlib Path per (multi)polygon, holes included (even-odd filling)."""
    out = []
    for geom in geoms:
        verts, codes = [], []
        for ring in (r for p in shapely.get_parts(geom) for r in (p.exterior, *p.interiors)):
            xy = np.asarray(ring.coords)
            verts.append(xy)
            codes.append(np.r_[Path.MOVETO, np.full(len(xy) - 2, Path.LINETO), Path.CLOSEPOLY])
        out.append(Path(np.concatenate(verts), np.concatenate(codes).astype(Path.code_type)))
    return out


def draw(data: MapData, options: PrintOptions) -> Figure:
    """The map as a matplotlib Figure of the requested size."""
    width, height = options.inches
    fig = Figure(figsize=(width, height), dpi=options.dpi, facecolor="white")
    scale = min(width, height) / 8.27  # type sizes follow the page
    portrait = height > width
    footer = 0.10 if portrait else 0.13
    title_lines = textwrap.wrap(data.title, 50 if portrait else 70)
    line = 15 * scale * 1.25 / 72 / height  # one title line, as a fraction of the page height
    subtitle_y = 0.975 - line * len(title_lines) - 0.01
    top = subtitle_y - 0.05
    # Landscape pages keep the right third for the legend; portrait ones keep a band below the map.
    bottom = footer + (0.16 if portrait else 0.02)
    ax = fig.add_axes([0.03, bottom, 0.94 if portrait else 0.62, top - bottom])
    ax.set_axis_off()
    ax.set_aspect("equal")
    classes = data.classification.classes
    facecolours = [data.colours[c] if c >= 0 else MISSING_COLOUR for c in classes]
    polygons = data.table.geometry.values
    ax.add_collection(PathCollection(_paths(polygons), facecolors=facecolours,
                                     edgecolors=OUTLINE_COLOUR, linewidths=0.25 * scale))
    handles = [Patch(facecolor=row["colour"], edgecolor=OUTLINE_COLOUR, linewidth=0.5,
                     label=f"{row['label']} ({row['count']})") for row in data.legend()]
    for level, areas in data.overlay_areas.items():
        style = OVERLAY_STYLES[level]
        dash = (0, tuple(float(v) for v in style["dashArray"].split())) if style["dashArray"] else "solid"
        ax.add_collection(PathCollection(_paths(areas.geometry.values), facecolors="none",
                                         edgecolors=style["color"], linestyles=[dash],
                                         linewidths=style["weight"] * 0.45 * scale))
        handles.append(Line2D([], [], color=style["color"], linestyle=dash,
                              linewidth=style["weight"] * 0.45 * scale, label=get_level(level).plural))
        several = {code for code, _, _ in data.multi.get(level, [])}
        if several:
            marked = data.table[data.table["code"].isin(several)]
            ax.add_collection(PathCollection(_paths(marked.geometry.values), facecolors="none",
                                             edgecolors=style["color"], linestyles=[(0, (1, 3))],
                                             linewidths=(style["weight"] + 2) * 0.45 * scale))
            handles.append(Line2D([], [], color=style["color"], linestyle=(0, (1, 3)),
                                  linewidth=(style["weight"] + 2) * 0.45 * scale,
                                  label=f"In two or more {get_level(level).plural}"))
    minx, miny, maxx, maxy = data.table.total_bounds
    pad = 0.02 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.add_artist(ScaleBar(1, "m", location="lower left", length_fraction=0.2,
                           font_properties={"size": 8 * scale}, frameon=False))
    fig.legend(handles=handles, loc="upper center" if portrait else "center left",
               bbox_to_anchor=(0.5, bottom - 0.005) if portrait else (0.68, 0.5),
               ncol=2 if portrait else 1, fontsize=8 * scale, title=data.unit or "Classes",
               title_fontsize=8.5 * scale, frameon=True)
    fig.text(0.03, 0.975, "\n".join(title_lines), va="top", fontsize=15 * scale, weight="bold")
    fig.text(0.03, subtitle_y, data.subtitle(), va="top", fontsize=9 * scale, color="#505a5f")
    notes = [data.source_line, *data.attribution]
    fig.text(0.03, 0.02, "\n".join(textwrap.fill(n, 150 if not portrait else 110) for n in notes),
             va="bottom", fontsize=6.5 * scale, color="#505a5f")
    return fig


def render(data: MapData, fmt: str, options: PrintOptions) -> bytes:
    """PNG, SVG or PDF bytes of the map (one page of the requested size for PDF)."""
    fig = draw(data, options)
    try:
        buffer = io.BytesIO()
        extra = {}
        if fmt == "png":  # zlib's fastest level: half the encoding time of the default, ~15% bigger
            extra["pil_kwargs"] = {"compress_level": 1}
        fig.savefig(buffer, format=fmt, dpi=options.dpi, metadata={"Title": data.title}, **extra)
        return buffer.getvalue()
    finally:
        # A figure and its artists hold each other in reference cycles (tens of MB at 600 dpi):
        # free them now, not at the next full collection.
        fig.clear()
        del fig
        gc.collect()
