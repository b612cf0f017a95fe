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
