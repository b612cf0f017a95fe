"""What the tests of the two C++ extensions (test_cpp.py, test_fused.py) share."""
from __future__ import annotations

import os

import numpy as np
import pytest

from textpost import build
from textpost.compare import compare_boxes
from textpost.levels import INFO


def toolchain_or_skip():
    """Skip (outside CI only) when the C++ toolchain or OpenCV's C++ headers are missing."""
    try:
        build.check_toolchain("c++", opencv=True)
    except build.BuildError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"C++ toolchain missing: {err}")


def build_or_skip(load_extension):
    """``load_extension()``, or skip (outside CI only) when the C++ toolchain is missing."""
    toolchain_or_skip()
    return load_extension()


def assert_matches(got, expected, level, label="", against="reference"):
    """``got`` (from ``level``) matches ``expected`` (from ``against``) within the registry's tolerances.

    Each level's ``tolerance`` (``INFO[name].tolerance``) is its largest corner distance to the
    reference; against another level the two add up.  A tolerance of 0 means identical boxes.
    """
    assert got.dtype == np.float32 and got.ndim == 3 and got.shape[1:] == (4, 2), got.shape
    tol = INFO[level].tolerance + INFO[against].tolerance
    c = compare_boxes(got, expected, tol=tol)
    assert c.identical if tol == 0 else c.ok, f"{label}: {c} ({level} against {against}, tolerance from the registry)"


def outcome(fn, *args, **kwargs):
    """("ok", boxes) or ("error", exception type, message)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as err:  # noqa: BLE001 - comparing whatever is raised
        return ("error", type(err), str(err))
