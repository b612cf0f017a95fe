"""Every level in LEVELS: the reference's boxes on every sample, and the same errors on bad input.

Expected boxes on the samples are stored in tests/expected/ (tools/make_expected.py),
so that fast levels are compared with the reference without running it on the dense page.
The samples include the real ones (``real_*``: CRAFT's own maps of drawn pages), so every
level is checked on real maps too.
"""
from pathlib import Path

import numpy as np
import pytest

from textpost import config
from textpost.compare import compare_boxes
from textpost.data import SAMPLES, load_sample
from textpost.levels import ALL_LEVELS, FULL_MAP, HOISTED, INFO, LEVELS
from textpost.levels.reference import get_boxes
from textpost.synth import make_page

EXPECTED = Path(__file__).parent / "expected"
#: every level but those that search the full map per label (seconds per page), from the registry
FAST_LEVELS = [n for n in ALL_LEVELS if INFO[n].algorithm not in (FULL_MAP, HOISTED)]


def tol(name):
    """The level's tolerance to the reference, from the registry (0 for a level that calls the
    reference's OpenCV functions; at most 0.5 px for one that reimplements dilation or the rectangle)."""
    return INFO[name].tolerance


@pytest.fixture(scope="module")
def samples():
    return {name: load_sample(name) for name in SAMPLES}


#: samples where the reference takes tens of seconds: left out in quick mode
SLOW_FOR_REFERENCE = ("dense", "real_dense")


@pytest.mark.parametrize("name", [s for s in SAMPLES if s not in SLOW_FOR_REFERENCE or not config.QUICK])
def test_reference_reproduces_stored_boxes(name, samples):
    p = samples[name]
    c = compare_boxes(get_boxes(p.textmap, p.linkmap), np.load(EXPECTED / f"{name}.npy"))
    assert c.identical, str(c)


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("level", FAST_LEVELS)
def test_level_matches_reference_on_samples(level, sample, samples):
    p = samples[sample]
    got = ALL_LEVELS[level](p.textmap, p.linkmap)
    c = compare_boxes(got, np.load(EXPECTED / f"{sample}.npy"), tol=tol(level))
    assert c.ok, f"{level} on {sample}: {c}"
    assert got.dtype == np.float32 and got.shape[1:] == (4, 2)


@pytest.mark.parametrize("seed,n,size,angle", [(101, 60, (300, 420), 0), (102, 200, 640, 25),
                                               (103, 15, 128, 40), (104, 0, 64, 0)])
@pytest.mark.parametrize("level", FAST_LEVELS)
def test_level_matches_reference_on_unseen_pages(level, seed, n, size, angle):
    p = make_page(n, size, seed=seed, max_angle=angle)
    for args in [(), (0.6, 0.3, 0.35), (0.7, 5.0, 0.4)]:       # 5.0: links off, character boxes
        c = compare_boxes(ALL_LEVELS[level](p.textmap, p.linkmap, *args),
                          get_boxes(p.textmap, p.linkmap, *args), tol=tol(level))
        assert c.ok, f"{level}, thresholds {args}: {c}"


def unaligned(a):
    """A copy of ``a`` that starts one byte past an aligned address, as bytes received from another process may."""
    buf = np.empty(a.nbytes + 1, np.uint8)[1:]
    out = buf.view(a.dtype).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned and out.flags.c_contiguous
    return out


@pytest.mark.parametrize("level", list(LEVELS))
def test_converted_inputs_give_the_same_boxes(level):
    p = make_page(30, 200, seed=5, max_angle=10)
    want = ALL_LEVELS[level](p.textmap, p.linkmap)
    f = ALL_LEVELS[level]
    variants = {
        "float64": (p.textmap.astype(np.float64), p.linkmap.astype(np.float64)),
        "fortran": (np.asfortranarray(p.textmap), np.asfortranarray(p.linkmap)),
        "strided": (np.repeat(p.textmap, 2, axis=1)[:, ::2], np.repeat(p.linkmap, 2, axis=1)[:, ::2]),
        "unaligned": (unaligned(p.textmap), unaligned(p.linkmap)),
    }
    for kind, (t, l) in variants.items():
        c = compare_boxes(f(t, l), want)
        assert c.identical, f"{level} with {kind} input: {c}"


def _bad_inputs():
    ok = np.zeros((20, 30), np.float32)
    nan = ok.copy()
    nan[3, 4] = np.nan
    inf = ok.copy()
    inf[5, 6] = np.inf
    return [
        ("shapes differ", (ok, np.zeros((20, 31), np.float32)), {}, ValueError),
        ("1-D", (np.zeros(30, np.float32), np.zeros(30, np.float32)), {}, ValueError),
        ("3-D", (np.zeros((2, 20, 30), np.float32),) * 2, {}, ValueError),
        ("empty", (np.zeros((0, 30), np.float32),) * 2, {}, ValueError),
        ("empty both", (np.zeros((0, 0), np.float32),) * 2, {}, ValueError),
        ("NaN", (nan, ok), {}, ValueError),
        ("inf in linkmap", (ok, inf), {}, ValueError),
        ("float64 beyond float32", (ok.astype(np.float64) + 1e300, ok), {}, ValueError),
        ("int dtype", (ok.astype(np.int32), ok), {}, TypeError),
        ("uint8 dtype", (ok, ok.astype(np.uint8)), {}, TypeError),
        ("bool dtype", (ok.astype(bool), ok), {}, TypeError),
        ("complex dtype", (ok.astype(np.complex64), ok), {}, TypeError),
        ("object dtype", (ok.astype(object), ok), {}, TypeError),
        ("a list", (ok.tolist(), ok), {}, TypeError),
        ("None", (None, ok), {}, TypeError),
        ("threshold NaN", (ok, ok), {"text_threshold": float("nan")}, ValueError),
        ("threshold inf", (ok, ok), {"link_threshold": float("inf")}, ValueError),
        ("threshold -inf", (ok, ok), {"low_text": -np.inf}, ValueError),
        ("threshold str", (ok, ok), {"text_threshold": "0.7"}, TypeError),
        ("threshold None", (ok, ok), {"low_text": None}, TypeError),
        ("threshold bool", (ok, ok), {"link_threshold": True}, TypeError),
        ("threshold array", (ok, ok), {"text_threshold": np.array([0.7])}, TypeError),
    ]


BAD = _bad_inputs()


@pytest.mark.parametrize("level", list(ALL_LEVELS))
@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_error(level, case):
    _, args, kwargs, exc = case
    with pytest.raises(exc) as info:
        ALL_LEVELS[level](*args, **kwargs)
    assert len(str(info.value)) > 10     # a message that says what is wrong


@pytest.mark.parametrize("level", list(LEVELS))
def test_legal_unusual_input(level):
    """Thresholds above 1, numpy scalar thresholds, a 1 x N map and negative scores are legal."""
    f = ALL_LEVELS[level]
    p = make_page(20, 160, seed=9)
    assert len(f(p.textmap, p.linkmap, link_threshold=1e9)) >= len(f(p.textmap, p.linkmap))
    c = compare_boxes(f(p.textmap, p.linkmap, np.float32(0.7), np.float64(0.4), 0.4),
                      get_boxes(p.textmap, p.linkmap), tol=tol(level))
    assert c.ok, str(c)
    row = np.zeros((1, 50), np.float32)
    row[0, 10:30] = 0.9
    c = compare_boxes(f(row, np.zeros_like(row)), get_boxes(row, np.zeros_like(row)), tol=tol(level))
    assert c.ok, str(c)
    neg = -np.ones((10, 10), np.float32)
    assert len(f(neg, neg)) == 0
