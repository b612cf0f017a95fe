"""Write tests/expected/<sample>.npy: the reference's boxes on every sample in data/, and
tests/expected/checks/<case>.npy: on every small case of the exercise checker (data/checks.json).

The tests compare every level with these files (fast), and check once that the
reference still reproduces them.  Run after `make data` changes the samples:

    python tools/make_expected.py            # every sample (minutes: the reference on the dense pages) and the cases
    python tools/make_expected.py --checks   # only the checker's small cases (a second)
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textpost.check import load_cases  # noqa: E402
from textpost.data import SAMPLES, load_sample  # noqa: E402
from textpost.levels.reference import get_boxes  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", action="store_true", help="write only tests/expected/checks/")
    args = parser.parse_args(argv)
    out = ROOT / "tests" / "expected"
    out.mkdir(parents=True, exist_ok=True)
    for name in () if args.checks else SAMPLES:
        page = load_sample(name)
        t0 = time.perf_counter()
        boxes = get_boxes(page.textmap, page.linkmap)
        np.save(out / f"{name}.npy", boxes)
        print(f"{name}: {len(boxes)} boxes ({time.perf_counter() - t0:.1f} s)")
    (out / "checks").mkdir(exist_ok=True)
    names = {case.name for case in load_cases()}
    for stale in (out / "checks").glob("*.npy"):     # a case renamed or dropped
        if stale.stem not in names:
            stale.unlink()
    for case in load_cases():
        boxes = get_boxes(case.textmap, case.linkmap, *case.thresholds)
        np.save(out / "checks" / f"{case.name}.npy", boxes)
    print(f"checks: {len(load_cases())} cases")


if __name__ == "__main__":
    main()
