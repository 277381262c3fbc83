"""The planted bugs of benchmarks/mutations.py still find the code they change.

The catalogue runs on demand (about 50 minutes), not in CI, so code that moves would leave its
mutations stale until someone ran it (three were, for a stop). This checks, in a second, what
the catalogue checks first: every edit's text is in its file exactly once, edits applied in
order as :meth:`Mutation.apply` applies them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def catalogue() -> list:
    name = "tradesim_benchmarks_mutations"
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "mutations.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module.CATALOGUE


def test_every_planted_bug_still_finds_the_text_it_changes():
    stale = []
    mutations = catalogue()
    for mutation in mutations:
        text = (ROOT / mutation.file).read_text(encoding="utf-8")
        for old, new in mutation.edits:
            found = text.count(old)
            if found != 1:
                stale.append(f"{mutation.name}: found {found} times in {mutation.file}: {old!r}")
                break
            text = text.replace(old, new)
    assert len(mutations) >= 80  # the catalogue is read, not an empty list
    assert not stale, "re-target these mutations:\n" + "\n".join(stale)
