"""The fused level: its own labeling, the reference's boxes bit for bit, never a crash.

"fused" replaces cv2.connectedComponentsWithStats with runs + union-find, so
besides the boxes these tests check the labeling itself: the same label image,
the same label order and the same statistics as OpenCV, and each label's best
textmap score.  Fuzz cases run in this process on purpose: a crash in the
extension must fail the test run.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from textpost.data import SAMPLES, load_sample
from textpost.levels.reference import get_boxes as reference
from textpost.synth import make_page

from extension_helpers import assert_matches, build_or_skip, outcome

EXPECTED = Path(__file__).parent / "expected"


@pytest.fixture(scope="module")
def ext():
    """The compiled module; skipped (outside CI only) when the toolchain is missing."""
    from textpost.levels.fused_level import load_extension
    return build_or_skip(load_extension)


@pytest.fixture(scope="module")
def fused(ext):
    from textpost.levels.fused_level import get_boxes_fused
    return get_boxes_fused


def opencv_labeling(textmap, linkmap, link_threshold=0.4, low_text=0.4):
    """What the reference labels: labels, stats[1:] and each label's best textmap score."""
    _, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)
    _, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)
    union = np.clip(text_score + link_score, 0, 1).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(union, connectivity=4)
    best = np.full(n, -np.inf, np.float32)
    np.maximum.at(best, labels.ravel(), textmap.ravel())
    return labels, stats[1:], best[1:]


# --------------------------------------------------------------------------- registry

def test_registry_marks_fused_as_replacing_the_labeling():
    from textpost.levels.fused_level import get_boxes_fused
    from textpost.levels import ALL_LEVELS, INFO
    assert ALL_LEVELS["fused"] is get_boxes_fused
    assert {n for n, lv in INFO.items() if lv.replaces_labeling} == {"fused"} and "fused" in ALL_LEVELS


# --------------------------------------------------------------------------- the labeling

def _labeling_cases():
    rng = np.random.default_rng(3)
    cases = {}
    for seed, (n, size, angle) in enumerate([(40, 200, 10.0), (300, 384, 45.0), (150, (256, 400), 90.0)]):
        p = make_page(n, size, seed=seed, max_angle=angle)
        cases[f"page{seed}"] = (p.textmap, p.linkmap, {})
    cases["noise"] = (rng.random((150, 170), dtype=np.float32), rng.random((150, 170), dtype=np.float32), {})
    cases["noise, links only"] = (rng.random((90, 60), dtype=np.float32) * 0.3,
                                  rng.random((90, 60), dtype=np.float32), {})
    checker = (np.indices((40, 40)).sum(0) % 2).astype(np.float32)   # 4-connectivity: every pixel alone
    cases["checkerboard"] = (checker, np.zeros_like(checker), {})
    comb = np.zeros((30, 40), np.float32)   # a comb: many runs joined only at the bottom
    comb[:, ::2] = 0.9
    comb[-1] = 0.9
    cases["comb"] = (comb, np.zeros_like(comb), {})
    cases["comb upside down"] = (comb[::-1].copy(), np.zeros_like(comb), {})
    spiral = np.zeros((21, 21), np.float32)   # one component whose first run is not its leftmost
    spiral[[1, 19], 1:20] = spiral[1:20, [1, 19]] = spiral[5, 5:20] = spiral[5:17, 5] = 0.9
    spiral[16, 5:16] = 0.9
    cases["spiral"] = (spiral, np.zeros_like(spiral), {})
    cases["row"] = (rng.random((1, 300), dtype=np.float32), rng.random((1, 300), dtype=np.float32), {})
    cases["column"] = (rng.random((300, 1), dtype=np.float32), rng.random((300, 1), dtype=np.float32), {})
    cases["one pixel"] = (np.full((1, 1), 0.9, np.float32), np.zeros((1, 1), np.float32), {})
    cases["full"] = (np.full((17, 9), 0.9, np.float32), np.zeros((17, 9), np.float32), {})
    cases["empty"] = (np.zeros((17, 9), np.float32), np.zeros((17, 9), np.float32), {})
    p = make_page(100, 256, seed=9)
    cases["links off"] = (p.textmap, p.linkmap, dict(link_threshold=2.0))
    cases["all text"] = (p.textmap, p.linkmap, dict(low_text=-1.0))
    return cases


