"""CRAFT itself, without torch: the real detector that makes the score maps.

    >>> from textpost.detector import run_craft
    >>> textmap, linkmap, scale = run_craft(rgb_page)          # uint8 (H, W, 3)
    >>> boxes = get_boxes(textmap, linkmap) * scale             # page pixels

What happens, once per process:

1. :mod:`textpost.craft_weights` finds CRAFT's published weights (``craft_mlt_25k.pth``,
   installed by ``requirements.txt``), checks their md5 and reads them without torch and
   without running code from the file.
2. :mod:`textpost.craft_graph` builds the network as an ONNX graph, or takes it from the
   user's private cache when its sha256 is the one the pinned weights build; nothing else
   is ever run.
3. :func:`run_craft` applies CRAFT's pre-processing (``imgproc.resize_aspect_ratio`` with
   ``mag_ratio=1``, zero padding to a multiple of 32, ImageNet mean and variance) and runs
   the graph with onnxruntime (default) or OpenCV's ``cv2.dnn``.  Why onnxruntime: measured
   with ``tools/measure_detector.py`` on a shared 2-core machine it was 2-3x faster (640 px:
   7.0 s against 14.0 s; 1280 px: 28 s against 90 s) and needed less memory (peak 0.8 against
   1.1 GB at 640 px, 2.2 against 2.5 GB at 1280 px), for a 28 MB wheel.  ``runtime="cv2"``
   stays available (no extra package; the graph uses constant 2x upsampling scales, which
   OpenCV's dnn module accepts) and agrees within 1e-4 (a test compares them).  onnxruntime's telemetry is off: importing
   :mod:`textpost` sets ``ORT_DISABLE_TELEMETRY=1`` unless it is already set.

The maps are the network's raw outputs (no sigmoid, as in CRAFT's ``test.py``), at half the
padded input size: map pixel (x, y) times ``scale`` is the page pixel.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from .craft_graph import (GRAPH_SHA256, GraphCacheWarning, build_onnx, cache_dir,  # noqa: F401
                          graph_bytes, onnx_path)
from .craft_weights import (FIX_COMMAND, WEIGHTS_BYTES, WEIGHTS_FILE, WEIGHTS_MD5,  # noqa: F401
                            WEIGHTS_PACKAGE, WeightsError, check_weights, file_md5, find_weights,
                            load_state_dict, load_weights)

RUNTIMES = ("onnxruntime", "cv2")

MEAN = (0.485, 0.456, 0.406)
VARIANCE = (0.229, 0.224, 0.225)


_SESSIONS: dict = {}


def _session(runtime: str, threads: int | None):
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    key = (runtime, threads)
    if key not in _SESSIONS:
        graph = graph_bytes()            # verified bytes: the very ones that are run
        if runtime == "onnxruntime":
            import onnxruntime as ort
            opts = ort.SessionOptions()
            if threads:
                opts.intra_op_num_threads = int(threads)
            opts.log_severity_level = 3
            _SESSIONS[key] = ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])
        else:
            _SESSIONS[key] = cv2.dnn.readNetFromONNX(np.frombuffer(graph, np.uint8))
    return _SESSIONS[key]


def craft_net(x: np.ndarray, runtime: str = "onnxruntime", threads: int | None = None) -> np.ndarray:
    """The network alone: normalised input (1, 3, H, W) float32 -> maps (1, 2, H/2, W/2)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 4 or x.shape[:2] != (1, 3) or x.shape[2] % 32 or x.shape[3] % 32 or 0 in x.shape:
        raise ValueError(f"the network takes a (1, 3, H, W) input with H, W multiples of 32; got {x.shape}")
    net = _session(runtime, threads)
    if runtime == "onnxruntime":
        return net.run(["maps"], {"image": x})[0]
    if threads:
        cv2.setNumThreads(int(threads))
    net.setInput(x)
    return net.forward()


# --------------------------------------------------------------------------- pre-processing and the API

def _check_image(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"the page must be a NumPy array (H, W, 3) of uint8 RGB, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"the page must be uint8 RGB (0-255), got dtype {image.dtype}"
                        + ("; for a float image in [0, 1] use (img * 255).round().astype(np.uint8)"
                           if image.dtype.kind == "f" else ""))
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        raise ValueError(f"the page is grey {image.shape}; CRAFT takes RGB: "
                         f"cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)")
    if image.ndim == 3 and image.shape[2] == 4:
        raise ValueError("the page has 4 channels (RGBA); CRAFT takes RGB: img[:, :, :3]")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the page must have shape (H, W, 3) (RGB), got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"the page is empty: shape {image.shape}")
    return image


