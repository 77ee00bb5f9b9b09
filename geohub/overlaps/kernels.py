"""Compiled (numba) kernels of the area engine in ``geohub.overlaps.areas``.

Three promises, each relied on by the next:

1. **Exact orientation.** ``_orient`` gives the exact sign of the orientation determinant of three
   float64 points: a floating-point filter (Shewchuk's error bound) decides almost every case, and
   the rest are summed exactly as an expansion of error-free products and sums.
2. **No degenerate cases.** Every decision treats the target polygon as translated by an
   infinitesimal δ = (ε, ε²) (symbolic perturbation). A vertex on the other polygon's edge, shared
   vertices and collinear shared edges then all have a definite answer (above or below, inside or
   outside), and the answers are those of a real configuration, so crossing counts, ring walks
   and point-in-polygon tests always agree. The intersection area is continuous in δ, so the
   area computed from the unperturbed coordinates is the exact area, to rounding.
3. **Green's theorem per pair.** The boundary of A ∩ B is A's edges inside B and B's edges inside
   A; along an edge P→Q the integrand of ½∮(x dy − y dx) is constant, so an edge contributes
   cross(P, Q)/2 when it starts inside the other polygon, plus ±cross(X, Q)/2 at every crossing X
   (+ where it enters). Whether an edge starts inside follows from the edge before it on the ring
   and its crossings, so only the first edge of each run of edges near the other polygon needs a
   point-in-polygon test.

All loops are plain Python compiled by numba (``cache=True``: compiled once per machine and kept
in ``__pycache__``). Edges are grouped in blocks of ``BLOCK`` consecutive edges and blocks in
supers of ``BLOCK`` blocks, each with a bounding box, so that the edges near a window and the
edges a ray can cross are found without visiting the rest.
"""
from __future__ import annotations

import numba as nb
import numpy as np

BLOCK = 8                     # edges per block, blocks per super-block
_CCW_BOUND = 3.3306690738754716e-16  # Shewchuk's ccwerrboundA = (3 + 16u)u
_SPLITTER = 134217729.0       # 2^27 + 1, Dekker's split of a float64 into two 26-bit halves

njit = nb.njit(cache=True, nogil=True)


# ------------------------------------------------------------------------------ exact predicates

@njit
def _two_product(a, b):
    """a * b as an unevaluated sum hi + lo, exactly (Dekker)."""
    p = a * b
    c = _SPLITTER * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLITTER * b
    bh = c - (c - b)
    bl = b - bh
    return p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)


@njit
def _two_sum(a, b):
    """a + b as an unevaluated sum hi + lo, exactly (Knuth)."""
    s = a + b
    bv = s - a
    av = s - bv
    return s, (a - av) + (b - bv)


@njit
def _sign_of_sum(terms):
    """The exact sign of the sum of ``terms``, by growing a nonoverlapping expansion (Shewchuk):
    its largest component has the sign of the sum."""
    e = np.empty(len(terms) + 1)
    m = 0
    for i in range(len(terms)):
        q = terms[i]
        k = 0
        for j in range(m):
            q, h = _two_sum(q, e[j])
            if h != 0.0:
                e[k] = h
                k += 1
        if q != 0.0:
            e[k] = q
            k += 1
        m = k
    if m == 0:
        return 0
    return 1 if e[m - 1] > 0.0 else -1


@njit
def _orient(ax, ay, bx, by, cx, cy):
    """Exact sign of cross(b − a, c − a): +1 if c is left of a→b, −1 right, 0 on the line.

    Exact for coordinates whose products do not underflow (any map: differences above 1e-150).
    """
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    det = left - right
    bound = _CCW_BOUND * (abs(left) + abs(right))
    if det > bound:
        return 1
    if -det > bound:
        return -1
    if left == 0.0 and right == 0.0:
        # Each product has an exactly zero factor (a difference of distinct floats is never
        # zero; products of map coordinates do not underflow), so the determinant is zero.
        return 0
    # det = bx·cy − bx·ay − ax·cy − by·cx + ax·by + ay·cx (ax·ay cancels): six exact products.
    t = np.empty(12)
    t[0], t[1] = _two_product(bx, cy)
    t[2], t[3] = _two_product(-bx, ay)
    t[4], t[5] = _two_product(-ax, cy)
    t[6], t[7] = _two_product(-by, cx)
    t[8], t[9] = _two_product(ax, by)
    t[10], t[11] = _two_product(ay, cx)
    return _sign_of_sum(t)


