"""Claims a notebook makes in prose, checked on the learner's own run.

A notebook's lesson is Markdown that a person wrote ("the Python level is more than
10x faster than the reference").  Right after the measurement that backs it, one call

    claim("the Python level is more than 10x faster than the reference",
          ratio(t_ref, t_py).median > 10, measured=ratio(t_ref, t_py))

checks the condition on this run and prints one line:

* ``✔ <claim> (measured: ...)`` when it holds;
* ``⚠ not on this run: <claim> (measured: ...)`` and what usually explains it, when it
  does not.  In a learner's run that is all: a busy laptop must not stop the lesson.
  In strict mode (``TEXTPOST_STRICT=1``, set by ``make test`` and ``make refresh``) it
  raises :class:`ClaimFailed`, so a claim that does not hold cannot be committed.

A claim that needs full-size maps (``full_size_only=True``) is only reported in quick
mode (``TEXTPOST_QUICK=1``): "checked at full size only".

The other helpers turn timings into the few numbers claims are made of, once for the
whole series: a ratio with its range, the comparison with the floor, the target, the
talk's 50%, the wall time of a batch on threads, and a plain table to print beside a claim.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import config
from .timing import Timing, format_seconds

#: strict mode: a failed claim raises (``make test``, ``make refresh``)
STRICT: bool = os.environ.get("TEXTPOST_STRICT", "").strip().lower() not in ("", "0", "false", "no")

#: what usually explains a timing claim that did not hold, when the notebook gives no reason of its own
DEFAULT_WHY = ("timings move with the machine: another program busy on a core, a laptop on battery, "
               "or a CPU much unlike a desktop's; run the measurement cell again on a quiet machine")


class ClaimFailed(AssertionError):
    """A notebook's claim did not hold on this run (raised in strict mode only)."""


def _measured_text(measured) -> str:
    if isinstance(measured, dict):
        return ", ".join(f"{k} {_measured_text(v)}" for k, v in measured.items())
    if isinstance(measured, Timing):
        return f"{format_seconds(measured.median)} ({measured.spread})"
    if isinstance(measured, (float, np.floating)):
        return f"{float(measured):.3g}"
    return str(measured)


def claim(text: str, holds: bool, measured=None, *, why: str = "", full_size_only: bool = False) -> None:
    """Check the claim ``text`` on this run: ``holds`` is its condition, ``measured`` what backs it.

    ``measured`` is shown beside the claim: a string, a number, a :class:`Timing`, a
    :class:`Ratio`, or a dict of those.  ``why`` says what usually explains a failure (a
    timing claim gets :data:`DEFAULT_WHY` when it says nothing).  Returns nothing, so a cell
    that ends with a claim shows only its line.
    """
    shown = f" (measured: {_measured_text(measured)})" if measured is not None else ""
    if full_size_only and config.QUICK:
        print(f"… {text}: checked at full size only; this is a quick run (TEXTPOST_QUICK=1){shown}")
        return
    if bool(holds):
        print(f"✔ {text}{shown}")
        return
    reason = why or DEFAULT_WHY
    message = f"⚠ not on this run: {text}{shown}.\n  What usually explains it: {reason}."
    if STRICT:
        raise ClaimFailed(message)
    print(message)


@dataclass(frozen=True)
class Ratio:
    """How many times faster ``after`` is than ``before``: the medians' ratio and its range.

    ``lo``..``hi`` is the ratio of the spreads' ends (``before.min / after.max`` ..
    ``before.max / after.min``): a ratio is only "faster" when ``lo > 1``, and only
    "slower" when ``hi < 1``; otherwise the two times tie (two times are ranked only when
    their spreads do not overlap).
    """
    median: float
    lo: float
    hi: float

    @property
    def faster(self) -> bool:
        return self.lo > 1

    @property
    def slower(self) -> bool:
        return self.hi < 1

    @property
    def tie(self) -> bool:
        return not (self.faster or self.slower)

    def __str__(self) -> str:
        return f"{times(self.median)}x ({times(self.lo)}-{times(self.hi)}x)"


