"""The per-component work of the postprocess, written as plain loops over arrays.

The same algorithm as :mod:`textpost.levels.reference`, step for step, but every step
is a loop over pixels or points instead of a call into NumPy or OpenCV:

====================  ==========================================================
step                  function
====================  ==========================================================
label pass            :func:`label_max_scores` (one pass over the whole map)
mask + dilate         :func:`component_mask`, :func:`dilate_square`
points                :func:`edge_points`
hull                  :func:`convex_hull`
min-area rectangle    :func:`min_area_rect`, :func:`box_points`
diamond fix + order   :func:`finish_box`
all of it, per label  :func:`boxes_from_labels`
====================  ==========================================================

Thresholding and labelling (``cv2.connectedComponentsWithStats``) stay in
Python/OpenCV; :func:`binarize` is an optional one-pass replacement for the
two thresholds.

Every function is decorated with numba's ``register_jitable``: called directly
it is plain (slow) Python; called from an ``@njit`` function it is compiled.
The minimum-area rectangle follows OpenCV's own computation (same hull start,
same rotating calipers, same float32 rounding), so ties between equally small
rectangles are decided the same way and the boxes match the reference.

Float32 arithmetic is written with explicit ``np.float32`` constants (in
numba a float32 times a Python float is a float64, in NumPy it stays float32),
and float32 values are widened with ``np.float64(x)``, never ``float(x)``
(which numba leaves float32).
"""
from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable

FLT_MAX = 3.4028234663852886e38


@register_jitable
def binarize(textmap, linkmap, low_text, link_threshold):
    """The image to label: 1 where ``textmap > low_text`` or ``linkmap > link_threshold``.

    Both tests in float32 and strict, like ``cv2.threshold(..., THRESH_BINARY)``.
    """
    h, w = textmap.shape
    out = np.empty((h, w), np.uint8)
    for y in range(h):
        for x in range(w):
            out[y, x] = (textmap[y, x] > low_text) | (linkmap[y, x] > link_threshold)
    return out


@register_jitable
def label_max_scores(labels, textmap, n_labels):
    """One pass over the label image: the highest ``textmap`` value of every label."""
    best = np.full(n_labels, -np.inf, np.float32)
    h, w = labels.shape
    for y in range(h):
        for x in range(w):
            k = labels[y, x]
            if textmap[y, x] > best[k]:
                best[k] = textmap[y, x]
    return best


@register_jitable
def label_region(stats, k, img_h, img_w):
    """``niter`` and the region ``(x0, y0, x1, y1)`` (end exclusive) of label ``k``, as in the reference.

    In int64 (``stats`` is int32: ``area * min(w, h)`` could overflow it on big maps).
    """
    x, y = np.int64(stats[k, 0]), np.int64(stats[k, 1])
    w, h, area = np.int64(stats[k, 2]), np.int64(stats[k, 3]), np.int64(stats[k, 4])
    niter = int(math.sqrt(area * min(w, h) / (w * h)) * 2)
    x0 = max(x - niter, 0)
    y0 = max(y - niter, 0)
    x1 = min(x + w + niter + 1, img_w)
    y1 = min(y + h + niter + 1, img_h)
    return niter, x0, y0, x1, y1


@register_jitable
def component_mask(labels, textmap, k, low_text, x0, y0, x1, y1, mask):
    """``mask[:y1-y0, :x1-x0]``: 1 on the pixels of label ``k`` in the region that are text.

    A pixel of a label is text or link (or both); dropping the link-but-not-text
    pixels, as the reference does, leaves exactly its text pixels.
    """
    for y in range(y0, y1):
        for x in range(x0, x1):
            mask[y - y0, x - x0] = (labels[y, x] == k) & (textmap[y, x] > low_text)


@register_jitable
def dilate_square(mask, tmp, last, rh, rw, niter):
    """Dilate ``mask[:rh, :rw]`` in place with a (1 + niter) square, exactly like ``cv2.dilate``.

    With OpenCV's centred anchor (``size // 2``) a pixel grows ``size // 2``
    right (down) and ``ahead = size - 1 - size // 2`` left (up); pixels outside
    the region count as 0. A square is separable: rows into ``tmp``, then
    columns back into ``mask``. Each pass walks forward remembering where it
    last saw a pixel (``last``: one per column): output ``p`` is set when, at
    ``q = p + ahead``, that pixel is less than ``size`` back.
    """
    size = 1 + niter
    ahead = size - 1 - size // 2
    for y in range(rh):
        seen = -size
        for q in range(rw + ahead):
            if q < rw and mask[y, q]:
                seen = q
            if q >= ahead:
                tmp[y, q - ahead] = q - seen < size
    for x in range(rw):
        last[x] = -size
    for q in range(rh + ahead):
        if q < rh:
            for x in range(rw):
                if tmp[q, x]:
                    last[x] = q
        if q >= ahead:
            for x in range(rw):
                mask[q - ahead, x] = q - last[x] < size


