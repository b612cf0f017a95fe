"""The benchmark: ``python -m textpost.bench``.

Times every chosen level on CRAFT-style maps of a given size as the number of
words grows, in interleaved repeats with the floor (OpenCV's labeling alone) and
the thresholding beside it, one thread by default, and prints a table with each
level's tool, algorithm and spread.  Ratios are taken within one run.

    python -m textpost.bench --levels reference,python --n 10,100,1000
    python -m textpost.bench --levels python,numba,cython,cpp --n 1000,3000 --json out.json

The JSON holds ``results`` (one record per level and number of words: level,
tool, algorithm, replaces_labeling, n_words, n_boxes, median_s, min_s, max_s, runs),
``floor`` and ``threshold`` (one record per number of words: n_words, median_s, min_s,
max_s, runs), ``machine`` and ``settings``.
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
from .levels import ALL_LEVELS, INFO, get_level
from .synth import make_page
from .timing import Timing, format_range, format_seconds, measure_floor, progress_bar, set_threads


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
    cpp = sys.modules.get("textpost.levels.cpp_level")
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
              warmup: bool = True, maps: str | None = None, max_angle: float = 0.0) -> dict:
    """Time ``levels`` (names) at each number of words; return the benchmark record (see module doc).

    At each number of words the levels and the floor take turns: ``repeat`` rounds, one timed
    call of each per round (interleaved repeats, so a busy moment of the machine touches all
    alike).  Every level is called once first, untimed (compile time and first-use builds
    excluded); with ``warmup=False`` that first call is the first timed one (for slow levels
    with nothing to compile).  A level whose timed calls pass ``max_seconds`` stops early
    (``runs`` says how many calls were timed).  With ``check``, each level's boxes are compared
    with the first level's and the largest corner distance is recorded as ``max_dev_px``.
    With ``maps`` (a sample name in ``data/``, e.g. ``"real_dense"``), the levels run on that
    sample's maps instead of synthetic pages (``n_words`` and ``size`` come from the sample).
    ``max_angle``: synthetic words rotated by up to that many degrees (0: upright).
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
                     "quick": config.QUICK, "maps": maps, "max_angle": max_angle})
    bar = progress_bar(len(n_words) * max(repeat, 1), "benchmark", unit="round") if progress else None
    results, floors, thresholds = [], [], []
    for n in n_words:
        page = sample if sample is not None else make_page(n, size, seed=seed, max_angle=max_angle)
        args = (page.textmap, page.linkmap)
        boxes = {name: funcs[name](*args) for name in levels} if warmup else {}
        times = {name: [] for name in levels}
        floor_times = []
        for _ in range(max(repeat, 1)):
            floor_times.append(measure_floor(*args, repeat=1))
            for name in levels:
                if sum(times[name]) >= max_seconds:
                    continue
                t0 = time.perf_counter()
                out = funcs[name](*args)
                times[name].append(time.perf_counter() - t0)
                boxes.setdefault(name, out)
            if bar:
                bar.set_postfix_str(f"{n} words", refresh=False)
                bar.update(1)
        for key, out in (("labeling", floors), ("threshold", thresholds)):
            t = Timing([x for f in floor_times for x in getattr(f, key).times])
            out.append({"n_words": n, "median_s": t.median, "min_s": t.min, "max_s": t.max, "runs": t.runs})
        first = None
        for name in levels:
            t = Timing(times[name])
            info = INFO[name]
            rec = {"level": name, "tool": info.tool, "algorithm": info.algorithm,
                   "replaces_labeling": info.replaces_labeling, "n_words": n,
                   "n_boxes": int(len(boxes[name])), "median_s": t.median, "min_s": t.min,
                   "max_s": t.max, "runs": t.runs}
            if check:
                if first is None:
                    first = name
                else:
                    c = compare_boxes(boxes[name], boxes[first])
                    rec["vs_level"] = first
                    rec["max_dev_px"] = c.max_dist if c.same_count and not c.unmatched else None
                    rec["same_boxes"] = bool(c.same_count and not c.unmatched and c.same_order)
            results.append(rec)
    if bar:
        bar.close()
    return {"results": results, "floor": floors, "threshold": thresholds,
            "machine": machine_info(settings), "settings": settings}


