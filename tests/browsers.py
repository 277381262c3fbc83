"""What the tests in a real browser need: Playwright, Debian's Chromium and the page's packages.

A test module calls :func:`require` before it imports Playwright: without them it is skipped,
except in CI (``CI=true``), where the browser tests must run and a missing piece fails."""

from __future__ import annotations

import contextlib
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


def set_slider(slider, value: float) -> None:
    """Move a slider (a Playwright locator) to ``value`` from the keyboard, one step at a time,
    each step waiting until the page has taken it: a key pressed while the page redraws (after
    an upload resets the levers, say) can be lost, and the next press makes up for it."""
    from playwright.sync_api import expect

    for _ in range(100):
        now = float(slider.get_attribute("aria-valuenow"))
        if now == value:
            return
        slider.focus()
        slider.press("ArrowRight" if now < value else "ArrowLeft")
        with contextlib.suppress(AssertionError):  # lost: press again
            expect(slider).not_to_have_attribute("aria-valuenow", f"{now:g}", timeout=5_000)
    raise AssertionError(f"the slider did not reach {value:g}")
