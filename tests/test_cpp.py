"""The C++ level: same boxes as the reference, same errors, never a crash.

Bad input is caught in Python, by the contract every level shares
(textpost/contract.py), before the extension is called; the extension itself
only has to turn a direct call with garbage into a Python exception.

"Same boxes" means bit for bit: the extension calls the same OpenCV functions
on the same points as the reference.  (If another OpenCV version ever makes
them differ, the failure message gives the largest corner distance.)

The extension is built once per machine (textpost/_build/, reused afterwards).
Fuzz cases run in this process on purpose: a crash in the extension must fail
the test run, not hide in a subprocess.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from textpost import build
from textpost.levels.reference import get_boxes as reference
from textpost.synth import make_page

from extension_helpers import assert_matches, build_or_skip, outcome


@pytest.fixture(scope="module")
def ext():
    """The compiled module; skipped (outside CI only) when the toolchain is missing."""
    from textpost.levels.cpp_level import load_extension
    return build_or_skip(load_extension)


@pytest.fixture(scope="module")
def levels(ext):
    from textpost.levels.cpp_level import get_boxes_cpp, get_boxes_cpp_direct
    return {"cpp": get_boxes_cpp, "cpp_direct": get_boxes_cpp_direct}


# --------------------------------------------------------------------------- equality

PAGES = [
    # n_words, size, seed, max_angle
    (0, 64, 0, 0.0),
    (1, 32, 1, 0.0),
    (10, 128, 2, 0.0),
    (40, 200, 3, 10.0),
    (100, 320, 4, 45.0),
    (150, (256, 400), 5, 90.0),
    (300, 384, 6, 5.0),
]


@pytest.mark.parametrize("n_words,size,seed,angle", PAGES)
def test_same_boxes_as_reference(levels, n_words, size, seed, angle):
    page = make_page(n_words, size, seed=seed, max_angle=angle)
    expected = reference(page.textmap, page.linkmap)
    for name, fn in levels.items():
        assert_matches(fn(page.textmap, page.linkmap), expected, name, f"{name} {n_words} words")


@pytest.mark.parametrize("thresholds", [
    dict(text_threshold=0.5, link_threshold=0.3, low_text=0.3),
    dict(text_threshold=0.9, link_threshold=0.6, low_text=0.5),
    dict(link_threshold=2.0),                   # links off: character boxes
    dict(text_threshold=0.2, low_text=0.4),     # text_threshold below low_text
    dict(text_threshold=-1.0, low_text=0.05),   # every component kept
    dict(text_threshold=1.5),                   # every component dropped
])
def test_same_boxes_other_thresholds(levels, thresholds):
    page = make_page(80, 256, seed=7, max_angle=20)
    expected = reference(page.textmap, page.linkmap, **thresholds)
    for name, fn in levels.items():
        assert_matches(fn(page.textmap, page.linkmap, **thresholds), expected, name, f"{name} {thresholds}")


def _edge_maps():
    """Hand-made maps for the corners of the specification."""
    maps = {}
    t = np.zeros((40, 60), np.float32)
    l = np.zeros_like(t)
    t[0:6, 0:12] = 0.9            # touches the top-left border
    t[34:40, 50:60] = 0.8         # touches the bottom-right border
    t[10:13, 20:23] = 0.9         # 9 pixels: under the size filter
    t[20:26, 5:15] = 0.5          # low confidence: dropped
    t[15:20, 30:34] = 0.9         # two words joined by a link ...
    t[15:20, 40:44] = 0.9
    l[16:19, 33:41] = 0.8         # ... whose link pixels are cut from the mask
    maps["edges"] = (t, l)
    t = np.zeros((30, 30), np.float32)
    l = np.zeros_like(t)
    l[5:12, 5:12] = 0.9           # a link-only blob with some text score
    t[5:12, 5:12] = 0.35
    t[20:25, 18:28] = 0.95
    maps["link_only"] = (t, l)
    maps["row"] = (np.where(np.arange(50) % 17 < 12, 0.9, 0.0).astype(np.float32)[None, :],
                   np.zeros((1, 50), np.float32))
    maps["column"] = (maps["row"][0].T.copy(), maps["row"][1].T.copy())
    maps["full"] = (np.full((25, 31), 0.9, np.float32), np.zeros((25, 31), np.float32))
    d = np.zeros((41, 41), np.float32)  # a diamond: its minimum-area rectangle is nearly square
    yy, xx = np.mgrid[:41, :41]
    d[np.abs(yy - 20) + np.abs(xx - 20) <= 14] = 0.9
    maps["diamond"] = (d, np.zeros_like(d))
    return maps


@pytest.mark.parametrize("name", list(_edge_maps()))
def test_edge_cases(levels, name):
    t, l = _edge_maps()[name]
    for thresholds in (dict(), dict(text_threshold=0.3), dict(text_threshold=0.1, low_text=0.4)):
        expected = reference(t, l, **thresholds)
        for level, fn in levels.items():
            assert_matches(fn(t, l, **thresholds), expected, level, f"{level} {name} {thresholds}")


def test_threshold_rounding_like_float32(levels):
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
            expected = reference(t, l, **kw)
            for level, fn in levels.items():
                assert_matches(fn(t, l, **kw), expected, level, f"{level} {kw}")


def test_layouts_and_dtypes_are_converted(levels):
    page = make_page(60, (150, 210), seed=11, max_angle=30)
    t, l = page.textmap, page.linkmap
    expected = reference(t, l)
    variants = {
        "float64": (t.astype(np.float64), l.astype(np.float64)),
        "fortran": (np.asfortranarray(t), np.asfortranarray(l)),
        "big-endian": (t.astype(">f4"), l.astype(">f4")),
        "reversed-reversed": (t[::-1][::-1], l[::-1][::-1]),
    }
    big_t = np.zeros((300, 420), np.float32)
    big_l = np.zeros_like(big_t)
    big_t[::2, ::2], big_l[::2, ::2] = t, l
    variants["strided"] = (big_t[::2, ::2], big_l[::2, ::2])
    buf_t = np.frombuffer(bytearray(t.nbytes + 1), np.uint8)[1:].view(np.float32).reshape(t.shape)
    buf_l = np.frombuffer(bytearray(l.nbytes + 1), np.uint8)[1:].view(np.float32).reshape(l.shape)
    buf_t[...], buf_l[...] = t, l
    variants["unaligned"] = (buf_t, buf_l)
    for name, (a, b) in variants.items():
        for level, fn in levels.items():
            assert_matches(fn(a, b), expected, level, f"{level} {name}")
    # the inputs are not modified
    assert np.array_equal(t, page.textmap) and np.array_equal(l, page.linkmap)


@pytest.fixture(scope="module")
def full_page():
    return make_page(1000, 1280, seed=1, max_angle=10)


def test_full_size_spans_equal_direct(levels, full_page):
    """At workshop size the reference takes seconds; the two C++ methods must agree there."""
    page = full_page
    a = levels["cpp"](page.textmap, page.linkmap)
    b = levels["cpp_direct"](page.textmap, page.linkmap)
    assert len(a) > 500
    assert_matches(a, b, "cpp", "spans vs direct, 1280x1280", against="cpp_direct")


# --------------------------------------------------------------------------- bad input

GOOD = np.zeros((8, 8), np.float32)

BAD_CALLS = {
    "list": ([[0.0] * 8] * 8, GOOD),
    "none": (None, GOOD),
    "linkmap list": (GOOD, [[0.0] * 8] * 8),
    "int dtype": (np.zeros((8, 8), np.int32), GOOD),
    "float16": (GOOD, np.zeros((8, 8), np.float16)),
    "bool dtype": (np.zeros((8, 8), bool), GOOD),
    "complex": (np.zeros((8, 8), np.complex64), GOOD),
    "object dtype": (np.zeros((8, 8), object), GOOD),
    "longdouble": (np.zeros((8, 8), np.longdouble), GOOD),
    "3-D": (np.zeros((8, 8, 1), np.float32), GOOD),
    "1-D": (np.zeros(8, np.float32), GOOD),
    "0-D": (np.float32(0.5), GOOD),
    "0-d array": (np.array(0.5, np.float32), GOOD),
    "empty rows": (np.zeros((0, 8), np.float32), np.zeros((0, 8), np.float32)),
    "empty cols": (GOOD, np.zeros((8, 0), np.float32)),
    "shapes differ": (GOOD, np.zeros((8, 9), np.float32)),
    "transposed shape": (np.zeros((8, 9), np.float32), np.zeros((9, 8), np.float32)),
    "nan textmap": (np.where(np.eye(8) > 0, np.nan, 0).astype(np.float32), GOOD),
    "inf linkmap": (GOOD, np.full((8, 8), np.inf, np.float32)),
    "-inf float64": (np.full((8, 8), -np.inf), GOOD),
    "beyond float32": (np.full((8, 8), 1e300), GOOD),
    "nan text + bad link dtype": (np.full((8, 8), np.nan, np.float32), np.zeros((8, 8), int)),
    "nan link + shapes differ": (GOOD, np.full((8, 9), np.nan, np.float32)),
}

BAD_THRESHOLDS = [
    dict(text_threshold=None), dict(text_threshold="0.7"), dict(link_threshold=True),
    dict(low_text=np.bool_(False)), dict(low_text=complex(0.4, 0)), dict(text_threshold=Decimal("0.7")),
    dict(text_threshold=[0.7]), dict(text_threshold=np.array(0.7)),
    dict(text_threshold=math.nan), dict(link_threshold=math.inf), dict(low_text=-math.inf),
    dict(low_text=np.float32("nan")), dict(text_threshold=10 ** 400),
    dict(text_threshold=None, textmap=None),   # thresholds are checked first
]


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_maps_raise_like_reference(levels, name):
    t, l = BAD_CALLS[name]
    ref = outcome(reference, t, l)
    assert ref[0] == "error", f"the reference accepted {name}"
    for level, fn in levels.items():
        got = outcome(fn, t, l)
        assert got[0] == "error", f"{level} accepted {name}"
        assert got[1] is ref[1], f"{level} {name}: {got[1].__name__}({got[2]}) vs {ref[1].__name__}({ref[2]})"
        for word in ("textmap", "linkmap"):   # names the same map
            assert (word in got[2]) == (word in ref[2]), f"{level} {name}: {got[2]!r} vs {ref[2]!r}"


@pytest.mark.parametrize("kwargs", BAD_THRESHOLDS, ids=lambda kw: repr(kw)[:40])
def test_bad_thresholds_raise_like_reference(levels, kwargs):
    kwargs = dict(kwargs)
    t = kwargs.pop("textmap", GOOD)
    ref = outcome(reference, t, GOOD, **kwargs)
    assert ref[0] == "error"
    for level, fn in levels.items():
        got = outcome(fn, t, GOOD, **kwargs)
        assert got[0] == "error" and got[1] is ref[1], f"{level}: {got[1:]} vs {ref[1:]}"
        if got[1] is not OverflowError:
            assert next(iter(kwargs)) in got[2]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the reference's, for 1e300
@pytest.mark.parametrize("kwargs", [
    dict(text_threshold=5), dict(link_threshold=1e30), dict(low_text=-1e30),
    dict(text_threshold=Fraction(1, 2)), dict(low_text=np.float16(0.3)), dict(link_threshold=np.int64(2)),
    dict(text_threshold=1e300), dict(low_text=-1e300),   # beyond float32: +-inf as a float32 threshold
])
def test_unusual_but_legal_thresholds(levels, kwargs):
    page = make_page(30, 128, seed=3)
    expected = reference(page.textmap, page.linkmap, **kwargs)
    for level, fn in levels.items():
        assert_matches(fn(page.textmap, page.linkmap, **kwargs), expected, level, f"{level} {kwargs}")


def test_float64_beyond_float32_raises_without_warning(levels):
    t = np.zeros((8, 8))
    t[3, 3] = 1e300
    for fn in levels.values():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="textmap contains 1 non-finite"):
                fn(t, GOOD)


def test_raw_extension_rejects_bad_calls(ext):
    """Called directly, without the Python checks: garbage gets a Python exception, not a crash."""
    with pytest.raises(TypeError):
        ext.get_boxes()
    with pytest.raises(TypeError):
        ext.get_boxes(GOOD)
    with pytest.raises(TypeError):
        ext.get_boxes(GOOD, GOOD, 0.7, 0.4, 0.4, 0.1)
    with pytest.raises(TypeError):
        ext.get_boxes(GOOD, GOOD, threshold=0.5)
    for garbage in ("textmap", None, [[0.0] * 8] * 8, 3):
        with pytest.raises(TypeError):
            ext.get_boxes(garbage, GOOD)
        with pytest.raises(TypeError):
            ext.get_boxes_direct(GOOD, garbage)
    with pytest.raises(TypeError):
        ext.get_boxes(GOOD, GOOD, text_threshold="high")
    with pytest.raises(OverflowError):
        ext.get_boxes(GOOD, GOOD, low_text=10 ** 400)
    with pytest.raises(ValueError, match="same shape"):
        ext.get_boxes(GOOD, np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="non-empty"):
        ext.get_boxes(np.zeros((0, 8), np.float32), np.zeros((0, 8), np.float32))
    with pytest.raises(ValueError):   # not 2-D
        ext.get_boxes_direct(np.zeros((2, 2, 2), np.float32), GOOD)
    with pytest.raises(ValueError):
        ext.get_boxes(GOOD, np.zeros(8, np.float32))
    with pytest.raises(ValueError, match="could not convert"):   # NumPy's own conversion error
        ext.get_boxes(np.full((8, 8), "x", object), GOOD)
    with pytest.raises(TypeError):
        ext.set_num_threads("two")
    # keywords work, and the result is a fresh (0, 4, 2) float32 array
    out = ext.get_boxes(textmap=GOOD, linkmap=GOOD, low_text=0.1, link_threshold=0.2, text_threshold=0.3)
    assert out.shape == (0, 4, 2) and out.dtype == np.float32 and out.flags.owndata


def test_raw_extension_rejects_maps_too_large_for_opencv(ext):
    """What only C++ can see: OpenCV's sizes are ints.  (0 columns: no memory needed for the test.)"""
    tall = np.zeros((2 ** 31, 0), np.float32)
    for fn in (ext.get_boxes, ext.get_boxes_direct):
        with pytest.raises(ValueError, match="too large for OpenCV"):
            fn(tall, tall)


