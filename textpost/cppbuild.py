"""Build a C++ extension module that uses NumPy and OpenCV's C++ library, and import it.

    from textpost.cppbuild import build_extension
    mod = build_extension("_textpost_cpp", "textpost/cpp/textpost_cpp.cpp")

``build_extension`` compiles one C++17 source file with setuptools (run from
Python, no ``setup.py``), with OpenCV's flags from ``pkg-config opencv4`` and
NumPy's headers, into ``textpost/_build/<name>-<hash>/`` (``$TEXTPOST_BUILD_DIR``
moves it).  The hash covers the
source and every flag, so an edited source builds into a new folder and an
unchanged one is reused: only the first call compiles.  A file lock keeps two
processes (two notebooks, parallel tests) from building the same thing at once.

What can go wrong, and what you see:

* no C++ compiler, no ``pkg-config``, or OpenCV's C++ headers unknown to
  ``pkg-config``: a :class:`BuildError` saying which one is missing and how to
  install it on Debian/Ubuntu, conda, macOS and Windows;
* the code does not compile: a :class:`BuildError` whose message holds the
  compiler's own error text (it is also in ``err.log``).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

#: where builds go by default (ignored by git); ``$TEXTPOST_BUILD_DIR`` moves them
BUILD_ROOT = Path(__file__).resolve().parent / "_build"


def build_root() -> Path:
    """The folder that holds the builds: ``$TEXTPOST_BUILD_DIR`` or ``textpost/_build``."""
    env = os.environ.get("TEXTPOST_BUILD_DIR")
    return Path(env) if env else BUILD_ROOT

#: flags added to every build.  -ffp-contract=off: no fused multiply-add, so float
#: arithmetic rounds step by step like NumPy's (results identical to the reference).
CXX_FLAGS = ["-std=c++17", "-O3", "-ffp-contract=off"]

INSTALL_HELP = """\
How to install what is missing:
  Debian/Ubuntu:  sudo apt-get install g++ pkg-config libopencv-dev      (the packages in apt.txt)
  conda:          conda install -c conda-forge cxx-compiler pkg-config libopencv   (in environment.yml)
  macOS:          xcode-select --install   (the C++ compiler), then: brew install opencv pkg-config
  Windows:        use WSL (then follow Debian/Ubuntu) or the conda environment"""

_loaded: dict[Path, object] = {}


class BuildError(RuntimeError):
    """The extension could not be built.  ``log`` holds the build's full output."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


# --------------------------------------------------------------------------- tools

def _tool(env_var: str, config_var: str, fallback: str) -> list[str]:
    """The command setuptools will use for CC or CXX (environment first, like setuptools)."""
    cmd = os.environ.get(env_var) or sysconfig.get_config_var(config_var) or fallback
    return shlex.split(cmd)


