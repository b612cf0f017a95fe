"""The one builder (textpost.build): hashed build folders, the lock, and its one error type.

The C++ side of the builder (OpenCV's flags, the extension itself) is tested in test_cpp.py.
"""
from __future__ import annotations

import os
import threading

import pytest

from textpost import build
from textpost.build import BuildError, build_cython


def test_cython_builds_once_and_reuses(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTPOST_BUILD_DIR", str(tmp_path))
    mod = build_cython("def f():\n    return 7\n", "probe")
    assert mod.f() == 7
    assert build_cython("def f():\n    return 7\n", "probe") is mod          # same source: reused
    assert build_cython("def f():\n    return 8\n", "probe").f() == 8        # edited: a new build
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


def test_cython_errors_are_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTPOST_BUILD_DIR", str(tmp_path))
    with pytest.raises(BuildError) as info:
        build_cython("cdef int x = 'not a number'\n", "broken")
    assert "'not a number'" in str(info.value) and "Traceback" not in str(info.value)
    with pytest.raises(BuildError) as info:
        build_cython('cdef extern from *:\n    """\n    #error this C code is broken\n    """\n', "broken")
    assert "this C code is broken" in str(info.value) and "this C code is broken" in info.value.log


@pytest.mark.skipif(os.name == "nt", reason="setuptools finds MSVC itself")
@pytest.mark.parametrize("var, language", [("CC", "c"), ("CXX", "c++")])
def test_missing_compiler_is_explained(var, language, tmp_path, monkeypatch):
    monkeypatch.setenv(var, "textpost-no-such-compiler")
    monkeypatch.setenv("TEXTPOST_BUILD_DIR", str(tmp_path))
    with pytest.raises(BuildError) as info:
        if language == "c":
            build_cython("def f():\n    return 1\n", "probe")
        else:
            build.check_toolchain("c++")
    msg = str(info.value)
    assert "textpost-no-such-compiler" in msg and f"${var}" in msg
    for fix in ("sudo apt-get install build-essential", "conda install -c conda-forge", "xcode-select --install",
                "WSL"):
        assert fix in msg, fix


def test_setup_check_uses_the_builder(monkeypatch):
    """The setup check says FAIL where the build would fail ($CC is what setuptools runs)."""
    from textpost import setupcheck
    monkeypatch.setenv("CC", "textpost-no-such-compiler")
    check = setupcheck.check_c_compiler()
    assert not check.ok and "textpost-no-such-compiler" in check.detail
    monkeypatch.delenv("CC")
    assert setupcheck.check_c_compiler().ok


def test_build_lock_excludes(tmp_path):
    lock = tmp_path / "x.lock"
    inside, release = threading.Event(), threading.Event()

    def hold():
        with build.file_lock(lock):
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(10)
        with pytest.raises(TimeoutError):
            with build.file_lock(lock, timeout=0.3):
                pass
    finally:
        release.set()
        thread.join()
    with build.file_lock(lock, timeout=1):
        pass
