"""Bundled data sets: the 2024 base year and the published 2024–2025 history.

``MANIFEST.sha256`` lists every bundled data file with its sha256 checksum (the format of
``sha256sum``, paths relative to this folder). ``data-raw/base_2024/build.py`` writes it;
``tests/test_manifest.py`` checks it against the files.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

MANIFEST = "MANIFEST.sha256"


@functools.cache
def manifest_sha256() -> str:
    """The sha256 of ``MANIFEST.sha256``: one checksum that names the bundled data exactly."""
    manifest = resources.files(__name__) / MANIFEST
    try:
        return hashlib.sha256(manifest.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise RuntimeError(
            f"the bundled data manifest simulator/data/{MANIFEST} is missing; "
            "reinstall tradesim or run data-raw/base_2024/build.py"
        ) from None
