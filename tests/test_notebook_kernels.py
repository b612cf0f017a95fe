"""Kernels that a notebook shows in a cell are the package's kernels, word for word.

A lecture notebook may define a kernel in a cell (to time it interpreted and
compiled on the spot) instead of importing it.  The text a learner reads must
then be exactly the function the package runs: each entry below names a
notebook, a function defined in one of its code cells, and the package function
it must equal (decorators and docstring included, compared after dedenting).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import nbformat
import pytest

from textpost.levels import kernels as loops

ROOT = Path(__file__).resolve().parent.parent

#: (notebook, name of the function defined in a cell, the package's function)
SHOWN_KERNELS = [
    ("notebooks/04_numba.ipynb", "binarize", loops.binarize),
]


def _normalise(src: str) -> str:
    return "\n".join(line.rstrip() for line in textwrap.dedent(src).strip("\n").splitlines())


def cell_function_sources(path: Path, name: str) -> list[str]:
    """The source text (decorators included) of every top-level ``def name`` in the notebook's code cells."""
    nb = nbformat.read(str(path), as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or f"def {name}" not in cell.source:
            continue
        # IPython magics are not Python: blank them out (keeping line numbers) before parsing
        text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                         for line in cell.source.splitlines())
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found.append("\n".join(lines[first - 1:node.end_lineno]))
    return found


@pytest.mark.parametrize("notebook, name, func", SHOWN_KERNELS,
                         ids=[f"{nb}::{name}" for nb, name, _ in SHOWN_KERNELS])
def test_cell_kernel_is_the_package_kernel(notebook, name, func):
    path = ROOT / notebook
    sources = cell_function_sources(path, name)
    assert len(sources) == 1, f"{notebook}: expected one cell defining {name}(), found {len(sources)}"
    package = inspect.getsource(getattr(func, "py_func", func))
    assert _normalise(sources[0]) == _normalise(package), (
        f"{notebook}: the cell's {name}() differs from {func.__module__}.{func.__name__}; "
        "copy the package's function into the cell (or change both)")


def test_cell_function_sources_finds_decorated_defs(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%timeit 1\n@deco\ndef f(x):\n    return x\n\ny = f(1)"),
        nbformat.v4.new_code_cell("def g():\n    pass"),
        nbformat.v4.new_markdown_cell("def f(): not code"),
    ])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    assert cell_function_sources(path, "f") == ["@deco\ndef f(x):\n    return x"]
    assert cell_function_sources(path, "h") == []