@njit
def _side_of_a(ax0, ay0, ax1, ay1, qx, qy):
    """Sign of orient(a0, a1, q + δ): which side of A's edge line a (perturbed) B point is on."""
    o = _orient(ax0, ay0, ax1, ay1, qx, qy)
    if o != 0:
        return o
    # orient(a0, a1, q + δ) = o + dx·ε² − dy·ε
    dy = ay1 - ay0
    if dy != 0.0:
        return -1 if dy > 0.0 else 1
    return 1 if ax1 > ax0 else -1


@njit
def _side_of_b(bx0, by0, bx1, by1, px, py):
    """Sign of orient(b0 + δ, b1 + δ, p): which side of B's (perturbed) edge line A's point is on."""
    o = _orient(bx0, by0, bx1, by1, px, py)
    if o != 0:
        return o
    # orient(b0 + δ, b1 + δ, p) = o − ex·ε² + ey·ε
    ey = by1 - by0
    if ey != 0.0:
        return 1 if ey > 0.0 else -1
    return -1 if bx1 > bx0 else 1


# --------------------------------------------------------------------------- polygons to edges

@njit
def build_edges(xy, ring_start, ring_owner, ring_exterior, n_geoms):
    """Oriented edges (interior on the left: exteriors counter-clockwise, holes clockwise) of
    rings given as coordinate runs ``xy[ring_start[r]:ring_start[r + 1]]`` (closed: last = first).

    Returns x0, y0, x1, y1, ring, owner_offsets (edges of geometry g are
    ``owner_offsets[g]:owner_offsets[g + 1]``) and area per geometry.
    Consecutive edges of a ring follow each other, each starting where the one before ends;
    zero-length edges are left out.
    """
    n_rings = len(ring_owner)
    counts = np.zeros(n_geoms + 1, dtype=np.int64)
    total = 0
    for r in range(n_rings):
        s, e = ring_start[r], ring_start[r + 1]
        for j in range(s, e - 1):
            if xy[j, 0] != xy[j + 1, 0] or xy[j, 1] != xy[j + 1, 1]:
                total += 1
    x0 = np.empty(total)
    y0 = np.empty(total)
    x1 = np.empty(total)
    y1 = np.empty(total)
    ring = np.empty(total, dtype=np.int64)
    offsets = np.zeros(n_geoms + 1, dtype=np.int64)
    area = np.zeros(n_geoms)
    n = 0
    for r in range(n_rings):
        s, e = ring_start[r], ring_start[r + 1]
        g = ring_owner[r]
        if e - s < 2:
            continue
        ox, oy = xy[s, 0], xy[s, 1]
        signed = 0.0
        for j in range(s, e - 1):
            signed += (xy[j, 0] - ox) * (xy[j + 1, 1] - oy) - (xy[j + 1, 0] - ox) * (xy[j, 1] - oy)
        signed /= 2.0
        flip = (signed < 0.0) if ring_exterior[r] else (signed > 0.0)
        area[g] += abs(signed) if ring_exterior[r] else -abs(signed)
        for i in range(e - 1 - s):
            j = (e - 1 - i) if flip else (s + i)
            k = (j - 1) if flip else (j + 1)
            xj, yj, xk, yk = xy[j, 0], xy[j, 1], xy[k, 0], xy[k, 1]
            if xj == xk and yj == yk:
                continue
            x0[n], y0[n], x1[n], y1[n] = xj, yj, xk, yk
            ring[n] = r
            n += 1
        counts[g + 1] = n
    # owners' rings come in order, so the running count at each owner's last ring is its end
    for g in range(n_geoms):
        offsets[g + 1] = max(counts[g + 1], offsets[g])
    return x0, y0, x1, y1, ring, offsets, area