LABELING = _labeling_cases()


@pytest.mark.parametrize("name", list(LABELING))
def test_labels_order_and_stats_are_opencvs(ext, name):
    """Same label image (so the same label order) and the same stats as OpenCV, and the best scores."""
    from textpost.levels.fused_level import components
    t, l, kw = LABELING[name]
    labels, stats, best = components(t, l, **kw)
    want_labels, want_stats, want_best = opencv_labeling(t, l, **kw)
    assert labels.dtype == np.int32 and stats.dtype == np.int32 and best.dtype == np.float32
    assert np.array_equal(labels, want_labels), f"{name}: labels differ"
    assert np.array_equal(stats, want_stats), f"{name}: stats differ"
    assert np.array_equal(best, want_best), f"{name}: best scores differ"


# --------------------------------------------------------------------------- same boxes

@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_match_the_stored_reference_boxes(fused, sample):
    p = load_sample(sample)
    assert_matches(fused(p.textmap, p.linkmap), np.load(EXPECTED / f"{sample}.npy"), "fused", sample)


UNSEEN = [(seed, n, size, angle)
          for seed, (n, size, angle) in enumerate(
              [(0, 64, 0.0), (1, 48, 0.0), (5, 64, 0.0), (10, 128, 0.0), (40, 200, 10.0), (80, 256, 30.0),
               (100, 320, 45.0), (150, (256, 400), 90.0), (300, 384, 5.0), (40, (180, 500), 15.0),
               (40, (500, 180), 15.0), (250, 300, 60.0)], start=200)]


@pytest.mark.parametrize("seed,n,size,angle", UNSEEN)
def test_unseen_pages(fused, seed, n, size, angle):
    p = make_page(n, size, seed=seed, max_angle=angle)
    for thresholds in [(), (0.6, 0.3, 0.35), (0.7, 5.0, 0.4), (0.9, 0.6, 0.5)]:
        assert_matches(fused(p.textmap, p.linkmap, *thresholds), reference(p.textmap, p.linkmap, *thresholds), "fused",
                         f"seed {seed}, thresholds {thresholds}")


@pytest.mark.parametrize("n", [1000, 3000])
def test_workshop_size_pages_match_the_cpp_level(fused, n):
    """At 1280 x 1280 the reference takes seconds; the cpp level is identical to it (tests/test_cpp.py)."""
    from textpost.levels.cpp_level import get_boxes_cpp
    p = make_page(n, 1280, seed=0)
    got = fused(p.textmap, p.linkmap)
    assert len(got) > n * 0.9
    assert_matches(got, get_boxes_cpp(p.textmap, p.linkmap), "fused", f"{n} words, 1280 x 1280", against="cpp")


# --------------------------------------------------------------------------- the rectangle

def _bits_equal(a, b):
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def _first_difference(ours, other, points, starts, name):
    bad = np.nonzero(~np.all(ours.view(np.uint32) == other.view(np.uint32), axis=(1, 2)))[0]
    if not len(bad):
        return ""
    k = bad[0]
    return (f"{len(bad)} of {len(ours)} sets differ from {name}; the first: points "
            f"{points[starts[k]:starts[k + 1]].tolist()}, ours {ours[k].tolist()}, {name} {other[k].tolist()}")


def _cv2_boxes(points, starts):
    """cv2.boxPoints(cv2.minAreaRect(set)) of each set, in Python (the wheel's OpenCV)."""
    out = np.zeros((len(starts) - 1, 4, 2), np.float32)
    for k in range(len(starts) - 1):
        if starts[k + 1] > starts[k]:   # Python's cv2 takes no empty set; the rectangle of none is all zero
            out[k] = cv2.boxPoints(cv2.minAreaRect(points[starts[k]:starts[k + 1]]))
    return out


@pytest.fixture(scope="module")
def kernel_boxes():
    """kernels.py's hull, calipers and box points over many sets, compiled with numba."""
    from numba import njit
    from textpost.levels.kernels import box_points, convex_hull, min_area_rect

    @njit(cache=False)
    def boxes(points, starts):
        k_sets = len(starts) - 1
        out = np.zeros((k_sets, 4, 2), np.float32)
        longest = max(1, np.max(starts[1:] - starts[:-1])) if k_sets else 1
        pts = np.empty((longest, 2), np.int64)
        work = np.empty((longest + 1, 2), np.int64)
        hull = np.empty((longest + 1, 2), np.int64)
        edges = np.empty((longest + 1, 3), np.float32)
        for k in range(k_sets):
            n = starts[k + 1] - starts[k]
            pts[:n] = points[starts[k]:starts[k + 1]]
            m = convex_hull(pts, n, work, hull)
            cx, cy, w, h, angle = min_area_rect(hull, m, edges)
            box_points(cx, cy, w, h, angle, out[k])
        return out

    return boxes


