"""Native profiling: where a compiled level spends its time, below Python.

    from textpost.native_profile import profile_native
    from textpost.levels.cpp_level import get_boxes_cpp
    prof = profile_native(get_boxes_cpp, n_words=1000)   # a few seconds
    print(prof)                                          # share of samples per part

cProfile and line_profiler stop at the call into the extension: to them
``get_boxes_cpp`` is one line.  A *sampling* profiler that also reads the C/C++
stack sees inside it.  This module uses ``py-spy record --native`` (PyPI's
``py-spy``, in requirements.txt) because it works the same headless, in a
notebook, in CI (root, in a container) and on a Linux laptop: one pip package,
no kernel setting, and every sample holds the Python *and* the C++ frames.
(``perf`` sees native frames too, with less overhead, but needs a system package
matching the kernel, ``kernel.perf_event_paranoid`` <= 2 and, in a container,
a seccomp profile that allows ``perf_event_open``; in Python 3.11 it shows no
Python function names.)

The callable runs in a child process started by py-spy (a tracer may always
trace its own child, so no root is needed), on a synthetic page
(:func:`textpost.synth.make_page`), pinned to one thread, called once before the
samples count.  Each sample goes to the first part, from the innermost frame
outwards, that its stack names (see ``PARTS``).  Where py-spy cannot run,
:func:`profile_native` returns a result whose ``message`` says why and what to do.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: (part, pattern on one frame of py-spy's stack); the first match from the innermost frame wins
PARTS = [
    ("OpenCV connectedComponentsWithStats (labeling + statistics)", r"cv::connectedComponents"),
    ("OpenCV minAreaRect / boxPoints", r"cv::(minAreaRect|convexHull|boxPoints)|RotatedRect::points"),
    ("OpenCV dilate / findNonZero", r"cv::(dilate|morphologyEx|findNonZero)"),
    ("ours: thresholding", r"^(binarise|threshold_row|threshold_bits|threshold_words_avx2) \("),
    ("ours: runs + union-find labeling", r"^(label_runs|find|unite|next_one|next_zero|prev_one) \("),
    ("ours: minimum-area rectangle", r"^RectFit::"),
    ("ours: per-component work", r"^(row_spans|component_points|component_box|dilated_row_extremes|region_of"
                                 r"|points_spans|points_direct|box_from_points|finish_box|find_boxes|kernel_for) \("),
    ("ours: argument checks, result", None),   # any frame in a C++ source of the registry (below)
    ("Python: input checks (contract.py)", r"\(textpost/contract\.py:"),
]
OTHER = "Python, NumPy and the rest"
_LOOP_FRAME = "_timed_loop ("


@dataclass
class NativeProfile:
    """What :func:`profile_native` found.  ``ok`` is False when it could not profile (see ``message``)."""
    target: str
    ok: bool
    message: str = ""
    shares: list = field(default_factory=list)   # [(part, samples, share)], biggest first
    samples: int = 0                              # samples inside the timed calls
    calls: int = 0
    seconds_per_call: float = float("nan")        # while being sampled: slower than unprofiled
    raw_path: str | None = None                   # py-spy's collapsed stacks (one line per stack)
    command: list = field(default_factory=list)

    def share(self, part: str) -> float:
        """Share (0..1) of the samples in ``part`` (0 when it never showed)."""
        return next((s for p, _, s in self.shares if p == part), 0.0)

    def __str__(self) -> str:
        if not self.ok:
            return f"native profile of {self.target}: not available.\n{self.message}"
        lines = [f"native profile of {self.target}: {self.samples} samples in {self.calls} calls "
                 f"({self.seconds_per_call * 1e3:.1f} ms per call while sampled)",
                 f"{'part':<62}{'samples':>8}{'share':>8}"]
        lines += [f"{part:<62}{n:>8}{share:>8.1%}" for part, n, share in self.shares]
        return "\n".join(lines)


def find_py_spy() -> str | None:
    """The py-spy program: ``$TEXTPOST_PY_SPY``, beside this Python, or on PATH."""
    env = os.environ.get("TEXTPOST_PY_SPY")
    if env:
        return env
    here = Path(sys.executable).parent / ("py-spy.exe" if os.name == "nt" else "py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def classify(stack: list[str]) -> str:
    """The part one sample belongs to (``stack``: frames from the outermost to the innermost)."""
    for frame in reversed(stack):
        for part, pattern in _COMPILED:
            if pattern.search(frame):
                return part
    return OTHER




def _cpp_sources_pattern() -> str:
    """Frames in the C++ files the registry lists as some level's sources (``(fused.cpp:123)``)."""
    from .levels import REGISTRY
    names = sorted({p.name for lv in REGISTRY for p in lv.source_files() if p.suffix in (".cpp", ".hpp")})
    return r"\((" + "|".join(re.escape(n) for n in names) + r"):"


