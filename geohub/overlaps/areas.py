"""Exact intersection areas of many polygon pairs at once, by Green's theorem on their edges.

For polygons A and B whose interiors lie left of their edges (exterior rings counter-clockwise,
holes clockwise), the boundary of A ∩ B is made of the parts of A's edges inside B and the parts of
B's edges inside A. Along a straight edge the integrand of area = ½∮(x dy − y dx) is constant, so
each edge contributes in proportion to the part of it inside the other polygon: only segment
crossings and point-in-polygon tests are needed, never an intersection geometry. That is what
makes this several times faster than overlaying the polygons.

The per-pair work is compiled (``geohub.overlaps.kernels``, numba) and decided by exact
predicates under a symbolic perturbation, so boundaries that touch, share vertices or run along
each other (as the ONS files of different geographies do everywhere) need no special case and no
fallback: the result is the exact area to rounding, which the tests check against GEOS.
"""
from __future__ import annotations

import weakref

import numpy as np
import shapely

from geohub.errors import InputError

# A pair's computed area is a sum of terms; its rounding error is far below this fraction of the
# sum of the terms' magnitudes. Areas within it of zero are touches, within it of either
# polygon's area are containment (and take that area exactly).
_ROUNDING = 1e-13
_POLYGON, _MULTIPOLYGON = 3, 6


def _kernels():
    """geohub.overlaps.kernels, imported on first use: importing numba takes about 0.3 s, which
    every CLI command and worker would otherwise pay whether or not it relates anything."""
    from geohub.overlaps import kernels
    return kernels


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for every (s, c)."""
    total = counts.sum()
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)


def polygon_rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ring of every (multi)polygon: coordinates ``xy`` (rings closed), ``ring_start``
    (ring r is ``xy[ring_start[r]:ring_start[r + 1]]``), the geometry each ring belongs to and
    whether it is an exterior ring.

    Ring geometries are only created for polygons with holes (creating one object per ring is
    what makes ``shapely.to_ragged_array`` slow on many small polygons).
    """
    types = shapely.get_type_id(geoms)
    bad = np.flatnonzero((types != _POLYGON) & (types != _MULTIPOLYGON))
    if len(bad):
        first = geoms[bad[0]]
        raise InputError(
            f"Intersection areas need polygons, but geometry {bad[0]} is "
            f"{'missing' if first is None else 'a ' + first.geom_type}"
            f" ({len(bad)} such geometries in all).",
            "Give (multi)polygon boundaries: shapely.make_valid repairs invalid ones, and a "
            "GeometryCollection can be reduced to its polygons.")
    n = len(geoms)
    parts_per = np.ones(n, dtype=np.int64)
    multi = np.flatnonzero(types == _MULTIPOLYGON)
    if len(multi):
        parts_per[multi] = shapely.get_num_geometries(geoms[multi])
    part_start = np.cumsum(parts_per) - parts_per
    polys = np.empty(parts_per.sum(), dtype=object)
    single = np.flatnonzero(types == _POLYGON)
    polys[part_start[single]] = geoms[single]
    if len(multi):
        parts, of = shapely.get_parts(geoms[multi], return_index=True)
        within = np.arange(len(of)) - np.searchsorted(of, of)  # of is ascending
        polys[part_start[multi][of] + within] = parts
    holes = shapely.get_num_interior_rings(polys)
    rings_per = 1 + holes
    first_ring = np.cumsum(rings_per) - rings_per
    ring_owner = np.repeat(np.repeat(np.arange(n), parts_per), rings_per)
    exterior = np.zeros(len(ring_owner), dtype=bool)
    exterior[first_ring] = True
    ring_len = np.empty(len(ring_owner), dtype=np.int64)
    plain = holes == 0
    ring_len[first_ring[plain]] = shapely.get_num_coordinates(polys[plain])
    holed = np.flatnonzero(~plain)
    if len(holed):  # get_rings lists each polygon's exterior, then its holes
        rings = shapely.get_rings(polys[holed])
        ring_len[_ranges(first_ring[holed], rings_per[holed])] = shapely.get_num_coordinates(rings)
    ring_start = np.zeros(len(ring_len) + 1, dtype=np.int64)
    np.cumsum(ring_len, out=ring_start[1:])
    xy = shapely.get_coordinates(geoms)
    return np.ascontiguousarray(xy), ring_start, ring_owner, exterior


