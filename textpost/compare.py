"""One comparison of two sets of boxes, used by tests, notebooks, exercise checks and the benchmark."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Comparison:
    """The result of :func:`compare_boxes`.

    ``max_dist`` is the largest distance (pixels) between corresponding corners
    of matched boxes; ``same_order`` says whether box i matched box i for all i.
    """
    n_got: int
    n_expected: int
    max_dist: float
    same_order: bool
    worst: int | None          # index (in ``got``) of the box with the largest deviation
    unmatched: int             # boxes that found no partner within ``match_radius``
    tol: float

    @property
    def same_count(self) -> bool:
        return self.n_got == self.n_expected

    @property
    def identical(self) -> bool:
        return self.same_count and self.unmatched == 0 and self.same_order and self.max_dist == 0.0

    @property
    def ok(self) -> bool:
        """Same number of boxes, all matched one to one, in the same order, within ``tol`` px."""
        return self.same_count and self.unmatched == 0 and self.same_order and self.max_dist <= self.tol

    def __str__(self) -> str:
        if self.identical:
            return f"identical: {self.n_got} boxes, same order, max corner distance 0 px"
        parts = [f"{self.n_got} boxes vs {self.n_expected} expected"]
        if self.unmatched:
            parts.append(f"{self.unmatched} without a partner")
        parts.append("same order" if self.same_order else "DIFFERENT ORDER")
        parts.append(f"max corner distance {self.max_dist:.3g} px"
                     + (f" (box {self.worst})" if self.worst is not None and self.max_dist > 0 else ""))
        verdict = "OK" if self.ok else "MISMATCH"
        return f"{verdict} (tolerance {self.tol:g} px): " + ", ".join(parts)


def _as_boxes(name, boxes) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        return b.reshape(0, 4, 2)
    if b.ndim != 3 or b.shape[1:] != (4, 2):
        raise ValueError(f"{name} must have shape (K, 4, 2), got {b.shape}")
    return b


def _corner_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Largest corner-to-corner distance for each pair of boxes (corners compared in order)."""
    return np.sqrt(((a - b) ** 2).sum(axis=-1)).max(axis=-1)


def compare_boxes(got, expected, tol: float = 0.0, match_radius: float = 8.0) -> Comparison:
    """Compare the boxes of a level (``got``) with the reference's (``expected``).

    Boxes are matched one to one: first in order (box i with box i); when that
    fails, each box is matched to the closest unmatched expected box (corners
    compared in order) within ``match_radius`` pixels, so that a level which
    finds the same boxes in another order, or one extra box, is described
    precisely rather than as "everything differs".
    """
    a = _as_boxes("got", got)
    b = _as_boxes("expected", expected)
    if len(a) == len(b):
        d = _corner_dist(a, b) if len(a) else np.zeros(0)
        if len(d) == 0 or d.max() <= max(tol, 0.0) or d.max() <= match_radius:
            worst = int(d.argmax()) if len(d) else None
            return Comparison(len(a), len(b), float(d.max()) if len(d) else 0.0, True, worst, 0, tol)
    # general case: greedy one-to-one matching on the corner distance
    taken = np.zeros(len(b), dtype=bool)
    dists = np.full(len(a), np.inf)
    partner = np.full(len(a), -1)
    centers_b = b.mean(axis=1)
    for i in range(len(a)):
        if len(b) == 0:
            break
        near = np.flatnonzero(np.abs(centers_b - a[i].mean(axis=0)).max(axis=1) <= match_radius)
        near = near[~taken[near]]
        if len(near) == 0:
            continue
        d = _corner_dist(a[i][None], b[near])
        j = near[int(d.argmin())]
        if d.min() <= match_radius:
            taken[j] = True
            partner[i] = j
            dists[i] = d.min()
    matched = partner >= 0
    unmatched = int((~matched).sum() + (len(b) - taken.sum()))
    same_order = bool(len(a) == len(b) and np.array_equal(partner, np.arange(len(a))))
    max_dist = float(dists[matched].max()) if matched.any() else 0.0
    worst = int(np.flatnonzero(matched)[dists[matched].argmax()]) if matched.any() else None
    return Comparison(len(a), len(b), max_dist, same_order, worst, unmatched, tol)


def _quads(q) -> np.ndarray:
    return np.asarray(q, np.float32).reshape(-1, 4, 2)


def iou_and_cover(a, b) -> tuple[float, float]:
    """IoU of two convex quads, and the share of ``b``'s area inside ``a``."""
    import cv2
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    inter, _ = cv2.intersectConvexConvex(a, b)
    area_a, area_b = abs(cv2.contourArea(a)), abs(cv2.contourArea(b))
    union = area_a + area_b - inter
    return (inter / union if union > 0 else 0.0), (inter / area_b if area_b > 0 else 0.0)


def near_boxes(centres: np.ndarray, word: np.ndarray) -> np.ndarray:
    """Which boxes (by their ``centres``) lie close enough to ``word`` to overlap it."""
    return np.abs(centres - word.mean(axis=0)).max(axis=1) < np.ptp(word, axis=0).max()


def match_word_boxes(boxes, words, iou: float = 0.5) -> tuple[dict, dict]:
    """Ground-truth word quads matched one to one to boxes: each word in order takes the unused
    box of highest IoU, when that IoU is >= ``iou``.

    Returns ``(matched, best_iou)``: {word index: box index}, and {word index: best IoU} for
    the words left unmatched.
    """
    boxes, words = _quads(boxes), _quads(words)
    centres = boxes.mean(axis=1)
    used = np.zeros(len(boxes), bool)
    matched, best_iou = {}, {}
    for i, w in enumerate(words):
        best, best_j = 0.0, -1
        for j in np.flatnonzero(~used & near_boxes(centres, w)):
            v = iou_and_cover(w, boxes[j])[0]
            if v > best:
                best, best_j = v, int(j)
        if best >= iou:
            used[best_j] = True
            matched[i] = best_j
        else:
            best_iou[i] = float(best)
    return matched, best_iou


def match_words(boxes, words, iou: float = 0.5):
    """How many ground-truth word quads are recovered: each matched to at most one box with IoU >= ``iou``
    (:func:`match_word_boxes`).

    Returns ``(recovered, n_words, n_boxes)``.  Used to show that the postprocess finds the words;
    it is not a correctness check between levels (that is :func:`compare_boxes`).
    """
    matched, _ = match_word_boxes(boxes, words, iou)
    return len(matched), len(_quads(words)), len(_quads(boxes))
