"""Small time-series charts as inline SVG, drawn on the server: no script, no outside request, so
they work under the strict Content-Security-Policy and in any export. Every string is escaped.

``line_chart(series, reference=...)`` draws one line per series over the union of their periods
(in the order given), with an optional reference line (e.g. England) dashed in black.
"""
from __future__ import annotations

import math
import re
from html import escape

from geohub.maps.model import format_number

# Okabe-Ito: told apart with the common colour-vision deficiencies; all >= 3:1 on white except
# yellow, which is left out.
SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                  "#999999"]
REFERENCE_COLOUR = "#0b0c0c"


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi == lo:
        hi, lo = hi + (abs(hi) or 1) * 0.5, lo - (abs(lo) or 1) * 0.5
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for m in (1, 2, 2.5, 5, 10):
        if (hi - lo) / (step * m) <= count:
            step *= m
            break
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [round(i * step, 10) for i in range(first, last + 1)]


def line_chart(series: list[tuple[str, dict[str, float]]], periods: list[str], *, title: str,
               reference: tuple[str, dict[str, float]] | None = None, width: int = 520,
               height: int = 280) -> str:
    """SVG markup: ``series`` is [(name, {period: value})], drawn over ``periods`` in order."""
    values = [v for _, vals in series + ([reference] if reference else []) for v in vals.values()
              if v is not None and not (isinstance(v, float) and math.isnan(v))]
    left, right, top, bottom = 96, 24, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _nice_ticks(min(values), max(values)) if values else [0, 1]
    lo, hi = ticks[0], ticks[-1]

    def x(i: int) -> float:
        return left + (plot_w * i / (len(periods) - 1) if len(periods) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v - lo) / ((hi - lo) or 1) * plot_h

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{escape(title)}</title>"]
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   f'stroke="#d0d0d0" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="14" '
                   f'fill="#0b0c0c">{escape(format_number(t))}</text>')
    step = max(1, math.ceil(len(periods) / 6))   # at most about six period labels
    # Long period names ("Jan 2018-Dec 2018") are labelled by their last year; the table has them whole.
    years = [re.findall(r"\d{4}", str(p)) for p in periods]
    short = [y[-1] if len(str(p)) > 9 and y else str(p) for p, y in zip(periods, years)]
    for i, p in enumerate(periods):
        if i % step == 0 or i == len(periods) - 1:
            anchor = "start" if i == 0 and len(periods) > 1 else (
                "end" if i == len(periods) - 1 and len(periods) > 1 else "middle")
            out.append(f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" '
                       f'font-size="14" fill="#0b0c0c">{escape(short[i])}</text>')
    drawn = [(name, vals, SERIES_COLOURS[n % len(SERIES_COLOURS)], None)
             for n, (name, vals) in enumerate(series)]
    if reference:
        drawn.append((reference[0], reference[1], REFERENCE_COLOUR, "6 4"))
    for name, vals, colour, dash in drawn:
        points = [(x(i), y(vals[p])) for i, p in enumerate(periods)
                  if vals.get(p) is not None and not (isinstance(vals[p], float) and math.isnan(vals[p]))]
        if not points:
            continue
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(f'<g class="series"><title>{escape(name)}</title>'
                   f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        for px, py in points:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def legend_entries(names: list[str], reference: str | None = None) -> list[dict]:
    """Colour and dash for each series name, as the chart draws them (for an HTML key)."""
    rows = [{"name": n, "colour": SERIES_COLOURS[i % len(SERIES_COLOURS)], "dashed": False}
            for i, n in enumerate(names)]
    if reference:
        rows.append({"name": reference, "colour": REFERENCE_COLOUR, "dashed": True})
    return rows


def sparkline(values: list[float | None], label: str, width: int = 120, height: int = 32) -> str:
    """A tiny line over equally spaced periods (gaps where a value is None), named by ``label``."""
    known = [v for v in values if v is not None]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    span = (hi - lo) or 1.0
    step = (width - 8) / max(len(values) - 1, 1)
    points = [f"{4 + i * step:.1f},{4 + (height - 8) * (1 - (v - lo) / span):.1f}"
              for i, v in enumerate(values) if v is not None]
    return (f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{escape(label)}</title><polyline points="{" ".join(points)}" fill="none" '
            f'stroke="{SERIES_COLOURS[0]}" stroke-width="2"/></svg>')
