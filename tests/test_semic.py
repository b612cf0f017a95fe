"""The semi-C level: the loop kernels (textpost.levels.kernels) as plain Python, under numba, and in Cython.

The kernels reimplement dilation, the convex hull and the minimum-area
rectangle, so the contract allows them 0.5 px; they follow OpenCV's own arithmetic and
in practice give the reference's boxes bit for bit. Every comparison here
asserts the 0.5 px contract (same count, same order) and records the largest
corner distance seen; ``test_largest_deviation`` prints it.

The builder itself (errors, the lock, a missing compiler) is tested in test_build.py.
"""
from __future__ import annotations

import functools
import inspect
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from textpost.build import BuildError
from textpost.levels import cython_level, kernels as loops
from textpost.compare import compare_boxes
from textpost.levels.numba_level import get_boxes_loops, get_boxes_numba, get_boxes_numba_parallel
from textpost.levels.reference import get_boxes as reference
from textpost.synth import make_page

TOL = 0.5
_deviation = {"max": 0.0, "where": "", "comparisons": 0}


@pytest.fixture(scope="module")
def levels():
    """The compiled levels under test (Cython skipped without a compiler, except in CI)."""
    out = {"numba": get_boxes_numba, "numba_parallel": get_boxes_numba_parallel}
    t, l = page(30, (200, 300), 0)
    for f in out.values():        # numba compiles (or loads its cache) while the C build runs
        f(t, l)
    try:
        cython_level.load()
        out["cython"] = cython_level.get_boxes_cython
    except BuildError as err:
        if os.environ.get("CI"):
            raise
        print(f"Cython level not tested: {err}")
    return out


def check(got, expected, label):
    """Assert the 0.5 px contract and remember the largest deviation."""
    assert isinstance(got, np.ndarray) and got.dtype == np.float32, label
    assert got.ndim == 3 and got.shape[1:] == (4, 2), f"{label}: shape {got.shape}"
    c = compare_boxes(got, expected, tol=TOL)
    assert c.ok, f"{label}: {c}"
    _deviation["comparisons"] += 1
    if c.max_dist > _deviation["max"]:
        _deviation.update(max=c.max_dist, where=f"{label}: {c}")


# --------------------------------------------------------------------------- generated pages

@functools.lru_cache(maxsize=None)
def page(n, size, seed, angle=0.0, crop=None):
    """A generated page; ``crop`` cuts the maps so that words run off every border."""
    p = make_page(n, size, seed=seed, max_angle=angle)
    t, l = p.textmap, p.linkmap
    if crop:
        top, bottom, left, right = crop
        t = np.ascontiguousarray(t[top:-bottom, left:-right])
        l = np.ascontiguousarray(l[top:-bottom, left:-right])
    return t, l


@functools.lru_cache(maxsize=None)
def expected(key, thresholds=()):
    t, l = page(*key)
    return reference(t, l, *thresholds)


PAGES = [
    # n_words, size, seed, max_angle, crop
    (0, (200, 300), 0, 0.0, None),
    (30, (200, 300), 0, 0.0, None),
    (30, (200, 300), 1, 40.0, None),
    (60, (200, 300), 2, 20.0, None),
    (150, 320, 3, 40.0, None),
    (400, 400, 4, 30.0, None),
    (200, 400, 5, 15.0, (13, 17, 21, 9)),          # words cut by all four borders
    (1000, 640, 6, 10.0, None),
]


@pytest.mark.parametrize("key", PAGES, ids=[f"{k[0]}w-{k[1]}-s{k[2]}-a{k[3]:g}{'-crop' if k[4] else ''}"
                                           for k in PAGES])
def test_pages_match_reference(levels, key):
    t, l = page(*key)
    want = expected(key)
    for name, f in levels.items():
        check(f(t, l), want, f"{name} on {key}")


@pytest.mark.parametrize("thresholds", [(0.6, 0.3, 0.35), (0.7, 5.0, 0.4), (0.5, 0.9, 0.5),
                                        (0.7, 1e300, 0.4), (0.7, 0.4, -1e300)],
                         ids=["lower", "links-off", "text-equals-low", "huge", "everything-text"])
def test_other_thresholds(levels, thresholds):
    key = (150, 320, 3, 40.0, None)
    t, l = page(*key)
    want = expected(key, thresholds)
    for name, f in levels.items():
        check(f(t, l, *thresholds), want, f"{name} with {thresholds}")


def test_loops_as_plain_python_match_reference():
    """The same kernels, not compiled: small maps only (they are slow)."""
    for key in [(30, (200, 300), 0, 0.0, None), (20, (120, 160), 7, 40.0, (5, 6, 7, 8))]:
        t, l = page(*key)
        check(get_boxes_loops(t, l), expected(key), f"loops on {key}")


