"""The ready samples in ``data/``: CRAFT-style score maps with their ground truth.

Every sample is a page of score maps as CRAFT returns them, with the word
quads that made them.  ``tools/make_data.py`` (``make data``) writes them;
``data/README.md`` says what each one holds.

    >>> from textpost.data import load_sample
    >>> page = load_sample("document")
    >>> page.textmap.shape, page.n_words, page.n_boxes

Files per sample ``NAME`` (in ``data/``):

- ``NAME_textmap.png``, ``NAME_linkmap.png``: 16-bit grey PNG, pixel = round(score * 65535)
- ``NAME.json``: description, ground-truth word quads (map pixels), texts, how it was made,
  and ``n_boxes``, the number of boxes the reference returns at the default thresholds
- ``NAME_page.png`` (some samples): the rendered page image, 8-bit grey, ``image_scale`` x the map size

The ``real_*`` samples are pages drawn with a real font whose maps CRAFT made
(``textpost.detector.run_craft``); their page image is the network's input
(``cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .config import ROOT
from .synth import Page

#: the synthetic samples (maps painted by textpost.synth), from the fewest words to the most,
#: then the special ones
SYNTHETIC_SAMPLES: tuple[str, ...] = ("sparse", "document", "dense", "rotated", "edge_cases")
#: the real samples: pages drawn with a font (textpost.render), maps made by CRAFT itself
#: (textpost.detector), smallest first
REAL_SAMPLES: tuple[str, ...] = ("real_rotated", "real_document", "real_dense")
#: every ready sample
SAMPLES: tuple[str, ...] = SYNTHETIC_SAMPLES + REAL_SAMPLES

#: the folder holding the samples: ``data/`` at the repository root (the parent of ``textpost/``)
DATA_DIR: Path = ROOT / "data"

_SCALE = 65535.0


@dataclass
class Sample(Page):
    """A :class:`~textpost.synth.Page` loaded from ``data/``, with what it is.

    ``chars`` is empty: the samples store word quads, not character quads
    (use :func:`load_page_image` for the pictures).
    """
    name: str = ""
    description: str = ""
    n_boxes: int | None = None      # boxes the reference returns at the default thresholds
    info: dict = field(default_factory=dict)   # everything else the JSON file holds

    def __repr__(self) -> str:
        h, w = self.shape
        return (f"Sample({self.name!r}: {h}x{w} maps, {self.n_words} words, "
                f"{self.n_boxes} reference boxes)")


def encode_map(score: np.ndarray) -> np.ndarray:
    """A score map in [0, 1] as the uint16 image stored on disk: round(score * 65535)."""
    score = np.asarray(score, dtype=np.float64)
    return np.round(np.clip(score, 0.0, 1.0) * _SCALE).astype(np.uint16)


def decode_map(stored: np.ndarray) -> np.ndarray:
    """The float32 score map (values in [0, 1]) of a stored uint16 image."""
    if stored.dtype != np.uint16:
        raise ValueError(f"a stored score map must be a 16-bit image, got dtype {stored.dtype}")
    return stored.astype(np.float32) / np.float32(_SCALE)


def _check_name(name: str) -> str:
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; the samples are: {', '.join(SAMPLES)}")
    return name


def _missing(path: Path) -> FileNotFoundError:
    return FileNotFoundError(
        f"{path} not found: the data/ folder is missing or incomplete. "
        f"Rebuild it by running `make data` (or `python tools/make_data.py`) in the repository root "
        f"({DATA_DIR.parent}).")


def sample_path(name: str, kind: str = "json", data_dir: str | Path | None = None) -> Path:
    """The path of one file of sample ``name``.

    kind: ``"json"`` (ground truth and metadata), ``"textmap"``, ``"linkmap"`` or ``"page"``
    (the rendered page image, only for some samples).  The file need not exist.
    """
    _check_name(name)
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    if kind == "json":
        return folder / f"{name}.json"
    if kind in ("textmap", "linkmap", "page"):
        return folder / f"{name}_{kind}.png"
    raise ValueError(f"unknown kind {kind!r}; expected 'json', 'textmap', 'linkmap' or 'page'")


def _read_png(path: Path, flags: int) -> np.ndarray:
    if not path.is_file():
        raise _missing(path)
    img = cv2.imread(str(path), flags)
    if img is None:
        raise ValueError(f"{path} could not be read as a PNG image; rebuild data/ with `make data`")
    return img


def _read_json(name: str, data_dir=None) -> dict:
    path = sample_path(name, "json", data_dir)
    if not path.is_file():
        raise _missing(path)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_sample(name: str, data_dir: str | Path | None = None) -> Sample:
    """Load sample ``name`` (one of :data:`SAMPLES`) from ``data/``.

    Returns a :class:`Sample`: ``textmap`` and ``linkmap`` as float32 (H, W) arrays in [0, 1],
    ``words`` as float32 (N, 4, 2) ground-truth quads in map pixels, ``texts``, and
    ``name``, ``description``, ``n_boxes`` and ``info`` (the rest of the metadata).
    Every call reads the files again, so changing the arrays never changes the next load.
    """
    meta = _read_json(name, data_dir)
    textmap = decode_map(_read_png(sample_path(name, "textmap", data_dir), cv2.IMREAD_UNCHANGED))
    linkmap = decode_map(_read_png(sample_path(name, "linkmap", data_dir), cv2.IMREAD_UNCHANGED))
    height, width = meta["size"]
    if textmap.shape != (height, width) or linkmap.shape != (height, width):
        raise ValueError(f"sample {name!r}: the maps have shapes {textmap.shape} and {linkmap.shape}, "
                         f"the metadata says {(height, width)}; rebuild data/ with `make data`")
    words = np.array(meta["words"], dtype=np.float32).reshape(-1, 4, 2)
    skip = {"words", "texts", "name", "description", "n_boxes", "seed"}
    return Sample(textmap=textmap, linkmap=linkmap, words=words, texts=list(meta["texts"]),
                  chars=[], seed=meta.get("seed") or 0, name=name,
                  description=meta["description"], n_boxes=meta["n_boxes"],
                  info={k: v for k, v in meta.items() if k not in skip})


def load_samples(names=None, data_dir: str | Path | None = None) -> dict[str, Sample]:
    """Load several samples (all of :data:`SAMPLES` by default) as a dict name -> :class:`Sample`."""
    names = SAMPLES if names is None else tuple(names)
    return {name: load_sample(name, data_dir) for name in names}


def has_page_image(name: str, data_dir: str | Path | None = None) -> bool:
    """Whether ``data/`` holds the rendered page image of sample ``name``."""
    return sample_path(name, "page", data_dir).is_file()


def load_page_image(name: str, data_dir: str | Path | None = None) -> np.ndarray:
    """The rendered page image of sample ``name`` (uint8 grey, H x W).

    Its size is ``info["image_scale"]`` times the map size (CRAFT's maps are half its input).
    Only some samples have one; :func:`has_page_image` tells which.
    """
    path = sample_path(name, "page", data_dir)
    if not path.is_file():
        with_image = [n for n in SAMPLES if sample_path(n, "page", data_dir).is_file()]
        if with_image:
            raise FileNotFoundError(f"sample {name!r} has no page image; these samples have one: "
                                    f"{', '.join(with_image)}")
        raise _missing(path)
    return _read_png(path, cv2.IMREAD_GRAYSCALE)