def check_toolchain() -> dict:
    """Check the compiler, pkg-config and OpenCV's pkg-config entry; return what was found.

    Raises :class:`BuildError` naming the first missing piece and how to install it.
    """
    found = {}
    for role, env_var, config_var, fallback in (("C++ compiler", "CXX", "CXX", "c++"),
                                                ("C compiler driver", "CC", "CC", "cc")):
        cmd = _tool(env_var, config_var, fallback)
        path = shutil.which(cmd[0]) if cmd else None
        if path is None:
            raise BuildError(f"{role} not found: {cmd[0] if cmd else '(none configured)'!r} is not on PATH "
                             f"(set by ${env_var} or Python's build configuration).\n{INSTALL_HELP}")
        found[env_var] = path
    if shutil.which("pkg-config") is None:
        raise BuildError(f"pkg-config not found: it is needed to find OpenCV's C++ headers and libraries.\n"
                         f"{INSTALL_HELP}")
    found["pkg-config"] = shutil.which("pkg-config")
    proc = subprocess.run(["pkg-config", "--modversion", "opencv4"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("OpenCV's C++ development files are not known to pkg-config "
                         "(`pkg-config --modversion opencv4` failed: "
                         f"{proc.stderr.strip() or 'no output'}).  The opencv-python wheel does not "
                         f"include them.\n{INSTALL_HELP}")
    found["opencv4"] = proc.stdout.strip()
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        raise BuildError(f"Python's C headers are missing (no Python.h in {include}).\n"
                         "  Debian/Ubuntu:  sudo apt-get install python3-dev\n"
                         "  conda, macOS (python.org, Homebrew): they come with Python; reinstall it")
    return found


def opencv_flags() -> tuple[list[str], list[str]]:
    """(compile flags, link flags) for OpenCV, from ``pkg-config --cflags --libs opencv4``."""
    def pkg(*args):
        proc = subprocess.run(["pkg-config", *args, "opencv4"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"`pkg-config {' '.join(args)} opencv4` failed: {proc.stderr.strip()}\n"
                             f"{INSTALL_HELP}")
        return shlex.split(proc.stdout)
    cflags, libs = pkg("--cflags"), pkg("--libs")
    link = []
    if sys.platform.startswith("linux"):
        # pkg-config lists every OpenCV module; keep only those the code really uses
        link.append("-Wl,--as-needed")
    link += libs
    # a library folder outside the system's (conda, Homebrew) must also be found at run time
    link += [f"-Wl,-rpath,{flag[2:]}" for flag in libs if flag.startswith("-L")]
    return cflags, link


# --------------------------------------------------------------------------- locking

@contextlib.contextmanager
def _file_lock(path: Path, timeout: float = 600.0):
    """An exclusive lock between processes, held for the ``with`` block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        if os.name == "nt":  # pragma: no cover - Windows without WSL is not a supported route
            import msvcrt
            fh.seek(0)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"could not lock {path} within {timeout:.0f} s")
                    time.sleep(0.2)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"could not lock {path} within {timeout:.0f} s "
                                           "(is another build stuck?)")
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- building

def _build_ext_class():
    """setuptools' build_ext, with the compiler's output captured instead of printed.

    By default the compiler writes straight to the process's stderr: in Jupyter
    that is the terminal running the server, not the notebook, and the exception
    only says "exit code 1".  Here every command's output is collected, and a
    failing command raises :class:`BuildError` carrying that output.
    """
    from setuptools.command.build_ext import build_ext

    class CapturingBuildExt(build_ext):
        log_text: list[str]

        def build_extensions(self):
            self.log_text = []

            def spawn(cmd, **kwargs):
                self.log_text.append("$ " + shlex.join(cmd))
                proc = subprocess.run(cmd, capture_output=True, text=True, env=kwargs.get("env"))
                output = (proc.stdout + proc.stderr).strip()
                if output:
                    self.log_text.append(output)
                if proc.returncode != 0:
                    raise BuildError(f"command failed with exit code {proc.returncode}: {cmd[0]}\n{output}",
                                     "\n".join(self.log_text))

            self.compiler.spawn = spawn
            super().build_extensions()

    return CapturingBuildExt


def _fingerprint(source: bytes, flags: list) -> str:
    h = hashlib.sha256()
    h.update(source)
    for part in flags:
        h.update(b"\0" + str(part).encode())
    return h.hexdigest()[:16]


def _import_from(name: str, path: Path):
    if path in _loaded:
        return _loaded[path]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _loaded[path] = module
    return module


def build_extension(name: str, source_path, force: bool = False, verbose: bool = False):
    """Compile ``source_path`` (C++17, NumPy + OpenCV) into extension module ``name`` and import it.

    name         the module's name; the source must define ``PyInit_<name>``
    source_path  the ``.cpp`` file (relative paths: from the current folder)
    force        rebuild even when an up-to-date build exists.  A module already
                 imported in this process from the same folder stays in use until
                 the process restarts (a loaded extension cannot be unloaded)
    verbose      print the compiler commands and their output

    Returns the imported module.  Raises :class:`BuildError` (a ``RuntimeError``)
    when a tool is missing or compilation fails, with the compiler's error text.
    """
    import numpy as np
    from setuptools import Distribution, Extension

    source_path = Path(source_path).resolve()
    source = source_path.read_bytes()
    check_toolchain()
    cflags, ldflags = opencv_flags()
    include_dirs = [np.get_include()] + [f[2:] for f in cflags if f.startswith("-I")]
    compile_args = CXX_FLAGS + [f for f in cflags if not f.startswith("-I")]
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    key = _fingerprint(source, [name, *include_dirs, *compile_args, *ldflags, sys.version,
                                np.__version__, ext_suffix])
    root = build_root()
    out_dir = root / f"{name}-{key}"
    target = out_dir / f"{name}{ext_suffix}"
    done = out_dir / "BUILD_OK"

    with _file_lock(root / f"{name}-{key}.lock"):
        if done.exists() and target.exists() and not force:
            return _import_from(name, target)

        # build in a fresh folder, then move it into place: a half-finished build
        # is never mistaken for a finished one, and a module already loaded from
        # the old folder keeps working
        tmp_dir = root / f".tmp-{name}-{key}-{os.getpid()}"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        ext = Extension(name, sources=[str(source_path)], include_dirs=include_dirs,
                        extra_compile_args=compile_args, extra_link_args=ldflags, language="c++")
        dist = Distribution({"name": name, "ext_modules": [ext]})
        cmd = _build_ext_class()(dist)
        cmd.build_lib = str(tmp_dir)
        cmd.build_temp = str(tmp_dir / "obj")
        cmd.inplace = False
        cmd.force = True
        chatter = io.StringIO()   # setuptools' own progress messages
        try:
            with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                cmd.ensure_finalized()
                cmd.run()
        except BuildError as err:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            if verbose:
                print(err.log)
            raise BuildError(f"building {name} from {source_path.name} failed:\n{err}", err.log) from None
        except Exception as err:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            log = chatter.getvalue() + "\n" + "\n".join(getattr(cmd, "log_text", []))
            raise BuildError(f"building {name} from {source_path.name} failed: "
                             f"{type(err).__name__}: {err}\n{log}", log) from err
        log = "\n".join(cmd.log_text)
        if verbose:
            print(log)
        built = tmp_dir / f"{name}{ext_suffix}"
        if not built.exists():
            found = list(tmp_dir.rglob(f"{name}*{ext_suffix}"))
            if not found:
                raise BuildError(f"the build of {name} produced no {ext_suffix} file", log)
            built = found[0]
        if built != tmp_dir / target.name:
            built.rename(tmp_dir / target.name)
        shutil.rmtree(tmp_dir / "obj", ignore_errors=True)
        (tmp_dir / "build.log").write_text(log + "\n")
        (tmp_dir / "BUILD_OK").write_text(f"{source_path}\n")
        if out_dir.exists():
            old = root / f".old-{name}-{key}-{os.getpid()}-{time.time_ns()}"
            out_dir.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        tmp_dir.rename(out_dir)
        return _import_from(name, target)
