"""The ladder: every rung of the postprocess under its own name, and the registry.

Every level has the one contract of the reference
(``get_boxes(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4)``
returning ``(K, 4, 2)`` float32 boxes) and states two things apart, so that a
comparison can tell what made it faster:

* its **tool**: what runs the code (Python with NumPy/OpenCV, numba, Cython, C++);
* its **algorithm**: what the code does, whatever runs it.

``LEVELS`` maps the main ladder's names to their functions; ``ALL_LEVELS`` adds the
intermediate steps; ``INFO`` holds each level's :class:`Level` record.  The
benchmark, the tests and the results notebook iterate over these.  Compiled levels
(Cython, C++) build on their first call, so importing this module needs no compiler.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

#: the algorithms, as the registry and the tables name them (each level's docstring says more)
FULL_MAP = "full map per label"                    # the published code: mask, dilate, search on the whole map
HOISTED = "full map per label, invariants hoisted"
CROPPED = "box-cropped"                            # every per-label step inside the label's own region
TRIMMED = "box-cropped, trimmed"                   # + one-pass confidence filter, fewer calls per label
KERNELS = "loop kernels"                           # plain loops: one-pass binarize and label maxima,
                                                   # row extremes into the rectangle fit
ROW_SPANS = "box-cropped, row spans"               # dilation and points from each row's first/last pixel
FUSED = "one pass: row runs, union-find, row spans" # its own labeling: no cv2.connectedComponentsWithStats


@dataclass(frozen=True)
class Level:
    """One rung: its name, function, tool and algorithm."""
    name: str
    module: str
    function: str
    tool: str
    algorithm: str
    main: bool = True                 # on the main ladder (else an intermediate step)
    replaces_labeling: bool = False   # does its own labeling: the only kind allowed under the floor

    @property
    def func(self) -> Callable:
        return getattr(importlib.import_module(self.module, __name__), self.function)


_REGISTRY = [
    Level("reference", ".reference", "get_boxes", "python", FULL_MAP),
    Level("py_hoisted", ".python_level", "get_boxes_hoisted", "python", HOISTED, main=False),
    Level("py_roi", ".python_level", "get_boxes_roi", "python", CROPPED, main=False),
    Level("python", ".python_level", "get_boxes_python", "python", TRIMMED),
    Level("numba", ".numba_level", "get_boxes_numba", "numba", KERNELS),
    Level("cython", ".cython_level", "get_boxes_cython", "cython", KERNELS),
    Level("cpp_direct", ".cpp_level", "get_boxes_cpp_direct", "cpp", TRIMMED, main=False),
    Level("cpp", ".cpp_level", "get_boxes_cpp", "cpp", ROW_SPANS),
    Level("fused", ".fused_level", "get_boxes_fused", "cpp", FUSED, replaces_labeling=True),
]

#: name -> Level, in ladder order
INFO: dict[str, Level] = {lv.name: lv for lv in _REGISTRY}
#: the main ladder: name -> get_boxes function
LEVELS: dict[str, Callable] = {lv.name: lv.func for lv in _REGISTRY if lv.main}
#: every registered function, intermediate steps included
ALL_LEVELS: dict[str, Callable] = {lv.name: lv.func for lv in _REGISTRY}


def get_level(name: str) -> Callable:
    """The ``get_boxes`` function of level ``name``, with a helpful error for unknown names."""
    try:
        return ALL_LEVELS[name]
    except KeyError:
        raise KeyError(f"unknown level {name!r}; known levels: {', '.join(ALL_LEVELS)}") from None
