"""The map generator, the ready samples in data/, and the script that makes them."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from textpost import data
from textpost.data import SAMPLES, load_page_image, load_sample, load_samples, sample_path
from textpost.levels.reference import get_boxes
from textpost.synth import make_page, paint_word

ROOT = Path(__file__).resolve().parent.parent
MAKE_DATA = ROOT / "tools" / "make_data.py"


def _make_data_module():
    spec = importlib.util.spec_from_file_location("make_data", MAKE_DATA)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def samples():
    """All samples, loaded once (tests must not change them)."""
    return load_samples()


@pytest.fixture(scope="module")
def edge(samples):
    s = samples["edge_cases"]
    return s, get_boxes(s.textmap, s.linkmap)


# --------------------------------------------------------------------------- the generator

@pytest.mark.parametrize("kwargs", [dict(n_words=40), dict(n_words=25, max_angle=30.0, max_chars=5)])
def test_make_page_same_seed_same_page(kwargs):
    a = make_page(size=256, seed=7, **kwargs)
    b = make_page(size=256, seed=7, **kwargs)
    np.testing.assert_array_equal(a.textmap, b.textmap)
    np.testing.assert_array_equal(a.linkmap, b.linkmap)
    np.testing.assert_array_equal(a.words, b.words)
    assert a.texts == b.texts
    for ca, cb in zip(a.chars, b.chars):
        np.testing.assert_array_equal(ca, cb)


def test_make_page_other_seed_other_page():
    a = make_page(n_words=40, size=256, seed=7)
    b = make_page(n_words=40, size=256, seed=8)
    assert not np.array_equal(a.textmap, b.textmap)
    assert not np.array_equal(a.linkmap, b.linkmap)
    assert a.texts != b.texts


@pytest.mark.parametrize("n_words, size, shape", [
    (0, 128, (128, 128)),
    (1, 128, (128, 128)),
    (30, 256, (256, 256)),
    (200, (256, 384), (256, 384)),
    (400, 384, (384, 384)),
])
def test_make_page_sizes_and_counts(n_words, size, shape):
    page = make_page(n_words=n_words, size=size, seed=3)
    assert page.textmap.shape == page.linkmap.shape == shape
    assert page.textmap.dtype == page.linkmap.dtype == np.float32
    assert page.words.shape == (n_words, 4, 2) and page.words.dtype == np.float32
    assert page.n_words == n_words == len(page.texts) == len(page.chars)
    assert [len(t) for t in page.texts] == [len(c) for c in page.chars]
    for m in (page.textmap, page.linkmap):
        assert m.min() >= 0.0 and m.max() <= 1.0
    if n_words:
        assert page.textmap.max() > 0.7 and page.linkmap.max() > 0.4


def test_make_page_too_many_words():
    with pytest.raises(ValueError, match="do not fit"):
        make_page(n_words=5000, size=64)


def test_paint_word_paints_characters_and_links():
    textmap = np.zeros((60, 120), np.float32)
    linkmap = np.zeros_like(textmap)
    wquad, cquads = paint_word(textmap, linkmap, 10, 20, 5, 12.0, 18.0, peak=0.9)
    assert wquad.shape == (4, 2) and cquads.shape == (5, 4, 2)
    np.testing.assert_allclose(wquad, [[10, 20], [70, 20], [70, 38], [10, 38]])
    assert 0.85 < textmap.max() <= 0.9 and 0.85 < linkmap.max() <= 0.9
    # one Gaussian per character along the middle row, one link between neighbours
    row = textmap[29]
    peaks = [x for x in range(1, 119) if row[x] > 0.5 and row[x] >= row[x - 1] and row[x] > row[x + 1]]
    assert len(peaks) == 5
    assert np.count_nonzero(linkmap[:, :10]) == 0      # links only between characters
    # rotated: same shape, turned about the centre
    t2, l2 = np.zeros_like(textmap), np.zeros_like(textmap)
    wq2, _ = paint_word(t2, l2, 10, 20, 5, 12.0, 18.0, angle=30.0)
    np.testing.assert_allclose(wq2.mean(axis=0), wquad.mean(axis=0), atol=1e-4)
    assert abs(np.degrees(np.arctan2(*(wq2[1] - wq2[0])[::-1])) - 30.0) < 1e-3


# --------------------------------------------------------------------------- make data

def test_make_data_rebuilds_data_byte_for_byte(tmp_path):
    """`make data` is reproducible: a fresh run writes exactly the files in data/.

    The real samples' CRAFT maps are copied (``--reuse-maps``), not recomputed: they are
    reproduced within a tolerance only (tests/test_detector.py checks that); their page
    images and ground truth are rendered again here and must be the same bytes.
    """
    out = tmp_path / "data"
    subprocess.run([sys.executable, str(MAKE_DATA), "--out", str(out), "--quiet",
                    "--reuse-maps", str(data.DATA_DIR)], check=True,
                   cwd=tmp_path, timeout=300)
    made = sorted(p.name for p in out.iterdir())
    stored = sorted(p.name for p in data.DATA_DIR.iterdir() if p.is_file())
    assert made == stored, "data/ holds other files than tools/make_data.py writes; run `make data`"
    differ = []
    for name in made:
        a, b = (out / name).read_bytes(), (data.DATA_DIR / name).read_bytes()
        if a != b:
            detail = ""
            if name.endswith(".png"):
                ia = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED).astype(np.int64)
                ib = cv2.imread(str(data.DATA_DIR / name), cv2.IMREAD_UNCHANGED).astype(np.int64)
                detail = (f" (pixels differ by up to {np.abs(ia - ib).max()})" if ia.shape == ib.shape
                          else f" (shapes {ia.shape} vs {ib.shape})")
            differ.append(name + detail)
    assert not differ, f"these files differ from a fresh `make data`: {', '.join(differ)}"


def test_count_boxes_matches_the_reference():
    """make_data counts reference boxes without the reference's cost; check it on fresh pages."""
    count_boxes = _make_data_module().count_boxes
    for seed, kwargs in [(1, dict(n_words=60)), (2, dict(n_words=40, max_angle=40.0, low_confidence=0.3))]:
        page = make_page(size=256, seed=seed, **kwargs)
        assert count_boxes(page.textmap, page.linkmap) == len(get_boxes(page.textmap, page.linkmap))


