"""Write the ready samples into data/ (``make data`` runs this).

    python tools/make_data.py            # writes data/
    python tools/make_data.py --out DIR  # writes DIR instead (the tests compare it with data/)
    python tools/make_data.py --out DIR --reuse-maps data   # real samples: CRAFT's maps copied, not recomputed

Every run writes the same bytes for the synthetic samples: the maps come from fixed
seeds, the maps are stored as 16-bit PNG (no timestamps), the JSON files have sorted
keys and rounded floats, and data/README.md is written from the same numbers.
The real samples' page images and ground truth are the same bytes too (a deterministic
renderer, with the pinned Pillow); their maps are CRAFT's output, which can differ in
the last bits across CPUs and thread counts, so they are reproduced within a tolerance
(tests/test_detector.py checks it, and that the boxes stay the same).  The 2560 px page
needs about 5 GB of memory and 0.5-3 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import string
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run as a script from anywhere, installed or not
    sys.path.insert(0, str(ROOT))

from textpost.data import REAL_SAMPLES, SAMPLES, decode_map, encode_map  # noqa: E402
from textpost.synth import Page, make_page, paint_gaussian, paint_link, paint_word, render_page  # noqa: E402

SIZE = 1280
DECIMALS = 2                 # ground-truth coordinates are stored to 0.01 map pixel
IMAGE_SCALE = 2              # page images are twice the map size, as CRAFT's input is
PNG_OPTIONS = [cv2.IMWRITE_PNG_COMPRESSION, 9]
LETTERS = list(string.ascii_letters + string.digits)

# thresholds of the published postprocess; n_boxes is counted with these
TEXT_THRESHOLD, LINK_THRESHOLD, LOW_TEXT = 0.7, 0.4, 0.4


# --------------------------------------------------------------------------- samples

def make_rotated(n_words: int = 150, size: int = SIZE, seed: int = 4, max_angle: float = 35.0,
                 low_confidence: float = 0.05, margin: int = 8) -> Page:
    """Words scattered over the page, each rotated by its own angle, never touching.

    Every word keeps a free border of half its height around it (checked on an
    occupancy mask), so rotated words never merge into one component.
    """
    rng = np.random.default_rng(seed)
    textmap = np.zeros((size, size), np.float32)
    linkmap = np.zeros((size, size), np.float32)
    occupied = np.zeros((size, size), np.uint8)
    words, texts, chars = [], [], []
    attempts = 0
    while len(words) < n_words:
        attempts += 1
        if attempts > 200 * n_words:
            raise RuntimeError(f"could not place {n_words} rotated words on a {size}x{size} map")
        n_chars = int(rng.integers(2, 9))
        ch = rng.uniform(12.0, 22.0)
        cw = ch * rng.uniform(0.55, 0.75)
        angle = rng.uniform(-max_angle, max_angle)
        cx, cy = rng.uniform(0, size, size=2)
        w = n_chars * cw
        pad = 0.5 * ch
        outline = _rotated_rect(cx, cy, w, ch, angle)
        if outline.min() < margin or outline.max() > size - margin:
            continue
        keep_out = np.round(_rotated_rect(cx, cy, w + 2 * pad, ch + 2 * pad, angle)).astype(np.int32)
        x0, y0 = np.maximum(keep_out.min(axis=0), 0)
        x1, y1 = np.minimum(keep_out.max(axis=0) + 1, size)
        patch = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(patch, keep_out - (x0, y0), 1)
        if np.any(patch & occupied[y0:y1, x0:x1]):
            continue
        occupied[y0:y1, x0:x1] |= patch
        peak = rng.uniform(0.45, 0.68) if rng.random() < low_confidence else rng.uniform(0.8, 1.0)
        wquad, cquads = paint_word(textmap, linkmap, cx - w / 2, cy - ch / 2, n_chars, cw, ch,
                                   angle=angle, peak=peak, rng=rng)
        words.append(wquad)
        chars.append(cquads)
        texts.append("".join(rng.choice(LETTERS, size=n_chars)))
    return Page(textmap, linkmap, np.array(words, np.float32).reshape(-1, 4, 2), texts, chars, seed)


def _rotated_rect(cx, cy, w, h, angle_deg):
    """Corners of a w x h rectangle centred at (cx, cy), rotated like synth's words."""
    a = np.deg2rad(angle_deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    return corners @ r.T + (cx, cy)


def make_edge_cases():
    """A small hand-placed map with one of every case the postprocess treats specially.

    Returns ``(page, items)``: ``items`` lists every painted thing with its kind,
    its quad, and how many boxes the reference makes of it (``boxes``).
    """
    height, width = 256, 384
    textmap = np.zeros((height, width), np.float32)
    linkmap = np.zeros((height, width), np.float32)
    words, texts, chars, items = [], [], [], []

    def word(text, x, y, kind, boxes, note, cw=11.0, ch=16.0, angle=0.0, peak=1.0):
        wquad, cquads = paint_word(textmap, linkmap, x, y, len(text), cw, ch, angle=angle, peak=peak)
        words.append(wquad)
        texts.append(text)
        chars.append(cquads)
        items.append({"kind": kind, "text": text, "quad": wquad, "boxes": boxes, "note": note})
        return cquads

    # words cut by each border and corner: their boxes reach the border
    word("TLC", -4, -4, "border", 1, "top-left corner, 4 px outside the map")
    word("TRC", width - 33 + 4, -4, "border", 1, "top-right corner, 4 px outside the map")
    word("BLC", -4, height - 16 + 4, "border", 1, "bottom-left corner, 4 px outside the map")
    word("BRC", width - 33 + 4, height - 16 + 4, "border", 1, "bottom-right corner, 4 px outside the map")
    word("TOP", 175, -5, "border", 1, "cut by the top border")
    word("BOTTOM", 159, height - 16 + 5, "border", 1, "cut by the bottom border")
    word("LEFT", -5, 120, "border", 1, "cut by the left border")
    word("RIGHT", width - 55 + 5, 120, "border", 1, "cut by the right border")

    # tiny blobs: confident (peak 1) but fewer than 10 pixels above low_text -> dropped by the size filter
    word("a", 60.3, 40.6, "tiny", 0, "3 x 3 px character, a component of 2 px", cw=3, ch=3)
    word("b", 80.3, 40.6, "tiny", 0, "4 x 5 px character, a component of 6 px", cw=4, ch=5)
    word("c", 100.3, 40.6, "tiny", 0, "5 x 6 px character, a component of 9 px", cw=5, ch=6)
    word("d", 120.3, 40.6, "small", 1, "6 x 6 px character, a component of 10 px: just kept", cw=6, ch=6)

    # low confidence: large enough, but the best region score stays under text_threshold (0.7)
    word("unsure", 60, 70, "low_confidence", 0, "peak 0.6: above low_text, below text_threshold",
         ch=20, cw=13, peak=0.6)
    word("maybe", 160, 70, "low_confidence", 0, "peak 0.68: just below text_threshold",
         ch=20, cw=13, peak=0.68)
    word("sure", 260, 70, "word", 1, "peak 0.78: kept", ch=20, cw=13, peak=0.78)

    # two touching words joined by an affinity blob: one component, one box for both
    first = word("JOINED", 60, 112, "joined", 1, "joined to the next word by a link: one box for both")
    second = word("WORDS", 60 + 66 + 4, 112, "joined", 0, "joined to the previous word: shares its box")
    paint_link(linkmap, first[-1], second[0], 1.0)

    # one word, its middle affinity missing: two components, two boxes
    word("GAP", 60, 150, "split", 1, "left half of a word whose middle link is missing")
    word("PED", 60 + 33, 150, "split", 1, "right half: its own box")

    # a square character turned by 45 degrees: its minimum-area rectangle is a diamond,
    # which the diamond fix replaces by the axis-aligned bounding box
    word("X", 250, 100, "diamond", 1, "square character rotated 45 degrees", cw=24, ch=24, angle=45.0)

    # a rotated word, for comparison: an ordinary rotated box
    word("slanted", 200, 175, "word", 1, "a word rotated by 30 degrees", angle=30.0)

    # an affinity blob with no character under it: its region score is 0 -> dropped
    quad = np.array([[300, 150], [330, 150], [330, 162], [300, 162]], np.float64)
    paint_gaussian(linkmap, quad, 0.9)
    items.append({"kind": "link_only", "text": "", "quad": quad, "boxes": 0,
                  "note": "affinity only, no region score: dropped by the confidence filter"})

    page = Page(textmap, linkmap, np.array(words, np.float32).reshape(-1, 4, 2), texts, chars, 0)
    return page, items


# --------------------------------------------------------------------------- the checker's cases

CHECK_TILE = (64, 64)          # every check case is a 64 x 64 map; data/checks_*.png hold them side by side


def make_check_cases():
    """The exercise checker's small cases: 64 x 64 maps, each telling one plausible mistake from the right answer.

    Returns a list of dicts: ``name``, ``cause`` (the mistake it catches, a key of the checker's
    hint tables in ``textpost/check_hints.py``; "geometry" for the basic cases, whose difference is
    diagnosed from its shape), ``note``, ``thresholds`` ([text_threshold, link_threshold, low_text],
    passed to the function under test), ``textmap``, ``linkmap``.  The order matters: the checker
    names the cause of the first case that differs, so the basic cases come first.  Values such as
    0.4 and 0.6 are exact in the 16-bit maps (0.4 * 65535 = 26214): a score at a threshold stays there.
    """
    cases = []

    def case(name, cause, note, thresholds=(0.7, 0.4, 0.4)):
        tm = np.zeros(CHECK_TILE, np.float32)
        lm = np.zeros(CHECK_TILE, np.float32)
        cases.append(dict(name=name, cause=cause, note=note, thresholds=list(thresholds), textmap=tm, linkmap=lm))
        return tm, lm

    tm, lm = case("block", "geometry", "an upright 40 x 12 px block: niter 6, its box grows by 3 px on each side")
    tm[26:38, 12:52] = 1.0

    tm, lm = case("rotated_words", "geometry",
                  "two words turned by +30 and -30 degrees: boxPoints' cyclic order, started at the "
                  "smallest x + y (not the smallest x or y)")
    paint_word(tm, lm, 3.4, 6.3, 3, 9.0, 12.0, angle=30.0)
    paint_word(tm, lm, 30.4, 38.3, 3, 9.0, 12.0, angle=-30.0)

    tm, lm = case("diamond", "diamond",
                  "a 20 x 21 px block turned by 30 degrees: nearly square, so the diamond fix makes its box "
                  "the points' upright bounding box")
    turn = np.deg2rad(30.0)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    block = np.array([[-10, -10.5], [10, -10.5], [10, 10.5], [-10, 10.5]]) @ rotation.T + (32, 32)
    cv2.fillConvexPoly(tm, np.round(block).astype(np.int32), 1.0)

    tm, lm = case("corner_top_left", "clip", "a word cut by the top-left corner: the region is clipped at 0")
    paint_word(tm, lm, -5.5, -4.5, 3, 9.0, 14.0)

    tm, lm = case("corner_bottom_right", "clip",
                  "a word cut by the bottom-right corner: the region ends at the map's last row and column")
    paint_word(tm, lm, 64 - 27 + 4.5, 64 - 14 + 4.5, 3, 9.0, 14.0)

    tm, lm = case("label_order", "order",
                  "three words whose label order (raster order of their first pixel) is not left to right, "
                  "not by centre, not by size")
    paint_word(tm, lm, 40.3, 3.4, 2, 8.0, 40.0)      # label 1: top right, tall
    paint_word(tm, lm, 4.3, 14.4, 4, 8.0, 10.0)      # label 2: left, short
    paint_word(tm, lm, 20.3, 46.4, 2, 8.0, 10.0)     # label 3

    tm, lm = case("faint_l", "confidence_pixels",
                  "a faint L-shaped component (best score 0.5) whose box holds a separate confident word: "
                  "only the word gets a box")
    tm[6:58, 6:12] = 0.5
    tm[52:58, 6:58] = 0.5
    paint_word(tm, lm, 20.3, 20.4, 3, 8.0, 12.0)

    tm, lm = case("edge_peaks", "edge_pixels",
                  "two components whose only confident pixels (0.9) lie on the map's last row and last column: "
                  "both kept (every pixel counts, the last row and column too)")
    tm[58:64, 10:40] = 0.5
    tm[63, 10:40] = 0.9
    tm[10:40, 58:64] = 0.5
    tm[10:40, 63] = 0.9

    tm, lm = case("link_only_tail", "link_only",
                  "a block with a link-only tail on its right: the tail is labelled with the block but "
                  "left out of its mask")
    tm[24:40, 8:32] = 1.0
    lm[28:36, 32:52] = 0.9

    tm, lm = case("link_over_text", "link_and_text",
                  "a block whose link score also covers its two ends: pixels that are text and link stay in "
                  "the mask")
    tm[24:40, 8:56] = 1.0
    lm[24:40, 8:16] = 0.9
    lm[24:40, 48:56] = 0.9

    tm, lm = case("area_10", "area_10",
                  "a confident component of exactly 10 px: kept (only an area under 10 is skipped)")
    tm[30:32, 30:35] = 1.0

    tm, lm = case("area_9_wide", "area_pixels",
                  "a confident L of 9 px inside a 5 x 5 box: skipped (the area is the pixel count, not w * h)")
    tm[28:33, 28] = 1.0
    tm[32, 29:33] = 1.0

    tm, lm = case("diagonal", "connectivity",
                  "two confident blocks touching only at a corner: two components under 4-connectivity")
    tm[10:30, 10:30] = 1.0
    tm[30:50, 30:50] = 1.0

    tm, lm = case("strict_bridges", "strict",
                  "two pairs of blocks joined by bridges scored exactly 0.4, one in the text map (low_text), "
                  "one in the link map (link_threshold): both thresholds are strict, so four boxes")
    tm[6:22, 4:26] = 1.0
    tm[12:16, 26:38] = 0.4
    tm[6:22, 38:60] = 1.0
    tm[40:56, 4:26] = 1.0
    lm[44:52, 26:38] = 0.4
    tm[40:56, 38:60] = 1.0

    tm, lm = case("thresholds_passed", "thresholds",
                  "text_threshold 0.6, link_threshold 0.6, low_text 0.2 passed to the function: two blocks "
                  "of 0.65 with a 0.5 link between them (not a link at 0.6) give two boxes; a faint 0.3 "
                  "strip gives none", thresholds=(0.6, 0.6, 0.2))
    tm[24:40, 8:28] = 0.65
    lm[24:40, 28:36] = 0.5
    tm[24:40, 36:56] = 0.65
    tm[10:14, 8:56] = 0.3

    tm, lm = case("text_at_threshold", "confidence_strict",
                  "text_threshold 0.6 and a block whose best score is exactly 0.6: kept (only a best score "
                  "under it is skipped)", thresholds=(0.6, 0.4, 0.4))
    tm[24:40, 16:48] = 0.6

    return cases


RECIPES = {
    "sparse": dict(
        make=lambda: make_page(n_words=30, size=SIZE, seed=1),
        call="textpost.synth.make_page(n_words=30, size=1280, seed=1)",
        image=True,
        description="A sparse page: 30 words in large type on the first lines of the page; "
                    "the reference is fast here."),
    "document": dict(
        make=lambda: make_page(n_words=300, size=SIZE, seed=2),
        call="textpost.synth.make_page(n_words=300, size=1280, seed=2)",
        image=False,
        description="A document page: 300 words on lines."),
    "dense": dict(
        make=lambda: make_page(n_words=3000, size=SIZE, seed=3),
        call="textpost.synth.make_page(n_words=3000, size=1280, seed=3)",
        image=False,
        description="A dense page: 3000 small words on lines; "
                    "the reference takes tens of seconds here."),
    "rotated": dict(
        make=lambda: make_rotated(n_words=150, size=SIZE, seed=4, max_angle=35.0),
        call="tools/make_data.py: make_rotated(n_words=150, size=1280, seed=4, max_angle=35.0)",
        image=True,
        description="Rotated text: 150 words scattered over the page, each turned by up to "
                    "35 degrees, spaced so that no two words touch."),
    "edge_cases": dict(
        make=make_edge_cases,
        call="tools/make_data.py: make_edge_cases()",
        image=False,
        description="Edge cases on a small 256 x 384 map: words cut by every border and corner, "
                    "tiny blobs under 10 px, low-confidence words, two words joined by a link, "
                    "a word split by a missing link, a 45-degree square (the diamond fix), "
                    "a link-only blob."),
}


def _real(**kwargs):
    def render():
        from textpost.render import render_text_page
        return render_text_page(**kwargs)
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return render, f"textpost.render.render_text_page({args})"


for _name, _kwargs, _canvas, _description in [
    ("real_rotated", dict(n_words=150, size=640, font_size=15, seed=13, columns=2, angle=8.0), 640,
     "A real page, turned: 150 words of 15 px DejaVu Sans in two columns on a 640 px page turned "
     "by 8 degrees; CRAFT's maps (320 x 320) at canvas 640. The tests run the network on it."),
    ("real_document", dict(n_words=300, size=1280, font_size=26, seed=11), 1280,
     "A real document: 300 words of 26 px DejaVu Sans on a 1280 px page; CRAFT's maps "
     "(640 x 640) at canvas 1280, CRAFT's default."),
    ("real_dense", dict(n_words=2000, size=2560, font_size=22, seed=12, columns=2), 2560,
     "A real dense page: 2000 words of 22 px DejaVu Sans in two columns on a 2560 px page; "
     "CRAFT's maps (1280 x 1280, the workshop's map size) at canvas 2560, EasyOCR's default. "
     "The reference takes tens of seconds here."),
]:
    _render, _call = _real(**_kwargs)
    RECIPES[_name] = dict(render=_render, canvas=_canvas, call=_call, image=True, description=_description)

assert tuple(RECIPES) == SAMPLES, "tools/make_data.py and textpost.data.SAMPLES disagree"


# --------------------------------------------------------------------------- counting boxes

def count_boxes(textmap: np.ndarray, linkmap: np.ndarray, text_threshold: float = TEXT_THRESHOLD,
                link_threshold: float = LINK_THRESHOLD, low_text: float = LOW_TEXT) -> int:
    """How many boxes the reference returns: the components that pass its size and confidence filters.

    The reference makes exactly one box per such component, so this counts its boxes without
    its per-component full-image work (the tests check it against the reference).
    """
    _, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)
    _, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)
    comb = np.clip(text_score + link_score, 0, 1).astype(np.uint8)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(comb, connectivity=4)
    n = 0
    for k in range(1, n_labels):
        x, y, w, h, area = stats[k]
        if area < 10:
            continue
        crop = labels[y:y + h, x:x + w] == k
        if np.max(textmap[y:y + h, x:x + w][crop]) < np.float32(text_threshold):
            continue
        n += 1
    return n


