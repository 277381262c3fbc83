"""Which ``simulator`` the suite tests, and the helpers' folder on the path.

In a checkout, ``pytest`` tests the checkout: ``pythonpath = ["."]`` in pyproject.toml puts
the repository first on ``sys.path``. CI tests the installed package instead: with
``TRADESIM_TEST_INSTALLED=1`` the checkout is taken off the path before anything imports
``simulator``, and the run stops if the package found is still the checkout's. The header of
every run ends by naming the package it tested.
"""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

if os.environ.get("TRADESIM_TEST_INSTALLED"):
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]

import simulator  # noqa: E402

PACKAGE = Path(simulator.__file__).resolve().parent
FROM_CHECKOUT = PACKAGE.parent == REPO

if os.environ.get("TRADESIM_TEST_INSTALLED") and FROM_CHECKOUT:
    pytest.exit(
        f"TRADESIM_TEST_INSTALLED is set but simulator was imported from the checkout "
        f"({PACKAGE}); install the package without -e to test the installed copy",
        returncode=4,
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    where = "this checkout" if FROM_CHECKOUT else "an installed copy"
    terminalreporter.write_line(f"tradesim: tested simulator from {PACKAGE} ({where})")
