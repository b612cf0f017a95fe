"""The measuring tools: the benchmark CLI and its JSON, the comparison, the line-profile helper."""
import json
import subprocess
import sys

import numpy as np
import pytest

from textpost.compare import compare_boxes, match_words
from textpost.synth import make_page


def test_bench_cli_prints_a_table_and_writes_the_json(tmp_path):
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "textpost.bench", "--levels", "reference,python",
                        "--n", "5,20", "--size", "160", "--repeat", "2", "--json", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "(floor)" in r.stdout and "(threshold)" in r.stdout and "labeling alone" in r.stdout
    assert "box-cropped, trimmed" in r.stdout and "full map per label" in r.stdout     # the algorithms
    rec = json.loads(out.read_text())
    assert {"results", "floor", "threshold", "machine", "settings"} <= set(rec)
    assert len(rec["results"]) == 4 and len(rec["floor"]) == len(rec["threshold"]) == 2
    for row in rec["results"] + rec["floor"] + rec["threshold"]:
        assert {"n_words", "median_s", "min_s", "max_s", "runs"} <= set(row)
        assert row["min_s"] <= row["median_s"] <= row["max_s"] and row["runs"] == 2
    for row in rec["results"]:
        assert {"level", "tool", "algorithm", "n_boxes"} <= set(row) and row["tool"] == "python"
    py = [row for row in rec["results"] if row["level"] == "python"]
    assert all(row["max_dev_px"] == 0.0 for row in py)          # identical to the reference
    assert rec["machine"]["opencv_threads"] == 1 and rec["settings"]["threads"] == 1
    assert rec["machine"]["cores"] >= 1 and rec["machine"]["opencv"]


def test_bench_cli_rejects_unknown_levels():
    r = subprocess.run([sys.executable, "-m", "textpost.bench", "--levels", "nope"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown level" in r.stderr


def _boxes():
    return make_page(20, 200, seed=3).words.copy()


def test_compare_identical():
    b = _boxes()
    c = compare_boxes(b, b.copy())
    assert c.identical and c.ok and c.max_dist == 0


def test_compare_reports_the_largest_corner_distance():
    a, b = _boxes(), _boxes()
    a[4, 2] += (0.3, 0.4)
    c = compare_boxes(a, b, tol=0.51)
    assert c.ok and not c.identical and c.worst == 4 and abs(c.max_dist - 0.5) < 1e-4
    assert not compare_boxes(a, b, tol=0.4).ok


def test_compare_detects_count_and_order():
    b = _boxes()
    c = compare_boxes(b[:-1], b)
    assert not c.ok and not c.same_count and c.unmatched == 1
    swapped = b.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    c = compare_boxes(swapped, b)
    assert not c.ok and not c.same_order and c.max_dist == 0 and "ORDER" in str(c)


def test_compare_detects_a_rotated_corner_order():
    b = _boxes()
    a = b.copy()
    a[2] = np.roll(a[2], 1, axis=0)
    assert not compare_boxes(a, b, tol=0.5).ok


def test_match_words_counts_recovered_words():
    p = make_page(15, 200, seed=4, low_confidence=0.0)
    assert match_words(p.words, p.words) == (15, 15, 15)
    assert match_words(p.words[:10], p.words)[0] == 10


def test_print_profile_shows_the_table(capsys):
    from textpost.profiling import profile_lines, top_lines
    from textpost.levels.reference import get_boxes
    p = make_page(10, 160, seed=1)
    boxes, shares = profile_lines(get_boxes, p.textmap, p.linkmap)
    out = capsys.readouterr().out
    assert "Line #" in out and "get_boxes" in out and "/work/" not in out
    assert len(boxes) > 0 and abs(sum(s.share for s in shares) - 1) < 1e-6
    assert top_lines(shares, 1)[0].hits >= 1


def test_word_box_cases_uses_match_words_matching():
    """One found word, one split in two boxes, two words merged in one box, one box of no word."""
    from textpost.compare import match_word_boxes
    from textpost.plots import word_box_cases

    def quad(l, t, r, b):
        return [[l, t], [r, t], [r, b], [l, b]]
    words = [quad(0, 0, 40, 10), quad(100, 0, 160, 10), quad(0, 50, 30, 60), quad(34, 50, 64, 60)]
    boxes = [quad(0, 0, 40, 10), quad(100, 0, 128, 10), quad(132, 0, 160, 10), quad(0, 50, 64, 60),
             quad(300, 300, 320, 310)]
    cases = word_box_cases(boxes, words)
    assert cases["matched"] == {0: 0} == match_word_boxes(boxes, words)[0]
    assert match_words(boxes, words) == (1, 4, 5)
    assert cases["split"] == {1: [1, 2]} and cases["merged"] == {3: [2, 3]}
    assert cases["missed"] == [1, 2, 3] and cases["extra"] == [1, 2, 3, 4]
    assert cases["reason"][1].startswith("split into 2 boxes")


def test_scaling_plot_draws_each_level_in_its_registry_style():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.colors import to_rgba
    from textpost.levels import INFO
    from textpost.plots import plot_scaling
    row = {"n_words": 10, "median_s": 0.01, "min_s": 0.009, "max_s": 0.012}
    record = {"results": [{**row, "level": "python"}, {**row, "level": "numba"}], "floor": [row],
              "settings": {"size": 64}}
    ax = plot_scaling(record).axes[0]
    lines = {c.get_label(): c.lines[0] for c in ax.containers}          # errorbar: (data line, caps, bars)
    for name in ("python", "numba"):
        color, marker = INFO[name].style
        assert to_rgba(lines[name].get_color()) == to_rgba(color) and lines[name].get_marker() == marker
    assert "floor: labeling alone" in [ln.get_label() for ln in ax.get_lines()]

def test_bench_max_angle_rotates_the_synthetic_page():
    """--max-angle runs on a page of rotated words: other boxes than the upright page's, and it says so."""
    from textpost.bench import run_sweep
    upright = run_sweep(["python"], [30], size=192, repeat=1, progress=False, check=False)
    rotated = run_sweep(["python"], [30], size=192, repeat=1, progress=False, check=False, max_angle=40)
    assert rotated["settings"]["max_angle"] == 40 and upright["settings"]["max_angle"] == 0
    assert make_page(30, 192, seed=0, max_angle=40).words.tolist() != make_page(30, 192, seed=0).words.tolist()
    r = subprocess.run([sys.executable, "-m", "textpost.bench", "--levels", "python", "--n", "10", "--size", "128",
                        "--repeat", "1", "--max-angle", "30", "--no-progress"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "words rotated up to 30 degrees" in r.stdout