# --------------------------------------------------------------------------- writing

def _r(v) -> float:
    return round(float(v), DECIMALS) + 0.0      # + 0.0 turns -0.0 into 0.0


def _quad(q) -> list:
    return [[_r(x), _r(y)] for x, y in np.asarray(q, dtype=np.float64).reshape(4, 2)]


def _dump_json(obj: dict) -> str:
    """JSON with sorted keys, one top-level key per line and one list element per line."""
    lines = []
    for key in sorted(obj):
        value = obj[key]
        head = json.dumps(key) + ": "
        if isinstance(value, list) and value and isinstance(value[0], (list, dict)):
            inner = ",\n".join(json.dumps(v, sort_keys=True, separators=(", ", ": ")) for v in value)
            lines.append(head + "[\n" + inner + "\n]")
        else:
            lines.append(head + json.dumps(value, sort_keys=True, separators=(", ", ": ")))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _write_png(path: Path, img: np.ndarray) -> None:
    ok, buf = cv2.imencode(".png", img, PNG_OPTIONS)
    if not ok:
        raise RuntimeError(f"could not encode {path}")
    path.write_bytes(buf.tobytes())


def real_maps(name: str, image: np.ndarray):
    """CRAFT's maps of a real sample's page, as stored (uint16), and the scale."""
    from textpost.detector import run_craft
    textmap, linkmap, scale = run_craft(image, canvas_size=RECIPES[name]["canvas"])
    return {"textmap": encode_map(textmap), "linkmap": encode_map(linkmap)}, scale


