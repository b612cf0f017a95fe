"""Many pages on Dask: the real pipeline (CRAFT, then a level) over a folder of page images.

    python -m textpost.batch data/*_page.png --out boxes.jsonl
    python -m textpost.batch scans/ --out boxes.jsonl --scheduler tcp://10.0.0.5:8786

One JSON line per page, written by this process (the client) as soon as the page is done::

    {"page": "/abs/path/p1.png", "ok": true, "level": "fused", "n_boxes": 305,
     "boxes": [[[x, y], [x, y], [x, y], [x, y]], ...],          # page pixels, 0.01 px
     "image_size": [h, w], "map_size": [h, w], "scale": 2.0,
     "seconds": {"read": ..., "network": ..., "postprocess": ...}, "worker": "...", "error": null}

A page that cannot be read (missing, empty, not an image, corrupt) gets one line with
``"ok": false`` and ``"error"`` saying why; the batch goes on.

**Nothing lost.**  Each line is written and flushed when its page completes, so a run that is
killed keeps every finished page.  Running the same command again resumes: pages that already
have a line are skipped, and a last line cut short by the kill (no newline, or not valid JSON)
is dropped first and its page done again.  A lock on the output file keeps two runs from
writing to it at once.  A page whose task was lost by the cluster itself (a worker died) gets
no line, so the next run does it again.

**Threads.**  By default a ``LocalCluster`` with one worker process per core, each running one
task at a time, and inside each task OpenCV, onnxruntime and numba pinned to one thread:
workers x threads = the cores (Dask's count, which respects CPU affinity and container
limits).  With ``--scheduler`` the workers are the cluster's; each task pins its libraries to
(the cores of its worker's host) // (Dask threads on that host).  The job prints what it chose.

The pages, the task that does one page and the output file are in :mod:`textpost.batch_pages`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .batch_pages import (IMAGE_SUFFIXES, Output, expand_pages, pin_threads,  # noqa: F401 - the job's names
                          process_page, read_page, read_records)

#: the default level is the first of these that builds and runs here (fastest first)
LEVEL_PREFERENCE = ("fused", "cpp", "cython", "numba", "python")
#: pages in flight per Dask thread: enough to keep every worker busy, few enough that a kill loses little
IN_FLIGHT_PER_THREAD = 4


# --------------------------------------------------------------------------- the level

def choose_level(name: str | None = None) -> str:
    """``name`` after building and calling it once on a tiny map; without a name, the first of
    :data:`LEVEL_PREFERENCE` that builds and runs here.  Raises ``ValueError`` naming what failed."""
    from .levels import ALL_LEVELS, get_level
    tiny = np.zeros((8, 8), np.float32)
    if name is not None:
        if name not in ALL_LEVELS:
            raise ValueError(f"unknown level {name!r}; known levels: {', '.join(ALL_LEVELS)}")
        try:
            get_level(name)(tiny, tiny)
        except Exception as e:  # noqa: BLE001
            raise ValueError(f"level {name!r} does not run here: {type(e).__name__}: {e}") from e
        return name
    failed = []
    for candidate in LEVEL_PREFERENCE:
        try:
            get_level(candidate)(tiny, tiny)
            return candidate
        except Exception as e:  # noqa: BLE001 - try the next one
            failed.append(f"{candidate}: {type(e).__name__}: {str(e)[:120]}")
    raise ValueError("no level runs here: " + "; ".join(failed))


# --------------------------------------------------------------------------- the cluster

def machine_cores() -> int:
    """The cores this process may use (Dask's count: CPU affinity and container limits included)."""
    from dask.system import CPU_COUNT
    return int(CPU_COUNT)


def plan_local(workers: int | None = None, threads: int | None = None, cores: int | None = None):
    """``(workers, threads)`` for a LocalCluster: workers x threads <= cores.

    Defaults: one thread per task and one worker per core.  Raises ``ValueError`` when the
    two given numbers would oversubscribe the cores.
    """
    cores = machine_cores() if cores is None else cores
    for name, v in (("workers", workers), ("threads", threads)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    threads = threads or 1
    workers = workers or max(1, cores // threads)
    if workers * threads > cores:
        raise ValueError(f"{workers} workers x {threads} threads = {workers * threads} threads on {cores} cores: "
                         f"oversubscribed; use at most {max(1, cores // threads)} workers with {threads} threads")
    return workers, threads


def worker_environ() -> dict:
    """The environment Dask gives new workers, without ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets it to 64 kB so that workers hand freed memory back to the system at once.  Setting
    it also turns off glibc's adaptive threshold, so every page's 13 MB arrays come from fresh
    pages of the kernel: measured on a 2-core machine, a worker took about twice the time per
    page of the postprocess that one process took.  Without it the two match.
    """
    import dask
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


def start_local_cluster(workers: int, **kwargs):
    """A LocalCluster of ``workers`` processes, one Dask thread each, its dashboard on a free port,
    quiet logs, and glibc's allocator left adaptive (:func:`worker_environ`)."""
    import logging

    import dask
    from distributed import LocalCluster
    opts = dict(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.ERROR)
    opts.update(kwargs)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environ()}):
        return LocalCluster(**opts)


def _host_cores():
    return os.uname().nodename if hasattr(os, "uname") else "", machine_cores()


def plan_cluster(client, threads: int | None = None):
    """Threads per task on an existing cluster, per host, and a description of it.

    Returns ``({host: threads}, text)``: each host's cores // the Dask threads of its workers,
    unless ``threads`` is given.
    """
    info = client.scheduler_info(n_workers=-1)["workers"]
    if not info:
        raise RuntimeError("the cluster has no workers")
    cores = client.run(_host_cores)
    hosts: dict = {}
    for address, w in info.items():
        host = address.rsplit(":", 1)[0]
        entry = hosts.setdefault(host, {"workers": 0, "dask_threads": 0, "cores": cores.get(address, (0, 1))[1]})
        entry["workers"] += 1
        entry["dask_threads"] += w["nthreads"]
    plan = {h: threads or max(1, e["cores"] // e["dask_threads"]) for h, e in hosts.items()}
    lines = [f"{h}: {e['workers']} workers, {e['dask_threads']} Dask threads, {e['cores']} cores, "
             f"libraries pinned to {plan[h]} thread(s) per task"
             + ("  (OVERSUBSCRIBED)" if e["dask_threads"] * plan[h] > e["cores"] else "")
             for h, e in hosts.items()]
    return plan, "\n".join(lines)


# --------------------------------------------------------------------------- the batch

@dataclass
class Summary:
    """What a batch did: counts, wall time and where the workers' time went (sums over pages)."""
    pages: int = 0          # pages asked for (after expanding folders)
    skipped: int = 0        # already in the output file
    written: int = 0        # lines written by this run
    errors: int = 0         # of which error lines
    lost: int = 0           # tasks the cluster lost (no line: the next run does them)
    wall_s: float = 0.0
    seconds: dict = field(default_factory=lambda: {"read": 0.0, "network": 0.0, "postprocess": 0.0,
                                                   "transfer": 0.0})
    level: str = ""
    plan: str = ""

    @property
    def pages_per_second(self) -> float:
        return self.written / self.wall_s if self.wall_s > 0 else 0.0

    def __str__(self) -> str:
        from .timing import format_seconds
        s = self.seconds
        busy = sum(s.values()) or 1.0
        parts = ", ".join(f"{k} {format_seconds(v)} ({v / busy:.1%})" for k, v in s.items())
        return (f"{self.written} pages written ({self.errors} with errors), {self.skipped} already done, "
                f"{self.lost} lost by the cluster; {self.wall_s:.1f} s, {self.pages_per_second:.2f} pages/s\n"
                f"time summed over pages: {parts}\n"
                f"(transfer: from a worker finishing a page to this process having its result, "
                f"scheduling included)")


def _progress(total: int, initial: int):
    if os.environ.get("TEXTPOST_PROGRESS", "1").strip() == "0" or total == 0:
        return None
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="page", desc="pages", file=sys.stderr)


def run_batch(pages, out, level: str | None = None, scheduler: str | None = None, workers: int | None = None,
              threads: int | None = None, canvas_size: int = 1280, runtime: str = "onnxruntime",
              client=None, log=print) -> Summary:
    """Run the pipeline over ``pages`` (paths or folders) into the JSON-lines file ``out``.

    ``client``: an existing ``distributed.Client`` (else one is made: ``scheduler`` address,
    or a LocalCluster of ``workers`` x ``threads``).  Returns a :class:`Summary`.
    """
    from distributed import Client, as_completed
    if isinstance(canvas_size, bool) or not isinstance(canvas_size, int) or canvas_size < 32:
        raise ValueError(f"canvas_size must be an integer >= 32, got {canvas_size!r}")
    todo_all = expand_pages(pages)
    summary = Summary(pages=len(todo_all))
    with Output(out) as output:
        if output.repaired:
            log(f"{out}: dropped a last line that was cut short (its page is done again)")
        todo = [p for p in todo_all if p not in output.done]
        summary.skipped = len(todo_all) - len(todo)
        summary.level = level = choose_level(level)
        if not todo:
            log(f"all {summary.pages} pages are already in {out}; nothing to do")
            return summary
        own_cluster = None
        if client is None:
            if scheduler:
                client = Client(scheduler)
            else:
                n, t = plan_local(workers, threads)
                own_cluster = start_local_cluster(n)
                client = Client(own_cluster)
        try:
            task_threads, summary.plan = plan_cluster(client, threads)
            log(f"level {level}; canvas {canvas_size} px; {len(todo)} pages to do, {summary.skipped} already in {out}")
            log(summary.plan)
            total_threads = sum(w["nthreads"] for w in client.scheduler_info(n_workers=-1)["workers"].values())
            _run(client, as_completed, todo, output, summary, level, task_threads, canvas_size, runtime,
                 max(2, IN_FLIGHT_PER_THREAD * total_threads), log)
        finally:
            if own_cluster is not None:
                client.close()
                own_cluster.close()
    return summary


def _run(client, as_completed, todo, output, summary, level, threads, canvas_size, runtime, in_flight, log):
    bar = _progress(summary.pages, summary.skipped)
    queue = iter(todo)
    t0 = time.perf_counter()

    def submit(path):
        return client.submit(process_page, path, level, threads, canvas_size, runtime, key=f"page-{path}",
                             pure=False)

    running = as_completed([submit(p) for _, p in zip(range(in_flight), queue)])
    try:
        for fut in running:
            if fut.status == "finished":
                record = fut.result()
                summary.seconds["transfer"] += max(0.0, time.time() - record.pop("finished_at"))
                record.pop("started_at")
                output.write(record)
                summary.written += 1
                summary.errors += not record["ok"]
                for k, v in record["seconds"].items():
                    summary.seconds[k] += v
            else:
                summary.lost += 1
                log(f"lost by the cluster (no line; the next run does it): {fut.key}: {fut.exception()!r:.200}")
            fut.release()
            nxt = next(queue, None)
            if nxt is not None:
                running.add(submit(nxt))
            if bar is not None:
                bar.update(1)
    finally:
        summary.wall_s = time.perf_counter() - t0
        if bar is not None:
            bar.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m textpost.batch",
        description="Word boxes for many page images: CRAFT, then a postprocess level, on a Dask cluster. "
                    "One JSON line per page; the same command resumes an interrupted run.")
    parser.add_argument("pages", nargs="+", help="page images, or folders of them")
    parser.add_argument("--out", required=True, help="the JSON-lines file to write (appended to; resumes)")
    parser.add_argument("--level", default=None,
                        help=f"postprocess level (default: the first that runs of {', '.join(LEVEL_PREFERENCE)})")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler "
                        "(default: a LocalCluster on this machine)")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: cores // threads)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per task for OpenCV, onnxruntime and numba (default: cores // Dask threads)")
    parser.add_argument("--canvas-size", type=int, default=1280,
                        help="longest side given to CRAFT (default 1280, CRAFT's; EasyOCR uses 2560)")
    parser.add_argument("--runtime", default="onnxruntime", choices=("onnxruntime", "cv2"))
    args = parser.parse_args(argv)
    try:
        summary = run_batch(args.pages, args.out, level=args.level, scheduler=args.scheduler,
                            workers=args.workers, threads=args.threads, canvas_size=args.canvas_size,
                            runtime=args.runtime, log=lambda m: print(m, flush=True))
    except (ValueError, RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(summary, flush=True)
    return 1 if summary.lost else 0


if __name__ == "__main__":
    sys.exit(main())
