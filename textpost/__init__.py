"""textpost: the helper package of the text-detection postprocess optimization workshop.

The notebooks tell the story; this package holds the machinery.  The ladder of
levels is in :mod:`textpost.levels`; see README.md beside this file for the rest.
"""
import os

__version__ = "0.1.0"

# onnxruntime (the detector's runtime) writes a device id and usage events under
# ~/.cache/Microsoft/ unless this is set before it is imported; set ORT_DISABLE_TELEMETRY=0 to allow it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