# --------------------------------------------------------------------------- loading

@pytest.mark.parametrize("name", SAMPLES)
def test_sample_loads(samples, name):
    s = samples[name]
    assert s.name == name and s.description
    h, w = s.info["size"]
    for m in (s.textmap, s.linkmap):
        assert m.shape == (h, w) and m.dtype == np.float32 and m.flags.c_contiguous
        assert m.min() >= 0.0 and m.max() <= 1.0
    assert s.textmap.max() > 0.7 and s.linkmap.max() > 0.4
    assert s.words.dtype == np.float32 and s.words.shape == (s.n_words, 4, 2)
    assert s.n_words == s.info["n_words"] == len(s.texts)
    assert isinstance(s.n_boxes, int) and s.n_boxes > 0
    assert name in repr(s)


def test_sample_sizes_and_word_counts(samples):
    expected = {"sparse": 30, "document": 300, "dense": 3000, "rotated": 150}
    for name, n in expected.items():
        assert samples[name].shape == (1280, 1280)
        assert samples[name].n_words == n
    assert samples["edge_cases"].shape == (256, 384)
    real = {"real_rotated": (150, 320), "real_document": (300, 640), "real_dense": (2000, 1280)}
    for name, (n, side) in real.items():
        assert samples[name].shape == (side, side)
        assert samples[name].n_words == n and samples[name].info["image_scale"] == 2


def test_rotated_sample_is_rotated(samples):
    words = samples["rotated"].words
    angles = np.degrees(np.arctan2(words[:, 1, 1] - words[:, 0, 1], words[:, 1, 0] - words[:, 0, 0]))
    assert np.abs(angles).max() > 30 and np.abs(angles).max() <= 35.01
    assert np.count_nonzero(np.abs(angles) > 10) > len(words) // 2


