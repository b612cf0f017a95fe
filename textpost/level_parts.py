"""The parts of the Python and numba levels, each runnable alone, so notebooks 03 and 04 can time them.

Notebook 03 measures what each change of ``get_boxes_python`` saved (:func:`python_changes`: the
code of ``get_boxes_roi`` for one step, "before", against the code of ``get_boxes_python``,
"after", on the same page) and where the Python level's time goes (:func:`python_level_parts`).
Notebook 04 times the numba level's own kernels against the OpenCV calls they replace
(:func:`replaced_kernels`).  Every "before" and "after" is checked to compute the same thing
before it is timed.  The notebooks time these with :func:`textpost.timing.time_together`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numba
import numpy as np

from .claims import ratio
from .levels import kernels
from .levels.python_level import finish_boxes, get_boxes_python
from .timing import Timing, binary_union, format_seconds, label_union

_LOW, _LINK, _TEXT = np.float32(0.4), np.float32(0.4), np.float32(0.7)


@dataclass
class Page:
    """What the labeling of one page gives, and the regions of the components that become boxes."""
    textmap: np.ndarray
    linkmap: np.ndarray
    n_labels: int
    labels: np.ndarray
    stats: np.ndarray
    regions: list        # (k, rows, cols, niter, sx, sy) of every component of at least 10 px
    in_box: list         # the same for the components that become boxes


def label_page(textmap, linkmap) -> Page:
    """Label ``textmap``/``linkmap`` as every level does and list each component's region."""
    n_labels, labels, stats, _ = label_union(binary_union(textmap, linkmap))
    h, w = textmap.shape
    confident = np.zeros(n_labels, dtype=bool)
    confident[labels[textmap >= _TEXT]] = True
    regions = []
    for k, (x, y, bw, bh, size) in enumerate(stats.tolist()):
        if k and size >= 10:
            niter = int(math.sqrt(size * min(bw, bh) / (bw * bh)) * 2)
            sx, sy = max(x - niter, 0), max(y - niter, 0)
            regions.append((k, slice(sy, min(y + bh + niter + 1, h)), slice(sx, min(x + bw + niter + 1, w)),
                            niter, sx, sy))
    return Page(textmap, linkmap, n_labels, labels, stats, regions, [r for r in regions if confident[r[0]]])


def region_area(page: Page) -> float:
    """The mean number of pixels in the region of a component that becomes a box."""
    return float(np.mean([(ys.stop - ys.start) * (xs.stop - xs.start) for _, ys, xs, *_ in page.in_box]))


