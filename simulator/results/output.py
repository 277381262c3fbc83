"""Output folders that are written atomically and never replace what tradesim did not write.

An output folder is recognised as tradesim's by its ``provenance.json``, which names tradesim
as its generator and lists every file the folder was written with. Such a folder may be
replaced by a new run; a folder holding anything else is refused (``force`` lifts that, but
never for the working folder, an ancestor of it, the home folder, or a folder holding one of
the run's own input files).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from simulator.version import __version__

PROVENANCE = "provenance.json"
GENERATOR = "tradesim"
STORE_KIND = "tradesim run store"
"""The ``kind`` in the ``manifest.json`` of a sweep's or ensemble's store."""
_MAX_PROVENANCE_BYTES = 5_000_000


class OutputError(Exception):
    """An output location that tradesim refuses or cannot write; nothing was written."""


def is_tradesim_output(folder: Path) -> bool:
    """Whether ``folder`` holds only what an earlier tradesim run wrote into it, unchanged."""
    return not foreign_files(folder)


def foreign_files(folder: Path) -> list[str]:
    """Files in ``folder`` that tradesim did not write there, or that were changed since it
    wrote them (all of them, or ``["provenance.json"]``, if the folder is not tradesim's)."""
    provenance = _read_provenance(folder / PROVENANCE)
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())
    if provenance is None:
        return on_disk or [PROVENANCE]
    files = provenance.get("files")
    if files is None:  # tradesim 0.1.0 wrote no file list: trust its provenance alone
        return []
    hashes = provenance.get("sha256") or {}
    return [
        name
        for name in on_disk
        if name != PROVENANCE
        and (name not in files or (name in hashes and _sha256(folder / name) != hashes[name]))
    ]


def _is_run_store(folder: Path) -> bool:
    """Whether ``folder`` is a sweep's or ensemble's store (its manifest says so)."""
    manifest = _read_provenance_like(folder / "manifest.json")
    return manifest is not None and manifest.get("kind") == STORE_KIND


def _read_provenance_like(path: Path) -> dict[str, Any] | None:
    """A small JSON object file, or None."""
    try:
        if not path.is_file() or path.stat().st_size > _MAX_PROVENANCE_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _read_provenance(path: Path) -> dict[str, Any] | None:
    """The provenance written by tradesim at ``path``, or None if it is not that."""
    data = _read_provenance_like(path)
    if data is None:
        return None
    if data.get("generator") == GENERATOR or "tradesim_version" in data:
        return data
    # tradesim 0.1.0's comparison folders: one provenance per scenario
    runs = list(data.values())
    if runs and all(isinstance(r, dict) and "tradesim_version" in r for r in runs):
        return data
    return None


def check_output_dir(out: Path, *, force: bool = False, protect: Iterable[Path] = ()) -> Path:
    """Raise :class:`OutputError` unless an output folder may be written at ``out``.

    Checked before any work, so that a refused location costs nothing and writes nothing.
    ``protect`` lists input files (the scenario and the files it extends) that the output
    must never replace, even with ``force``.
    """
    if not str(out).strip():
        raise OutputError("the output folder's name is empty\n    hint: e.g. --out out/run1")
    try:
        return _check_output_dir(out, force=force, protect=protect)
    except OSError as exc:  # a name too long for the file system, a folder we cannot read
        raise OutputError(f"{out}: cannot use this path: {exc.strerror or exc}") from None


