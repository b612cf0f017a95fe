"""Write tests/expected/<sample>.npy: the reference's boxes on every sample in data/.

The tests compare every level with these files (fast), and check once that the
reference still reproduces them.  Run after `make data` changes the samples:

    python tools/make_expected.py
"""
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textpost.data import SAMPLES, load_sample  # noqa: E402
from textpost.levels.reference import get_boxes  # noqa: E402


def main() -> None:
    out = ROOT / "tests" / "expected"
    out.mkdir(parents=True, exist_ok=True)
    for name in SAMPLES:
        page = load_sample(name)
        t0 = time.perf_counter()
        boxes = get_boxes(page.textmap, page.linkmap)
        np.save(out / f"{name}.npy", boxes)
        print(f"{name}: {len(boxes)} boxes ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
