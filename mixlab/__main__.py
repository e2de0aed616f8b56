"""Allow ``python -m mixlab``, the same as the ``mixlab`` command.

Used in: README, CI (when the console script is not on PATH).
"""

import sys

from mixlab.cli import main

sys.exit(main())