def _random_sets(rng, k_sets):
    """k_sets point sets in raster order (by y, then x), as (points, starts): a mix of general
    sets and degenerate ones (none, one point, duplicates, collinear, one row, one column, two rows)."""
    kind = rng.integers(0, 9, k_sets)
    n = np.where(kind == 0, 0, np.where(kind == 1, 1, rng.integers(2, 40, k_sets)))
    starts = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
    owner = np.repeat(np.arange(k_sets), n)
    kk = kind[owner]
    span = np.where(rng.random(k_sets) < 0.5, 8, 2000)[owner]   # small grids (many ties, duplicates) and wide ones
    x = rng.integers(0, span)
    y = rng.integers(0, span)
    y = np.where(kk == 2, y % 2 + rng.integers(0, 1000, k_sets)[owner], y)          # two rows
    x, y = np.where(kk == 3, rng.integers(0, 3000, k_sets)[owner], x), y             # one column (x fixed)
    y = np.where(kk == 4, rng.integers(0, 3000, k_sets)[owner], y)                   # one row
    slope = rng.integers(-3, 4, k_sets)[owner]
    x = np.where(kk == 5, 3000 + slope * y, x)                                       # collinear, diagonal
    dup = kk == 6                                                                    # every point the same
    x, y = np.where(dup, x[starts[owner]] if len(x) else x, x), np.where(dup, y[starts[owner]] if len(y) else y, y)
    order = np.lexsort((x, y, owner))                                                # raster order in each set
    points = np.stack([x[order], y[order]], axis=1).astype(np.int32)
    return np.ascontiguousarray(points), starts


def test_rectangle_is_opencvs_on_every_sample_component(ext, kernel_boxes):
    """Every component of every sample: our rectangle, OpenCV's (C++ and Python) and kernels.py's agree bit for bit."""
    from textpost.levels.cpp_level import load_extension as load_cpp
    oracle = build_or_skip(load_cpp)
    for sample in SAMPLES:
        p = load_sample(sample)
        points, starts = ext.component_points(p.textmap, p.linkmap, 0.7, 0.4, 0.4)
        assert len(starts) > 1 and starts[-1] == len(points), sample
        ours = ext.rect_boxes(points, starts)
        for name, other in (("cv::minAreaRect", oracle.rect_boxes(points, starts)),
                            ("cv2.minAreaRect", _cv2_boxes(points, starts)),
                            ("kernels.min_area_rect", kernel_boxes(points, starts))):
            assert _bits_equal(ours, other), f"{sample}: " + _first_difference(ours, other, points, starts, name)


def test_rectangle_is_opencvs_on_a_million_random_sets(ext, kernel_boxes):
    """A million random sets, degenerate ones included, against cv::minAreaRect and kernels.py;
    a tenth of them also against Python's cv2 (the wheel's OpenCV, a different build)."""
    from textpost.levels.cpp_level import load_extension as load_cpp
    oracle = build_or_skip(load_cpp)
    rng = np.random.default_rng(2024)
    for batch in range(4):
        points, starts = _random_sets(rng, 250_000)
        ours = ext.rect_boxes(points, starts)
        for name, other in (("cv::minAreaRect", oracle.rect_boxes(points, starts)),
                            ("kernels.min_area_rect", kernel_boxes(points, starts))):
            assert _bits_equal(ours, other), f"batch {batch}: " + _first_difference(ours, other, points, starts, name)
        sub = starts[:25_001]
        got, want = ours[:25_000], _cv2_boxes(points, sub)
        assert _bits_equal(got, want), f"batch {batch}: " + _first_difference(got, want, points, sub, "cv2.minAreaRect")


