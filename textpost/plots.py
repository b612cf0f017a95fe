"""Plots the notebooks share: the scaling curve, line shares, maps and boxes."""
from __future__ import annotations

import numpy as np

from .timing import format_seconds


def _plt():
    import matplotlib
    import matplotlib.pyplot as plt
    return matplotlib, plt


def plot_scaling(record: dict, ax=None, title: str | None = None):
    """Log-log time against words for every level of a benchmark record, with the floor."""
    _, plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    else:
        fig = ax.figure
    from .levels import INFO
    levels = list(dict.fromkeys(r["level"] for r in record["results"]))
    for name in levels:
        rows = [r for r in record["results"] if r["level"] == name]
        n = [r["n_words"] for r in rows]
        med = [r["median_s"] for r in rows]
        lo = [r["median_s"] - r["min_s"] for r in rows]
        hi = [r["max_s"] - r["median_s"] for r in rows]
        color, marker = INFO[name].style if name in INFO else (None, "o")     # the registry's plot style
        ax.errorbar(n, med, yerr=[lo, hi], color=color, marker=marker, capsize=3, label=name)
    fl = record["floor"]
    ax.plot([f["n_words"] for f in fl], [f["median_s"] for f in fl], "k--", label="floor: labeling alone")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("words on the page")
    ax.set_ylabel("seconds per call (median)")
    s = record.get("settings", {})
    ax.set_title(title or f"get_boxes on a {s.get('size', '?')}x{s.get('size', '?')} map, "
                          f"{s.get('threads', 1)} thread(s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def plot_line_shares(shares, ax=None, top: int = 8, title: str = "share of time per line"):
    """Horizontal bars: the lines that take the most time (from ``profiling.line_shares``)."""
    _, plt = _plt()
    shares = sorted(shares, key=lambda s: s.seconds, reverse=True)[:top][::-1]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(shares) + 1))
    else:
        fig = ax.figure
    labels = [f"{s.lineno}: {s.source[:60]}" for s in shares]
    ax.barh(labels, [100 * s.share for s in shares], color="tab:red")
    for i, s in enumerate(shares):
        ax.text(100 * s.share + 0.5, i, f"{100 * s.share:.1f}%", va="center", fontsize=8)
    ax.set_xlabel("% of the function's time")
    ax.set_xlim(0, 100 * max(s.share for s in shares) * 1.15 + 1)
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- notebook 01: a real page

#: Okabe-Ito colours (safe for the common colour-vision deficiencies); always paired with a
#: marker or a line style, so that no meaning rests on colour alone
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000"}


