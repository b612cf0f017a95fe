"""The exercise checker: does your ``get_boxes`` return the reference's boxes?

Every exercise ends with one call::

    from textpost.check import check_solution
    check_solution(get_boxes_roi)

It runs your function on the ready samples of ``data/``, compares each result with
the reference's boxes stored beside them (``tests/expected/<sample>.npy``, written by
``tools/make_expected.py``) using :func:`textpost.compare.compare_boxes`, and prints
one line per sample: what differs, what usually causes that, and your time next to
the reference's (information only: it checks correctness, never speed).
It returns True only when every sample matches.  Errors raised by your function are
reported, not raised: a stub that still says ``raise NotImplementedError`` gets
"not implemented yet".
"""
from __future__ import annotations

import inspect
import time
import numpy as np

from . import config
from .compare import compare_boxes
from .data import load_sample
from .timing import format_seconds

#: the samples checked by default, fastest first (without the large document in quick mode)
SAMPLES: tuple[str, ...] = ("edge_cases", "sparse", "rotated") + (() if config.QUICK else ("document",))
EXPECTED = config.ROOT / "tests" / "expected"


def expected_boxes(name: str) -> np.ndarray:
    """The reference's boxes on sample ``name``, as stored (``tools/make_expected.py`` writes them)."""
    return np.load(EXPECTED / f"{name}.npy")


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


def _hint(c) -> str:
    """What usually causes a difference like ``c`` (a :class:`textpost.compare.Comparison`)."""
    if not c.same_count:
        return ("a different number of boxes: check the two filters (area >= 10 px; the label's best "
                "text score >= text_threshold) and that link-only pixels are left out of the mask")
    if c.unmatched or c.max_dist >= 20:
        return ("boxes far off: the points are still in the cropped region's coordinates; "
                "add the region's origin (x0, y0) back")
    if c.max_dist >= 0.75:
        return ("boxes about 1 px off: a region one pixel short; it runs from x - niter to "
                "x + w + niter + 1 (exclusive), likewise in y, clipped to the map")
    if not c.same_order:
        return "the boxes are right but out of order: keep label order 1 .. n-1"
    return "sub-pixel differences: float arithmetic differs from OpenCV's (float32, same order of operations)"


def _time(func, page) -> float:
    t0 = time.perf_counter()
    func(page.textmap, page.linkmap)
    return time.perf_counter() - t0


def check_solution(func, samples=None, tol: float = 0.0, timing: bool = True) -> bool:
    """Check that ``func(textmap, linkmap)`` returns the reference's boxes on each sample.

    samples  sample names (default :data:`SAMPLES`)
    tol      largest allowed corner distance in px: 0 for code that calls the same OpenCV
             functions as the reference, 0.5 for code that reimplements one
    timing   also time one more call of ``func`` and of the reference (information only)
    """
    if not callable(func):
        raise TypeError(f"check_solution expects your function (e.g. get_boxes_roi), got "
                        f"{type(func).__name__}; pass the function itself, without calling it")
    from .levels.reference import get_boxes as reference
    name = getattr(func, "__name__", type(func).__name__)
    samples = SAMPLES if samples is None else tuple(samples)
    print(f"Checking {name} against the reference on {len(samples)} sample(s), tolerance {tol:g} px:")
    failed = 0
    for sample in samples:
        page = load_sample(sample)
        status, got = _call(func, sample, page.textmap.copy(), page.linkmap.copy())
        if status == "stub":
            return False
        if status == "raised":
            failed += 1
            continue
        if got is None:
            print(f"  FAIL {sample}: returned None (is a `return boxes` missing?)")
            failed += 1
            continue
        try:
            c = compare_boxes(np.asarray(got), expected_boxes(sample), tol=tol)
        except ValueError as e:
            print(f"  FAIL {sample}: not a (K, 4, 2) array of boxes: {e}")
            failed += 1
            continue
        line = f"  {'OK  ' if c.ok else 'FAIL'} {sample}: {c}"
        if not c.ok:
            line += f"\n       usual cause: {_hint(c)}"
            failed += 1
        elif timing:
            line += (f"  [time {format_seconds(_time(func, page))}, "
                     f"reference {format_seconds(_time(reference, page))}, one call each]")
        print(line)
    print(f"All {len(samples)} samples match the reference." if not failed else
          f"{failed} of {len(samples)} samples differ.")
    return not failed


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


