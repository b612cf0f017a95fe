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
        try:
            got = func(page.textmap.copy(), page.linkmap.copy())
        except NotImplementedError:
            print("  not implemented yet: write your solution in the cell above, run it, then run this cell again")
            return False
        except Exception as e:                # the learner's code: report, never raise
            print(f"  FAIL {sample}: raised {type(e).__name__}: {e}")
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
