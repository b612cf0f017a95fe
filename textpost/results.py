"""The results notebook's machinery (notebook 08): every level in one run, its tables, its plots.

Every fact about a level (its tool, algorithm, the rung it changes, its notebook, tolerance,
plot style and sources) comes from the registry, :mod:`textpost.levels`; nothing here keeps
a table of its own, so a level added with ``register(Level(...))`` shows up everywhere.

* :func:`sweep` times the ladder in one run: the levels that search the full map per label
  (seconds per call) over ``config.REFERENCE_SWEEP`` with ``config.SLOW_REPEAT`` calls, the
  others with the floor in interleaved repeats over ``config.WORD_SWEEP``, then the fast
  levels on one real page.  It returns a :class:`Run`.
* :func:`check_rows`, :func:`rung_rows`, :func:`ladder_rows`, :func:`port_rows`,
  :func:`target_rows`, :func:`line_rows` return rows for :func:`textpost.claims.show_table`;
  :func:`swapped_pairs`, :func:`under_floor` return what a claim checks.
* :func:`plot_ladder` draws the times against the words (one call);
  :func:`plot_page` draws one page's times as dots with their spreads.
"""
from __future__ import annotations

import inspect
import io
import re
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .bench import merge_records, run_sweep
from .claims import ratio, saving, target_status
from .compare import compare_boxes
from .levels import FULL_MAP, INFO, results_ladder, what_changed
from .timing import Timing, format_seconds

#: samples on which a full-map level takes tens of seconds per call (left out of its check)
SLOW_SAMPLES = ("dense", "real_dense")


def is_slow(name: str) -> bool:
    """Does level ``name`` search the full map once per label (seconds per call at full size)?"""
    return INFO[name].algorithm.startswith(FULL_MAP)


@dataclass
class Run:
    """One run of the ladder: the benchmark records, and every time as a :class:`Timing`.

    ``times[(name, n)]`` for a level, ``"floor"`` or ``"threshold"`` at ``n`` words on the
    synthetic pages; ``real_times[(name, real_words)]`` the same on the real page ``real``.
    The records keep each time's median and spread (min, max) only, so a Timing here is built
    from those three numbers: its median, min and max are the measured ones.
    """
    levels: list
    record: dict
    real: str | None = None
    real_record: dict | None = None
    seconds: float = 0.0
    times: dict = field(default_factory=dict)
    real_times: dict = field(default_factory=dict)

    @property
    def words(self) -> list:
        return sorted({n for (_, n) in self.times})

    @property
    def real_words(self) -> int | None:
        return next(iter({n for (_, n) in self.real_times}), None)

    def runs(self, name: str, n: int) -> int:
        """How many timed calls the time of ``name`` at ``n`` words is made of."""
        rows = [r for r in self.record["results"] if r["level"] == name and r["n_words"] == n]
        return rows[0]["runs"] if rows else 0


def _timings(record: dict) -> dict:
    out = {(r["level"], r["n_words"]): Timing([r["min_s"], r["median_s"], r["max_s"]]) for r in record["results"]}
    for key in ("floor", "threshold"):
        out.update({(key, f["n_words"]): Timing([f["min_s"], f["median_s"], f["max_s"]]) for f in record[key]})
    return out


def sweep(levels=None, words=None, slow_words=None, size: int | None = None, real: str | None = "auto",
          repeat: int | None = None, slow_repeat: int | None = None, progress: bool = True) -> Run:
    """Time ``levels`` (default: the registry's results ladder) in one run; see the module doc.

    The full-map levels run ``slow_repeat`` times (``config.SLOW_REPEAT``: 3, or 1 in a quick run)
    with no untimed call first: they have nothing to compile.  Every other level gets one untimed
    call, then takes turns with the floor.  ``real``: a sample of ``data/`` whose maps CRAFT made
    (``"auto"``: ``real_dense``, ``real_document`` in quick mode; ``None``: none).
    """
    levels = list(results_ladder() if levels is None else levels)
    unknown = [lv for lv in levels if lv not in INFO]
    if unknown:
        raise ValueError(f"unknown level(s) {unknown}; the registry has {list(INFO)}")
    words = list(config.WORD_SWEEP if words is None else words)
    slow_words = list(config.REFERENCE_SWEEP if slow_words is None else slow_words)
    size = config.SIZE if size is None else size
    slow_repeat = config.SLOW_REPEAT if slow_repeat is None else slow_repeat
    real = ("real_document" if config.QUICK else "real_dense") if real == "auto" else real
    slow = [lv for lv in levels if is_slow(lv)]
    fast = [lv for lv in levels if lv not in slow]
    t0 = time.perf_counter()
    records = []
    if slow:
        records.append(run_sweep(slow, slow_words, size=size, repeat=slow_repeat, warmup=False,
                                 max_seconds=float("inf"), progress=progress))
    if fast:
        records.append(run_sweep(fast, words, size=size, repeat=repeat, progress=progress))
    run = Run(levels, merge_records(*records), real)
    run.times = _timings(run.record)
    if real and fast:
        run.real_record = run_sweep(fast, [0], maps=real, repeat=repeat, progress=progress)
        run.real_times = _timings(run.real_record)
    run.seconds = time.perf_counter() - t0
    return run