def test_ground_truth_matches_the_generator():
    """The stored words are the generator's words, rounded to 0.01 px; the maps to 1/65535."""
    s = load_sample("sparse")
    page = make_page(n_words=30, size=1280, seed=1)
    np.testing.assert_allclose(s.words, page.words, atol=0.0051)
    assert s.texts == page.texts
    np.testing.assert_allclose(s.textmap, page.textmap, atol=0.51 / 65535)
    np.testing.assert_allclose(s.linkmap, page.linkmap, atol=0.51 / 65535)


@pytest.mark.parametrize("name", [n for n in SAMPLES if n not in ("dense", "real_dense")])
def test_stored_box_count_is_the_references(samples, name):
    """n_boxes (and data/README.md) say what the reference returns.

    ``dense`` and ``real_dense`` are left out: the reference needs tens of seconds there; their count is made by the
    same counting function, which test_count_boxes_matches_the_reference checks.
    """
    s = samples[name]
    assert len(get_boxes(s.textmap, s.linkmap)) == s.n_boxes


def test_readme_states_the_counts(samples):
    readme = (data.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "make data" in readme and "python tools/make_data.py" in readme
    for name, s in samples.items():
        assert f"| `{name}` | {s.shape[0]} x {s.shape[1]} | {s.n_words} | {s.n_boxes} |" in readme


def test_every_load_is_fresh():
    a = load_sample("edge_cases")
    a.textmap[:] = 0
    b = load_sample("edge_cases")
    assert b.textmap.max() > 0.7


def test_page_images(samples):
    with_image = [n for n in SAMPLES if data.has_page_image(n)]
    assert with_image, "no sample has a page image"
    for name in with_image:
        img = load_page_image(name)
        scale = samples[name].info["image_scale"]
        assert img.dtype == np.uint8 and img.shape == tuple(scale * d for d in samples[name].shape)
        assert img.min() < 64 and img.max() == 255      # dark text on white
    without = [n for n in SAMPLES if n not in with_image]
    if without:
        with pytest.raises(FileNotFoundError, match="has no page image"):
            load_page_image(without[0])


def test_unknown_sample():
    with pytest.raises(ValueError, match="unknown sample 'nope'.*sparse"):
        load_sample("nope")
    with pytest.raises(ValueError, match="unknown kind"):
        sample_path("sparse", "pdf")


def test_missing_data_says_make_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="make data"):
        load_sample("sparse", data_dir=tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="make data"):
        load_page_image("sparse", data_dir=tmp_path / "nowhere")


def test_sample_paths():
    assert sample_path("dense") == data.DATA_DIR / "dense.json"
    assert sample_path("dense", "textmap").name == "dense_textmap.png"
    assert data.DATA_DIR == ROOT / "data"


# --------------------------------------------------------------------------- the edge-case map

def _items(s, kind):
    found = [it for it in s.info["items"] if it["kind"] == kind]
    assert found, f"edge_cases has no {kind!r} item"
    return found


def _boxes_in(boxes, quad):
    """Boxes whose centre lies inside ``quad`` (grown by 2 px)."""
    quad = np.asarray(quad, np.float32)
    centre = quad.mean(axis=0)
    grown = (centre + (quad - centre) * (1 + 2 / max(np.ptp(quad, axis=0).min(), 1))).reshape(-1, 1, 2)
    return [b for b in boxes if cv2.pointPolygonTest(grown, tuple(map(float, b.mean(axis=0))), False) >= 0]