def python_changes(textmap, linkmap) -> dict:
    """The seven changes from ``get_boxes_roi`` to ``get_boxes_python``: ``{name: (before, after)}``.

    Each pair runs one step of the box-cropped version and the same step of the Python level on
    the same page (no arguments); each pair is checked to give the same result where it returns one.
    """
    p = label_page(textmap, linkmap)
    labels, stats, n_labels, in_box, regions = p.labels, p.stats, p.n_labels, p.in_box, p.regions
    h, w = textmap.shape
    text_score, link_score = textmap > _LOW, linkmap > _LINK
    _, text_f = cv2.threshold(textmap, 0.4, 1, cv2.THRESH_BINARY)       # the reference's float 0/1 images
    _, link_f = cv2.threshold(linkmap, 0.4, 1, cv2.THRESH_BINARY)
    kept = np.where(text_score | ~link_score, labels, 0)
    in_label = [labels[ys, xs] == k for k, ys, xs, *_ in in_box]
    dilated = [cv2.dilate((kept[ys, xs] == k).view(np.uint8),
                          cv2.getStructuringElement(cv2.MORPH_RECT, (1 + n, 1 + n))) for k, ys, xs, n, *_ in in_box]
    shift = [(sx, sy) for *_, sx, sy in in_box]
    pts_np = [np.roll(np.array(np.where(d != 0)), 1, axis=0).transpose().reshape(-1, 2) + s
              for d, s in zip(dilated, shift)]
    pts_cv = [cv2.findNonZero(d) + np.array(s, dtype=np.int32) for d, s in zip(dilated, shift)]
    raw = [cv2.boxPoints(cv2.minAreaRect(c)) for c in pts_cv]

    def union_before():
        t, l = textmap.copy(), linkmap.copy()
        _, ts = cv2.threshold(t, 0.4, 1, cv2.THRESH_BINARY)
        _, ls = cv2.threshold(l, 0.4, 1, cv2.THRESH_BINARY)
        return np.clip(ts + ls, 0, 1).astype(np.uint8)

    def union_after():
        return ((textmap > _LOW) | (linkmap > _LINK)).view(np.uint8)

    def filter_before():
        return [np.max(textmap[ys, xs][labels[ys, xs] == k]) < _TEXT for k, ys, xs, *_ in regions]

    def filter_after():
        ok = np.zeros(n_labels, dtype=bool)
        ok[labels[textmap >= _TEXT]] = True
        return [not ok[k] for k, *_ in regions]

    def mask_before():
        link_only = np.logical_and(link_f == 1, text_f == 0)
        for (k, ys, xs, *_), il in zip(in_box, in_label):
            segmap = np.zeros((ys.stop - ys.start, xs.stop - xs.start), dtype=np.uint8)
            segmap[il] = 255
            segmap[link_only[ys, xs]] = 0

    def mask_after():
        kept_labels = np.where(text_score | ~link_score, labels, 0)
        for k, ys, xs, *_ in in_box:
            (kept_labels[ys, xs] == k).view(np.uint8)

    def stats_before():
        for k in range(1, n_labels):
            size = stats[k, cv2.CC_STAT_AREA]
            if size < 10:
                continue
            x, y, bw, bh = stats[k, 0], stats[k, 1], stats[k, 2], stats[k, 3]
            niter = int(math.sqrt(size * min(bw, bh) / (bw * bh)) * 2)
            sx, ex, sy, ey = x - niter, x + bw + niter + 1, y - niter, y + bh + niter + 1
            sx, sy, ex, ey = max(sx, 0), max(sy, 0), min(ex, w), min(ey, h)

    def stats_after():
        for k, (x, y, bw, bh, size) in enumerate(stats.tolist()):
            if k == 0 or size < 10:
                continue
            niter = int(math.sqrt(size * min(bw, bh) / (bw * bh)) * 2)
            sx, ex, sy, ey = max(x - niter, 0), min(x + bw + niter + 1, w), max(y - niter, 0), min(y + bh + niter + 1, h)

    def kernel_before():
        for *_, n, _, _ in in_box:
            cv2.getStructuringElement(cv2.MORPH_RECT, (1 + n, 1 + n))

    def kernel_after():
        cache = {}
        for *_, n, _, _ in in_box:
            if cache.get(n) is None:
                cache[n] = cv2.getStructuringElement(cv2.MORPH_RECT, (1 + n, 1 + n))

    def points_before():          # the points, and the rectangle that takes them
        for d, s in zip(dilated, shift):
            c = np.roll(np.array(np.where(d != 0)), 1, axis=0).transpose().reshape(-1, 2)
            c += s
            cv2.boxPoints(cv2.minAreaRect(c))

    def points_after():
        for d, s in zip(dilated, shift):
            c = cv2.findNonZero(d)
            c += np.array(s, dtype=np.int32)
            cv2.boxPoints(cv2.minAreaRect(c))

    def finish_before():
        out = []
        for box, c in zip(raw, pts_np):
            bw, bh = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[1] - box[2])
            if abs(1 - max(bw, bh) / (min(bw, bh) + 1e-5)) <= 0.1:
                l, r, t, b = min(c[:, 0]), max(c[:, 0]), min(c[:, 1]), max(c[:, 1])
                box = np.array([[l, t], [r, t], [r, b], [l, b]], dtype=np.float32)
            startidx = box.sum(axis=1).argmin()
            out.append(np.array(np.roll(box, 4 - startidx, 0)))
        return np.stack(out).astype(np.float32)

    def finish_after():
        return finish_boxes(np.stack(raw), pts_cv)

    if not (np.array_equal(union_before(), union_after()) and filter_before() == filter_after()
            and np.array_equal(finish_before(), finish_after())):
        raise AssertionError("a change's before and after disagree on this page")
    return {"1 the union": (union_before, union_after),
            "2 confidence filter, one pass": (filter_before, filter_after),
            "3 mask: one comparison": (mask_before, mask_after),
            "4 stats read once": (stats_before, stats_after),
            "5 structuring element cached": (kernel_before, kernel_after),
            "6 points: cv2.findNonZero": (points_before, points_after),
            "7 finish_boxes after the loop": (finish_before, finish_after)}


