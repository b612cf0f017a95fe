"""The harness of the many-pages notebook (09): a batch of pages, the ways to spread it, their throughput.

Every way runs the same task on the same pages and returns the boxes of every page, in
page order, so a notebook can check that the spread run gives exactly the one-process
boxes.  The task functions live here (a module both the notebook and worker processes
import); what is taught (a ``ThreadPoolExecutor``, a ``ProcessPoolExecutor``, a Dask
``client.map``) is written in the notebook.

    >>> paths = make_batch(folder, n_pages=24)        # maps of mixed density, one .npy per page
    >>> boxes_of_path(paths[0], "fused")              # a worker loads its own maps
"""
from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import numpy as np

from . import config
from .claims import ratio
from .timing import Timing

#: words per page of the batch, cycled: a sparse page, a document, the workshop's page, a dense one
DENSITIES: tuple[int, ...] = (10, 30, 100) if config.QUICK else (30, 300, 1000, 3000)
#: pages in the postprocess-only batch
N_PAGES: int = 8 if config.QUICK else 24
#: repeats of each throughput measurement (in turns)
ROUNDS: int = 3 if config.QUICK else 5
#: CRAFT's canvas in the whole-pipeline section (the network's cost grows with its square)
CANVAS: int = 128 if config.QUICK else 384
#: page images in the whole-pipeline section (data/'s pages, taken in turn)
N_IMAGES: int = 2 if config.QUICK else 5


# --------------------------------------------------------------------------- the batch

def make_batch(folder, n_pages: int = N_PAGES, size: int = config.SIZE, densities=DENSITIES) -> list[Path]:
    """Write ``n_pages`` pages of score maps (``densities`` words, cycled) into ``folder``, one
    ``page_NNN.npy`` each (textmap and linkmap stacked, float32); return their paths."""
    from .synth import make_page
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pages = [make_page(n, size, seed=i) for i, n in enumerate(densities)]
    paths = []
    for i in range(n_pages):
        p = pages[i % len(pages)]
        path = folder / f"page_{i:03d}.npy"
        np.save(path, np.stack([p.textmap, p.linkmap]))
        paths.append(path)
    return paths


def load_maps(path):
    """The (textmap, linkmap) of one page of :func:`make_batch`."""
    both = np.load(path)
    return both[0], both[1]


# --------------------------------------------------------------------------- tasks (run anywhere)

def _level(name):
    from .levels import get_level
    return get_level(name)


def boxes_of_maps(maps, level: str = "fused"):
    """Task: the boxes of one page whose maps were sent to it.

    Arrays that arrive through Dask's sockets may sit at an address that is not a multiple of
    4 bytes (``flags.aligned`` False): every level's input check copies them into aligned
    memory first, one more cost of moving the maps.
    """
    return _level(level)(*maps)


def boxes_of_path(path, level: str = "fused"):
    """Task: the boxes of one page whose maps it loads itself."""
    return _level(level)(*load_maps(path))


def boxes_of_paths(paths, level: str = "fused"):
    """Task: the boxes of several pages, loaded here (one task, many pages)."""
    return [boxes_of_path(p, level) for p in paths]


def nbytes_of(maps) -> int:
    """Task: nothing but receiving the maps (to time their move alone)."""
    return int(sum(m.nbytes for m in maps))


def nothing(x=None):
    """Task: no work at all (to time a scheduler's cost per task)."""
    return x


def pickled_bytes(obj) -> int:
    """Bytes of ``obj`` as pickled for another process (protocol 5, as Dask and multiprocessing use)."""
    return len(pickle.dumps(obj, protocol=5))


def warm_up(level: str = "fused", threads: int = 1) -> int:
    """Pin this process's threads and call ``level`` once (a compiled level builds or loads here)."""
    from .batch import pin_threads
    pin_threads(threads)
    _level(level)(np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32))
    return os.getpid()


def chunks(items, size: int) -> list:
    """``items`` cut into lists of ``size``."""
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


# --------------------------------------------------------------------------- measuring

