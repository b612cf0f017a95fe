"""The semi-C level with Cython: the kernels of ``cython_kernels.pyx``, compiled on first use.

``get_boxes_cython`` has the contract of every level. Thresholding (one
compiled pass) and the per-label loop run in Cython without the GIL;
labelling stays with ``cv2.connectedComponentsWithStats``.

The first call builds the extension with :func:`textpost.build.build_cython`
(Cython, then the C compiler; a few seconds once, then reused from
``textpost/_build/``).  When it cannot be built, :class:`textpost.build.BuildError`
says what is missing or holds Cython's or the compiler's own messages.

The ``.pyx`` marks every function with ``# kernel: <name>`` ... ``# end kernel``;
:func:`kernel_sources` returns those texts, so a notebook's ``%%cython`` cell
can be checked to hold exactly the same code.
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2

from ..build import build_cython
from ..contract import as_float32, check_inputs, empty_boxes

PYX_PATH = Path(__file__).resolve().with_name("cython_kernels.pyx")

_module = None


def load(force: bool = False):
    """The compiled kernel module (built on first use, then reused)."""
    global _module
    if _module is None or force:
        _module = build_cython(PYX_PATH.read_bytes(), "cython_kernels", force=force)
    return _module


def kernel_sources(text: str | None = None) -> dict[str, str]:
    """``{name: code}`` of every ``# kernel: <name>`` ... ``# end kernel`` block of the ``.pyx``
    (or of ``text``, e.g. a notebook cell), without the marker lines."""
    text = PYX_PATH.read_text() if text is None else text
    blocks = {}
    for m in re.finditer(r"^# kernel: (\w+)[ \t]*\n(.*?)^# end kernel[ \t]*$", text, re.S | re.M):
        if m.group(1) in blocks:
            raise ValueError(f"kernel {m.group(1)!r} is marked twice")
        blocks[m.group(1)] = m.group(2).rstrip("\n")
    return blocks


def get_boxes_cython(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Word boxes with the Cython kernels (built on the first call). Same contract as the reference."""
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    kernels = load()
    low_text = as_float32(low_text)
    union = kernels.binarize_map(textmap, linkmap, low_text, as_float32(link_threshold))
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(union, connectivity=4)
    boxes = kernels.get_boxes_from_labels(labels, stats, n_labels, textmap, as_float32(text_threshold),
                                          low_text)
    return boxes if len(boxes) else empty_boxes()
