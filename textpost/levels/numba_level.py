"""The semi-C level with numba: the loops of :mod:`textpost.levels.kernels`, compiled.

Three functions with the contract of every level
(``get_boxes(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4)``
returning a ``(K, 4, 2)`` float32 array):

``get_boxes_loops``
    the loop kernels run as plain Python: the same code, before compiling.
    Very slow; only for small maps (the lesson's "before").
``get_boxes_numba``
    the same kernels under ``numba.njit``. The two thresholds are fused into one
    compiled pass; labelling stays with ``cv2.connectedComponentsWithStats``.
``get_boxes_numba_parallel``
    (parallel: not part of the one-thread comparison) the labels shared out over
    ``numba.get_num_threads()`` threads. The chunk kernel is compiled with
    ``nogil=True``, so plain Python threads run it at the same time. (``prange``
    in an ``njit(parallel=True)`` function would do the same, but it compiles
    every ``register_jitable`` callee again with the parallel passes: about
    half a minute more of compiling.)

The kernels are compiled on the first call (a few seconds) and cached on disk
(``cache=True``), so later processes load them. The compiled functions wrap the
functions of :mod:`textpost.levels.kernels` itself, so the cache belongs to that file
and is rebuilt whenever it changes.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numba
import numpy as np

from . import kernels
from ..contract import as_float32, check_inputs, empty_boxes

_binarize = numba.njit(cache=True)(kernels.binarize)
_boxes = numba.njit(cache=True)(kernels.boxes_from_labels)
_max_scores = numba.njit(cache=True, nogil=True)(kernels.label_max_scores)
_region_size = numba.njit(cache=True)(kernels.max_region_size)
_chunk = numba.njit(cache=True, nogil=True)(kernels.boxes_of_chunk)


def _label(textmap, linkmap, low_text, link_threshold, compiled=True):
    """Threshold (one compiled pass, or OpenCV's two thresholds) and label with OpenCV."""
    if compiled:
        union = _binarize(textmap, linkmap, low_text, link_threshold)
    else:
        union = ((textmap > low_text) | (linkmap > link_threshold)).view(np.uint8)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(union, connectivity=4)
    return n_labels, labels, stats


def get_boxes_loops(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """The loop kernels as plain Python (slow: use small maps). Same boxes as the reference."""
    textmap, linkmap, *thresholds = check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text)
    text_threshold, link_threshold, low_text = map(as_float32, thresholds)
    n_labels, labels, stats = _label(textmap, linkmap, low_text, link_threshold, compiled=False)
    boxes = kernels.boxes_from_labels(labels, stats, n_labels, textmap, text_threshold, low_text)
    return boxes if len(boxes) else empty_boxes()


def get_boxes_numba(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Word boxes with the loop kernels compiled by numba (``njit``). Same contract as the reference."""
    textmap, linkmap, *thresholds = check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text)
    text_threshold, link_threshold, low_text = map(as_float32, thresholds)
    n_labels, labels, stats = _label(textmap, linkmap, low_text, link_threshold)
    boxes = _boxes(labels, stats, n_labels, textmap, text_threshold, low_text)
    return boxes if len(boxes) else empty_boxes()


def boxes_from_scores(labels, stats, textmap, best, text_threshold, low_text, n_threads=1):
    """The compiled per-label work once each label's best score ``best`` is known.

    ``labels``/``stats`` from ``cv2.connectedComponentsWithStats``; returns the boxes
    of the labels that pass the size and score filters, in label order.  With
    ``n_threads`` > 1 the labels are shared out in equal runs over that many threads
    (the chunk kernel runs without the GIL).  Lets an exercise plug its own per-label
    pass into the rest of the numba level.
    """
    n_labels = len(stats)
    max_h, max_w = _region_size(stats, n_labels, *labels.shape)
    slots = np.empty((n_labels, 4, 2), np.float32)
    keep = np.zeros(n_labels, np.bool_)
    n_chunks = max(1, min(int(n_threads), n_labels - 1))
    bounds = np.linspace(1, n_labels, n_chunks + 1).astype(np.int64)   # labels 1 .. n-1 in equal runs

    def run(chunk):
        _chunk(labels, stats, textmap, best, as_float32(text_threshold), as_float32(low_text),
               max_h, max_w, bounds[chunk], bounds[chunk + 1], slots, keep)

    if n_chunks == 1:
        run(0)
    else:
        with ThreadPoolExecutor(n_chunks) as pool:
            list(pool.map(run, range(n_chunks)))
    boxes = slots[keep]
    return boxes if len(boxes) else empty_boxes()


def get_boxes_numba_parallel(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """(parallel) :func:`get_boxes_numba` with the labels spread over ``numba.get_num_threads()`` threads."""
    textmap, linkmap, *thresholds = check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text)
    text_threshold, link_threshold, low_text = map(as_float32, thresholds)
    n_labels, labels, stats = _label(textmap, linkmap, low_text, link_threshold)
    best = _max_scores(labels, textmap, n_labels)
    return boxes_from_scores(labels, stats, textmap, best, text_threshold, low_text,
                             n_threads=numba.get_num_threads())


_PROBE = """
import json, time
from textpost import config
from textpost.levels import numba_level
from textpost.synth import make_page
from textpost.timing import set_threads
set_threads(1)
page = make_page(config.WORKSHOP_WORDS, config.SIZE, seed=0)
calls = []
for _ in range(4):
    t0 = time.perf_counter()
    numba_level.get_boxes_numba(page.textmap, page.linkmap)
    calls.append(time.perf_counter() - t0)
hits = sum(sum(f.stats.cache_hits.values()) for f in (numba_level._binarize, numba_level._boxes))
print(json.dumps({"calls": calls, "loaded_from_cache": hits}))
"""


def time_compile_in_fresh_process() -> dict:
    """What compiling costs a new process, and what ``cache=True`` saves.

    Two fresh Python processes call :func:`get_boxes_numba` 4 times each on the workshop's
    page, sharing an on-disk cache (``NUMBA_CACHE_DIR``) that starts empty: the first
    compiles and writes it, the second loads it.  Returns the first calls' times
    (``compile_s``, ``load_s``), the median of the later calls (``call_s``) and how many
    functions each process loaded from the cache (``loaded``: 0, then 2).
    """
    import json, os, subprocess, sys, tempfile
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        runs = [json.loads(subprocess.run([sys.executable, "-c", _PROBE], env=env, check=True,
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
    import math
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    text, link = textmap > np.float32(low_text), linkmap > np.float32(link_threshold)
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats((text | link).view(np.uint8), connectivity=4)
    kept = np.where(text | ~link, labels, 0)
    best = _max_scores(labels, textmap, n_labels)
    all_pixels, row_extremes = [], []
    for k, (x, y, w, h, size) in enumerate(stats.tolist()):
        if k == 0 or size < 10 or best[k] < np.float32(text_threshold):
            continue
        niter = int(math.sqrt(size * min(w, h) / (w * h)) * 2)
        sx, sy = max(x - niter, 0), max(y - niter, 0)
        mask = (kept[sy:y + h + niter + 1, sx:x + w + niter + 1] == k).view(np.uint8)
        size_ = 1 + niter
        pts = cv2.findNonZero(cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (size_, size_))))
        pts += np.array((sx, sy), dtype=np.int32)
        ys = pts[:, 0, 1]
        edge = np.r_[True, ys[1:] != ys[:-1]] | np.r_[ys[1:] != ys[:-1], True]
        all_pixels.append(pts)
        row_extremes.append(np.ascontiguousarray(pts[edge]))
    return all_pixels, row_extremes