def test_no_reference_leaks(ext):
    """Every path gives back the references it takes (inputs and results)."""
    t = np.zeros((30, 30), np.float32)
    t[5:15, 5:20] = 0.9
    l = np.zeros_like(t)
    t64 = t.astype(np.float64)
    bad = np.full((30, 30), np.nan, np.float32)
    thr = 0.55
    calls = [
        (t, l, {}), (t64, l, {}), (np.asfortranarray(t), l, {}),             # success
        (t, l, {"text_threshold": thr}),
        (bad, l, {}), (t, l.astype(int), {}),                                 # unchecked input
        (t, l[:, :5], {}), (t, l[None], {}), (t[None], l, {}), (t, [l], {}),  # errors
        (t64, l[:0], {}), (t, l, {"low_text": "x"}),
    ]
    arrays = [t, l, t64, bad]
    for args in calls:   # warm up (first-use caches)
        for fn in (ext.get_boxes, ext.get_boxes_direct):
            outcome(fn, args[0], args[1], **args[2])
    before = [sys.getrefcount(a) for a in arrays] + [sys.getrefcount(thr)]
    for _ in range(200):
        for a, b, kw in calls:
            for fn in (ext.get_boxes, ext.get_boxes_direct):
                result = outcome(fn, a, b, **kw)
                if result[0] == "ok":
                    n_refs = sys.getrefcount(result[1])   # (outside `assert`: pytest keeps references)
                    assert n_refs == 2   # the tuple's and getrefcount's argument
    del a, b, kw, result   # the loop's own references
    after = [sys.getrefcount(a) for a in arrays] + [sys.getrefcount(thr)]
    assert before == after