# --------------------------------------------------------------------------- tables

def rung_rows(levels=None) -> list[dict]:
    """Each level's notebook, tool and algorithm, the rung it changes and what changed there."""
    levels = results_ladder() if levels is None else levels
    return [{"level": lv, "notebook": INFO[lv].notebook, "tool": INFO[lv].tool, "algorithm": INFO[lv].algorithm,
             "against": INFO[lv].against or "-", "what changed": what_changed(lv) or "-"} for lv in levels]


def check_rows(levels=None, samples=None) -> list[dict]:
    """Every level against the reference's stored boxes on every ready sample, within its tolerance.

    The full-map levels skip the two dense samples (tens of seconds per call).
    """
    from .check import expected_boxes
    from .data import SAMPLES, load_sample
    levels = results_ladder() if levels is None else levels
    samples = list(SAMPLES if samples is None else samples)
    pages = {s: load_sample(s) for s in samples}
    rows = []
    for lv in levels:
        names = [s for s in samples if not (is_slow(lv) and s in SLOW_SAMPLES)]
        comps = [compare_boxes(INFO[lv].func(pages[s].textmap, pages[s].linkmap), expected_boxes(s),
                               tol=INFO[lv].tolerance) for s in names]
        rows.append({"level": lv, "samples": len(names), "tolerance (px)": INFO[lv].tolerance,
                     "largest distance (px)": max((c.max_dist for c in comps), default=0.0),
                     "agrees": all(c.ok for c in comps)})
    return rows


