"""Exact intersection areas of many polygon pairs at once, by Green's theorem on their edges.

For polygons A and B whose interiors lie left of their edges (exterior rings counter-clockwise,
holes clockwise), the boundary of A ∩ B is made of the parts of A's edges inside B and the parts of
B's edges inside A. Along a straight edge from P to Q the integrand of area = ½∮(x dy − y dx) is
constant, so an edge contributes ``cross(P, Q) / 2`` times the fraction of its length inside the
other polygon. That fraction is the inside-state of its start point plus, for every crossing,
±(1 − t) (+ entering, − leaving, t the crossing's position along the edge). No intersection
geometry is built: only segment crossings and point-in-polygon tests, vectorised with numpy and
shapely (GEOS), which is what makes this several times faster than overlaying the polygons.

Pairs whose boundaries touch rather than cross (a vertex on the other's edge, collinear shared
edges) are degenerate for this method and are computed by GEOS (``shapely.intersection``)
instead, so every result is exact to floating-point rounding.
"""
from __future__ import annotations

import weakref

import numpy as np
import shapely

_EPS = 1e-10        # in edge-parameter units: a crossing this close to an end is a touch
_PARALLEL = 1e-15  # |sin| of the angle below which two edges count as parallel
_FEW_EDGES = 64     # polygons with more edges are searched through a tree, not listed
_BLOCK = 4          # consecutive edges per box in the trees of edges
_MAX_PRODUCT = 256  # pairs with more (source edge x target edge) candidates use a tree


def polygon_edges(geoms: np.ndarray) -> dict[str, np.ndarray]:
    """Every edge of every (multi)polygon, oriented with the interior on its left, by owner.

    Returns arrays x0, y0, x1, y1, owner (index into ``geoms``), ring (consecutive edges of a ring
    follow each other) and ``offsets`` (edges of owner i are ``offsets[i]:offsets[i + 1]``).
    """
    _, coords, offsets = shapely.to_ragged_array(geoms)
    if len(offsets) == 3:
        ring_off, poly_off, geom_off = offsets
    else:  # all plain Polygons: one polygon per geometry
        (ring_off, poly_off), geom_off = offsets, np.arange(len(geoms) + 1)
    ring_of_coord = np.repeat(np.arange(len(ring_off) - 1), np.diff(ring_off))
    start = np.ones(len(coords), dtype=bool)
    start[ring_off[1:] - 1] = False  # a ring's last coordinate repeats its first: no edge starts there
    idx = np.flatnonzero(start)
    ring = ring_of_coord[idx]
    x0, y0, x1, y1 = coords[idx, 0], coords[idx, 1], coords[idx + 1, 0], coords[idx + 1, 1]
    # Orientation from each ring's signed area (about its first vertex, for precision).
    ox, oy = coords[ring_off[:-1][ring], 0], coords[ring_off[:-1][ring], 1]
    signed = np.bincount(ring, weights=(x0 - ox) * (y1 - oy) - (x1 - ox) * (y0 - oy),
                         minlength=len(ring_off) - 1)
    exterior = np.zeros(len(ring_off) - 1, dtype=bool)
    exterior[poly_off[:-1]] = True
    flip = np.where(exterior, signed < 0, signed > 0)[ring]
    x0, x1 = np.where(flip, x1, x0), np.where(flip, x0, x1)
    y0, y1 = np.where(flip, y1, y0), np.where(flip, y0, y1)
    # A reversed ring's edges are also put in reverse order, so each edge starts where the one
    # before it ends (walking a ring edge by edge is how inside/outside states are propagated).
    position = np.arange(len(ring))
    order = np.lexsort((np.where(flip, -position, position), ring))
    x0, y0, x1, y1, ring = x0[order], y0[order], x1[order], y1[order], ring[order]
    ring_poly = np.repeat(np.arange(len(poly_off) - 1), np.diff(poly_off))
    poly_geom = np.repeat(np.arange(len(geom_off) - 1), np.diff(geom_off))
    owner = poly_geom[ring_poly[ring]]
    keep = (x0 != x1) | (y0 != y1)
    owner = owner[keep]
    return {"x0": x0[keep], "y0": y0[keep], "x1": x1[keep], "y1": y1[keep], "owner": owner,
            "ring": ring[keep], "offsets": np.searchsorted(owner, np.arange(len(geoms) + 1))}