def test_random_sets_hold_the_degenerate_kinds():
    """The generator above really makes what it promises (else the test above proves less)."""
    points, starts = _random_sets(np.random.default_rng(5), 5000)
    sets = [points[starts[k]:starts[k + 1]] for k in range(len(starts) - 1)]
    sizes = np.diff(starts)
    assert (sizes == 0).sum() > 100 and (sizes == 1).sum() > 100
    assert sum(len(s) > 2 and len(np.unique(s, axis=0)) == 1 for s in sets) > 100                  # duplicates
    assert sum(len(s) > 2 and len(np.unique(s[:, 1])) == 1 for s in sets) > 100                    # one row
    assert sum(len(s) > 2 and len(np.unique(s[:, 0])) == 1 for s in sets) > 100                    # one column
    assert sum(len(s) > 2 and len(np.unique(s[:, 1])) == 2 for s in sets) > 100                    # two rows
    assert all(np.all(np.diff(s[:, 1] * 10**6 + s[:, 0]) >= 0) for s in sets)                     # raster order


def test_rect_boxes_rejects_bad_arguments(ext):
    good = np.zeros((3, 2), np.int32)
    with pytest.raises(TypeError):
        ext.rect_boxes(good.astype(np.int64), np.array([0, 3], np.int64))
    with pytest.raises(TypeError):
        ext.rect_boxes(good, np.array([0, 3], np.int32))
    for starts in ([0, 4], [2, 1], [-1, 3]):
        with pytest.raises(ValueError):
            ext.rect_boxes(good, np.array(starts, np.int64))
    assert ext.rect_boxes(good, np.array([0], np.int64)).shape == (0, 4, 2)


def _edge_maps():
    """Hand-made maps for the corners of the specification."""
    maps = {}
    for where, (rs, cs) in {"top": (np.s_[0:5], np.s_[10:30]), "bottom": (np.s_[35:40], np.s_[10:30]),
                            "left": (np.s_[10:20], np.s_[0:4]), "right": (np.s_[10:20], np.s_[56:60]),
                            "top-left": (np.s_[0:6], np.s_[0:12]), "bottom-right": (np.s_[34:40], np.s_[48:60]),
                            "everywhere": (np.s_[0:40], np.s_[0:60])}.items():
        t = np.zeros((40, 60), np.float32)
        t[rs, cs] = 0.9
        maps[f"touches {where}"] = (t, np.zeros_like(t))
    t = np.zeros((30, 40), np.float32)
    t[2:5, 2:5] = 0.9                 # 9 px: under the size filter
    t[2:4, 10:15] = 0.9               # 10 px: kept
    t[10, 10] = t[20, 30] = 0.95      # single pixels
    t[25:27, 2:6] = 0.9               # 8 px
    maps["tiny blobs"] = (t, np.zeros_like(t))
    t = np.zeros((30, 30), np.float32)
    l = np.zeros_like(t)
    l[5:12, 5:12] = 0.9               # link-only blob with some text score
    t[5:12, 5:12] = 0.35
    t[20:25, 18:28] = 0.95
    l[0:3, 20:30] = 0.9               # link-only at the border, no text score at all
    maps["link-only pixels"] = (t, l)
    t = np.zeros((40, 60), np.float32)
    l = np.zeros_like(t)
    t[15:20, 30:34] = t[15:20, 40:44] = 0.9   # two words joined by a link, whose pixels leave the mask
    l[16:19, 33:41] = 0.8
    t[30:36, 5:9] = 0.9                        # a word with a link hanging off it
    l[33, 9:20] = 0.8
    maps["joined by links"] = (t, l)
    row = np.where(np.arange(50) % 17 < 12, 0.9, 0.0).astype(np.float32)[None, :]
    maps["one row"] = (row, np.zeros_like(row))
    maps["one column"] = (row.T.copy(), np.zeros_like(row.T))
    maps["one pixel"] = (np.full((1, 1), 0.9, np.float32), np.zeros((1, 1), np.float32))
    maps["1 x 7 link"] = (np.zeros((1, 7), np.float32), np.full((1, 7), 0.9, np.float32))
    maps["empty"] = (np.zeros((25, 31), np.float32), np.zeros((25, 31), np.float32))
    maps["full"] = (np.full((25, 31), 0.9, np.float32), np.zeros((25, 31), np.float32))
    d = np.zeros((41, 41), np.float32)   # a diamond: its minimum-area rectangle is nearly square
    yy, xx = np.mgrid[:41, :41]
    d[np.abs(yy - 20) + np.abs(xx - 20) <= 14] = 0.9
    maps["diamond"] = (d, np.zeros_like(d))
    return maps