def test_kernels_are_plain_functions():
    """register_jitable leaves the functions as they are: callable, readable Python."""
    for name in ("label_max_scores", "component_mask", "dilate_square", "edge_points", "convex_hull",
                 "min_area_rect", "box_points", "finish_box", "boxes_from_labels"):
        assert inspect.isfunction(getattr(loops, name)), name


# --------------------------------------------------------------------------- hand-built maps

def blob(shape, cells, value=0.9):
    t = np.zeros(shape, np.float32)
    for y0, y1, x0, x1 in cells:
        t[y0:y1, x0:x1] = value
    return t


def diamond(shape, cy, cx, r):
    y, x = np.mgrid[:shape[0], :shape[1]]
    return (np.abs(y - cy) + np.abs(x - cx) <= r).astype(np.float32) * np.float32(0.9)


def staircase(shape):
    t = np.zeros(shape, np.float32)
    for i in range(min(shape) - 1):
        t[i, i] = t[i, i + 1] = 0.9       # 4-connected diagonal
    return t


def boundary_values():
    """Scores exactly at the thresholds (in float32) and one step either side."""
    t = np.zeros((12, 30), np.float32)
    l = np.zeros((12, 30), np.float32)
    at = np.float32(0.4)
    t[2:6, 2:8] = 0.9
    t[2:6, 8:12] = at                                          # not text: 0.4f > 0.4f is false
    t[2:6, 12:16] = np.nextafter(at, np.float32(1))            # text
    l[6:9, 2:16] = at                                          # not link
    l[9:11, 2:16] = np.nextafter(at, np.float32(1))            # link
    t[9:11, 20:28] = np.float32(0.7)                           # peak exactly at text_threshold: kept
    t[2:5, 20:28] = np.nextafter(np.float32(0.7), np.float32(0))  # peak just below: dropped
    return t, l


def _tiny_cases():
    z = np.zeros
    corners = blob((24, 32), [(0, 4, 0, 5), (0, 4, 27, 32), (20, 24, 0, 5), (20, 24, 27, 32),
                              (0, 3, 12, 18), (21, 24, 12, 18), (9, 14, 0, 3), (9, 14, 29, 32)])
    single = z((20, 20), np.float32)
    single[[1, 5, 9, 15, 19], [1, 7, 3, 18, 0]] = 0.95
    joined_t = blob((20, 50), [(5, 15, 3, 15), (5, 15, 20, 32), (6, 14, 36, 47)])
    joined_l = blob((20, 50), [(8, 12, 14, 21), (8, 12, 31, 37)], 0.8)
    link_only_t = blob((20, 30), [(3, 9, 3, 20)], 0.3)
    link_only_l = blob((20, 30), [(3, 9, 3, 20)], 0.9)
    return {
        "single pixels": (single, z((20, 20), np.float32), ()),
        "blobs at corners and borders": (corners, z((24, 32), np.float32), ()),
        "diamond": (diamond((30, 30), 15, 14, 9), z((30, 30), np.float32), ()),
        "small diamond at a corner": (diamond((12, 12), 1, 1, 4), z((12, 12), np.float32), ()),
        "1 x N": (blob((1, 40), [(0, 1, 3, 20), (0, 1, 25, 40)]), z((1, 40), np.float32), ()),
        "N x 1": (blob((40, 1), [(2, 30, 0, 1)]), z((40, 1), np.float32), ()),
        "2 x N": (blob((2, 25), [(0, 2, 0, 25)]), z((2, 25), np.float32), ()),
        "1 x 1": (np.full((1, 1), 0.9, np.float32), z((1, 1), np.float32), ()),
        "whole map one blob": (np.full((16, 21), 0.9, np.float32), z((16, 21), np.float32), ()),
        "staircase": (staircase((15, 16)), z((15, 16), np.float32), ()),
        "words joined by links": (joined_t, joined_l, ()),
        "link-only component, empty mask": (link_only_t, link_only_l, (0.2, 0.4, 0.4)),
        "scores at the thresholds": (*boundary_values(), ()),
    }


TINY = _tiny_cases()


@pytest.mark.parametrize("name", list(TINY))
def test_tiny_cases(levels, name):
    t, l, thresholds = TINY[name]
    want = reference(t, l, *thresholds)
    for level, f in {**levels, "loops": get_boxes_loops}.items():
        check(f(t, l, *thresholds), want, f"{level} on {name!r}")


def test_tiny_cases_take_the_paths_they_claim():
    t, l, _ = TINY["diamond"]
    box = reference(t, l)[0]                      # the diamond fix: an axis-aligned box
    assert box[0, 1] == box[1, 1] and box[0, 0] == box[3, 0]
    assert len(reference(*TINY["single pixels"][:2])) == 0
    assert len(reference(*TINY["blobs at corners and borders"][:2])) == 8
    t, l, th = TINY["link-only component, empty mask"]
    assert np.all(reference(t, l, *th) == 0)      # the reference's box for an empty mask
    t, l, _ = TINY["scores at the thresholds"]
    assert len(reference(t, l)) == 2


