"""``python -m ibkit.cli`` is the same as the ``ibkit`` command."""

import sys

from . import main

sys.exit(main())
