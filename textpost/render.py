"""Real text pages: words drawn with a real font, and every word's ground-truth quad.

The maps of :mod:`textpost.synth` are painted; these pages are drawn, so that CRAFT
(:mod:`textpost.detector`) can read them and make real maps.  The font is DejaVu, which
matplotlib ships (no download); Pillow draws it.  Everything is deterministic from ``seed``
(with the pinned Pillow and its FreeType, the same bytes).

    >>> page = render_text_page(n_words=300, size=1280, font_size=24, seed=11)
    >>> page.image.shape, page.words.shape          # (1280, 1280, 3) uint8 RGB, (300, 4, 2) page px
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import cv2
import numpy as np

#: common English words (and a few numbers) the pages are written with
VOCABULARY = (
    "the of and to in is was that for it with as on be at by this had not are but from or have an "
    "they which one you were her all she there would their we him been has when who will more no if "
    "out so said what up its about into than them can only other new some could time these two may "
    "then do first any my now such like our over man me even most made after also did many before "
    "must through back years where much your way well down should because each just those people how "
    "too little state good very make world still own see men work long get here between both life "
    "being under never day same another know while last might us great old year off come since "
    "against go came right used take three states himself few house use during without again place "
    "around however home small found thought went say part once general high upon school every "
    "number page text word image network detector score region affinity threshold label component "
    "python measure profile memory vector kernel compile loop array box line column paper 2023 "
    "1280 42 7 3.14 OCR CRAFT Seoul DEVIEW NumPy OpenCV"
).split()

FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf",
         "DejaVuSerif-Italic.ttf")


def font_path(name: str = "DejaVuSans.ttf") -> str:
    """The path of one of matplotlib's bundled TrueType fonts."""
    import matplotlib
    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)
    if not os.path.isfile(path):
        raise ValueError(f"font {name!r} is not among matplotlib's bundled fonts; try one of {FONTS}")
    return path


@dataclass
class TextPage:
    """A drawn page: the RGB image, word quads in page pixels (clockwise from top-left), texts."""
    image: np.ndarray               # uint8 (H, W, 3) RGB
    words: np.ndarray               # float32 (N, 4, 2)
    texts: list = field(default_factory=list)
    seed: int = 0
    info: dict = field(default_factory=dict)

    @property
    def n_words(self) -> int:
        return len(self.words)


def _word(rng) -> str:
    w = VOCABULARY[int(rng.integers(len(VOCABULARY)))]
    r = rng.random()
    if r < 0.12:
        w = w.capitalize()
    elif r < 0.14:
        w = w.upper()
    return w


def render_text_page(n_words: int = 300, size=1280, font_size: int = 24, seed: int = 0,
                     font: str = "DejaVuSans.ttf", columns: int = 1, angle: float = 0.0,
                     line_spacing: float = 1.6, word_spacing: float = 0.45, margin: float = 0.06,
                     ink: int = 20, paper: int = 255) -> TextPage:
    """Draw ``n_words`` words on lines (``columns`` columns), then turn the page by ``angle`` degrees.

    ``size`` is the side of a square page or ``(height, width)``.  The ground-truth quad of a
    word is the box of its ink (Pillow's text bounding box), turned with the page.  Words that
    the turn carries off the page are dropped (``info["dropped"]`` counts them).  Raises
    ``ValueError`` when the words do not fit.
    """
    from PIL import Image, ImageDraw, ImageFont
    height, width = (size, size) if np.isscalar(size) else (int(size[0]), int(size[1]))
    rng = np.random.default_rng(seed)
    pil_font = ImageFont.truetype(font_path(font), int(font_size))
    img = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(img)
    mx, my = int(margin * width), int(margin * height)
    gutter = int(1.5 * font_size) if columns > 1 else 0
    col_w = (width - 2 * mx - gutter * (columns - 1)) / columns
    space = word_spacing * font_size
    step = line_spacing * font_size
    quads, texts = [], []
    col, y = 0, my + font_size
    x = mx
    while len(texts) < n_words:
        text = _word(rng)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=pil_font, anchor="ls")
        x0 = mx + col * (col_w + gutter)
        if x > x0 and x + right > x0 + col_w:          # next line
            x, y = x0, y + step
        if y + font_size * 0.3 > height - my:           # next column
            col += 1
            if col >= columns:
                raise ValueError(f"{n_words} words of {font_size} px do not fit on a {height} x {width} "
                                 f"page in {columns} column(s); {len(texts)} did")
            x0 = mx + col * (col_w + gutter)
            x, y = x0, my + font_size
        x = max(x, x0)
        draw.text((x, y), text, font=pil_font, fill=ink, anchor="ls")
        quads.append([[x + left, y + top], [x + right, y + top], [x + right, y + bottom], [x + left, y + bottom]])
        texts.append(text)
        x += right + space
    page = np.asarray(img)
    words = np.array(quads, np.float64).reshape(-1, 4, 2)
    dropped = 0
    if angle:
        m = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), float(angle), 1.0)
        page = cv2.warpAffine(page, m, (width, height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=paper)
        words = words @ m[:, :2].T + m[:, 2]
        inside = ((words >= 0) & (words <= np.array([width - 1, height - 1]))).all(axis=(1, 2))
        dropped = int((~inside).sum())
        words = words[inside]
        texts = [t for t, k in zip(texts, inside) if k]
    rgb = np.ascontiguousarray(np.repeat(page[:, :, None], 3, axis=2))
    info = dict(n_words_asked=n_words, size=[height, width], font=font, font_size=int(font_size),
                columns=columns, angle=float(angle), seed=seed, dropped=dropped)
    return TextPage(rgb, words.astype(np.float32), texts, seed, info)