@njit
def _group(starts_of_owner, x0, y0, x1, y1, size):
    """Groups of up to ``size`` consecutive items within each owner, with their bounding boxes.

    ``starts_of_owner[g]:starts_of_owner[g + 1]`` are owner g's items; item i spans the points
    (x0[i], y0[i]) and (x1[i], y1[i]) (an edge, or a box's corners). Returns (first item of each
    group with one past the end appended, groups of each owner as offsets, boxes n × 4).
    """
    n_owners = len(starts_of_owner) - 1
    n_groups = 0
    for g in range(n_owners):
        n_groups += (starts_of_owner[g + 1] - starts_of_owner[g] + size - 1) // size
    first = np.empty(n_groups + 1, dtype=np.int64)
    of_owner = np.zeros(n_owners + 1, dtype=np.int64)
    box = np.empty((n_groups, 4))
    k = 0
    for g in range(n_owners):
        for s in range(starts_of_owner[g], starts_of_owner[g + 1], size):
            first[k] = s
            lo_x, hi_x = min(x0[s], x1[s]), max(x0[s], x1[s])
            lo_y, hi_y = min(y0[s], y1[s]), max(y0[s], y1[s])
            for i in range(s + 1, min(s + size, starts_of_owner[g + 1])):
                lo_x, hi_x = min(lo_x, x0[i], x1[i]), max(hi_x, x0[i], x1[i])
                lo_y, hi_y = min(lo_y, y0[i], y1[i]), max(hi_y, y0[i], y1[i])
            box[k, 0], box[k, 1], box[k, 2], box[k, 3] = lo_x, lo_y, hi_x, hi_y
            k += 1
        of_owner[g + 1] = k
    first[n_groups] = starts_of_owner[n_owners]
    return first, of_owner, box


@njit
def build_blocks(x0, y0, x1, y1, offsets):
    """Blocks of ``BLOCK`` edges and supers of ``BLOCK`` blocks, per owner, with boxes.

    Returns (block_edge, block_box, super_block, super_box, owner_super): block b holds edges
    ``block_edge[b]:block_edge[b + 1]``, super s holds blocks ``super_block[s]:super_block[s + 1]``
    and owner g has supers ``owner_super[g]:owner_super[g + 1]``.
    """
    block_edge, owner_block, block_box = _group(offsets, x0, y0, x1, y1, BLOCK)
    super_block, owner_super, super_box = _group(
        owner_block, block_box[:, 0], block_box[:, 1], block_box[:, 2], block_box[:, 3], BLOCK)
    return block_edge, block_box, super_block, super_box, owner_super


# ------------------------------------------------------------------------------------ per pair

@njit
def _meets(box, i, wx0, wy0, wx1, wy1):
    return box[i, 0] <= wx1 and box[i, 2] >= wx0 and box[i, 1] <= wy1 and box[i, 3] >= wy0


@njit
def _near(P, g, wx0, wy0, wx1, wy1, edges_out, blocks_out):
    """Edges (in ring order) and blocks of geometry g whose boxes meet the window; their counts."""
    x0, y0, x1, y1, _ring, block_edge, block_box, super_block, super_box, owner_super, _gb = P
    n_e = 0
    n_b = 0
    for s in range(owner_super[g], owner_super[g + 1]):
        if not _meets(super_box, s, wx0, wy0, wx1, wy1):
            continue
        for b in range(super_block[s], super_block[s + 1]):
            if not _meets(block_box, b, wx0, wy0, wx1, wy1):
                continue
            blocks_out[n_b] = b
            n_b += 1
            for e in range(block_edge[b], block_edge[b + 1]):
                if (min(x0[e], x1[e]) <= wx1 and max(x0[e], x1[e]) >= wx0
                        and min(y0[e], y1[e]) <= wy1 and max(y0[e], y1[e]) >= wy0):
                    edges_out[n_e] = e
                    n_e += 1
    return n_e, n_b


