"""``python -m importers`` is ``ev-import``."""

import sys

from .cli import main

sys.exit(main())
