"""Show what changed between two rungs: a diff of their source, so notebooks need not repeat whole functions."""
from __future__ import annotations

import difflib
import inspect
import textwrap


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
