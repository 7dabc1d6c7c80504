"""``python -m rngsuite``: record, verify and report seeded streams."""

import atexit
import gc
import signal
import sys


def _freeze_at_exit() -> None:
    # At exit, Python's last garbage collections walk every object torch and the ledger made
    # (0.3-0.5 s of each run); frozen objects are still freed by their reference counts.
    # Registered first, this runs after every other exit handler (temporary directories,
    # multiprocessing's), so none of them is skipped. Not where torch loaded Triton (CUDA
    # builds, once torch._dynamo is imported): its nanobind extension counts its objects at
    # shutdown and prints "nanobind: leaked N instances!" for each one a frozen cycle keeps.
    if "triton" not in sys.modules:
        gc.freeze()


atexit.register(_freeze_at_exit)

from rngsuite.cli import main  # noqa: E402 -- after the handler above, so it runs last

# `python -m rngsuite report | head` ends quietly, as a Unix filter should.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

sys.exit(main())