def check_runs(func) -> bool:
    """Exercise 07: does ``func(binary)`` return the runs of every row, as ``(row, x0, x1)``?

    ``binary`` is a uint8 0/1 image; ``x1`` is exclusive; the runs come in raster order.
    Checked on the binary unions of three samples and on rows that often go wrong (foreground
    at both ends, all zeros, all ones, single pixels, one row, one column).  Prints what differs
    and its usual cause; returns True when every case matches.
    """
    if not callable(func):
        raise TypeError("check_runs expects your function (row_runs), not its result")
    cases = _run_cases()
    print(f"Checking {getattr(func, '__name__', 'your function')} on {len(cases)} images:")
    failed = 0
    for name, image in cases.items():
        want = reference_row_runs(image)
        status, result = _call(func, name, image.copy())
        if status == "stub":
            return False
        if status == "raised":
            failed += 1
            continue
        got, problem = _as_runs(result)
        if got is None:
            print(f"  FAIL {name}: {problem}")
            failed += 1
            continue
        if all(np.array_equal(g, w) for g, w in zip(got, want)):
            print(f"  OK   {name}: {len(want[0])} run(s)")
            continue
        failed += 1
        first = next((i for i in range(min(len(got[0]), len(want[0])))
                      if any(g[i] != w[i] for g, w in zip(got, want))), min(len(got[0]), len(want[0])))
        yours = tuple(int(g[first]) for g in got) if first < len(got[0]) else "none"
        expected = tuple(int(w[first]) for w in want) if first < len(want[0]) else "none"
        print(f"  FAIL {name}: {len(got[0])} runs, expected {len(want[0])}; first difference at run {first}: "
              f"yours {yours}, expected (row, x0, x1) {expected}\n"
              f"       usual cause: {_runs_hint(got, want, image)}")
    print(f"All {len(cases)} images match." if not failed else f"{failed} of {len(cases)} images differ.")
    return not failed


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


def check_run_labels(func) -> bool:
    """Exercise 07, stretch goal: does ``func(binary)`` label like ``cv2.connectedComponents(binary, connectivity=4)``?

    ``func`` returns the int label image (0 = background, components numbered 1, 2, ... in
    OpenCV's order).  Checked label for label on small images that catch the usual mistakes and
    on the ``sparse`` sample.  Prints what differs; returns True when every image matches.
    """
    import cv2
    if not callable(func):
        raise TypeError("check_run_labels expects your function (run_labels), not its result")
    cases = _label_cases()
    print(f"Checking {getattr(func, '__name__', 'your function')} against cv2.connectedComponents "
          f"(4-connectivity) on {len(cases)} images:")
    failed = 0
    for name, image in cases.items():
        n, want = cv2.connectedComponents(image, connectivity=4)
        t0 = time.perf_counter()
        status, got = _call(func, name, image.copy())
        if status == "stub":
            return False
        if status == "raised":
            failed += 1
            continue
        seconds = time.perf_counter() - t0
        got = None if got is None else np.asarray(got)
        if got is None or got.shape != want.shape:
            print(f"  FAIL {name}: expected a label image of shape {want.shape}, got "
                  f"{'None' if got is None else got.shape}")
            failed += 1
            continue
        if np.array_equal(got, want):
            print(f"  OK   {name}: {n - 1} label(s)  [{format_seconds(seconds)}]")
            continue
        failed += 1
        # the same partition, numbered differently?
        pairs = set(zip(got.ravel().tolist(), want.ravel().tolist()))
        same_parts = len(pairs) == len({g for g, _ in pairs}) == len({w for _, w in pairs})
        if same_parts:
            hint = ("the right components, numbered in another order: OpenCV numbers them in raster order of "
                    "their first pixel. Keep the SMALLER run number as the root when you join two runs, then give "
                    "labels 1, 2, ... to the roots in run order")
        elif ((got == 0) & (want != 0)).any():
            hint = ("foreground pixels left at label 0: a run took its root's label before the root had one. "
                    "Keep the SMALLER run number as the root, so every root comes before its runs in the walk")
        elif ((got != 0) & (want == 0)).any():
            hint = "background pixels with a label: label 0 only where the image is 0"
        elif len(np.unique(got)) > n:
            hint = ("components split in two: join every pair of runs on neighbouring rows whose columns overlap "
                    "(a.x0 < b.x1 and b.x0 < a.x1), and follow each run to its root (find) before comparing")
        else:
            hint = ("components merged that should not be: under 4-connectivity runs that only touch at a "
                    "corner are not connected (x1 is exclusive: a.x0 < b.x1, not <=)")
        print(f"  FAIL {name}: {len(np.unique(got[got != 0]))} label(s), expected {n - 1}; "
              f"{int((got != want).sum())} pixels differ\n       usual cause: {hint}")
    print(f"All {len(cases)} images match." if not failed else f"{failed} of {len(cases)} images differ.")
    return not failed
