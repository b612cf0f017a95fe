"""Notebook 05 shows the package's Cython kernel, character for character, and guards every %%cython cell.

- Every kernel that a ``%%cython`` cell of ``notebooks/05_cython.ipynb`` marks with
  ``# kernel: <name>`` ... ``# end kernel`` must be the same text as that kernel in
  ``textpost/levels/cython_kernels.pyx`` (``cython_level.kernel_sources``), so the notebook
  never teaches a kernel other than the one the Cython level runs.
- A ``%%cython`` cell that fails to compile only prints its error, so in notebook 05
  and its exercise the next code cell after every ``%%cython`` cell must assert that
  the name is the compiled one; otherwise the name could still be an earlier, slow Python
  function, and the notebook would time that instead.
"""
from __future__ import annotations

import difflib
from pathlib import Path

import nbformat
import pytest

from textpost.levels.cython_level import kernel_sources

ROOT = Path(__file__).resolve().parent.parent
LECTURE = ROOT / "notebooks" / "05_cython.ipynb"
NOTEBOOKS = [LECTURE, ROOT / "solutions" / "05_cython.ipynb", ROOT / "exercises" / "05_cython.ipynb"]
#: the kernels the lecture says it shows as they are in the package
SHOWN = {"label_max_scores"}
#: what a cell that checks a %%cython cell contains
ASSERTS = ("assert_compiled(", "assert not isinstance(")


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(str(path), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _is_cython(src: str) -> bool:
    return src.lstrip().startswith("%%cython")


def _existing(paths):
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in paths]


def test_notebook_kernels_are_the_packages():
    package = kernel_sources()
    shown = {}
    for src in filter(_is_cython, _code_cells(LECTURE)):
        for name, text in kernel_sources(src).items():
            assert name in package, f"the notebook marks a kernel {name!r} that cython_kernels.pyx does not have"
            if text != package[name]:
                diff = "\n".join(difflib.unified_diff(package[name].splitlines(), text.splitlines(),
                                                      "cython_kernels.pyx", "notebook 05", lineterm=""))
                pytest.fail(f"kernel {name!r} in notebook 05 differs from textpost/levels/cython_kernels.pyx:\n{diff}")
            shown[name] = text
    missing = SHOWN - set(shown)
    assert not missing, f"notebook 05 no longer shows the kernel(s) {sorted(missing)} in a %%cython cell"


def test_kernel_sources_reads_a_cell():
    cell = "%%cython -a\nimport numpy\n\n# kernel: k\ncdef int k() noexcept nogil:\n    return 1\n# end kernel\n"
    assert kernel_sources(cell) == {"k": "cdef int k() noexcept nogil:\n    return 1"}


@pytest.mark.parametrize("path", _existing(NOTEBOOKS))
def test_every_cython_cell_is_followed_by_an_assertion(path):
    cells = _code_cells(path)
    n_cython = 0
    for i, src in enumerate(cells):
        if not _is_cython(src):
            continue
        n_cython += 1
        following = cells[i + 1] if i + 1 < len(cells) else ""
        assert any(a in following for a in ASSERTS), (
            f"{path.name}: the code cell after %%cython cell {n_cython} does not assert that the name is the "
            f"compiled one (a failed compile only prints to stderr):\n{following[:200]!r}")
    assert n_cython, f"{path.name} has no %%cython cell"