@njit
def _a_point_in_b(px, py, B, g):
    """Is A's point p inside B's geometry g translated by δ? (Crossings of the ray p → +x.)"""
    x0, y0, x1, y1, _ring, block_edge, block_box, super_block, super_box, owner_super, gb = B
    # outside the translated box [x0 + ε, x1 + ε] × [y0 + ε², y1 + ε²]
    if px <= gb[g, 0] or px > gb[g, 2] or py <= gb[g, 1] or py > gb[g, 3]:
        return False
    inside = False
    for s in range(owner_super[g], owner_super[g + 1]):
        # a q straddles the line y = py iff (q_y + ε² > py) ⇔ q_y >= py differs along the edge
        if super_box[s, 3] < py or super_box[s, 1] > py or super_box[s, 2] < px:
            continue
        for b in range(super_block[s], super_block[s + 1]):
            if block_box[b, 3] < py or block_box[b, 1] > py or block_box[b, 2] < px:
                continue
            for e in range(block_edge[b], block_edge[b + 1]):
                up0 = y0[e] >= py
                up1 = y1[e] >= py
                if up0 == up1:
                    continue
                side = _side_of_b(x0[e], y0[e], x1[e], y1[e], px, py)
                if (side > 0) == up1:  # p left of an upward edge, right of a downward one
                    inside = not inside
    return inside


@njit
def _b_point_in_a(qx, qy, A, g):
    """Is B's point q + δ inside A's geometry g? (Crossings of the ray q + δ → +x.)"""
    x0, y0, x1, y1, _ring, block_edge, block_box, super_block, super_box, owner_super, gb = A
    if qx < gb[g, 0] or qx >= gb[g, 2] or qy < gb[g, 1] or qy >= gb[g, 3]:
        return False
    inside = False
    for s in range(owner_super[g], owner_super[g + 1]):
        # an a is above q + δ iff a_y > q_y + ε² ⇔ a_y > q_y
        if super_box[s, 3] <= qy or super_box[s, 1] > qy or super_box[s, 2] < qx:
            continue
        for b in range(super_block[s], super_block[s + 1]):
            if block_box[b, 3] <= qy or block_box[b, 1] > qy or block_box[b, 2] < qx:
                continue
            for e in range(block_edge[b], block_edge[b + 1]):
                up0 = y0[e] > qy
                up1 = y1[e] > qy
                if up0 == up1:
                    continue
                side = _side_of_a(x0[e], y0[e], x1[e], y1[e], qx, qy)
                if (side > 0) == up1:
                    inside = not inside
    return inside


@njit
def _inside_edges(P, edges, n, counts, other, g_other, ox, oy, p_is_a):
    """Σ cross(P, Q)/2 over P's window edges that start inside the other polygon, walking each
    run of consecutive edges from one point-in-polygon test; and Σ of the terms' magnitudes."""
    x0, y0, x1, y1, ring = P[0], P[1], P[2], P[3], P[4]
    total = 0.0
    magnitude = 0.0
    inside = False
    for m in range(n):
        e = edges[m]
        if m == 0 or edges[m - 1] != e - 1 or ring[e] != ring[e - 1]:
            if p_is_a:
                inside = _a_point_in_b(x0[e], y0[e], other, g_other)
            else:
                inside = _b_point_in_a(x0[e], y0[e], other, g_other)
        if inside:
            u = (x0[e] - ox) * (y1[e] - oy)
            v = (x1[e] - ox) * (y0[e] - oy)
            total += (u - v) / 2.0
            magnitude += (abs(u) + abs(v)) / 2.0
        if counts[e] & 1:
            inside = not inside
        counts[e] = 0
    return total, magnitude


