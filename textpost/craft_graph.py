"""CRAFT's network as an ONNX graph, built from the weights and kept only when verified.

:func:`build_onnx` writes the network as an ONNX graph (VGG16-BN with batch norm folded into
the convolutions, CRAFT's U-Net up-path, bilinear 2x upsampling with half-pixel centres =
PyTorch's ``align_corners=False``) and checks it with ``onnx.checker``.

:func:`graph_bytes` gives the graph to run.  The pinned weights always build the same bytes,
whose sha256 is :data:`GRAPH_SHA256`; a cached graph is run only when its bytes have that hash,
and the very bytes that were checked are the ones handed to the runtime.  The cache is the
user's own folder (``$XDG_CACHE_HOME/textpost`` or ``~/.cache/textpost``), created private
(0700), written only when it is a real folder of this user that nobody else can write; files
are created exclusively, never through a link, and renamed into place.  There is no shared
fallback: when the cache cannot be used, the graph is built in memory (a few seconds) and
nothing is written.  A cached file that is truncated, foreign or a link is reported
(:class:`GraphCacheWarning`), never run, and replaced by a fresh build.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import warnings
from pathlib import Path

import numpy as np

from .craft_weights import WeightsError, load_weights

OPSET = 13
#: sha256 of the serialised graph that :func:`build_onnx` makes from the pinned weights (with the
#: pinned onnx); tests/test_detector.py builds it and compares.  Change it with the graph.
GRAPH_SHA256 = "a63273520dc272755869d12e44096780ccb96212d9db71482edf1774b064a6d8"
GRAPH_FILE = f"craft_mlt_25k_{GRAPH_SHA256[:16]}.onnx"

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

class GraphCacheWarning(UserWarning):
    """A cached graph was not the one the weights build (truncated, foreign, a link): not run."""


def cache_dir() -> Path:
    """Where the built graph is kept: ``$XDG_CACHE_HOME/textpost``, else ``~/.cache/textpost``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "textpost"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _private_folder(folder: Path) -> bool:
    """Create ``folder`` (mode 0700) when missing; True when it is a real folder (not a link)
    owned by this user that no one else can write."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        st = os.lstat(folder)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISDIR(st.st_mode) and mine and not st.st_mode & 0o022


def _read_verified(path: Path) -> tuple[bytes | None, str]:
    """``(bytes, "")`` when ``path`` is a regular file (not a link) holding the pinned graph;
    ``(None, "")`` when there is no file; ``(None, what is wrong)`` otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        return None, ""
    except OSError as e:
        return None, "is a link or cannot be opened" + (f" ({e.strerror})" if e.strerror else "")
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None, "is not a regular file"
        data = f.read()
    digest = _sha256(data)
    if digest != GRAPH_SHA256:
        return None, (f"is not the graph the pinned weights build ({len(data)} bytes, sha256 {digest[:16]}..., "
                      f"expected {GRAPH_SHA256[:16]}...)")
    return data, ""


def _write_exclusive(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``path`` (created exclusively, mode 0600, never through
    a link) and rename it over ``path``: a link at ``path`` is replaced, not followed."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _build(weights=None) -> bytes:
    return build_onnx(load_weights(weights)).SerializeToString()


def graph_bytes(weights: str | Path | None = None, rebuild: bool = False) -> bytes:
    """CRAFT's ONNX graph, serialised: the cached file when its sha256 is :data:`GRAPH_SHA256`,
    else built from the (md5-checked) weights and stored in the private cache when it can be.

    A build whose hash is not the pinned one (another onnx release may serialise differently)
    is used from memory and not cached, so the cache only ever holds the pinned graph.
    """
    path = cache_dir() / GRAPH_FILE
    if not rebuild:
        data, problem = _read_verified(path)
        if data is not None:
            return data
        if problem:
            warnings.warn(f"the cached CRAFT graph {path} {problem}; it was not run and is rebuilt",
                          GraphCacheWarning, stacklevel=2)
    data = _build(weights)
    if _sha256(data) == GRAPH_SHA256 and _private_folder(path.parent):
        with contextlib.suppress(OSError):
            _write_exclusive(path, data)
    return data


def onnx_path(weights: str | Path | None = None, rebuild: bool = False) -> Path:
    """The cached graph's path, after :func:`graph_bytes` has verified or stored it there.

    Raises :class:`OSError` when the cache does not hold the pinned graph afterwards (the
    folder is not private to this user, or cannot be written, or the build is not the pinned one).
    """
    graph_bytes(weights, rebuild)
    path = cache_dir() / GRAPH_FILE
    if _read_verified(path)[0] is None:
        raise OSError(f"the CRAFT graph could not be cached in {path.parent}: the folder must be this "
                      f"user's, writable, and not writable by others; the graph is built in memory instead")
    return path