def _score_colorbar(fig, ax, im, label: str = "score"):
    """A colorbar exactly the height of ``ax``'s image, labelled ``label``."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable
    cax = make_axes_locatable(ax).append_axes("right", size="4%", pad=0.06)
    bar = fig.colorbar(im, cax=cax)
    bar.set_label(label)
    return bar


def show_page_and_maps(image, textmap, linkmap, scale: float = 2.0, crop=None, cmap: str = "cividis",
                       title: str | None = None):
    """The page image, the region map and the affinity map side by side, each map with a colorbar
    its own height labelled "score" (``cividis``: readable with any colour vision).

    ``scale``: page pixels per map pixel; ``crop`` = (y0, y1, x0, x1) in map pixels (same region in
    all three panels).
    """
    _, plt = _plt()
    y0, y1, x0, x1 = crop if crop is not None else (0, textmap.shape[0], 0, textmap.shape[1])
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6 * (y1 - y0) / (x1 - x0) + 1.2))
    s = float(scale)
    page = image[int(y0 * s):int(y1 * s), int(x0 * s):int(x1 * s)]
    axes[0].imshow(page, cmap="gray", vmin=0, vmax=255, extent=(x0 * s, x1 * s, y1 * s, y0 * s))
    axes[0].set_title("page image (the network's input)")
    axes[0].set_xlabel("page pixels")
    for ax, name, m in ((axes[1], "region map (textmap)", textmap), (axes[2], "affinity map (linkmap)", linkmap)):
        im = ax.imshow(m[y0:y1, x0:x1], cmap=cmap, vmin=0, vmax=1, extent=(x0, x1, y1, y0))
        ax.set_title(name)
        ax.set_xlabel("map pixels")
        _score_colorbar(fig, ax, im)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def word_box_cases(boxes, words, textmap=None, linkmap=None, iou: float = 0.5, text_threshold: float = 0.7,
                   link_threshold: float = 0.4, low_text: float = 0.4) -> dict:
    """Why the number of boxes differs from the number of words, word by word.

    Matches words to boxes with :func:`textpost.compare.match_word_boxes`, as ``match_words``
    counts them (each word in order takes the unused box of highest IoU, if >= ``iou``), then
    returns a dict:

    - ``matched``: {word index: box index};
    - ``missed``: word indices without a box at IoU >= ``iou``;
    - ``split``: {word index: [box indices]} for words with two or more boxes mostly (> half of
      the box's area) inside them;
    - ``merged``: {box index: [word indices]} for boxes holding most of two or more words;
    - ``extra``: box indices matched to no word;
    - ``best_iou``: {word index: best IoU} of the missed words;
    - ``reason``: {word index: text} for the missed words, from the maps when ``textmap`` and
      ``linkmap`` are given: split, nothing above ``low_text``, a component under 10 px (the
      size filter), a peak under ``text_threshold`` (the confidence filter), or a box too far off.
    """
    import cv2

    from .compare import iou_and_cover, match_word_boxes, near_boxes
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4, 2)
    words = np.asarray(words, np.float32).reshape(-1, 4, 2)
    matched, best_iou = match_word_boxes(boxes, words, iou)
    centres = boxes.mean(axis=1)
    inside, holds = {}, {}
    for i, w in enumerate(words):
        for j in np.flatnonzero(near_boxes(centres, w)):
            if iou_and_cover(w, boxes[j])[1] > 0.5:
                inside.setdefault(i, []).append(int(j))
            if iou_and_cover(boxes[j], w)[1] > 0.5:
                holds.setdefault(int(j), []).append(i)
    missed = [i for i in range(len(words)) if i not in matched]
    split = {i: js for i, js in inside.items() if len(js) >= 2}
    reason = {}
    labels = stats = None
    if textmap is not None and linkmap is not None and missed:
        union = ((textmap > np.float32(low_text)) | (linkmap > np.float32(link_threshold))).astype(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(union, connectivity=4)
    for i in missed:
        if i in split:
            reason[i] = f"split into {len(split[i])} boxes (best IoU {best_iou[i]:.2f})"
            continue
        if labels is None:
            reason[i] = f"best IoU {best_iou[i]:.2f}"
            continue
        mask = np.zeros(labels.shape, np.uint8)
        cv2.fillPoly(mask, [np.round(words[i]).astype(np.int32)], 1)
        under = labels[(mask > 0) & (labels > 0)]
        if under.size == 0:
            reason[i] = f"no pixel above {low_text:g}"
            continue
        k = int(np.bincount(under).argmax())
        area = int(stats[k, cv2.CC_STAT_AREA])
        peak = float(textmap[labels == k].max())
        if area < 10:
            reason[i] = f"component of {area} px (< 10: dropped)"
        elif peak < text_threshold:
            reason[i] = f"peak score {peak:.2f} (< {text_threshold:g}: dropped)"
        else:
            reason[i] = f"best IoU {best_iou[i]:.2f} (< {iou:g})"
    return {"matched": matched, "missed": missed, "split": split,
            "merged": {j: ws for j, ws in holds.items() if len(ws) >= 2},
            "extra": sorted(set(range(len(boxes))) - set(matched.values())),
            "best_iou": best_iou, "reason": reason}


def _draw_quads(ax, quads, scale, **style):
    from matplotlib.patches import Polygon
    for q in np.asarray(quads, np.float32).reshape(-1, 4, 2) * scale:
        ax.add_patch(Polygon(q, closed=True, fill=False, **style))


_GT_STYLE = dict(ec=OKABE_ITO["blue"], lw=1.0, ls="--")
_BOX_STYLE = dict(ec=OKABE_ITO["vermillion"], lw=1.3, ls="-")


def _box_legend(ax, **kw):
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=_BOX_STYLE["ec"], lw=2, ls="-", label="box (postprocess)"),
               Line2D([], [], color=_GT_STYLE["ec"], lw=2, ls="--", label="ground-truth word")]
    return ax.legend(handles=handles, **kw)


def show_page_boxes(image, boxes, words, scale: float = 2.0, title: str | None = None, figsize=(11, 11)):
    """The whole page with the boxes (solid) and the ground-truth words (dashed), with a legend."""
    _, plt = _plt()
    fig, ax = plt.subplots(figsize=figsize)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
    _draw_quads(ax, words, scale, **_GT_STYLE)
    _draw_quads(ax, boxes, scale, **_BOX_STYLE)
    _box_legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.05), ncol=2, frameon=False)
    ax.set_xlabel("page pixels")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_word_cases(pages, max_panels: int = 6, panel_inches: float = 3.8):
    """Zoomed views of the words that do not come out as one box each: split, missed, merged.

    ``pages``: a list of dicts with ``name``, ``image`` (page image), ``scale`` (page pixels per
    map pixel), ``boxes``, ``words``, ``texts`` and ``cases`` (from :func:`word_box_cases`).
    Each panel shows one word with a few character heights around it, its ground truth dashed,
    the boxes inside it thick and the other boxes nearby thin.  Returns None when there is
    nothing to show.
    """
    _, plt = _plt()
    items = []
    for p in pages:
        c = p["cases"]
        for i, js in c["split"].items():
            items.append((p, i, js, f"split into {len(js)} boxes (best IoU {c['best_iou'].get(i, 1.0):.2f})"))
        for i in c["missed"]:
            if i not in c["split"]:
                items.append((p, i, [], f"missed: {c['reason'].get(i, 'no box')}"))
        for j, ws in c["merged"].items():
            items.append((p, ws[0], [j], f"{len(ws)} words in one box"))
    if not items:
        return None
    items = items[:max_panels]
    n = len(items)
    fig, axes = plt.subplots(1, n, figsize=(panel_inches * n, panel_inches * 0.7 + 0.7), squeeze=False)
    for ax, (p, i, own, what) in zip(axes[0], items):
        s = p["scale"]
        w = np.asarray(p["words"][i], np.float32) * s
        lo, hi = w.min(axis=0), w.max(axis=0)
        ch = max(min(hi - lo), 4.0)                   # about one character height, page pixels
        cx, cy = (lo + hi) / 2
        half_w = max((hi[0] - lo[0]) / 2 + 1.5 * ch, 4 * ch)
        half_h = half_w * 0.6
        h, wd = p["image"].shape[:2]
        x0, x1 = int(max(cx - half_w, 0)), int(min(cx + half_w, wd))
        y0, y1 = int(max(cy - half_h, 0)), int(min(cy + half_h, h))
        ax.imshow(p["image"][y0:y1, x0:x1], cmap="gray", vmin=0, vmax=255, extent=(x0, x1, y1, y0))
        boxes = np.asarray(p["boxes"], np.float32).reshape(-1, 4, 2)
        others = [b for j, b in enumerate(boxes) if j not in own
                  and np.abs(b.mean(axis=0) * s - (cx, cy)).max() < 2 * half_w]
        _draw_quads(ax, others, s, **{**_BOX_STYLE, "lw": 0.8})
        _draw_quads(ax, p["words"][i:i + 1], s, **{**_GT_STYLE, "lw": 1.8})
        _draw_quads(ax, boxes[own], s, **{**_BOX_STYLE, "lw": 2.6})
        ax.set_xlim(x0, x1)
        ax.set_ylim(y1, y0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{p['name']}: '{p['texts'][i]}'\n{what}", fontsize=11)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=_GT_STYLE["ec"], lw=2, ls="--", label="ground-truth word"),
               Line2D([], [], color=_BOX_STYLE["ec"], lw=2.6, label="its box(es)"),
               Line2D([], [], color=_BOX_STYLE["ec"], lw=0.8, label="other boxes")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


def _plain_log_ticks(axis, values, fmt):
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator
    axis.set_major_locator(FixedLocator(values))
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def plot_reference_sweep(record: dict, points=(), ax=None, title: str | None = None):
    """Log-log: the reference's time against the words on a page, with the floor (labeling alone)
    and the thresholding beside it; error bars = min-max over the repeats.

    ``points``: extra measurements on other pages, each a dict with ``n_words``, ``median_s``,
    ``min_s``, ``max_s`` and ``label`` (drawn with their own markers, e.g. a real page).
    Plain tick labels (10, 100, 1000 words; 1 ms, 1 s).
    """
    _, plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 5.6))
    else:
        fig = ax.figure
    c = OKABE_ITO

    def series(rows, label, color, marker, ls="-", ms=7):
        n = [r["n_words"] for r in rows]
        med = np.array([r["median_s"] for r in rows])
        err = [med - [r["min_s"] for r in rows], np.array([r["max_s"] for r in rows]) - med]
        ax.errorbar(n, med, yerr=err, color=color, marker=marker, ls=ls, ms=ms, capsize=4, label=label)

    levels = list(dict.fromkeys(r["level"] for r in record["results"]))
    for name in levels:
        series([r for r in record["results"] if r["level"] == name], f"{name} (synthetic pages)", c["vermillion"], "o")
    series(record["floor"], "floor: labeling alone", c["black"], "s", ls="--", ms=5)
    if record.get("threshold"):
        series(record["threshold"], "threshold (beside the floor)", c["sky"], "^", ls=":", ms=5)
    same_n = {}
    for p in points:
        same_n.setdefault(p["n_words"], []).append(p)
    for p, (color, marker) in zip(points, [(c["blue"], "D"), (c["orange"], "P"), (c["green"], "X")]):
        group = same_n[p["n_words"]]
        nudge = 1.06 ** (group.index(p) - (len(group) - 1) / 2)    # side by side when at the same count
        series([{**p, "n_words": p["n_words"] * nudge}], p["label"], color, marker, ls="none", ms=10)
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs = [r["n_words"] for r in record["results"]] + [p["n_words"] for p in points]
    ys = [r[k] for r in record["results"] + record["floor"] + list(record.get("threshold", [])) + list(points)
          for k in ("min_s", "max_s")]
    ticks = sorted(set(v for v in (10, 30, 100, 300, 1000, 3000, 10000) if min(xs) / 1.5 <= v <= max(xs) * 1.5)
                   | {p["n_words"] for p in points})
    ticks = [v for i, v in enumerate(ticks) if i == len(ticks) - 1 or ticks[i + 1] / v > 1.4]
    _plain_log_ticks(ax.xaxis, ticks, lambda v: f"{v:g}")
    _plain_log_ticks(ax.yaxis, [m * 10.0 ** e for e in range(-6, 3) for m in (1, 3)
                                if min(ys) / 3 <= m * 10.0 ** e <= max(ys) * 3], format_seconds)
    ax.set_xlabel("words on the page")
    ax.set_ylabel("time per call (median; bars: min-max)")
    s = record.get("settings", {})
    ax.set_title(title or f"on a {s.get('size', '?')}x{s.get('size', '?')} map, {s.get('threads', 1)} thread(s)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", framealpha=0.95)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 02: the two sweeps

def plot_measure_sweeps(by_words, by_size, repeat: int | None = None):
    """Notebook 02's two sweeps (from :func:`textpost.sweeps.measure_sweeps`), side by side.

    Left: seconds per call against the boxes on a fixed map.  Right: milliseconds per box
    against the map's area, at a fixed number of words.  Points are medians, bars min-max;
    the dashed line is *in proportion* (through zero and the last point), a yardstick to read
    the points against, not a fit.
    """
    _, plt = _plt()
    from .sweeps import per_box
    c = OKABE_ITO
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    panels = ((ax1, [p["boxes"] for p in by_words], [p["t"] for p in by_words], 1.0, c["vermillion"], "o",
               "boxes on the page", "seconds per call",
               f"more words, one {by_words[0]['size']}x{by_words[0]['size']} map"),
              (ax2, [p["size"] ** 2 / 1e6 for p in by_size], [per_box(p) for p in by_size], 1e3, c["blue"], "s",
               "map area (megapixels)", "ms per box",
               f"{by_size[0]['words']} words, larger and larger maps"))
    for ax, x, ts, k, color, marker, xlabel, ylabel, title in panels:
        med = np.array([t.median for t in ts]) * k
        err = [med - np.array([t.min for t in ts]) * k, np.array([t.max for t in ts]) * k - med]
        ax.errorbar(x, med, yerr=err, color=color, marker=marker, ls="none", capsize=4,
                    label="median of the repeats (bars: min-max)")
        xs = np.array([0, max(x) * 1.05])
        ax.plot(xs, xs * med[-1] / x[-1], color=c["black"], ls="--", lw=1,
                label="in proportion (through zero and the last point)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left")
    if repeat:
        fig.suptitle(f"the reference, one thread; each point: median of {repeat} calls after one untimed call")

# --------------------------------------------------------------------------- notebooks 03 and 04: rungs and savings

def plot_rung_times(timings: dict, floor=None, target_s: float | None = None, log: bool = True,
                    title: str = "", ax=None):
    """Each rung's time as a dot (median) with a bar (min-max over the repeats), one row per rung,
    the first on top; a dashed line at the floor (a Timing: labeling alone) and a dotted one at the target."""
    _, plt = _plt()
    names = list(timings)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.55 * len(names) + 1.8))
    else:
        fig = ax.figure
    c = OKABE_ITO
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names):
        t = timings[name]
        ax.errorbar([t.median], [y], xerr=[[t.median - t.min], [t.max - t.median]], fmt="o", ms=7, capsize=4,
                    color=c["blue"])
        ax.annotate(_seconds_label(t.median), (t.max, y), xytext=(8, 0), textcoords="offset points", va="center")
    values = [v for t in timings.values() for v in (t.min, t.max)]
    if floor is not None:
        ax.axvline(floor.median, color=c["black"], ls="--", label=f"floor (labeling alone), {_seconds_label(floor.median)}")
        values.append(floor.median)
    if target_s is not None:
        ax.axvline(target_s, color=c["vermillion"], ls=":", lw=2, label=f"target, {_seconds_label(target_s)}")
        values.append(target_s)
    ax.set_yticks(ys, names)
    if log:
        ax.set_xscale("log")
        lo, hi = min(values) / 2, max(values) * 8
        _plain_log_ticks(ax.xaxis, [m * 10.0 ** e for e in range(-6, 3) for m in (1, 3) if lo <= m * 10.0 ** e <= hi],
                         _seconds_label)
        ax.set_xlim(lo, hi)
    else:
        ax.set_xlim(0, 1.3 * max(values))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: _seconds_label(v) if v > 0 else "0"))
    ax.set_xlabel("time per page" + (" (log scale)" if log else "") + "; dot: median, bar: min-max")
    ax.set_title(title)
    if floor is not None or target_s is not None:
        ax.legend(loc="lower right", fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_savings(gains: dict, title: str = "", ax=None):
    """What each change saved per page: ``{name: {"before": Timing, "after": Timing}}``.

    Dot: the medians' difference; bar: from ``before.min - after.max`` to ``before.max - after.min``.
    A bar that crosses zero is a change not told apart from no change; bars that overlap are not ranked.
    """
    _, plt = _plt()
    names = list(gains)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 1.6))
    else:
        fig = ax.figure
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names):
        b, a = gains[name]["before"], gains[name]["after"]
        mid, lo, hi = 1e3 * (b.median - a.median), 1e3 * (b.min - a.max), 1e3 * (b.max - a.min)
        above = lo > 0
        ax.errorbar([mid], [y], xerr=[[mid - lo], [hi - mid]], fmt="o" if above else "D", ms=7, capsize=4,
                    color=OKABE_ITO["green"] if above else OKABE_ITO["orange"],
                    label="range above zero: a saving" if above else "range crosses zero: not told from none")
    ax.axvline(0, color="k", lw=1)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="best", fontsize=9)
    ax.set_yticks(ys, names)
    ax.set_xlabel("milliseconds saved per page (dot: medians' difference; bar: its range)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)

def plot_times(panels: dict, target_s: float | None = None, title: str | None = None, panel_width: float = 7.5):
    """One panel per ``{panel title: {row name: Timing}}``: each row's median (marker) and min-max
    spread (bar), in milliseconds, labelled with both; the target as a dotted line.

    A row named like a level of the registry takes its style (colour, marker); the floor and
    other rows are grey.  Rows keep their order, top to bottom.
    """
    from .levels import INFO
    from .timing import format_seconds
    _, plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(panel_width * len(panels), 0.5 * max(map(len, panels.values())) + 1.6),
                             squeeze=False)
    for ax, (panel, rows) in zip(axes[0], panels.items()):
        right = max(max(t.max for t in rows.values()), target_s or 0)
        for i, (name, t) in enumerate(rows.items()):
            colour, marker = INFO[name].style if name in INFO else ("0.45", "P" if "floor" in name else "o")
            ax.errorbar(1e3 * t.median, i, xerr=[[1e3 * (t.median - t.min)], [1e3 * (t.max - t.median)]],
                        fmt=marker, color=colour, ms=8, capsize=4)
            ax.annotate(f"{format_seconds(t.median)} ({t.spread})", (1e3 * t.max, i), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=9)
        if target_s is not None:
            ax.axvline(1e3 * target_s, color="k", ls=":", label=f"target {format_seconds(target_s)}")
            ax.legend(loc="upper right", fontsize=9)
        ax.set_yticks(range(len(rows)), list(rows))
        ax.invert_yaxis()
        ax.set_xlim(0, 1.45e3 * right)
        ax.set_xlabel("milliseconds per call (marker: median; bar: min-max)")
        ax.set_title(panel, fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
