"""The Python level: the same NumPy/OpenCV, used better.

Each function is one rung, one change on top of the previous one, so that
notebook 03 can measure and show every step on its own:

``get_boxes_hoisted``  work that does not depend on the label is done once, not once per label
``get_boxes_roi``      every per-label step works inside the label's box (from the stats
                       the labeling already returned), not on the whole map
``get_boxes_python``   the last rung: what the profile of ``get_boxes_roi`` still points
                       at, each replaced by a call that fits better (see its docstring)

All of them return exactly the reference's boxes (same OpenCV calls on the same pixels).
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from ..contract import check_inputs, empty_boxes


def get_boxes_hoisted(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Rung 1: hoist the work that does not depend on the label out of the loop.

    The link-only mask is the same for every label: compute it once.  ``labels == k``
    is computed once per label instead of twice.  Each label still builds and
    searches full-size images.
    """
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    textmap = textmap.copy()
    linkmap = linkmap.copy()
    img_h, img_w = textmap.shape

    # 1. binarise both maps (strictly greater than the threshold -> 1)
    _, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)
    _, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)

    # 2. label their union, 4-connected
    text_score_comb = np.clip(text_score + link_score, 0, 1)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(
        text_score_comb.astype(np.uint8), connectivity=4)

    link_only = np.logical_and(link_score == 1, text_score == 0)     # hoisted: once, not per label

    boxes = []
    for k in range(1, n_labels):
        # 3a. size filter
        size = stats[k, cv2.CC_STAT_AREA]
        if size < 10:
            continue

        # 3b. confidence filter: the best region score inside the component
        in_label = labels == k                                        # once per label, not twice
        if np.max(textmap[in_label]) < text_threshold:
            continue

        # 3c. the component's mask, without pixels that are link but not text
        segmap = np.zeros(textmap.shape, dtype=np.uint8)
        segmap[in_label] = 255
        segmap[link_only] = 0

        # 3d. grow the mask in proportion to the component's thickness
        x, y = stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_TOP]
        w, h = stats[k, cv2.CC_STAT_WIDTH], stats[k, cv2.CC_STAT_HEIGHT]
        # int(): NumPy's int32 product overflows above a ~1290 x 1290 px component (CRAFT's code has it)
        niter = int(math.sqrt(int(size) * int(min(w, h)) / (w * h)) * 2)
        sx, ex, sy, ey = x - niter, x + w + niter + 1, y - niter, y + h + niter + 1
        if sx < 0:
            sx = 0
        if sy < 0:
            sy = 0
        if ex >= img_w:
            ex = img_w
        if ey >= img_h:
            ey = img_h
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1 + niter, 1 + niter))
        segmap[sy:ey, sx:ex] = cv2.dilate(segmap[sy:ey, sx:ex], kernel)

        # 3e. the minimum-area rectangle around every pixel of the grown mask
        np_contours = np.roll(np.array(np.where(segmap != 0)), 1, axis=0).transpose().reshape(-1, 2)
        rectangle = cv2.minAreaRect(np_contours)
        box = cv2.boxPoints(rectangle)

        # 3f. "diamond" fix: a nearly square box becomes the axis-aligned bounding box
        w, h = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[1] - box[2])
        box_ratio = max(w, h) / (min(w, h) + 1e-5)
        if abs(1 - box_ratio) <= 0.1:
            l, r = min(np_contours[:, 0]), max(np_contours[:, 0])
            t, b = min(np_contours[:, 1]), max(np_contours[:, 1])
            box = np.array([[l, t], [r, t], [r, b], [l, b]], dtype=np.float32)

        # 3g. start at the corner with the smallest x + y, keep the cyclic order
        startidx = box.sum(axis=1).argmin()
        box = np.roll(box, 4 - startidx, 0)
        boxes.append(np.array(box))

    if not boxes:
        return empty_boxes()
    return np.stack(boxes).astype(np.float32)