EDGES = _edge_maps()
EDGE_THRESHOLDS = [dict(), dict(text_threshold=0.3), dict(text_threshold=0.1, low_text=0.4),
                   dict(link_threshold=1.5), dict(text_threshold=1.5), dict(low_text=2.0),
                   dict(link_threshold=1e30, low_text=-1e30), dict(text_threshold=-1.0, low_text=0.05)]


@pytest.mark.parametrize("name", list(EDGES))
def test_edge_cases(fused, name):
    t, l = EDGES[name]
    for thresholds in EDGE_THRESHOLDS:
        assert_matches(fused(t, l, **thresholds), reference(t, l, **thresholds), "fused", f"{name} {thresholds}")


def test_threshold_rounding_like_float32(fused):
    """Thresholds are compared in float32 (OpenCV's threshold, NumPy's scalar rules)."""
    v = np.float32(0.55)
    t = np.zeros((20, 20), np.float32)
    t[2:8, 2:12] = v
    t[12:18, 2:12] = np.float32(0.8)
    l = np.zeros_like(t)
    l[8:12, 4:8] = v
    for delta in (-1e-12, 0.0, 1e-12):
        thr = float(v) + delta
        for kw in (dict(low_text=thr), dict(link_threshold=thr), dict(text_threshold=thr, low_text=0.3)):
            assert_matches(fused(t, l, **kw), reference(t, l, **kw), "fused", f"{kw}")


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the reference's, for 1e300
@pytest.mark.parametrize("kwargs", [
    dict(text_threshold=5), dict(link_threshold=1e30), dict(low_text=-1e30), dict(link_threshold=2.0),
    dict(text_threshold=Fraction(1, 2)), dict(low_text=np.float16(0.3)), dict(link_threshold=np.int64(2)),
    dict(text_threshold=1e300), dict(low_text=-1e300),
])
def test_unusual_but_legal_thresholds(fused, kwargs):
    page = make_page(30, 128, seed=3)
    assert_matches(fused(page.textmap, page.linkmap, **kwargs), reference(page.textmap, page.linkmap, **kwargs), "fused",
                     f"{kwargs}")


def test_layouts_and_dtypes_are_converted(fused):
    page = make_page(60, (150, 210), seed=11, max_angle=30)
    t, l = page.textmap, page.linkmap
    expected = reference(t, l)
    big_t, big_l = np.zeros((300, 420), np.float32), np.zeros((300, 420), np.float32)
    big_t[::2, ::2], big_l[::2, ::2] = t, l
    variants = {
        "float64": (t.astype(np.float64), l.astype(np.float64)),
        "fortran": (np.asfortranarray(t), np.asfortranarray(l)),
        "big-endian": (t.astype(">f4"), l.astype(">f4")),
        "strided": (big_t[::2, ::2], big_l[::2, ::2]),
    }
    for name, (a, b) in variants.items():
        assert_matches(fused(a, b), expected, "fused", name)
    assert np.array_equal(t, page.textmap) and np.array_equal(l, page.linkmap)   # inputs untouched


# --------------------------------------------------------------------------- bad input

GOOD = np.zeros((8, 8), np.float32)

BAD_CALLS = {
    "list": ([[0.0] * 8] * 8, GOOD),
    "none": (None, GOOD),
    "int dtype": (np.zeros((8, 8), np.int32), GOOD),
    "float16": (GOOD, np.zeros((8, 8), np.float16)),
    "bool dtype": (np.zeros((8, 8), bool), GOOD),
    "3-D": (np.zeros((8, 8, 1), np.float32), GOOD),
    "1-D": (np.zeros(8, np.float32), GOOD),
    "0-d array": (np.array(0.5, np.float32), GOOD),
    "empty rows": (np.zeros((0, 8), np.float32), np.zeros((0, 8), np.float32)),
    "empty cols": (GOOD, np.zeros((8, 0), np.float32)),
    "shapes differ": (GOOD, np.zeros((8, 9), np.float32)),
    "transposed shape": (np.zeros((8, 9), np.float32), np.zeros((9, 8), np.float32)),
    "nan textmap": (np.where(np.eye(8) > 0, np.nan, 0).astype(np.float32), GOOD),
    "inf linkmap": (GOOD, np.full((8, 8), np.inf, np.float32)),
    "-inf float64": (np.full((8, 8), -np.inf), GOOD),
    "beyond float32": (np.full((8, 8), 1e300), GOOD),
}

