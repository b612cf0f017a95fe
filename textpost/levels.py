"""The registry of levels: every rung of the ladder under its own name.

``LEVELS`` maps a level's name to its ``get_boxes`` function, in ladder order.
The benchmark, the tests and the results notebook all iterate over this one
dict.  Compiled levels (Cython, C++) are built on their first call, so
importing this module never needs a compiler.
"""
from __future__ import annotations

import importlib
import importlib.util

# name -> (module, function); modules that are not there yet are skipped
_LADDER = [
    ("reference", "textpost.reference", "get_boxes"),
    ("python", "textpost.python_level", "get_boxes_python"),
    ("numba", "textpost.numba_level", "get_boxes_numba"),
    ("cython", "textpost.cython_level", "get_boxes_cython"),
    ("cpp", "textpost.cpp_level", "get_boxes_cpp"),
]

#: intermediate rungs, registered for the benchmark but not part of the main ladder
_STEPS = [
    ("py_hoisted", "textpost.python_level", "get_boxes_hoisted"),
    ("py_roi", "textpost.python_level", "get_boxes_roi"),
    ("cpp_direct", "textpost.cpp_level", "get_boxes_cpp_direct"),
    ("fused", "textpost.fused_level", "get_boxes_fused"),
]

#: levels that do their own labeling instead of calling cv2.connectedComponentsWithStats:
#: the only ones allowed to come in under the benchmark's floor (DESIGN section 4)
REPLACES_LABELING = frozenset({"fused"})


def _load(entries):
    out = {}
    for name, module, func in entries:
        if importlib.util.find_spec(module) is None:
            continue
        out[name] = getattr(importlib.import_module(module), func)
    return out


#: the main ladder: reference, python, numba, cython, cpp (those that exist)
LEVELS = _load(_LADDER)
#: every registered function, including the intermediate Python-level steps
ALL_LEVELS = {**LEVELS, **_load(_STEPS)}


def get_level(name: str):
    """The ``get_boxes`` function of level ``name``, with a helpful error for unknown names."""
    try:
        return ALL_LEVELS[name]
    except KeyError:
        raise KeyError(f"unknown level {name!r}; known levels: {', '.join(ALL_LEVELS)}") from None