def times(x: float) -> str:
    """A ratio as a reader writes it: ``0.42``, ``3.14``, ``27``, ``1,620`` (never an exponent)."""
    return f"{x:,.0f}" if x >= 10 else f"{x:.2f}"


def ratio(before: Timing, after: Timing) -> Ratio:
    """``before`` over ``after``: how many times faster ``after`` is (below 1: slower)."""
    return Ratio(before.median / after.median, before.min / after.max, before.max / after.min)


def vs_floor(t: Timing, floor: Timing) -> Ratio:
    """A level's time in units of the floor (labeling alone): ``1.3x (1.1-1.5x)`` the floor.

    Below 1 only for a level that replaces OpenCV's labeling; ``.tie`` when the spreads overlap.
    """
    return ratio(t, floor)


def target_status(t: Timing, target_s: float | None = None) -> str:
    """``'meets'`` (its whole spread is under the target), ``'misses'`` (all over it) or ``'on the edge'``."""
    target_s = config.TARGET_S if target_s is None else target_s
    if t.max <= target_s:
        return "meets"
    if t.min > target_s:
        return "misses"
    return "on the edge"


def meets_target(t: Timing, target_s: float | None = None) -> bool:
    """True when the whole spread of ``t`` is under the target (``config.TARGET_S`` by default)."""
    return target_status(t, target_s) == "meets"


@dataclass(frozen=True)
class Saving:
    """The share of ``before``'s time that ``after`` saves, with its range, in percent."""
    median: float
    lo: float
    hi: float

    def against(self, share: float) -> str:
        """``'more than'``, ``'less than'`` or ``'not distinguishable from'`` ``share`` percent, by the range."""
        if self.lo > share:
            return "more than"
        if self.hi < share:
            return "less than"
        return "not distinguishable from"

    def __str__(self) -> str:
        return f"{self.median:.0f}% ({self.lo:.0f}-{self.hi:.0f}%)"


def saving(before: Timing, after: Timing) -> Saving:
    """The time saved by ``after`` as a share of ``before``, from unrounded values.

    The talk behind the workshop says the same logic in C++ saved "about 50%": read this
    run's saving against it with ``saving(t_py, t_cpp).against(50)``.
    """
    return Saving(100 * (1 - after.median / before.median),
                  100 * (1 - after.max / before.min),
                  100 * (1 - after.min / before.max))


def batch_seconds(func, items, threads: int) -> float:
    """Wall time of ``func(item)`` for every item of ``items`` on a pool of ``threads`` threads."""
    with ThreadPoolExecutor(threads) as pool:
        t0 = time.perf_counter()
        list(pool.map(func, items))
        return time.perf_counter() - t0


def time_batches(workloads: dict, threads=(1, 2), repeat: int | None = None) -> dict:
    """Time each ``name: (func, items)`` batch on each thread count, in turns; ``{(name, n): Timing}``."""
    repeat = max(config.REPEAT, 3) if repeat is None else repeat
    runs = {(name, n): [] for name in workloads for n in threads}
    for _ in range(repeat):
        for name, (func, items) in workloads.items():
            for n in threads:
                runs[(name, n)].append(batch_seconds(func, items, n))
    return {key: Timing(v) for key, v in runs.items()}


def _cell(v) -> str:
    if isinstance(v, Timing):
        return f"{format_seconds(v.median)} ({v.spread})"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.3g}"
    return str(v)


def show_table(rows, columns: list[str] | None = None) -> None:
    """Print ``rows`` (a list of dicts, or ``{row name: dict}``) as a plain, aligned table.

    Timings print as ``median (min-max)``; ratios as ``median x (lo-hi x)``.  The numbers
    of a run sit beside the prose that makes a claim about them, not inside it.
    """
    if isinstance(rows, dict):
        rows = [{"": name, **row} for name, row in rows.items()]
    if not rows:
        print("(no rows)")
        return
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(columns, widths))))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