def write_real_sample(name: str, out: Path, reuse_maps: Path | None = None) -> dict:
    """A page drawn with a font, CRAFT's maps of it (or those in ``reuse_maps``), its ground truth."""
    from textpost import detector
    recipe = RECIPES[name]
    page = recipe["render"]()
    _write_png(out / f"{name}_page.png", page.image[:, :, 0])
    if reuse_maps is not None:
        stored = {}
        for kind in ("textmap", "linkmap"):
            src = Path(reuse_maps) / f"{name}_{kind}.png"
            (out / src.name).write_bytes(src.read_bytes())
            stored[kind] = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
        scale = page.image.shape[0] / stored["textmap"].shape[0]
    else:
        stored, scale = real_maps(name, page.image)
        for kind, img in stored.items():
            _write_png(out / f"{name}_{kind}.png", img)
    if scale != IMAGE_SCALE:
        raise RuntimeError(f"{name}: the map is 1/{scale} of the page, expected 1/{IMAGE_SCALE}")
    n_boxes = count_boxes(decode_map(stored["textmap"]), decode_map(stored["linkmap"]))
    words = page.words / IMAGE_SCALE
    height, width = stored["textmap"].shape
    char_h = np.median(np.linalg.norm(words[:, 3] - words[:, 0], axis=1))
    meta = {
        "char_height": _r(char_h),
        "name": name,
        "description": recipe["description"],
        "made_by": recipe["call"] + f" -> textpost.detector.run_craft(image, canvas_size={recipe['canvas']})",
        "seed": page.seed,
        "size": [height, width],
        "n_words": page.n_words,
        "n_boxes": n_boxes,
        "n_boxes_thresholds": {"text_threshold": TEXT_THRESHOLD, "link_threshold": LINK_THRESHOLD,
                               "low_text": LOW_TEXT},
        "map_format": "16-bit grey PNG, score = pixel / 65535 (CRAFT's output clipped to [0, 1])",
        "detector": {"weights": detector.WEIGHTS_FILE, "weights_md5": detector.WEIGHTS_MD5,
                     "canvas_size": recipe["canvas"], "runtime": "onnxruntime"},
        "render": page.info,
        "image_scale": IMAGE_SCALE,
        "words": [_quad(q) for q in words],
        "texts": list(page.texts),
    }
    (out / f"{name}.json").write_text(_dump_json(meta), encoding="utf-8")
    return meta


