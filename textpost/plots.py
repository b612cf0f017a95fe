"""Plots the notebooks share: the scaling curve, line shares, sweeps, rungs and savings.

Notebook 01's pictures of a page, its maps and its boxes are in :mod:`textpost.page_plots`,
re-exported here with the colour palette ``OKABE_ITO``.
"""
from __future__ import annotations

import numpy as np

from .page_plots import OKABE_ITO, show_page_and_maps, show_page_boxes, show_word_cases, word_box_cases  # noqa: F401
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


# --------------------------------------------------------------------------- notebook 01: the reference's sweep

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

def _rows_figure(ax, height: float):
    """A new 9-inch-wide figure of ``height`` inches for one row per item, or the figure of ``ax``."""
    if ax is not None:
        return ax.figure, ax
    _, plt = _plt()
    return plt.subplots(figsize=(9, height))


def plot_rung_times(timings: dict, floor=None, target_s: float | None = None, log: bool = True,
                    title: str = "", ax=None):
    """Each rung's time as a dot (median) with a bar (min-max over the repeats), one row per rung,
    the first on top; a dashed line at the floor (a Timing: labeling alone) and a dotted one at the target."""
    _, plt = _plt()
    names = list(timings)
    fig, ax = _rows_figure(ax, 0.55 * len(names) + 1.8)
    c = OKABE_ITO
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names):
        t = timings[name]
        ax.errorbar([t.median], [y], xerr=[[t.median - t.min], [t.max - t.median]], fmt="o", ms=7, capsize=4,
                    color=c["blue"])
        ax.annotate(format_seconds(t.median), (t.max, y), xytext=(8, 0), textcoords="offset points", va="center")
    values = [v for t in timings.values() for v in (t.min, t.max)]
    if floor is not None:
        ax.axvline(floor.median, color=c["black"], ls="--", label=f"floor (labeling alone), {format_seconds(floor.median)}")
        values.append(floor.median)
    if target_s is not None:
        ax.axvline(target_s, color=c["vermillion"], ls=":", lw=2, label=f"target, {format_seconds(target_s)}")
        values.append(target_s)
    ax.set_yticks(ys, names)
    if log:
        ax.set_xscale("log")
        lo, hi = min(values) / 2, max(values) * 8
        _plain_log_ticks(ax.xaxis, [m * 10.0 ** e for e in range(-6, 3) for m in (1, 3) if lo <= m * 10.0 ** e <= hi],
                         format_seconds)
        ax.set_xlim(lo, hi)
    else:
        ax.set_xlim(0, 1.3 * max(values))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: format_seconds(v) if v > 0 else "0"))
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
    names = list(gains)
    fig, ax = _rows_figure(ax, 0.5 * len(names) + 1.6)
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
    fig.tight_layout()
    return fig


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
