"""Root pytest configuration: the environment every test run and notebook kernel sees.

Set at import time, before any kernel starts, so nbval's kernels (started with
``--nbval-current-env``) inherit it. The values are ``mixlab.course.RUN_ENV``, the same ones
``mixlab course run`` and ``mixlab course refresh`` use, so stored outputs and test runs agree:
``TQDM_DISABLE=1`` (no progress bars in outputs), ``MPLBACKEND=Agg`` (no GUI windows; notebooks
call ``%matplotlib inline`` themselves), ``PYTHONHASHSEED=0`` (stable set/dict-of-str order).

Property-based tests run under the ``mixlab`` hypothesis profile: derandomized (the same
examples on every run and machine, so a fresh clone cannot go red at random) and without the
local example database (a failure found once is pinned with ``@example`` in the test, not
replayed from a hidden folder). ``HYPOTHESIS_PROFILE=explore`` runs randomized with more
examples, to look for new failures on purpose.

nbval's kernels talk to the test process over IPC (Unix sockets in Jupyter's runtime folder)
instead of TCP ports: ports are chosen by binding and releasing a free one, which two pytest-xdist
workers starting kernels at the same moment can both pick, and the loser's kernel dies before it
replies ("Kernel died before replying to kernel_info"). Sockets named after each kernel's own
connection file cannot collide.

Used in: every test run (``pytest`` from the repository root).
"""

import os
import tempfile
import uuid

from mixlab.course import RUN_ENV

os.environ.update(RUN_ENV)


def _nbval_kernels_over_ipc() -> None:
    try:
        import nbval.kernel
        from jupyter_client.manager import KernelManager
    except ImportError:  # nbval not installed: no notebook tests run
        return
    if os.name != "posix" or getattr(nbval.kernel.KernelManager, "_mixlab_ipc", False):
        return

    class IPCKernelManager(KernelManager):  # type: ignore[misc]
        _mixlab_ipc = True

        def __init__(self, **kwargs: object) -> None:
            # An absolute socket prefix: the kernel runs in the notebook's folder, the client here.
            prefix = os.path.join(tempfile.gettempdir(), f"mixlab-kernel-{os.getpid()}-{uuid.uuid4().hex[:12]}")
            super().__init__(transport="ipc", ip=prefix, **kwargs)

    nbval.kernel.KernelManager = IPCKernelManager


_nbval_kernels_over_ipc()

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the dev extra is not installed: no property tests can run anyway
    pass
else:
    settings.register_profile(
        "mixlab", derandomize=True, database=None, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("explore", derandomize=False, database=None, deadline=None, max_examples=500)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mixlab"))
