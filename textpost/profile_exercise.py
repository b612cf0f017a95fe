"""A variant of the postprocess for the profiling exercise (solutions/02_measure.ipynb).

It returns the reference's boxes, and most of it already works inside each
label's region.  Profile it and find the line that still makes it slow.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from .contract import check_inputs, empty_boxes


def get_boxes_mystery(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    img_h, img_w = textmap.shape
    _, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)
    _, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)
    combined = np.clip(text_score + link_score, 0, 1).astype(np.uint8)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(combined, connectivity=4)
    link_only = np.logical_and(link_score == 1, text_score == 0)
    boxes = []
    for k in range(1, n_labels):
        x, y, w, h, size = (int(v) for v in stats[k])
        if size < 10:
            continue
        best = np.where(labels == k, textmap, 0).max()
        if best < np.float32(text_threshold):
            continue
        niter = int(math.sqrt(size * min(w, h) / (w * h)) * 2)
        sx, ex = max(x - niter, 0), min(x + w + niter + 1, img_w)
        sy, ey = max(y - niter, 0), min(y + h + niter + 1, img_h)
        segmap = np.zeros((ey - sy, ex - sx), dtype=np.uint8)
        segmap[labels[sy:ey, sx:ex] == k] = 255
        segmap[link_only[sy:ey, sx:ex]] = 0
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1 + niter, 1 + niter))
        segmap = cv2.dilate(segmap, kernel)
        ys, xs = np.nonzero(segmap)
        points = np.stack([xs + sx, ys + sy], axis=1)
        box = cv2.boxPoints(cv2.minAreaRect(points))
        w_, h_ = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[1] - box[2])
        if abs(1 - max(w_, h_) / (min(w_, h_) + 1e-5)) <= 0.1:
            l, r, t, b = points[:, 0].min(), points[:, 0].max(), points[:, 1].min(), points[:, 1].max()
            box = np.array([[l, t], [r, t], [r, b], [l, b]], dtype=np.float32)
        start = box.sum(axis=1).argmin()
        boxes.append(np.roll(box, 4 - start, 0))
    return np.stack(boxes).astype(np.float32) if boxes else empty_boxes()
