"""The exercise checker rejects the wrong answers learners plausibly write, and names each one's cause.

Every variant below is a small edit of the reference (``textpost/levels/reference.py``) or of its
box-cropped rung (``get_boxes_roi``): one plausible mistake at one step of the algorithm (the steps numbered in levels/reference.py).
The checker must reject each, and its "usual cause" line must be the hint of that mistake.
"""
from __future__ import annotations

import inspect
import math

import cv2
import numpy as np
import pytest

from textpost import check
from textpost.check import HINTS, check_solution, hints_for, load_cases
from textpost.contract import check_inputs, empty_boxes
from textpost.levels import python_level, reference

ROI_REGION = "sx, ex, sy, ey = x - niter, x + w + niter + 1, y - niter, y + h + niter + 1"

# name: (the function edited, the text replaced, its replacement, the hint the checker must give)
VARIANTS = {
    "max over the bounding box": (
        "roi", "np.max(textmap[sy:ey, sx:ex][in_label])", "np.max(textmap[y:y + h, x:x + w])", "confidence_pixels"),
    "max over the region": (
        "roi", "np.max(textmap[sy:ey, sx:ex][in_label])", "np.max(textmap[sy:ey, sx:ex])", "confidence_pixels"),
    "last row and column left out of the best score": (
        "reference", "if np.max(textmap[labels == k]) < text_threshold:",
        "if np.max(textmap[:-1, :-1][labels[:-1, :-1] == k], initial=0) < text_threshold:", "edge_pixels"),
    "dilation anchored one pixel off": (
        "reference", "cv2.dilate(segmap[sy:ey, sx:ex], kernel)",
        "cv2.dilate(segmap[sy:ey, sx:ex], kernel, anchor=(niter - (1 + niter) // 2,) * 2)", "shifted"),
    "no diamond fix": ("reference", "if abs(1 - box_ratio) <= 0.1:", "if False:", "diamond"),
    "diamond fix on every box": ("reference", "if abs(1 - box_ratio) <= 0.1:", "if True:", "diamond_wrong"),
    "diamond box one past the points": (
        "reference", "l, r = min(np_contours[:, 0]), max(np_contours[:, 0])",
        "l, r = min(np_contours[:, 0]), max(np_contours[:, 0]) + 1", "diamond_bbox"),
    "8-connectivity": ("reference", "connectivity=4", "connectivity=8", "connectivity"),
    "area filter <= 10": ("reference", "if size < 10:", "if size <= 10:", "area_10"),
    "area as w * h": (
        "reference", "if size < 10:",
        "if stats[k, cv2.CC_STAT_WIDTH] * stats[k, cv2.CC_STAT_HEIGHT] < 10:", "area_pixels"),
    "link-only pixels kept": (
        "reference", "segmap[np.logical_and(link_score == 1, text_score == 0)] = 0", "pass", "link_only"),
    "every link pixel removed": (
        "reference", "segmap[np.logical_and(link_score == 1, text_score == 0)] = 0",
        "segmap[link_score == 1] = 0", "link_and_text"),
    "no start corner": ("reference", "box = np.roll(box, 4 - startidx, 0)", "pass", "corners"),
    "start at the smallest x": (
        "reference", "startidx = box.sum(axis=1).argmin()", "startidx = box[:, 0].argmin()", "corners"),
    "start at the smallest y": (
        "reference", "startidx = box.sum(axis=1).argmin()", "startidx = box[:, 1].argmin()", "corners"),
    "labels in reverse order": (
        "reference", "for k in range(1, n_labels):", "for k in range(n_labels - 1, 0, -1):", "order"),
    "boxes sorted left to right": (
        "reference", "    if not boxes:", "    boxes.sort(key=lambda b: float(b[:, 0].min()))\n    if not boxes:",
        "order"),
    "region not widened on the near side": (
        "roi", ROI_REGION, "sx, ex, sy, ey = x, x + w + niter + 1, y, y + h + niter + 1", "near"),
    "region not widened on the far side": (
        "roi", ROI_REGION, "sx, ex, sy, ey = x - niter, x + w, y - niter, y + h", "far_side"),
    "region is the box": ("roi", ROI_REGION, "sx, ex, sy, ey = x, x + w, y, y + h", "grow"),
    "niter: * 2 inside the root": (
        "reference", "int(math.sqrt(int(size) * int(min(w, h)) / (w * h)) * 2)",
        "int(math.sqrt(int(size) * int(min(w, h)) / (w * h) * 2))", "grow"),
    "niter from max(w, h)": (
        "reference", "int(math.sqrt(int(size) * int(min(w, h)) / (w * h)) * 2)",
        "int(math.sqrt(int(size) * int(max(w, h)) / (w * h)) * 2)", "grow"),
    "points left in the region's frame": ("roi", "np_contours += (sx, sy)", "pass", "coordinates"),
    "region clipped one short of the far border": (
        "roi", "if ex >= img_w:\n            ex = img_w", "if ex >= img_w:\n            ex = img_w - 1", "clip"),
    "region not clipped at 0": ("roi", "if sx < 0:\n            sx = 0", "pass", "clip"),
    "low_text not strict": (
        "reference", "_, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)",
        "text_score = (textmap >= low_text).astype(np.float32)", "strict"),
    "link_threshold not strict": (
        "reference", "_, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)",
        "link_score = (linkmap >= link_threshold).astype(np.float32)", "strict"),
    "confidence filter <=": (
        "reference", "if np.max(textmap[labels == k]) < text_threshold:",
        "if np.max(textmap[labels == k]) <= text_threshold:", "confidence_strict"),
    "thresholds written as numbers": (
        "reference", "    textmap = textmap.copy()\n",
        "    text_threshold, link_threshold, low_text = 0.7, 0.4, 0.4\n    textmap = textmap.copy()\n",
        "thresholds"),
    "float64 boxes": (
        "reference", "return np.stack(boxes).astype(np.float32)", "return np.stack(boxes).astype(np.float64)",
        "dtype"),
}

