"""``python -m ibkit`` is the same as the ``ibkit`` command."""

import sys

from .cli import main

sys.exit(main())
