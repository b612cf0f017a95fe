"""Measure the real detector on pages the tests never drew (a maintainer's script).

    .venv/bin/python tools/measure_detector.py                 # recall/precision, times, memory
    .venv/bin/python tools/measure_detector.py --sizes 640     # only the 640 px page

For each page size it draws a page unlike the samples in data/ (another seed, font, font
size and layout), then, in a fresh process per (size, runtime) so that peak memory is the
run's own: builds the session, runs the network once untimed, then times ``repeat`` runs;
reports the median wall time and min-max, the median CPU time (all threads; less sensitive to
a shared machine), the process's peak resident memory, and the words that
``run_craft`` + ``textpost.levels.reference.get_boxes`` recover at IoU >= 0.5 (recall) and the boxes
that match a word (precision).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: pages unlike the samples: serif / mono / bold fonts, three columns, a turn of -4 degrees
PAGES = {
    640: dict(n_words=120, size=640, font_size=16, seed=901, font="DejaVuSerif.ttf", columns=1, angle=-4.0),
    1280: dict(n_words=400, size=1280, font_size=20, seed=902, font="DejaVuSansMono.ttf", columns=3),
    2560: dict(n_words=1500, size=2560, font_size=28, seed=903, font="DejaVuSans-Bold.ttf", columns=2,
               angle=3.0),
}


def child(size: int, runtime: str, repeat: int) -> dict:
    import numpy as np
    from textpost.compare import match_words
    from textpost.detector import run_craft
    from textpost.levels.reference import get_boxes
    from textpost.render import render_text_page
    page = render_text_page(**PAGES[size])
    t0 = time.perf_counter()
    textmap, linkmap, scale = run_craft(page.image, canvas_size=size, runtime=runtime)
    first = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run_craft(page.image, canvas_size=size, runtime=runtime)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t0 = time.perf_counter()
    boxes = get_boxes(textmap, linkmap) * scale
    post = time.perf_counter() - t0
    found, n, k = match_words(boxes, page.words)
    return {"size": size, "runtime": runtime, "n_words": n, "n_boxes": k, "recovered": found,
            "recall": found / n, "precision": found / k if k else 0.0,
            "first_s": first, "median_s": float(np.median(times)), "min_s": min(times), "max_s": max(times),
            "runs": repeat, "cpu_s": float(np.median(cpu)), "postprocess_s": post, "page": PAGES[size],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="640,1280", help="page sizes (= canvas sizes), from 640,1280,2560")
    parser.add_argument("--runtimes", default="onnxruntime,cv2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--child", nargs=3, metavar=("SIZE", "RUNTIME", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], int(args.child[2]))))
        return 0
    from textpost.detector import graph_bytes
    graph_bytes()        # build (or verify) the cached graph once, outside the timed processes
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for runtime in args.runtimes.split(","):
            out = subprocess.run([sys.executable, __file__, "--child", str(size), runtime, str(args.repeat)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            results.append(r)
            print(f"{size:5d} px {runtime:12s} network {r['median_s']:6.2f} s (min {r['min_s']:.2f}, "
                  f"max {r['max_s']:.2f}, first {r['first_s']:.2f}; CPU {r['cpu_s']:.2f} s), peak {r['peak_rss_mb']:6.0f} MB; "
                  f"{r['n_words']} words, {r['n_boxes']} boxes, recall {r['recall']:.3f}, "
                  f"precision {r['precision']:.3f}; reference postprocess {r['postprocess_s']:.2f} s",
                  flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