BAD_THRESHOLDS = [
    dict(text_threshold=None), dict(text_threshold="0.7"), dict(link_threshold=True),
    dict(low_text=np.bool_(False)), dict(low_text=complex(0.4, 0)), dict(text_threshold=[0.7]),
    dict(text_threshold=float("nan")), dict(link_threshold=float("inf")), dict(low_text=-float("inf")),
]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_maps_raise_like_reference(fused, name):
    t, l = BAD_CALLS[name]
    ref, got = outcome(reference, t, l), outcome(fused, t, l)
    assert ref[0] == got[0] == "error", (ref, got)
    assert got[1] is ref[1] and got[2] == ref[2], (got, ref)


@pytest.mark.parametrize("kwargs", BAD_THRESHOLDS, ids=lambda kw: repr(kw)[:40])
def test_bad_thresholds_raise_like_reference(fused, kwargs):
    ref, got = outcome(reference, GOOD, GOOD, **kwargs), outcome(fused, GOOD, GOOD, **kwargs)
    assert ref[0] == got[0] == "error" and got[1] is ref[1] and got[2] == ref[2], (got, ref)


def test_raw_extension_rejects_what_it_was_not_meant_to_get(ext):
    """Called directly, without fused_level's checks: clear exceptions, never a crash."""
    f = ext.get_boxes
    with pytest.raises(TypeError):
        f(GOOD, GOOD)                                   # thresholds missing
    with pytest.raises(TypeError):
        f(GOOD.tolist(), GOOD, 0.7, 0.4, 0.4)
    with pytest.raises(TypeError):
        f(GOOD, GOOD, "0.7", 0.4, 0.4)
    for bad in (GOOD.astype(np.float64), np.asfortranarray(np.zeros((8, 9), np.float32)),
                np.zeros((8, 16), np.float32)[:, ::2], GOOD.astype(">f4")):
        with pytest.raises(TypeError, match="get_boxes_fused"):
            f(bad, GOOD, 0.7, 0.4, 0.4)
    for bad in (np.zeros((2, 4, 4), np.float32), np.zeros((0, 4), np.float32), np.zeros(5, np.float32)):
        with pytest.raises(ValueError):
            f(bad, bad, 0.7, 0.4, 0.4)
    with pytest.raises(ValueError, match="same shape"):
        f(GOOD, np.zeros((8, 9), np.float32), 0.7, 0.4, 0.4)
    with pytest.raises(ValueError, match="same shape"):
        ext.components(GOOD, np.zeros((9, 8), np.float32), 0.4, 0.4)
    out = f(GOOD, GOOD, 0.7, 0.4, 0.4)
    assert out.shape == (0, 4, 2) and out.dtype == np.float32 and out.flags.owndata


def test_no_reference_leaks(ext):
    t = np.zeros((30, 30), np.float32)
    t[5:15, 5:20] = 0.9
    l = np.zeros_like(t)
    for _ in range(5):
        ext.get_boxes(t, l, 0.7, 0.4, 0.4)
        ext.components(t, l, 0.4, 0.4)
    before = sys.getrefcount(t), sys.getrefcount(l)
    for _ in range(300):
        out = ext.get_boxes(t, l, 0.7, 0.4, 0.4)
        n_refs = sys.getrefcount(out)
        assert n_refs == 2
        labels, stats, best = ext.components(t, l, 0.4, 0.4)
        assert sys.getrefcount(labels) == sys.getrefcount(stats) == sys.getrefcount(best) == 2
        try:
            ext.get_boxes(t, l[:5], 0.7, 0.4, 0.4)   # an error path
        except ValueError:
            pass
    assert (sys.getrefcount(t), sys.getrefcount(l)) == before


# --------------------------------------------------------------------------- threads

