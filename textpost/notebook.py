"""Helpers for the notebooks: show what changed between rungs, walk through a source
file, and make sure a ``%%cython`` cell really compiled.

* :func:`show_diff` prints the diff between two functions' sources, so a notebook need
  not repeat a whole function; :func:`show_excerpt` prints a few numbered lines of a file.
* A ``%%cython`` cell that fails to compile only prints its error and leaves any
  earlier (Python) definition of the name in place, so every such cell is followed
  by :func:`assert_compiled`.  :func:`print_annotation` prints Cython's annotation
  (``%%cython -a``) as text: it reads on GitHub and in a terminal, where the HTML does not.
* :func:`claim` checks a claim of the prose on this run, and :func:`show_table` prints the
  run's numbers beside it (both from :mod:`textpost.claims`, with the few helpers claims need).
"""
from __future__ import annotations

import difflib
import inspect
import re
import sys
import textwrap
import types
from html import unescape
from pathlib import Path

from .config import repo_relative
from .claims import (ClaimFailed, Ratio, Saving, batch_seconds, claim, meets_target,  # noqa: F401
                     ratio, saving, show_table, target_status, time_batches, vs_floor)


def source(func) -> str:
    """The source of ``func`` (numba dispatchers and register_jitable functions included)."""
    func = getattr(func, "py_func", func)
    return textwrap.dedent(inspect.getsource(func))


def _strip_docstring(src: str) -> list[str]:
    lines = src.splitlines()
    out, in_doc, quote = [], False, None
    for i, line in enumerate(lines):
        s = line.strip()
        if not in_doc and quote is None and i > 0 and (s.startswith('"""') or s.startswith("'''")) \
                and not out[-1].strip().startswith("#") and out and out[-1].rstrip().endswith(":"):
            quote = s[:3]
            if s.count(quote) >= 2 and len(s) > 3:
                continue
            in_doc = True
            continue
        if in_doc:
            if quote in s:
                in_doc = False
            continue
        out.append(line)
    return out


def show_diff(old, new, context: int = 1, docstrings: bool = False) -> None:
    """Print a unified diff between the sources of two functions (without their docstrings)."""
    a, b = source(old), source(new)
    a_lines = a.splitlines() if docstrings else _strip_docstring(a)
    b_lines = b.splitlines() if docstrings else _strip_docstring(b)
    name_a = getattr(old, "__name__", "old")
    name_b = getattr(new, "__name__", "new")
    diff = difflib.unified_diff(a_lines, b_lines, name_a, name_b, n=context, lineterm="")
    text = "\n".join(diff)
    print(text if text else f"{name_a} and {name_b} have the same code")


def show_excerpt(path, start: str, end: str | None = None) -> None:
    """Print the lines of a text file from the first line containing ``start`` through the next
    line containing ``end`` (without ``end``: up to the first blank line), with their line numbers.

    For walking through a source file a few lines at a time instead of printing all of it.
    Raises ``ValueError`` when a marker is not in the file (it was edited: pick new markers).
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    name = repo_relative(path)
    first = next((i for i, line in enumerate(lines) if start in line), None)
    if first is None:
        raise ValueError(f"{name} has no line containing {start!r}")
    if end is None:
        last = next((i - 1 for i in range(first + 1, len(lines)) if not lines[i].strip()), len(lines) - 1)
    else:
        last = next((i for i in range(first, len(lines)) if end in lines[i]), None)
        if last is None:
            raise ValueError(f"{name} has no line containing {end!r} after line {first + 1}")
    width = len(str(last + 1))
    print(f"{name}, lines {first + 1}-{last + 1}:")
    for i in range(first, last + 1):
        print(f"{i + 1:>{width}}  {lines[i]}")


def assert_compiled(*funcs) -> None:
    """Fail here if a ``%%cython`` cell did not compile (it only prints its error) and left a Python function."""
    for f in funcs:
        assert not isinstance(f, types.FunctionType), \
            f"{f.__name__} is a Python function: the %%cython cell above did not compile (read its error)"
        print(f"{f.__name__}: {type(f).__name__}, compiled")


def print_annotation(func, start: str = "def ", stop: str | None = None):
    """Cython's annotation of the cell that defined ``func``, as text.

    Prints each line's score, from the line containing ``start`` to the one containing
    ``stop``.  The score counts the calls into Python's C API in the C code of that line
    (weighted): 0 is plain C (white in ``%%cython -a``), the higher the yellower.
    Returns ``(lines calling into Python, statement lines)``.
    """
    pyx = Path(sys.modules[func.__module__].__file__).with_name(func.__module__ + ".pyx")
    if not pyx.with_suffix(".html").exists():          # compiled without -a: annotate its source now
        from Cython.Compiler.Main import compile as cython_compile
        cython_compile(str(pyx), annotate=True, language_level=3)
    rows = re.findall(r'<pre class="cython line score-(\d+)"[^>]*>(.*?)</pre>',
                      pyx.with_suffix(".html").read_text(encoding="utf-8"), re.S)
    lines = [(int(s), unescape(re.sub(r"<[^>]+>", "", body)).split(": ", 1)[1]) for s, body in rows]
    first = next(i for i, (_, c) in enumerate(lines) if start in c)
    last = next((i for i, (_, c) in enumerate(lines) if stop and i > first and stop in c), len(lines) - 1)
    shown = [(s, c) for s, c in lines[first:last + 1] if c.strip()]
    for s, c in shown:
        print(f"{s:>5}  {c}")
    statements = [s for s, c in shown if not c.strip().startswith(("#", '"""'))]
    yellow = sum(s > 0 for s in statements)
    print(f"-> {yellow} of {len(statements)} lines call into Python (score > 0)")
    return yellow, len(statements)
