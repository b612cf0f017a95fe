"""The reference, rule by rule, on small hand-built maps with hand-computed boxes.

The expectations follow the published algorithm (CRAFT's, as EasyOCR ships it):
the dilation of an OpenCV rectangle of side k = 1 + niter with its centred anchor a = k // 2
grows a mask by k - 1 - a pixels to the left/top and by a pixels to the right/bottom.
"""
import math

import cv2
import numpy as np
import pytest

from textpost.levels.reference import get_boxes
from conftest import blank


def rect_box(l, t, r, b):
    return np.array([[[l, t], [r, t], [r, b], [l, b]]], np.float32)


def assert_boxes(got, expected, atol=1e-4):
    assert got.dtype == np.float32 and got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_allclose(got, expected, atol=atol)


def niter_of(area, w, h):
    return int(math.sqrt(area * min(w, h) / (w * h)) * 2)


def grown(l, t, r, b, niter, h, w):
    """The bounding box of a filled rectangle after the reference's dilation, clipped to an h x w map."""
    k = 1 + niter
    a = k // 2
    return max(l - (k - 1 - a), 0), max(t - (k - 1 - a), 0), min(r + a, w - 1), min(b + a, h - 1)


def test_empty_map_gives_no_boxes():
    t, l = blank()
    out = get_boxes(t, l)
    assert out.shape == (0, 4, 2) and out.dtype == np.float32


def test_a_rectangle_gives_its_dilated_box():
    t, l = blank()
    t[10:15, 10:20] = 0.9                       # w 10, h 5, area 50
    n = niter_of(50, 10, 5)
    assert n == 4
    assert_boxes(get_boxes(t, l), rect_box(*grown(10, 10, 19, 14, n, 30, 40)))
    assert grown(10, 10, 19, 14, n, 30, 40) == (8, 8, 21, 16)


@pytest.mark.parametrize("area,kept", [(9, False), (10, True)])
def test_area_filter(area, kept):
    t, l = blank()
    t[5, 5:5 + area] = 0.95                      # one row of `area` pixels
    assert len(get_boxes(t, l)) == (1 if kept else 0)


@pytest.mark.parametrize("peak,kept", [(0.69, False), (0.6999, False), (0.7, True), (0.71, True)])
def test_confidence_filter(peak, kept):
    t, l = blank()
    t[10:15, 10:20] = 0.5                        # above low_text, below text_threshold
    t[12, 14] = peak
    assert len(get_boxes(t, l)) == (1 if kept else 0)


def test_thresholds_are_strict():
    t, l = blank()
    t[10:15, 10:20] = np.float32(0.4)            # exactly low_text: not text
    t[12, 12] = 0.9
    assert len(get_boxes(t, l)) == 0             # a single pixel over 0.4: area 1 < 10


def test_link_only_pixels_are_removed_from_the_mask():
    t, l = blank()
    t[10:15, 10:20] = 0.9                        # text
    l[10:15, 20:30] = 0.9                        # link only, joined to the text
    # the component is 20 x 5, area 100 -> niter = int(sqrt(100 * 5 / 100) * 2) = 4
    assert niter_of(100, 20, 5) == 4
    # the mask is the text part only, grown by 2 on each side (k = 5, a = 2)
    assert_boxes(get_boxes(t, l), rect_box(8, 8, 21, 16))


def test_links_join_two_words_into_one_box():
    t, l = blank(30, 60)
    t[10:15, 5:15] = 0.9
    t[10:15, 25:35] = 0.9
    l[11:14, 15:25] = 0.9                        # the link between them
    assert len(get_boxes(t, l)) == 1
    assert len(get_boxes(t, l, link_threshold=2.0)) == 2   # a high link threshold switches links off


@pytest.mark.parametrize("w,h,area", [(10, 5, 50), (30, 3, 90), (7, 7, 49), (40, 10, 400)])
def test_niter_follows_the_formula(w, h, area):
    t, l = blank(80, 100)
    t[30:30 + h, 30:30 + w] = 0.9
    n = niter_of(area, w, h)
    l_, t_, r_, b_ = grown(30, 30, 30 + w - 1, 30 + h - 1, n, 80, 100)
    # for a filled rectangle, minAreaRect and the diamond fix's bounding box are the same rectangle
    assert_boxes(get_boxes(t, l), rect_box(l_, t_, r_, b_))


