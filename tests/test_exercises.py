"""Exercises stay in sync with solutions/, generation is safe, and the exercise checker works."""
from __future__ import annotations

import importlib.util
import inspect
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from line_profiler import LineProfiler

from textpost import check as check_module
from textpost import config
from textpost.check import check_hot_line, check_solution
from textpost.compare import compare_boxes
from textpost.data import SAMPLES, load_sample
from textpost.levels.reference import get_boxes
from textpost.synth import make_page

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "make_exercises.py"


def _load_tool():
    spec = importlib.util.spec_from_file_location("make_exercises", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_exercises", module)
    spec.loader.exec_module(module)
    return module


make_exercises = _load_tool()


def run_tool(*args, cwd=ROOT):
    """Run make_exercises.py in a fresh process without a terminal on stdin (as in CI)."""
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------- the repository

def test_repository_exercises_are_up_to_date(capsys):
    code = make_exercises.main(["--check"])
    out = capsys.readouterr()
    assert code == 0, (
        "exercises/ is out of date; run `make exercises` and commit the result\n" + out.out + out.err)


def test_command_line_check_exits_non_zero(tmp_path):
    """The script itself, as `make exercises` and CI call it."""
    make_solution(tmp_path / "solutions" / "09_synthetic.ipynb")
    r = run_tool("--solutions", tmp_path / "solutions", "--exercises", tmp_path / "exercises", "--check")
    assert r.returncode == 1 and "09_synthetic.ipynb" in r.stdout


# --------------------------------------------------------------------------- a synthetic solution notebook

PY_CELL = """\
def get_boxes_roi(textmap, linkmap):
    boxes = []
    for k in range(3):
        ### BEGIN SOLUTION
        secret_python_body = k * 2
        boxes.append(secret_python_body)
        ### END SOLUTION
    return boxes"""

PY_TOP_CELL = """\
x = 1
### BEGIN SOLUTION crop the labels to the component's box
secret_top_level = x + 1
### END SOLUTION
y = 2"""

MD_CELL = """\
**Question:** why is the reference slow? Write your answer in the cell below."""

CYTHON_CELL = """\
%%cython
import numpy as np
cpdef int count(unsigned char[:, :] mask):
    cdef Py_ssize_t i, j
    cdef int n = 0
    ### BEGIN SOLUTION
    for i in range(mask.shape[0]):
        for j in range(mask.shape[1]):
            n += mask[i, j] != 0  # secret_cython_loop
    ### END SOLUTION
    return n"""

CPP_CELL = """\
%%writefile boxes_level.cpp
#include <stdexcept>
#include <vector>

int count_nonzero(const unsigned char* p, int n) {
    int total = 0;
    // ### BEGIN SOLUTION
    for (int i = 0; i < n; ++i) total += p[i] != 0;  // secret_cpp_loop
    // ### END SOLUTION
    return total;
}

int other(int n) {
    ### BEGIN SOLUTION
    return n + 1;  // secret_cpp_plain_markers
    ### END SOLUTION
}"""

def make_solution(path: Path, extra_cell: str = "") -> None:
    cells = [
        new_markdown_cell("# 09 Synthetic exercise"),
        new_code_cell(PY_CELL, execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="secret_output_text\n")],
                      metadata={"tags": ["keep-me"], "execution": {"iopub.execute_input": "2024-01-01"}}),
        new_code_cell(PY_TOP_CELL, execution_count=4,
                      outputs=[new_output("execute_result", data={"text/plain": "secret_result"},
                                          execution_count=4)]),
        new_markdown_cell(MD_CELL),
        new_code_cell(CYTHON_CELL),
        new_code_cell(CPP_CELL),
        new_code_cell("from textpost.check import check_solution\ncheck_solution(get_boxes_roi)"),
    ]
    if extra_cell:
        cells.append(new_code_cell(extra_cell))
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "widgets": {"secret_widget_state": {}}})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


