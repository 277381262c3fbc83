"""Output folders that are written atomically and never replace what tradesim did not write.

An output folder is recognised as tradesim's by its ``provenance.json``, which names tradesim
as its generator and lists every file the folder was written with, each with its SHA-256;
only a folder whose files all match may be replaced by a new run. Any other folder is refused
(``force`` lifts that, but never for the working folder, an ancestor of it, the home folder,
a folder holding one of the run's own input files, a version-control folder, a folder inside
or holding one, or a folder holding files git tracks). Files that appear in the folder while
a run goes are never replaced, and a run killed outright leaves a temporary folder naming its
process, which the next run beside it removes."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
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
VCS_FOLDERS = (".git", ".hg", ".svn")
"""Version-control folders: never replaced, nor any folder that is inside or holds one."""
OWNER = ".tradesim-owner.json"
"""In a temporary folder while a run writes it: the writing process (host, pid, start)."""


class OutputError(Exception):
    """An output location that tradesim refuses or cannot write; nothing was written."""


def os_error_reason(exc: OSError) -> str:
    """The reason of a failed write in a few words ("No space left on device"), also from
    pyarrow, which puts the error number in its message."""
    number = exc.errno or next(iter(re.findall(r"\[errno (\d+)\]", str(exc))), None)
    return os.strerror(int(number)) if number else exc.strerror or str(exc)


def is_tradesim_output(folder: Path) -> bool:
    """Whether ``folder`` holds only what an earlier tradesim run wrote into it, unchanged."""
    return not foreign_files(folder)


def foreign_files(folder: Path) -> list[str]:
    """Files in ``folder`` that tradesim did not write there, or that were changed since it
    wrote them (all of them, or ``["provenance.json"]``, if the folder is not tradesim's).

    A folder is tradesim's only if its ``provenance.json`` lists every file in it with a
    SHA-256 and every file matches; a provenance without that list (hand-written, or from a
    tradesim before 0.1.0's file lists) proves nothing, so all the files count as foreign.
    """
    provenance = _read_provenance(folder / PROVENANCE)
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir())
    files, hashes = (provenance or {}).get("files"), (provenance or {}).get("sha256")
    if not isinstance(files, list) or not isinstance(hashes, dict):
        return on_disk or [PROVENANCE]
    return [
        name
        for name in on_disk
        if name != PROVENANCE
        and (
            name not in files
            or not isinstance(hashes.get(name), str)
            or _sha256(folder / name) != hashes[name]
        )
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
    if data is None or data.get("generator") != GENERATOR:
        return None
    return data


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
    _check_version_control(out, resolved, force)
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


def _check_version_control(out: Path, resolved: Path, force: bool) -> None:
    """Refuse a folder that is, is inside or holds a version-control folder; with ``force``,
    also one that holds files tracked by git (a project's ``docs``, say)."""
    inside = [part for part in resolved.parts if part in VCS_FOLDERS]
    holds = None
    if not inside and resolved.is_dir():
        holds = next(
            (
                Path(root, name)
                for root, dirs, files in os.walk(resolved)
                for name in [*dirs, *files]
                if name in VCS_FOLDERS
            ),
            None,
        )
    if inside or holds is not None:
        what = f"is inside a {inside[0]} folder" if inside else f"holds {holds}"
        raise OutputError(
            f"{out}: {what}; tradesim never replaces version-control folders, even with "
            "--force\n    hint: name a new folder, e.g. --out out/run1"
        )
    if force and resolved.is_dir() and (tracked := _tracked_by_git(resolved)):
        raise OutputError(
            f"{out}: holds files tracked by git ({tracked}); tradesim does not replace them, "
            "even with --force\n    hint: name a new folder, e.g. --out out/run1"
        )


def _tracked_by_git(folder: Path) -> str | None:
    """The first file under ``folder`` that git tracks, if it lies in a git work tree."""
    if not any((parent / ".git").exists() for parent in [folder, *folder.parents]):
        return None
    try:
        listed = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--", "."],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git here: the folder checks stand
        return None
    names = listed.stdout.split(b"\0") if listed.returncode == 0 else []
    return names[0].decode(errors="replace") if names and names[0] else None


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (relative name: size and modification time), to tell later
    which files appeared or changed; empty if there is no such folder."""
    state: dict[str, tuple[int, int]] = {}
    if folder.is_symlink() or not folder.is_dir():
        return {folder.name: (-1, -1)} if os.path.lexists(folder) else {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            state[path.relative_to(folder).as_posix()] = (info.st_size, info.st_mtime_ns)
    return state


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where
    that cannot be read: with the pid, it names one process even after its pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()[19]


def _alive(pid: int, start: str | None) -> bool:
    """Whether the process ``pid`` that started at ``start`` is still running."""
    if Path("/proc/self/stat").exists():
        return start is not None and _process_start(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, under another user
        return True
    return True


def owner_token() -> str:
    """This process, as written into the names of temporary files: pid and start."""
    return f"{os.getpid()}-{_process_start(os.getpid()) or 0}"


def token_alive(token: str) -> bool:
    """Whether the process named by :func:`owner_token`'s ``token`` still runs."""
    pid, _, start = token.partition("-")
    if not pid.isdigit():
        return True  # not ours to judge: keep it
    return _alive(int(pid), None if start in ("", "0") else start)


def _mark_owner(tmp: Path) -> None:
    pid = os.getpid()
    record = {"host": socket.gethostname(), "pid": pid, "start": _process_start(pid)}
    (tmp / OWNER).write_text(json.dumps(record), encoding="utf-8")


def remove_stale_temporaries(parent: Path) -> list[Path]:
    """Remove the temporary folders in ``parent`` whose writing run was killed (their owner
    file names a process of this host that is gone), saying so on stderr; return them."""
    removed = []
    try:
        entries = [p for p in parent.iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    for entry in entries:
        if entry.is_symlink() or not entry.is_dir():
            continue
        moved = re.search(r"\.old-(\d+-\d+)-[0-9a-f]{6}$", entry.name)
        if moved and not token_alive(moved[1]):
            # an earlier output moved aside by a run killed before it removed it
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
                print(f"tradesim: removed {entry}, left by a run that was killed", file=sys.stderr)
            continue
        owner = _read_provenance_like(entry / OWNER)
        if owner is None or owner.get("host") != socket.gethostname():
            continue
        pid = owner.get("pid")
        if not isinstance(pid, int) or _alive(pid, owner.get("start")):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        if not entry.exists():
            removed.append(entry)
            print(
                f"tradesim: removed {entry}, the unfinished outputs of a run that was killed "
                f"(process {pid})",
                file=sys.stderr,
            )
    return removed


def write_atomically(
    out: Path,
    write: Callable[[Path], None],
    provenance: Mapping[str, Any] | None = None,
    *,
    force: bool = False,
    protect: Iterable[Path] = (),
    since: Mapping[str, tuple[int, int]] | None = None,
) -> Path:
    """Call ``write(tmp)`` on a fresh folder beside ``out``, then move it into place.

    The folder gets a ``provenance.json`` (``provenance`` plus tradesim's name and version and
    the list of files written). ``out`` is checked with :func:`check_output_dir`; a failure or
    an interrupt removes the temporary folder and any parent folders it created, and leaves
    ``out`` untouched. Failures to write raise :class:`OutputError`.

    ``since`` is :func:`folder_state` of ``out`` when the command checked it (default: now):
    files that appeared or changed in ``out`` after that are never replaced (the folder is
    left as it is, and :class:`OutputError` says which). The temporary folder names its
    process in :data:`OWNER`, so that the next run here removes it if that process was killed.
    """
    out = check_output_dir(out, force=force, protect=protect)
    state = folder_state(out) if since is None else dict(since)
    created = [p for p in [out.parent, *out.parent.parents] if not p.exists()]
    prefix = f".{out.name}.{os.getpid()}."  # this process's temporaries of ``out``
    tmp: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out.parent)
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out.parent))
        _mark_owner(tmp)
        write(tmp)
        (tmp / OWNER).unlink()
        _write_provenance(tmp, provenance)
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a folder follows the umask
        _replace_dir(tmp, out, state)
    except BaseException as exc:
        for folder in [tmp] if tmp is not None else _made_by_this_process(out.parent, prefix):
            shutil.rmtree(folder, ignore_errors=True)
        for folder in created:  # innermost first; only the ones this call made, if empty
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError):
            raise OutputError(f"{out}: cannot write: {os_error_reason(exc)}") from None
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
    prefix = f".{path.name}.{os.getpid()}."  # this process's temporaries of ``path``
    tmp: str | None = None
    try:
        handle, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a file follows the umask
        os.replace(tmp, path)
    except BaseException as exc:
        for made in [Path(tmp)] if tmp is not None else _made_by_this_process(path.parent, prefix):
            made.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    return path


