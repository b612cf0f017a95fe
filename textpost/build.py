"""The one builder of the workshop: compile the Cython and the C++ extension, and import them.

    from textpost.build import build_cython, build_cpp
    kernels = build_cython(Path("textpost/levels/cython_kernels.pyx").read_bytes(), "cython_kernels")
    mod = build_cpp("_textpost_cpp", "textpost/levels/cpp/textpost_cpp.cpp")

Both go through :func:`compile_extension`: setuptools' ``build_ext`` run from
Python (no ``setup.py``), the compiler's output captured, into
``textpost/_build/<name>-<hash>/`` (``$TEXTPOST_BUILD_DIR`` moves it).  The hash
covers the source, every flag and the versions, so an edited source builds into a
new folder and an unchanged one is reused.  One naming rule for every build: module
``<name>`` in folder ``<name>-<hash>``.  A file lock keeps two processes (two notebooks,
parallel tests) from building the same thing at once.

Whatever goes wrong raises one error type, :class:`BuildError`: a missing compiler,
``pkg-config`` or OpenCV's C++ headers (with :data:`INSTALL_HELP`, the fix for each
OS), Cython's own errors, or the compiler's (its text is in the message and in ``log``).
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

#: -ffp-contract=off: no fused multiply-add, so float arithmetic rounds step by step
#: like NumPy's and the reference's (results identical on every compiler).
#: C (Cython): -O2 -g0 (no debug information halves the compile time; -O3 runs no faster).
C_FLAGS = [] if os.name == "nt" else ["-O2", "-g0", "-ffp-contract=off"]
CXX_FLAGS = ["-std=c++17", "-O3", "-ffp-contract=off"]

#: how to install a C/C++ compiler, pkg-config and OpenCV's C++ headers on each OS: the one
#: install help of the workshop (the builder's errors and the setup check of notebook 00)
INSTALL_BY_OS = {
    "Linux": "sudo apt-get install build-essential pkg-config libopencv-dev   (the packages in apt.txt; conda: "
             "conda install -c conda-forge c-compiler cxx-compiler pkg-config libopencv, as in environment.yml)",
    "macOS": "xcode-select --install   (the C/C++ compiler), then for C++: brew install opencv pkg-config",
    "Windows": "use WSL (then follow Linux) or the conda environment (environment.yml)",
}
INSTALL_HELP = "How to install what is missing, then run again:\n" + "\n".join(
    f"  {os_name + ':':<9}{fix}" for os_name, fix in INSTALL_BY_OS.items())

_loaded: dict[Path, object] = {}


class BuildError(RuntimeError):
    """An extension could not be built.  ``log`` holds the build's full output."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


def build_root() -> Path:
    """The folder that holds the builds: ``$TEXTPOST_BUILD_DIR`` or ``textpost/_build``."""
    env = os.environ.get("TEXTPOST_BUILD_DIR")
    return Path(env) if env else BUILD_ROOT


# --------------------------------------------------------------------------- tools

def compiler_command(language: str = "c") -> list[str]:
    """The command setuptools will run to compile ``language`` ("c" or "c++"): ``$CC``/``$CXX``
    first, then Python's build configuration (the same order as setuptools)."""
    env_var = "CXX" if language == "c++" else "CC"
    cmd = os.environ.get(env_var) or sysconfig.get_config_var(env_var) or ("c++" if language == "c++" else "cc")
    return shlex.split(cmd)