def test_concurrent_calls_agree(fused):
    """Each thread has its own workspace: 8 threads on 8 different pages (sizes, angles, word
    counts) give the reference's boxes, round after round, in shuffled order."""
    pages = [make_page(60 * (1 + s % 4), (160 + 40 * s, 200 + 24 * s), seed=300 + s, max_angle=15 * (s % 4))
             for s in range(8)]
    expected = [reference(p.textmap, p.linkmap) for p in pages]
    order = np.random.default_rng(1).permutation(np.tile(np.arange(8), 6))
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: fused(pages[i].textmap, pages[i].linkmap), order))
    for i, boxes in zip(order, got):
        assert_matches(boxes, expected[i], "fused", f"page {i} in a thread")


def test_workspace_is_reused(ext, fused):
    """After a page, the same page or a smaller one allocates nothing new: the thread's buffers keep their size."""
    big, small = make_page(400, 512, seed=3, max_angle=20), make_page(50, 256, seed=4)
    fused(big.textmap, big.linkmap)
    held = ext.workspace_bytes()
    assert held > 0
    for p in (big, small, big):
        fused(p.textmap, p.linkmap)
        assert ext.workspace_bytes() == held


def test_releases_the_gil(ext, ticks_while):
    """While the extension computes, another Python thread keeps running (see tests/conftest.py)."""
    page = make_page(1000, 1280, seed=1)
    during = ticks_while(lambda: ext.get_boxes(page.textmap, page.linkmap, 0.7, 0.4, 0.4), tries=30)
    assert during > 1000, during


# --------------------------------------------------------------------------- fuzz