@register_jitable
def edge_points(mask, rh, rw, x0, y0, pts):
    """The nonzero pixels that can be hull corners: the first and last of each row.

    Written to ``pts`` as (x, y) map coordinates in raster order (by y, then x);
    returns their number. Pixels between them lie on a segment and cannot be corners.
    """
    n = 0
    for y in range(rh):
        first = 0
        while first < rw and mask[y, first] == 0:
            first += 1
        if first == rw:          # an empty row
            continue
        last = rw - 1
        while mask[y, last] == 0:
            last -= 1
        pts[n, 0] = x0 + first
        pts[n, 1] = y0 + y
        n += 1
        if last != first:
            pts[n, 0] = x0 + last
            pts[n, 1] = y0 + y
            n += 1
    return n


@register_jitable
def cross(ox, oy, ax, ay, bx, by):
    """z of (a - o) x (b - o): > 0 for a left turn o -> a -> b (x right, y up)."""
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


@register_jitable
def convex_hull(pts, n, work, hull):
    """Corners of the convex hull of ``pts[:n]`` (sorted by y, then x) into ``hull``; returns their number.

    Monotone chain (no collinear corners, turning left). The corners are then put
    in the order ``cv2.convexHull(points, clockwise=False)`` returns: it starts at
    the largest (x, y) point, and then rotates the cycle so that the points'
    input positions (raster order) ascend or descend when they can.
    ``cv2.minAreaRect`` depends on that start when two rectangles tie.
    """
    if n <= 1:
        if n == 1:
            hull[0, 0] = pts[0, 0]
            hull[0, 1] = pts[0, 1]
        return n
    m = 0
    for i in range(n):  # one side of the hull, then the other on the way back
        while m >= 2 and cross(work[m - 2, 0], work[m - 2, 1], work[m - 1, 0], work[m - 1, 1],
                               pts[i, 0], pts[i, 1]) <= 0:
            m -= 1
        work[m, 0] = pts[i, 0]
        work[m, 1] = pts[i, 1]
        m += 1
    first_side = m + 1
    for i in range(n - 2, -1, -1):
        while m >= first_side and cross(work[m - 2, 0], work[m - 2, 1], work[m - 1, 0], work[m - 1, 1],
                                        pts[i, 0], pts[i, 1]) <= 0:
            m -= 1
        work[m, 0] = pts[i, 0]
        work[m, 1] = pts[i, 1]
        m += 1
    m -= 1  # the last corner is the first one again

    # OpenCV's first corner: the largest x, then the largest y
    start = 0
    for i in range(1, m):
        if work[i, 0] > work[start, 0] or (work[i, 0] == work[start, 0] and work[i, 1] > work[start, 1]):
            start = i
    for i in range(m):
        j = (start + i) % m
        hull[i, 0] = work[j, 0]
        hull[i, 1] = work[j, 1]
    shift = raster_order_start(hull, m)
    if shift > 0:
        for i in range(m):
            j = (start + shift + i) % m
            hull[i, 0] = work[j, 0]
            hull[i, 1] = work[j, 1]
    return m


@register_jitable
def raster_key(hull, i):
    """Position of corner ``i`` in raster order (the order of the reference's point list)."""
    return hull[i, 1] * 4294967296 + hull[i, 0]


@register_jitable
def raster_order_start(hull, m):
    """Where ``cv2.convexHull`` lets the cycle start: a corner from which the raster
    positions ascend (or descend) all the way round, if there is one, else 0.
    (The same tests as OpenCV, including its early exit.)"""
    if m < 3:
        return 0
    min_i = 0
    max_i = 0
    rises = 0
    for i in range(1, m):
        key = raster_key(hull, i)
        if raster_key(hull, i - 1) < key:
            rises += 1
        if 1 < rises <= i - 2:
            break
        if key < raster_key(hull, min_i):
            min_i = i
        if key > raster_key(hull, max_i):
            max_i = i
    gap = abs(max_i - min_i)
    if not ((gap == 1 or gap == m - 1) and (rises <= 1 or rises >= m - 2)):
        return 0
    ascending = (max_i + 1) % m == min_i
    start = min_i if ascending else max_i
    if start == 0:
        return 0
    j = start
    for i in range(m - 1):
        nxt = j + 1 if j + 1 < m else 0
        if ascending != (raster_key(hull, j) < raster_key(hull, nxt)):
            return 0
        j = nxt
    return start


