"""``python -m suite``: record, verify and report seeded streams."""

import signal
import sys

from suite.cli import main

# `python -m suite report | head` ends quietly, as a Unix filter should.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

sys.exit(main())