SOURCES = {"reference": reference.get_boxes, "roi": python_level.get_boxes_roi}


def make_variant(name):
    """The function of VARIANTS[name]: the source edited once (the edit must apply exactly once)."""
    base, old, new, _ = VARIANTS[name]
    src = inspect.getsource(SOURCES[base])
    assert src.count(old) == 1, f"variant {name!r}: {old!r} occurs {src.count(old)} times"
    namespace = {"math": math, "cv2": cv2, "np": np, "check_inputs": check_inputs, "empty_boxes": empty_boxes}
    exec(compile(src.replace(old, new), f"<variant {name}>", "exec"), namespace)
    func = namespace[SOURCES[base].__name__]
    func.__name__ = "variant"
    return func


@pytest.mark.parametrize("name", list(VARIANTS))
def test_wrong_variant_is_rejected_with_its_cause(name, capsys):
    """Checked on the small cases only (samples=()): they alone must tell every variant apart."""
    hint = HINTS[VARIANTS[name][3]]
    assert check_solution(make_variant(name), samples=()) is False
    out = capsys.readouterr().out
    assert "Usual cause of the first difference: " + hint in out, out
    assert "DIFFERENT ORDER" not in out and "faster" not in out


@pytest.mark.parametrize("base", list(SOURCES))
def test_unedited_sources_pass(base, capsys):
    """The variants' starting points pass: every rejection above comes from the edit."""
    assert check_solution(SOURCES[base], samples=()) is True
    assert f"All {len(load_cases())} cases match." in capsys.readouterr().out


def test_every_case_has_its_stored_boxes_and_a_hint():
    cases = load_cases()
    assert len({c.name for c in cases}) == len(cases)
    for c in cases:
        assert c.cause in HINTS or c.cause == "geometry", c.name
        assert c.textmap.shape == c.linkmap.shape == (64, 64) and c.textmap.dtype == np.float32
        boxes = check.expected_boxes(c.name)
        np.testing.assert_array_equal(boxes, reference.get_boxes(c.textmap, c.linkmap, *c.thresholds))


def test_every_mistake_is_caught_by_a_case_of_its_own():
    """Each case changes the answer of the variants built for it (no case is decoration)."""
    caught = {VARIANTS[name][3] for name in VARIANTS}
    built_for = {c.cause for c in load_cases()} - {"geometry"}
    assert built_for <= caught, f"cases without a variant: {built_for - caught}"


def test_counts_that_differ_name_the_unmatched_boxes(capsys):
    def drop_last(textmap, linkmap, *thresholds):
        return reference.get_boxes(textmap, linkmap, *thresholds)[:-1]

    assert check_solution(drop_last, samples=()) is False
    out = capsys.readouterr().out
    assert "0 boxes, expected 1; expected without a match: (9, 23)-(54, 40)" in out
    assert "max corner distance 0 px" not in out


def test_float64_is_named_and_fails(capsys):
    def as_float64(textmap, linkmap, *thresholds):
        return reference.get_boxes(textmap, linkmap, *thresholds).astype(np.float64)

    assert check_solution(as_float64, samples=(), tol=0.5) is False
    assert "your boxes are float64; the contract is float32" in capsys.readouterr().out


def test_exercise_tables_speak_the_exercises_names(capsys):
    # exercise 02: the learner writes the line that computes `best`
    assert check_solution(make_variant("max over the bounding box"), samples=(), exercise="02") is False
    assert "mask the box with labels[...] == k" in capsys.readouterr().out
    crop_frame = make_variant("points left in the region's frame")
    assert check_solution(crop_frame, samples=(), exercise="03") is False
    assert "np_contours += (sx, sy)" in capsys.readouterr().out
    assert "(x0, y0)" not in " ".join(hints_for("03").values())
    # exercise 05: only the dilation is the learner's; a wrong reach is named as the kernel's
    anchored = make_variant("region not widened on the near side")
    assert check_solution(anchored, samples=(), exercise="05") is False
    out = capsys.readouterr().out
    assert "your square reaches too little up or left" in out and "region" not in out.split("Usual cause")[1]
    swapped = make_variant("dilation anchored one pixel off")
    assert check_solution(swapped, samples=(), exercise="05") is False
    assert "your square grows the wrong way" in capsys.readouterr().out
    # exercise 05: a count difference is not blamed on a filter the learner did not write
    assert check_solution(make_variant("area filter <= 10"), samples=(), exercise="05") is False
    assert "code you did not write" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no hint table"):
        hints_for("99")


def test_a_failed_check_times_nothing(capsys):
    assert check_solution(make_variant("no diamond fix"), samples=("edge_cases",)) is False
    out = capsys.readouterr().out
    assert " ms" not in out and " s]" not in out and "faster" not in out