def time_ways(ways: dict, rounds: int = ROUNDS) -> tuple[dict, dict]:
    """Run each ``name: fn`` (``fn()`` returns the batch's boxes) ``rounds`` times, in turns.

    Returns ``({name: Timing of the batch's wall time}, {name: boxes of its last run})``.
    """
    times = {name: [] for name in ways}
    results = {}
    for _ in range(max(rounds, 1)):
        for name, fn in ways.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: Timing(t) for name, t in times.items()}, results


def same_boxes(a, b) -> bool:
    """Two batches' boxes are identical, page by page (flattened chunk results allowed)."""
    a, b = _flat(a), _flat(b)
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _flat(batch):
    out = []
    for item in batch:
        out.extend(item) if isinstance(item, list) else out.append(item)
    return out


def throughput_table(timings: dict, n_pages: int, baseline: str, results: dict | None = None,
                     extra: dict | None = None) -> list[dict]:
    """Rows for ``show_table``: each way's batch time, pages per second, speed against ``baseline``
    (a ratio with its range), whether its boxes equal the baseline's, and ``extra[name]`` columns."""
    rows = []
    for name, t in timings.items():
        row = {"way": name, "batch": t, "pages/s": n_pages / t.median,
               f"x {baseline}": ratio(timings[baseline], t)}
        if results is not None and name in results:
            row["same boxes"] = same_boxes(results[name], results[baseline])
        row.update((extra or {}).get(name, {}))
        rows.append(row)
    return rows


def per_task_overhead(client, n_tasks: int = 200, rounds: int = ROUNDS) -> Timing:
    """Seconds per task of ``client.map`` over tasks that do nothing (submit, schedule, run, gather)."""
    times = []
    for r in range(max(rounds, 1)):
        t0 = time.perf_counter()
        client.gather(client.map(nothing, range(r * n_tasks, (r + 1) * n_tasks), pure=False))
        times.append((time.perf_counter() - t0) / n_tasks)
    return Timing(times)


def pipeline_shares(records) -> dict:
    """Seconds summed over pages of the batch job's records: read, network, postprocess."""
    out = {"read": 0.0, "network": 0.0, "postprocess": 0.0}
    for r in records:
        for k in out:
            out[k] += r["seconds"][k]
    return out


def amdahl(parallel_share: float, n: float) -> float:
    """Amdahl's law: the speed-up of a run whose ``parallel_share`` is spread over ``n`` cores."""
    return 1.0 / ((1.0 - parallel_share) + parallel_share / n)


def network_seconds(path, canvas: int = CANVAS, threads: int | None = 1) -> float:
    """Task: CRAFT's network on one page image with ``threads`` threads for onnxruntime and OpenCV
    (``None``: the libraries' defaults, one thread per core they see); returns its seconds."""
    import cv2

    from .batch import read_page
    from .detector import run_craft
    cv2.setNumThreads(-1 if threads is None else int(threads))
    image = read_page(path)
    t0 = time.perf_counter()
    run_craft(image, canvas_size=canvas, threads=threads)
    return time.perf_counter() - t0


def warm_network(canvas: int = CANVAS, threads: int | None = 1) -> int:
    """Load CRAFT in this process for ``threads`` (a session per setting) with one tiny page."""
    import cv2

    from .detector import run_craft
    cv2.setNumThreads(-1 if threads is None else int(threads))
    run_craft(np.full((64, 64, 3), 255, np.uint8), canvas_size=min(canvas, 64), threads=threads)
    return os.getpid()


_BUFFER = os.urandom(16 * 2**20)


def control(threads: int, items: int = 8) -> None:
    """The control: ``items`` sha256 hashes of 16 MB on ``threads`` threads.  hashlib releases
    the GIL, so on a machine with free cores two threads take about half the time of one."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: hashlib.sha256(_BUFFER).digest(), range(items)))


def cores_free(timings: dict, one: str = "control, 1 thread", two: str = "control, 2 threads") -> bool:
    """Whether the control gained at least 1.6x from a second thread in this run (a free second core)."""
    return ratio(timings[one], timings[two]).median >= 1.6