@njit
def pair_areas(A, B, si, ti):
    """Area of A's geometry si[k] ∩ B's geometry ti[k] for every k, and a bound on its rounding.

    ``A`` and ``B`` are the tuples ``PolygonIndex.kernel_input`` returns. The bound (a small
    multiple of the sum of the magnitudes of the terms) lets callers tell "touching only" (an area
    within the bound of zero) from a real overlap.
    """
    ax0, ay0, ax1, ay1 = A[0], A[1], A[2], A[3]
    bx0, by0, bx1, by1 = B[0], B[1], B[2], B[3]
    a_block_edge, a_block_box = A[5], A[6]
    b_block_edge, b_block_box = B[5], B[6]
    ga, gb = A[10], B[10]
    a_off, b_off = A[11], B[11]
    n = len(si)
    out = np.zeros(n)
    err = np.zeros(n)
    max_a = max_b = 0
    for g in range(len(a_off) - 1):
        max_a = max(max_a, a_off[g + 1] - a_off[g])
    for g in range(len(b_off) - 1):
        max_b = max(max_b, b_off[g + 1] - b_off[g])
    a_edges = np.empty(max_a, dtype=np.int64)
    b_edges = np.empty(max_b, dtype=np.int64)
    a_blocks = np.empty(max_a, dtype=np.int64)
    b_blocks = np.empty(max_b, dtype=np.int64)
    a_count = np.zeros(len(ax0), dtype=np.int32)
    b_count = np.zeros(len(bx0), dtype=np.int32)
    A_ = A[:11]
    B_ = B[:11]
    for k in range(n):
        a, b = si[k], ti[k]
        wx0, wy0 = max(ga[a, 0], gb[b, 0]), max(ga[a, 1], gb[b, 1])
        wx1, wy1 = min(ga[a, 2], gb[b, 2]), min(ga[a, 3], gb[b, 3])
        if not (wx0 <= wx1 and wy0 <= wy1):
            continue
        na, nab = _near(A_, a, wx0, wy0, wx1, wy1, a_edges, a_blocks)
        nb_, nbb = _near(B_, b, wx0, wy0, wx1, wy1, b_edges, b_blocks)
        ox, oy = wx0, wy0  # a local origin keeps the terms small
        total = 0.0
        magnitude = 0.0
        # crossings of A's edges with B's, block against block, then edge against edge
        for i in range(nab):
            ba = a_blocks[i]
            for j in range(nbb):
                bb = b_blocks[j]
                if not _meets(a_block_box, ba, b_block_box[bb, 0], b_block_box[bb, 1],
                              b_block_box[bb, 2], b_block_box[bb, 3]):
                    continue
                for ea in range(a_block_edge[ba], a_block_edge[ba + 1]):
                    px0, py0, px1, py1 = ax0[ea], ay0[ea], ax1[ea], ay1[ea]
                    for eb in range(b_block_edge[bb], b_block_edge[bb + 1]):
                        qx0, qy0, qx1, qy1 = bx0[eb], by0[eb], bx1[eb], by1[eb]
                        if (max(px0, px1) < min(qx0, qx1) or min(px0, px1) > max(qx0, qx1)
                                or max(py0, py1) < min(qy0, qy1) or min(py0, py1) > max(qy0, qy1)):
                            continue
                        s0 = _side_of_a(px0, py0, px1, py1, qx0, qy0)
                        s1 = _side_of_a(px0, py0, px1, py1, qx1, qy1)
                        if s0 == s1:
                            continue
                        r0 = _side_of_b(qx0, qy0, qx1, qy1, px0, py0)
                        r1 = _side_of_b(qx0, qy0, qx1, qy1, px1, py1)
                        if r0 == r1:
                            continue
                        a_count[ea] += 1
                        b_count[eb] += 1
                        # The crossing X, shared by both edges' terms: where X sits along nearly
                        # parallel edges is ill-conditioned, but cross(X, P1 − Q1) barely
                        # depends on it, so the boundary still closes.
                        dx, dy = px1 - px0, py1 - py0
                        ex, ey = qx1 - qx0, qy1 - qy0
                        wx, wy = qx0 - px0, qy0 - py0
                        denom = dx * ey - dy * ex
                        t = (wx * ey - wy * ex) / denom if denom != 0.0 else 0.5
                        if not (t >= 0.0):
                            t = 0.0 if t < 0.0 else 0.5
                        elif t > 1.0:
                            t = 1.0
                        xx = (px0 - ox) + t * dx
                        xy = (py0 - oy) + t * dy
                        u = xx * (py1 - qy1)
                        v = xy * (px1 - qx1)
                        term = (u - v) / 2.0
                        total += term if r1 > 0 else -term  # + where A's edge enters B
                        # X is rounded relative to its parts, not to its (possibly cancelled)
                        # offset from the origin: a crossing at the window's corner has a tiny
                        # term whose error is still eps x the edge's length.
                        magnitude += ((abs(px0 - ox) + abs(t * dx)) * abs(py1 - qy1)
                                      + (abs(py0 - oy) + abs(t * dy)) * abs(px1 - qx1)) / 2.0
        t_a, m_a = _inside_edges(A_, a_edges, na, a_count, B_, b, ox, oy, True)
        t_b, m_b = _inside_edges(B_, b_edges, nb_, b_count, A_, a, ox, oy, False)
        out[k] = total + t_a + t_b
        err[k] = magnitude + m_a + m_b
    return out, err
