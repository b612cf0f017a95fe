"""The checker's hints: what usually causes a difference, in each exercise's own names.

The hint tables (:data:`HINTS`, one override table per exercise, :func:`hints_for`) and the
diagnosis that picks an entry for two sets of boxes of the same count (:func:`_diagnose`), and
the usual causes of a wrong answer in exercise 07 (runs, labels).  :mod:`textpost.check` runs
the checks and prints these.
"""
from __future__ import annotations

import numpy as np

from .compare import compare_boxes


# --------------------------------------------------------------------------- the hint tables

#: what usually causes each kind of difference, in the reference's names (``get_boxes`` of
#: textpost/levels/reference.py); each exercise overrides the entries its own code names differently
HINTS: dict[str, str] = {
    "dtype": "the contract is float32 boxes: end with .astype(np.float32)",
    "shape": "return the boxes as one (K, 4, 2) array: K boxes, 4 corners, (x, y)",
    "count": "a different number of boxes: check the two filters (area >= 10 px; the label's best text "
             "score >= text_threshold) and that link-only pixels are left out of the mask",
    "coordinates": "every box is shifted by the region's origin: the points are still in the cropped region's "
                   "coordinates; add the region's origin (sx, sy) back (x first)",
    "far": "boxes far from the reference's: check that the points are (x, y) in map coordinates",
    "shifted": "boxes of the right size, one pixel off: the grown mask sits one pixel away; the square's "
               "anchor is its centre (OpenCV's default: a pixel grows size // 2 down and right, the rest up and "
               "left), and the region's origin (sx, sy) is added once",
    "near": "the box is cut short at its top or left: the region must start niter pixels before the label's box "
            "(sx = x - niter, sy = y - niter, clipped at 0), or the dilation is cut off",
    "far_side": "the box is cut short at its bottom or right: the region must end at x + w + niter + 1 "
                "(exclusive), likewise in y, clipped to the map, or the dilation is cut off",
    "grow": "the grown mask differs: niter = int(sqrt(area * min(w, h) / (w * h)) * 2), the square is "
            "(1 + niter) x (1 + niter), and the region runs from x - niter to x + w + niter + 1",
    "corners": "the right corners in another order: keep boxPoints' cyclic order and start at the corner "
               "with the smallest x + y (np.roll(box, 4 - start, 0))",
    "rounding": "the same boxes up to float rounding (under 0.01 px): compute them as the reference does "
                "(cv2.minAreaRect and cv2.boxPoints in float32; the upright box only for nearly square ones)",
    "corners_rect": "a rotated box where the reference has an upright one: a nearly square box becomes the "
                    "points' upright bounding box (the diamond fix); otherwise keep cv2.boxPoints' corners",
    "order": "the right boxes out of order: keep label order 1 .. n-1, one box per label as the loop meets it",
    "diamond": "a nearly square box (its two sides within 10%) becomes the upright bounding box of the points "
               "(the diamond fix), corners (l, t), (r, t), (r, b), (l, b)",
    "diamond_bbox": "the diamond fix's box is off: l, r, t, b are the smallest and largest x and y of the points "
                    "themselves (inclusive: not x + w)",
    "diamond_wrong": "an upright box where the reference keeps the rotated one: the diamond fix applies only when "
                     "abs(1 - max(a, b) / (min(a, b) + 1e-5)) <= 0.1",
    "clip": "a word at the map's border: clip the region to the map, max(x - niter, 0) and "
            "min(x + w + niter + 1, img_w) (not img_w - 1), likewise in y",
    "confidence_pixels": "a faint component was kept: take the best text score over the label's own pixels "
                         "(textmap[labels == k]), not over its box or region, which can hold another word",
    "confidence_strict": "a label whose best score equals text_threshold is kept: skip it only when "
                         "best < text_threshold (in a one-pass filter: textmap >= text_threshold)",
    "edge_pixels": "a component whose confident pixels lie on the map's last row or column was dropped: the "
                   "best score looks at every pixel of the label, the last row and column included",
    "thresholds": "use the thresholds passed to the function (text_threshold, link_threshold, low_text), "
                  "never the defaults written as numbers",
    "link_only": "the box reaches over link-only pixels: remove the pixels that are link but not text "
                 "(link_score & ~text_score) from the mask before the dilation",
    "link_and_text": "the box is short where link and text overlap: remove only the pixels that are link "
                     "but NOT text; a pixel that is both stays in the mask",
    "area_10": "a component of exactly 10 px was dropped: skip only when area < 10",
    "area_pixels": "a component of 9 px was kept: the size filter uses the label's pixel count "
                   "(stats[k, cv2.CC_STAT_AREA]), not w * h",
    "connectivity": "blobs touching only at a corner were joined: label with connectivity=4",
    "strict": "pixels exactly at low_text or link_threshold joined two words: both thresholds are strict "
              "(textmap > low_text, linkmap > link_threshold)",
}

