"""The checks behind notebooks/00_setup_check.ipynb: what works on this machine, and the fix when not."""
from __future__ import annotations

import importlib
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .build import INSTALL_BY_OS


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: dict = field(default_factory=dict)   # OS name -> what to do
    needed_for: str = ""


def current_os() -> str:
    return {"Linux": "Linux", "Darwin": "macOS", "Windows": "Windows"}.get(platform.system(), platform.system())


FIX_VENV = {
    "Linux": "run `make lab` (or `make test`) from the repository root: it installs requirements.txt into .venv",
    "macOS": "run `make lab` from the repository root, or use the conda route: conda env create -f environment.yml",
    "Windows": "use the conda route: conda env create -f environment.yml, then conda activate textpost-workshop",
}
#: compilers, pkg-config and OpenCV's C++ headers: the builder's own install help, per OS
FIX_CC = FIX_CXX_OPENCV = INSTALL_BY_OS


def check_python() -> Check:
    v = sys.version_info
    return Check("Python >= 3.10", v >= (3, 10), f"{platform.python_version()} at {Path(sys.executable).name}",
                 {"Linux": "install Python 3.10+ (the workshop is tested on 3.11)",
                  "macOS": "brew install python@3.11", "Windows": "use the conda route (environment.yml)"},
                 "everything")


def check_package(module: str, needed_for: str) -> Check:
    try:
        mod = importlib.import_module(module)
        return Check(f"import {module}", True, getattr(mod, "__version__", "ok"), FIX_VENV, needed_for)
    except Exception as e:  # ImportError, or a broken binary
        return Check(f"import {module}", False, f"{type(e).__name__}: {e}", FIX_VENV, needed_for)


def check_numba() -> Check:
    try:
        from numba import njit

        @njit
        def add(a, b):
            return a + b
        ok = add(2, 3) == 5
        return Check("numba compiles a function", ok, "njit(add)(2, 3) == 5", FIX_VENV, "notebook 04")
    except Exception as e:
        return Check("numba compiles a function", False, f"{type(e).__name__}: {e}", FIX_VENV, "notebook 04")


def check_line_profiler() -> Check:
    try:
        from line_profiler import LineProfiler

        def f(n):
            s = 0
            for i in range(n):
                s += i
            return s
        lp = LineProfiler(f)
        lp.runcall(f, 100)
        n_lines = sum(len(t) for t in lp.get_stats().timings.values())
        return Check("line_profiler profiles by line", n_lines > 0, f"{n_lines} lines timed", FIX_VENV,
                     "notebook 02")
    except Exception as e:
        return Check("line_profiler profiles by line", False, f"{type(e).__name__}: {e}", FIX_VENV, "notebook 02")


def check_c_compiler() -> Check:
    """Build a one-line Cython module through the workshop's own builder: PASS means notebook 05 builds."""
    from .build import BuildError, build_cython, compiler_command
    try:
        mod = build_cython("def answer():\n    return 42\n", "setup_probe")
        ok, detail = mod.answer() == 42, f"{compiler_command('c')[0]}: built and imported a Cython module"
    except BuildError as e:
        ok, detail = False, str(e).splitlines()[0]
    return Check("C compiler (for Cython)", ok, detail, FIX_CC, "notebook 05")