_COMPILED = [(part, re.compile(pattern or _cpp_sources_pattern())) for part, pattern in PARTS]

HOW_TO_ALLOW = """\
What to do:
  * py-spy missing:      pip install py-spy   (it is in requirements.txt and environment.yml)
  * macOS:               py-spy cannot read native stacks there; run `py-spy record` without
                         --native (Python frames only, needs sudo), use Instruments, or a Linux machine/VM
  * permission denied:   the kernel or the container forbids ptrace.  Docker: run with
                         --cap-add SYS_PTRACE; Linux: `sudo sysctl kernel.yama.ptrace_scope=1`
                         (allows tracing one's own children); or run the notebook as root
  * where nothing is allowed (some CI or cloud notebooks): the profile in the notebook's
    committed output shows what it looks like"""


def profile_native(func, n_words: int = 1000, size: int = 1280, seed: int = 0, seconds: float = 4.0,
                   rate: int = 100, keep_raw: bool = False, timeout: float = 300.0) -> NativeProfile:
    """Sample ``func(textmap, linkmap)`` with ``py-spy record --native`` for about ``seconds``.

    func     a get_boxes-like function importable by name (a level), or "module:function"
    rate     samples per second (py-spy stops the process for each one: the calls run slower)
    keep_raw keep py-spy's collapsed-stack file (``raw_path``), e.g. to draw a flame graph

    Returns a :class:`NativeProfile`; it never raises for a missing or forbidden profiler.
    """
    target = func if isinstance(func, str) else f"{func.__module__}:{func.__qualname__}"
    result = NativeProfile(target=target, ok=False)
    if sys.platform == "darwin":
        result.message = "py-spy --native does not support macOS.\n" + HOW_TO_ALLOW
        return result
    spy = find_py_spy()
    if spy is None:
        result.message = "py-spy is not installed.\n" + HOW_TO_ALLOW
        return result
    out_dir = Path(tempfile.mkdtemp(prefix="textpost-native-"))
    raw = out_dir / "stacks.txt"
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    cmd = [spy, "record", "--native", "--format", "raw", "--rate", str(int(rate)), "--output", str(raw),
           "--", sys.executable, "-m", "textpost.native_profile", target, str(n_words), str(size), str(seed),
           str(seconds)]
    result.command = cmd
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        result.message = f"py-spy did not finish within {timeout:.0f} s."
        return result
    report = [line for line in proc.stdout.splitlines() if line.startswith("TEXTPOST_PROFILE ")]
    if not raw.exists() or not report:
        text = (proc.stderr + proc.stdout).strip()
        hint = "permission" in text.lower() or "operation not permitted" in text.lower()
        result.message = (f"py-spy could not profile (exit code {proc.returncode}"
                          f"{', permission denied' if hint else ''}):\n{text[-1500:]}\n\n{HOW_TO_ALLOW}")
        shutil.rmtree(out_dir, ignore_errors=True)
        return result
    info = json.loads(report[-1].split(" ", 1)[1])
    counts = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not n.isdigit() or not any(f.startswith(_LOOP_FRAME) for f in frames):
            continue   # set-up (imports, the page, the first call), not the timed calls
        counts[classify(frames)] += int(n)
    total = sum(counts.values())
    result.ok = total > 0
    result.samples, result.calls = total, info["calls"]
    result.seconds_per_call = info["seconds"] / max(info["calls"], 1)
    result.shares = [(part, n, n / total) for part, n in counts.most_common()] if total else []
    if not result.ok:
        result.message = "py-spy ran but recorded no sample inside the timed calls; try more seconds."
    if keep_raw:
        result.raw_path = str(raw)
    else:
        shutil.rmtree(out_dir, ignore_errors=True)
    return result


