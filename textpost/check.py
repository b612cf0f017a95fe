"""The exercise checkers: does your function return what the reference returns?

Every exercise ends with one call, for example::

    from textpost.check import check_solution
    check_solution(my_get_boxes_roi, exercise="03")

``check_solution`` runs your ``get_boxes`` first on the small cases of ``data/checks.json``
(each a 64 x 64 map built to tell one plausible mistake from the right answer: a faint
component whose box holds a confident word, a diamond, blobs touching at a corner, an area
of exactly 10 px, scores exactly at a threshold, ...), then on the ready samples of ``data/``.
It compares each result with the reference's boxes stored in ``tests/expected/``
(``tools/make_expected.py`` writes them; the reference is never re-run here) and prints one
line per case, and for the first case that differs, what usually causes that, in the names
of the exercise's own code (``exercise=`` picks the hint table).  It checks correctness only
and times nothing: each exercise measures speed in its own cell, once the check passes.
Errors raised by your function are reported, not raised: a stub that still says
``raise NotImplementedError`` gets "not implemented yet".

``check_runs`` and ``check_run_labels`` (exercise 07) and ``check_hot_line`` (exercise 02) check
the other kinds of answer; all of them share one loop, :func:`_run_checks`.
"""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import config
from .compare import compare_boxes
from .data import DATA_DIR, decode_map, load_sample

#: the samples checked after the small cases, fastest first (without the large document in quick mode)
SAMPLES: tuple[str, ...] = ("edge_cases", "sparse", "rotated") + (() if config.QUICK else ("document",))
EXPECTED = config.ROOT / "tests" / "expected"
CASES_FILE = DATA_DIR / "checks.json"


# --------------------------------------------------------------------------- the hint tables

#: what usually causes each kind of difference, in the reference's names (``get_boxes`` of
#: textpost/levels/reference.py); each exercise overrides the entries its own code names differently
HINTS: dict[str, str] = {
    "dtype": "the contract is float32 boxes: end with .astype(np.float32)",
    "shape": "return the boxes as one (K, 4, 2) array: K boxes, 4 corners, (x, y)",
    "count": "a different number of boxes: check the two filters (area >= 10 px; the label's best text "
             "score >= text_threshold) and that link-only pixels are left out of the mask",
    "coordinates": "every box is shifted by the region's origin: the points are still in the cropped region's "
                   "coordinates; add the region's origin (sx, sy) back (x first)",
    "far": "boxes far from the reference's: check that the points are (x, y) in map coordinates",
    "shifted": "boxes of the right size, one pixel off: the grown mask sits one pixel away; the square's "
               "anchor is its centre (OpenCV's default: a pixel grows size // 2 down and right, the rest up and "
               "left), and the region's origin (sx, sy) is added once",
    "near": "the box is cut short at its top or left: the region must start niter pixels before the label's box "
            "(sx = x - niter, sy = y - niter, clipped at 0), or the dilation is cut off",
    "far_side": "the box is cut short at its bottom or right: the region must end at x + w + niter + 1 "
                "(exclusive), likewise in y, clipped to the map, or the dilation is cut off",
    "grow": "the grown mask differs: niter = int(sqrt(area * min(w, h) / (w * h)) * 2), the square is "
            "(1 + niter) x (1 + niter), and the region runs from x - niter to x + w + niter + 1",
    "corners": "the right corners in another order: keep boxPoints' cyclic order and start at the corner "
               "with the smallest x + y (np.roll(box, 4 - start, 0))",
    "rounding": "the same boxes up to float rounding (under 0.01 px): compute them as the reference does "
                "(cv2.minAreaRect and cv2.boxPoints in float32; the upright box only for nearly square ones)",
    "corners_rect": "a rotated box where the reference has an upright one: a nearly square box becomes the "
                    "points' upright bounding box (the diamond fix); otherwise keep cv2.boxPoints' corners",
    "order": "the right boxes out of order: keep label order 1 .. n-1, one box per label as the loop meets it",
    "diamond": "a nearly square box (its two sides within 10%) becomes the upright bounding box of the points "
               "(the diamond fix), corners (l, t), (r, t), (r, b), (l, b)",
    "diamond_bbox": "the diamond fix's box is off: l, r, t, b are the smallest and largest x and y of the points "
                    "themselves (inclusive: not x + w)",
    "diamond_wrong": "an upright box where the reference keeps the rotated one: the diamond fix applies only when "
                     "abs(1 - max(a, b) / (min(a, b) + 1e-5)) <= 0.1",
    "clip": "a word at the map's border: clip the region to the map, max(x - niter, 0) and "
            "min(x + w + niter + 1, img_w) (not img_w - 1), likewise in y",
    "confidence_pixels": "a faint component was kept: take the best text score over the label's own pixels "
                         "(textmap[labels == k]), not over its box or region, which can hold another word",
    "confidence_strict": "a label whose best score equals text_threshold is kept: skip it only when "
                         "best < text_threshold (in a one-pass filter: textmap >= text_threshold)",
    "edge_pixels": "a component whose confident pixels lie on the map's last row or column was dropped: the "
                   "best score looks at every pixel of the label, the last row and column included",
    "thresholds": "use the thresholds passed to the function (text_threshold, link_threshold, low_text), "
                  "never the defaults written as numbers",
    "link_only": "the box reaches over link-only pixels: remove the pixels that are link but not text "
                 "(link_score & ~text_score) from the mask before the dilation",
    "link_and_text": "the box is short where link and text overlap: remove only the pixels that are link "
                     "but NOT text; a pixel that is both stays in the mask",
    "area_10": "a component of exactly 10 px was dropped: skip only when area < 10",
    "area_pixels": "a component of 9 px was kept: the size filter uses the label's pixel count "
                   "(stats[k, cv2.CC_STAT_AREA]), not w * h",
    "connectivity": "blobs touching only at a corner were joined: label with connectivity=4",
    "strict": "pixels exactly at low_text or link_threshold joined two words: both thresholds are strict "
              "(textmap > low_text, linkmap > link_threshold)",
}

