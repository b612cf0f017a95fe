"""Measurements of the semi-C notebooks (04 numba, 05 Cython) that are not a level.

:func:`time_compile_in_fresh_process` times numba's compiling and its on-disk cache in fresh
processes (each runs :func:`probe`, ``python -m textpost.semic``); :func:`rect_fit_inputs`
prepares the two point lists of the rectangle-fit comparison (every pixel, row extremes).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

from .contract import check_inputs
from .levels.kernels import label_region


def probe() -> dict:
    """What one process sees: four calls of ``get_boxes_numba`` on the workshop's page, and how
    many compiled functions it loaded from numba's on-disk cache."""
    from . import config
    from .levels import numba_level
    from .synth import make_page
    from .timing import set_threads
    set_threads(1)
    page = make_page(config.WORKSHOP_WORDS, config.SIZE, seed=0)
    calls = []
    for _ in range(4):
        t0 = time.perf_counter()
        numba_level.get_boxes_numba(page.textmap, page.linkmap)
        calls.append(time.perf_counter() - t0)
    hits = sum(sum(f.stats.cache_hits.values()) for f in (numba_level._binarize, numba_level._boxes))
    return {"calls": calls, "loaded_from_cache": hits}


def time_compile_in_fresh_process() -> dict:
    """What compiling costs a new process, and what ``cache=True`` saves.

    Two fresh Python processes run :func:`probe` (4 calls of ``get_boxes_numba`` on the workshop's
    page), sharing an on-disk cache (``NUMBA_CACHE_DIR``) that starts empty: the first
    compiles and writes it, the second loads it.  Returns the first calls' times
    (``compile_s``, ``load_s``), the median of the later calls (``call_s``) and how many
    functions each process loaded from the cache (``loaded``: 0, then 2).
    """
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        runs = [json.loads(subprocess.run([sys.executable, "-m", "textpost.semic"], env=env, check=True,
                                          capture_output=True, text=True).stdout) for _ in range(2)]
    return {"compile_s": runs[0]["calls"][0], "load_s": runs[1]["calls"][0],
            "call_s": float(np.median(runs[0]["calls"][1:] + runs[1]["calls"][1:])),
            "loaded": [r["loaded_from_cache"] for r in runs]}


def rect_fit_inputs(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """The points each kept label hands to the rectangle fit, both ways (an algorithm, not a tool).

    Returns ``(all_pixels, row_extremes)``: two lists of int32 ``(n, 1, 2)`` arrays, one per
    box.  ``all_pixels`` is what ``get_boxes_python`` passes to ``cv2.minAreaRect`` (every pixel
    of the dilated mask); ``row_extremes`` keeps only the first and last pixel of each row, as
    the loop kernels do (:func:`textpost.levels.kernels.edge_points`).  Both give the same hull,
    hence the same rectangle.
    """
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    text, link = textmap > np.float32(low_text), linkmap > np.float32(link_threshold)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats((text | link).view(np.uint8), connectivity=4)
    kept = np.where(text | ~link, labels, 0)
    confident = np.zeros(n_labels, bool)
    confident[labels[textmap >= np.float32(text_threshold)]] = True
    all_pixels, row_extremes = [], []
    for k in np.flatnonzero(confident[1:] & (stats[1:, cv2.CC_STAT_AREA] >= 10)) + 1:
        niter, x0, y0, x1, y1 = label_region(stats, k, *textmap.shape)
        mask = (kept[y0:y1, x0:x1] == k).view(np.uint8)
        pts = cv2.findNonZero(cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (1 + niter, 1 + niter))))
        pts += np.array((x0, y0), dtype=np.int32)
        ys = pts[:, 0, 1]
        edge = np.r_[True, ys[1:] != ys[:-1]] | np.r_[ys[1:] != ys[:-1], True]
        all_pixels.append(pts)
        row_extremes.append(np.ascontiguousarray(pts[edge]))
    return all_pixels, row_extremes


if __name__ == "__main__":
    print(json.dumps(probe()))