def test_thread_settings_and_version(ext):
    from textpost.levels import cpp_level
    before = cpp_level.get_num_threads()
    try:
        cpp_level.set_num_threads(1)
        assert cpp_level.get_num_threads() == 1
    finally:
        cpp_level.set_num_threads(before)
    assert cpp_level.opencv_version()[0].isdigit()


def test_concurrent_calls_agree(levels):
    pages = [make_page(80, 200, seed=s, max_angle=15) for s in range(6)]
    expected = [levels["cpp"](p.textmap, p.linkmap) for p in pages]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda p: levels["cpp"](p.textmap, p.linkmap), pages))
            for a, b in zip(got, expected):
                assert np.array_equal(a, b)


def test_releases_the_gil(ext, full_page, ticks_while):
    """While the extension computes, another Python thread keeps running.

    With a long switch interval, a thread that holds the GIL is not asked to
    give it up for 1 s: if the extension kept the GIL during its calls (about
    30 ms each), the counting thread could not count at all meanwhile.
    """
    during = ticks_while(lambda: ext.get_boxes(full_page.textmap, full_page.linkmap), tries=3)
    assert during > 1000, during


# --------------------------------------------------------------------------- fuzz

def _random_map(rng, shape, dtype_pool):
    kind = rng.integers(0, 5)
    if kind == 0:      # noise: a great many tiny components
        arr = rng.random(shape)
    elif kind == 1:    # sparse blobs
        arr = (rng.random(shape) < 0.3) * rng.random(shape)
    elif kind == 2 and min(shape) >= 48:    # a real-looking page
        page = make_page(int(rng.integers(0, 1 + shape[0] * shape[1] // 800)), shape,
                         seed=int(rng.integers(0, 1000)), max_angle=float(rng.uniform(0, 90)))
        arr = page.textmap if rng.random() < 0.5 else page.linkmap
    elif kind in (2, 3):    # constant
        arr = np.full(shape, rng.choice([0.0, 0.5, 0.95, 1.0]))
    else:              # values right at the default thresholds, in float32
        arr = rng.choice(np.array([0.4, 0.7, 0.0, 1.0], np.float32), size=shape)
    dtype = dtype_pool[rng.integers(0, len(dtype_pool))]
    with np.errstate(all="ignore"):
        arr = np.asarray(arr).astype(dtype)
    return arr


def _mangle(rng, arr, allow_nonfinite):
    """Change the layout, or sprinkle non-finite values."""
    k = rng.integers(0, 8)
    if k == 0 and arr.ndim == 2:
        return np.asfortranarray(arr)
    if k == 1 and arr.ndim == 2:   # a strided view of a larger array
        big = np.zeros((arr.shape[0] * 2, arr.shape[1] * 3), arr.dtype)
        big[::2, ::3] = arr
        return big[::2, ::3]
    if k == 2:
        return arr[::-1]
    if k == 3 and allow_nonfinite and arr.dtype.kind == "f" and arr.size:
        arr = arr.copy()
        idx = tuple(rng.integers(0, s) for s in arr.shape)
        arr[idx] = rng.choice([np.nan, np.inf, -np.inf])
        return arr
    return arr


LEGAL_THRESHOLDS = [1e30, -1e30, 1e300, -1e300, 2, -1, np.float32(0.3), np.float64(0.55),
                    float(np.float32(0.4)), float(np.float32(0.7)), -0.0, 1e-45, Fraction(2, 3)]
ILLEGAL_THRESHOLDS = [math.nan, math.inf, -math.inf, True, None, "0.5", np.bool_(True), 10 ** 400]


def _random_threshold(rng, default, clean):
    k = rng.random()
    if k < 0.5:
        return default
    if k < 0.7:
        return float(rng.uniform(-0.5, 1.5))
    if clean or k < 0.9:
        return LEGAL_THRESHOLDS[rng.integers(0, len(LEGAL_THRESHOLDS))]
    return ILLEGAL_THRESHOLDS[rng.integers(0, len(ILLEGAL_THRESHOLDS))]


def _random_args(rng):
    """One random call: clean (legal input, odd values and layouts) or faulty."""
    clean = rng.random() < 0.6
    legal = [np.float32] * 6 + [np.float64] * 3 + [">f4"]
    dtype_pool = legal if clean else legal + [np.float16, np.int32, np.uint8, bool, np.complex64]
    r = rng.random()
    if r < 0.1:
        shape = (1, int(rng.integers(1, 80)))
    elif r < 0.2:
        shape = (int(rng.integers(1, 80)), 1)
    elif r < 0.25 and not clean:
        shape = tuple(int(v) for v in rng.integers(0, 3, 2))   # empty or tiny
    else:
        shape = tuple(int(v) for v in rng.integers(2, 72, 2))
    t = _mangle(rng, _random_map(rng, shape, dtype_pool), not clean)
    other = shape if clean or rng.random() > 0.1 else (shape[1], shape[0] + 1)
    l = _mangle(rng, _random_map(rng, other, dtype_pool), not clean)
    k = rng.random()
    if not clean and k < 0.05:
        t = t.tolist()
    elif not clean and k < 0.1:
        l = [None, 3, "map"][rng.integers(0, 3)]
    elif not clean and k < 0.15:
        t = t[..., None]
    kwargs = {}
    for name, default in (("text_threshold", 0.7), ("link_threshold", 0.4), ("low_text", 0.4)):
        value = _random_threshold(rng, default, clean)
        if value is not default:
            kwargs[name] = value
    return t, l, kwargs


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the reference's, for 1e300
def test_fuzz_never_crashes_and_agrees(levels):
    rng = np.random.default_rng(20240601)
    n_cases = 2500
    agreed = errors = 0
    for case in range(n_cases):
        t, l, kwargs = _random_args(rng)
        ref = outcome(reference, t, l, **kwargs)
        for level, fn in levels.items():
            got = outcome(fn, t, l, **kwargs)
            assert got[0] == ref[0], f"case {case} {level}: {got[0]} vs reference {ref[0]} {ref[1:]} {got[1:]}"
            if ref[0] == "error":
                assert got[1] is ref[1], f"case {case} {level}: {got[1:]} vs reference {ref[1:]}"
            else:
                assert_matches(got[1], ref[1], level, f"case {case} {level}")
        if ref[0] == "ok":
            agreed += 1
        else:
            errors += 1
    # the generator must exercise both sides
    assert agreed > n_cases // 3 and errors > n_cases // 10, (agreed, errors)


def test_fuzz_big_noise_maps(levels):
    """Huge numbers of tiny components, bigger than the reference can check quickly."""
    rng = np.random.default_rng(7)
    for shape in [(512, 512), (1, 20000), (20000, 1), (700, 300)]:
        t = rng.random(shape, dtype=np.float32)
        l = rng.random(shape, dtype=np.float32)
        for kwargs in (dict(), dict(text_threshold=0.0, low_text=0.5, link_threshold=0.9)):
            a = levels["cpp"](t, l, **kwargs)
            b = levels["cpp_direct"](t, l, **kwargs)
            assert_matches(a, b, "cpp", f"noise {shape} {kwargs}", against="cpp_direct")


# --------------------------------------------------------------------------- building

# (a missing compiler: tests/test_build.py)

@pytest.mark.skipif(os.name == "nt", reason="setuptools finds MSVC itself")
def test_missing_pkg_config_is_explained(monkeypatch, tmp_path):
    """With the compilers given by full path and an empty PATH, only pkg-config is missing."""
    for var, language in (("CXX", "c++"), ("CC", "c")):
        cmd = build.compiler_command(language)
        path = shutil.which(cmd[0])
        if path is None:
            pytest.skip(f"no {language} compiler: the compiler check fires first")
        monkeypatch.setenv(var, " ".join([path, *cmd[1:]]))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(build.BuildError, match="pkg-config not found") as err:
        build.check_toolchain("c++", opencv=True)
    assert "libopencv-dev" in str(err.value)


@pytest.mark.skipif(os.name == "nt", reason="setuptools finds MSVC itself")
def test_opencv_unknown_to_pkg_config_is_explained(monkeypatch, tmp_path):
    if shutil.which("pkg-config") is None:
        pytest.skip("no pkg-config")
    monkeypatch.setenv("PKG_CONFIG_LIBDIR", str(tmp_path))
    monkeypatch.setenv("PKG_CONFIG_PATH", str(tmp_path))
    try:
        build.check_toolchain("c++", opencv=True)
    except build.BuildError as err:
        if "opencv4" not in str(err):
            pytest.skip(f"another tool is missing: {err}")
        assert "libopencv-dev" in str(err)
    else:
        pytest.fail("check_toolchain accepted a pkg-config without opencv4")


def test_compile_error_carries_the_compiler_text(ext, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTPOST_BUILD_DIR", str(tmp_path / "build"))
    src = tmp_path / "broken.cpp"
    src.write_text('#include <Python.h>\nint f() { return undeclared_name_4711; }\n')
    with pytest.raises(build.BuildError) as err:
        build.build_cpp("_textpost_broken", src)
    assert "undeclared_name_4711" in str(err.value) and "undeclared_name_4711" in err.value.log


def test_build_is_cached(ext):
    from textpost.levels.cpp_level import SOURCE, MODULE_NAME
    assert build.build_cpp(MODULE_NAME, SOURCE) is build.build_cpp(MODULE_NAME, SOURCE)
    assert build.build_root() in Path(ext.__file__).parents
