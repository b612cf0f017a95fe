"""Sizes for full and quick runs, read from one place.

Quick mode (``TEXTPOST_QUICK=1``, set by ``make test``) shrinks maps, word
counts and repeats so that every notebook still runs every cell in CI within
minutes.  Notebooks and the benchmark read their sizes from here, never from
their own constants.
"""
from __future__ import annotations

import os
from pathlib import Path

#: the repository (the folder above ``textpost/``)
ROOT: Path = Path(__file__).resolve().parent.parent
#: cell metadata that records one particular run (dropped from stored notebooks)
RUN_METADATA: tuple[str, ...] = ("execution", "ExecuteTime")


def repo_relative(path) -> str:
    """``path`` relative to the repository (for messages and outputs), else as given."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


QUICK: bool = os.environ.get("TEXTPOST_QUICK", "").strip().lower() not in ("", "0", "false", "no")

#: side of the square score map used for the workshop's measurements
SIZE: int = 384 if QUICK else 1280
#: the number of words at which single-size comparisons are made
WORKSHOP_WORDS: int = 100 if QUICK else 1000
#: the stopping rule of the series (set in notebook 02): a service's budget for the postprocess of a
#: page of WORKSHOP_WORDS words on SIZE x SIZE maps, on one core.  Each level notebook says whether it meets it.
TARGET_S: float = 0.050
#: the sweep used for scaling curves (words per page)
WORD_SWEEP: tuple[int, ...] = (10, 30, 100) if QUICK else (10, 30, 100, 300, 1000, 3000)
#: the words at which the slow reference is still measured in sweeps
#: (it takes seconds per call at full size, so long sweeps stop earlier)
REFERENCE_SWEEP: tuple[int, ...] = (10, 30, 100) if QUICK else (10, 30, 100, 300, 1000)
#: timing repeats (median of this many calls)
REPEAT: int = 3 if QUICK else 7
#: repeats for calls that take seconds
SLOW_REPEAT: int = 1 if QUICK else 3

#: notebook 02's two sweeps: words at a fixed map size, then map sizes at a fixed number of words
MEASURE_SIZE: int = 256 if QUICK else 640
MEASURE_WORDS: tuple[int, ...] = (10, 20, 40) if QUICK else (25, 50, 100, 200, 400)
MEASURE_SIZES: tuple[int, ...] = (128, 192, 256, 384) if QUICK else (320, 480, 640, 960, 1280)
MEASURE_FIXED_WORDS: int = 20 if QUICK else 100


def describe() -> str:
    """One line saying which mode is active and what it means."""
    mode = "QUICK (TEXTPOST_QUICK=1)" if QUICK else "full"
    return (f"mode: {mode}; map {SIZE}x{SIZE}; workshop size {WORKSHOP_WORDS} words; "
            f"sweep {list(WORD_SWEEP)}; repeat {REPEAT}")