def _made_by_this_process(parent: Path, prefix: str) -> list[Path]:
    """The temporaries in ``parent`` named with ``prefix`` (which holds this process's id):
    what a call made when an interrupt came after the temporary was created but before its
    name was known to the call (a signal is handled between any two steps of Python)."""
    return sorted(parent.glob(glob.escape(prefix) + "*"))


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


def _replace_dir(new: Path, target: Path, since: Mapping[str, tuple[int, int]]) -> None:
    """Move a finished folder into place, replacing the (checked) earlier folder if any.

    The earlier folder is first moved aside, then compared with ``since``: if a file appeared
    or changed in it meanwhile, it is moved back, untouched, and :class:`OutputError` raised.
    """
    if not os.path.lexists(target):
        new.rename(target)
        return
    old = target.with_name(f".{target.name}.old-{owner_token()}-{uuid.uuid4().hex[:6]}")
    target.rename(old)
    now = folder_state(old)
    if appeared := sorted(name for name, info in now.items() if since.get(name) != info):
        old.rename(target)
        shown = ", ".join(appeared[:3]) + (
            f" and {len(appeared) - 3} more" if len(appeared) > 3 else ""
        )
        raise OutputError(
            f"{target}: {shown} appeared or changed in the folder while tradesim ran; the "
            "folder is left as it was, and this run's outputs were not written\n"
            "    hint: move those files elsewhere and run again, or choose another --out"
        )
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