@register_jitable
def radians_to_degrees(angle):
    """OpenCV's ``(float)(angle * 180 / CV_PI)`` for a float ``angle``: the product is a float."""
    return np.float32(np.float64(angle * np.float32(180.0)) / math.pi)


@register_jitable
def is_right_of(ax, ay, bx, by):
    """True when vector a points clockwise of vector b (float32, as OpenCV tests it)."""
    return ay * bx + (-ax) * by < np.float32(0.0)


@register_jitable
def min_area_rect(hull, m, edges):
    """``cv2.minAreaRect`` of the convex polygon ``hull[:m]``: (cx, cy, w, h, angle in degrees).

    Rotating calipers as OpenCV does them, in float32: four calipers (bottom,
    right, top, left) start at the extreme corners; each step turns them by the
    smallest angle that lays one of them on a hull edge and measures the
    rectangle; the last smallest area wins (m steps: O(m)). ``edges`` is scratch space (m x 3).
    """
    f32, f64 = np.float32, np.float64
    zero = f32(0.0)
    if m == 0:
        return zero, zero, zero, zero, zero
    if m == 1:
        return f32(hull[0, 0]), f32(hull[0, 1]), zero, zero, zero
    if m == 2:
        ax, ay = f32(hull[0, 0]), f32(hull[0, 1])
        bx, by = f32(hull[1, 0]), f32(hull[1, 1])
        dx = f64(bx - ax)
        dy = f64(by - ay)
        angle = f32(math.atan2(dy, dx))
        return ((ax + bx) * f32(0.5), (ay + by) * f32(0.5), f32(math.sqrt(dx * dx + dy * dy)), zero,
                radians_to_degrees(angle))

    # edge vectors, their inverse lengths, and the extreme corners (first ones found)
    left = right = top = bottom = 0
    left_x = right_x = f32(hull[0, 0])
    top_y = bottom_y = f32(hull[0, 1])
    for i in range(m):
        x, y = f32(hull[i, 0]), f32(hull[i, 1])
        if x < left_x:
            left_x, left = x, i
        if x > right_x:
            right_x, right = x, i
        if y > top_y:
            top_y, top = y, i
        if y < bottom_y:
            bottom_y, bottom = y, i
        j = i + 1 if i + 1 < m else 0
        dx = f32(hull[j, 0]) - x
        dy = f32(hull[j, 1]) - y
        edges[i, 0] = dx
        edges[i, 1] = dy
        edges[i, 2] = f32(1.0 / math.sqrt(f64(dx) * f64(dx) + f64(dy) * f64(dy)))

    # the polygon's orientation gives the first caliper direction (a, b) = (+-1, 0)
    base_a = f32(1.0)
    ax, ay = f64(edges[m - 1, 0]), f64(edges[m - 1, 1])
    for i in range(m):
        bx, by = f64(edges[i, 0]), f64(edges[i, 1])
        turn = ax * by - ay * bx
        if turn != 0:
            base_a = f32(1.0) if turn > 0 else f32(-1.0)
            break
        ax, ay = bx, by
    base_b = zero

    s0, s1, s2, s3 = bottom, right, top, left   # corner under each caliper
    min_area = f32(FLT_MAX)
    best_left = best_bottom = 0
    best_a = best_b = best_w = best_h = zero
    for _ in range(m):
        # the edge leaving each caliper's corner, turned into caliper 0's frame;
        # the caliper whose edge turns least (the rightmost vector) moves next
        r0x, r0y = edges[s0, 0], edges[s0, 1]
        r1x, r1y = edges[s1, 1], -edges[s1, 0]
        r2x, r2y = -edges[s2, 0], -edges[s2, 1]
        r3x, r3y = -edges[s3, 1], edges[s3, 0]
        main, best_x, best_y = 0, r0x, r0y
        if is_right_of(r1x, r1y, best_x, best_y):
            main, best_x, best_y = 1, r1x, r1y
        if is_right_of(r2x, r2y, best_x, best_y):
            main, best_x, best_y = 2, r2x, r2y
        if is_right_of(r3x, r3y, best_x, best_y):
            main, best_x, best_y = 3, r3x, r3y

        # turn the calipers onto that edge and move its caliper to the next corner
        p = s0 if main == 0 else s1 if main == 1 else s2 if main == 2 else s3
        lead_x = edges[p, 0] * edges[p, 2]
        lead_y = edges[p, 1] * edges[p, 2]
        if main == 0:
            base_a, base_b = lead_x, lead_y
            s0 = s0 + 1 if s0 + 1 < m else 0
        elif main == 1:
            base_a, base_b = lead_y, -lead_x
            s1 = s1 + 1 if s1 + 1 < m else 0
        elif main == 2:
            base_a, base_b = -lead_x, -lead_y
            s2 = s2 + 1 if s2 + 1 < m else 0
        else:
            base_a, base_b = -lead_y, lead_x
            s3 = s3 + 1 if s3 + 1 < m else 0

        # the rectangle: width between the left and right calipers, height between bottom and top
        dx = f32(hull[s1, 0]) - f32(hull[s3, 0])
        dy = f32(hull[s1, 1]) - f32(hull[s3, 1])
        width = dx * base_a + dy * base_b
        dx = f32(hull[s2, 0]) - f32(hull[s0, 0])
        dy = f32(hull[s2, 1]) - f32(hull[s0, 1])
        height = -dx * base_b + dy * base_a
        area = width * height
        if area <= min_area:
            min_area = area
            best_left, best_bottom = s3, s0
            best_a, best_b, best_w, best_h = base_a, base_b, width, height

    # corner where the left and bottom calipers meet, and the two side vectors
    a1, b1 = best_a, best_b
    a2, b2 = -best_b, best_a
    c1 = a1 * f32(hull[best_left, 0]) + f32(hull[best_left, 1]) * b1
    c2 = a2 * f32(hull[best_bottom, 0]) + f32(hull[best_bottom, 1]) * b2
    idet = f32(1.0) / (a1 * b2 - a2 * b1)
    px = (c1 * b2 - c2 * b1) * idet
    py = (a1 * c2 - a2 * c1) * idet
    v1x, v1y = a1 * best_w, b1 * best_w
    v2x, v2y = a2 * best_h, b2 * best_h

    cx = px + (v1x + v2x) * f32(0.5)
    cy = py + (v1y + v2y) * f32(0.5)
    w = f32(math.sqrt(f64(v1x) * f64(v1x) + f64(v1y) * f64(v1y)))
    h = f32(math.sqrt(f64(v2x) * f64(v2x) + f64(v2y) * f64(v2y)))
    angle = f32(math.atan2(f64(v1y), f64(v1x)))
    return cx, cy, w, h, radians_to_degrees(angle)