def _times(x: float) -> str:
    """A ratio for a table: 0.47, 13.2, 1,296 (no exponents)."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _vs_floor(t: Timing, floor: Timing) -> str:
    r = ratio(t, floor)
    return "under" if r.slower else "tie" if r.tie else "above"


def ladder_rows(run: Run, n: int | None = None, real: bool = False) -> list[dict]:
    """The ladder at ``n`` words (default ``config.WORKSHOP_WORDS``), or on the real page.

    Per level: its time with its spread, its median over the floor's and where its spread lies
    against the floor's (under / tie / above), the time per page above the floor and the
    thresholding (medians), and the rung's gain: ``before / after`` against the level it
    changes, with the ratio of the spreads' ends in brackets and ``tie`` when they overlap.
    """
    T = run.real_times if real else run.times
    n = run.real_words if real else (config.WORKSHOP_WORDS if n is None else n)
    floor, thresh = T[("floor", n)], T[("threshold", n)]
    rows = [{"level": "(floor)", "median (min-max)": floor, "x floor": "1"},
            {"level": "(threshold)", "median (min-max)": thresh, "x floor": _times(thresh.median / floor.median)}]
    for lv in run.levels:
        if (lv, n) not in T:
            continue
        t, base = T[(lv, n)], INFO[lv].against
        row = {"level": lv, "median (min-max)": t, "x floor": _times(t.median / floor.median),
               "vs floor": _vs_floor(t, floor),
               "above floor, per page": ("-" if INFO[lv].replaces_labeling else
                                         format_seconds(max(t.median - floor.median - thresh.median, 0.0)))}
        if base is not None and (base, n) in T:
            r = ratio(T[(base, n)], t)
            row.update({"against": base, "changed": what_changed(lv),
                        "rung gain": f"{r}" + (" tie" if r.tie else "")})
        rows.append(row)
    return rows


def tool_only_rungs(levels=None) -> list[str]:
    """The rungs where only the tool changed: the same logic in another tool (the talk's "same logic in C++")."""
    levels = results_ladder() if levels is None else levels
    return [lv for lv in levels if what_changed(lv) == "tool"]


def port_rows(run: Run, name: str | None = None, share: float = 50) -> list[dict]:
    """A same-logic rung (default: the first of :func:`tool_only_rungs`) read against the talk's ``share``%.

    Per page: the time saved against the level it changes, from unrounded medians and spreads,
    and whether that saving is more than, less than, or not distinguishable from ``share`` percent.
    """
    name = name or tool_only_rungs(run.levels)[0]
    base = INFO[name].against
    pages = [(f"{n} words", run.times, n) for n in run.words]
    if run.real_times:
        pages.append((f"{run.real} ({run.real_words} words)", run.real_times, run.real_words))
    rows = []
    for label, T, n in pages:
        if (name, n) in T and (base, n) in T:
            s = saving(T[(base, n)], T[(name, n)])
            rows.append({"page": label, base: T[(base, n)], name: T[(name, n)], "time saved": str(s),
                         f"against {share:g}%": s.against(share), "times faster": ratio(T[(base, n)], T[(name, n)])})
    return rows


def target_rows(run: Run, n: int | None = None, target_s: float | None = None) -> list[dict]:
    """Each level against the series' target (``config.TARGET_S``) at ``n`` words: meets / on the edge / misses."""
    n = config.WORKSHOP_WORDS if n is None else n
    return [{"level": lv, "median (min-max)": run.times[(lv, n)], "target": format_seconds(target_s or config.TARGET_S),
             "status": target_status(run.times[(lv, n)], target_s)} for lv in run.levels if (lv, n) in run.times]


def under_floor(run: Run, n: int | None = None, real: bool = False) -> list[str]:
    """The levels whose whole spread is under the floor's at ``n`` words (or on the real page)."""
    T = run.real_times if real else run.times
    n = run.real_words if real else (config.WORKSHOP_WORDS if n is None else n)
    return [lv for lv in run.levels if (lv, n) in T and ratio(T[(lv, n)], T[("floor", n)]).slower]


def _ranked_pairs(T: dict, n: int, levels) -> set:
    """(faster, slower) for every pair of levels whose spreads do not overlap."""
    return {(a, b) for a in levels for b in levels if (a, n) in T and (b, n) in T and T[(a, n)].max < T[(b, n)].min}


def swapped_pairs(run: Run, min_words: int | None = None) -> list[tuple]:
    """Pairs ranked apart in opposite orders on a synthetic page of at least ``min_words`` words
    (default ``config.WORKSHOP_WORDS``) and on the real page; none: the ranking holds there."""
    min_words = config.WORKSHOP_WORDS if min_words is None else min_words
    real = _ranked_pairs(run.real_times, run.real_words, run.levels)
    return sorted({(a, b) for n in run.words if n >= min_words
                   for (a, b) in _ranked_pairs(run.times, n, run.levels) if (b, a) in real})


# --------------------------------------------------------------------------- what each level costs to write

def _python_code_lines(text: str) -> int:
    """Lines holding Python code: no blank lines, comments or docstrings (a string that is a statement)."""
    lines, prev = set(), tokenize.NEWLINE
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER, tokenize.ENCODING}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in skip:
            if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                prev = tok.type
            continue
        statement_start = prev in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        prev = tok.type
        if tok.type == tokenize.STRING and statement_start:
            continue                                   # a docstring (or a bare string): not code
        lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines)


