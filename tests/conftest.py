import os
import sys
import threading
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def blank(h=30, w=40):
    """An empty pair of maps."""
    return np.zeros((h, w), np.float32), np.zeros((h, w), np.float32)


@pytest.fixture
def maps():
    return blank


def _ticks_while(call, tries: int) -> int:
    """How often a second Python thread counts while ``call()`` runs, over up to ``tries`` calls
    (stopping once it passed 1000).  With a 1 s switch interval a call that kept the GIL would
    leave it at about 0; one that releases it lets it count freely.  Several tries, because on a
    busy machine the counting thread may not get a core at once."""
    ticks = 0
    done = threading.Event()

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    interval = sys.getswitchinterval()
    counter = threading.Thread(target=count)
    sys.setswitchinterval(1.0)
    try:
        counter.start()
        while ticks == 0:
            time.sleep(0.001)
        during = 0
        for _ in range(tries):
            before = ticks
            call()
            during += ticks - before
            if during > 1000:
                break
    finally:
        done.set()
        counter.join()
        sys.setswitchinterval(interval)
    return during


@pytest.fixture
def ticks_while():
    return _ticks_while
