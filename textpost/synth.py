"""CRAFT-style score maps made from a synthetic page layout.

CRAFT is trained on "character region" and "affinity" maps built from
character boxes: a 2-D Gaussian is warped into every character box (region
map) and into an "affinity box" between every pair of neighbouring characters
of a word (affinity map).  The affinity box joins the centres of the upper and
lower triangles of the two characters (each box split by its diagonals).
This module builds the same kind of maps from a random but deterministic page:
words on lines, characters with sizes and rotation.  Its output looks like
what a trained detector returns, which is all the postprocess ever sees.

Everything is deterministic from ``seed``.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field

import cv2
import numpy as np

_TEMPLATE_SIZE = 64
_SIGMA = 0.22   # Gaussian width relative to the box side


def _gaussian_template(size: int = _TEMPLATE_SIZE, sigma: float = _SIGMA) -> np.ndarray:
    u = (np.arange(size, dtype=np.float64) + 0.5) / size - 0.5
    g = np.exp(-(u[:, None] ** 2 + u[None, :] ** 2) / (2 * sigma ** 2))
    return g.astype(np.float32)


_TEMPLATE = _gaussian_template()


@dataclass
class Page:
    """A synthetic page: the two score maps, ground-truth word quads, and what made them."""
    textmap: np.ndarray            # float32 (H, W) region score in [0, 1]
    linkmap: np.ndarray            # float32 (H, W) affinity score in [0, 1]
    words: np.ndarray              # float32 (N, 4, 2) ground-truth word quads (x, y), score-map pixels
    texts: list = field(default_factory=list)     # the characters of each word
    chars: list = field(default_factory=list)     # per word: (n_chars, 4, 2) character quads
    seed: int = 0

    @property
    def shape(self):
        return self.textmap.shape

    @property
    def n_words(self) -> int:
        return len(self.words)


def _paint(target: np.ndarray, quad: np.ndarray, peak: float) -> None:
    """Warp the Gaussian template into ``quad`` (4 x 2, x/y) and keep the maximum in ``target``."""
    h, w = target.shape
    x0 = max(int(np.floor(quad[:, 0].min())), 0)
    y0 = max(int(np.floor(quad[:, 1].min())), 0)
    x1 = min(int(np.ceil(quad[:, 0].max())) + 1, w)
    y1 = min(int(np.ceil(quad[:, 1].max())) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return
    src = np.array([[0, 0], [_TEMPLATE_SIZE, 0], [_TEMPLATE_SIZE, _TEMPLATE_SIZE], [0, _TEMPLATE_SIZE]],
                   dtype=np.float32)
    dst = (quad - np.array([x0, y0])).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    patch = cv2.warpPerspective(_TEMPLATE * np.float32(peak), m, (x1 - x0, y1 - y0),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    np.maximum(target[y0:y1, x0:x1], patch, out=target[y0:y1, x0:x1])


def _triangle_centres(quad: np.ndarray):
    """Centres of the upper and lower triangles of a character box split by its diagonals."""
    centre = quad.mean(axis=0)
    upper = (quad[0] + quad[1] + centre) / 3.0
    lower = (quad[2] + quad[3] + centre) / 3.0
    return upper, lower


def _rotate(points: np.ndarray, centre: np.ndarray, angle_deg: float) -> np.ndarray:
    a = np.deg2rad(angle_deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (points - centre) @ r.T + centre


def _layout(rng, n_words, size, char_h, margin, max_chars):
    """Place up to ``n_words`` words on lines; return a list of (x, y, n_chars, char_w, char_h)."""
    words = []
    line_gap = 1.7
    y = margin
    while y + char_h <= size - margin and len(words) < n_words:
        x = margin + rng.uniform(0, 2 * char_h)
        h_line = char_h * rng.uniform(0.85, 1.15)
        while len(words) < n_words:
            n_chars = int(rng.integers(2, max_chars + 1))
            cw = h_line * rng.uniform(0.55, 0.75)
            wlen = n_chars * cw
            if x + wlen > size - margin:
                break
            words.append((x, y, n_chars, cw, h_line))
            x += wlen + h_line * rng.uniform(0.7, 1.3)
        y += h_line * line_gap
    return words


def make_page(n_words: int = 100, size=1280, seed: int = 0, max_angle: float = 0.0,
              max_chars: int = 8, char_height: float | None = None,
              low_confidence: float = 0.05, margin: int = 8) -> Page:
    """Build a page of ``n_words`` words and its CRAFT-style score maps.

    size          map side (int) or (height, width); CRAFT maps are half the image size
    max_angle     each word is rotated about its centre by a random angle in [-max_angle, max_angle] degrees
    max_chars     words have 2 .. max_chars characters
    char_height   character height in map pixels; by default chosen so that ``n_words`` fill the page
    low_confidence  fraction of words whose peak region score stays under 0.7 (the detector is unsure;
                  the postprocess drops them)
    """
    if isinstance(size, (int, np.integer)):
        height = width = int(size)
    else:
        height, width = (int(s) for s in size)
    if n_words < 0:
        raise ValueError(f"n_words must be >= 0, got {n_words}")
    rng = np.random.default_rng(seed)
    side = min(height, width)
    if char_height is None:
        # area per word ~ (mean chars * char width + gap) * line height
        mean_w = ((2 + max_chars) / 2 * 0.65 + 1.0)
        char_height = np.sqrt(height * width / max(n_words, 1) / (mean_w * 1.7)) * 0.92
        char_height = float(np.clip(char_height, 5.0, 28.0))
    placed = []
    h = char_height
    for _ in range(40):
        placed = _layout(np.random.default_rng(seed), n_words, side, h, margin, max_chars)
        if len(placed) >= n_words or h <= 4.0:
            break
        h *= 0.95
    if len(placed) < n_words:
        raise ValueError(f"{n_words} words do not fit on a {height}x{width} map; use a larger size")

    textmap = np.zeros((height, width), np.float32)
    linkmap = np.zeros((height, width), np.float32)
    letters = string.ascii_letters + string.digits
    words, texts, chars = [], [], []
    sx, sy = width / side, height / side
    for (x, y, n_chars, cw, ch) in placed:
        x, y, cw_x = x * sx, y * sy, cw * sx
        ch_y = ch * sy
        angle = rng.uniform(-max_angle, max_angle) if max_angle else 0.0
        peak = rng.uniform(0.45, 0.68) if rng.random() < low_confidence else rng.uniform(0.8, 1.0)
        wquad = np.array([[x, y], [x + n_chars * cw_x, y], [x + n_chars * cw_x, y + ch_y], [x, y + ch_y]])
        centre = wquad.mean(axis=0)
        cquads = []
        for i in range(n_chars):
            jitter = rng.uniform(-0.04, 0.04, size=2) * ch_y
            q = np.array([[x + i * cw_x, y], [x + (i + 1) * cw_x, y],
                          [x + (i + 1) * cw_x, y + ch_y], [x + i * cw_x, y + ch_y]]) + jitter
            cquads.append(_rotate(q, centre, angle))
        for q in cquads:
            _paint(textmap, q, peak * rng.uniform(0.93, 1.0))
        for q1, q2 in zip(cquads[:-1], cquads[1:]):
            u1, l1 = _triangle_centres(q1)
            u2, l2 = _triangle_centres(q2)
            _paint(linkmap, np.array([u1, u2, l2, l1]), peak * rng.uniform(0.93, 1.0))
        words.append(_rotate(wquad, centre, angle))
        texts.append("".join(rng.choice(list(letters), size=n_chars)))
        chars.append(np.array(cquads, np.float32))
    words_arr = np.array(words, np.float32).reshape(-1, 4, 2)
    return Page(textmap, linkmap, words_arr, texts, chars, seed)


def render_page(page: Page, scale: int = 2) -> np.ndarray:
    """A grey page image (uint8, ``scale`` x the map size) with the words drawn as text.

    CRAFT's score maps are half the resolution of its input image, hence the default scale 2.
    """
    h, w = page.shape
    img = np.full((h * scale, w * scale), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for text, cq in zip(page.texts, page.chars):
        for ch, q in zip(text, cq):
            q = q.astype(np.float64) * scale
            ch_h = np.linalg.norm(q[3] - q[0])
            ch_w = np.linalg.norm(q[1] - q[0])
            (tw, th), base = cv2.getTextSize(ch, font, 1.0, 2)
            fs = 0.8 * ch_h / max(th + base, 1)
            thick = max(1, int(round(fs * 1.6)))
            (tw, th), base = cv2.getTextSize(ch, font, fs, thick)
            pw, ph = int(np.ceil(max(tw, ch_w))) + 2, int(np.ceil(th + base)) + 2
            patch = np.full((ph, pw), 255, np.uint8)
            cv2.putText(patch, ch, ((pw - tw) // 2, th + 1), font, fs, 0, thick, cv2.LINE_AA)
            src = np.array([[0, 0], [pw, 0], [pw, ph]], np.float32)
            dst = np.array([q[0], q[1], q[2]], np.float32)
            m = cv2.getAffineTransform(src, dst)
            x0, y0 = np.floor(q.min(axis=0)).astype(int)
            x1, y1 = np.ceil(q.max(axis=0)).astype(int) + 1
            x0, y0 = max(x0, 0), max(y0, 0)
            x1, y1 = min(x1, w * scale), min(y1, h * scale)
            if x1 <= x0 or y1 <= y0:
                continue
            m[:, 2] -= (x0, y0)
            warped = cv2.warpAffine(patch, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_CONSTANT, borderValue=255)
            np.minimum(img[y0:y1, x0:x1], warped, out=img[y0:y1, x0:x1])
    return img


# --- painting one blob, link or word by hand (used for hand-placed maps such as the edge-case sample) ---

def paint_gaussian(target: np.ndarray, quad, peak: float = 1.0) -> None:
    """Paint one CRAFT Gaussian warped into ``quad`` (4 corners x, y, clockwise from top-left) into ``target``.

    ``target`` is a float32 score map, changed in place; where blobs overlap the maximum is kept.
    """
    _paint(target, np.asarray(quad, dtype=np.float64).reshape(4, 2), float(peak))


def paint_link(linkmap: np.ndarray, char_a, char_b, peak: float = 1.0) -> None:
    """Paint the affinity Gaussian between two neighbouring character quads into ``linkmap``.

    The affinity box joins the centres of the upper and lower triangles of both characters,
    as in CRAFT's training labels (and in :func:`make_page`).
    """
    u1, l1 = _triangle_centres(np.asarray(char_a, dtype=np.float64).reshape(4, 2))
    u2, l2 = _triangle_centres(np.asarray(char_b, dtype=np.float64).reshape(4, 2))
    _paint(linkmap, np.array([u1, u2, l2, l1]), float(peak))


def paint_word(textmap: np.ndarray, linkmap: np.ndarray, x: float, y: float, n_chars: int,
               char_width: float, char_height: float, angle: float = 0.0, peak: float = 1.0,
               rng: np.random.Generator | None = None):
    """Paint one word into both maps (in place), the way :func:`make_page` paints its words.

    The word is ``n_chars`` boxes of ``char_width`` x ``char_height`` side by side, its top-left
    corner at (``x``, ``y``) in map pixels, then rotated by ``angle`` degrees about its centre.
    Every character gets a Gaussian of height ``peak`` in ``textmap``, every pair of neighbours
    one in ``linkmap``.  With ``rng`` the characters are jittered and every Gaussian's height
    varies by up to 7%, as in :func:`make_page`; without it everything is exact.
    Parts outside the map are cut off.

    Returns ``(word_quad, char_quads)``: float32 arrays of shape (4, 2) and (n_chars, 4, 2).
    """
    if n_chars < 1:
        raise ValueError(f"n_chars must be >= 1, got {n_chars}")
    w = n_chars * char_width
    wquad = np.array([[x, y], [x + w, y], [x + w, y + char_height], [x, y + char_height]], dtype=np.float64)
    centre = wquad.mean(axis=0)
    cquads = []
    for i in range(n_chars):
        q = np.array([[x + i * char_width, y], [x + (i + 1) * char_width, y],
                      [x + (i + 1) * char_width, y + char_height], [x + i * char_width, y + char_height]])
        if rng is not None:
            q = q + rng.uniform(-0.04, 0.04, size=2) * char_height
        cquads.append(_rotate(q, centre, angle))

    def height():
        return peak * rng.uniform(0.93, 1.0) if rng is not None else peak

    for q in cquads:
        _paint(textmap, q, height())
    for q1, q2 in zip(cquads[:-1], cquads[1:]):
        paint_link(linkmap, q1, q2, height())
    return (_rotate(wquad, centre, angle).astype(np.float32),
            np.array(cquads, dtype=np.float32).reshape(-1, 4, 2))
