import os
import sys

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
