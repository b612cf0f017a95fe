"""Notebook 01's pictures of a real page: the page beside its two score maps, the page with its
boxes and ground-truth words, and zoomed views of the words that do not come out as one box each
(with :func:`word_box_cases`, which tells why), and the colour palette ``OKABE_ITO`` every plot
uses.  All re-exported by :mod:`textpost.plots`.
"""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib
    import matplotlib.pyplot as plt
    return matplotlib, plt



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