def _components_under(s, quad):
    """(area, best region score) of every thresholded component inside the bounding box of ``quad``."""
    comb = ((s.textmap > 0.4) | (s.linkmap > 0.4)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(comb, connectivity=4)
    x0, y0 = np.maximum(np.floor(np.min(quad, axis=0)).astype(int), 0)
    x1, y1 = np.ceil(np.max(quad, axis=0)).astype(int) + 1
    found = [k for k in np.unique(labels[y0:y1, x0:x1]) if k > 0]
    assert found, f"no component under {quad}"
    return [(int(stats[k, cv2.CC_STAT_AREA]), float(s.textmap[labels == k].max())) for k in found]


def test_edge_cases_box_count(edge):
    s, boxes = edge
    assert len(boxes) == s.n_boxes == sum(it["boxes"] for it in s.info["items"])


def test_edge_cases_words_touch_every_border(edge):
    s, boxes = edge
    h, w = s.shape
    sides_seen = set()
    for it in _items(s, "border"):
        q = np.array(it["quad"])
        sides = {side for side, out in [("left", q[:, 0].min() < 0), ("right", q[:, 0].max() > w),
                                        ("top", q[:, 1].min() < 0), ("bottom", q[:, 1].max() > h)] if out}
        assert sides, f"{it['text']} is not cut by the border"
        sides_seen |= sides
        found = _boxes_in(boxes, q)
        assert len(found) == 1, it
        b = found[0]
        if "left" in sides:
            assert b[:, 0].min() <= 0.5
        if "right" in sides:
            assert b[:, 0].max() >= w - 1.5
        if "top" in sides:
            assert b[:, 1].min() <= 0.5
        if "bottom" in sides:
            assert b[:, 1].max() >= h - 1.5
    assert sides_seen == {"left", "right", "top", "bottom"}
    corners = [it for it in _items(s, "border") if "corner" in it["note"]]
    assert len(corners) == 4


def test_edge_cases_tiny_blobs_are_dropped_by_size(edge):
    s, boxes = edge
    for it in _items(s, "tiny"):
        (area, best), = _components_under(s, it["quad"])
        assert 0 < area < 10 and best >= 0.7, (it, area, best)     # confident, but too small
        assert f"a component of {area} px" in it["note"]
        assert not _boxes_in(boxes, it["quad"])
    for it in _items(s, "small"):                                  # the smallest blob that is kept
        (area, best), = _components_under(s, it["quad"])
        assert area == 10 and best >= 0.7
        assert len(_boxes_in(boxes, it["quad"])) == 1


def test_edge_cases_low_confidence_is_dropped(edge):
    s, boxes = edge
    for it in _items(s, "low_confidence"):
        found = _components_under(s, it["quad"])
        assert all(best < 0.7 for _, best in found), (it, found)                  # never sure enough ...
        assert any(area >= 10 and best > 0.4 for area, best in found), (it, found)  # ... though large enough
        assert not _boxes_in(boxes, it["quad"])


def test_edge_cases_link_only_blob_is_dropped(edge):
    s, boxes = edge
    (it,) = _items(s, "link_only")
    x0, y0 = np.floor(np.min(it["quad"], axis=0)).astype(int)
    x1, y1 = np.ceil(np.max(it["quad"], axis=0)).astype(int)
    assert s.textmap[y0:y1, x0:x1].max() == 0 and s.linkmap[y0:y1, x0:x1].max() > 0.4
    (area, best), = _components_under(s, it["quad"])
    assert area >= 10 and best == 0
    assert not _boxes_in(boxes, it["quad"])


def test_edge_cases_joined_words_share_one_box(edge):
    s, boxes = edge
    first, second = _items(s, "joined")
    inside = [b for b in boxes
              if all(cv2.pointPolygonTest(b.reshape(-1, 1, 2), tuple(map(float, np.mean(it["quad"], axis=0))),
                                          False) >= 0 for it in (first, second))]
    assert len(inside) == 1


def test_edge_cases_missing_link_splits_a_word(edge):
    s, boxes = edge
    halves = _items(s, "split")
    assert len(halves) == 2
    for it in halves:
        assert len(_boxes_in(boxes, it["quad"])) == 1


def test_edge_cases_diamond_fix(edge):
    s, boxes = edge
    (it,) = _items(s, "diamond")
    (b,) = _boxes_in(boxes, it["quad"])
    # the blob is a square turned by 45 degrees ...
    x0, y0 = np.floor(np.min(it["quad"], axis=0)).astype(int)
    x1, y1 = np.ceil(np.max(it["quad"], axis=0)).astype(int)
    ys, xs = np.nonzero(s.textmap[y0:y1, x0:x1] > 0.4)
    (_, _), (rw, rh), angle = cv2.minAreaRect(np.stack([xs, ys], axis=1).astype(np.int32))
    assert abs(1 - max(rw, rh) / min(rw, rh)) <= 0.1 and 30 < angle < 60
    # ... yet its box is axis-aligned: the diamond fix replaced the minimum-area rectangle
    assert b[0, 1] == b[1, 1] and b[2, 1] == b[3, 1] and b[0, 0] == b[3, 0] and b[1, 0] == b[2, 0]
