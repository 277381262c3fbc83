"""What the tests in a real browser need: Playwright, Debian's Chromium and the page's packages.

A test module calls :func:`require` before it imports Playwright: without them it is skipped,
except in CI (``CI=true``), where the browser tests must run and a missing piece fails."""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# browser tests run one after another on one test worker (``--dist loadgroup``): each starts a
# server and browsers, and their timeouts assume they do not share the cores with each other
ONE_AT_A_TIME = pytest.mark.xdist_group("browsers")


def require(*modules: str, what: str) -> None:
    """Skip (or, in CI, fail) the calling module unless Playwright, ``modules`` and Chromium
    are installed; ``what`` names its tests in the message."""
    reason = None
    for name in ("playwright.sync_api", *modules):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            reason = f"{exc.name} is not installed (pip install '.[test]')"
            break
    if reason is None and not os.path.exists(CHROMIUM):
        reason = "chromium is not installed (apt-get install chromium)"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