class PolygonIndex:
    """Everything the area engine derives from one array of polygons, built once and reused:
    prepared geometries, a tree of their boxes, their oriented edges and a tree of edge boxes.

    Build it with ``polygon_index(geoms)``, which keeps one per geometry array for as long as the
    array lives, so relating the same boundary set to several others reuses the work.
    """

    def __init__(self, geoms: np.ndarray):
        self.geoms = np.asarray(geoms, dtype=object)
        self.bounds = shapely.bounds(self.geoms)
        self.fingerprint = _fingerprint(self.geoms, self.bounds)
        self._tree = self._edges = self._blocks = self._block_tree = self._area = None

    def prepared(self, idx: np.ndarray) -> np.ndarray:
        """The geometries at ``idx``, prepared for fast predicates (only those: preparing costs)."""
        chosen = self.geoms[idx]
        shapely.prepare(chosen)
        return chosen

    @property
    def tree(self) -> shapely.STRtree:
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return self._tree

    @property
    def area(self) -> np.ndarray:
        if self._area is None:
            self._area = shapely.area(self.geoms)
        return self._area

    @property
    def edges(self) -> dict[str, np.ndarray]:
        if self._edges is None:
            self._edges = polygon_edges(self.geoms)
        return self._edges

    @property
    def blocks(self) -> dict[str, np.ndarray]:
        """Runs of up to ``_BLOCK`` consecutive edges of one owner, with their bounding boxes.

        Consecutive edges of a ring lie close together, so a tree over runs finds nearby edges
        with a fraction of the boxes a tree over single edges would need.
        """
        if self._blocks is None:
            e = self.edges
            n = len(e["owner"])
            first = np.zeros(n, dtype=bool)
            first[e["offsets"][:-1][np.diff(e["offsets"]) > 0]] = True
            # a new run at every owner's first edge and every _BLOCK edges after it
            since = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
            first |= since % _BLOCK == 0
            start = np.flatnonzero(first)
            lo_x, hi_x = np.minimum(e["x0"], e["x1"]), np.maximum(e["x0"], e["x1"])
            lo_y, hi_y = np.minimum(e["y0"], e["y1"]), np.maximum(e["y0"], e["y1"])
            self._blocks = {
                "start": start, "count": np.diff(np.append(start, n)),
                "owner": e["owner"][start],
                "box": np.c_[np.minimum.reduceat(lo_x, start), np.minimum.reduceat(lo_y, start),
                             np.maximum.reduceat(hi_x, start), np.maximum.reduceat(hi_y, start)],
            }
        return self._blocks

    @property
    def block_tree(self) -> shapely.STRtree:
        if self._block_tree is None:
            self._block_tree = shapely.STRtree(shapely.box(*self.blocks["box"].T))
        return self._block_tree


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


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for every (s, c)."""
    total = counts.sum()
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)


def _window_edges(index: PolygonIndex, owner_of_pair: np.ndarray, box: np.ndarray,
                  pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pair, edge) for every edge of each pair's own polygon that meets the pair's window."""
    e = index.edges
    off = e["offsets"]
    counts = off[owner_of_pair[pairs] + 1] - off[owner_of_pair[pairs]]
    many = counts > _FEW_EDGES
    out_k, out_e = [], []
    small = pairs[~many]
    if len(small):
        out_k.append(np.repeat(small, counts[~many]))
        out_e.append(_ranges(off[owner_of_pair[small]], counts[~many]))
    big = pairs[many]
    if len(big):
        # Large polygons: the tree of edge runs finds the few edges near a small window.
        kb, bb = index.block_tree.query(shapely.box(*box[big].T))
        kb = big[kb]
        mine = index.blocks["owner"][bb] == owner_of_pair[kb]
        kb, bb = kb[mine], bb[mine]
        counts_b = index.blocks["count"][bb]
        out_k.append(np.repeat(kb, counts_b))
        out_e.append(_ranges(index.blocks["start"][bb], counts_b))
    if not out_k:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    k, idx = np.concatenate(out_k), np.concatenate(out_e)
    w = box[k]
    x0, x1, y0, y1 = e["x0"][idx], e["x1"][idx], e["y0"][idx], e["y1"][idx]
    meets = ((np.maximum(x0, x1) >= w[:, 0]) & (np.minimum(x0, x1) <= w[:, 2])
             & (np.maximum(y0, y1) >= w[:, 1]) & (np.minimum(y0, y1) <= w[:, 3]))
    return k[meets], idx[meets]