def write_sample(name: str, out: Path, reuse_maps: Path | None = None) -> dict:
    recipe = RECIPES[name]
    if name in REAL_SAMPLES:
        return write_real_sample(name, out, reuse_maps)
    made = recipe["make"]()
    page, items = made if isinstance(made, tuple) else (made, None)
    stored = {"textmap": encode_map(page.textmap), "linkmap": encode_map(page.linkmap)}
    for kind, img in stored.items():
        _write_png(out / f"{name}_{kind}.png", img)
    # count on the maps as they load (quantised), not on the float maps before storing
    n_boxes = count_boxes(decode_map(stored["textmap"]), decode_map(stored["linkmap"]))
    height, width = page.shape
    char_h = np.median(np.linalg.norm(page.words[:, 3] - page.words[:, 0], axis=1))
    meta = {
        "char_height": _r(char_h),
        "name": name,
        "description": recipe["description"],
        "made_by": recipe["call"],
        "seed": page.seed if items is None else None,
        "size": [height, width],
        "n_words": page.n_words,
        "n_boxes": n_boxes,
        "n_boxes_thresholds": {"text_threshold": TEXT_THRESHOLD, "link_threshold": LINK_THRESHOLD,
                               "low_text": LOW_TEXT},
        "map_format": "16-bit grey PNG, score = pixel / 65535",
        "words": [_quad(q) for q in page.words],
        "texts": list(page.texts),
    }
    if recipe["image"]:
        meta["image_scale"] = IMAGE_SCALE
        _write_png(out / f"{name}_page.png", render_page(page, scale=IMAGE_SCALE))
    if items is not None:
        meta["items"] = [dict(item, quad=_quad(item["quad"])) for item in items]
    (out / f"{name}.json").write_text(_dump_json(meta), encoding="utf-8")
    return meta


