"""Reading and testing a hand-written C++ binding from Python (notebook 06).

* :func:`show_cpp` prints a piece of the C++ level's source, found by a marker (a function's
  name, an API call such as ``PyInit_`` or ``Py_BEGIN_ALLOW_THREADS``) in whichever file of
  ``textpost/levels/cpp/`` holds it, so that the notebook keeps working when code moves
  between the source and its headers.
* :func:`resident_mb` and :func:`memory_per_call`: the process's current memory, and what
  many calls leave behind (a leak that reference counts cannot see).
* :func:`get_boxes_with_memory_cap` runs the extension in a child process that may take only a
  little more memory: how a C++ allocation failure (an exception in C++) is reached on purpose.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .config import repo_relative

#: the C++ level's folder; fused.cpp is notebook 07's and is not searched
CPP_DIR = Path(__file__).resolve().parent / "levels" / "cpp"


def _cpp_files() -> list[Path]:
    first = CPP_DIR / "textpost_cpp.cpp"
    others = sorted(p for p in CPP_DIR.glob("*.[ch]pp") if p.name not in (first.name, "fused.cpp"))
    return [first, *others]


def _comment(line: str) -> bool:
    return line.lstrip().startswith(("//", "/*", "*"))


def show_cpp(start: str, end: str | None = None, before: int = 0) -> None:
    """Print the C++ level's lines from the first code line (not a comment) containing ``start``, and
    ``before`` lines above it, through the next line containing ``end``; without ``end``, through
    the end of the function it is in (the next line that is just ``}``).  Numbered, with the file's name.

    Raises ``ValueError`` naming the marker when no file of the C++ level contains it.
    """
    for path in _cpp_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        first = next((i for i, line in enumerate(lines) if start in line and not _comment(line)), None)
        if first is not None:
            break
    else:
        raise ValueError(f"no file in {repo_relative(CPP_DIR)} has a line containing {start!r}")
    if end is None:
        last = next((i for i in range(first, len(lines)) if lines[i].rstrip() in ("}", "};")), len(lines) - 1)
    else:
        last = next((i for i in range(first, len(lines)) if end in lines[i]), None)
        if last is None:
            raise ValueError(f"{repo_relative(path)} has no line containing {end!r} after {start!r}")
    first = max(first - before, 0)
    width = len(str(last + 1))
    print(f"{repo_relative(path)}, lines {first + 1}-{last + 1}:")
    for i in range(first, last + 1):
        print(f"{i + 1:>{width}}  {lines[i]}")


def resident_mb() -> float:
    """The current (not the peak) resident memory of this process, in MB."""
    try:
        with open("/proc/self/statm") as f:                      # Linux and WSL
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:                                              # elsewhere: psutil
        import psutil
        return psutil.Process().memory_info().rss / 2**20


def memory_per_call(func, *args, calls: int = 200, expect=()) -> float:
    """kB of resident memory that each of ``calls`` calls of ``func(*args)`` leaves behind.

    Three untimed calls first, so that the allocator has its pools.  Exceptions of the types in
    ``expect`` are part of the path being tested (an error path) and are swallowed.
    """
    def once():
        try:
            func(*args)
        except expect or ():
            pass
    for _ in range(3):
        once()
    before = resident_mb()
    for _ in range(calls):
        once()
    return 1024 * (resident_mb() - before) / calls


def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


def _capped_get_boxes(headroom_mb: float, shape: tuple):
    import resource

    import numpy as np

    from .levels.cpp_level import load_extension
    get_boxes = load_extension().get_boxes            # the extension's own function: no checks in Python
    page = np.zeros(shape, np.float32)                # taken before the cap
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + int(headroom_mb * 2**20), resource.RLIM_INFINITY))
    return get_boxes(page, page)


def get_boxes_with_memory_cap(headroom_mb: float, shape: tuple):
    """The C++ level's own ``get_boxes`` on a blank page of ``shape``, in a fresh child process that
    may then take at most ``headroom_mb`` MB more memory.  Returns the boxes, or raises here the
    exception the call raised there (a C++ allocation failure comes back as ``RuntimeError``).

    This process is untouched, whatever happens in the child.  Linux only (the cap is
    ``RLIMIT_AS`` on the address space read from ``/proc``).
    """
    if not sys.platform.startswith("linux"):
        raise OSError("get_boxes_with_memory_cap needs Linux: it caps the address space read from /proc")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_capped_get_boxes, headroom_mb, tuple(shape)).result()