def _candidate_crossings(src: PolygonIndex, k_s, e_s, tgt: PolygonIndex, k_t, e_t, pair_keys):
    """(pair, source edge, target edge) whose boxes may meet: every combination within a pair's
    window when there are few, through one tree of the target edges when there are many."""
    n, n_targets = len(pair_keys), len(tgt.geoms)
    es, et = src.edges, tgt.edges
    os_, ot = np.argsort(k_s, kind="stable"), np.argsort(k_t, kind="stable")
    k_s, e_s, k_t, e_t = k_s[os_], e_s[os_], k_t[ot], e_t[ot]
    cs, ct = np.bincount(k_s, minlength=n), np.bincount(k_t, minlength=n)
    product = cs * ct
    few = product <= _MAX_PRODUCT
    sel = few[k_s]
    reps = ct[k_s[sel]]
    ks = [np.repeat(k_s[sel], reps)]
    As = [np.repeat(e_s[sel], reps)]
    Bs = [e_t[_ranges((np.cumsum(ct) - ct)[k_s[sel]], reps)]]
    many = ~few & (product > 0)
    if many.any():
        # Each source edge against the target's tree of edge runs, then edge against edge.
        wanted = np.unique(e_s[many[k_s]])
        x0, y0, x1, y1 = es["x0"][wanted], es["y0"][wanted], es["x1"][wanted], es["y1"][wanted]
        qa, qb = tgt.block_tree.query(shapely.box(np.minimum(x0, x1), np.minimum(y0, y1),
                                                  np.maximum(x0, x1), np.maximum(y0, y1)))
        counts_b = tgt.blocks["count"][qb]
        a = np.repeat(wanted[qa], counts_b)
        b = _ranges(tgt.blocks["start"][qb], counts_b)
        overlap = ((np.maximum(es["x0"][a], es["x1"][a]) >= np.minimum(et["x0"][b], et["x1"][b]))
                   & (np.minimum(es["x0"][a], es["x1"][a]) <= np.maximum(et["x0"][b], et["x1"][b]))
                   & (np.maximum(es["y0"][a], es["y1"][a]) >= np.minimum(et["y0"][b], et["y1"][b]))
                   & (np.minimum(es["y0"][a], es["y1"][a]) <= np.maximum(et["y0"][b], et["y1"][b])))
        a, b = a[overlap], b[overlap]
        order = np.argsort(pair_keys)
        key = es["owner"][a].astype(np.int64) * n_targets + et["owner"][b]
        pos = np.minimum(np.searchsorted(pair_keys[order], key), n - 1)
        hit = pair_keys[order][pos] == key
        k = order[pos[hit]]
        big = many[k]
        ks.append(k[big])
        As.append(a[hit][big])
        Bs.append(b[hit][big])
    return np.concatenate(ks), np.concatenate(As), np.concatenate(Bs)


