"""The C/C++ level: the whole postprocess in a C++ extension module.

The arguments are checked here, in Python, by the contract every level shares
(:func:`textpost.contract.check_inputs`); then ``textpost/levels/cpp/textpost_cpp.cpp``
receives the float32 maps through the NumPy C API, wraps them as ``cv::Mat``
without copying, and runs the per-component loop with OpenCV's C++ API, with the
GIL released.  It is compiled on first use (:func:`load_extension`, a few seconds
once; later calls and later processes reuse the build in ``textpost/_build/``),
by :func:`textpost.build.build_cpp`.
"""
from __future__ import annotations

from pathlib import Path

from ..build import cpp_loader
from ..contract import check_inputs

#: the extension's source, walked through in the C++ notebook
SOURCE = Path(__file__).resolve().parent / "cpp" / "textpost_cpp.cpp"
MODULE_NAME = "_textpost_cpp"

#: build (if needed) and import the extension; returns the module (textpost.build.cpp_loader)
load_extension = cpp_loader(MODULE_NAME, SOURCE)


def get_boxes_cpp(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Word boxes, computed by the C++ extension: same contract and result as the reference.

    Returns a ``(K, 4, 2)`` float32 array.  Bad input raises the same
    ``TypeError``/``ValueError`` as :func:`textpost.contract.check_inputs`.
    The first call compiles the extension when there is no build yet.
    """
    args = check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text)
    mod = load_extension()
    return mod.get_boxes(*args)   # float32 C-contiguous maps, float thresholds


def set_num_threads(n: int) -> None:
    """Threads used by the extension's OpenCV (the system's C++ library).

    This is a different OpenCV from the Python ``cv2`` module, with its own
    setting: pin both (``cv2.setNumThreads(1)`` too) for single-thread timings.
    """
    load_extension().set_num_threads(int(n))


def get_num_threads() -> int:
    """Threads the extension's OpenCV uses (``cv::getNumThreads``)."""
    return load_extension().get_num_threads()


def opencv_version() -> str:
    """Version of the OpenCV C++ library the extension runs with."""
    return load_extension().opencv_version()


def get_boxes_cpp_direct(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """The C++ level without its last optimisation: same result, for measuring.

    Per component it follows the reference step for step (a mask image,
    ``cv::dilate``, every nonzero pixel to ``cv::minAreaRect``), where
    :func:`get_boxes_cpp` computes the same rectangle from row spans.
    """
    args = check_inputs(textmap, linkmap, text_threshold, link_threshold, low_text)
    mod = load_extension()
    return mod.get_boxes_direct(*args)