_NOT_YOURS = ("this is code you did not write: run the notebook's cells again from the top, in order, and "
              "check that only your part changed")

#: per exercise: the entries whose wording differs (the exercise's own names), or that the learner did not write
EXERCISE_HINTS: dict[str, dict[str, str]] = {
    "02": {  # the learner rewrites one line, `best = ...`
        **{key: _NOT_YOURS for key in HINTS if key not in ("dtype", "shape")},
        "count": "a different number of boxes: your line must give `best`, the largest textmap value over the "
                 "label's own pixels, e.g. inside its box, textmap[y:y + h, x:x + w][labels[y:y + h, x:x + w] == k]",
        "confidence_pixels": "a faint component was kept: `best` must be the maximum over the label's own pixels "
                             "(mask the box with labels[...] == k), not over its whole box",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: `best` must be the "
                             "largest value itself (.max()), compared as the given `if best < ...` does",
        "thresholds": _NOT_YOURS,
    },
    "03": {  # my_get_boxes_roi and get_boxes_my_fast: the region is sy:ey, sx:ex
        "coordinates": "every box is shifted by the region's origin: np.where on segmap gives coordinates in the "
                       "region; add the origin back, np_contours += (sx, sy) (x first)",
        "count": "a different number of boxes: the confidence filter (the label's own pixels, in_label, "
                 "best >= text_threshold), or the link-only pixels left in segmap",
        "near": _NOT_YOURS + " (the region sx, sy is given)",
        "far_side": _NOT_YOURS + " (the region ex, ey is given)",
        "clip": _NOT_YOURS + " (the region is given)",
        "grow": "the grown mask differs: dilate segmap, the whole region, with the (1 + niter) x (1 + niter) "
                "square of cv2.getStructuringElement",
        "shifted": "boxes of the right size, one pixel off: add the region's origin once (np_contours += (sx, sy)) "
                   "and keep cv2.dilate's default anchor",
        "confidence_pixels": "a faint component was kept: take the best score over the label's pixels in the "
                             "region, textmap[sy:ey, sx:ex][in_label], not over the whole region",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: skip it only when "
                             "best < text_threshold; in part 2, confident marks textmap >= text_threshold",
        "link_only": "the box reaches over link-only pixels: set segmap to 0 where link_only[sy:ey, sx:ex]",
        "link_and_text": "the box is short where link and text overlap: clear only link_only pixels "
                         "(link and not text) from segmap, not every link pixel",
        "corners": _NOT_YOURS, "order": _NOT_YOURS, "diamond": _NOT_YOURS, "diamond_bbox": _NOT_YOURS,
        "diamond_wrong": _NOT_YOURS, "area_10": _NOT_YOURS, "area_pixels": _NOT_YOURS,
        "connectivity": _NOT_YOURS, "strict": _NOT_YOURS,
    },
    "04": {  # my_label_max_scores: best[k] for every label; the rest is the package's numba level
        **{key: _NOT_YOURS + " (boxes_from_scores makes the boxes from your `best`)"
           for key in HINTS if key not in ("dtype", "shape")},
        "count": "a different number of boxes: best[k] must be the largest textmap value over label k's pixels; "
                 "visit every pixel (range(h), range(w)) and start every entry at -np.inf",
        "confidence_pixels": "a faint component was kept: best[k] must take only the pixels whose label is k",
        "edge_pixels": "a component whose confident pixels are on the map's last row or column was dropped: visit "
                       "every pixel, for y in range(h) and for x in range(w)",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: keep the largest value "
                             "itself in best[k] (textmap[y, x] > best[k] -> best[k] = textmap[y, x])",
    },
    "05": {  # dilate_square_cy: the rest is get_boxes_python
        **{key: _NOT_YOURS + " (only the dilation is yours)" for key in HINTS if key not in ("dtype", "shape")},
        "shifted": "boxes of the right size, one pixel off: your square grows the wrong way; a mask pixel reaches "
                   "`down` = size // 2 rows and columns down and right, `up` = size - 1 - down up and left",
        "grow": "the grown mask differs from cv2.dilate's: a mask pixel reaches `up` rows and columns up and left, "
                "`down` down and right (down = size // 2, up = size - 1 - down), clipped to the mask",
        "near": "the box is short at its top or left: your square reaches too little up or left (up = size - 1 - down)",
        "far_side": "the box is short at its bottom or right: your square reaches too little down or right "
                    "(down = size // 2; range(..., y + down + 1) includes row y + down)",
        "clip": "a word at the map's border: clip the square to the mask, max(y - up, 0) and min(y + down + 1, h)",
        "count": "a different number of boxes: your kernel must return 0/1 values (not 255) of the mask's shape",
    },
    "06": {  # find_boxes in C++: steps 3b-3e; the region sx, ex, sy, ey is given; box_from_points does 3e-3g
        "coordinates": "every box is shifted by the region's origin: findNonZero gives points in the mask's "
                       "coordinates; add cv::Point(sx, sy) to each",
        "count": "a different number of boxes: the confidence filter (cv::minMaxLoc over textmap(box) with the "
                 "mask labels(box) == k; skip when best < text_threshold) or the link-only pixels left in the mask",
        "near": "the box is cut short at its top or left: the mask is region-sized (ey - sy rows, ex - sx "
                "columns) and the label's box sits at (x - sx, y - sy) in it",
        "far_side": "the box is cut short at its bottom or right: the mask must be region-sized, "
                    "cv::Mat::zeros(ey - sy, ex - sx, CV_8U), not box-sized",
        "shifted": "boxes of the right size, one pixel off: add cv::Point(sx, sy) once, and keep cv::dilate's "
                   "default anchor (the square's centre)",
        "grow": "the grown mask differs: dilate the region-sized mask with "
                "cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1 + niter, 1 + niter)), and dilate an image "
                "of its own, not a view into a bigger one",
        "clip": "a word at the map's border: the mask is the region's size, ey - sy by ex - sx (the region is "
                "already clipped), and the label's box sits at (x - sx, y - sy)",
        "confidence_pixels": "a faint component was kept: pass the label's mask (labels(box) == k) to "
                             "cv::minMaxLoc, so that only the label's own pixels count",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: skip only when "
                             "best < text_threshold",
        "link_only": "the box reaches over link-only pixels: set 255 only where in_label & ~link_only(box)",
        "link_and_text": "the box is short where link and text overlap: clear only link_only pixels, "
                         "not every link pixel",
        "corners": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "diamond": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "diamond_bbox": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "diamond_wrong": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "area_10": _NOT_YOURS, "area_pixels": _NOT_YOURS, "connectivity": _NOT_YOURS, "strict": _NOT_YOURS,
    },
}