def _ms(s: float) -> str:
    return f"{1e3 * s:.2f} ms"


def saving_rows(gains: dict, step=None) -> list[dict]:
    """Rows for ``show_table``: each change's before and after, the time saved per page with its
    range (``before.min - after.max`` to ``before.max - after.min``) and the ratio with its range.

    ``step=(before, after)``: two more rows, the sum of the savings' medians and the whole step's saving.
    """
    rows = []
    for name, g in gains.items():
        b, a = g["before"], g["after"]
        rows.append({"change": name, "before": b, "after": a,
                     "saved per page": f"{_ms(b.median - a.median)} ({_ms(b.min - a.max)} to {_ms(b.max - a.min)})",
                     "ratio": ratio(b, a)})
    if step is not None:
        b, a = step
        total = sum(g["before"].median - g["after"].median for g in gains.values())
        rows.append({"change": "sum of the seven, timed alone", "saved per page": _ms(total)})
        rows.append({"change": "the whole step, timed whole", "before": b, "after": a,
                     "saved per page": f"{_ms(b.median - a.median)} ({_ms(b.min - a.max)} to {_ms(b.max - a.min)})",
                     "ratio": ratio(b, a)})
    return rows


def python_level_parts(textmap, linkmap) -> dict:
    """The parts of ``get_boxes_python``, each runnable alone: ``{name: function of no arguments}``.

    The whole call; the threshold; the labeling (the floor); the other whole-map passes (the label
    image without link-only pixels, the confidence filter); the four OpenCV calls per box
    (``cv2.dilate``, ``cv2.findNonZero``, ``cv2.minAreaRect``, ``cv2.boxPoints``) on the same masks;
    the NumPy comparison that makes each mask; ``finish_boxes``.
    """
    p = label_page(textmap, linkmap)
    union = binary_union(textmap, linkmap)
    text_score, link_score = textmap > _LOW, linkmap > _LINK
    kept = np.where(text_score | ~link_score, p.labels, 0)
    masks = [((kept[ys, xs] == k).view(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (1 + n, 1 + n)))
             for k, ys, xs, n, *_ in p.in_box]
    points = [cv2.findNonZero(cv2.dilate(m, kern)) for m, kern in masks]
    raw = np.stack([cv2.boxPoints(cv2.minAreaRect(c)) for c in points])

    def other_passes():
        np.where(text_score | ~link_score, p.labels, 0)
        ok = np.zeros(p.n_labels, dtype=bool)
        ok[p.labels[textmap >= _TEXT]] = True

    def opencv_calls():
        for m, kern in masks:
            cv2.boxPoints(cv2.minAreaRect(cv2.findNonZero(cv2.dilate(m, kern))))

    def mask_comparisons():
        for k, ys, xs, *_ in p.in_box:
            (kept[ys, xs] == k).view(np.uint8)

    return {"whole call": lambda: get_boxes_python(textmap, linkmap),
            "threshold": lambda: binary_union(textmap, linkmap),
            "labeling (the floor)": lambda: label_union(union),
            "5 more whole-map passes": other_passes,
            "OpenCV calls, 4 per box": opencv_calls,
            "NumPy mask per box": mask_comparisons,
            "finish_boxes": lambda: finish_boxes(raw.copy(), points)}