def _random_map(rng, shape):
    kind = rng.integers(0, 6)
    if kind == 0:      # noise: a great many tiny components
        return rng.random(shape, dtype=np.float32)
    if kind == 1:      # sparse blobs
        return ((rng.random(shape) < 0.3) * rng.random(shape)).astype(np.float32)
    if kind == 2 and min(shape) >= 48:    # a real-looking page
        page = make_page(int(rng.integers(0, 1 + shape[0] * shape[1] // 800)), shape,
                         seed=int(rng.integers(0, 1000)), max_angle=float(rng.uniform(0, 90)))
        return page.textmap if rng.random() < 0.5 else page.linkmap
    if kind == 3:      # thick random blobs: long runs that merge and split
        small = rng.random((max(1, shape[0] // 6), max(1, shape[1] // 6)), dtype=np.float32)
        return cv2.resize(small, shape[::-1], interpolation=cv2.INTER_LINEAR)
    if kind == 4:      # constant
        return np.full(shape, rng.choice([0.0, 0.5, 0.95, 1.0]), np.float32)
    # values right at the default thresholds, in float32
    return rng.choice(np.array([0.4, 0.7, 0.0, 1.0], np.float32), size=shape)


def _random_threshold(rng, default):
    k = rng.random()
    if k < 0.4:
        return default
    if k < 0.8:
        return float(rng.uniform(-0.5, 1.5))
    return [1e30, -1e30, 2.0, -1.0, float(np.float32(0.4)), float(np.float32(0.7)), 0.0][rng.integers(0, 7)]


def test_fuzz_agrees_with_reference(fused):
    rng = np.random.default_rng(20250113)
    for case in range(700):
        r = rng.random()
        if r < 0.1:
            shape = (1, int(rng.integers(1, 80)))
        elif r < 0.2:
            shape = (int(rng.integers(1, 80)), 1)
        else:
            shape = tuple(int(v) for v in rng.integers(2, 72, 2))
        t, l = _random_map(rng, shape), _random_map(rng, shape)
        if rng.random() < 0.2:
            t = t.astype(np.float64)
        if rng.random() < 0.1:
            l = np.asfortranarray(l)
        kwargs = {name: _random_threshold(rng, default)
                  for name, default in (("text_threshold", 0.7), ("link_threshold", 0.4), ("low_text", 0.4))}
        assert_matches(fused(t, l, **kwargs), reference(t, l, **kwargs), "fused", f"case {case} {shape} {kwargs}")


def test_fuzz_big_noise_maps(fused):
    """Huge numbers of tiny components, bigger than the reference can check quickly: against the cpp level."""
    from textpost.levels.cpp_level import get_boxes_cpp
    from textpost.levels.fused_level import components
    rng = np.random.default_rng(7)
    for shape in [(512, 512), (1, 20000), (20000, 1), (700, 300)]:
        t = rng.random(shape, dtype=np.float32)
        l = rng.random(shape, dtype=np.float32)
        for kwargs in (dict(), dict(text_threshold=0.0, low_text=0.5, link_threshold=0.9)):
            assert_matches(fused(t, l, **kwargs), get_boxes_cpp(t, l, **kwargs), "fused", f"noise {shape} {kwargs}", against="cpp")
        labels, stats, best = components(t, l)
        want = opencv_labeling(t, l)
        assert np.array_equal(labels, want[0]) and np.array_equal(stats, want[1]) and np.array_equal(best, want[2])


# --------------------------------------------------------------------------- native profile

def test_profile_parts_are_found_from_the_innermost_frame():
    from textpost.native_profile import OTHER, classify
    base = ["<module> (x.py:1)", "_timed_loop (textpost/native_profile.py:9)", "get_boxes_cpp (textpost/cpp_level.py:42)",
            "get_boxes_with (textpost_cpp.cpp:602)"]
    assert classify(base + ["find_boxes (textpost_cpp.cpp:347)", "cv::connectedComponentsWithStats (libopencv_imgproc.so.4.6.0)",
                            "0x7fc28fd1d91a (libopencv_imgproc.so.4.6.0)"]).startswith("OpenCV connectedComponents")
    assert classify(base + ["find_boxes (textpost_cpp.cpp:372)", "cv::minAreaRect (libopencv_imgproc.so.4.6.0)",
                            "cv::Mat::create (libopencv_core.so.4.6.0)", "malloc (libc.so.6)"]) == "OpenCV minAreaRect / boxPoints"
    assert classify(base + ["find_boxes (textpost_cpp.cpp:342)", "binarise (textpost_cpp.cpp:172)"]) == "ours: thresholding"
    assert classify(base + ["find_boxes (fused.cpp:280)", "label_runs (fused.cpp:100)"]) == "ours: runs + union-find labeling"
    assert classify(base + ["find_boxes (fused.cpp:290)", "component_points (fused.cpp:200)"]) == "ours: per-component work"
    assert classify(base + ["find_boxes (fused.cpp:290)", "component_box (fused.cpp:210)",
                            "RectFit::box (min_area_rect.hpp:35)", "RectFit::cross (min_area_rect.hpp:46)"]) \
        == "ours: minimum-area rectangle"
    assert classify(base + ["label_runs (fused.cpp:125)", "prev_one (row_bits.hpp:116)"]) \
        == "ours: runs + union-find labeling"
    assert classify(base + ["label_runs (fused.cpp:171)", "threshold_bits (row_bits.hpp:40)",
                            "_mm_cmpgt_ps (xmmintrin.h:380)"]) == "ours: thresholding"
    assert classify(["check_inputs (textpost/contract.py:70)", "check_map (textpost/contract.py:48)",
                     "0x1 (_multiarray_umath.cpython-311-x86_64-linux-gnu.so)"]) == "Python: input checks (contract.py)"
    assert classify(["<module> (x.py:1)", "0x1 (libpython3.11.so.1.0)"]) == OTHER


def test_native_profile_sees_inside_the_extension(fused):
    """The profiler runs where it may; where py-spy is missing or forbidden it says what to do."""
    from textpost.native_profile import find_py_spy, profile_native
    prof = profile_native("textpost.levels.fused_level:get_boxes_fused", n_words=100, size=512, seconds=1.5)
    if not prof.ok:
        assert "What to do" in prof.message and "not available" in str(prof)
        if find_py_spy() is None and not os.environ.get("CI"):
            pytest.skip("py-spy is not installed")
        if "permission" in prof.message.lower() or sys.platform == "darwin":
            pytest.skip(prof.message)
        pytest.fail(prof.message)
    assert prof.samples > 20 and prof.calls > 0
    assert abs(sum(share for _, _, share in prof.shares) - 1) < 1e-9
    assert prof.share("ours: runs + union-find labeling") > 0.05, str(prof)
    assert prof.share("OpenCV connectedComponentsWithStats (labeling + statistics)") == 0, str(prof)
    assert prof.share("OpenCV minAreaRect / boxPoints") == 0, str(prof)


def test_missing_py_spy_is_explained(monkeypatch):
    from textpost import native_profile
    monkeypatch.setattr(native_profile, "find_py_spy", lambda: None)
    prof = native_profile.profile_native("textpost.levels.fused_level:get_boxes_fused", seconds=0.1)
    assert not prof.ok and "pip install py-spy" in prof.message
