"""Line profiles that show up in executed notebooks.

``%lprun`` prints its table to IPython's pager, which headless runs (nbval,
nbclient) drop.  Here the table is printed to stdout, so it is stored in the
notebook like any other output, and the per-line shares are returned for plots.
"""
from __future__ import annotations

import io
import linecache
from dataclasses import dataclass

from line_profiler import LineProfiler


@dataclass
class LineShare:
    lineno: int
    hits: int
    seconds: float
    share: float          # fraction of the function's total time
    source: str


def _stats_for(stats, func):
    code = func.__code__
    for (filename, first, name), timings in stats.timings.items():
        if name == code.co_name and first == code.co_firstlineno:
            return filename, timings
    return None, []


def line_shares(lstats, func) -> list[LineShare]:
    """Per-line time of ``func`` from a ``LineStats`` object (``%lprun -r`` returns its profiler)."""
    if hasattr(lstats, "get_stats"):
        lstats = lstats.get_stats()
    filename, timings = _stats_for(lstats, func)
    unit = lstats.unit
    total = sum(t for _, _, t in timings) or 1
    out = []
    for lineno, hits, t in timings:
        src = linecache.getline(filename, lineno).rstrip() if filename else ""
        out.append(LineShare(lineno, hits, t * unit, t / total, src.strip()))
    return out


def profile_lines(func, *args, extra=(), print_table=True, **kwargs):
    """Run ``func(*args, **kwargs)`` under line_profiler and print the table to stdout.

    ``extra`` lists more functions to profile line by line.  Returns
    ``(result, shares)`` where ``shares`` is a list of :class:`LineShare` for ``func``.
    """
    lp = LineProfiler(func, *extra)
    result = lp.runcall(func, *args, **kwargs)
    if print_table:
        print_profile(lp)
    return result, line_shares(lp, func)


def print_profile(lp, stripzeros: bool = True) -> None:
    """Print a line profiler's table to stdout (not the pager), in milliseconds."""
    buf = io.StringIO()
    lp.print_stats(stream=buf, output_unit=1e-3, stripzeros=stripzeros)
    print(_short_paths(buf.getvalue()))


def _short_paths(text: str) -> str:
    """Show files of this repository relative to it, and others by their name only."""
    import os
    import re
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    text = text.replace(root, "")
    return re.sub(r"(File: )(/\S*/)([^/\s]+)", r"\1\3", text)


def top_lines(shares, n: int = 5) -> list[LineShare]:
    """The ``n`` lines with the largest share of time."""
    return sorted(shares, key=lambda s: s.seconds, reverse=True)[:n]