@pytest.mark.parametrize("seed", range(4))
def test_random_blobs(levels, seed):
    """Random shapes on small maps: many hulls with ties between equally small rectangles."""
    rng = np.random.default_rng(seed)
    for i in range(15):
        h, w = rng.integers(8, 48, size=2)
        t = (rng.random((h, w)) < rng.uniform(0.1, 0.6)).astype(np.float32) * rng.uniform(0.5, 1.0)
        l = (rng.random((h, w)) < rng.uniform(0.0, 0.4)).astype(np.float32) * 0.9
        t = t.astype(np.float32)
        want = reference(t, l)
        for name, f in levels.items():
            check(f(t, l), want, f"{name}, random map {seed}/{i}")
        if i < 3:
            check(get_boxes_loops(t, l), want, f"loops, random map {seed}/{i}")


# --------------------------------------------------------------------------- inputs

def test_converted_inputs(levels):
    key = (60, (200, 300), 2, 20.0, None)
    t, l = page(*key)
    want = expected(key)
    big_t = np.zeros((400, 900), np.float32)
    big_l = np.zeros((400, 900), np.float32)
    big_t[::2, ::3] = t
    big_l[::2, ::3] = l
    variants = {
        "float64": (t.astype(np.float64), l.astype(np.float64)),
        "fortran": (np.asfortranarray(t), np.asfortranarray(l)),
        "strided": (big_t[::2, ::3], big_l[::2, ::3]),
        "mixed": (np.asfortranarray(t.astype(np.float64)), big_l[::2, ::3]),
    }
    for name, f in levels.items():
        for kind, (a, b) in variants.items():
            c = compare_boxes(f(a, b), want)
            assert c.identical, f"{name} with {kind} input: {c}"


def _bad_inputs():
    ok = np.zeros((20, 30), np.float32)
    nan, inf = ok.copy(), ok.copy()
    nan[3, 4] = np.nan
    inf[5, 6] = -np.inf
    return {
        "shapes differ": ((ok, np.zeros((20, 31), np.float32)), {}),
        "transposed": ((ok, ok.T), {}),
        "1-D": ((np.zeros(30, np.float32),) * 2, {}),
        "3-D": ((np.zeros((20, 30, 3), np.float32),) * 2, {}),
        "0-D": ((np.float32(1.0), np.float32(1.0)), {}),
        "empty": ((np.zeros((0, 30), np.float32),) * 2, {}),
        "empty columns": ((np.zeros((20, 0), np.float32),) * 2, {}),
        "NaN": ((nan, ok), {}),
        "-inf in linkmap": ((ok, inf), {}),
        "float64 beyond float32": ((ok.astype(np.float64) + 1e39, ok), {}),
        "int32": ((ok.astype(np.int32), ok), {}),
        "uint8": ((ok, ok.astype(np.uint8)), {}),
        "bool": ((ok.astype(bool), ok), {}),
        "complex": ((ok.astype(np.complex64), ok), {}),
        "float16": ((ok.astype(np.float16), ok), {}),
        "a list": ((ok.tolist(), ok), {}),
        "threshold NaN": ((ok, ok), {"text_threshold": float("nan")}),
        "threshold inf": ((ok, ok), {"link_threshold": np.inf}),
        "threshold str": ((ok, ok), {"low_text": "0.4"}),
        "threshold None": ((ok, ok), {"text_threshold": None}),
        "threshold bool": ((ok, ok), {"link_threshold": np.True_}),
        "threshold complex": ((ok, ok), {"low_text": 0.4 + 0j}),
        "threshold array": ((ok, ok), {"text_threshold": np.array([0.7])}),
    }


BAD = _bad_inputs()