def _start_inside(edges: dict, k: np.ndarray, e: np.ndarray, other: "PolygonIndex",
                  other_of_pair: np.ndarray, crossed: np.ndarray) -> np.ndarray:
    """Does each window edge (pair k, edge e) start inside the other polygon of its pair?

    Walking along a ring the answer flips at every crossing, so only the first edge of each run of
    consecutive edges in a window needs a point-in-polygon test; ``crossed`` counts the crossings
    of each (k, e). Pairs where a vertex touches the other boundary are degenerate and recomputed
    by GEOS, so the walk only has to be right for proper crossings.
    """
    order = np.lexsort((e, k))
    k, e, crossed = k[order], e[order], crossed[order]
    start = np.ones(len(e), dtype=bool)
    start[1:] = (k[1:] != k[:-1]) | (e[1:] != e[:-1] + 1) | (edges["ring"][e[1:]] != edges["ring"][e[:-1]])
    first = np.flatnonzero(start)
    tested = shapely.contains_xy(other.prepared(other_of_pair[k[first]]), edges["x0"][e[first]],
                                 edges["y0"][e[first]])
    run = np.cumsum(start) - 1
    flips = np.cumsum(crossed) - crossed            # crossings before this edge ...
    flips = flips - flips[first][run]               # ... since the start of its run
    inside = np.empty(len(e), dtype=bool)
    inside[order] = tested[run] ^ (flips % 2 == 1)
    return inside


def _counts(keys: np.ndarray, of: np.ndarray) -> np.ndarray:
    """How often each value of ``of`` occurs in ``keys``."""
    if not len(keys):
        return np.zeros(len(of), dtype=np.int64)
    uniq, counts = np.unique(keys, return_counts=True)
    pos = np.minimum(np.searchsorted(uniq, of), len(uniq) - 1)
    return np.where(uniq[pos] == of, counts[pos], 0)


