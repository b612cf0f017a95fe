"""What changed between two rungs, as a diff block a notebook displays (coloured in JupyterLab and on GitHub).

:func:`textpost.notebook.show_diff` prints the diff; :func:`diff_block` returns the same text as an
IPython ``Code`` object with diff highlighting, so that a notebook shows it as a block of code, not as
printed output.
"""
from __future__ import annotations

import io
from contextlib import redirect_stdout

from IPython.display import Code

from .notebook import show_diff


def diff_text(old, new, context: int = 1) -> str:
    """The unified diff between the sources of two functions (without their docstrings), as text."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        show_diff(old, new, context=context)
    return buf.getvalue().rstrip("\n")


def diff_block(old, new, context: int = 1) -> Code:
    """The diff between two functions' sources, for a notebook to display (the last line of a cell)."""
    return Code(diff_text(old, new, context), language="diff")
