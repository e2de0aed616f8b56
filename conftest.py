"""Root pytest configuration: the environment every test run and notebook kernel sees.

Set at import time, before any kernel starts, so nbval's kernels (started with
``--nbval-current-env``) inherit it. The values are ``mixlab.course.RUN_ENV``, the same ones
``mixlab course run`` and ``mixlab course refresh`` use, so stored outputs and test runs agree:
``TQDM_DISABLE=1`` (no progress bars in outputs), ``MPLBACKEND=Agg`` (no GUI windows; notebooks
call ``%matplotlib inline`` themselves), ``PYTHONHASHSEED=0`` (stable set/dict-of-str order).

Used in: every test run (``pytest`` from the repository root).
"""

import os

from mixlab.course import RUN_ENV

os.environ.update(RUN_ENV)
