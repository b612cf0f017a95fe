"""textpost: the helper package of the text-detection postprocess optimization workshop.

The notebooks tell the story; this package holds the machinery.  The ladder of
levels is in :mod:`textpost.levels`; see README.md beside this file for the rest.
"""
__version__ = "0.1.0"
