# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The loop kernels of textpost.levels.kernels, in Cython: typed memoryviews, C types, no GIL.

Each function sits between a line '# kernel: <name>' and a line '# end kernel'
so that a notebook's %%cython cell can hold exactly the same text (a test
compares them). Float32 arithmetic is written with <float> casts on every
constant: in C, float * 0.5 would be computed in double.
"""
import numpy as np

from libc.math cimport INFINITY, M_PI, atan2, cos, fabsf, sin, sqrt
from libc.stdint cimport int64_t

cdef float FLT_MAX = 3.4028234663852886e38


# kernel: binarize
cdef void binarize(const float[:, ::1] textmap, const float[:, ::1] linkmap, float low_text,
                   float link_threshold, unsigned char[:, ::1] out) noexcept nogil:
    """out = 1 where textmap > low_text or linkmap > link_threshold (float32, strict)."""
    cdef Py_ssize_t y, x
    for y in range(textmap.shape[0]):
        for x in range(textmap.shape[1]):
            out[y, x] = (textmap[y, x] > low_text) | (linkmap[y, x] > link_threshold)
# end kernel


# kernel: label_max_scores
cdef void label_max_scores(const int[:, ::1] labels, const float[:, ::1] textmap,
                           float[::1] best) noexcept nogil:
    """One pass over the label image: the highest textmap value of every label."""
    cdef Py_ssize_t y, x
    cdef int k
    for k in range(best.shape[0]):
        best[k] = -INFINITY
    for y in range(labels.shape[0]):
        for x in range(labels.shape[1]):
            k = labels[y, x]
            if textmap[y, x] > best[k]:
                best[k] = textmap[y, x]
# end kernel


# kernel: label_region
cdef (Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t, Py_ssize_t) label_region(
        const int[:, ::1] stats, Py_ssize_t k, Py_ssize_t img_h, Py_ssize_t img_w) noexcept nogil:
    """niter and the region (x0, y0, x1, y1), end exclusive, of label k, as in the reference."""
    cdef Py_ssize_t x = stats[k, 0], y = stats[k, 1]
    cdef Py_ssize_t w = stats[k, 2], h = stats[k, 3], area = stats[k, 4]
    cdef Py_ssize_t niter = <Py_ssize_t>(sqrt(<double>(area * min(w, h)) / <double>(w * h)) * 2)
    return (niter, max(x - niter, 0), max(y - niter, 0),
            min(x + w + niter + 1, img_w), min(y + h + niter + 1, img_h))
# end kernel


# kernel: component_mask
cdef void component_mask(const int[:, ::1] labels, const float[:, ::1] textmap, int k, float low_text,
                         Py_ssize_t x0, Py_ssize_t y0, Py_ssize_t x1, Py_ssize_t y1,
                         unsigned char[:, ::1] mask) noexcept nogil:
    """mask[:y1-y0, :x1-x0] = 1 on the pixels of label k in the region that are text."""
    cdef Py_ssize_t y, x
    for y in range(y0, y1):
        for x in range(x0, x1):
            mask[y - y0, x - x0] = (labels[y, x] == k) & (textmap[y, x] > low_text)
# end kernel


# kernel: dilate_square
cdef void dilate_square(unsigned char[:, ::1] mask, unsigned char[:, ::1] tmp, int64_t[::1] last,
                        Py_ssize_t rh, Py_ssize_t rw, Py_ssize_t niter) noexcept nogil:
    """Dilate mask[:rh, :rw] in place with a (1 + niter) square, exactly like cv2.dilate.

    Rows into tmp, then columns back into mask; output p is set when, at
    q = p + ahead, the last pixel seen is less than size back.
    """
    cdef Py_ssize_t size = 1 + niter
    cdef Py_ssize_t ahead = size - 1 - size // 2
    cdef Py_ssize_t y, x, q, seen
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
# end kernel


# kernel: edge_points
cdef Py_ssize_t edge_points(const unsigned char[:, ::1] mask, Py_ssize_t rh, Py_ssize_t rw,
                            Py_ssize_t x0, Py_ssize_t y0, int64_t[:, ::1] pts) noexcept nogil:
    """The first and last nonzero pixel of each row, (x, y) in map coordinates, raster order."""
    cdef Py_ssize_t n = 0, y, first, last
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
# end kernel


# kernel: cross
cdef inline int64_t cross(int64_t ox, int64_t oy, int64_t ax, int64_t ay,
                          int64_t bx, int64_t by) noexcept nogil:
    """z of (a - o) x (b - o): > 0 for a left turn o -> a -> b (x right, y up)."""
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)
# end kernel


# kernel: raster_key
cdef inline int64_t raster_key(const int64_t[:, ::1] hull, Py_ssize_t i) noexcept nogil:
    """Position of corner i in raster order (the order of the reference's point list)."""
    return hull[i, 1] * (<int64_t>1 << 32) + hull[i, 0]
# end kernel


# kernel: raster_order_start
cdef Py_ssize_t raster_order_start(const int64_t[:, ::1] hull, Py_ssize_t m) noexcept nogil:
    """Where cv2.convexHull lets the cycle start: a corner from which the raster
    positions ascend (or descend) all the way round, if there is one, else 0."""
    cdef Py_ssize_t min_i = 0, max_i = 0, rises = 0, i, j, nxt, gap, start
    cdef int64_t key
    cdef bint ascending
    if m < 3:
        return 0
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
    gap = max_i - min_i if max_i > min_i else min_i - max_i
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
# end kernel


# kernel: convex_hull
cdef Py_ssize_t convex_hull(const int64_t[:, ::1] pts, Py_ssize_t n, int64_t[:, ::1] work,
                            int64_t[:, ::1] hull) noexcept nogil:
    """Corners of the convex hull of pts[:n] (sorted by y, then x), in cv2.convexHull's order."""
    cdef Py_ssize_t m = 0, i, j, first_side, start, shift
    if n <= 1:
        if n == 1:
            hull[0, 0] = pts[0, 0]
            hull[0, 1] = pts[0, 1]
        return n
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
# end kernel


# kernel: radians_to_degrees
cdef inline float radians_to_degrees(float angle) noexcept nogil:
    """OpenCV's (float)(angle * 180 / CV_PI) for a float angle: the product is a float."""
    return <float>(<double>(angle * <float>180.0) / M_PI)
# end kernel


# kernel: is_right_of
cdef inline bint is_right_of(float ax, float ay, float bx, float by) noexcept nogil:
    """True when vector a points clockwise of vector b (float32, as OpenCV tests it)."""
    return ay * bx + (-ax) * by < <float>0.0
# end kernel


# kernel: min_area_rect
cdef (float, float, float, float, float) min_area_rect(const int64_t[:, ::1] hull, Py_ssize_t m,
                                                       float[:, ::1] edges) noexcept nogil:
    """cv2.minAreaRect of the convex polygon hull[:m]: (cx, cy, w, h, angle in degrees).

    Rotating calipers as OpenCV does them, in float32; the last smallest area wins.
    """
    cdef float ax, ay, bx, by, x, y, dx, dy, left_x, right_x, top_y, bottom_y
    cdef float base_a, base_b, min_area, best_a, best_b, best_w, best_h
    cdef float r0x, r0y, r1x, r1y, r2x, r2y, r3x, r3y, best_x, best_y, lead_x, lead_y
    cdef float width, height, area, a1, b1, a2, b2, c1, c2, idet, px, py, v1x, v1y, v2x, v2y
    cdef double ddx, ddy, turn, tax, tay, tbx, tby
    cdef Py_ssize_t i, j, step, left, right, top, bottom, s0, s1, s2, s3, main, p
    cdef Py_ssize_t best_left, best_bottom
    if m == 0:
        return 0, 0, 0, 0, 0
    if m == 1:
        return <float>hull[0, 0], <float>hull[0, 1], 0, 0, 0
    if m == 2:
        ax, ay = <float>hull[0, 0], <float>hull[0, 1]
        bx, by = <float>hull[1, 0], <float>hull[1, 1]
        ddx = <double>(bx - ax)
        ddy = <double>(by - ay)
        return ((ax + bx) * <float>0.5, (ay + by) * <float>0.5, <float>sqrt(ddx * ddx + ddy * ddy),
                0, radians_to_degrees(<float>atan2(ddy, ddx)))

    # edge vectors, their inverse lengths, and the extreme corners (first ones found)
    left = right = top = bottom = 0
    left_x = right_x = <float>hull[0, 0]
    top_y = bottom_y = <float>hull[0, 1]
    for i in range(m):
        x, y = <float>hull[i, 0], <float>hull[i, 1]
        if x < left_x:
            left_x, left = x, i
        if x > right_x:
            right_x, right = x, i
        if y > top_y:
            top_y, top = y, i
        if y < bottom_y:
            bottom_y, bottom = y, i
        j = i + 1 if i + 1 < m else 0
        dx = <float>hull[j, 0] - x
        dy = <float>hull[j, 1] - y
        edges[i, 0] = dx
        edges[i, 1] = dy
        edges[i, 2] = <float>(1.0 / sqrt(<double>dx * <double>dx + <double>dy * <double>dy))

    # the polygon's orientation gives the first caliper direction (a, b) = (+-1, 0)
    base_a = 1
    tax, tay = <double>edges[m - 1, 0], <double>edges[m - 1, 1]
    for i in range(m):
        tbx, tby = <double>edges[i, 0], <double>edges[i, 1]
        turn = tax * tby - tay * tbx
        if turn != 0:
            base_a = 1 if turn > 0 else -1
            break
        tax, tay = tbx, tby
    base_b = 0

    s0, s1, s2, s3 = bottom, right, top, left   # corner under each caliper
    min_area = FLT_MAX
    best_left = best_bottom = 0
    best_a = best_b = best_w = best_h = 0
    for step in range(m):
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
        dx = <float>hull[s1, 0] - <float>hull[s3, 0]
        dy = <float>hull[s1, 1] - <float>hull[s3, 1]
        width = dx * base_a + dy * base_b
        dx = <float>hull[s2, 0] - <float>hull[s0, 0]
        dy = <float>hull[s2, 1] - <float>hull[s0, 1]
        height = -dx * base_b + dy * base_a
        area = width * height
        if area <= min_area:
            min_area = area
            best_left, best_bottom = s3, s0
            best_a, best_b, best_w, best_h = base_a, base_b, width, height

    # corner where the left and bottom calipers meet, and the two side vectors
    a1, b1 = best_a, best_b
    a2, b2 = -best_b, best_a
    c1 = a1 * <float>hull[best_left, 0] + <float>hull[best_left, 1] * b1
    c2 = a2 * <float>hull[best_bottom, 0] + <float>hull[best_bottom, 1] * b2
    idet = <float>1.0 / (a1 * b2 - a2 * b1)
    px = (c1 * b2 - c2 * b1) * idet
    py = (a1 * c2 - a2 * c1) * idet
    v1x, v1y = a1 * best_w, b1 * best_w
    v2x, v2y = a2 * best_h, b2 * best_h
    return (px + (v1x + v2x) * <float>0.5,
            py + (v1y + v2y) * <float>0.5,
            <float>sqrt(<double>v1x * <double>v1x + <double>v1y * <double>v1y),
            <float>sqrt(<double>v2x * <double>v2x + <double>v2y * <double>v2y),
            radians_to_degrees(<float>atan2(<double>v1y, <double>v1x)))
# end kernel


# kernel: box_points
cdef void box_points(float cx, float cy, float w, float h, float angle, float[:, ::1] box) noexcept nogil:
    """The 4 corners of a rotated rectangle into box (4 x 2), exactly as cv2.boxPoints."""
    cdef double rad = <double>angle * M_PI / 180.0
    cdef float b = <float>cos(rad) * <float>0.5
    cdef float a = <float>sin(rad) * <float>0.5
    box[0, 0] = cx - a * h - b * w
    box[0, 1] = cy + b * h - a * w
    box[1, 0] = cx + a * h - b * w
    box[1, 1] = cy - b * h - a * w
    box[2, 0] = <float>2.0 * cx - box[0, 0]
    box[2, 1] = <float>2.0 * cy - box[0, 1]
    box[3, 0] = <float>2.0 * cx - box[1, 0]
    box[3, 1] = <float>2.0 * cy - box[1, 1]
# end kernel


# kernel: finish_box
cdef void finish_box(float[:, ::1] box, const int64_t[:, ::1] pts, Py_ssize_t n) noexcept nogil:
    """Diamond fix (side ratio within 10 % -> bounding box of the points), then start
    at the corner with the smallest x + y, keeping the cycle."""
    cdef float dx, dy, side_a, side_b, ratio
    cdef float xs[4]
    cdef float ys[4]
    cdef int64_t left, right, top, bottom
    cdef Py_ssize_t i, start
    dx, dy = box[0, 0] - box[1, 0], box[0, 1] - box[1, 1]
    side_a = <float>sqrt(dx * dx + dy * dy)
    dx, dy = box[1, 0] - box[2, 0], box[1, 1] - box[2, 1]
    side_b = <float>sqrt(dx * dx + dy * dy)
    ratio = max(side_a, side_b) / (min(side_a, side_b) + <float>1e-5)
    if fabsf(<float>1.0 - ratio) <= <float>0.1:
        left, right, top, bottom = pts[0, 0], pts[0, 0], pts[0, 1], pts[0, 1]
        for i in range(1, n):
            left = min(left, pts[i, 0])
            right = max(right, pts[i, 0])
            top = min(top, pts[i, 1])
            bottom = max(bottom, pts[i, 1])
        box[0, 0], box[0, 1] = <float>left, <float>top
        box[1, 0], box[1, 1] = <float>right, <float>top
        box[2, 0], box[2, 1] = <float>right, <float>bottom
        box[3, 0], box[3, 1] = <float>left, <float>bottom

    start = 0
    for i in range(1, 4):
        if box[i, 0] + box[i, 1] < box[start, 0] + box[start, 1]:
            start = i
    if start > 0:
        for i in range(4):
            xs[i] = box[i, 0]
            ys[i] = box[i, 1]
        for i in range(4):
            box[i, 0] = xs[(start + i) % 4]
            box[i, 1] = ys[(start + i) % 4]
# end kernel


# kernel: max_region_size
cdef (Py_ssize_t, Py_ssize_t) max_region_size(const int[:, ::1] stats, Py_ssize_t n_labels,
                                              Py_ssize_t img_h, Py_ssize_t img_w) noexcept nogil:
    """Height and width of the largest region of any label (to size the scratch buffers once)."""
    cdef Py_ssize_t k, niter, x0, y0, x1, y1, max_h = 0, max_w = 0
    for k in range(1, n_labels):
        niter, x0, y0, x1, y1 = label_region(stats, k, img_h, img_w)
        max_h = max(max_h, y1 - y0)
        max_w = max(max_w, x1 - x0)
    return max_h, max_w
# end kernel


# kernel: box_of_label
cdef void box_of_label(const int[:, ::1] labels, const int[:, ::1] stats, int k,
                       const float[:, ::1] textmap, float low_text,
                       unsigned char[:, ::1] mask, unsigned char[:, ::1] tmp, int64_t[::1] last,
                       int64_t[:, ::1] pts, int64_t[:, ::1] work, int64_t[:, ::1] hull,
                       float[:, ::1] edges, float[:, ::1] box) noexcept nogil:
    """Steps mask -> dilate -> points -> hull -> rectangle -> diamond/order for label k, into box."""
    cdef Py_ssize_t niter, x0, y0, x1, y1, n, m
    cdef float cx, cy, w, h, angle
    niter, x0, y0, x1, y1 = label_region(stats, k, labels.shape[0], labels.shape[1])
    component_mask(labels, textmap, k, low_text, x0, y0, x1, y1, mask)
    dilate_square(mask, tmp, last, y1 - y0, x1 - x0, niter)
    n = edge_points(mask, y1 - y0, x1 - x0, x0, y0, pts)
    m = convex_hull(pts, n, work, hull)
    cx, cy, w, h, angle = min_area_rect(hull, m, edges)
    box_points(cx, cy, w, h, angle, box)
    finish_box(box, pts, n)
# end kernel


# kernel: boxes_from_labels
cdef Py_ssize_t boxes_from_labels(const int[:, ::1] labels, const int[:, ::1] stats, Py_ssize_t n_labels,
                                  const float[:, ::1] textmap, float text_threshold, float low_text,
                                  float[::1] best, unsigned char[:, ::1] mask, unsigned char[:, ::1] tmp,
                                  int64_t[::1] last, int64_t[:, ::1] pts, int64_t[:, ::1] work,
                                  int64_t[:, ::1] hull, float[:, ::1] edges,
                                  float[:, :, ::1] boxes) noexcept nogil:
    """The whole per-label loop of the reference; returns the number of boxes written to boxes."""
    cdef Py_ssize_t k, count = 0
    label_max_scores(labels, textmap, best)
    for k in range(1, n_labels):
        if stats[k, 4] < 10:                 # size filter
            continue
        if best[k] < text_threshold:         # confidence filter
            continue
        box_of_label(labels, stats, <int>k, textmap, low_text, mask, tmp, last, pts, work, hull,
                     edges, boxes[count])
        count += 1
    return count
# end kernel


# kernel: binarize_map
def binarize_map(const float[:, ::1] textmap, const float[:, ::1] linkmap, float low_text,
                 float link_threshold):
    """The uint8 image to label (Python entry point of binarize)."""
    out = np.empty((textmap.shape[0], textmap.shape[1]), np.uint8)
    cdef unsigned char[:, ::1] out_view = out
    with nogil:
        binarize(textmap, linkmap, low_text, link_threshold, out_view)
    return out
# end kernel


# kernel: get_boxes_from_labels
def get_boxes_from_labels(const int[:, ::1] labels, const int[:, ::1] stats, Py_ssize_t n_labels,
                          const float[:, ::1] textmap, float text_threshold, float low_text):
    """(K, 4, 2) float32 boxes from the output of cv2.connectedComponentsWithStats.

    Allocates the scratch buffers once (for the largest region), then runs the
    whole per-label loop without the GIL.
    """
    cdef Py_ssize_t max_h, max_w, count
    max_h, max_w = max_region_size(stats, n_labels, labels.shape[0], labels.shape[1])
    best = np.empty(n_labels, np.float32)
    mask = np.empty((max_h, max_w), np.uint8)
    tmp = np.empty((max_h, max_w), np.uint8)
    last = np.empty(max_w, np.int64)
    pts = np.empty((2 * max_h, 2), np.int64)
    work = np.empty((2 * max_h + 1, 2), np.int64)
    hull = np.empty((2 * max_h + 1, 2), np.int64)
    edges = np.empty((2 * max_h + 1, 3), np.float32)
    boxes = np.empty((n_labels, 4, 2), np.float32)
    cdef float[::1] best_v = best
    cdef unsigned char[:, ::1] mask_v = mask, tmp_v = tmp
    cdef int64_t[::1] last_v = last
    cdef int64_t[:, ::1] pts_v = pts, work_v = work, hull_v = hull
    cdef float[:, ::1] edges_v = edges
    cdef float[:, :, ::1] boxes_v = boxes
    with nogil:
        count = boxes_from_labels(labels, stats, n_labels, textmap, text_threshold, low_text,
                                  best_v, mask_v, tmp_v, last_v, pts_v, work_v, hull_v, edges_v, boxes_v)
    return boxes[:count].copy()
# end kernel
