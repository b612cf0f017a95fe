"""Sizes for full and quick runs, read from one place.

Quick mode (``TEXTPOST_QUICK=1``, set by ``make test``) shrinks maps, word
counts and repeats so that every notebook still runs every cell in CI within
minutes.  Notebooks and the benchmark read their sizes from here, never from
their own constants.
"""
from __future__ import annotations

import os

QUICK: bool = os.environ.get("TEXTPOST_QUICK", "").strip().lower() not in ("", "0", "false", "no")

#: side of the square score map used for the workshop's measurements
SIZE: int = 384 if QUICK else 1280
#: the number of words at which single-size comparisons are made
WORKSHOP_WORDS: int = 100 if QUICK else 1000
#: the sweep used for scaling curves (words per page)
WORD_SWEEP: tuple[int, ...] = (10, 30, 100) if QUICK else (10, 30, 100, 300, 1000, 3000)
#: the words at which the slow reference is still measured in sweeps
#: (it takes seconds per call at full size, so long sweeps stop earlier)
REFERENCE_SWEEP: tuple[int, ...] = (10, 30, 100) if QUICK else (10, 30, 100, 300, 1000)
#: timing repeats (median of this many calls)
REPEAT: int = 3 if QUICK else 7
#: repeats for calls that take seconds
SLOW_REPEAT: int = 1 if QUICK else 3


def describe() -> str:
    """One line saying which mode is active and what it means."""
    mode = "QUICK (TEXTPOST_QUICK=1)" if QUICK else "full"
    return (f"mode: {mode}; map {SIZE}x{SIZE}; workshop size {WORKSHOP_WORDS} words; "
            f"sweep {list(WORD_SWEEP)}; repeat {REPEAT}")
