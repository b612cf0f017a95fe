"""The input contract shared by every level.

Every ``get_boxes`` implementation, the compiled ones included, calls
:func:`check_inputs` in Python before any work, so that bad input gets one clear
``TypeError``/``ValueError`` that says what to do, never a crash or a silently
wrong answer.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

SUPPORTED_DTYPES = (np.float32, np.float64)


def check_threshold(name: str, value) -> float:
    """Return ``value`` as a Python float, or raise if it is not a finite number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def check_map(name: str, arr, finite: bool = True) -> np.ndarray:
    """Return ``arr`` as a C-contiguous float32 2-D array, or raise.

    float64, Fortran-ordered, strided and unaligned inputs (an array that arrived as bytes
    from another process may start at an odd address) are converted (a copy); aligned
    float32 C-contiguous input is returned as it is (no copy).  ``finite=False``
    skips the scan for NaN and inf, for a caller whose own pass over the map does it.
    """
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(arr).__name__}")
    if arr.dtype.type not in SUPPORTED_DTYPES:
        raise TypeError(f"{name} has dtype {arr.dtype}; expected float32 or float64 "
                        f"(convert with {name}.astype(np.float32))")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (height, width), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); a score map needs at least one pixel")
    with np.errstate(over="ignore"):  # float64 beyond the float32 range becomes inf, reported below
        out = np.require(arr, np.float32, ["C_CONTIGUOUS", "ALIGNED"])
    if not finite:
        return out
    ok = np.isfinite(out)              # one pass; the exact count only when something is wrong
    if not ok.all():
        bad = int(ok.size - np.count_nonzero(ok))
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf, "
                         f"or beyond the float32 range); clean it first, e.g. np.nan_to_num({name})")
    return out


def check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text, finite: bool = True):
    """Check and normalise the arguments of ``get_boxes``.

    Returns ``(textmap, linkmap, text_threshold, link_threshold, low_text)`` with the
    maps as C-contiguous float32 arrays and the thresholds as Python floats.
    Thresholds above 1 are legal (a high ``link_threshold`` switches links off).
    ``finite=False``: no scan for NaN and inf (the fused level's pass does it).
    """
    text_threshold = check_threshold("text_threshold", text_threshold)
    link_threshold = check_threshold("link_threshold", link_threshold)
    low_text = check_threshold("low_text", low_text)
    textmap = check_map("textmap", textmap, finite)
    linkmap = check_map("linkmap", linkmap, finite)
    if textmap.shape != linkmap.shape:
        raise ValueError(f"textmap and linkmap must have the same shape, "
                         f"got {textmap.shape} and {linkmap.shape}")
    return textmap, linkmap, text_threshold, link_threshold, low_text


def empty_boxes() -> np.ndarray:
    """The result when no word is found: shape (0, 4, 2), float32."""
    return np.zeros((0, 4, 2), dtype=np.float32)


def as_float32(value: float) -> np.float32:
    """A threshold rounded to float32, the precision of OpenCV's threshold (huge values become inf)."""
    with np.errstate(over="ignore"):
        return np.float32(value)
