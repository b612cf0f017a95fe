"""The benchmark: ``python -m textpost.bench``.

Times every chosen level on CRAFT-style maps of a given size as the number of
words grows, together with the floor (threshold + labeling), one thread by
default, and prints a table.  Speedups are ratios taken within one run.

    python -m textpost.bench --levels reference,python --n 10,100,1000
    python -m textpost.bench --levels python,numba,cython,cpp --n 1000,3000 --json out.json

The JSON holds ``results`` (one record per level and number of words: level,
n_words, n_boxes, median_s, min_s, max_s, runs), ``floor`` (one record per
number of words), ``machine`` and ``settings``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from . import config
from .compare import compare_boxes
from .levels import ALL_LEVELS, get_level
from .synth import make_page
from .timing import Timing, floor, format_seconds, set_threads, time_call


def machine_info(settings: dict | None = None) -> dict:
    """CPU, core count, versions and thread settings, for the record."""
    import cv2
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu or platform.machine(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }
    for mod in ("numba", "Cython"):
        try:
            info[mod.lower()] = __import__(mod).__version__
        except ImportError:
            pass
    cpp = sys.modules.get("textpost.cpp_level")
    if cpp is not None and hasattr(cpp, "opencv_version"):
        try:
            info["opencv_cpp"] = cpp.opencv_version()
        except Exception:
            pass
    if settings:
        info.update(settings)
    return info


def run_sweep(levels, n_words, size: int = 1280, repeat: int | None = None, threads: int = 1,
              seed: int = 0, max_seconds: float = 60.0, progress: bool = True, check: bool = True,
              warmup: bool = True, maps: str | None = None) -> dict:
    """Time ``levels`` (names) at each number of words; return the benchmark record (see module doc).

    Every level is called once before timing (compile time and first-use builds excluded);
    with ``warmup=False`` that first call is timed too (for levels with nothing to compile,
    it saves one slow call).
    A level whose timed calls pass ``max_seconds`` in one cell stops early (``runs`` says
    how many calls were timed).  With ``check``, each level's boxes are compared with
    the first level's and the largest corner distance is recorded as ``max_dev_px``.
    With ``maps`` (a sample name in ``data/``, e.g. ``"real_dense"``), the levels run on that
    sample's maps instead of synthetic pages (``n_words`` and ``size`` come from the sample).
    """
    repeat = config.REPEAT if repeat is None else repeat
    sample = None
    if maps is not None:
        from .data import load_sample
        sample = load_sample(maps)
        n_words, size = [sample.n_words], sample.shape[0]
    funcs = {name: get_level(name) for name in levels}
    settings = set_threads(threads)
    settings.update({"threads": threads, "size": size, "repeat": repeat, "seed": seed,
                     "quick": config.QUICK, "maps": maps})
    cells = [(n, name) for n in n_words for name in levels]
    bar = None
    if progress:
        try:
            from tqdm import tqdm
            # in a terminal the bar redraws in place; elsewhere (notebooks, logs) every redraw
            # is kept, so redraw rarely there
            bar = tqdm(total=len(cells) + len(n_words), desc="benchmark", unit="cell", file=sys.stderr,
                       leave=True, mininterval=0.5 if sys.stderr.isatty() else 15)
        except ImportError:
            bar = None
    results, floors = [], []
    for n in n_words:
        page = sample if sample is not None else make_page(n, size, seed=seed)
        t = time_call(floor, page.textmap, page.linkmap, repeat=repeat)
        floors.append({"n_words": n, "median_s": t.median, "min_s": t.min, "max_s": t.max, "runs": t.runs})
        if bar:
            bar.set_postfix_str(f"floor, {n} words", refresh=False)
            bar.update(1)
        first = None
        for name in levels:
            if bar:
                bar.set_postfix_str(f"{name}, {n} words", refresh=False)
            fn = funcs[name]
            if warmup:
                boxes = fn(page.textmap, page.linkmap)      # compile/build, not timed
                t = time_call(fn, page.textmap, page.linkmap, repeat=repeat, warmup=0, max_seconds=max_seconds)
            else:
                t0 = time.perf_counter()
                boxes = fn(page.textmap, page.linkmap)
                first_call = time.perf_counter() - t0
                t = time_call(fn, page.textmap, page.linkmap, repeat=repeat - 1, warmup=0,
                              max_seconds=max(max_seconds - first_call, 0)) if repeat > 1 and \
                    first_call < max_seconds else None
                t = Timing([first_call] + (t.times if t else []))
            rec = {"level": name, "n_words": n, "n_boxes": int(len(boxes)), "median_s": t.median,
                   "min_s": t.min, "max_s": t.max, "runs": t.runs}
            if check:
                if first is None:
                    first = (name, boxes)
                else:
                    c = compare_boxes(boxes, first[1])
                    rec["vs_level"] = first[0]
                    rec["max_dev_px"] = c.max_dist if c.same_count and not c.unmatched else None
                    rec["same_boxes"] = bool(c.ok or (c.same_count and not c.unmatched and c.same_order))
            results.append(rec)
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    return {"results": results, "floor": floors, "machine": machine_info(settings), "settings": settings}


def format_table(record: dict) -> str:
    """The benchmark as a plain-text table, speedups against the first level of the run."""
    floors = {f["n_words"]: f for f in record["floor"]}
    rows = record["results"]
    base_name = rows[0]["level"] if rows else None
    base = {r["n_words"]: r["median_s"] for r in rows if r["level"] == base_name}
    head = (f"{'level':<11}{'words':>7}{'boxes':>7}{'median':>11}{'min':>11}{'max':>11}{'runs':>6}"
            f"{'x floor':>9}{'speedup':>10}  agrees")
    lines = [head, "-" * len(head)]
    last_n = None
    for r in rows:
        n = r["n_words"]
        if n != last_n:
            f = floors[n]
            lines.append(f"{'(floor)':<11}{n:>7}{'':>7}{format_seconds(f['median_s']):>11}"
                         f"{format_seconds(f['min_s']):>11}{format_seconds(f['max_s']):>11}{f['runs']:>6}"
                         f"{1.0:>9.2f}")
            last_n = n
        xfloor = r["median_s"] / floors[n]["median_s"]
        speed = base[n] / r["median_s"] if n in base else float("nan")
        if "max_dev_px" in r:
            agrees = ("yes" if r["max_dev_px"] == 0 else f"{r['max_dev_px']:.2g} px") \
                if r["max_dev_px"] is not None else "NO (count/match differs)"
            agrees += f" vs {r['vs_level']}"
        else:
            agrees = "(baseline)"
        lines.append(f"{r['level']:<11}{n:>7}{r['n_boxes']:>7}{format_seconds(r['median_s']):>11}"
                     f"{format_seconds(r['min_s']):>11}{format_seconds(r['max_s']):>11}{r['runs']:>6}"
                     f"{xfloor:>9.2f}{speed:>9.1f}x  {agrees}")
    m = record["machine"]
    s = record["settings"]
    lines.append("")
    lines.append(f"map {s['size']}x{s['size']}, seed {s['seed']}, threads {s['threads']} "
                 f"(OpenCV {m.get('opencv_threads')}" + (f", numba {m['numba_threads']}" if "numba_threads" in m else "")
                 + f"), repeat {s['repeat']}" + (", QUICK mode" if s.get("quick") else ""))
    lines.append(f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']}, "
                 f"OpenCV {m['opencv']}" + (f" (C++ level: OpenCV {m['opencv_cpp']})" if "opencv_cpp" in m else ""))
    lines.append(f"speedup = time of '{base_name}' / time of the level, same run; x floor = time / floor time")
    return "\n".join(lines)


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative integers, got {text!r}")
    return values


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m textpost.bench",
        description="Time the postprocess levels against the number of words (one thread by default).")
    parser.add_argument("--levels", default="reference,python",
                        help=f"comma-separated level names; known: {','.join(ALL_LEVELS)} (default: %(default)s)")
    parser.add_argument("--n", type=_int_list, default=[10, 100, 1000],
                        help="numbers of words, comma-separated (default: 10,100,1000)")
    parser.add_argument("--size", type=int, default=1280, help="map side in pixels (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=None,
                        help=f"timed calls per cell; median reported (default: {config.REPEAT})")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenCV/numba threads (default 1, so ratios compare algorithms)")
    parser.add_argument("--seed", type=int, default=0, help="page layout seed (default: 0)")
    parser.add_argument("--maps", metavar="NAME", default=None,
                        help="run on a ready sample from data/ (e.g. real_dense, CRAFT's own maps) "
                             "instead of synthetic pages; --n and --size are then ignored")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="stop repeating a cell after this much timed time (default: %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--plot", metavar="PATH", help="also draw time against words to an image file")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    levels = [v.strip() for v in args.levels.split(",") if v.strip()]
    unknown = [v for v in levels if v not in ALL_LEVELS]
    if unknown:
        parser.error(f"unknown level(s) {', '.join(unknown)}; known: {', '.join(ALL_LEVELS)}")
    if args.size < 64:
        parser.error("--size must be at least 64")
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.maps is not None:
        from .data import SAMPLES
        if args.maps not in SAMPLES:
            parser.error(f"unknown sample {args.maps!r} for --maps; the samples are: {', '.join(SAMPLES)}")
    t0 = time.perf_counter()
    record = run_sweep(levels, args.n, size=args.size, repeat=args.repeat, threads=args.threads,
                       seed=args.seed, max_seconds=args.max_seconds, maps=args.maps,
                       progress=not args.no_progress and sys.stderr.isatty() or None)
    print(format_table(record))
    print(f"(benchmark took {time.perf_counter() - t0:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=2)
        print(f"wrote {args.json}")
    if args.plot:
        from .plots import plot_scaling
        fig = plot_scaling(record)
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def merge_records(*records) -> dict:
    """One record from several sweeps (e.g. the slow reference with fewer repeats, then the rest).

    Results are concatenated in order; the floor and settings come from the last record.
    """
    merged = {"results": [], "floor": records[-1]["floor"], "machine": records[-1]["machine"],
              "settings": dict(records[-1]["settings"])}
    for r in records:
        merged["results"].extend(r["results"])
    return merged
