#!/usr/bin/env python3
"""Pages per second of the postprocess alone: one process against Dask workers that load their own maps.

    python tools/bench_many_pages.py                 # 2 workers, the fused level, 24 pages of 1280 px maps
    python tools/bench_many_pages.py --workers 4 --level python --pages 48 --chunk 1

Notebook 09's measurement from the command line, for a quiet machine: a batch of pages of
mixed density (maps written to a temporary folder), the one-process run (each page: load its
maps, get the boxes) against the same tasks on a LocalCluster of ``--workers`` processes with
one thread each, ``--chunk`` pages per task, in turns, ``--rounds`` times.  Prints the table,
the speed-up (median, and its range from the spreads' ends), and whether the boxes are
identical to the one-process run's.  Exit status 1 when they are not.
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
    parser.add_argument("--pages", type=int, default=mp.N_PAGES)
    parser.add_argument("--chunk", type=int, default=4, help="pages per Dask task")
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
            }
            timings, results = mp.time_ways(ways, args.rounds)
        show_table(mp.throughput_table(timings, len(paths), "one process", results))
    one, dask = timings.values()
    same = mp.same_boxes(*results.values())
    print(f"\nspeed-up: {ratio(one, dask)} ({args.level}, {len(paths)} pages, {args.chunk} per task, "
          f"{args.rounds} rounds); identical boxes: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
