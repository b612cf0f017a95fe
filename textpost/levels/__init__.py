"""The ladder: every rung of the postprocess under its own name, and the registry.

Every level has the one contract of the reference
(``get_boxes(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4)``
returning ``(K, 4, 2)`` float32 boxes).  Its :class:`Level` record below holds every
fact about it that the benchmark, the tests, the native profile and the results
notebook need, and nothing else does:

* its **tool** (what runs the code) and its **algorithm** (what the code does), so a
  comparison can tell which of the two made it faster;
* the level it is **against** (the rung it changes) and its **tolerance** to the reference;
* the **notebook** that teaches it, its plot **style**, its **sources**, and whether it
  **replaces OpenCV's labeling** (the only kind allowed under the floor).

Adding a level: write its function, add one ``Level(...)`` to ``REGISTRY`` and one row to
``levels/README.md``.  Compiled levels (Cython, C++) build on their first call, so
importing this module needs no compiler.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .cpp_level import get_boxes_cpp, get_boxes_cpp_direct
from .cython_level import get_boxes_cython
from .fused_level import get_boxes_fused
from .numba_level import get_boxes_numba
from .python_level import finish_boxes, get_boxes_hoisted, get_boxes_python, get_boxes_roi
from .reference import get_boxes as get_boxes_reference

HERE = Path(__file__).resolve().parent

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
    """One rung and every fact about it.

    ``sources`` are what implements the level: functions (counted by their own source) or
    files under ``textpost/levels/`` (counted whole).  ``style`` is ``(colour, marker)`` for
    plots (Okabe-Ito colours, colour-blind safe).  ``results``: shown on the results
    notebook's ladder (every main level is; an intermediate one may be too).
    """
    name: str
    func: Callable
    tool: str
    algorithm: str
    notebook: str                     # the notebook that teaches it ("03")
    against: str | None = None        # the rung it changes, for "what changed" (None: the start)
    tolerance: float = 0.0            # largest vertex distance to the reference's boxes, px
    style: tuple = ("0.5", "o")
    sources: tuple = ()
    main: bool = True                 # on the main ladder (else an intermediate step)
    results: bool | None = None       # on the results notebook's ladder (default: main)
    replaces_labeling: bool = False   # does its own labeling: the only kind allowed under the floor

    @property
    def on_results_ladder(self) -> bool:
        return self.main if self.results is None else self.results

    def source_files(self) -> list[Path]:
        """The files of ``sources`` (a function's file for a function)."""
        return [HERE / s if isinstance(s, str) else Path(inspect.getsourcefile(s)) for s in self.sources]


REGISTRY: list[Level] = [
    Level("reference", get_boxes_reference, "python", FULL_MAP, "01", style=("#CC79A7", "X"),
          sources=(get_boxes_reference,)),
    Level("py_hoisted", get_boxes_hoisted, "python", HOISTED, "03", against="reference", main=False,
          sources=(get_boxes_hoisted,)),
    Level("py_roi", get_boxes_roi, "python", CROPPED, "03", against="reference", main=False,
          sources=(get_boxes_roi,)),
    Level("python", get_boxes_python, "python", TRIMMED, "03", against="reference", style=("#0072B2", "o"),
          sources=(get_boxes_python, finish_boxes)),
    Level("numba", get_boxes_numba, "numba", KERNELS, "04", against="python", style=("#E69F00", "s"),
          sources=("kernels.py", "numba_level.py")),
    Level("cython", get_boxes_cython, "cython", KERNELS, "05", against="python", style=("#56B4E9", "D"),
          sources=("cython_kernels.pyx", "cython_level.py")),
    Level("cpp_direct", get_boxes_cpp_direct, "cpp", TRIMMED, "06", against="python", main=False, results=True,
          style=("#009E73", "v"), sources=("cpp/textpost_cpp.cpp", "cpp/box_finish.hpp", "cpp_level.py")),
    Level("cpp", get_boxes_cpp, "cpp", ROW_SPANS, "06", against="cpp_direct", style=("#D55E00", "^"),
          sources=("cpp/textpost_cpp.cpp", "cpp/box_finish.hpp", "cpp_level.py")),
    Level("fused", get_boxes_fused, "cpp", FUSED, "07", against="cpp", style=("#000000", "*"),
          sources=("cpp/fused.cpp", "cpp/row_bits.hpp", "cpp/min_area_rect.hpp", "cpp/box_finish.hpp", "fused_level.py"),
          replaces_labeling=True),
]

#: name -> Level, in ladder order
INFO: dict[str, Level] = {lv.name: lv for lv in REGISTRY}
#: the main ladder: name -> get_boxes function
LEVELS: dict[str, Callable] = {lv.name: lv.func for lv in REGISTRY if lv.main}
#: every registered function, intermediate steps included
ALL_LEVELS: dict[str, Callable] = {lv.name: lv.func for lv in REGISTRY}


def register(level: Level) -> Level:
    """Add ``level`` to the registry (after the others) and to ``INFO``, ``LEVELS``, ``ALL_LEVELS``.

    For a level defined outside this file (a learner's experiment, a test); the ladder's
    own levels are the ``REGISTRY`` list above.
    """
    if level.name in INFO:
        raise ValueError(f"a level named {level.name!r} is already registered")
    if level.against is not None and level.against not in INFO:
        raise ValueError(f"level {level.name!r} is against {level.against!r}, which is not registered")
    REGISTRY.append(level)
    INFO[level.name] = level
    ALL_LEVELS[level.name] = level.func
    if level.main:
        LEVELS[level.name] = level.func
    return level


def unregister(name: str) -> None:
    """Remove a level added with :func:`register`."""
    level = INFO.pop(name)
    REGISTRY.remove(level)
    ALL_LEVELS.pop(name, None)
    LEVELS.pop(name, None)


def results_ladder() -> list[str]:
    """The levels the results notebook compares, in ladder order."""
    return [lv.name for lv in REGISTRY if lv.on_results_ladder]


def what_changed(name: str) -> str:
    """What level ``name`` changes against the rung it is compared with: "tool", "algorithm" or both."""
    lv = INFO[name]
    if lv.against is None:
        return ""
    base = INFO[lv.against]
    parts = [what for what, same in (("tool", base.tool == lv.tool), ("algorithm", base.algorithm == lv.algorithm))
             if not same]
    return " and ".join(parts) + (" (its own labeling)" if lv.replaces_labeling else "")


def get_level(name: str) -> Callable:
    """The ``get_boxes`` function of level ``name``, with a helpful error for unknown names."""
    try:
        return ALL_LEVELS[name]
    except KeyError:
        raise KeyError(f"unknown level {name!r}; known levels: {', '.join(ALL_LEVELS)}") from None
