"""The checks behind notebooks/00_setup_check.ipynb: what works on this machine, and the fix when not."""
from __future__ import annotations

import importlib
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


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
FIX_CC = {
    "Linux": "sudo apt-get install build-essential   (conda: conda install -c conda-forge c-compiler)",
    "macOS": "xcode-select --install",
    "Windows": "install 'Microsoft C++ Build Tools' (Visual Studio installer, C++ workload), or use WSL",
}
FIX_CXX_OPENCV = {
    "Linux": "sudo apt-get install g++ pkg-config libopencv-dev   (the packages in apt.txt; "
             "conda: conda install -c conda-forge cxx-compiler pkg-config libopencv)",
    "macOS": "xcode-select --install && brew install pkg-config opencv",
    "Windows": "use WSL (Ubuntu) and follow the Linux line, or the conda route (environment.yml)",
}


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


def _which_any(names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


def check_c_compiler() -> Check:
    cc = (sysconfig.get_config_var("CC") or "").split()
    path = _which_any(([cc[0]] if cc else []) + ["cc", "gcc", "clang", "cl"])
    return Check("C compiler (for Cython)", path is not None, path or "none found on PATH", FIX_CC, "notebook 05")


def check_cxx_opencv() -> list[Check]:
    """A C++ compiler, pkg-config, OpenCV's C++ headers, and a tiny program that links against them."""
    out = []
    cxx = _which_any(["c++", "g++", "clang++"])
    out.append(Check("C++ compiler", cxx is not None, cxx or "none of c++, g++, clang++ on PATH",
                     FIX_CXX_OPENCV, "notebook 06"))
    pkg = shutil.which("pkg-config")
    out.append(Check("pkg-config", pkg is not None, pkg or "not on PATH", FIX_CXX_OPENCV, "notebook 06"))
    flags = None
    if pkg:
        r = subprocess.run([pkg, "--cflags", "--libs", "opencv4"], capture_output=True, text=True)
        ver = subprocess.run([pkg, "--modversion", "opencv4"], capture_output=True, text=True).stdout.strip()
        ok = r.returncode == 0
        flags = r.stdout.split() if ok else None
        out.append(Check("OpenCV C++ library (pkg-config opencv4)", ok,
                         f"OpenCV {ver}" if ok else (r.stderr.strip().splitlines() or ["not found"])[0],
                         FIX_CXX_OPENCV, "notebook 06"))
    else:
        out.append(Check("OpenCV C++ library (pkg-config opencv4)", False, "needs pkg-config", FIX_CXX_OPENCV,
                         "notebook 06"))
    if cxx and flags is not None:
        src = ('#include <opencv2/core.hpp>\n#include <opencv2/imgproc.hpp>\n#include <cstdio>\n'
               'int main() { cv::Mat m = cv::Mat::zeros(8, 8, CV_8U); m.at<unsigned char>(3, 4) = 1;\n'
               '  std::vector<cv::Point> p; cv::findNonZero(m, p); std::printf("%d", (int)p.size()); }\n')
        with tempfile.TemporaryDirectory() as d:
            cpp, exe = Path(d) / "t.cpp", Path(d) / "t"
            cpp.write_text(src)
            r = subprocess.run([cxx, "-std=c++17", str(cpp), "-o", str(exe)] + flags, capture_output=True, text=True)
            if r.returncode == 0:
                run = subprocess.run([str(exe)], capture_output=True, text=True)
                ok = run.returncode == 0 and run.stdout.strip() == "1"
                detail = "compiled, linked and ran" if ok else f"ran with exit code {run.returncode}: {run.stderr[:200]}"
            else:
                ok, detail = False, "compile failed: " + (r.stderr.strip().splitlines() or ["?"])[-1][:200]
        out.append(Check("C++ program using OpenCV builds and runs", ok, detail, FIX_CXX_OPENCV, "notebook 06"))
    return out


def run_all() -> list[Check]:
    checks = [check_python()]
    for mod, need in [("numpy", "everything"), ("cv2", "everything"), ("matplotlib", "plots"),
                      ("line_profiler", "notebook 02"), ("numba", "notebook 04"), ("Cython", "notebook 05"),
                      ("textpost", "everything")]:
        checks.append(check_package(mod, need))
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