def merge_records(*records) -> dict:
    """One record from several sweeps (e.g. the slow reference with fewer repeats, then the rest).

    Results are concatenated in order; the floor, threshold and settings come from the last record.
    """
    merged = {key: records[-1][key] for key in ("floor", "threshold", "machine")}
    merged["settings"] = dict(records[-1]["settings"])
    merged["results"] = [r for rec in records for r in rec["results"]]
    return merged


def format_table(record: dict) -> str:
    """The benchmark as a plain-text table: each time with its spread (min-max over interleaved
    repeats), x floor, the level's tool and algorithm, and whether its boxes agree."""
    floors = {f["n_words"]: f for f in record["floor"]}
    thresholds = {f["n_words"]: f for f in record.get("threshold", [])}
    head = (f"{'level':<11}{'tool':<8}{'words':>6}{'boxes':>6}{'median':>10}  {'spread (min-max)':<18}"
            f"{'runs':>4}{'x floor':>9}  {'agrees':<14}algorithm")
    lines = [head, "-" * len(head)]
    last_n = None
    for r in record["results"]:
        n = r["n_words"]
        if n != last_n:
            for label, f in (("floor", floors[n]), ("threshold", thresholds.get(n))):
                if f:
                    lines.append(f"{'(' + label + ')':<19}{n:>6}{'':>6}{format_seconds(f['median_s']):>10}  "
                                 f"{format_range(f['min_s'], f['max_s']):<18}{f['runs']:>4}"
                                 f"{f['median_s'] / floors[n]['median_s']:>9.2f}  {'':<14}"
                                 + ("labeling alone (cv2.connectedComponentsWithStats, 4-conn.)"
                                    if label == "floor" else "two maps to one binary, beside the floor"))
            last_n = n
        fl = floors[n]
        xfloor = r["median_s"] / fl["median_s"]
        if "max_dev_px" in r:
            agrees = ("yes" if r["max_dev_px"] == 0 else f"{r['max_dev_px']:.2g} px") \
                if r["max_dev_px"] is not None else "NO"
        else:
            agrees = "(baseline)"
        tie = "~" if r["min_s"] <= fl["max_s"] and fl["min_s"] <= r["max_s"] else " "
        lines.append(f"{r['level']:<11}{r.get('tool', ''):<8}{n:>6}{r['n_boxes']:>6}"
                     f"{format_seconds(r['median_s']):>10}  {format_range(r['min_s'], r['max_s']):<18}"
                     f"{r['runs']:>4}{xfloor:>8.2f}{tie}  {agrees:<14}{r.get('algorithm', '')}")
    m = record["machine"]
    s = record["settings"]
    lines.append("")
    lines.append(f"map {s['size']}x{s['size']}, seed {s['seed']}, threads {s['threads']} "
                 f"(OpenCV {m.get('opencv_threads')}" + (f", numba {m['numba_threads']}" if "numba_threads" in m else "")
                 + f"), repeat {s['repeat']}" + (", QUICK mode" if s.get("quick") else "")
                 + (f", words rotated up to {s['max_angle']:g} degrees" if s.get("max_angle") else ""))
    lines.append(f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']}, "
                 f"OpenCV {m['opencv']}" + (f" (C++ level: OpenCV {m['opencv_cpp']})" if "opencv_cpp" in m else ""))
    lines.append("x floor = median / floor median; '~' = its spread overlaps the floor's (a tie); "
                 "agrees = same boxes as the first level")
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
    parser.add_argument("--max-angle", type=float, default=0.0, metavar="DEG",
                        help="rotate each synthetic word by up to DEG degrees (default: 0, upright)")
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
                       max_angle=args.max_angle, progress=not args.no_progress)
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