_NOT_YOURS = ("this is code you did not write: run the notebook's cells again from the top, in order, and "
              "check that only your part changed")

#: per exercise: the entries whose wording differs (the exercise's own names), or that the learner did not write
EXERCISE_HINTS: dict[str, dict[str, str]] = {
    "02": {  # the learner rewrites one line, `best = ...`
        **{key: _NOT_YOURS for key in HINTS if key not in ("dtype", "shape")},
        "count": "a different number of boxes: your line must give `best`, the largest textmap value over the "
                 "label's own pixels, e.g. inside its box, textmap[y:y + h, x:x + w][labels[y:y + h, x:x + w] == k]",
        "confidence_pixels": "a faint component was kept: `best` must be the maximum over the label's own pixels "
                             "(mask the box with labels[...] == k), not over its whole box",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: `best` must be the "
                             "largest value itself (.max()), compared as the given `if best < ...` does",
        "thresholds": _NOT_YOURS,
    },
    "03": {  # my_get_boxes_roi and get_boxes_my_fast: the region is sy:ey, sx:ex
        "coordinates": "every box is shifted by the region's origin: np.where on segmap gives coordinates in the "
                       "region; add the origin back, np_contours += (sx, sy) (x first)",
        "count": "a different number of boxes: the confidence filter (the label's own pixels, in_label, "
                 "best >= text_threshold), or the link-only pixels left in segmap",
        "near": _NOT_YOURS + " (the region sx, sy is given)",
        "far_side": _NOT_YOURS + " (the region ex, ey is given)",
        "clip": _NOT_YOURS + " (the region is given)",
        "grow": "the grown mask differs: dilate segmap, the whole region, with the (1 + niter) x (1 + niter) "
                "square of cv2.getStructuringElement",
        "shifted": "boxes of the right size, one pixel off: add the region's origin once (np_contours += (sx, sy)) "
                   "and keep cv2.dilate's default anchor",
        "confidence_pixels": "a faint component was kept: take the best score over the label's pixels in the "
                             "region, textmap[sy:ey, sx:ex][in_label], not over the whole region",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: skip it only when "
                             "best < text_threshold; in part 2, confident marks textmap >= text_threshold",
        "link_only": "the box reaches over link-only pixels: set segmap to 0 where link_only[sy:ey, sx:ex]",
        "link_and_text": "the box is short where link and text overlap: clear only link_only pixels "
                         "(link and not text) from segmap, not every link pixel",
        "corners": _NOT_YOURS, "order": _NOT_YOURS, "diamond": _NOT_YOURS, "diamond_bbox": _NOT_YOURS,
        "diamond_wrong": _NOT_YOURS, "area_10": _NOT_YOURS, "area_pixels": _NOT_YOURS,
        "connectivity": _NOT_YOURS, "strict": _NOT_YOURS,
    },
    "04": {  # my_label_max_scores: best[k] for every label; the rest is the package's numba level
        **{key: _NOT_YOURS + " (boxes_from_scores makes the boxes from your `best`)"
           for key in HINTS if key not in ("dtype", "shape")},
        "count": "a different number of boxes: best[k] must be the largest textmap value over label k's pixels; "
                 "visit every pixel (range(h), range(w)) and start every entry at -np.inf",
        "confidence_pixels": "a faint component was kept: best[k] must take only the pixels whose label is k",
        "edge_pixels": "a component whose confident pixels are on the map's last row or column was dropped: visit "
                       "every pixel, for y in range(h) and for x in range(w)",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: keep the largest value "
                             "itself in best[k] (textmap[y, x] > best[k] -> best[k] = textmap[y, x])",
    },
    "05": {  # dilate_square_cy: the rest is get_boxes_python
        **{key: _NOT_YOURS + " (only the dilation is yours)" for key in HINTS if key not in ("dtype", "shape")},
        "shifted": "boxes of the right size, one pixel off: your square grows the wrong way; a mask pixel reaches "
                   "`down` = size // 2 rows and columns down and right, `up` = size - 1 - down up and left",
        "grow": "the grown mask differs from cv2.dilate's: a mask pixel reaches `up` rows and columns up and left, "
                "`down` down and right (down = size // 2, up = size - 1 - down), clipped to the mask",
        "near": "the box is short at its top or left: your square reaches too little up or left (up = size - 1 - down)",
        "far_side": "the box is short at its bottom or right: your square reaches too little down or right "
                    "(down = size // 2; range(..., y + down + 1) includes row y + down)",
        "clip": "a word at the map's border: clip the square to the mask, max(y - up, 0) and min(y + down + 1, h)",
        "count": "a different number of boxes: your kernel must return 0/1 values (not 255) of the mask's shape",
    },
    "06": {  # find_boxes in C++: steps 3b-3e; the region sx, ex, sy, ey is given; box_from_points does 3e-3g
        "coordinates": "every box is shifted by the region's origin: findNonZero gives points in the mask's "
                       "coordinates; add cv::Point(sx, sy) to each",
        "count": "a different number of boxes: the confidence filter (cv::minMaxLoc over textmap(box) with the "
                 "mask labels(box) == k; skip when best < text_threshold) or the link-only pixels left in the mask",
        "near": "the box is cut short at its top or left: the mask is region-sized (ey - sy rows, ex - sx "
                "columns) and the label's box sits at (x - sx, y - sy) in it",
        "far_side": "the box is cut short at its bottom or right: the mask must be region-sized, "
                    "cv::Mat::zeros(ey - sy, ex - sx, CV_8U), not box-sized",
        "shifted": "boxes of the right size, one pixel off: add cv::Point(sx, sy) once, and keep cv::dilate's "
                   "default anchor (the square's centre)",
        "grow": "the grown mask differs: dilate the region-sized mask with "
                "cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1 + niter, 1 + niter)), and dilate an image "
                "of its own, not a view into a bigger one",
        "clip": "a word at the map's border: the mask is the region's size, ey - sy by ex - sx (the region is "
                "already clipped), and the label's box sits at (x - sx, y - sy)",
        "confidence_pixels": "a faint component was kept: pass the label's mask (labels(box) == k) to "
                             "cv::minMaxLoc, so that only the label's own pixels count",
        "confidence_strict": "a label whose best score equals text_threshold was dropped: skip only when "
                             "best < text_threshold",
        "link_only": "the box reaches over link-only pixels: set 255 only where in_label & ~link_only(box)",
        "link_and_text": "the box is short where link and text overlap: clear only link_only pixels, "
                         "not every link pixel",
        "corners": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "diamond": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "diamond_bbox": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "diamond_wrong": _NOT_YOURS + " (box_from_points does 3e-3g)",
        "area_10": _NOT_YOURS, "area_pixels": _NOT_YOURS, "connectivity": _NOT_YOURS, "strict": _NOT_YOURS,
    },
}