@register_jitable
def box_points(cx, cy, w, h, angle, box):
    """The 4 corners of a rotated rectangle into ``box`` (4 x 2), exactly as ``cv2.boxPoints``.

    At angle 0 the corners are bottom-left, top-left, top-right, bottom-right
    (image coordinates, y down): clockwise on screen. A rotation keeps that
    direction, so after the start-corner rotation every box runs clockwise from
    its top-left corner, like the diamond fix's axis-aligned box.
    """
    f32 = np.float32
    rad = np.float64(angle) * math.pi / 180.0
    b = f32(math.cos(rad)) * f32(0.5)
    a = f32(math.sin(rad)) * f32(0.5)
    box[0, 0] = cx - a * h - b * w
    box[0, 1] = cy + b * h - a * w
    box[1, 0] = cx + a * h - b * w
    box[1, 1] = cy - b * h - a * w
    box[2, 0] = f32(2.0) * cx - box[0, 0]
    box[2, 1] = f32(2.0) * cy - box[0, 1]
    box[3, 0] = f32(2.0) * cx - box[1, 0]
    box[3, 1] = f32(2.0) * cy - box[1, 1]


@register_jitable
def finish_box(box, pts, n):
    """The reference's last two steps, in place on ``box``.

    Diamond fix: a nearly square box (side ratio within 10 %) becomes the
    axis-aligned bounding box of the points. Then the corners are rotated so
    the first one has the smallest x + y (the first such), keeping their cycle.
    """
    f32 = np.float32
    dx, dy = box[0, 0] - box[1, 0], box[0, 1] - box[1, 1]
    side_a = f32(math.sqrt(dx * dx + dy * dy))
    dx, dy = box[1, 0] - box[2, 0], box[1, 1] - box[2, 1]
    side_b = f32(math.sqrt(dx * dx + dy * dy))
    ratio = max(side_a, side_b) / (min(side_a, side_b) + f32(1e-5))
    if abs(f32(1.0) - ratio) <= f32(0.1):
        left, right, top, bottom = pts[0, 0], pts[0, 0], pts[0, 1], pts[0, 1]
        for i in range(1, n):
            left = min(left, pts[i, 0])
            right = max(right, pts[i, 0])
            top = min(top, pts[i, 1])
            bottom = max(bottom, pts[i, 1])
        box[0, 0], box[0, 1] = f32(left), f32(top)
        box[1, 0], box[1, 1] = f32(right), f32(top)
        box[2, 0], box[2, 1] = f32(right), f32(bottom)
        box[3, 0], box[3, 1] = f32(left), f32(bottom)

    start = 0
    for i in range(1, 4):
        if box[i, 0] + box[i, 1] < box[start, 0] + box[start, 1]:
            start = i
    if start > 0:
        xs = (box[0, 0], box[1, 0], box[2, 0], box[3, 0])
        ys = (box[0, 1], box[1, 1], box[2, 1], box[3, 1])
        for i in range(4):
            box[i, 0] = xs[(start + i) % 4]
            box[i, 1] = ys[(start + i) % 4]


