"""Helpers for notebooks that compile code in cells (``%%cython``).

A ``%%cython`` cell that fails to compile only prints its error and leaves any
earlier (Python) definition of the name in place, so every such cell is followed
by :func:`assert_compiled`.  :func:`print_annotation` prints Cython's annotation
(``%%cython -a``) as text: it reads on GitHub and in a terminal, where the HTML does not.
"""
from __future__ import annotations

import re
import sys
import types
from html import unescape
from pathlib import Path


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
