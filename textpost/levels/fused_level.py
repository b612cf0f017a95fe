"""The fused level: the whole postprocess in one pass over the maps, without OpenCV's labeling.

Every level before this one calls ``cv2.connectedComponentsWithStats``, so its
time can never go below that call (the benchmark's floor).  ``textpost/levels/cpp/fused.cpp``
replaces threshold + labeling + statistics + the per-component pass with its own
run-based labeling (runs of the binary union per row, union-find over runs,
per-component row spans) and keeps only ``cv::minAreaRect``/``cv::boxPoints``
from OpenCV.  Same boxes, same order as the reference; labels numbered like
OpenCV's (see the comment at the top of ``fused.cpp``).

The input is checked and converted here, in Python, with
:func:`textpost.contract.check_inputs` (the same errors as every other level),
all but the scan for NaN and inf: the extension's one pass over the maps does that
on its way, and when it finds one the contract is asked again for its message.
The extension computes with the GIL released.  It is compiled on first use.
"""
from __future__ import annotations

from pathlib import Path

from ..build import cpp_loader
from ..contract import check_inputs

#: the extension's source, walked through in the fused-level notebook
SOURCE = Path(__file__).resolve().parent / "cpp" / "fused.cpp"
MODULE_NAME = "_textpost_fused"

#: build (if needed) and import the extension; returns the module (textpost.build.cpp_loader)
load_extension = cpp_loader(MODULE_NAME, SOURCE)


def get_boxes_fused(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Word boxes from one pass over the maps: same contract and result as the reference.

    Returns a ``(K, 4, 2)`` float32 array.  Bad input raises the same
    ``TypeError``/``ValueError`` as :func:`textpost.contract.check_inputs`.
    The first call compiles the extension when there is no build yet.
    """
    args = check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text, finite=False)
    try:
        return load_extension().get_boxes(*args)   # its pass also looks for NaN and inf ...
    except ValueError:
        check_inputs(*args)   # ... and then the contract says which map and how many values
        raise


def components(textmap, linkmap, link_threshold=0.4, low_text=0.4):
    """The fused level's own labeling, laid out like ``cv2.connectedComponentsWithStats``.

    Returns ``(labels, stats, best)``: the int32 label image (0 = background),
    the stats rows of labels 1 .. n-1 (left, top, width, height, area, as
    ``stats[1:]`` of OpenCV's) and each label's highest ``textmap`` score.
    For checking and teaching; :func:`get_boxes_fused` never builds the label image.
    """
    textmap, linkmap, _, link_threshold, low_text = check_inputs(
        textmap, linkmap, 0.0, link_threshold, low_text)
    return load_extension().components(textmap, linkmap, link_threshold, low_text)
