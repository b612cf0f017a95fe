"""The semi-C level with Cython: the kernels of ``cython_kernels.pyx``, compiled on first use.

``get_boxes_cython`` has the contract of every level. Thresholding (one
compiled pass) and the per-label loop run in Cython without the GIL;
labelling stays with ``cv2.connectedComponentsWithStats``.

Building: the first call runs Cython and the C compiler (through setuptools,
in a child process, so the compiler's output can be shown when it fails) and
puts the extension under ``textpost/_build/cython_kernels-<hash>/``; the hash
covers the source, the flags and the versions, so editing the ``.pyx`` builds
a new module and an unchanged one is reused. A file lock keeps two processes
from building at once. ``TEXTPOST_BUILD_DIR`` moves the build folder.

What can go wrong, and what you see:

* no C compiler: :class:`CompilerNotFoundError` (a ``RuntimeError``) naming the
  compiler it looked for and how to install one;
* the code does not compile: :class:`CythonBuildError` (a ``RuntimeError``)
  holding Cython's or the compiler's own output.

The ``.pyx`` marks every function with ``# kernel: <name>`` ... ``# end kernel``;
:func:`kernel_sources` returns those texts, so a notebook's ``%%cython`` cell
can be checked to hold exactly the same code.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import cv2
import numpy as np

from .cppbuild import _file_lock, build_root  # one build folder and one lock for both compiled levels
from .validate import check_inputs, empty_boxes

PYX_PATH = Path(__file__).resolve().with_name("cython_kernels.pyx")
MODULE_BASENAME = "cython_kernels"

#: -ffp-contract=off: no fused multiply-add, so float arithmetic rounds step by step
#: (as the reference does) on every compiler that would otherwise fuse (e.g. clang on arm64);
#: -g0: no debug information (halves the compile time); -O3 would build slower, run no faster
EXTRA_COMPILE_ARGS = [] if os.name == "nt" else ["-O2", "-g0", "-ffp-contract=off"]

INSTALL_HELP = """\
Install a C compiler, then run again:
  Debian/Ubuntu:  sudo apt-get install build-essential
  conda:          conda install -c conda-forge c-compiler
  macOS:          xcode-select --install
  Windows:        install "Microsoft C++ Build Tools" (workload "Desktop development with C++"), or use WSL"""

_module = None


class CompilerNotFoundError(RuntimeError):
    """No C compiler was found, so the Cython level cannot be built."""


class CythonBuildError(RuntimeError):
    """Cython or the C compiler failed; ``output`` holds what they printed."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


def c_compiler() -> str:
    """The C compiler setuptools will call (``$CC`` or Python's own), e.g. ``'gcc'``."""
    if os.name == "nt":
        return "cl.exe"
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(cc)[0]


def check_compiler() -> str:
    """Return the path of the C compiler, or raise :class:`CompilerNotFoundError` saying what to install."""
    cc = c_compiler()
    if os.name == "nt":
        return cc  # MSVC is found by setuptools itself; a failure is reported after the build
    path = shutil.which(cc)
    if path is None:
        raise CompilerNotFoundError(f"No C compiler found: looked for {cc!r} (from $CC or Python's build "
                                    f"settings). The Cython level needs one.\n{INSTALL_HELP}")
    return path


def source_hash(source: bytes | None = None) -> str:
    """16 hex digits identifying a build: the source, the flags and the versions used."""
    import Cython
    source = PYX_PATH.read_bytes() if source is None else source
    h = hashlib.sha256(source)
    for part in (EXTRA_COMPILE_ARGS, Cython.__version__, sys.version, sysconfig.get_platform(),
                 sysconfig.get_config_var("EXT_SUFFIX")):
        h.update(repr(part).encode())
    return h.hexdigest()[:16]


_BUILD_SCRIPT = textwrap.dedent("""\
    import sys
    from setuptools import Distribution, Extension
    from Cython.Build import cythonize
    name, pyx, out_dir, tmp_dir = sys.argv[1:5]
    flags = sys.argv[5:]
    ext = Extension(name, [pyx], extra_compile_args=flags)
    modules = cythonize([ext], language_level=3, quiet=True, force=True)
    dist = Distribution({"name": name, "ext_modules": modules})
    cmd = dist.get_command_obj("build_ext")
    cmd.build_lib = out_dir
    cmd.build_temp = tmp_dir
    dist.run_command("build_ext")
""")

