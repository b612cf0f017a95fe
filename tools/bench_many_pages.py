#!/usr/bin/env python3
"""Pages per second of the postprocess alone: one process against Dask workers that load their own maps.

    python tools/bench_many_pages.py                 # 2 workers, the fused level, 96 pages of 1280 px maps, 12 per task
    python tools/bench_many_pages.py --workers 4 --level python --pages 48 --chunk 1

Notebook 09's measurement from the command line, for a quiet machine: a batch of pages of
mixed density (maps written to a temporary folder), the one-process run (each page: load its
maps, get the boxes) against the same tasks on a LocalCluster of ``--workers`` processes with
one thread each, ``--chunk`` pages per task, in turns, ``--rounds`` times.  Prints the table,
the speed-up (median, and its range from the spreads' ends), whether the boxes are
identical to the one-process run's, and a control (sha256 on two threads against one) that says
whether two cores were free.  The workers start without Dask's ``MALLOC_TRIM_THRESHOLD_``
(``textpost.batch.worker_environ``).  Exit status 1 when they are not.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

from textpost import manypages as mp
from textpost.batch import pin_threads, start_local_cluster
from textpost.claims import ratio, show_table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--level", default="fused")
    parser.add_argument("--pages", type=int, default=96)
    parser.add_argument("--chunk", type=int, default=12, help="pages per Dask task")
    parser.add_argument("--rounds", type=int, default=mp.ROUNDS)
    args = parser.parse_args(argv)
    from distributed import Client
    with tempfile.TemporaryDirectory() as folder:
        paths = mp.make_batch(folder, args.pages)
        pin_threads(1)
        mp.warm_up(args.level)
        with start_local_cluster(args.workers) as cluster, Client(cluster) as client:
            client.run(mp.warm_up, args.level)
            ways = {
                "one process": lambda: [mp.boxes_of_path(p, args.level) for p in paths],
                f"dask, {args.workers} workers load their maps": lambda: client.gather(client.map(
                    mp.boxes_of_paths, mp.chunks(paths, args.chunk), level=args.level, pure=False)),
                "control, 1 thread": lambda: mp.control(1),
                "control, 2 threads": lambda: mp.control(2),
            }
            timings, results = mp.time_ways(ways, args.rounds)
        boxes = {k: v for k, v in results.items() if not k.startswith("control")}
        show_table(mp.throughput_table({k: timings[k] for k in boxes}, len(paths), "one process", boxes))
    one, dask = list(timings.values())[:2]
    same = mp.same_boxes(*boxes.values())
    print(f"\nspeed-up: {ratio(one, dask)} ({args.level}, {len(paths)} pages, {args.chunk} per task, "
          f"{args.rounds} rounds); identical boxes: {same}")
    control = ratio(timings["control, 1 thread"], timings["control, 2 threads"])
    print(f"control (sha256 on 2 threads against 1): {control}; below about 1.6x the machine had no two free "
          f"cores, and the speed-up above says nothing about scaling")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