@register_jitable
def max_region_size(stats, n_labels, img_h, img_w):
    """Height and width of the largest region of any label (to size the scratch buffers once)."""
    max_h = 0
    max_w = 0
    for k in range(1, n_labels):
        niter, x0, y0, x1, y1 = label_region(stats, k, img_h, img_w)
        max_h = max(max_h, y1 - y0)
        max_w = max(max_w, x1 - x0)
    return max_h, max_w


@register_jitable
def box_of_label(labels, stats, k, textmap, low_text, mask, tmp, last, pts, work, hull, edges, box):
    """Steps mask -> dilate -> points -> hull -> rectangle -> diamond/order for label ``k``, into ``box``."""
    img_h, img_w = labels.shape
    niter, x0, y0, x1, y1 = label_region(stats, k, img_h, img_w)
    rh, rw = y1 - y0, x1 - x0
    component_mask(labels, textmap, k, low_text, x0, y0, x1, y1, mask)
    dilate_square(mask, tmp, last, rh, rw, niter)
    n = edge_points(mask, rh, rw, x0, y0, pts)
    m = convex_hull(pts, n, work, hull)
    cx, cy, w, h, angle = min_area_rect(hull, m, edges)
    box_points(cx, cy, w, h, angle, box)
    finish_box(box, pts, n)


@register_jitable
def boxes_from_labels(labels, stats, n_labels, textmap, text_threshold, low_text):
    """The whole per-label loop of the reference: (K, 4, 2) float32 boxes in label order.

    ``labels``, ``stats``, ``n_labels`` come from ``cv2.connectedComponentsWithStats``;
    the thresholds are float32.
    """
    img_h, img_w = labels.shape
    best = label_max_scores(labels, textmap, n_labels)
    max_h, max_w = max_region_size(stats, n_labels, img_h, img_w)
    slots = np.empty((n_labels, 4, 2), np.float32)
    keep = np.zeros(n_labels, np.bool_)
    boxes_of_chunk(labels, stats, textmap, best, text_threshold, low_text, max_h, max_w, 1, n_labels,
                   slots, keep)
    return slots[keep]


@register_jitable
def boxes_of_chunk(labels, stats, textmap, best, text_threshold, low_text,
                   max_h, max_w, first, stop, slots, keep):
    """Labels ``first .. stop - 1``: each kept label's box into ``slots[k]``, and ``keep[k] = True``.

    The unit of work when several threads share the labels (each chunk has its own buffers,
    allocated once, for the largest region).
    ``best`` is :func:`label_max_scores`, ``max_h, max_w`` is :func:`max_region_size`.
    """
    mask = np.empty((max_h, max_w), np.uint8)
    tmp = np.empty((max_h, max_w), np.uint8)
    last = np.empty(max_w, np.int64)
    pts = np.empty((2 * max_h, 2), np.int64)
    work = np.empty((2 * max_h + 1, 2), np.int64)
    hull = np.empty((2 * max_h + 1, 2), np.int64)
    edges = np.empty((2 * max_h + 1, 3), np.float32)
    for k in range(first, stop):
        if stats[k, 4] < 10 or best[k] < text_threshold:
            continue
        box_of_label(labels, stats, k, textmap, low_text, mask, tmp, last, pts, work, hull, edges, slots[k])
        keep[k] = True