def write_check_cases(out: Path) -> dict:
    """data/checks.json and data/checks_textmap.png, data/checks_linkmap.png: the checker's cases side by side."""
    cases = make_check_cases()
    stored = {kind: encode_map(np.hstack([c[kind] for c in cases])) for kind in ("textmap", "linkmap")}
    for kind, img in stored.items():
        _write_png(out / f"checks_{kind}.png", img)
    height, width = CHECK_TILE
    listed = []
    for i, c in enumerate(cases):
        tile = slice(i * width, (i + 1) * width)
        text_threshold, link_threshold, low_text = c["thresholds"]
        textmap, linkmap = decode_map(stored["textmap"][:, tile]), decode_map(stored["linkmap"][:, tile])
        listed.append({"name": c["name"], "cause": c["cause"], "note": c["note"], "x": i * width,
                       "thresholds": c["thresholds"],
                       "n_boxes": count_boxes(textmap, linkmap, text_threshold, link_threshold, low_text)})
    meta = {
        "description": "The exercise checker's cases (textpost.check): small maps side by side, each telling "
                       "one plausible mistake from the right answer.",
        "made_by": "tools/make_data.py: make_check_cases()",
        "tile": [height, width],
        "thresholds_order": ["text_threshold", "link_threshold", "low_text"],
        "map_format": "16-bit grey PNG, score = pixel / 65535",
        "cases": listed,
    }
    (out / "checks.json").write_text(_dump_json(meta), encoding="utf-8")
    return meta


