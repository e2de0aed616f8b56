"""Per-lesson exercise catalogs: ``s<section>.py`` defines ``SECTION`` and ``EXERCISES``.

One module per lesson (``s00``, ``s1_1`` … ``s3_6``, ``sA_1``) so that lessons can be written
in parallel without touching each other's files. The registry
(:mod:`mixlab.exercises.registry`) imports every module here the first time an exercise is
looked up. A catalog module imports only light modules at import time; reference answers
import what they need when they run.

Used in: :mod:`mixlab.exercises.registry`.
"""
