"""A wheel built from the repository carries what the C++ levels need to build.

The C++ levels compile on first use from sources inside the package (``textpost/levels/cpp``:
the ``.cpp`` files and the headers they include).  This test builds a wheel, installs it in a
scratch virtual environment (no network: NumPy and OpenCV come from this environment's
site-packages, the wheel is installed with ``--no-deps --no-index``), and there, away from the
repository, builds and runs both C++ extensions.
"""
from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

from extension_helpers import toolchain_or_skip

ROOT = Path(__file__).resolve().parent.parent

CHECK = textwrap.dedent("""
    import pathlib, sys
    import numpy as np
    import textpost
    from textpost.levels.cpp_level import get_boxes_cpp
    from textpost.levels.fused_level import get_boxes_fused
    from textpost.levels.reference import get_boxes
    from textpost.synth import make_page
    here = pathlib.Path(textpost.__file__).resolve()
    assert pathlib.Path(sys.prefix).resolve() in here.parents, f"textpost imported from {here}, not the scratch environment"
    page = make_page(40, 200, seed=1, max_angle=20)
    want = get_boxes(page.textmap, page.linkmap)
    for level in (get_boxes_cpp, get_boxes_fused):
        got = level(page.textmap, page.linkmap)
        assert got.shape == want.shape and np.array_equal(got, want), level.__name__
    print("BOTH EXTENSIONS BUILT", len(want), "boxes")
""")


def _run(cmd, env=None, cwd=None, **kwargs):
    """Run cmd; never with this process's PYTHONPATH (it may point at the repository)."""
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd or "/", **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_wheel_builds_both_extensions_in_a_scratch_environment(tmp_path):
    toolchain_or_skip()
    # 1. the wheel, with this environment's setuptools (no download of build requirements)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(dist), str(ROOT)], cwd=tmp_path)
    wheel = next(dist.glob("textpost-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    cpp = ROOT / "textpost" / "levels" / "cpp"
    missing = [f.name for f in sorted(cpp.iterdir()) if f.suffix in (".cpp", ".hpp")
               and f"textpost/levels/cpp/{f.name}" not in names]
    assert not missing, f"the wheel lacks {missing}"

    # 2. a scratch environment that sees this one's packages (NumPy, OpenCV, setuptools), not the repository
    env_dir = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    scratch_site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                        .stdout.strip())
    ours = [p for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
            if Path(p).is_dir()]
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
         cwd=tmp_path)
    assert (scratch_site / "textpost" / "levels" / "cpp" / "box_finish.hpp").exists()
    # only now (pip would find this environment's textpost there and call it installed); plain paths,
    # after the scratch site-packages on sys.path: no editable finder of this environment runs
    (scratch_site / "shared_packages.pth").write_text("\n".join(ours) + "\n")

    # 3. there, away from the repository, both C++ levels build on first use and give the reference's boxes
    env = {**os.environ, "TEXTPOST_BUILD_DIR": str(tmp_path / "builds")}
    proc = _run([str(python), "-c", CHECK], cwd=tmp_path, env=env, timeout=900)
    assert "BOTH EXTENSIONS BUILT" in proc.stdout
    built = {p.name.split("-")[0] for p in (tmp_path / "builds").iterdir()}
    assert {"_textpost_cpp", "_textpost_fused"} <= built, built
