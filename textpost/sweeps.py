"""The measurements behind notebooks 01 and 02 that are not themselves the lesson.

* :func:`network_flops` counts the arithmetic of CRAFT's network on a page of a given size,
  from its ONNX graph: notebook 01 turns it into the time a GPU would need (a stated
  assumption, since no GPU is measured here).
* :func:`sweep_point` and :func:`measure_sweeps` are notebook 02's two sweeps (more words on
  one map; the same words on larger maps); :func:`sweep_rows` turns them into table rows.
  Each point is the workshop's metric: the median of repeated calls after one untimed call.
"""
from __future__ import annotations

from . import config
from .timing import Timing, binary_union, label_union, time_call


def network_flops(height: int, width: int) -> float:
    """Floating-point operations of CRAFT's network on a ``height`` x ``width`` RGB page.

    Counts the convolutions (two operations per multiply-add), which are nearly all of the
    network's work, from the graph that :mod:`textpost.detector` runs.  ``height`` and
    ``width`` are the size the network sees (multiples of 32).
    """
    if int(height) <= 0 or int(width) <= 0 or int(height) % 32 or int(width) % 32:
        raise ValueError(f"height and width must be positive multiples of 32, got {height} x {width}")
    import onnx
    from onnx import shape_inference

    from .detector import onnx_path
    model = onnx.load(str(onnx_path()))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for d, v in ((dims[2], height), (dims[3], width)):
        d.ClearField("dim_param")
        d.dim_value = int(v)
    graph = shape_inference.infer_shapes(model).graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(graph.value_info) + list(graph.output)}
    weights = {w.name: list(w.dims) for w in model.graph.initializer}
    macs = 0
    for node in graph.node:
        if node.op_type == "Conv":
            out = shapes[node.output[0]]                       # (1, C_out, H, W)
            _, c_in, kh, kw = weights[node.input[1]]           # (C_out, C_in / groups, kh, kw)
            macs += out[1] * out[2] * out[3] * c_in * kh * kw
    return 2.0 * macs


def sweep_point(n_words: int, size: int, repeat: int | None = None) -> dict:
    """One point of a sweep: a synthetic page of ``n_words`` words on ``size`` x ``size`` maps,
    its counts (labels, labels of 10 px or more, boxes) and the reference's :class:`Timing`
    (one untimed call first, which also gives the boxes)."""
    from .levels.reference import get_boxes
    from .synth import make_page
    page = make_page(n_words, size, seed=0)
    n, _, stats, _ = label_union(binary_union(page.textmap, page.linkmap))
    boxes = len(get_boxes(page.textmap, page.linkmap))
    t = time_call(get_boxes, page.textmap, page.linkmap, repeat=repeat, warmup=0)
    return {"words": n_words, "size": size, "labels": n - 1, "labels >= 10 px": int((stats[1:, 4] >= 10).sum()),
            "boxes": boxes, "t": t}


def measure_sweeps(repeat: int | None = None) -> tuple[list[dict], list[dict]]:
    """Notebook 02's two sweeps, sizes from :mod:`textpost.config`: ``(by_words, by_size)``.

    ``by_words``: ``config.MEASURE_WORDS`` words on ``config.MEASURE_SIZE`` maps;
    ``by_size``: ``config.MEASURE_FIXED_WORDS`` words on each of ``config.MEASURE_SIZES``.
    """
    by_words = [sweep_point(n, config.MEASURE_SIZE, repeat) for n in config.MEASURE_WORDS]
    by_size = [sweep_point(config.MEASURE_FIXED_WORDS, s, repeat) for s in config.MEASURE_SIZES]
    return by_words, by_size


def per_box(point: dict) -> Timing:
    """The reference's time of a sweep point divided by its boxes (each repeat alike)."""
    return Timing([t / max(point["boxes"], 1) for t in point["t"].times])


def sweep_rows(points: list[dict]) -> list[dict]:
    """Table rows for :func:`textpost.claims.show_table`: counts, the time, and the time per box."""
    return [{"map": f"{p['size']}x{p['size']}", "words": p["words"], "labels": p["labels"],
             "labels >= 10 px": p["labels >= 10 px"], "boxes": p["boxes"], "time": p["t"],
             "time per box": per_box(p)} for p in points]


def _timing(row: dict) -> Timing:
    """A :class:`Timing` with the record's min, median and max (for tables and ratios)."""
    return Timing([row["min_s"], row["median_s"], row["max_s"]])


def reference_sweep_rows(record: dict) -> list[dict]:
    """Rows of a benchmark record (:func:`textpost.bench.run_sweep`) for one level: words, boxes,
    the level's time, the floor and the threshold beside it (each as a :class:`Timing` with the
    record's min, median and max), the time in floors, and the time per box."""
    floors = {f["n_words"]: f for f in record["floor"]}
    thresholds = {f["n_words"]: f for f in record.get("threshold", [])}
    rows = []
    for r in record["results"]:
        t, floor = _timing(r), _timing(floors[r["n_words"]])
        rows.append({"words": r["n_words"], "boxes": r["n_boxes"], "reference": t, "floor": floor,
                     "threshold": _timing(thresholds[r["n_words"]]) if r["n_words"] in thresholds else "",
                     "x floor": f"{t.median / floor.median:.0f}",
                     "time per box": Timing([v / max(r["n_boxes"], 1) for v in (r["min_s"], r["median_s"], r["max_s"])])})
    return rows