_PROBE_CPP = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <opencv2/core.hpp>
static PyObject* version(PyObject*, PyObject*) { return PyUnicode_FromString(CV_VERSION); }
static PyMethodDef methods[] = {{"version", version, METH_NOARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};
static PyModuleDef module = {PyModuleDef_HEAD_INIT, "_setup_probe_cpp", nullptr, -1, methods};
PyMODINIT_FUNC PyInit__setup_probe_cpp(void) { import_array(); return PyModule_Create(&module); }
"""


def check_cxx_opencv() -> list[Check]:
    """Build a tiny C++ extension against NumPy and OpenCV through the workshop's own builder."""
    from .build import BuildError, build_cpp, check_toolchain, compiler_command
    try:
        found = check_toolchain("c++", opencv=True)
        tools = Check("C++ compiler, pkg-config, OpenCV C++ headers", True,
                      f"{compiler_command('c++')[0]}, OpenCV {found.get('opencv4', '?')}", FIX_CXX_OPENCV,
                      "notebook 06")
    except BuildError as e:
        return [Check("C++ compiler, pkg-config, OpenCV C++ headers", False, str(e).splitlines()[0],
                      FIX_CXX_OPENCV, "notebook 06")]
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "probe.cpp"
        src.write_text(_PROBE_CPP)
        try:
            ok, detail = True, f"built and imported; OpenCV {build_cpp('_setup_probe_cpp', src).version()}"
        except BuildError as e:
            ok, detail = False, str(e).splitlines()[0]
    return [tools, Check("C++ extension with NumPy and OpenCV builds", ok, detail, FIX_CXX_OPENCV,
                         "notebook 06")]


def check_craft(size: int = 64) -> list[Check]:
    """The CRAFT weights (found, md5 OK) and a smoke run of the network on a ``size`` px page."""
    from .detector import FIX_COMMAND, WEIGHTS_PACKAGE, smoke_check
    fix = {"any OS": f"{FIX_COMMAND}   (in the workshop's environment, e.g. .venv/bin/python -m pip ...; "
                     "then restart the kernel)"}
    fix_run = {"any OS": "python -m pip install -r requirements.txt   (it pins onnx and onnxruntime; conda: "
                         "conda env update -f environment.yml), then restart the kernel"}
    try:
        smoke = smoke_check(size)
    except Exception as e:  # noqa: BLE001 - e.g. textpost.detector cannot be imported
        return [Check("CRAFT weights: found, md5 OK", False, f"{type(e).__name__}: {e}", fix, "notebook 01")]
    weights = Check("CRAFT weights: found, md5 OK", smoke.md5_ok,
                    f"{WEIGHTS_PACKAGE}: {smoke.weights}, md5 OK" if smoke.md5_ok else smoke.message, fix,
                    "notebook 01")
    if not smoke.md5_ok:
        return [weights]
    detail = (f"maps {smoke.maps_shape[0]} x {smoke.maps_shape[1]} in {smoke.seconds:.1f} s (onnxruntime)"
              if smoke.ok else smoke.message)
    return [weights, Check(f"CRAFT network runs on a {size} px page", smoke.ok, detail, fix_run, "notebook 01")]


def run_all() -> list[Check]:
    checks = [check_python()]
    for mod, need in [("numpy", "everything"), ("cv2", "everything"), ("matplotlib", "plots"),
                      ("line_profiler", "notebook 02"), ("numba", "notebook 04"), ("Cython", "notebook 05"),
                      ("onnx", "notebook 01"), ("onnxruntime", "notebook 01"), ("textpost", "everything")]:
        checks.append(check_package(mod, need))
    checks += check_craft()
    checks += [check_line_profiler(), check_numba(), check_c_compiler()]
    checks += check_cxx_opencv()
    return checks


def report(checks, os_name: str | None = None) -> bool:
    """Print one PASS/FAIL line per check, then the fix for each failure; return True when all pass."""
    os_name = os_name or current_os()
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{'PASS' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}")
    failed = [c for c in checks if not c.ok]
    print()
    if not failed:
        print(f"All {len(checks)} checks passed: this machine is ready for every notebook.")
        return True
    print(f"{len(failed)} of {len(checks)} checks failed. Fixes ({os_name} first):")
    for c in failed:
        print(f"\n- {c.name} (needed for {c.needed_for}):")
        for osn in [os_name] + [o for o in c.fix if o != os_name]:
            if osn in c.fix:
                print(f"    {osn}: {c.fix[osn]}")
    return False
