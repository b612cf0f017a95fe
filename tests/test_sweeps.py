"""textpost.sweeps: the network's arithmetic (notebook 01) and the sweeps of notebook 02."""
from __future__ import annotations

import pytest

from textpost.bench import run_sweep
from textpost.sweeps import network_flops, per_box, reference_sweep_rows, sweep_point, sweep_rows
from textpost.timing import Timing


def test_network_flops_grow_with_the_page_area():
    small, large = network_flops(64, 64), network_flops(128, 128)
    assert small > 0
    # every feature map of a fully convolutional network scales with the input's area
    assert large == pytest.approx(4 * small, rel=1e-9)
    assert network_flops(64, 128) == pytest.approx(2 * small, rel=1e-9)


@pytest.mark.parametrize("h,w", [(100, 64), (0, 64), (-32, 64), (64, 48)])
def test_network_flops_rejects_sizes_the_network_cannot_take(h, w):
    with pytest.raises(ValueError, match="multiples of 32"):
        network_flops(h, w)


def test_sweep_point_counts_and_times_one_page():
    p = sweep_point(5, 96, repeat=2)
    assert p["words"] == 5 and p["size"] == 96
    assert p["labels"] >= p["labels >= 10 px"] >= p["boxes"] > 0
    assert isinstance(p["t"], Timing) and p["t"].runs == 2
    assert per_box(p).median == pytest.approx(p["t"].median / p["boxes"])
    row = sweep_rows([p])[0]
    assert row["map"] == "96x96" and row["boxes"] == p["boxes"]


def test_reference_sweep_rows_keep_the_records_numbers():
    record = run_sweep(["reference"], [5, 10], size=96, repeat=2, progress=False)
    rows = reference_sweep_rows(record)
    assert [r["words"] for r in rows] == [5, 10]
    for row, res, fl in zip(rows, record["results"], record["floor"]):
        assert (row["reference"].min, row["reference"].median, row["reference"].max) == \
            (res["min_s"], res["median_s"], res["max_s"])
        assert row["floor"].median == fl["median_s"]
        assert row["boxes"] == res["n_boxes"]
        assert row["time per box"].median == pytest.approx(res["median_s"] / res["n_boxes"])