def _readme(metas: dict, checks: dict) -> str:
    rows = []
    for name, m in metas.items():
        h, w = m["size"]
        files = f"`{name}.json`, `{name}_textmap.png`, `{name}_linkmap.png`"
        if "image_scale" in m:
            files += f", `{name}_page.png`"
        rows.append(f"| `{name}` | {h} x {w} | {m['n_words']} | {m['n_boxes']} | "
                    f"{m['char_height']:.0f} | {files} |")
    details = []
    for name, m in metas.items():
        details.append(f"- `{name}`: {m['description']} Made by `{m['made_by']}`.")
    edge = metas.get("edge_cases")
    edge_lines = []
    if edge:
        for it in edge["items"]:
            what = it["text"] and f"`{it['text']}` " or ""
            edge_lines.append(f"  - {it['kind']}: {what}{it['note']} ({it['boxes']} box"
                              f"{'' if it['boxes'] == 1 else 'es'})")
    check_rows = [f"| `{c['name']}` | {c['note']} | {', '.join(f'{v:g}' for v in c['thresholds'])} | "
                  f"{c['n_boxes']} |" for c in checks["cases"]]
    with_image = " and ".join(f"`{n}`" for n, m in metas.items() if "image_scale" in m)
    return "\n".join([
        "# data/: ready samples",
        "",
        "Score maps as CRAFT (and EasyOCR) returns them, with the ground-truth words that made them.",
        "Load them with `textpost.data.load_sample(name)` or `textpost.data.load_samples()`.",
        "",
        "Every file here is written by `tools/make_data.py`: `make data` runs",
        "`python tools/make_data.py`. Edit the script, not these files, then run `make data`.",
        "",
        "- The synthetic samples (maps painted by `textpost.synth`) are rewritten byte for byte.",
        "- The real samples (`real_*`: pages drawn with matplotlib's DejaVu font by `textpost.render`,",
        "  maps made by CRAFT itself, `textpost.detector.run_craft`): the page images and the JSON",
        "  ground truth are rewritten byte for byte (with the pinned Pillow); the maps are a network's",
        "  float output, which can differ in the last bits across CPUs and thread counts, so they are",
        "  reproduced within a tolerance: at most 1e-4 from the stored maps, and the same boxes",
        "  (`tests/test_detector.py` reruns the network on `real_rotated`, and on `real_document`",
        "  outside quick mode). `n_boxes` is counted on the stored maps.",
        "- A test rebuilds everything into a temporary folder with",
        "  `python tools/make_data.py --out DIR --reuse-maps data` (the real maps copied, not",
        "  recomputed) and checks every byte. Recomputing `real_dense` (a 2560 px page) needs about",
        "  5 GB of memory and 0.5-3 minutes on 2 cores.",
        "",
        "| sample | map (h x w) | words | reference boxes | character height | files |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "*reference boxes*: the number of boxes `textpost.levels.reference.get_boxes` returns on the stored",
        "maps at its default thresholds (text 0.7, link 0.4, low text 0.4). It differs from the number",
        "of words: low-confidence words (peak score under 0.7, about 5% of the generated words) give",
        "no box, a word whose affinity between two letters is weak splits into two boxes, and on the",
        "edge-case map some blobs are there to be dropped or merged. *character height*: the median",
        "word height in map pixels (the page image is twice as large).",
        "",
        "## Samples",
        "",
        *details,
        "",
        "What the edge-case map holds (`items` in `edge_cases.json`, with the boxes each one gives):",
        "",
        *edge_lines,
        "",
        "## The checker's cases",
        "",
        "`checks.json`, `checks_textmap.png`, `checks_linkmap.png`: the small maps that",
        "`textpost.check.check_solution` runs before the samples above, each built to tell one plausible",
        "mistake from the right answer (`textpost.check.load_cases()` reads them). Each is a",
        f"{checks['tile'][0]} x {checks['tile'][1]} map; the PNG files hold them side by side, case i at",
        "columns `x` .. `x + 64` (`x` in `checks.json`). The function is called with the thresholds",
        "listed (text_threshold, link_threshold, low_text). The reference's boxes are stored in",
        "`tests/expected/checks/NAME.npy` (`tools/make_expected.py`). Made by",
        "`tools/make_data.py: make_check_cases()`.",
        "",
        "| case | what it holds | thresholds | reference boxes |",
        "|---|---|---|---|",
        *check_rows,
        "",
        "## Format",
        "",
        "- `NAME_textmap.png`, `NAME_linkmap.png`: the region and affinity score maps, 16-bit grey",
        "  PNG, pixel = round(score * 65535); `load_sample` returns float32 maps = pixel / 65535.",
        "- `NAME.json`: `description`, `size` [height, width], `words` (ground-truth quads: 4 corners",
        "  [x, y] in map pixels, clockwise from the word's top-left, rounded to 0.01), `texts`,",
        "  `n_words`, `n_boxes` (reference boxes, as above), `char_height` (median, map pixels),",
        "  `made_by` and `seed`; `edge_cases.json` also has `items`, every painted blob with its kind",
        "  and the number of boxes it gives.",
        f"- `NAME_page.png` ({with_image} only): the page image, 8-bit grey, `image_scale` = 2 times",
        "  the map size. For the synthetic samples it is drawn from the same layout",
        "  (`textpost.synth.render_page`), as the image CRAFT would have been given; for the real",
        "  samples it is the image CRAFT was given (as RGB: `cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)`).",
        "  `load_page_image(name)` reads it.",
        "- The real samples' JSON also has `detector` (weights, md5, canvas size, runtime) and",
        "  `render` (font, size, columns, angle, seed); their `words` are the ink boxes of the drawn",
        "  words, in map pixels (times `image_scale` = page pixels).",
        "",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data",
                        help="folder to write (default: data/ at the repository root)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    parser.add_argument("--reuse-maps", type=Path, default=None, metavar="DIR",
                        help="copy the real samples' CRAFT maps from DIR instead of running the network")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    metas = {}
    for name in SAMPLES:
        t0 = time.perf_counter()
        metas[name] = meta = write_sample(name, out, args.reuse_maps)
        if not args.quiet:
            print(f"{name:11s} {meta['size'][0]:4d} x {meta['size'][1]:<4d} {meta['n_words']:5d} words "
                  f"{meta['n_boxes']:5d} reference boxes  ({time.perf_counter() - t0:.1f} s)")
    checks = write_check_cases(out)
    if not args.quiet:
        print(f"checks      {len(checks['cases'])} small cases for the exercise checker")
    (out / "README.md").write_text(_readme(metas, checks), encoding="utf-8")
    if not args.quiet:
        total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
        print(f"wrote {out} ({total / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