def hints_for(exercise: str | None) -> dict[str, str]:
    """The hint table of ``exercise`` ("02" .. "06"; None: the reference's names)."""
    if exercise is None:
        return dict(HINTS)
    if exercise not in EXERCISE_HINTS:
        raise ValueError(f"no hint table for exercise {exercise!r}; known: {', '.join(EXERCISE_HINTS)}")
    return {**HINTS, **EXERCISE_HINTS[exercise]}


# --------------------------------------------------------------------------- the diagnosis of a difference in boxes

def _unmatched(got, want, radius: float = 8.0):
    """Indices of the boxes in ``got`` and in ``want`` that have no partner (centres within ``radius`` px)."""
    taken = np.zeros(len(want), bool)
    lonely = []
    cw = want.mean(axis=1) if len(want) else np.zeros((0, 2))
    for i, b in enumerate(got):
        d = np.abs(cw - b.mean(axis=0)).max(axis=1) if len(want) else np.zeros(0)
        d[taken] = np.inf
        if len(d) and d.min() <= radius:
            taken[int(d.argmin())] = True
        else:
            lonely.append(i)
    return lonely, [int(j) for j in np.flatnonzero(~taken)]


def _upright(b, eps: float = 1e-3) -> bool:
    return bool(np.all(np.abs(np.diff(np.vstack([b, b[:1]]), axis=0)).min(axis=1) <= eps))