def _sum_by(k: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-pair sums of extended-precision values (np.bincount would round them to float64)."""
    out = np.zeros(n, dtype=values.dtype)
    np.add.at(out, k, values)
    return out.astype(float)


def intersection_areas(src: PolygonIndex, tgt: PolygonIndex, si: np.ndarray,
                       ti: np.ndarray) -> np.ndarray:
    """Area of ``src.geoms[si[k]] ∩ tgt.geoms[ti[k]]`` for every k (valid polygons, one CRS)."""
    n = len(si)
    areas = np.zeros(n)
    if n == 0:
        return areas
    S, T = src.geoms, tgt.geoms
    # Per pair only edges in the overlap of the two bounding boxes can contribute: outside it, an
    # edge is outside the other polygon.
    sb, tb = src.bounds[si], tgt.bounds[ti]
    box = np.c_[np.maximum(sb[:, 0], tb[:, 0]), np.maximum(sb[:, 1], tb[:, 1]),
                np.minimum(sb[:, 2], tb[:, 2]), np.minimum(sb[:, 3], tb[:, 3])]
    live = np.flatnonzero((box[:, 0] <= box[:, 2]) & (box[:, 1] <= box[:, 3]))
    if not len(live):
        return areas
    ox, oy = box[:, 0], box[:, 1]  # a local origin per pair keeps the cross products small
    es, et = src.edges, tgt.edges

    # 1. the edges of each pair that can meet: those inside the pair's window
    k_s, e_s = _window_edges(src, si, box, live)
    k_t, e_t = _window_edges(tgt, ti, box, live)

    # 2. crossings of a source edge with a target edge of the same pair
    pair_keys = si.astype(np.int64) * len(T) + ti
    k, a, b = _candidate_crossings(src, k_s, e_s, tgt, k_t, e_t, pair_keys)
    px, py = es["x0"][a] - ox[k], es["y0"][a] - oy[k]
    dx, dy = es["x1"][a] - es["x0"][a], es["y1"][a] - es["y0"][a]
    qx, qy = et["x0"][b] - ox[k], et["y0"][b] - oy[k]
    ex, ey = et["x1"][b] - et["x0"][b], et["y1"][b] - et["y0"][b]
    denom = dx * ey - dy * ex
    wx, wy = qx - px, qy - py
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (wx * ey - wy * ex) / denom
        u = (wx * dy - wy * dx) / denom
    parallel = np.abs(denom) <= _PARALLEL * np.hypot(dx, dy) * np.hypot(ex, ey)
    degenerate = np.zeros(n, dtype=bool)
    on_line = parallel & (np.abs(wx * dy - wy * dx) <= 1e-9 * np.hypot(dx, dy) * (np.hypot(wx, wy) + 1))
    if on_line.any():  # collinear edges that overlap share a stretch of boundary
        dd = dx * dx + dy * dy
        s0 = (wx * dx + wy * dy) / dd
        s1 = ((wx + ex) * dx + (wy + ey) * dy) / dd
        overlap = on_line & (np.maximum(s0, s1) > -_EPS) & (np.minimum(s0, s1) < 1 + _EPS)
        degenerate[k[overlap]] = True
    meet = ~parallel & (t > -_EPS) & (t < 1 + _EPS) & (u > -_EPS) & (u < 1 + _EPS)
    touch = meet & ((t < _EPS) | (t > 1 - _EPS) | (u < _EPS) | (u > 1 - _EPS))
    degenerate[k[touch]] = True
    c = np.flatnonzero(meet & ~touch)

    # 3. each edge counted whole from its start point if that lies inside the other polygon
    n_es, n_et = len(es["owner"]), len(et["owner"])
    for edges, kk, ee, other, other_of_pair, crossing_edge, n_edges in (
            (es, k_s, e_s, tgt, ti, a[c], n_es), (et, k_t, e_t, src, si, b[c], n_et)):
        crossed = _counts(k[c].astype(np.int64) * n_edges + crossing_edge,
                          kk.astype(np.int64) * n_edges + ee)
        inside = _start_inside(edges, kk, ee, other, other_of_pair, crossed)
        x0, y0 = edges["x0"][ee][inside] - ox[kk[inside]], edges["y0"][ee][inside] - oy[kk[inside]]
        x1, y1 = edges["x1"][ee][inside] - ox[kk[inside]], edges["y1"][ee][inside] - oy[kk[inside]]
        areas += np.bincount(kk[inside], weights=(x0 * y1 - x1 * y0) / 2, minlength=n)

    # 4. corrections at every crossing, in extended precision and from one crossing point X shared
    # by both edges' terms, so that nearly parallel edges (ill-conditioned crossings) still close
    # the boundary exactly.
    L = np.longdouble
    px, py, dx, dy = px[c].astype(L), py[c].astype(L), dx[c].astype(L), dy[c].astype(L)
    qx, qy, ex, ey = qx[c].astype(L), qy[c].astype(L), ex[c].astype(L), ey[c].astype(L)
    t = ((qx - px) * ey - (qy - py) * ex) / (dx * ey - dy * ex)
    entering = np.sign(ex * dy - ey * dx)  # +1 where the source edge enters the target
    xx, xy = px + t * dx, py + t * dy      # the crossing point X
    # From X to the end of each edge: +/- cross(X, Q)/2 (source edge inside after X if entering).
    cs = (xx * (py + dy) - (px + dx) * xy) / 2
    ct = (xx * (qy + ey) - (qx + ex) * xy) / 2
    correction = entering * (cs - ct)
    areas += _sum_by(k[c], correction, n)

    # 3. touching boundaries: the exact overlay by GEOS
    if degenerate.any():
        d = np.flatnonzero(degenerate)
        areas[d] = shapely.area(shapely.intersection(S[si[d]], T[ti[d]]))
    dead = np.ones(n, dtype=bool)
    dead[live] = False
    areas[dead] = 0.0
    return np.maximum(areas, 0.0)
