"""Show what changed between two rungs: a diff of their source, so notebooks need not repeat whole functions."""
from __future__ import annotations

import difflib
import inspect
import textwrap
from pathlib import Path


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


def _display_path(path) -> str:
    """``path`` relative to the repository (the folder above ``textpost/``), else its file name."""
    p = Path(path).resolve()
    root = Path(__file__).resolve().parent.parent
    try:
        return str(p.relative_to(root))
    except ValueError:
        return p.name


def show_excerpt(path, start: str, end: str | None = None) -> None:
    """Print the lines of a text file from the first line containing ``start`` through the next
    line containing ``end`` (without ``end``: up to the first blank line), with their line numbers.

    For walking through a source file a few lines at a time instead of printing all of it.
    Raises ``ValueError`` when a marker is not in the file (it was edited: pick new markers).
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    name = _display_path(path)
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
