"""Plots the notebooks share: the scaling curve, line shares, maps and boxes."""
from __future__ import annotations

import numpy as np


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
    levels = list(dict.fromkeys(r["level"] for r in record["results"]))
    for name in levels:
        rows = [r for r in record["results"] if r["level"] == name]
        n = [r["n_words"] for r in rows]
        med = [r["median_s"] for r in rows]
        lo = [r["median_s"] - r["min_s"] for r in rows]
        hi = [r["max_s"] - r["median_s"] for r in rows]
        ax.errorbar(n, med, yerr=[lo, hi], marker="o", capsize=3, label=name)
    fl = record["floor"]
    ax.plot([f["n_words"] for f in fl], [f["median_s"] for f in fl], "k--", label="floor (threshold + labeling)")
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


def show_boxes(image, boxes, ax=None, color="lime", gt=None, title=None, scale: float = 1.0):
    """Draw boxes (K, 4, 2) on an image; ``scale`` maps box coordinates to image pixels."""
    _, plt = _plt()
    from matplotlib.patches import Polygon
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 7))
    else:
        fig = ax.figure
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    if gt is not None:
        for q in np.asarray(gt) * scale:
            ax.add_patch(Polygon(q, closed=True, fill=False, ec="tab:blue", lw=0.8, ls="--"))
    for b in np.asarray(boxes) * scale:
        ax.add_patch(Polygon(b, closed=True, fill=False, ec=color, lw=1.0))
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def show_maps(textmap, linkmap, image=None, axes=None, crop=None):
    """Page image (optional), region map and affinity map side by side; ``crop`` = (y0, y1, x0, x1) in map pixels."""
    _, plt = _plt()
    panels = ([("page image", image, "gray")] if image is not None else []) + \
        [("region (text) map", textmap, "magma"), ("affinity (link) map", linkmap, "magma")]
    if axes is None:
        fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5))
    fig = axes[0].figure
    for ax, (name, img, cmap) in zip(axes, panels):
        if crop is not None:
            y0, y1, x0, x1 = crop
            s = img.shape[0] // textmap.shape[0]
            img = img[y0 * s:y1 * s, x0 * s:x1 * s]
        im = ax.imshow(img, cmap=cmap)
        ax.set_title(name)
        ax.set_axis_off()
        if cmap != "gray":
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    fig.tight_layout()
    return fig