def get_boxes_roi(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Rung 2: work inside each label's region instead of on the whole map.

    The stats already give every label's box, all of its pixels lie inside it, and the
    dilated mask lies inside the box widened by ``niter``.  So the label test, the
    confidence check, the mask, the dilation and the point search all look at that
    region only; the points are shifted back to map coordinates at the end.
    """
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    textmap = textmap.copy()
    linkmap = linkmap.copy()
    img_h, img_w = textmap.shape

    # 1. binarise both maps (strictly greater than the threshold -> 1)
    _, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)
    _, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)

    # 2. label their union, 4-connected
    text_score_comb = np.clip(text_score + link_score, 0, 1)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(
        text_score_comb.astype(np.uint8), connectivity=4)

    link_only = np.logical_and(link_score == 1, text_score == 0)     # hoisted: once, not per label

    boxes = []
    for k in range(1, n_labels):
        # 3a. size filter
        size = stats[k, cv2.CC_STAT_AREA]
        if size < 10:
            continue

        # 3d (moved up). the region: the label's box widened by niter, clipped to the map
        x, y = stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_TOP]
        w, h = stats[k, cv2.CC_STAT_WIDTH], stats[k, cv2.CC_STAT_HEIGHT]
        # int(): NumPy's int32 product overflows above a ~1290 x 1290 px component (CRAFT's code has it)
        niter = int(math.sqrt(int(size) * int(min(w, h)) / (w * h)) * 2)
        sx, ex, sy, ey = x - niter, x + w + niter + 1, y - niter, y + h + niter + 1
        if sx < 0:
            sx = 0
        if sy < 0:
            sy = 0
        if ex >= img_w:
            ex = img_w
        if ey >= img_h:
            ey = img_h

        # 3b. confidence filter, inside the region only
        in_label = labels[sy:ey, sx:ex] == k
        if np.max(textmap[sy:ey, sx:ex][in_label]) < text_threshold:
            continue

        # 3c. the mask, region-sized
        segmap = np.zeros((ey - sy, ex - sx), dtype=np.uint8)
        segmap[in_label] = 255
        segmap[link_only[sy:ey, sx:ex]] = 0

        # 3d. grow the mask inside the region
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1 + niter, 1 + niter))
        segmap = cv2.dilate(segmap, kernel)

        # 3e. the minimum-area rectangle around every pixel of the grown mask
        np_contours = np.roll(np.array(np.where(segmap != 0)), 1, axis=0).transpose().reshape(-1, 2)
        np_contours += (sx, sy)                                         # back to map coordinates
        rectangle = cv2.minAreaRect(np_contours)
        box = cv2.boxPoints(rectangle)

        # 3f. "diamond" fix: a nearly square box becomes the axis-aligned bounding box
        w, h = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[1] - box[2])
        box_ratio = max(w, h) / (min(w, h) + 1e-5)
        if abs(1 - box_ratio) <= 0.1:
            l, r = min(np_contours[:, 0]), max(np_contours[:, 0])
            t, b = min(np_contours[:, 1]), max(np_contours[:, 1])
            box = np.array([[l, t], [r, t], [r, b], [l, b]], dtype=np.float32)

        # 3g. start at the corner with the smallest x + y, keep the cyclic order
        startidx = box.sum(axis=1).argmin()
        box = np.roll(box, 4 - startidx, 0)
        boxes.append(np.array(box))

    if not boxes:
        return empty_boxes()
    return np.stack(boxes).astype(np.float32)


def finish_boxes(boxes, points):
    """Steps 3f-3g for all boxes at once: the same float32 arithmetic as the reference, vectorised.

    ``boxes`` is (K, 4, 2) float32 from ``cv2.boxPoints``; ``points[i]`` holds box i's
    points, needed only for the few nearly square boxes that get the diamond fix.
    """
    e1 = boxes[:, 0] - boxes[:, 1]
    e2 = boxes[:, 1] - boxes[:, 2]
    w = np.sqrt((e1 * e1).sum(axis=1))
    h = np.sqrt((e2 * e2).sum(axis=1))
    box_ratio = np.maximum(w, h) / (np.minimum(w, h) + 1e-5)
    diamond = np.abs(1 - box_ratio) <= 0.1
    for i in np.flatnonzero(diamond):
        x, y, w, h = cv2.boundingRect(points[i])
        l, t, r, b = x, y, x + w - 1, y + h - 1
        boxes[i] = np.array([[l, t], [r, t], [r, b], [l, b]], dtype=np.float32)
    start = boxes.sum(axis=2).argmin(axis=1)
    order = (np.arange(4) + start[:, None]) % 4
    return np.take_along_axis(boxes, order[:, :, None], axis=1)


def get_boxes_python(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Rung 3, the Python level: the box-cropped version with the per-label overhead trimmed.

    What the profile of ``get_boxes_roi`` points to, each replaced by something that fits better:
    - thresholds and union as two NumPy comparisons (the same strict float32 test as
      ``cv2.threshold``), not threshold + add + clip + astype;
    - the confidence filter for all labels at once: a label passes when any of its pixels
      reaches ``text_threshold``, so one pass over the map marks them all;
    - the link-only pixels are removed once, from a copy of the label image, so a label's mask
      is a single comparison inside its region (no zeros, no second mask);
    - the stats are read once into Python ints (indexing a NumPy array per value is slow);
    - ``cv2.findNonZero`` finds the points (int32, in the same row-major order as
      ``np.where``), ready for ``cv2.minAreaRect`` without a conversion;
    - the diamond fix and the corner order, a dozen tiny NumPy calls per box, run once
      for all boxes after the loop (``finish_boxes``).
    """
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    img_h, img_w = textmap.shape
    text_score = textmap > np.float32(low_text)
    link_score = linkmap > np.float32(link_threshold)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(
        (text_score | link_score).view(np.uint8), connectivity=4)
    kept_labels = np.where(text_score | ~link_score, labels, 0)    # link-only pixels -> label 0
    confident = np.zeros(n_labels, dtype=bool)                     # max score >= text_threshold
    confident[labels[textmap >= np.float32(text_threshold)]] = True
    kernels = {}
    boxes, all_points = [], []
    for k, (x, y, w, h, size) in enumerate(stats.tolist()):
        if k == 0 or size < 10 or not confident[k]:
            continue
        niter = int(math.sqrt(size * min(w, h) / (w * h)) * 2)
        sx, ex, sy, ey = max(x - niter, 0), min(x + w + niter + 1, img_w), \
            max(y - niter, 0), min(y + h + niter + 1, img_h)
        segmap = (kept_labels[sy:ey, sx:ex] == k).view(np.uint8)     # the mask, region-sized
        kernel = kernels.get(niter)
        if kernel is None:
            kernel = kernels[niter] = cv2.getStructuringElement(cv2.MORPH_RECT, (1 + niter, 1 + niter))
        points = cv2.findNonZero(cv2.dilate(segmap, kernel))
        points += np.array((sx, sy), dtype=np.int32)    # back to map coordinates
        boxes.append(cv2.boxPoints(cv2.minAreaRect(points)))
        all_points.append(points)
    if not boxes:
        return empty_boxes()
    return finish_boxes(np.stack(boxes), all_points)
