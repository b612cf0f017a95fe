"""Timing helpers: one way to time a call, the floor, and thread pinning.

The metric of the workshop is the median wall time of one ``get_boxes`` call.
``time_call`` calls the function once first (so compile time of numba/Cython
or a first-use build is never counted), then ``repeat`` times, and reports
min/median/max.
"""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import config


@dataclass
class Timing:
    """Wall times (seconds) of repeated calls."""
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

    def __str__(self) -> str:
        return (f"median {format_seconds(self.median)} (min {format_seconds(self.min)}, "
                f"max {format_seconds(self.max)}, {self.runs} runs)")


def format_seconds(s: float) -> str:
    """1.23 s, 45.6 ms, 789 us: the unit a reader expects."""
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} us"


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


def floor(textmap, linkmap, link_threshold: float = 0.4, low_text: float = 0.4):
    """The floor: steps 1-2 of the postprocess only (threshold both maps, label the union).

    Every level has to do at least this; the best level should cost little more.
    Written exactly as the reference writes these two steps.
    """
    _, text_score = cv2.threshold(textmap, low_text, 1, cv2.THRESH_BINARY)
    _, link_score = cv2.threshold(linkmap, link_threshold, 1, cv2.THRESH_BINARY)
    text_score_comb = np.clip(text_score + link_score, 0, 1)
    return cv2.connectedComponentsWithStats(text_score_comb.astype(np.uint8), connectivity=4)


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
    cpp = sys.modules.get("textpost.cpp_level")
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


def change(before: float, after: float) -> str:
    """How a time changed: '5.3x faster', '1.1x slower', or 'about the same' (within 5%)."""
    r = before / after
    return (f"about the same ({r:.2f}x)" if abs(r - 1) < 0.05 else
            f"{r:.3g}x faster" if r > 1 else f"{1 / r:.3g}x slower")