@pytest.fixture
def workdir(tmp_path):
    make_solution(tmp_path / "solutions" / "09_synthetic.ipynb")
    return tmp_path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def generate(monkeypatch, capsys):
    """Run the tool in this process (importing nbformat again per run is slow), stdin not a terminal."""
    def run(workdir, *extra):
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = make_exercises.main(["--solutions", str(workdir / "solutions"),
                                    "--exercises", str(workdir / "exercises"), *extra])
        out = capsys.readouterr()
        return Run(code, out.out, out.err)
    return run


def test_generation_replaces_regions_with_stubs(workdir, generate):
    r = generate(workdir)
    assert r.returncode == 0, r.stdout + r.stderr
    path = workdir / "exercises" / "09_synthetic.ipynb"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert "secret" not in text.lower(), "solution text leaked into the exercise"
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text

    nb = nbformat.reads(text, as_version=4)
    assert nb.metadata.kernelspec.name == "python3" and "widgets" not in nb.metadata
    sources = [c.source for c in nb.cells]
    assert len(nb.cells) == 7

    # Python: the stub sits at the region's indentation and the cell still compiles
    py = sources[1]
    assert "        # YOUR CODE HERE" in py
    assert "        raise NotImplementedError(" in py
    assert py.rstrip().endswith("return boxes")
    compile(py, "<py>", "exec")
    top = sources[2]
    assert "# YOUR CODE HERE: crop the labels to the component's box" in top
    assert top.splitlines()[0] == "x = 1" and top.splitlines()[-1] == "y = 2"
    compile(top, "<top>", "exec")

    assert sources[3] == MD_CELL

    # Cython: the same Python-style stub inside the def
    cy = sources[4]
    assert cy.startswith("%%cython")
    assert "    raise NotImplementedError(" in cy and cy.rstrip().endswith("return n")

    # C++: both marker forms become a throw between BEGIN/END YOUR CODE
    cpp = sources[5]
    assert cpp.startswith("%%writefile boxes_level.cpp")
    assert cpp.count("// BEGIN YOUR CODE") == 2 and cpp.count("// END YOUR CODE") == 2
    assert cpp.count('throw std::runtime_error("not implemented yet') == 2
    assert "raise NotImplementedError" not in cpp

    # outputs, execution counts and timing metadata are gone; other metadata stays
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "execution" not in cell.metadata
    assert nb.cells[1].metadata.tags == ["keep-me"]

    manifest = json.loads((workdir / "exercises" / ".generated.json").read_text())
    assert set(manifest) == {"09_synthetic.ipynb"}

    # deterministic: generating again changes nothing, and --check agrees
    r = generate(workdir)
    assert r.returncode == 0 and path.read_text(encoding="utf-8") == text
    assert generate(workdir, "--check").returncode == 0


def test_unbalanced_markers_are_an_error():
    tool = make_exercises
    with pytest.raises(tool.GenerationError, match="never closed"):
        tool.stub_source("a = 1\n### BEGIN SOLUTION\nb = 2\n", "python")
    with pytest.raises(tool.GenerationError, match="without BEGIN"):
        tool.stub_source("### END SOLUTION\n", "python")
    with pytest.raises(tool.GenerationError, match="not supported in markdown cell"):
        tool.stub_source("Answer:\n### BEGIN SOLUTION\nsecret\n### END SOLUTION\n", "markdown cell")


