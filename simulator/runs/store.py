"""A resumable store of runs: one Parquet file per finished run plus a manifest.

Layout of a store folder::

    manifest.json        what is planned: scenario and its hash, every run's values and seed,
                         versions, and the hash of the plan
    runs/run-000042.parquet   one file per finished run (the long table of :func:`run_one`)
    results/             summaries, quantiles and plots, written atomically at the end

A run's file is written under a hidden name and renamed into place, so a crash (even SIGKILL)
leaves only complete files. Re-running the same plan on the same folder keeps every finished
run and runs only the missing ones. ``pandas.read_parquet(folder / "runs")`` reads them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.results.output import (
    STORE_KIND,
    OutputError,
    check_output_dir,
    owner_token,
    token_alive,
)
from simulator.runs.run import RunSpec
from simulator.scenario import ScenarioError
from simulator.version import __version__

MARKER = STORE_KIND


def plan_hash(scenario_sha256: str, specs: list[RunSpec]) -> str:
    """A hash of everything that determines the runs' numbers."""
    text = json.dumps(
        [__version__, scenario_sha256, [(s.run, s.seed, s.values, s.detail) for s in specs]],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


class Store:
    """The folder of a sweep or ensemble (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / "runs"

    @classmethod
    def open(cls, root: Path, manifest: dict[str, Any], specs: list[RunSpec]) -> Store:
        """Create the store, or reopen it to resume when it holds the same plan.

        A folder that exists but is not a store of this plan is left untouched (an error).
        """
        store = cls(root)
        manifest = {
            "kind": MARKER,
            **manifest,
            "plan_sha256": plan_hash(manifest["scenario_sha256"], specs),
            "runs": [{"run": s.run, "seed": s.seed, **s.values} for s in specs],
        }
        file = store.root / "manifest.json"
        if store.root.is_dir() and not store.root.is_symlink() and file.is_file():
            old = store.manifest()
            if old.get("plan_sha256") != manifest["plan_sha256"]:
                raise OutputError(
                    f"{store.root} holds other runs ({old.get('description', 'another plan')}); "
                    "give another --out, or remove that folder to start again"
                )
            store.remove_stale()
            return store
        if store.root.is_dir() and not store.root.is_symlink() and any(store.root.iterdir()):
            what = (
                "is the output folder of a tradesim run"
                if (store.root / "provenance.json").is_file()
                else "the folder holds files tradesim did not write"
            )
            raise OutputError(
                f"{store.root}: {what}; it is left untouched\n    hint: give another --out"
            )
        check_output_dir(store.root)  # not a file, the working folder, home, or unwritable
        try:
            store.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{store.root}: cannot write: {exc.strerror or exc}") from None
        try:
            _write_text(file, json.dumps(manifest, indent=1, default=str) + "\n")
        except OSError as exc:
            shutil.rmtree(store.root, ignore_errors=True)  # this call made it: empty or new
            raise OutputError(f"{store.root}: cannot write: {exc.strerror or exc}") from None
        return store

    def manifest(self) -> dict[str, Any]:
        file = self.root / "manifest.json"
        try:
            manifest = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScenarioError.simple(f"cannot read {file}: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("kind") != MARKER:
            raise ScenarioError.simple(f"{file} is not the manifest of a tradesim run store")
        return manifest

    def path(self, run: int) -> Path:
        return self.runs_dir / f"run-{run:06d}.parquet"

    def done(self) -> set[int]:
        """The runs whose files are complete."""
        return {int(p.stem[4:]) for p in self.runs_dir.glob("run-*.parquet")}

    def write(self, frame: pd.DataFrame) -> None:
        """Store one run's table (its ``run`` column names it) atomically: a failure (a full
        disk) or an interrupt removes the partial file; SIGKILL leaves one that names this
        process, which the next :meth:`open` of the store removes."""
        run = int(frame["run"].iloc[0])
        target = self.path(run)
        tmp = target.with_name(f".{target.name}.{owner_token()}.tmp")
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def remove_stale(self) -> None:
        """Remove partial run files whose writing process is gone (killed mid-write)."""
        for tmp in self.runs_dir.glob(".run-*.tmp"):
            token = tmp.name.rsplit(".", 2)[-2]
            if not token_alive(token):
                tmp.unlink(missing_ok=True)

    def read(self, run: int, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.path(run), columns=columns)

    def runs(self) -> pd.DataFrame:
        """One row per planned run: its id, seed and the values that vary."""
        return pd.DataFrame(self.manifest()["runs"]).set_index("run")

    def series(self) -> pd.DataFrame:
        """Every finished run's long table (all runs at once: mind the size)."""
        return pd.read_parquet(self.runs_dir)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
