"""Timing helpers: one way to time a call, the floor, the spread, and thread pinning.

The metric of the workshop is the median wall time of one ``get_boxes`` call.
``time_call`` calls the function once first (so compile time of numba/Cython
or a first-use build is never counted), then ``repeat`` times, and reports
min/median/max.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import config


@dataclass
class Timing:
    """Wall times (seconds) of repeated calls, with their spread.

    The spread is min..max over the repeats.  Two timings are ranked only when their
    spreads do not overlap (:func:`compare`); otherwise they tie.
    """
    times: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)

    @property
    def runs(self) -> int:
        return len(self.times)

    @property
    def spread(self) -> str:
        """``'12.1-13.4 ms'``: min..max in one unit."""
        return format_range(self.min, self.max)

    def __str__(self) -> str:
        return f"{format_seconds(self.median)} (spread {self.spread}, {self.runs} runs)"


def _unit(s: float) -> tuple[float, str]:
    return (1, "s") if s >= 1 else (1e3, "ms") if s >= 1e-3 else (1e6, "µs")


def format_seconds(s: float) -> str:
    """1.23 s, 45.6 ms, 789 µs: the unit a reader expects.  The one time formatter of the package."""
    scale, unit = _unit(s)
    v = s * scale
    return f"{v:.2f} {unit}" if unit == "s" else f"{v:.1f} {unit}" if v < 100 else f"{v:.0f} {unit}"


def format_range(lo: float, hi: float) -> str:
    """``'12.1-13.4 ms'``: two times in the unit of the larger one."""
    scale, unit = _unit(hi)
    digits = 2 if unit == "s" else 1 if hi * scale < 100 else 0
    return f"{lo * scale:.{digits}f}-{hi * scale:.{digits}f} {unit}"


def time_call(fn, *args, repeat: int | None = None, warmup: int = 1, max_seconds: float | None = None,
              **kwargs) -> Timing:
    """Time ``fn(*args, **kwargs)``: ``warmup`` untimed calls, then ``repeat`` timed ones.

    ``repeat`` defaults to ``config.REPEAT`` (smaller in quick mode).  With
    ``max_seconds``, stops early (after at least one timed call) once the
    timed calls have taken that long, so that a slow level does not stall a sweep.
    """
    repeat = config.REPEAT if repeat is None else repeat
    for _ in range(warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
        if max_seconds is not None and sum(times) >= max_seconds:
            break
    return Timing(times)


def binary_union(textmap, linkmap, link_threshold: float = 0.4, low_text: float = 0.4) -> np.ndarray:
    """Step 1 of the postprocess: ``textmap > low_text`` or ``linkmap > link_threshold``, as uint8 0/1."""
    return ((textmap > np.float32(low_text)) | (linkmap > np.float32(link_threshold))).view(np.uint8)


def label_union(union: np.ndarray):
    """Step 2, the floor: OpenCV's labeling with statistics (4-connectivity) of a ready binary union."""
    return cv2.connectedComponentsWithStats(union, connectivity=4)


@dataclass
class Floor:
    """The floor (labeling alone) and, beside it, the thresholding that makes its input."""
    labeling: Timing
    threshold: Timing

    def __str__(self) -> str:
        return f"floor (labeling alone) {self.labeling}; threshold beside it {self.threshold}"


def measure_floor(textmap, linkmap, repeat: int | None = None, link_threshold: float = 0.4,
                  low_text: float = 0.4) -> Floor:
    """Time the floor: ``cv2.connectedComponentsWithStats`` (4-connectivity) on the ready binary
    union, alone; and the thresholding into that union, separately, in turns with it.

    The floor is what every level that keeps OpenCV's labeling must pay; only a level that
    replaces the labeling (the registry says which) can come in under it.  The one function
    of the package that measures it: the benchmark, the notebooks and the checker use it.
    """
    repeat = config.REPEAT if repeat is None else repeat
    union = binary_union(textmap, linkmap, link_threshold, low_text)
    label_union(union)
    t_label, t_thresh = [], []
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        binary_union(textmap, linkmap, link_threshold, low_text)
        t1 = time.perf_counter()
        label_union(union)
        t2 = time.perf_counter()
        t_thresh.append(t1 - t0)
        t_label.append(t2 - t1)
    return Floor(Timing(t_label), Timing(t_thresh))


def progress_bar(total: int, desc: str, unit: str = "step"):
    """A progress bar for a long loop: a widget in JupyterLab, a line in a terminal (``tqdm.auto``).

    ``None`` (no bar) when ``TEXTPOST_PROGRESS=0``: set by ``make test`` and by the refresh
    script, so the stored outputs of executed notebooks carry no progress noise.
    """
    if os.environ.get("TEXTPOST_PROGRESS", "1").strip() == "0":
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False)


def set_threads(n: int) -> dict:
    """Pin OpenCV (the Python cv2 and the C++ level's own OpenCV, if loaded) and numba to ``n`` threads.

    Returns the settings now in effect, for the record.
    """
    cv2.setNumThreads(int(n))
    settings = {"opencv_threads": cv2.getNumThreads()}
    if "numba" in sys.modules:
        import numba
        numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))
        settings["numba_threads"] = numba.get_num_threads()
    cpp = sys.modules.get("textpost.levels.cpp_level")
    if cpp is not None and hasattr(cpp, "set_num_threads"):
        try:
            cpp.set_num_threads(int(n))
            settings["cpp_opencv_threads"] = int(n)
        except Exception:  # the extension could not be built: nothing to pin
            pass
    return settings


def time_together(funcs: dict, *args, repeat: int | None = None, warmup: bool = True) -> dict:
    """Time several functions on the same arguments in turns; returns ``{name: Timing}``.

    Taking turns spreads a busy moment of the machine over all of them alike, so
    their ratio is fairer than timing one after the other.  One untimed first call
    each (compiling, caches) unless ``warmup=False``.
    """
    repeat = config.REPEAT if repeat is None else repeat
    if warmup:
        for f in funcs.values():
            f(*args)
    times = {name: [] for name in funcs}
    for _ in range(max(repeat, 1)):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            f(*args)
            times[name].append(time.perf_counter() - t0)
    return {name: Timing(t) for name, t in times.items()}


def compare(before: Timing, after: Timing) -> str:
    """How ``after`` compares with ``before``: ``'5.3x faster (4.9-5.8x)'``, ``'1.2x slower (...)'``,
    or ``'a tie (0.93-1.08x)'`` when their spreads (min..max) overlap.

    The ratio is of the medians; the range in brackets is the ratio of the spreads' ends.
    """
    r = before.median / after.median
    lo, hi = before.min / after.max, before.max / after.min
    if after.max >= before.min and before.max >= after.min:
        return f"a tie ({lo:.2f}-{hi:.2f}x)"
    if r > 1:
        return f"{r:.3g}x faster ({lo:.3g}-{hi:.3g}x)"
    return f"{1 / r:.3g}x slower ({1 / hi:.3g}-{1 / lo:.3g}x)"


def ranked(a: Timing, b: Timing) -> bool:
    """True when the spreads of ``a`` and ``b`` do not overlap, so one may be called faster."""
    return a.max < b.min or b.max < a.min
