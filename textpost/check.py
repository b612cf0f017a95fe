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
of the exercise's own code (``exercise=`` picks the hint table; the tables and the diagnosis
are in :mod:`textpost.check_hints`, re-exported here).  It checks correctness only
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
from .check_hints import (EXERCISE_HINTS, HINTS, _diagnose, _labels_hint,  # noqa: F401 (re-exported)
                          _runs_hint, _unmatched, hints_for)
from .compare import compare_boxes
from .data import DATA_DIR, decode_map, load_sample

#: the samples checked after the small cases, fastest first (without the large document in quick mode)
SAMPLES: tuple[str, ...] = ("edge_cases", "sparse", "rotated") + (() if config.QUICK else ("document",))
EXPECTED = config.ROOT / "tests" / "expected"
CASES_FILE = DATA_DIR / "checks.json"


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