def check_toolchain(language: str = "c", opencv: bool = False) -> dict:
    """Check what a build needs; return what was found.  Raises :class:`BuildError` naming
    the first missing piece and how to install it.

    ``language`` "c" (Cython) or "c++" (also needs the C compiler driver setuptools links with);
    ``opencv``: also ``pkg-config`` and OpenCV's C++ development files.
    """
    found = {}
    if os.name == "nt":
        return found          # MSVC is found by setuptools itself; a failure is reported by the build
    for lang in (["c++", "c"] if language == "c++" else ["c"]):
        env_var = "CXX" if lang == "c++" else "CC"
        cmd = compiler_command(lang)
        path = shutil.which(cmd[0]) if cmd else None
        if path is None:
            raise BuildError(f"{'C++' if lang == 'c++' else 'C'} compiler not found: "
                             f"{cmd[0] if cmd else '(none configured)'!r} is not on PATH "
                             f"(from ${env_var} or Python's build configuration).\n{INSTALL_HELP}")
        found[env_var] = path
    include = sysconfig.get_paths()["include"]
    if not (Path(include) / "Python.h").exists():
        raise BuildError(f"Python's C headers are missing (no Python.h in {include}).\n"
                         "  Debian/Ubuntu:  sudo apt-get install python3-dev\n"
                         "  conda, macOS (python.org, Homebrew): they come with Python; reinstall it")
    if opencv:
        if shutil.which("pkg-config") is None:
            raise BuildError(f"pkg-config not found: it is needed to find OpenCV's C++ headers and "
                             f"libraries.\n{INSTALL_HELP}")
        proc = subprocess.run(["pkg-config", "--modversion", "opencv4"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError("OpenCV's C++ development files are not known to pkg-config "
                             "(`pkg-config --modversion opencv4` failed: "
                             f"{proc.stderr.strip() or 'no output'}).  The opencv-python wheel does not "
                             f"include them.\n{INSTALL_HELP}")
        found["opencv4"] = proc.stdout.strip()
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

def file_lock(path: Path, timeout: float = 600.0):
    """An exclusive lock between processes for a ``with`` block (the ``filelock`` package, so on
    every OS); raises ``filelock.Timeout``, a :class:`TimeoutError`, after ``timeout`` seconds."""
    from filelock import FileLock
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path, timeout=timeout)


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


def _import_from(name: str, path: Path):
    if path in _loaded:
        return _loaded[path]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _loaded[path] = module
    return module


def _fingerprint(parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(b"\0" + (part if isinstance(part, bytes) else str(part).encode()))
    return h.hexdigest()[:16]


def compile_extension(name: str, source: bytes, suffix: str, *, key_parts=(), prepare=None,
                      include_dirs=(), compile_args=(), link_args=(), language: str = "c",
                      force: bool = False, verbose: bool = False):
    """Compile one source into extension module ``name`` in a hashed folder, and import it.

    ``source`` is the file's text (bytes) and ``suffix`` its extension (".cpp", ".pyx", ...);
    ``prepare(path, log) -> path`` turns the written source into the file the compiler gets
    (Cython's translation to C), writing its messages to the text stream ``log``.  Returns the imported module; raises :class:`BuildError`.
    """
    import numpy as np
    from setuptools import Distribution, Extension

    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    key = _fingerprint([source, name, language, *compiler_command(language), *include_dirs, *compile_args, *link_args, *key_parts,
                        sys.version, np.__version__, ext_suffix])
    root = build_root()
    out_dir = root / f"{name}-{key}"
    target = out_dir / f"{name}{ext_suffix}"
    done = out_dir / "BUILD_OK"
    if done.exists() and target.exists() and not force:
        return _import_from(name, target)
    check_toolchain(language)

    with file_lock(root / f"{name}-{key}.lock"):
        if done.exists() and target.exists() and not force:     # another process built it meanwhile
            return _import_from(name, target)
        # build in a fresh folder, then move it into place: a half-finished build is never
        # mistaken for a finished one, and a module already loaded from the old folder keeps working
        tmp_dir = root / f".tmp-{name}-{key}-{os.getpid()}"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir(parents=True)
        src = tmp_dir / f"{name}{suffix}"
        src.write_bytes(source)
        chatter = io.StringIO()   # setuptools' own messages
        cmd = None
        try:
            with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
                compiled = prepare(src, chatter) if prepare else src
                ext = Extension(name, sources=[str(compiled)], include_dirs=list(include_dirs),
                                extra_compile_args=list(compile_args), extra_link_args=list(link_args),
                                language=language)
                dist = Distribution({"name": name, "ext_modules": [ext]})
                cmd = _build_ext_class()(dist)
                cmd.build_lib = str(tmp_dir)
                cmd.build_temp = str(tmp_dir / "obj")
                cmd.inplace = False
                cmd.force = True
                cmd.ensure_finalized()
                cmd.run()
        except BuildError as err:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            if verbose:
                print(err.log)
            raise BuildError(f"building {name} failed:\n{err}", err.log) from None
        except Exception as err:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            log = (chatter.getvalue() + "\n" + "\n".join(getattr(cmd, "log_text", []))).strip()
            raise BuildError(f"building {name} failed: {type(err).__name__}: {err}\n{log[-6000:]}", log) from err
        log = "\n".join(cmd.log_text)
        if verbose:
            print(log)
        found = list(tmp_dir.glob(f"{name}*{ext_suffix}")) or list(tmp_dir.rglob(f"{name}*{ext_suffix}"))
        if not found:
            raise BuildError(f"the build of {name} produced no {ext_suffix} file", log)
        if found[0] != tmp_dir / target.name:
            found[0].rename(tmp_dir / target.name)
        shutil.rmtree(tmp_dir / "obj", ignore_errors=True)
        (tmp_dir / "build.log").write_text(log + "\n")
        (tmp_dir / "BUILD_OK").write_text(f"{name}\n")
        if out_dir.exists():
            old = root / f".old-{name}-{key}-{os.getpid()}-{time.time_ns()}"
            out_dir.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        tmp_dir.rename(out_dir)
        return _import_from(name, target)


def _cythonize(pyx: Path, log: io.StringIO) -> Path:
    """Translate a ``.pyx`` to C with Cython; Cython's messages, captured in ``log``, become the error."""
    from Cython.Build import cythonize
    start = log.tell()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            cythonize([str(pyx)], language_level=3, quiet=True, force=True)
    except Exception as err:
        text = log.getvalue()[start:].strip()
        raise BuildError(f"Cython could not translate {pyx.name}:\n{text or err}", text) from None
    return pyx.with_suffix(".c")


def build_cython(source: bytes | str, name: str, force: bool = False, verbose: bool = False):
    """Compile Cython code ``source`` into extension module ``name`` and import it."""
    import Cython
    source = source.encode() if isinstance(source, str) else source
    return compile_extension(name, source, ".pyx", prepare=_cythonize, key_parts=[Cython.__version__],
                             compile_args=C_FLAGS, language="c", force=force, verbose=verbose)


def build_cpp(name: str, source_path, include_dirs=(), force: bool = False, verbose: bool = False):
    """Compile one C++17 source (NumPy C API + OpenCV) into extension module ``name`` and import it.

    The source must define ``PyInit_<name>``.  Its own folder and ``include_dirs`` are on the
    include path, and the headers there (``*.hpp``) are part of the build's hash, so editing one
    rebuilds.  ``force`` rebuilds even when an up-to-date build exists (a module already imported
    in this process stays in use until the process restarts: a loaded extension cannot be unloaded).
    """
    import numpy as np
    check_toolchain("c++", opencv=True)   # say what is missing before pkg-config is asked for flags
    cflags, ldflags = opencv_flags()
    source_path = Path(source_path).resolve()
    folders = [source_path.parent, *(Path(d).resolve() for d in include_dirs)]
    headers = [h.read_bytes() for d in folders for h in sorted(d.glob("*.hpp"))]
    include = [str(d) for d in folders] + [np.get_include()] + [f[2:] for f in cflags if f.startswith("-I")]
    compile_args = CXX_FLAGS + [f for f in cflags if not f.startswith("-I")]
    return compile_extension(name, source_path.read_bytes(), ".cpp", key_parts=headers, include_dirs=include,
                             compile_args=compile_args, link_args=ldflags, language="c++",
                             force=force, verbose=verbose)


def cpp_loader(name: str, source_path):
    """``load_extension(force=False, verbose=False)`` for one C++ level: builds and imports the
    module on its first call (:func:`build_cpp`), then returns the same module without asking
    pkg-config or hashing again.  Raises :class:`BuildError` when it cannot be built."""
    module = None

    def load_extension(force: bool = False, verbose: bool = False):
        nonlocal module
        if module is None or force:
            module = build_cpp(name, source_path, force=force, verbose=verbose)
        return module

    return load_extension