class PolygonIndex:
    """Everything the area engine derives from one array of polygons, built once and reused:
    a tree of their boxes (shapely's STRtree, an R-tree), and their oriented edges grouped in
    blocks with boxes, in the form the compiled kernels take.

    Build it with ``polygon_index(geoms)``, which keeps one per geometry array for as long as the
    array lives, so relating the same boundary set to several others reuses the work.
    """

    def __init__(self, geoms: np.ndarray):
        self.geoms = np.asarray(geoms, dtype=object)
        self.bounds = shapely.bounds(self.geoms)
        self.fingerprint = _fingerprint(self.geoms, self.bounds)
        self._tree = self._area = self._kernel_input = self._polygon_area = None

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    @property
    def area(self) -> np.ndarray:
        """Area of every geometry (GEOS)."""
        if self._area is None:
            self._area = shapely.area(self.geoms)
        return self._area

    @property
    def kernel_input(self) -> tuple:
        """(x0, y0, x1, y1, ring, block_edge, block_box, super_block, super_box, owner_super,
        bounds, edge_offsets): see ``kernels.build_edges`` and ``kernels.build_blocks``."""
        if self._kernel_input is None:
            xy, ring_start, ring_owner, exterior = polygon_rings(self.geoms)
            x0, y0, x1, y1, ring, offsets, area = _kernels().build_edges(
                xy, ring_start, ring_owner, exterior, len(self.geoms))
            blocks = _kernels().build_blocks(x0, y0, x1, y1, offsets)
            # GEOS's envelopes are the min/max of the same coordinates (NaN when empty)
            bounds = np.ascontiguousarray(self.bounds)
            self._kernel_input = (x0, y0, x1, y1, ring, *blocks, bounds, offsets)
            self._polygon_area = area
        return self._kernel_input

    @property
    def polygon_area(self) -> np.ndarray:
        """Area of every geometry from its edges (the shoelace sum GEOS also uses)."""
        if self._polygon_area is None:
            _ = self.kernel_input  # computed with the edges
        return self._polygon_area


def _fingerprint(geoms, bounds) -> tuple:
    return (len(geoms), float(np.nansum(bounds)), float(np.nansum(bounds * np.arange(1, 5))))


# id(geometry array) -> (weak reference to it, its index); entries vanish with their array.
_INDEXES: dict[int, tuple[weakref.ref, PolygonIndex]] = {}


def polygon_index(geoms) -> PolygonIndex:
    """The index of a geometry array, reused while the array lives and its geometries are unchanged.

    ``geoms`` is a GeoPandas GeometryArray (``frame.geometry.values``) or a numpy array of shapely
    polygons; only GeometryArrays are remembered (numpy arrays get a fresh index).
    """
    remember = hasattr(geoms, "to_numpy") and not isinstance(geoms, np.ndarray)
    values = np.asarray(geoms, dtype=object)
    if remember:
        entry = _INDEXES.get(id(geoms))
        if entry is not None and entry[0]() is geoms and \
                entry[1].fingerprint == _fingerprint(values, shapely.bounds(values)):
            return entry[1]
    index = PolygonIndex(values)
    if remember:
        key = id(geoms)
        _INDEXES[key] = (weakref.ref(geoms, lambda _, key=key: _INDEXES.pop(key, None)), index)
    return index


def intersection_areas(src: PolygonIndex, tgt: PolygonIndex, si: np.ndarray,
                       ti: np.ndarray) -> np.ndarray:
    """Area of ``src.geoms[si[k]] ∩ tgt.geoms[ti[k]]`` for every k (valid polygons, one CRS).

    Exact to rounding; pairs that only touch get exactly 0 and a polygon inside the other gets
    exactly its own area (``polygon_area``).
    """
    si, ti = np.asarray(si, dtype=np.int64), np.asarray(ti, dtype=np.int64)
    if len(si) == 0:
        return np.zeros(0)
    areas, magnitude = _kernels().pair_areas(src.kernel_input, tgt.kernel_input, si, ti)
    bound = _ROUNDING * magnitude
    for whole in (src.polygon_area[si], tgt.polygon_area[ti]):
        areas = np.where(np.abs(areas - whole) <= bound, whole, areas)
    areas[areas <= bound] = 0.0
    return areas


def compile_kernels() -> float:
    """Compile (or load from numba's on-disk cache) the kernels by running them once on two
    squares, so that the first real request does not wait for it; returns the overlap (1.0)."""
    a = polygon_index(np.array([shapely.box(0, 0, 2, 2)], dtype=object))
    b = polygon_index(np.array([shapely.box(1, 1, 3, 3)], dtype=object))
    return float(intersection_areas(a, b, np.array([0]), np.array([0]))[0])
