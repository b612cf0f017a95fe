"""The registry is the one place a level is added (textpost/levels/__init__.py).

A throwaway level, a Python function that calls the reference, is added by touching only the
registry (``register(Level(...))``) and then goes through everything that iterates over the
ladder: the benchmark (its sweep and its command line), the level tests' own checks (the
functions of tests/test_levels.py, called on it) and the results notebook's code
(textpost/results.py).  It is removed again after each test.
"""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import test_levels  # the level tests' checks, called here on the throwaway level
from textpost import bench, results
from textpost.levels import (ALL_LEVELS, FULL_MAP, INFO, LEVELS, REGISTRY, Level, get_level, register,
                             results_ladder, unregister, what_changed)
from textpost.levels.reference import get_boxes as get_boxes_reference
from textpost.synth import make_page

matplotlib.use("Agg")

NAME = "throwaway"
#: small samples, where the reference takes well under a second
SMALL_SAMPLES = ("edge_cases", "real_rotated", "sparse")


def get_boxes_throwaway(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """A level that only calls the reference (a docstring: not counted as code)."""
    return get_boxes_reference(textmap, linkmap, text_threshold, link_threshold, low_text)


@pytest.fixture
def throwaway():
    level = register(Level(NAME, get_boxes_throwaway, "python", FULL_MAP, "08", against="reference",
                           style=("#999999", "h"), sources=(get_boxes_throwaway,)))
    try:
        yield level
    finally:
        unregister(NAME)


def test_register_and_unregister(throwaway):
    assert INFO[NAME] is throwaway and REGISTRY[-1] is throwaway
    assert LEVELS[NAME] is ALL_LEVELS[NAME] is get_level(NAME) is get_boxes_throwaway
    assert results_ladder()[-1] == NAME
    assert what_changed(NAME) == ""                       # same tool, same algorithm as its rung
    with pytest.raises(ValueError, match="already registered"):
        register(throwaway)
    with pytest.raises(ValueError, match="not registered"):
        register(Level("orphan", get_boxes_throwaway, "python", FULL_MAP, "08", against="no_such_level"))
    unregister(NAME)
    assert NAME not in INFO and NAME not in LEVELS and NAME not in ALL_LEVELS and NAME not in results_ladder()
    register(throwaway)                                   # back, for the fixture to remove


def test_the_benchmark_runs_it(throwaway):
    record = bench.run_sweep(["python", NAME], [5, 20], size=128, repeat=2, progress=False)
    rows = [r for r in record["results"] if r["level"] == NAME]
    assert [r["n_words"] for r in rows] == [5, 20]
    assert all(r["same_boxes"] and r["max_dev_px"] == 0 and r["runs"] == 2 for r in rows), rows
    assert all(r["tool"] == "python" and r["algorithm"] == FULL_MAP for r in rows)
    assert NAME in bench.format_table(record)
    assert bench.main(["--levels", f"python,{NAME}", "--n", "5", "--size", "128", "--repeat", "1",
                       "--no-progress"]) == 0


def test_the_level_tests_pass_on_it(throwaway):
    samples = {name: test_levels.load_sample(name) for name in SMALL_SAMPLES}
    for sample in SMALL_SAMPLES:
        test_levels.test_level_matches_reference_on_samples(NAME, sample, samples)
    for seed, n, size, angle in [(101, 60, (300, 420), 0), (103, 15, 128, 40), (104, 0, 64, 0)]:
        test_levels.test_level_matches_reference_on_unseen_pages(NAME, seed, n, size, angle)
    test_levels.test_converted_inputs_give_the_same_boxes(NAME)


def test_the_level_checks_can_fail(throwaway):
    """The same checks reject a level whose boxes are off by a pixel (so passing above means something)."""
    register(Level("off_by_one", lambda t, l, *a: get_boxes_throwaway(t, l, *a) + np.float32(1), "python",
                   FULL_MAP, "08", against=NAME))
    try:
        with pytest.raises(AssertionError):
            test_levels.test_level_matches_reference_on_unseen_pages("off_by_one", 103, 15, 128, 40)
        assert not results.check_rows(["off_by_one"], samples=["edge_cases"])[0]["agrees"]
    finally:
        unregister("off_by_one")


def test_the_results_notebook_runs_it(throwaway):
    levels = ["reference", "python", NAME]
    assert {r["level"]: r["notebook"] for r in results.rung_rows()}[NAME] == "08"
    checked = results.check_rows([NAME], samples=SMALL_SAMPLES)
    assert checked == [{"level": NAME, "samples": 3, "tolerance (px)": 0.0, "largest distance (px)": 0.0,
                        "agrees": True}]
    run = results.sweep(levels, words=[5, 20], slow_words=[5, 20], size=128, real="real_rotated", repeat=2,
                        slow_repeat=2, progress=False)
    assert run.levels == levels and run.words == [5, 20]
    assert run.runs(NAME, 20) == 2 and (NAME, 20) in run.times      # a full-map level: the slow sweep
    assert (NAME, run.real_words) not in run.real_times               # ... which skips the real page
    row = next(r for r in results.ladder_rows(run, 20) if r["level"] == NAME)
    assert row["against"] == "reference" and row["changed"] == "" and row["vs floor"] == "above"
    assert [r["page"] for r in results.port_rows(run, NAME)] == ["5 words", "20 words"]
    assert NAME in [r["level"] for r in results.target_rows(run, 20)]
    assert results.line_rows([NAME]) == [{"level": NAME, "lines of code": 2, "counted in": "get_boxes_throwaway"}]
    assert isinstance(results.swapped_pairs(run, min_words=5), list)
    fig = results.plot_ladder(run)
    assert any(NAME in t.get_text() for t in fig.legends[0].get_texts())
    results.plot_page(run, 20, real=False)
    matplotlib.pyplot.close("all")


def test_a_new_level_shows_in_the_results_by_default(throwaway):
    """Nothing in the results notebook's code keeps its own list of levels."""
    assert NAME in [r["level"] for r in results.rung_rows()]
    assert NAME in [r["level"] for r in results.line_rows()]
    p = make_page(5, 96, seed=1)
    assert np.array_equal(INFO[NAME].func(p.textmap, p.linkmap), get_boxes_reference(p.textmap, p.linkmap))


def test_code_lines_counts_code_only(tmp_path):
    """The results notebook's line counter: no blank lines, comments or docstrings, in Python and C++."""
    py = tmp_path / "a.py"
    py.write_text('"""Module doc."""\nimport os\n\n\ndef f(x):\n    """Doc,\n    two lines."""\n'
                  '    # a comment\n    s = """not a docstring"""\n    return (x +\n            1)\n')
    cpp = tmp_path / "a.cpp"
    cpp.write_text("// head\n#include <x>\n/* a\n   block */\nint f() {  // trailing\n\n  return 1; /* x */\n}\n")
    assert results.code_lines(py) == 5            # import, def, s = ..., and the return over two lines
    assert results.code_lines(cpp) == 4