def raised(f, args, kwargs):
    try:
        f(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - the type is what is compared
        return type(err), str(err)
    return None, "no exception"


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_same_exception_as_reference(levels, case):
    args, kwargs = BAD[case]
    want, msg = raised(reference, args, kwargs)
    assert want in (TypeError, ValueError), f"reference: {want} {msg}"
    for name, f in {**levels, "loops": get_boxes_loops}.items():
        got, msg = raised(f, args, kwargs)
        assert got is want, f"{name} on {case}: {got} ({msg}), reference raises {want.__name__}"


# --------------------------------------------------------------------------- numba and Cython machinery

def test_numba_cache_is_used_by_a_new_process(levels):
    """cache=True with register_jitable callees: a second process loads the kernels from disk."""
    levels["numba"](*TINY["diamond"][:2])         # compiled (and cached) in this process
    code = ("from textpost.levels import numba_level as n; import numpy as np\n"
            "t = np.zeros((9, 9), np.float32); t[2:7, 2:7] = 0.9\n"
            "n.get_boxes_numba(t, t * 0)\n"
            "print(len(n._boxes.stats.cache_hits), len(n._boxes.stats.cache_misses))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "PYTHONPATH": root}, timeout=300)
    assert out.returncode == 0, out.stderr
    hits, misses = map(int, out.stdout.split())
    assert hits == 1 and misses == 0, out.stdout


def test_cython_function_is_compiled(levels):
    if "cython" not in levels:
        pytest.skip("no C compiler")
    module = cython_level.load()
    for name in ("get_boxes_from_labels", "binarize_map"):
        f = getattr(module, name)
        assert not inspect.isfunction(f) and "cython" in type(f).__name__, type(f)
    assert cython_level.load() is cython_level.load()            # built once, then reused


def test_cython_kernel_markers():
    text = cython_level.PYX_PATH.read_text()
    blocks = cython_level.kernel_sources()
    assert {"binarize", "label_max_scores", "component_mask", "dilate_square", "edge_points",
            "convex_hull", "min_area_rect", "box_points", "finish_box", "boxes_from_labels",
            "get_boxes_from_labels"} <= set(blocks)
    starts = re.findall(r"^# kernel: ", text, re.M)
    ends = re.findall(r"^# end kernel$", text, re.M)
    assert len(starts) == len(ends) == len(blocks)
    for name, code in blocks.items():
        assert code in text and "# kernel:" not in code, name
        assert re.search(rf"^(cdef|def)\b.*\b{name}\(", code, re.M), f"block {name} holds no function {name}"
    # every function of the .pyx lies inside a marked block
    defined = re.findall(r"^(?:cdef|def)\b[^=\n]*?\b(\w+)\(", text, re.M)
    assert set(defined) <= set(blocks), set(defined) - set(blocks)
    # the same text, e.g. from a notebook cell, parses to the same blocks
    assert cython_level.kernel_sources(text) == blocks


def test_largest_deviation():
    """Print the largest corner distance from the reference seen in this module (contract: 0.5 px)."""
    print(f"\nsemi-C levels: {_deviation['comparisons']} comparisons, largest corner distance from the "
          f"reference {_deviation['max']:.3g} px {_deviation['where']}")
    assert _deviation["max"] <= TOL


def test_plain_kernels_and_pyx_are_one_truth(levels):
    """The loop kernels (kernels.py, run by numba) and the .pyx define the same kernels and give
    the same results on every sample, so a fix in one cannot silently miss the other."""
    if "cython" not in levels:
        pytest.skip("no C compiler")
    import cv2

    from textpost.contract import as_float32
    from textpost.data import SAMPLES, load_sample
    from textpost.levels import numba_level
    pyx_kernels = set(cython_level.kernel_sources()) - {"get_boxes_from_labels", "binarize_map"}  # the two entry points
    plain = {name for name, f in vars(loops).items() if callable(f)}
    assert pyx_kernels <= plain, f"kernels only in the .pyx: {pyx_kernels - plain}"
    compiled = cython_level.load()
    lo, link, hi = as_float32(0.4), as_float32(0.4), as_float32(0.7)
    for name in SAMPLES:
        page = load_sample(name)
        union_pyx = compiled.binarize_map(page.textmap, page.linkmap, lo, link)
        union_plain = numba_level._binarize(page.textmap, page.linkmap, lo, link)
        assert np.array_equal(np.asarray(union_pyx), union_plain), name
        n, labels, stats, _ = cv2.connectedComponentsWithStats(union_plain, connectivity=4)
        a = np.asarray(compiled.get_boxes_from_labels(labels, stats, n, page.textmap, hi, lo))
        b = numba_level._boxes(labels, stats, n, page.textmap, hi, lo)
        assert a.shape == b.shape and np.array_equal(a.reshape(b.shape), b), name


def test_rect_fit_inputs_give_the_python_levels_rectangles():
    """Every pixel of the dilated mask and each row's extremes: the same rectangle, the Python level's."""
    import cv2
    from textpost.levels.python_level import get_boxes_python
    from textpost.semic import rect_fit_inputs
    p = make_page(40, 256, seed=8, max_angle=20)
    all_pixels, row_extremes = rect_fit_inputs(p.textmap, p.linkmap)
    assert len(all_pixels) == len(row_extremes) == len(get_boxes_python(p.textmap, p.linkmap)) > 0
    assert sum(map(len, row_extremes)) < sum(map(len, all_pixels))
    for a, b in zip(all_pixels, row_extremes):
        assert cv2.minAreaRect(a) == cv2.minAreaRect(b)