@pytest.mark.parametrize("where", ["top_left", "bottom_right", "left", "top", "right", "bottom"])
def test_region_is_clipped_at_the_borders(where):
    h, w = 20, 30
    t, l = blank(h, w)
    spans = {
        "top_left": (0, 5, 0, 10), "bottom_right": (15, 20, 20, 30), "left": (8, 13, 0, 10),
        "top": (0, 5, 10, 20), "right": (8, 13, 20, 30), "bottom": (15, 20, 10, 20),
    }
    y0, y1, x0, x1 = spans[where]
    t[y0:y1, x0:x1] = 0.9
    n = niter_of((y1 - y0) * (x1 - x0), x1 - x0, y1 - y0)
    assert_boxes(get_boxes(t, l), rect_box(*grown(x0, y0, x1 - 1, y1 - 1, n, h, w)))


def test_diamond_fix_gives_the_axis_aligned_box():
    t, l = blank(40, 40)
    yy, xx = np.mgrid[:40, :40]
    t[(abs(xx - 20) + abs(yy - 20)) <= 8] = 0.9  # a 45-degree square, area 145, 17 x 17
    n = niter_of(145, 17, 17)
    assert n == 5                                # k = 6, a = 3: grows 2 left/top, 3 right/bottom
    # minAreaRect gives the rotated square; nearly square -> replaced by the points' bounding box
    assert_boxes(get_boxes(t, l), rect_box(10, 10, 31, 31))


def test_corner_order_starts_at_smallest_x_plus_y_and_keeps_the_cycle():
    t, l = blank(60, 80)
    cv2.ellipse(t, (40, 30), (25, 6), 30, 0, 360, 0.9, -1)
    box = get_boxes(t, l)[0]
    s = box.sum(axis=1)
    assert s.argmin() == 0
    # the same cycle as OpenCV's own corners, rotated
    m = (t > 0.4).astype(np.uint8)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=4)
    x, y, w, h, area = stats[1]
    n = niter_of(area, w, h)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (1 + n, 1 + n))
    pts = cv2.findNonZero(cv2.dilate(m, k))
    cv_box = cv2.boxPoints(cv2.minAreaRect(pts))
    start = cv_box.sum(axis=1).argmin()
    np.testing.assert_array_equal(box, np.roll(cv_box, 4 - start, 0))
    # a real rotated box, not the diamond fix
    e = np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[1] - box[2])
    assert max(e) / min(e) > 2


def test_boxes_come_in_label_order():
    t, l = blank(40, 60)
    t[20:25, 5:15] = 0.9      # starts lower: second label in raster order
    t[5:10, 40:50] = 0.9      # starts higher: first label
    boxes = get_boxes(t, l)
    assert len(boxes) == 2
    assert boxes[0][:, 1].min() < boxes[1][:, 1].min()


def test_inputs_are_not_modified():
    t, l = blank()
    t[10:15, 10:20] = 0.9
    l[10:15, 20:30] = 0.9
    t0, l0 = t.copy(), l.copy()
    get_boxes(t, l)
    np.testing.assert_array_equal(t, t0)
    np.testing.assert_array_equal(l, l0)


def test_matches_published_boxes_on_a_generated_page():
    """Regression: the reference on a fixed generated page keeps returning the same boxes."""
    from textpost.synth import make_page
    p = make_page(40, 256, seed=11, max_angle=20)
    boxes = get_boxes(p.textmap, p.linkmap)
    assert boxes.shape[1:] == (4, 2) and 30 <= len(boxes) <= 50
    sums = boxes.sum(axis=2)
    assert (sums.argmin(axis=1) == 0).all()


@pytest.mark.parametrize("side", [1300, 1700])
def test_a_huge_component_gets_the_same_box_from_every_level(side):
    """A filled side x side square: ``size * min(w, h)`` = side**3 is beyond int32 (CRAFT's code
    overflows here: "math domain error" at 1300, a box 26-27 px too small on each side at 1700); the reference
    computes it in Python integers and agrees with every other level."""
    from textpost.compare import compare_boxes
    from textpost.levels import ALL_LEVELS, INFO
    margin = 50                                   # more than the growth, 2 * sqrt(side) // 2 + 1
    n = side + 2 * margin
    t, l = np.zeros((n, n), np.float32), np.zeros((n, n), np.float32)
    t[margin:margin + side, margin:margin + side] = 0.9
    want = get_boxes(t, l)
    last = margin + side - 1
    assert_boxes(want, rect_box(*grown(margin, margin, last, last, niter_of(side * side, side, side), n, n)))
    for name, level in ALL_LEVELS.items():
        if name != "reference":
            c = compare_boxes(level(t, l), want, tol=INFO[name].tolerance)
            assert c.ok, f"{name} on a {side} px square: {c}"
