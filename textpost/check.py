"""The exercise checker: does your ``get_boxes`` return the reference's boxes?

Every exercise ends with one call::

    from textpost.check import check_solution
    check_solution(get_boxes_roi)

It runs your function on the ready samples, compares each result with the
reference's boxes (:func:`textpost.compare.compare_boxes`), prints one line
per sample (what differs, and your time next to the reference's, for
information only) and a verdict line.  It checks correctness, never speed.
The returned :class:`CheckResult` is truthy only when every sample matches.

Errors raised by your function are reported, not raised: a stub that still
says ``raise NotImplementedError`` gets "not implemented yet".
"""
from __future__ import annotations

import functools
import hashlib
import statistics
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from . import config
from .compare import Comparison, compare_boxes

#: the samples checked by default, fastest first
DEFAULT_SAMPLES: tuple[str, ...] = ("edge_cases", "sparse", "rotated", "document")
#: the samples checked in quick mode (TEXTPOST_QUICK=1): without the slow ones
QUICK_SAMPLES: tuple[str, ...] = ("edge_cases", "sparse", "rotated")

#: time spent timing one function on one sample, at most (seconds, after the checked call)
TIME_BUDGET: float = 1.0

NOT_IMPLEMENTED = "not implemented yet: write your solution in the cell above"


# --------------------------------------------------------------------------- samples

class _Maps:
    """A pair of score maps, hashable by content (so reference results can be cached)."""

    __slots__ = ("textmap", "linkmap", "_key")

    def __init__(self, textmap, linkmap):
        self.textmap = np.ascontiguousarray(textmap)
        self.linkmap = np.ascontiguousarray(linkmap)
        h = hashlib.sha1()
        for a in (self.textmap, self.linkmap):
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        self._key = h.hexdigest()

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Maps) and other._key == self._key


@functools.lru_cache(maxsize=None)
def _load_named(name: str) -> _Maps:
    try:
        from . import data
    except ImportError as e:                       # pragma: no cover - only while data.py is missing
        raise RuntimeError("textpost.data is not available; pass samples={name: (textmap, linkmap)}") from e
    page = data.load_sample(name)
    return _Maps(page.textmap, page.linkmap)


def _as_maps(name, value) -> _Maps:
    if isinstance(value, _Maps):
        return value
    if hasattr(value, "textmap") and hasattr(value, "linkmap"):
        return _Maps(value.textmap, value.linkmap)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return _Maps(*value)
    raise TypeError(f"sample {name!r}: expected a sample name, a page with .textmap and .linkmap, "
                    f"or a (textmap, linkmap) pair; got {type(value).__name__}")


def default_samples() -> tuple[str, ...]:
    """The sample names checked when none are given (fewer in quick mode)."""
    return QUICK_SAMPLES if config.QUICK else DEFAULT_SAMPLES


def _resolve_samples(samples) -> list[tuple[str, object]]:
    """A list of (name, source) where source is a sample name or maps."""
    if samples is None:
        samples = default_samples()
    if isinstance(samples, str) or hasattr(samples, "textmap"):
        samples = [samples]
    if isinstance(samples, dict):
        return [(str(name), value) for name, value in samples.items()]
    out = []
    for i, s in enumerate(samples):
        if isinstance(s, str):
            out.append((s, s))
        else:
            out.append((getattr(s, "name", None) or f"sample {i + 1}", s))
    return out


def _maps(name, source) -> _Maps:
    return _load_named(source) if isinstance(source, str) else _as_maps(name, source)


# --------------------------------------------------------------------------- the reference, cached

@functools.lru_cache(maxsize=32)
def _reference(maps: _Maps) -> tuple[np.ndarray, tuple]:
    """The reference's boxes on ``maps`` and the times of its calls (computed once per process).

    The reference is called up to ``config.REPEAT`` times, but stops after about
    :data:`TIME_BUDGET` seconds: on the large samples one call is all it gets.
    """
    from .levels.reference import get_boxes
    times = []
    while True:
        textmap, linkmap = maps.textmap.copy(), maps.linkmap.copy()
        t0 = time.perf_counter()
        boxes = get_boxes(textmap, linkmap)
        times.append(time.perf_counter() - t0)
        if len(times) >= max(config.REPEAT, 1) or sum(times) >= TIME_BUDGET:
            break
    boxes.setflags(write=False)
    return boxes, tuple(times)


def reference_boxes(sample) -> np.ndarray:
    """The reference's boxes for a sample name, a page, or a (textmap, linkmap) pair (cached, read-only)."""
    name = sample if isinstance(sample, str) else "sample"
    return _reference(_maps(name, sample))[0]


# --------------------------------------------------------------------------- results