def _timed_loop(func, textmap, linkmap, seconds: float) -> tuple[int, float]:
    calls, start = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - start < seconds:
        func(textmap, linkmap)
        calls += 1
    return calls, time.perf_counter() - start


def _worker(target: str, n_words: int, size: int, seed: int, seconds: float) -> None:
    """Run in the child process that py-spy samples."""
    from .synth import make_page
    from .timing import set_threads
    module, _, name = target.partition(":")
    func = importlib.import_module(module)
    for part in name.split("."):
        func = getattr(func, part)
    page = make_page(n_words, size, seed=seed)
    func(page.textmap, page.linkmap)   # compiles / builds on first use: not counted
    set_threads(1)
    calls, elapsed = _timed_loop(func, page.textmap, page.linkmap, seconds)
    print("TEXTPOST_PROFILE " + json.dumps({"calls": calls, "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    _target, _n, _size, _seed, _seconds = sys.argv[1:6]
    _worker(_target, int(_n), int(_size), int(_seed), float(_seconds))


# --------------------------------------------------------------------------- for the notebook (07)

def _short_frame(frame: str) -> str:
    """``name (/some/where/file.cpp:12)`` -> ``name (file.cpp:12)``: no folders of the machine that ran it."""
    return re.sub(r"\(([^()]*[/\\])([^/\\()]+:\d+)\)$", r"(\2)", frame)


def shell_command(prof: NativeProfile) -> str:
    """The py-spy command ``prof`` ran, as a learner types it from the repository's root folder."""
    if not prof.command:
        return ""
    cmd = ["py-spy", *prof.command[1:]]
    cmd[cmd.index("--output") + 1] = "stacks.txt"
    cmd[cmd.index("--") + 1] = "python"
    return " ".join(cmd)


def stack_excerpt(prof: NativeProfile, top: int = 3, frames: int = 4) -> list[str]:
    """The ``top`` most frequent raw stacks inside the timed calls (needs ``keep_raw=True``),
    each as its sample count and its ``frames`` innermost frames, as py-spy wrote them."""
    if not prof.raw_path:
        return []
    counts = Counter()
    for line in Path(prof.raw_path).read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        names = stack.split(";")
        if n.isdigit() and any(f.startswith(_LOOP_FRAME) for f in names):
            counts[";".join(_short_frame(f) for f in names[-frames:])] += int(n)
    return [f"{n:>5} {stack}" for stack, n in counts.most_common(top)]


def plot_profile(prof: NativeProfile, split: tuple | None = None, ax=None, title: str = ""):
    """Shares of ``prof`` as horizontal bars, each with its 95% sampling interval.

    ``split = (part, fraction, label)`` hatches ``fraction`` of ``part``'s bar and names it
    ``label`` (a split the profiler cannot see, measured by timing instead).
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.5 * len(prof.shares) + 1.4))
    names = [p for p, _, _ in prof.shares][::-1]
    shares = [s for _, _, s in prof.shares][::-1]
    err = [1.96 * (s * (1 - s) / prof.samples) ** 0.5 for s in shares]
    ax.barh(names, shares, xerr=err, color="#56B4E9", edgecolor="black", capsize=3)
    if split and split[0] in names:
        i, fraction = names.index(split[0]), min(max(split[1], 0.0), 1.0)
        whole = shares[i]
        ax.barh(i, whole * fraction, left=whole * (1 - fraction), color="#E69F00", hatch="//", edgecolor="black",
                label=split[2])
        ax.legend(loc="lower right")
    for i, (s, e) in enumerate(zip(shares, err)):
        ax.text(s + e + 0.01, i, f"{s:.0%}", va="center")
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel(f"share of {prof.samples} samples inside the timed calls (bars: 95% sampling interval)")
    ax.set_title(title or prof.target)
    ax.grid(axis="x", alpha=0.3)
    return ax