def _check_output_dir(out: Path, *, force: bool, protect: Iterable[Path]) -> Path:
    target = Path(os.path.abspath(out))
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    resolved = target.resolve()
    if resolved in {cwd, home, Path(resolved.anchor)} or resolved in cwd.parents:
        raise OutputError(
            f"{out}: refusing to write an output folder over the working folder, one of its "
            "parents or your home folder\n    hint: name a new folder, e.g. --out out/run1"
        )
    for path in protect:
        path = Path(path).resolve()
        if path == resolved or resolved in path.parents:
            raise OutputError(
                f"{out}: the output folder would replace {path}, an input of this run\n"
                "    hint: write the outputs somewhere else, e.g. --out out/run1"
            )
    if target.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; tradesim writes only real folders")
    if target.exists():
        if not target.is_dir():
            raise OutputError(
                f"{out}: is a file, and tradesim writes a folder of outputs there\n"
                "    hint: choose a folder name, e.g. --out out/run1"
            )
        foreign = [] if force or not any(target.iterdir()) else foreign_files(target)
        if foreign and _is_run_store(target):
            raise OutputError(
                f"{out}: is the store of a sweep or ensemble; it is left untouched\n"
                "    hint: give another --out"
            )
        if foreign:
            shown = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            raise OutputError(
                f"{out}: the folder holds files tradesim did not write, or changed since it "
                f"wrote them ({shown}); they are left untouched\n"
                "    hint: choose a new or empty folder, or add --force to replace it"
            )
    ancestor = target.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{out}: cannot create the folder: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: no permission to write in {ancestor}")
    return target


def write_atomically(
    out: Path,
    write: Callable[[Path], None],
    provenance: Mapping[str, Any] | None = None,
    *,
    force: bool = False,
    protect: Iterable[Path] = (),
) -> Path:
    """Call ``write(tmp)`` on a fresh folder beside ``out``, then move it into place.

    The folder gets a ``provenance.json`` (``provenance`` plus tradesim's name and version and
    the list of files written). ``out`` is checked with :func:`check_output_dir`; a failure or
    an interrupt removes the temporary folder and any parent folders it created, and leaves
    ``out`` untouched. Failures to write raise :class:`OutputError`.
    """
    out = check_output_dir(out, force=force, protect=protect)
    created = [p for p in [out.parent, *out.parent.parents] if not p.exists()]
    tmp: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        write(tmp)
        _write_provenance(tmp, provenance)
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a folder follows the umask
        _replace_dir(tmp, out)
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # innermost first; only the ones this call made, if empty
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError):
            raise OutputError(f"{out}: cannot write: {exc.strerror or exc}") from None
        raise
    return out


def check_output_file(path: Path, marker: str, *, force: bool = False) -> Path:
    """Raise :class:`OutputError` unless the text file at ``path`` may be (re)written.

    An existing file may be replaced only if its first 4 kB contain ``marker``, or with
    ``force``; call this before any work so that a refusal costs nothing.
    """
    path = Path(os.path.abspath(path))
    if path.is_symlink() or path.is_dir():
        raise OutputError(f"{path}: is a folder or a link; tradesim writes a file there")
    if path.exists() and not force:
        with path.open("rb") as stream:
            head = stream.read(4096).decode("utf-8", errors="replace")
        if marker not in head:
            raise OutputError(
                f"{path}: the file was not written by tradesim; it is left untouched\n"
                "    hint: choose another --out, or add --force to replace it"
            )
    return path


def write_text_atomically(path: Path, text: str, marker: str, *, force: bool = False) -> Path:
    """Write one text file (a report, a page) via a temporary file beside it.

    An existing file is replaced only if its first 4 kB contain ``marker`` (the generator
    line tradesim writes into such files, which ``text`` must contain too), or with ``force``.
    """
    if marker not in text:
        raise ValueError(f"the text to write does not carry its marker {marker!r}")
    path = check_output_file(path, marker, force=force)
    if not path.parent.is_dir():
        raise OutputError(f"{path}: the folder {path.parent} does not exist")
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a file follows the umask
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    return path


def _write_provenance(folder: Path, provenance: Mapping[str, Any] | None) -> None:
    """Write (or complete) the folder's ``provenance.json`` with generator and file list."""
    path = folder / PROVENANCE
    record: dict[str, Any] = {}
    if path.exists():  # the writer recorded its own provenance
        written = json.loads(path.read_text(encoding="utf-8"))
        record.update(written if isinstance(written, dict) else {"provenance": written})
    record.update(provenance or {})
    record.setdefault("tradesim_version", __version__)
    record["generator"] = GENERATOR
    record["files"] = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() and p.name != PROVENANCE
    )
    record["sha256"] = {name: _sha256(folder / name) for name in record["files"]}
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def _replace_dir(new: Path, target: Path) -> None:
    """Move a finished folder into place, replacing the (checked) earlier folder if any."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:12]}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)
