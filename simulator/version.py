"""The tradesim version, naming the exact code: the release and the git commit.

``__version__`` is the installed distribution's version with the commit as a local label,
``0.1.0+g1a2b3c4d5e6f`` (``.dirty`` added when a checkout has uncommitted changes to tracked
files), so that provenance, summaries and stores tell runs of different code apart. Run from
a checkout (an editable install, or the source tree on the path), the commit is read from
git; an installed copy reads the commit recorded when it was built (``_commit.txt``, written
by ``setup.py``), and has none if it was built from a source tree without git.
"""

from __future__ import annotations

import subprocess
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "tradesim-abm"
"""The distribution's name (``pip install``); the command is ``tradesim``, the package
``simulator``. Not ``tradesim``: that name on PyPI is an unrelated project."""
COMMIT_FILE = "_commit.txt"


def checkout_commit(root: Path) -> str | None:
    """The commit of the git checkout at ``root`` (12 hex digits, ``.dirty`` if tracked files
    changed), or None if it is not one or git is missing."""
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "diff", "--quiet", "HEAD", "--"],
            capture_output=True,
            timeout=10,
            check=False,
        ).returncode
    except (OSError, subprocess.SubprocessError):
        return None
    return head + (".dirty" if dirty == 1 else "") if head else None


def _commit() -> str | None:
    package = Path(__file__).resolve().parent
    from_git = checkout_commit(package.parent)
    if from_git is not None:
        return from_git
    try:
        return (resources.files(__package__) / COMMIT_FILE).read_text().strip() or None
    except (OSError, TypeError):
        return None


try:
    _release = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree that is not installed
    _release = "0.0.0"
__commit__ = _commit()
__version__ = f"{_release}+g{__commit__}" if __commit__ else _release