def parts_rows(parts: dict, n_boxes: int) -> list[dict]:
    """Rows for ``show_table``: each part's time, per box, and share of the whole call; last, the
    whole call minus the measured parts (not measured on its own)."""
    whole = parts["whole call"].median
    rows = [{"part": n, "time": t, "per box": format_seconds(t.median / n_boxes),
             "share of the call": f"{100 * t.median / whole:.0f}%"} for n, t in parts.items()]
    rest = whole - sum(t.median for n, t in parts.items() if n != "whole call")
    rows.append({"part": "whole minus the parts above", "time": format_seconds(rest),
                 "per box": format_seconds(rest / n_boxes), "share of the call": f"{100 * rest / whole:.0f}%"})
    return rows


@numba.njit(cache=True)
def _own_dilate(mask, niter):
    rh, rw = mask.shape
    out = mask.copy()
    tmp = np.empty_like(mask)
    last = np.empty(rw, np.int64)
    kernels.dilate_square(out, tmp, last, rh, rw, niter)
    return out


@numba.njit(cache=True)
def _own_rect(pts):
    n = len(pts)
    work = np.empty((n + 1, 2), np.int64)
    hull = np.empty((n + 1, 2), np.int64)
    edges = np.empty((n + 1, 3), np.float32)
    m = kernels.convex_hull(pts, n, work, hull)
    return kernels.min_area_rect(hull, m, edges)


def replaced_kernels(textmap, linkmap) -> dict:
    """Two OpenCV calls of the Python level and the numba level's own kernels that replace them.

    ``{name: function of no arguments}``: the dilation of every box's mask (``cv2.dilate`` and
    ``kernels.dilate_square``), and the rectangle fit on every box's row extremes
    (``cv2.minAreaRect``, and ``kernels.convex_hull`` + ``kernels.min_area_rect``), each called once
    per box from a Python loop, on the same inputs; checked to give the same results first.
    """
    p = label_page(textmap, linkmap)
    kept = np.where((textmap > _LOW) | ~(linkmap > _LINK), p.labels, 0)
    masks = [((kept[ys, xs] == k).view(np.uint8), n) for k, ys, xs, n, *_ in p.in_box]
    element = {n: cv2.getStructuringElement(cv2.MORPH_RECT, (1 + n, 1 + n)) for _, n in masks}
    extremes = []
    for m, n in masks:
        pts = cv2.findNonZero(cv2.dilate(m, element[n]))[:, 0]
        rows = pts[:, 1]
        edge = np.r_[True, rows[1:] != rows[:-1]] | np.r_[rows[1:] != rows[:-1], True]
        extremes.append((np.ascontiguousarray(pts[edge][:, None]), pts[edge].astype(np.int64)))
    for (m, n), (cv_pts, own_pts) in zip(masks, extremes):
        if not np.array_equal(_own_dilate(m, n), cv2.dilate(m, element[n])):
            raise AssertionError("the dilation kernel differs from cv2.dilate")
        (cx, cy), (w, h), _ = cv2.minAreaRect(cv_pts)
        if not np.allclose(sorted(_own_rect(own_pts)[2:4]), sorted((w, h)), atol=0.5):
            raise AssertionError("the rectangle kernels differ from cv2.minAreaRect")

    def dilate_cv():
        for m, n in masks:
            cv2.dilate(m, element[n])

    def dilate_own():
        for m, n in masks:
            _own_dilate(m, n)

    def rect_cv():
        for cv_pts, _ in extremes:
            cv2.minAreaRect(cv_pts)

    def rect_own():
        for _, own_pts in extremes:
            _own_rect(own_pts)

    return {"dilation: cv2.dilate": dilate_cv, "dilation: numba kernel": dilate_own,
            "rectangle fit: cv2.minAreaRect": rect_cv, "rectangle fit: numba kernels": rect_own}