def hints_for(exercise: str | None) -> dict[str, str]:
    """The hint table of ``exercise`` ("02" .. "06"; None: the reference's names)."""
    if exercise is None:
        return dict(HINTS)
    if exercise not in EXERCISE_HINTS:
        raise ValueError(f"no hint table for exercise {exercise!r}; known: {', '.join(EXERCISE_HINTS)}")
    return {**HINTS, **EXERCISE_HINTS[exercise]}


# --------------------------------------------------------------------------- the cases and the stored answers

@dataclass(frozen=True)
class Case:
    """One small check case of ``data/checks.json``."""
    name: str
    cause: str            # the mistake it is built to catch (a key of HINTS)
    note: str
    thresholds: tuple     # (text_threshold, link_threshold, low_text)
    textmap: np.ndarray
    linkmap: np.ndarray


@lru_cache(maxsize=None)
def _cases() -> tuple[Case, ...]:
    if not CASES_FILE.is_file():
        raise FileNotFoundError(f"{CASES_FILE} not found: rebuild data/ with `make data`")
    import cv2
    meta = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    maps = {}
    for kind in ("textmap", "linkmap"):
        img = cv2.imread(str(DATA_DIR / f"checks_{kind}.png"), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise FileNotFoundError(f"data/checks_{kind}.png is missing or unreadable: rebuild data/ with `make data`")
        maps[kind] = decode_map(img)
    width = meta["tile"][1]

    def tile(kind, c):
        return maps[kind][:, c["x"]:c["x"] + width].copy()

    return tuple(Case(c["name"], c["cause"], c["note"], tuple(c["thresholds"]), tile("textmap", c), tile("linkmap", c))
                 for c in meta["cases"])


def load_cases() -> list[Case]:
    """The checker's small cases, in the order they are checked (basic first, then one per mistake)."""
    return list(_cases())


def expected_boxes(name: str) -> np.ndarray:
    """The reference's boxes on sample or check case ``name``, as stored (``tools/make_expected.py`` writes them)."""
    path = EXPECTED / f"{name}.npy"
    if not path.is_file():
        path = EXPECTED / "checks" / f"{name}.npy"
    if not path.is_file():
        raise FileNotFoundError(f"no stored boxes for {name!r} in {EXPECTED}: run tools/make_expected.py")
    return np.load(path)


# --------------------------------------------------------------------------- the one loop

def _call(func, name, *args):
    """Call the learner's function, never raising: ``("ok", result)``; ``("stub", None)`` for a stub that
    still raises NotImplementedError; ``("raised", None)`` for any other error (each said in one line)."""
    try:
        return "ok", func(*args)
    except NotImplementedError:
        print("  not implemented yet: write your solution in the cell above, run it, then run this cell again")
        return "stub", None
    except Exception as e:
        print(f"  FAIL {name}: raised {type(e).__name__}: {e}")
        return "raised", None


#: failed cases described in full; the later ones are only named (the first one is what to fix first)
SHOWN = 4


def _run_checks(func, what: str, cases, judge, note: str = "") -> tuple[bool, list]:
    """Call ``func(*args)`` on every ``(name, args, want)`` of ``cases`` and judge each result.

    ``judge(name, got, want, args)`` returns ``(ok, text, cause)``.  Prints one line per case and a
    summary; returns ``(passed, failures)`` with ``failures`` the ``(name, cause)`` of every failed case
    (cause None when the function raised or returned nothing usable).
    """
    cases = list(cases)
    print(f"Checking {getattr(func, '__name__', 'your function')} on {len(cases)} {what}{note}:")
    failures = []
    for name, args, want in cases:
        status, got = _call(func, name, *args)
        if status == "stub":
            return False, [(name, None)]
        if status == "raised":
            failures.append((name, None))
            if len(failures) == 3 and [n for n, _, _ in cases[:3]] == [n for n, _ in failures]:
                print("  (stopped: the first three cases raised; fix that error first)")
                break
            continue
        ok, text, cause = judge(name, got, want, args)
        if ok or len(failures) < SHOWN:
            print(f"  {'OK  ' if ok else 'FAIL'} {name}: {text}")
        else:
            print(f"  FAIL {name}")
        if not ok:
            failures.append((name, cause))
    print(f"All {len(cases)} {what} match." if not failures else f"{len(failures)} of {len(cases)} {what} differ.")
    return not failures, failures


# --------------------------------------------------------------------------- check_solution: boxes

def _n_boxes(n: int) -> str:
    return f"{n} box" if n == 1 else f"{n} boxes"


def _fmt_box(b) -> str:
    lo, hi = b.min(axis=0), b.max(axis=0)
    return f"({lo[0]:.0f}, {lo[1]:.0f})-({hi[0]:.0f}, {hi[1]:.0f})"


def _unmatched(got, want, radius: float = 8.0):
    """Indices of the boxes in ``got`` and in ``want`` that have no partner (centres within ``radius`` px)."""
    taken = np.zeros(len(want), bool)
    lonely = []
    cw = want.mean(axis=1) if len(want) else np.zeros((0, 2))
    for i, b in enumerate(got):
        d = np.abs(cw - b.mean(axis=0)).max(axis=1) if len(want) else np.zeros(0)
        d[taken] = np.inf
        if len(d) and d.min() <= radius:
            taken[int(d.argmin())] = True
        else:
            lonely.append(i)
    return lonely, [int(j) for j in np.flatnonzero(~taken)]


def _upright(b, eps: float = 1e-3) -> bool:
    return bool(np.all(np.abs(np.diff(np.vstack([b, b[:1]]), axis=0)).min(axis=1) <= eps))


def _diagnose(got, want, cause: str, tol: float) -> str:
    """The cause of a difference between boxes of the same count (a key of HINTS)."""
    c = compare_boxes(got, want, tol=tol)
    if c.unmatched == 0 and not c.same_order:
        return "order"
    d = np.sqrt(((got - want) ** 2).sum(axis=-1)).max(axis=-1)
    i = int(d.argmax())
    g, w = got[i], want[i]
    if d[i] < 0.01:
        return "rounding"
    if _upright(g) != _upright(w):
        if cause == "diamond":
            return "diamond"
        return "diamond_wrong" if _upright(g) else "corners_rect"
    shift = (g - w).mean(axis=0)
    if np.abs(g - w - shift).max() <= max(tol, 1e-3):        # the same box, moved
        return "coordinates" if np.abs(shift).max() >= 2 else "shifted"
    if np.allclose(np.sort(g, axis=0), np.sort(w, axis=0), atol=max(tol, 1e-3)):
        return "corners"
    if cause == "diamond":
        return "diamond_bbox"
    if cause in ("clip", "link_only", "link_and_text"):
        return cause
    if c.unmatched:
        return "far"
    (gx0, gy0), (gx1, gy1) = g.min(axis=0), g.max(axis=0)
    (wx0, wy0), (wx1, wy1) = w.min(axis=0), w.max(axis=0)
    near = gx0 > wx0 + tol or gy0 > wy0 + tol
    far = gx1 < wx1 - tol or gy1 < wy1 - tol
    grown = gx0 < wx0 - tol or gy0 < wy0 - tol or gx1 > wx1 + tol or gy1 > wy1 + tol
    if near and not far and not grown:
        return "near"
    if far and not near and not grown:
        return "far_side"
    return "grow"


def _judge_boxes(tol: float, causes: dict):
    def judge(name, got, want, args):
        if got is None:
            return False, "returned None (is a `return boxes` missing?)", "shape"
        arr = np.asarray(got)
        if arr.size and not (arr.ndim == 3 and arr.shape[1:] == (4, 2)):
            return False, f"returned shape {arr.shape}, expected (K, 4, 2)", "shape"
        if arr.dtype != np.float32:
            return False, f"your boxes are {arr.dtype}; the contract is float32", "dtype"
        arr = arr.reshape(-1, 4, 2)
        c = compare_boxes(arr, want, tol=tol)
        if c.ok:
            return True, _n_boxes(len(arr)) + ", " + ("identical" if c.identical else
                                                  f"max corner distance {c.max_dist:.2g} px"), None
        cause = causes.get(name, "count")
        if not c.same_count:
            extra, missing = _unmatched(arr, want)
            parts = [f"{_n_boxes(len(arr))}, expected {len(want)}"]
            if extra:
                parts.append("yours without a match: " + ", ".join(_fmt_box(arr[i]) for i in extra))
            if missing:
                parts.append("expected without a match: " + ", ".join(_fmt_box(want[j]) for j in missing))
            return False, "; ".join(parts), (cause if cause in HINTS else "count")
        cause = _diagnose(arr, want, cause, tol)
        i = int(np.sqrt(((arr - want) ** 2).sum(axis=-1)).max(axis=-1).argmax())    # as _diagnose picks it
        if cause == "order":
            return False, f"{_n_boxes(len(arr))}, the right ones in another order", cause
        return False, (f"{_n_boxes(len(arr))}; box {i} is {_fmt_box(arr[i])}, expected {_fmt_box(want[i])} "
                       f"(corners {np.round(arr[i], 1).tolist()}, expected {np.round(want[i], 1).tolist()})"), cause
    return judge


def _ok_before(todo, name, failures) -> bool:
    """Did some case before ``name`` pass (so that an error raised on ``name`` is about that case)?"""
    failed = {n for n, _ in failures}
    for n, _, _ in todo:
        if n == name:
            return False
        if n not in failed:
            return True
    return False


def check_solution(func, samples=None, tol: float = 0.0, exercise: str | None = None, cases: bool = True) -> bool:
    """Check that ``func(textmap, linkmap, text_threshold, link_threshold, low_text)`` returns the reference's boxes.

    First on the small cases of ``data/checks.json`` (each tells one mistake from the right answer),
    then on the samples (default :data:`SAMPLES`), against the stored boxes.  Prints one line per case
    and, for the first case that differs, its usual cause in the exercise's names.

    samples   sample names (default :data:`SAMPLES`)
    tol       largest allowed corner distance in px: 0 for code that calls the same OpenCV
              functions as the reference, 0.5 for code that reimplements one
    exercise  "02" .. "06": the hint table in that exercise's names (None: the reference's names)
    cases     False to skip the small cases (only the samples)
    Returns True only when everything matches.  Times nothing.
    """
    if not callable(func):
        raise TypeError(f"check_solution expects your function (e.g. get_boxes_roi), got "
                        f"{type(func).__name__}; pass the function itself, without calling it")
    hints = hints_for(exercise)
    samples = SAMPLES if samples is None else tuple(samples)
    todo, causes = [], {}
    for case in (_cases() if cases else ()):
        todo.append((case.name, (case.textmap.copy(), case.linkmap.copy(), *case.thresholds),
                     expected_boxes(case.name)))
        causes[case.name] = case.cause
    for name in samples:
        page = load_sample(name)
        todo.append((name, (page.textmap.copy(), page.linkmap.copy()), expected_boxes(name)))
    ok, failures = _run_checks(func, "cases", todo, _judge_boxes(tol, causes),
                               f" against the reference's boxes, tolerance {tol:g} px")
    first_name, first = failures[0] if failures else (None, None)
    if first is None and first_name in causes and _ok_before(todo, first_name, failures):
        first = causes[first_name]           # raised on the case built for one mistake, after others passed
    if first in hints:
        print("Usual cause of the first difference: " + hints[first])
    return ok


def check_hot_line(func, answer) -> bool:
    """Is ``answer`` the line of ``func`` that takes the most time?

    ``answer`` is the line number as the line profiler shows it, or text that occurs in exactly
    one line of ``func`` (so ``"="`` or ``"k"`` do not count).  The function is profiled here, on
    a page of the workshop's size, so the verdict does not depend on the learner's own profile.
    """
    from line_profiler import LineProfiler

    from .profiling import line_shares, top_lines
    from .synth import make_page

    page = make_page(config.WORKSHOP_WORDS, config.SIZE, seed=7)
    lp = LineProfiler(func)
    lp.runcall(func, page.textmap, page.linkmap)
    shares = line_shares(lp, func)
    hot = top_lines(shares, 1)[0]
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
        chosen = int(answer)
    elif isinstance(answer, str) and answer.strip():
        lines, first = inspect.getsourcelines(func)
        matches = [first + i for i, line in enumerate(lines) if answer.strip() in line]
        if len(matches) != 1:
            print(f"{answer!r} occurs in {len(matches)} lines of {func.__name__}: give text that matches "
                  f"exactly one line, or its number from the 'Line #' column.")
            return False
        chosen = matches[0]
    else:
        print(f"Set your answer to a line number (int) or the line's code (str), got {answer!r}.")
        return False
    if chosen == hot.lineno:
        print(f"Right: line {hot.lineno}, `{hot.source}`, takes {100 * hot.share:.0f}% of the time.")
        return True
    print(f"Not this one: line {chosen} is not the hottest line. Look at the '% Time' column of "
          f"the profile and give the line number from the 'Line #' column.")
    return False


# --------------------------------------------------------------------------- exercise 07: runs and their labels

def reference_row_runs(binary):
    """The runs of each row of a 0/1 image: three int arrays ``(row, x0, x1)``, ``x1`` exclusive, in raster order."""
    b = np.asarray(binary) != 0
    padded = np.zeros((b.shape[0], b.shape[1] + 2), np.int8)
    padded[:, 1:-1] = b
    step = np.diff(padded, axis=1)
    row, x0 = np.nonzero(step == 1)
    _, x1 = np.nonzero(step == -1)
    return row, x0, x1


def _run_cases(samples=("edge_cases", "sparse", "rotated")) -> dict:
    """The images exercise 07 checks: the binary unions of samples, and rows that often go wrong."""
    from .data import load_sample
    from .timing import binary_union
    cases = {f"sample {name}": binary_union(s.textmap, s.linkmap)
             for name, s in ((n, load_sample(n)) for n in samples)}
    u8 = lambda rows: np.array(rows, np.uint8)   # noqa: E731
    cases.update({
        "foreground at both ends of a row": u8([[1, 1, 0, 0, 1], [1, 0, 0, 0, 1]]),
        "all zeros": np.zeros((3, 5), np.uint8),
        "all ones": np.ones((3, 5), np.uint8),
        "single pixels": u8([[1, 0, 1, 0, 1], [0, 1, 0, 1, 0]]),
        "a run that ends a row and one that starts the next": u8([[0, 0, 1, 1], [1, 1, 0, 0]]),
        "one pixel": np.ones((1, 1), np.uint8),
        "one row": u8([[0, 1, 1, 1, 0, 0, 1]]),
        "one column": u8([[1], [1], [0], [1]]),
    })
    return cases


def _as_runs(result):
    """The learner's result as three 1-D int arrays, or a message saying what is wrong with it."""
    if result is None:
        return None, "returned None (is a `return row, x0, x1` missing?)"
    try:
        parts = [np.asarray(a) for a in result]
    except TypeError:
        return None, f"returned {type(result).__name__}; return three arrays: row, x0, x1"
    if len(parts) != 3 or any(p.ndim != 1 for p in parts) or len({len(p) for p in parts}) != 1:
        return None, ("return three 1-D arrays of the same length: row, x0, x1 (when the starts and ends do not pair "
                      "up: np.diff of a uint8 row wraps around, 0 - 1 is 255; take it on a signed type, e.g. np.int8)")
    if any(p.size and not np.issubdtype(p.dtype, np.integer) for p in parts):
        return None, "the arrays must hold integers (np.nonzero gives them)"
    return parts, ""


def _runs_hint(got, want, image) -> str:
    """What usually causes a difference between the learner's runs and the reference's."""
    (gr, g0, g1), (wr, w0, w1) = got, want
    if len(gr) == len(wr):
        if np.array_equal(gr, wr) and np.array_equal(g0, w0):
            if np.array_equal(g1, w1 - 1):
                return "x1 is one short: x1 is exclusive, one past the run's last pixel (row[x0:x1] is the run)"
            return "the ends differ: take x1 where the padded row steps from 1 to 0 (np.diff == -1)"
        if np.array_equal(np.sort(gr * 10**6 + g0), np.sort(wr * 10**6 + w0)):
            return "the right runs in the wrong order: keep raster order (row by row, left to right; np.nonzero does)"
        if np.array_equal(g0, w0 - 1) or np.array_equal(g0, w0 + 1):
            return "x0 off by one: with one zero of padding on the left, the index from np.diff is already x0"
    if len(gr) < len(wr) and image.size and (image[:, 0].any() or image[:, -1].any()):
        return ("runs missing at the edges of the rows: pad every row with a zero on both sides before np.diff, "
                "so that a run touching a border still starts and ends")
    if len(gr) < len(wr):
        return "runs missing: a run starts where the padded row goes 0 -> 1 and ends where it goes 1 -> 0"
    return ("runs that are not there: take np.diff along each row (axis=1), never on the flattened image, "
            "so that no run crosses from one row to the next")


def _judge_runs(name, result, want, args):
    got, problem = _as_runs(result)
    if got is None:
        return False, problem, None
    if all(np.array_equal(g, w) for g, w in zip(got, want)):
        return True, f"{len(want[0])} run(s)", None
    first = next((i for i in range(min(len(got[0]), len(want[0])))
                  if any(g[i] != w[i] for g, w in zip(got, want))), min(len(got[0]), len(want[0])))
    yours = tuple(int(g[first]) for g in got) if first < len(got[0]) else "none"
    expected = tuple(int(w[first]) for w in want) if first < len(want[0]) else "none"
    return False, (f"{len(got[0])} runs, expected {len(want[0])}; first difference at run {first}: "
                   f"yours {yours}, expected (row, x0, x1) {expected}\n"
                   f"       usual cause: {_runs_hint(got, want, args[0])}"), None


def check_runs(func) -> bool:
    """Exercise 07: does ``func(binary)`` return the runs of every row, as ``(row, x0, x1)``?

    ``binary`` is a uint8 0/1 image; ``x1`` is exclusive; the runs come in raster order.
    Checked on the binary unions of three samples and on rows that often go wrong (foreground
    at both ends, all zeros, all ones, single pixels, one row, one column).  Prints what differs
    and its usual cause; returns True when every case matches.
    """
    if not callable(func):
        raise TypeError("check_runs expects your function (row_runs), not its result")
    cases = [(name, (image.copy(),), reference_row_runs(image)) for name, image in _run_cases().items()]
    return _run_checks(func, "images", cases, _judge_runs)[0]


def _label_cases() -> dict:
    """Images whose labels are easy to get wrong, and the sample the stretch goal names."""
    from .data import load_sample
    from .timing import binary_union
    s = load_sample("sparse")
    u8 = lambda rows: np.array(rows, np.uint8)   # noqa: E731
    return {
        "a U: two runs that meet later": u8([[1, 0, 1], [1, 0, 1], [1, 1, 1]]),
        "a component that starts first but whose runs meet last": u8([[1, 1, 0, 1, 1, 0, 0],
                                                                      [1, 1, 0, 1, 1, 0, 1],
                                                                      [1, 1, 1, 1, 1, 0, 1]]),
        "diagonal neighbours (not 4-connected)": u8([[1, 0, 1], [0, 1, 0], [1, 0, 1]]),
        "a spiral": u8([[1, 1, 1, 1, 1], [0, 0, 0, 0, 1], [1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]]),
        "all zeros": np.zeros((3, 4), np.uint8),
        "all ones": np.ones((3, 4), np.uint8),
        "sample sparse": binary_union(s.textmap, s.linkmap),
    }


def _labels_hint(got, want, n) -> str:
    """What usually causes a label image that differs from OpenCV's."""
    pairs = set(zip(got.ravel().tolist(), want.ravel().tolist()))
    if len(pairs) == len({g for g, _ in pairs}) == len({w for _, w in pairs}):
        return ("the right components, numbered in another order: OpenCV numbers them in raster order of "
                "their first pixel. Keep the SMALLER run number as the root when you join two runs, then give "
                "labels 1, 2, ... to the roots in run order")
    if ((got == 0) & (want != 0)).any():
        return ("foreground pixels left at label 0: a run took its root's label before the root had one. "
                "Keep the SMALLER run number as the root, so every root comes before its runs in the walk")
    if ((got != 0) & (want == 0)).any():
        return "background pixels with a label: label 0 only where the image is 0"
    if len(np.unique(got)) > n:
        return ("components split in two: join every pair of runs on neighbouring rows whose columns overlap "
                "(a.x0 < b.x1 and b.x0 < a.x1), and follow each run to its root (find) before comparing")
    return ("components merged that should not be: under 4-connectivity runs that only touch at a "
            "corner are not connected (x1 is exclusive: a.x0 < b.x1, not <=)")


def _judge_labels(name, got, want, args):
    n = int(want.max()) + 1
    got = None if got is None else np.asarray(got)
    if got is None or got.shape != want.shape:
        return False, (f"expected a label image of shape {want.shape}, got "
                       f"{'None' if got is None else got.shape}"), None
    if np.array_equal(got, want):
        return True, f"{n - 1} label(s)", None
    return False, (f"{len(np.unique(got[got != 0]))} label(s), expected {n - 1}; "
                   f"{int((got != want).sum())} pixels differ\n"
                   f"       usual cause: {_labels_hint(got, want, n)}"), None


def check_run_labels(func) -> bool:
    """Exercise 07, stretch goal: does ``func(binary)`` label like ``cv2.connectedComponents(binary, connectivity=4)``?

    ``func`` returns the int label image (0 = background, components numbered 1, 2, ... in
    OpenCV's order).  Checked label for label on small images that catch the usual mistakes and
    on the ``sparse`` sample.  Prints what differs; returns True when every image matches.
    """
    import cv2
    if not callable(func):
        raise TypeError("check_run_labels expects your function (run_labels), not its result")
    cases = [(name, (image.copy(),), cv2.connectedComponents(image, connectivity=4)[1])
             for name, image in _label_cases().items()]
    return _run_checks(func, "images", cases, _judge_labels, " against cv2.connectedComponents (4-connectivity)")[0]