_MISSING_COMPILER_PATTERNS = (
    r"Microsoft Visual C\+\+ 14\.0 or greater is required",
    r"Unable to find vcvarsall\.bat",
    r"command '[^']*' failed: No such file or directory",
    r"error: command '[^']*' failed with exit code 127",
)


def build(source: str | bytes | None = None, force: bool = False, verbose: bool = False) -> Path:
    """Compile ``cython_kernels.pyx`` (or the Cython code ``source``) unless an up-to-date build
    exists; return the extension's path."""
    source = PYX_PATH.read_bytes() if source is None else source
    if isinstance(source, str):
        source = source.encode()
    digest = source_hash(source)
    name = f"{MODULE_BASENAME}_{digest}"
    folder = build_root() / f"{MODULE_BASENAME}-{digest}"
    ext_path = folder / (name + sysconfig.get_config_var("EXT_SUFFIX"))
    if ext_path.exists() and not force:
        return ext_path
    check_compiler()
    with _file_lock(build_root() / f"{folder.name}.lock"):
        if ext_path.exists() and not force:   # another process built it while we waited
            return ext_path
        work = folder / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        pyx = work / f"{name}.pyx"
        pyx.write_bytes(source)
        proc = subprocess.run(
            [sys.executable, "-c", _BUILD_SCRIPT, name, str(pyx), str(work / "lib"), str(work / "tmp"),
             *EXTRA_COMPILE_ARGS],
            cwd=work, capture_output=True, text=True)
        output = (proc.stdout or "") + (proc.stderr or "")
        (folder / "build.log").write_text(output)
        if verbose:
            print(output)
        built = list((work / "lib").glob(name + "*"))
        if proc.returncode != 0 or not built:
            if any(re.search(p, output) for p in _MISSING_COMPILER_PATTERNS):
                raise CompilerNotFoundError(f"The C compiler {c_compiler()!r} could not be run.\n"
                                            f"{INSTALL_HELP}\n\nBuild output:\n{output[-3000:]}")
            shown = output
            if "Error compiling Cython file" in shown:       # Cython's messages, not its traceback
                shown = shown.split("Traceback (most recent call last)")[0].rstrip()
            raise CythonBuildError(f"Building {name}.pyx failed (full log: {folder / 'build.log'}):\n"
                                   f"{shown[-6000:]}", output)
        os.replace(built[0], ext_path)       # appears whole, never half-written
        shutil.rmtree(work, ignore_errors=True)
    return ext_path


def load():
    """The compiled kernel module (built on first use, then reused)."""
    global _module
    if _module is None:
        path = build()
        name = path.name.split(".")[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _module = module
    return _module


def kernel_sources(text: str | None = None) -> dict[str, str]:
    """``{name: code}`` of every ``# kernel: <name>`` ... ``# end kernel`` block of the ``.pyx``
    (or of ``text``, e.g. a notebook cell), without the marker lines."""
    text = PYX_PATH.read_text() if text is None else text
    blocks = {}
    for m in re.finditer(r"^# kernel: (\w+)[ \t]*\n(.*?)^# end kernel[ \t]*$", text, re.S | re.M):
        if m.group(1) in blocks:
            raise ValueError(f"kernel {m.group(1)!r} is marked twice")
        blocks[m.group(1)] = m.group(2).rstrip("\n")
    return blocks


def _float32(value: float) -> float:
    """A threshold rounded to float32 (the precision of OpenCV's threshold; huge values become inf)."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


def get_boxes_cython(textmap, linkmap, text_threshold=0.7, link_threshold=0.4, low_text=0.4):
    """Word boxes with the Cython kernels (built on the first call). Same contract as the reference."""
    textmap, linkmap, text_threshold, link_threshold, low_text = check_inputs(
        textmap, linkmap, text_threshold, link_threshold, low_text)
    kernels = load()
    low_text = _float32(low_text)
    union = kernels.binarize_map(textmap, linkmap, low_text, _float32(link_threshold))
    n_labels, labels, stats, _ = cv2.connectedComponentsWithStats(union, connectivity=4)
    boxes = kernels.get_boxes_from_labels(labels, stats, n_labels, textmap, _float32(text_threshold),
                                          low_text)
    return boxes if len(boxes) else empty_boxes()