@dataclass
class SampleResult:
    """What happened on one sample."""
    name: str
    ok: bool
    comparison: Comparison | None = None
    error: str | None = None           # the learner's exception, or a wrong return value
    not_implemented: bool = False
    times: list = field(default_factory=list)       # seconds per timed call of the learner's function
    reference_times: list = field(default_factory=list)
    note: str | None = None

    @property
    def time(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def reference_time(self) -> float | None:
        return statistics.median(self.reference_times) if self.reference_times else None

    @property
    def message(self) -> str:
        if self.error is not None:
            return self.error
        return str(self.comparison)


@dataclass
class CheckResult:
    """The checker's verdict; truthy only when every sample matches the reference."""
    function: str
    samples: list
    tol: float = 0.0
    printed: bool = False        # the report was printed already (verbose=True)

    @property
    def ok(self) -> bool:
        return bool(self.samples) and all(s.ok for s in self.samples)

    @property
    def failed(self) -> list:
        return [s for s in self.samples if not s.ok]

    def __bool__(self) -> bool:
        return self.ok

    @property
    def verdict(self) -> str:
        n = len(self.samples)
        if not self.samples:
            return "No samples were checked."
        if self.ok:
            return f"All {n} samples match the reference." if n > 1 else "The sample matches the reference."
        if any(s.not_implemented for s in self.samples):
            return "Not implemented yet: write your solution in the cell above, run it, then run this cell again."
        names = ", ".join(s.name for s in self.failed)
        return f"{len(self.failed)} of {n} samples differ: {names}."

    def __repr__(self) -> str:
        return f"<CheckResult {self.function}: {'OK' if self.ok else 'FAILED'} - {self.verdict}>"

    def _ipython_display_(self):
        # as the last line of a cell: the report is already printed, so show nothing more
        if not self.printed:
            print(self.verdict)


# --------------------------------------------------------------------------- the checker

def _fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def _timing(r: SampleResult) -> str:
    t, ref = r.time, r.reference_time
    if t is None:
        return ""
    s = f"time {_fmt_time(t)}, reference {_fmt_time(ref)}"
    if ref and t > 0:
        ratio = ref / t
        if 0.9 <= ratio <= 1.1:
            s += " (about the same)"
        else:
            s += f" ({ratio:.3g}x faster)" if ratio > 1 else f" ({1 / ratio:.3g}x slower)"
    return s


def _describe_exception(e: BaseException, with_code: bool = True) -> str:
    """``ExcType: message (in func, line N: code)``, with no file paths."""
    text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    frames = traceback.extract_tb(e.__traceback__)
    here = __file__.rstrip("c")
    frames = [f for f in frames if f.filename.rstrip("c") != here]
    if frames:
        f = frames[-1]
        where = f"in {f.name}, line {f.lineno}"
        if with_code and f.line:
            where += f": {f.line.strip()}"
        text += f" ({where})"
    return text


def _is_not_implemented(e: BaseException) -> bool:
    # a compiled level's stub may turn C++'s std::runtime_error("not implemented yet: ...") into RuntimeError
    return isinstance(e, NotImplementedError) or str(e).lower().startswith("not implemented")


def _kind(func) -> str:
    t = type(func)
    module = getattr(t, "__module__", "") or ""
    name = t.__name__
    if name == "function":
        return "Python function"
    if "cython" in name.lower() or "cython" in module.lower():
        return "Cython function"
    if module.startswith("numba"):
        return "numba function"
    if name == "builtin_function_or_method":
        return "compiled function"
    return name


def _run_one(func, name: str, maps: _Maps, tol: float, repeat) -> SampleResult:
    ref_boxes, ref_times = _reference(maps)
    result = SampleResult(name, ok=False, reference_times=list(ref_times))
    t0 = time.perf_counter()
    try:
        got = func(maps.textmap.copy(), maps.linkmap.copy())
    except Exception as e:               # the learner's code: report, never raise
        result.not_implemented = _is_not_implemented(e)
        if result.not_implemented:
            result.error = f"{NOT_IMPLEMENTED} [{_describe_exception(e, with_code=False)}]"
        else:
            result.error = f"raised {_describe_exception(e)}"
        return result
    first = time.perf_counter() - t0

    if got is None:
        result.error = "returned None (is a `return boxes` missing?)"
        return result
    try:
        arr = np.asarray(got)
        result.comparison = compare_boxes(arr, ref_boxes, tol=tol)
    except Exception as e:
        shape = getattr(got, "shape", None)
        what = type(got).__name__ + (f" of shape {shape}" if shape is not None else "")
        result.error = f"returned a {what}, not a (K, 4, 2) array of boxes: {e}"
        return result
    result.ok = result.comparison.ok
    if arr.dtype != np.float32 and arr.size:
        result.note = f"note: returned {arr.dtype}, the contract is float32"

    # timing: information only; the first call may include compilation, so it is not counted
    if repeat == 0:
        return result
    n_max = config.REPEAT if repeat is None else int(repeat)
    if repeat is None and first >= TIME_BUDGET:
        result.times = [first]              # slow anyway: compilation hardly matters, save the time
        return result
    spent = 0.0
    try:
        while len(result.times) < n_max:
            textmap, linkmap = maps.textmap.copy(), maps.linkmap.copy()
            t0 = time.perf_counter()
            func(textmap, linkmap)
            dt = time.perf_counter() - t0
            result.times.append(dt)
            spent += dt
            if repeat is None and spent >= TIME_BUDGET:
                break
    except Exception as e:                  # it worked once; report a later failure, keep the verdict
        result.note = f"note: a repeated call raised {_describe_exception(e)}"
    return result


def check_solution(func, samples=None, tol: float = 0.0, repeat: int | None = None,
                   verbose: bool = True) -> CheckResult:
    """Check that ``func`` (a ``get_boxes``-like function) returns the reference's boxes.

    func     called as ``func(textmap, linkmap)`` (default thresholds); returns (K, 4, 2) boxes
    samples  sample names (default: edge_cases, sparse, rotated, document; without
             document in quick mode), or a dict name -> page / (textmap, linkmap), or pages
    tol      the largest allowed corner distance in pixels: 0 for levels that call the same
             OpenCV functions as the reference, 0.5 for levels that reimplement one
    repeat   timed calls per sample (median shown; default: a few, within about a second;
             0: no timing).  Times are information only, never part of the verdict.
    verbose  print the report (default); the result object holds the same information

    Returns a :class:`CheckResult`, truthy only when every sample matches.
    """
    if not callable(func):
        raise TypeError(f"check_solution expects your function (e.g. get_boxes_roi), "
                        f"got {type(func).__name__}; pass the function itself, without calling it")
    name = getattr(func, "__name__", None) or type(func).__name__
    resolved = _resolve_samples(samples)
    out = CheckResult(name, [], tol)
    say = print if verbose else (lambda *a, **k: None)
    say(f"Checking {name} ({_kind(func)}) against the reference on {len(resolved)} "
        f"sample{'s' if len(resolved) != 1 else ''} (tolerance {tol:g} px):")
    width = max([len(n) for n, _ in resolved] + [6])
    for sample_name, source in resolved:
        maps = _maps(sample_name, source)
        r = _run_one(func, sample_name, maps, tol, repeat)
        out.samples.append(r)
        status = "OK  " if r.ok else "FAIL"
        line = f"  {status} {sample_name:<{width}}  {r.message}"
        timing = _timing(r)
        if timing:
            line += f"  [{timing}]"
        if r.note:
            line += f"  ({r.note})"
        say(line)
        if r.not_implemented:
            break                 # the same on every sample: say it once
    say(out.verdict)
    out.printed = verbose
    return out


def check_hot_line(func, answer, textmap=None, linkmap=None) -> bool:
    """Check a profiling answer: is ``answer`` the line of ``func`` that takes the most time?

    ``answer`` is the line number as the line profiler shows it, or (part of) the line's code.
    The function is profiled here on a generated page of the workshop's size, so the
    verdict does not depend on the learner's own profile.  Prints the verdict, returns a bool.
    """
    from .profiling import line_shares, top_lines
    from .synth import make_page
    from line_profiler import LineProfiler

    if textmap is None or linkmap is None:
        page = make_page(config.WORKSHOP_WORDS, config.SIZE, seed=7)
        textmap, linkmap = page.textmap, page.linkmap
    lp = LineProfiler(func)
    lp.runcall(func, textmap, linkmap)
    hot = top_lines(line_shares(lp, func), 1)[0]
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
        ok = int(answer) == hot.lineno
    elif isinstance(answer, str) and answer.strip():
        ok = answer.strip() in hot.source
    else:
        print(f"Set your answer to a line number (int) or the line's code (str), got {answer!r}.")
        return False
    if ok:
        print(f"Right: line {hot.lineno}, `{hot.source}`, takes {100 * hot.share:.0f}% of the time.")
    else:
        print(f"Not this one: {answer!r} is not the hottest line. Look at the '% Time' column of "
              f"the profile and give the line number from the 'Line #' column.")
    return ok


__all__ = ["check_solution", "check_hot_line", "CheckResult", "SampleResult", "reference_boxes",
           "DEFAULT_SAMPLES", "QUICK_SAMPLES", "default_samples"]
