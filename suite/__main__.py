"""``python -m suite``: record, verify and report seeded streams."""

import sys

from suite.cli import main

sys.exit(main())