def _diagnose(got, want, cause: str, tol: float) -> str:
    """The cause of a difference between boxes of the same count (a key of HINTS)."""
    c = compare_boxes(got, want, tol=tol)
    if c.unmatched == 0 and not c.same_order:
        return "order"
    d = np.sqrt(((got - want) ** 2).sum(axis=-1)).max(axis=-1)
    i = int(d.argmax())
    g, w = got[i], want[i]
    if d[i] < 0.01:
        return "rounding"
    if _upright(g) != _upright(w):
        if cause == "diamond":
            return "diamond"
        return "diamond_wrong" if _upright(g) else "corners_rect"
    shift = (g - w).mean(axis=0)
    if np.abs(g - w - shift).max() <= max(tol, 1e-3):        # the same box, moved
        return "coordinates" if np.abs(shift).max() >= 2 else "shifted"
    if np.allclose(np.sort(g, axis=0), np.sort(w, axis=0), atol=max(tol, 1e-3)):
        return "corners"
    if cause == "diamond":
        return "diamond_bbox"
    if cause in ("clip", "link_only", "link_and_text"):
        return cause
    if c.unmatched:
        return "far"
    (gx0, gy0), (gx1, gy1) = g.min(axis=0), g.max(axis=0)
    (wx0, wy0), (wx1, wy1) = w.min(axis=0), w.max(axis=0)
    near = gx0 > wx0 + tol or gy0 > wy0 + tol
    far = gx1 < wx1 - tol or gy1 < wy1 - tol
    grown = gx0 < wx0 - tol or gy0 < wy0 - tol or gx1 > wx1 + tol or gy1 > wy1 + tol
    if near and not far and not grown:
        return "near"
    if far and not near and not grown:
        return "far_side"
    return "grow"


# --------------------------------------------------------------------------- exercise 07: runs and their labels

def _runs_hint(got, want, image) -> str:
    """What usually causes a difference between the learner's runs and the reference's."""
    (gr, g0, g1), (wr, w0, w1) = got, want
    if len(gr) == len(wr):
        if np.array_equal(gr, wr) and np.array_equal(g0, w0):
            if np.array_equal(g1, w1 - 1):
                return "x1 is one short: x1 is exclusive, one past the run's last pixel (row[x0:x1] is the run)"
            return "the ends differ: take x1 where the padded row steps from 1 to 0 (np.diff == -1)"
        if np.array_equal(np.sort(gr * 10**6 + g0), np.sort(wr * 10**6 + w0)):
            return "the right runs in the wrong order: keep raster order (row by row, left to right; np.nonzero does)"
        if np.array_equal(g0, w0 - 1) or np.array_equal(g0, w0 + 1):
            return "x0 off by one: with one zero of padding on the left, the index from np.diff is already x0"
    if len(gr) < len(wr) and image.size and (image[:, 0].any() or image[:, -1].any()):
        return ("runs missing at the edges of the rows: pad every row with a zero on both sides before np.diff, "
                "so that a run touching a border still starts and ends")
    if len(gr) < len(wr):
        return "runs missing: a run starts where the padded row goes 0 -> 1 and ends where it goes 1 -> 0"
    return ("runs that are not there: take np.diff along each row (axis=1), never on the flattened image, "
            "so that no run crosses from one row to the next")


def _labels_hint(got, want, n) -> str:
    """What usually causes a label image that differs from OpenCV's."""
    pairs = set(zip(got.ravel().tolist(), want.ravel().tolist()))
    if len(pairs) == len({g for g, _ in pairs}) == len({w for _, w in pairs}):
        return ("the right components, numbered in another order: OpenCV numbers them in raster order of "
                "their first pixel. Keep the SMALLER run number as the root when you join two runs, then give "
                "labels 1, 2, ... to the roots in run order")
    if ((got == 0) & (want != 0)).any():
        return ("foreground pixels left at label 0: a run took its root's label before the root had one. "
                "Keep the SMALLER run number as the root, so every root comes before its runs in the walk")
    if ((got != 0) & (want == 0)).any():
        return "background pixels with a label: label 0 only where the image is 0"
    if len(np.unique(got)) > n:
        return ("components split in two: join every pair of runs on neighbouring rows whose columns overlap "
                "(a.x0 < b.x1 and b.x0 < a.x1), and follow each run to its root (find) before comparing")
    return ("components merged that should not be: under 4-connectivity runs that only touch at a "
            "corner are not connected (x1 is exclusive: a.x0 < b.x1, not <=)")
