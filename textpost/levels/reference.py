"""The reference: CRAFT's word-box postprocess, written the way the published code does it.

This is the "before" of the workshop.  It reproduces the published
algorithm step for step (same OpenCV calls, same order, same full-size work
per label), so that it returns the same boxes in the same order as the code
that ships with CRAFT and EasyOCR.  Its cost grows with
(number of labels) x (map area): every label builds, masks and searches
full-size images.

Do not optimise this file: it is what learners profile.

The algorithm is CRAFT's published postprocess (``getDetBoxes_core`` in
CRAFT-pytorch, Copyright (c) 2019-present NAVER Corp., MIT License; EasyOCR,
Apache-2.0, ships the same code).  This is a re-implementation from the
published algorithm, not a copy of that code.

One deliberate difference: ``niter`` is computed in Python integers.  CRAFT's code multiplies
the NumPy int32 stats, ``size * min(w, h)``, which overflows for a component larger than
about 1290 x 1290 px (a filled 1300 px square raises "math domain error", a 1700 px one gets
a box 26-27 px too small on each side); every other level computes it without overflow.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from ..contract import check_inputs, empty_boxes


def get_boxes(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Word boxes from CRAFT's region (``textmap``) and affinity (``linkmap``) maps.

    Returns a ``(K, 4, 2)`` float32 array: K boxes, 4 corners each, (x, y) in
    score-map pixels, the corner with the smallest x + y first.
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

    boxes = []
    for k in range(1, n_labels):
        # 3a. size filter
        size = stats[k, cv2.CC_STAT_AREA]
        if size < 10:
            continue

        # 3b. confidence filter: the best region score inside the component
        if np.max(textmap[labels == k]) < text_threshold:
            continue

        # 3c. the component's mask, without pixels that are link but not text
        segmap = np.zeros(textmap.shape, dtype=np.uint8)
        segmap[labels == k] = 255
        segmap[np.logical_and(link_score == 1, text_score == 0)] = 0

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
