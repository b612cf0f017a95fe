"""The parts that notebooks 03 and 04 time alone compute what the levels compute."""
from __future__ import annotations

import numpy as np

from textpost import level_parts
from textpost.synth import make_page
from textpost.timing import Timing


def _page():
    return make_page(30, 256, seed=3)


def test_each_change_before_and_after_run_and_agree():
    page = _page()
    changes = level_parts.python_changes(page.textmap, page.linkmap)     # raises when a pair disagrees
    assert len(changes) == 7
    for before, after in changes.values():
        before(), after()


def test_python_level_parts_run_and_the_rest_row_is_labelled():
    page = _page()
    parts = level_parts.python_level_parts(page.textmap, page.linkmap)
    times = {name: Timing([0.002 if name == "whole call" else 0.0001]) for name in parts}
    for f in parts.values():
        f()
    rows = level_parts.parts_rows(times, n_boxes=10)
    assert rows[-1]["part"] == "whole minus the parts above"
    assert rows[0]["share of the call"] == "100%"


def test_replaced_kernels_match_opencv_and_run():
    page = _page()
    kernels = level_parts.replaced_kernels(page.textmap, page.linkmap)   # raises when a kernel differs
    assert set(kernels) == {"dilation: cv2.dilate", "dilation: numba kernel",
                            "rectangle fit: cv2.minAreaRect", "rectangle fit: numba kernels"}
    for f in kernels.values():
        f()


def test_saving_rows_give_ranges_and_the_step():
    b, a = Timing([0.010, 0.012, 0.011]), Timing([0.004, 0.005, 0.006])
    rows = level_parts.saving_rows({"x": {"before": b, "after": a}}, step=(b, a))
    assert rows[0]["saved per page"] == "6.00 ms (4.00 ms to 8.00 ms)"
    assert [r["change"] for r in rows[1:]] == ["sum of the seven, timed alone", "the whole step, timed whole"]


def test_region_area_is_positive_and_smaller_than_the_map():
    page = _page()
    p = level_parts.label_page(page.textmap, page.linkmap)
    assert 0 < level_parts.region_area(p) < page.textmap.size
    assert all(isinstance(k, int) for k, *_ in p.in_box)
    assert np.all(p.labels >= 0)