def preprocess(image: np.ndarray, canvas_size: int = 1280, mag_ratio: float = 1.0):
    """CRAFT's input for an RGB uint8 page: ``(x, ratio)``.

    As CRAFT's ``imgproc.resize_aspect_ratio`` + ``normalizeMeanVariance``: the longer side
    becomes ``min(mag_ratio * longer side, canvas_size)`` (bilinear), the image is padded with
    zeros at the right and bottom to multiples of 32, then ``(pixel - 255 * mean) / (255 * var)``
    per channel.  ``x`` is (1, 3, H32, W32) float32; ``ratio`` the resize factor.
    """
    image = _check_image(image)
    if isinstance(canvas_size, bool) or not isinstance(canvas_size, (int, np.integer)) or canvas_size < 32:
        raise ValueError(f"canvas_size must be an integer >= 32, got {canvas_size!r}")
    h, w, _ = image.shape
    target = min(mag_ratio * max(h, w), canvas_size)
    ratio = target / max(h, w)
    th, tw = max(int(h * ratio), 1), max(int(w * ratio), 1)
    proc = cv2.resize(image, (tw, th), interpolation=cv2.INTER_LINEAR)
    h32, w32 = -(-th // 32) * 32, -(-tw // 32) * 32
    canvas = np.zeros((h32, w32, 3), np.float32)
    canvas[:th, :tw] = proc
    canvas -= np.array([m * 255.0 for m in MEAN], np.float32)
    canvas /= np.array([v * 255.0 for v in VARIANCE], np.float32)
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None]), ratio


def run_craft(image: np.ndarray, canvas_size: int = 1280, runtime: str = "onnxruntime",
              threads: int | None = None):
    """CRAFT's score maps of an RGB uint8 page: ``(textmap, linkmap, scale)``.

    ``textmap`` (region) and ``linkmap`` (affinity) are float32 (H32/2, W32/2) maps, the
    network's raw output, ready for ``get_boxes``; map coordinates x ``scale`` are page pixels.
    ``canvas_size`` caps the longer side (CRAFT's default 1280; EasyOCR's 2560).
    ``runtime``: ``"onnxruntime"`` (default) or ``"cv2"`` (OpenCV's dnn module).
    """
    x, ratio = preprocess(image, canvas_size)
    y = craft_net(x, runtime, threads)
    return np.ascontiguousarray(y[0, 0]), np.ascontiguousarray(y[0, 1]), 2.0 / ratio


@dataclass
class SmokeCheck:
    ok: bool
    weights: str
    md5_ok: bool
    maps_shape: tuple | None
    seconds: float
    message: str

    def __str__(self) -> str:
        return self.message


def smoke_check(size: int = 64) -> SmokeCheck:
    """For the setup check: weights found, md5 OK, and the network run on a ``size`` px page."""
    try:
        path = check_weights()
    except WeightsError as e:
        return SmokeCheck(False, "", False, None, 0.0, f"CRAFT weights: FAILED. {e}")
    try:
        t0 = time.perf_counter()
        page = np.full((size, size, 3), 255, np.uint8)
        cv2.putText(page, "ab", (4, size // 2), cv2.FONT_HERSHEY_SIMPLEX, size / 64, (0, 0, 0), 2)
        textmap, linkmap, _ = run_craft(page, canvas_size=size)
        dt = time.perf_counter() - t0
        ok = textmap.shape == linkmap.shape == (-(-size // 32) * 16,) * 2 and bool(np.isfinite(textmap).all())
    except Exception as e:  # noqa: BLE001 - the setup check reports, it does not crash
        return SmokeCheck(False, str(path.name), True, None, 0.0,
                          f"CRAFT weights: found, md5 OK; network run FAILED: {type(e).__name__}: {e}")
    return SmokeCheck(ok, path.name, True, textmap.shape, dt,
                      f"CRAFT weights: {WEIGHTS_PACKAGE} {path.name} found, md5 OK; "
                      f"network on a {size} px page: maps {textmap.shape[0]} x {textmap.shape[1]}"
                      f"{'' if ok else ' (unexpected!)'}, {dt:.1f} s (first run builds the graph)")