def test_edited_exercise_is_not_overwritten(workdir, generate):
    assert generate(workdir).returncode == 0
    exercise = workdir / "exercises" / "09_synthetic.ipynb"

    # the learner writes an answer
    nb = nbformat.read(str(exercise), as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError", "pass  # my answer #")
    nbformat.write(nb, str(exercise))
    edited = exercise.read_text(encoding="utf-8")

    # the solution changes, so generation would write something new
    make_solution(workdir / "solutions" / "09_synthetic.ipynb", extra_cell="print('a new cell')")

    r = generate(workdir, "--check")
    assert r.returncode != 0
    assert "09_synthetic.ipynb" in r.stdout
    assert exercise.read_text(encoding="utf-8") == edited, "--check must never write"

    r = generate(workdir)                        # no terminal: skip, and say how to overwrite
    assert exercise.read_text(encoding="utf-8") == edited
    assert "--force" in r.stdout + r.stderr

    r = generate(workdir, "--force")
    assert r.returncode == 0
    text = exercise.read_text(encoding="utf-8")
    assert "my answer" not in text and "a new cell" in text
    assert generate(workdir, "--check").returncode == 0


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("answer", ["n", "y"])
def test_edited_exercise_asks_on_a_terminal(workdir, generate, monkeypatch, capsys, answer):
    assert generate(workdir).returncode == 0
    exercise = workdir / "exercises" / "09_synthetic.ipynb"
    exercise.write_text(exercise.read_text(encoding="utf-8").replace("raise NotImplementedError", "pass #"),
                        encoding="utf-8")
    edited = exercise.read_text(encoding="utf-8")
    make_solution(workdir / "solutions" / "09_synthetic.ipynb", extra_cell="print('a new cell')")
    monkeypatch.setattr(sys, "stdin", _Terminal(answer + "\n"))
    assert make_exercises.main(["--solutions", str(workdir / "solutions"),
                                "--exercises", str(workdir / "exercises")]) == 0
    assert "overwrite? [y/N]" in capsys.readouterr().out
    assert (exercise.read_text(encoding="utf-8") == edited) == (answer == "n")


def test_stale_unedited_exercise_is_regenerated(workdir, generate):
    assert generate(workdir).returncode == 0
    make_solution(workdir / "solutions" / "09_synthetic.ipynb", extra_cell="print('a new cell')")
    assert generate(workdir, "--check").returncode != 0
    r = generate(workdir)                        # unedited since generation: no question asked
    assert r.returncode == 0
    assert "a new cell" in (workdir / "exercises" / "09_synthetic.ipynb").read_text(encoding="utf-8")
    assert generate(workdir, "--check").returncode == 0


def test_check_reports_missing_exercise(workdir, generate):
    r = generate(workdir, "--check")
    assert r.returncode != 0 and "missing" in r.stdout
    assert not (workdir / "exercises").exists(), "--check must never write"


# --------------------------------------------------------------------------- the checker

FAST = ("edge_cases", "sparse")      # the two small samples: the checker runs in well under a second


def test_expected_boxes_are_the_references():
    """The checker's stored answers are what the reference returns (on the fast samples)."""
    for name in FAST:
        page = load_sample(name)
        assert compare_boxes(get_boxes(page.textmap, page.linkmap), check_module.expected_boxes(name)).identical


def test_checker_passes_the_reference(capsys):
    assert check_solution(get_boxes, FAST) is True
    out = capsys.readouterr().out
    n = len(check_module.load_cases()) + len(FAST)
    assert f"All {n} cases match." in out and "edge_cases" in out and "faint_l" in out
    assert "Usual cause" not in out and " ms" not in out, "a passing check prints no hint and times nothing"


def test_checker_reports_a_missing_box_and_its_usual_cause(capsys):
    def drop_last(textmap, linkmap, *thresholds):
        return get_boxes(textmap, linkmap, *thresholds)[:-1]

    assert check_solution(drop_last, FAST, cases=False) is False
    out = capsys.readouterr().out
    assert "2 of 2 cases differ." in out
    n = len(check_module.expected_boxes("sparse"))
    assert f"{n - 1} boxes, expected {n}; expected without a match: (" in out and "the two filters" in out


@pytest.mark.parametrize("shift, cause", [(1.0, "boxes of the right size, one pixel off"),
                                          (200.0, "add the region's origin (sx, sy) back")])
def test_checker_names_the_usual_cause_of_shifted_boxes(shift, cause, capsys):
    def shifted(textmap, linkmap, *thresholds):
        return get_boxes(textmap, linkmap, *thresholds) + np.float32(shift)

    assert check_solution(shifted, FAST) is False
    assert cause in capsys.readouterr().out


def test_checker_respects_tol(capsys):
    def shifted(textmap, linkmap, *thresholds):
        return get_boxes(textmap, linkmap, *thresholds) + np.float32(0.3)

    assert check_solution(shifted, FAST) is False
    assert check_solution(shifted, FAST, tol=0.5) is True


def test_checker_is_friendly_about_not_implemented(capsys):
    def stub(textmap, linkmap, *thresholds):
        raise NotImplementedError("exercise: replace this line with your solution")

    assert check_solution(stub, FAST) is False
    out = capsys.readouterr().out
    assert out.count("not implemented yet: write your solution in the cell above") == 1


def test_checker_reports_other_exceptions_without_raising(capsys):
    def broken(textmap, linkmap, *thresholds):
        return textmap.no_such_attribute

    def nothing(textmap, linkmap, *thresholds):
        pass

    assert check_solution(broken, FAST) is False
    out = capsys.readouterr().out
    assert "AttributeError" in out and "no_such_attribute" in out
    assert check_solution(nothing, FAST) is False
    assert "returned None" in capsys.readouterr().out


def test_checker_rejects_a_non_function():
    with pytest.raises(TypeError, match="function"):
        check_solution(np.zeros((0, 4, 2)))


def test_default_samples_are_stored_samples():
    assert set(check_module.SAMPLES) <= set(SAMPLES) and "dense" not in check_module.SAMPLES


def test_hot_line_needs_an_answer_that_names_one_line(capsys):
    from textpost.profile_exercise import get_boxes_mystery
    lines, first = inspect.getsourcelines(get_boxes_mystery)
    assert not check_hot_line(get_boxes_mystery, "=")           # in many lines
    assert not check_hot_line(get_boxes_mystery, "k")
    assert "exactly one line" in capsys.readouterr().out
    lp = LineProfiler(get_boxes_mystery)
    page = make_page(config.WORKSHOP_WORDS, config.SIZE, seed=7)
    lp.runcall(get_boxes_mystery, page.textmap, page.linkmap)
    from textpost.profiling import line_shares, top_lines
    hot = top_lines(line_shares(lp, get_boxes_mystery), 1)[0]
    assert check_hot_line(get_boxes_mystery, hot.lineno)
    assert check_hot_line(get_boxes_mystery, lines[hot.lineno - first].strip())
    assert not check_hot_line(get_boxes_mystery, first)         # the def line is never the hot one


# --------------------------------------------------------------------------- Run All with the stretch goals skipped

#: per exercise, text found only in the cells of its optional (stretch) part: those keep the exercise's stub
STRETCH_CELLS = {
    "02_measure.ipynb": ["def largest_share("],
    "03_python_level.ipynb": ["def get_boxes_my_fast("],
    "04_numba.ipynb": ["def my_label_max_scores_rows("],
    "05_cython.ipynb": [],          # its stretch goal is an edit of the solved kernel, no stub
    "06_cpp.ipynb": [],             # likewise: an edit of the solved loop
    "07_fused.ipynb": ["def run_labels("],
}


def _without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if not line.strip().lstrip("/ ").startswith(("### BEGIN SOLUTION", "### END SOLUTION")))


