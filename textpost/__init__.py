"""textpost: the helper package of the text-detection postprocess optimization workshop.

The notebooks tell the story; this package holds the machinery: the reference
postprocess and the faster levels, the map generator and samples, the box
comparison, timing and profiling helpers, and the exercise checker.
"""
from .compare import Comparison, assert_same_boxes, compare_boxes
from .config import QUICK
from .contract import check_inputs

__all__ = ["Comparison", "assert_same_boxes", "compare_boxes", "QUICK", "check_inputs"]
__version__ = "0.1.0"