def _c_code_lines(text: str) -> int:
    """Lines holding C/C++ code: no blank lines, no lines that hold only a comment."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), text, flags=re.S)
    return sum(1 for line in text.splitlines() if line.split("//", 1)[0].strip())


def code_lines(src) -> int:
    """Lines of code in a function (its ``inspect.getsource``) or a file under ``textpost/levels/``.

    Counted: lines that hold code.  Not counted: blank lines, comments and docstrings.  Python
    and Cython are read with :mod:`tokenize`, C++ with its comment syntax.
    """
    if callable(src):
        return _python_code_lines(inspect.cleandoc("\n" + inspect.getsource(getattr(src, "py_func", src))))
    path = Path(src)
    text = path.read_text(encoding="utf-8")
    return _python_code_lines(text) if path.suffix in (".py", ".pyx") else _c_code_lines(text)


def line_rows(levels=None) -> list[dict]:
    """Per level: its lines of code, counted in its registry ``sources`` (see :func:`code_lines`)."""
    levels = results_ladder() if levels is None else levels
    rows = []
    for lv in levels:
        pairs = list(zip(INFO[lv].sources, INFO[lv].source_files()))     # (a function or a file name, its file)
        rows.append({"level": lv, "lines of code": sum(code_lines(s if callable(s) else f) for s, f in pairs),
                     "counted in": ", ".join(s.__name__ if callable(s) else f.name for s, f in pairs)})
    return rows


# --------------------------------------------------------------------------- plots

def _errorbar(ax, x, timings, lv, **kw):
    color, marker = INFO[lv].style
    med = [1e3 * t.median for t in timings]
    err = [[1e3 * (t.median - t.min) for t in timings], [1e3 * (t.max - t.median) for t in timings]]
    ax.errorbar(x, med, yerr=err, marker=marker, color=color, mfc=color, mec="k", mew=0.5, capsize=3, **kw)


def _panel(ax, run: Run, names):
    from matplotlib.ticker import FuncFormatter, NullFormatter
    for lv in names:
        ns = [n for n in run.words if (lv, n) in run.times]
        _errorbar(ax, ns, [run.times[(lv, n)] for n in ns], lv, ms=7, lw=1.3, label=f"{lv} ({INFO[lv].tool})")
    fl = [run.times[("floor", n)] for n in run.words]
    ax.fill_between(run.words, [1e3 * t.min for t in fl], [1e3 * t.max for t in fl], color="0.85", zorder=0,
                    label="floor's spread")
    ax.plot(run.words, [1e3 * t.median for t in fl], ls="--", color="0.3", lw=1.5, label="floor (labeling alone)")
    ax.plot(run.words, [1e3 * run.times[("threshold", n)].median for n in run.words], ls=":", color="0.55", lw=1.5,
            label="threshold (beside the floor)")
    ax.set_xscale("log")
    ax.set_xticks(run.words)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("words on the page")
    ax.grid(True, which="major", alpha=0.3)


def plot_ladder(run: Run):
    """Time per page against the words: every level on log axes (left); the compiled levels that
    changed the algorithm too, on a linear time axis with the floor's band (right)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter
    python_algorithms = {INFO[lv].algorithm for lv in run.levels if INFO[lv].tool == "python"}
    own = [lv for lv in run.levels if INFO[lv].tool != "python" and INFO[lv].algorithm not in python_algorithms]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    _panel(left, run, run.levels)
    left.set_yscale("log")
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    left.yaxis.set_minor_formatter(NullFormatter())
    left.set_ylabel("milliseconds per page (median; log axis)")
    left.set_title("every level (log axes)")
    _panel(right, run, own)
    top = [run.times[(lv, n)].median for lv in own for n in run.words if (lv, n) in run.times]
    right.set_ylim(0, 1.5e3 * max(top + [run.times[("floor", n)].max for n in run.words]))
    right.set_ylabel("milliseconds per page (median; linear axis)")
    right.set_title("compiled levels with their own algorithms (linear axis)")
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, frameon=False, fontsize=9)
    size = run.record["settings"]["size"]
    fig.suptitle(f"get_boxes on {size}x{size} synthetic maps, one thread; "
                 "error bars: min-max over the repeats", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def plot_page(run: Run, n: int | None = None, real: bool = True):
    """One page's times as dots with min-max bars, on a linear axis, the floor's spread as a grey band
    (the full-map levels, seconds per call, are left off the axis)."""
    import matplotlib.pyplot as plt
    T = run.real_times if real else run.times
    n = run.real_words if real else (config.WORKSHOP_WORDS if n is None else n)
    names = [lv for lv in run.levels if (lv, n) in T and not is_slow(lv)]
    floor = T[("floor", n)]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 1.8))
    ax.axvspan(1e3 * floor.min, 1e3 * floor.max, color="0.85", zorder=0, label="floor's spread (labeling alone)")
    for i, lv in enumerate(names):
        t = T[(lv, n)]
        color, marker = INFO[lv].style
        ax.errorbar(1e3 * t.median, i, xerr=[[1e3 * (t.median - t.min)], [1e3 * (t.max - t.median)]],
                    fmt=marker, color=color, mec="k", mew=0.5, ms=9, capsize=4)
        ax.annotate(f"{format_seconds(t.median)} ({t.spread})", xy=(1.02, i), xycoords=("axes fraction", "data"),
                    va="center", fontsize=9)
    ax.set_yticks(range(len(names)), [f"{lv} ({INFO[lv].tool})" for lv in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05e3 * max(T[(lv, n)].max for lv in names))
    ax.set_xlabel("milliseconds per page (median; bars: min-max over the repeats)")
    page = run.real if real else f"synthetic page, {n} words"
    ax.set_title(f"{page}, one thread", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