def required_parts_solved(name: str):
    """The exercise notebook with its required parts filled in from solutions/, its stretch parts left as stubs."""
    exercise = nbformat.read(str(ROOT / "exercises" / name), as_version=4)
    solution = nbformat.read(str(ROOT / "solutions" / name), as_version=4)
    solution.cells = [c for c in solution.cells if "solution-only" not in c.metadata.get("tags", [])]
    assert len(exercise.cells) == len(solution.cells), f"{name}: exercise and solution cells do not line up"
    stubs = 0
    for ex, sol in zip(exercise.cells, solution.cells):
        if ex.cell_type != "code" or ex.source == sol.source:
            continue
        if any(text in sol.source for text in STRETCH_CELLS[name]):
            stubs += 1
            continue
        ex.source = _without_markers(sol.source)
    assert stubs == len(STRETCH_CELLS[name]), f"{name}: the stretch cells were not found"
    return exercise


def test_every_exercise_is_listed():
    assert sorted(STRETCH_CELLS) == sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.skipif(not config.QUICK, reason="runs every exercise notebook: quick mode only (make test)")
def test_exercises_run_green_with_only_the_required_parts_solved(tmp_path):
    """Run All on every exercise with the required parts solved and the stretch goals skipped, under nbval."""
    for name in STRETCH_CELLS:
        nbformat.write(required_parts_solved(name), str(tmp_path / name))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env",
                        "-p", "no:cacheprovider", *sorted(STRETCH_CELLS)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
