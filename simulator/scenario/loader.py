"""Load a scenario: read YAML, resolve ``extends``, apply ``--set`` overrides, validate, check.

Every value keeps the file, line and column it was written at, through merges and overrides,
so that an error in an inherited entry points at the parent file's line.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from simulator.calendar import month_index
from simulator.calibration import dataset
from simulator.calibration.parameters import DATA_DEFAULTS
from simulator.scenario.errors import (
    Issue,
    KeyPath,
    Location,
    ScenarioError,
    did_you_mean,
    format_path,
    issues_from_validation,
    show,
)
from simulator.scenario.hints import code_hint
from simulator.scenario.schema import CodeList, Scenario
from simulator.scenario.yaml_io import load_yaml, read_yaml_text

ID_LISTS = {("tariffs",), ("retaliation",)}
"""Lists merged entry by entry on ``id`` under ``extends``; every other list is replaced."""

Source = str | os.PathLike | Mapping[str, Any]
Locate = Callable[[KeyPath], Location]


@dataclass(frozen=True)
class LoadedScenario:
    """A valid scenario with its origin.

    ``raw`` is the merged mapping after ``extends`` and overrides (loading it again gives the
    same scenario), ``sha256`` the hash of its canonical JSON, ``chain`` the files read (as
    absolute paths), the loaded file first, then its parent, grandparent, ..., ``overrides``
    the ``key.path=value`` strings applied and ``warnings`` what looks like a mistake but is
    valid (a rate of 0.25 %, meant as 25 %?).
    """

    scenario: Scenario
    path: Path | None
    raw: dict[str, Any]
    chain: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @cached_property
    def sha256(self) -> str:
        """The hash of ``raw``'s canonical JSON (made when first asked for: runs that record
        no provenance never pay for it)."""
        return _sha256(self.raw)


@dataclass
class _Node:
    """A value from a scenario source and where it was written."""

    value: Any  # dict[Any, _Node] | list[_Node] | a scalar
    loc: Location


def load_scenario(
    source: Source, overrides: Sequence[str] = (), *, local_extends: bool = True
) -> LoadedScenario:
    """Read, merge, override, validate and check a scenario.

    ``source`` is a YAML file path, a bundled scenario's name (``"us_2025"``) or a mapping;
    ``overrides`` are ``key.path=value`` strings
    (``tariffs.autos_232.rate=35`` addresses a list entry by its id). Anything wrong raises a
    :class:`ScenarioError` listing every problem with its file, line and key path.
    ``local_extends=False`` lets ``extends:`` name bundled scenarios only (for files that
    come from someone else, such as uploads to a shared server).
    """
    chain: list[Path] = []
    if isinstance(source, Mapping):
        path = None
        own = _to_node(source, {}, None)
    else:
        path = _bundled_or_path(source)
        if not path.exists():
            raise ScenarioError([_missing(path)])
        own = _read(path, None)
        if "name" not in own.value:
            own.value["name"] = _Node(_slug(path.stem), own.loc)
        chain.append(path)
    extends = own.value.get("extends")
    if extends is not None and extends.value is not None and "description" not in own.value:
        # a description says what its own file shows: it is not inherited
        own.value["description"] = _Node(f"Extends {extends.value}.", extends.loc)
    tree = _resolve(own, path, chain, local_extends)
    for text in overrides:
        _override(tree, text)

    positions: dict[KeyPath, Location] = {}
    raw = _unzip(tree, (), positions)

    def locate(key_path: KeyPath) -> Location:
        while key_path not in positions:
            key_path = key_path[:-1]
        return positions[key_path]

    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        own_file = _display(path) if path is not None else None
        raise ScenarioError(issues_from_validation(exc, Scenario, raw, locate, own_file)) from None
    issues = [
        *_code_issues(scenario, locate),
        *_date_issues(scenario, locate),
        *_self_target_issues(scenario, locate),
        *_gold_issues(scenario, locate),
        *_export_scale_issues(scenario, locate),
        *_ai_capex_issues(scenario, locate),
    ]
    if issues:
        raise ScenarioError(issues)
    return LoadedScenario(
        scenario,
        path,
        raw,
        [str(p) for p in chain],
        list(overrides),
        [
            *_shadow_warnings(source, chain, locate),
            *_rate_warnings(scenario, locate),
            *_size_warnings(scenario, locate),
        ],
    )


def _shadow_warnings(source: Any, chain: list[Path], locate: Locate) -> Iterator[Issue]:
    """A bundled scenario named where a local file of that name exists: say which one ran.
    ``tradesim run autos_25`` looks beside the working folder (and in ./scenarios), an
    ``extends: autos_25`` beside the file that says it."""
    bundled = {p.resolve() for p in bundled_scenarios().values()}
    named = [] if isinstance(source, Mapping) or not chain else [(None, chain[0])]
    named += list(itertools.pairwise(chain))
    for child, file in named:
        if file not in bundled or (child is None and Path(str(source)).suffix):
            continue
        folders = [child.parent] if child else [Path.cwd(), Path.cwd() / "scenarios"]
        for local in (folder / file.name for folder in folders):
            # an identical copy (a checkout's scenarios/ beside an installed tradesim) runs
            # the same numbers: nothing to warn about
            if local.is_file() and local.resolve() != file:
                if local.read_bytes() == file.read_bytes():
                    continue
                where = "'extends: " + file.stem + "'" if child else file.stem
                yield Issue(
                    _display(child) if child else _display(local),
                    locate(("extends",)).line if child else None,
                    None,
                    "extends" if child else "",
                    f"{where} names the scenario bundled with tradesim ({file.stem}), not the "
                    f"local file {_display(local)}, which differs from it",
                    hint=f"to use the local file, name its path: {_display(local)}"
                    if not child
                    else f"to extend the local file, write extends: ./{file.name}",
                )


def _slug(text: str) -> str:
    """A safe scenario name made from a file name (the name a file without ``name:`` gets):
    accents dropped (``é`` → ``e``), other unsafe characters and ``..`` made ``_``, at most
    80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_.-]+|\.{2,}", "_", ascii_text).strip(".") or "scenario"
    slug = slug if slug[0].isalnum() or slug[0] == "_" else f"_{slug}"
    return slug[:80]


def _bundled_or_path(source: str | os.PathLike) -> Path:
    """A file path, or the file of a bundled scenario named without a suffix."""
    path = Path(source)
    if not path.exists() and not path.suffix and str(source) in bundled_scenarios():
        return bundled_scenarios()[str(source)].resolve()
    return path.resolve()


def _missing(path: Path) -> Issue:
    """No file at ``path``: perhaps a bundled scenario named by a path or misspelt."""
    bundled = bundled_scenarios()
    if path.stem in bundled:
        hint = f"the bundled scenario is named without a folder or suffix: {path.stem}"
    else:
        hint = did_you_mean(path.stem, bundled) or "'tradesim list' names the bundled scenarios"
    return Issue(_display(path), None, None, "", "cannot read the file: no such file", hint=hint)


def bundled_dir() -> Traversable:
    """The folder of bundled scenarios (the repository's ``scenarios/`` in a checkout)."""
    return _package_folder()


@lru_cache(maxsize=1)
def _package_folder() -> Traversable:
    try:
        return resources.files("simulator.bundled_scenarios")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "scenarios"


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names (``autos_25``) and their files (the folder is listed again only
    when it changes: a load asks several times)."""
    folder = bundled_dir()
    try:
        changed = os.stat(str(folder)).st_mtime_ns
    except OSError:  # no folder, or not one on disk
        return dict(_listing(folder))
    return dict(_listing_of(str(folder), changed))


@lru_cache(maxsize=8)
def _listing_of(folder: str, changed: int) -> tuple[tuple[str, Path], ...]:
    """:func:`_listing` of a folder on disk as it was at modification time ``changed``."""
    return _listing(Path(folder))


def _listing(folder: Traversable) -> tuple[tuple[str, Path], ...]:
    files = [Path(str(p)) for p in folder.iterdir()] if folder.is_dir() else []
    return tuple((p.stem, p) for p in sorted(files) if p.suffix == ".yaml")


def recorded_path(path: str | os.PathLike) -> str:
    """A scenario file as outputs record it: a bundled scenario by its name (``us_2025``),
    which names the same file wherever tradesim is installed and loads again by that name;
    any other file by its path."""
    resolved = Path(path).resolve()
    for name, file in bundled_scenarios().items():
        if file.resolve() == resolved:
            return name
    return str(path)


def recorded_input(recorded: str) -> Path:
    """The file that :func:`recorded_path` recorded (a bundled name back to its file)."""
    return bundled_scenarios().get(recorded, Path(recorded))


# -- reading and extends -------------------------------------------------------------------


def _display(path: Path) -> str:
    """A path as shown in messages: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(path: Path, extends: _Node | None) -> _Node:
    """Parse a scenario file (named by ``extends``, if given) into nodes.

    Errors about a file that is not a scenario never quote its content: its name and a line
    number are all they show.
    """
    name = _display(path)
    try:
        text = read_yaml_text(path, name)
        data, _ = _parse(text, name)
    except ScenarioError as exc:
        if extends is None:
            raise
        first = exc.issues[0]
        where = f"{name}:{first.line}" if first.line else name
        reason = "not valid YAML" if first.line else first.message
        raise _error(
            extends.loc,
            ("extends",),
            f"cannot read {where}: {reason.removeprefix('cannot read the file: ')}",
            hint=f"run 'tradesim validate {name}' for details" if first.line else None,
        ) from None
    if not isinstance(data, dict):
        kinds = {list: "a list", str: "a line of text"}
        found = "an empty file" if data is None else kinds.get(type(data), "a single value")
        message = f"a scenario file must be a block of keys (name:, tariffs:, ...), not {found}"
        raise ScenarioError([Issue(name, 1, 1, "", message)])
    foreign = [k for k in data if k not in Scenario.model_fields]
    if len(foreign) > 1 and len(foreign) * 2 > len(data):
        message = (
            f"this is not a tradesim scenario: {len(foreign)} of its {len(data)} top-level "
            "keys are not scenario keys"
        )
        expected = "top-level keys among " + ", ".join(Scenario.model_fields)
        raise ScenarioError([Issue(name, None, None, "", message, expected)])
    return _copy(_file_nodes(text, name))


@lru_cache(maxsize=32)
def _parse(text: str, name: str) -> tuple[Any, Mapping[KeyPath, tuple[int, int]]]:
    """:func:`load_yaml` of a file's text, kept for the next load of the same text (the
    dashboard and ensembles read the same files again and again). Read-only: :func:`_to_node`
    builds new containers around the shared values."""
    return load_yaml(text, name)


@lru_cache(maxsize=32)
def _file_nodes(text: str, name: str) -> _Node:
    """:func:`_to_node` of a file's parsed text, kept for the next read of the same text.
    Read-only: :func:`_read` hands out copies (merging and overrides change their nodes)."""
    return _to_node(*_parse(text, name), name)


def _copy(node: _Node) -> _Node:
    """New mappings and lists around the same leaves (merging and overrides replace a
    container's items, never change a leaf: leaves are shared)."""
    if isinstance(node.value, dict):
        return _Node({k: _copy(v) for k, v in node.value.items()}, node.loc)
    if isinstance(node.value, list):
        return _Node([_copy(v) for v in node.value], node.loc)
    return node


def _to_node(data: Any, positions: Mapping[KeyPath, tuple[int, int]], file: str | None) -> _Node:
    """Wrap parsed data in nodes that remember their positions."""

    def wrap(value: Any, path: KeyPath) -> _Node:
        loc = Location(file, *positions.get(path, (None, None)))
        if isinstance(value, Mapping):
            return _Node({k: wrap(v, (*path, k)) for k, v in value.items()}, loc)
        if isinstance(value, list | tuple):
            return _Node([wrap(v, (*path, i)) for i, v in enumerate(value)], loc)
        return _Node(value, loc)

    def wrap_unplaced(value: Any) -> _Node:  # no positions (a mapping): one shared location
        if isinstance(value, Mapping):
            return _Node({k: wrap_unplaced(v) for k, v in value.items()}, nowhere)
        if isinstance(value, list | tuple):
            return _Node([wrap_unplaced(v) for v in value], nowhere)
        return _Node(value, nowhere)

    nowhere = Location(file, None, None)
    return wrap(data, ()) if positions else wrap_unplaced(data)


def _unzip(node: _Node, path: KeyPath, positions: dict[KeyPath, Location]) -> Any:
    """Plain data from nodes, filling ``positions`` with the location of every key path."""
    positions[path] = node.loc
    if isinstance(node.value, dict):
        return {k: _unzip(v, (*path, k), positions) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_unzip(v, (*path, i), positions) for i, v in enumerate(node.value)]
    return node.value


def _error(loc: Location, path: KeyPath, message: str, **extra: str | None) -> ScenarioError:
    return ScenarioError([Issue.at(loc, path, message, **extra)])


def _resolve(node: _Node, path: Path | None, chain: list[Path], local: bool) -> _Node:
    """The scenario ``node`` merged on top of the scenario it extends, if any."""
    extends = node.value.pop("extends", None)
    if extends is None or extends.value is None:
        return _merge(_Node({}, node.loc), node, ())
    parent = _parent_path(extends, path, local)
    if parent in chain:
        cycle = " -> ".join(_display(p) for p in [*chain[chain.index(parent) :], parent])
        raise _error(extends.loc, ("extends",), f"files extend each other in a cycle: {cycle}")
    chain.append(parent)
    return _merge(_resolve(_read(parent, extends), parent, chain, local), node, ())


def _parent_path(extends: _Node, child: Path | None, local: bool) -> Path:
    """The file named by ``extends``: a bundled scenario name, or a path relative to the child.

    A path must name a ``.yaml`` or ``.yml`` file, and only when ``local`` files are allowed.
    """
    ref = extends.value
    if not isinstance(ref, str) or not ref.strip():
        hint = None
        if isinstance(ref, list):  # shown as the user wrote it ("a list"), never as nodes
            hint = "a scenario extends one other scenario, named on one line"
            if len(ref) == 1 and isinstance(ref[0].value, str):
                hint = f"a scenario extends one other: write extends: {ref[0].value}"
        raise _error(
            extends.loc,
            ("extends",),
            f"invalid value {show(ref)}",
            expected="a bundled scenario name such as us_2025, or a path such as ../base.yaml",
            hint=hint,
        )
    if "/" in ref or "\\" in ref or "." in ref:
        if not local:
            raise _error(
                extends.loc,
                ("extends",),
                "here 'extends' can name only a bundled scenario",
                expected="one of " + ", ".join(bundled_scenarios()),
            )
        if "://" in ref:
            raise _error(
                extends.loc,
                ("extends",),
                "'extends' reads local files only, not web addresses",
                hint="download the file and name its path, e.g. extends: ../base.yaml",
            )
        if not ref.endswith((".yaml", ".yml")):
            raise _error(
                extends.loc,
                ("extends",),
                "'extends' names a scenario file, which ends in .yaml or .yml",
                expected="a bundled scenario name such as us_2025, or a path such as ../base.yaml",
            )
        return ((child.parent if child else Path.cwd()) / ref).resolve()
    bundled = bundled_scenarios()
    if ref not in bundled:
        raise _error(
            extends.loc,
            ("extends",),
            f"no bundled scenario named {ref!r}",
            expected="one of " + (", ".join(bundled) or "(none installed)"),
            hint=did_you_mean(ref, bundled),
        )
    return bundled[ref].resolve()


def _merge(base: _Node, over: _Node, path: KeyPath) -> _Node:
    """``over`` on top of ``base``: mappings merge deeply, id lists by id, the rest replace."""
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        merged = dict(base.value)
        for key, node in over.value.items():
            sub = (*path, key)
            if key in merged:
                merged[key] = _merge(merged[key], node, sub)
            else:  # an id list still gets its ids checked and removals applied
                merged[key] = _merge(_Node([], node.loc), node, sub) if sub in ID_LISTS else node
        return _Node(merged, over.loc)
    if path in ID_LISTS and isinstance(base.value, list) and isinstance(over.value, list):
        return _Node(_merge_by_id(base.value, over.value, path), over.loc)
    return over


def _entry_id(node: _Node) -> str | None:
    if isinstance(node.value, dict) and "id" in node.value:
        value = node.value["id"].value
        return str(value) if isinstance(value, str | int) else None
    return None


def _merge_by_id(base: list[_Node], over: list[_Node], path: KeyPath) -> list[_Node]:
    """Entries of ``over`` replace (deep-merge) or remove the inherited ones with their id."""
    items: list[_Node | None] = list(base)
    index = {_entry_id(n): i for i, n in enumerate(base) if _entry_id(n) is not None}
    seen: dict[str, _Node] = {}
    for position, node in enumerate(over):
        entry_id = _entry_id(node)
        where = (*path, position)
        removing = isinstance(node.value, dict) and "remove" in node.value
        if removing and node.value["remove"].value is not True:
            raise _error(
                node.value["remove"].loc, (*where, "remove"), "only 'remove: true' is valid"
            )
        if entry_id is None:
            if removing:
                raise _error(node.loc, where, "'remove: true' needs the id of the entry to remove")
            items.append(node)
            continue
        if entry_id in seen:
            line = seen[entry_id].value["id"].loc.line
            message = f"duplicate id {entry_id!r}" + (f": also used at line {line}" if line else "")
            raise _error(node.value["id"].loc, (*where, "id"), message)
        seen[entry_id] = node
        if removing:
            if entry_id not in index:
                inherited = list(index)
                raise _error(
                    node.value["id"].loc,
                    (*where, "id"),
                    f"cannot remove {entry_id!r}: no inherited {path[-1]} entry has that id",
                    expected="one of " + ", ".join(inherited) if inherited else None,
                    hint=did_you_mean(entry_id, inherited)
                    if inherited
                    else "'remove: true' drops an entry inherited through 'extends'",
                )
            items[index[entry_id]] = None
        elif entry_id in index:
            items[index[entry_id]] = _merge(items[index[entry_id]], node, where)
        else:
            items.append(node)
    return [n for n in items if n is not None]


# -- overrides -----------------------------------------------------------------------------


# a key path as errors print it: keys joined by dots, list entries by [position] or by id
_KEY_PATH = re.compile(r"[^.\[\]]+(\[\d+\])*(\.[^.\[\]]+(\[\d+\])*)*")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _override_steps(key: str) -> list[str | int] | None:
    """``tariffs[0].rate`` → ``["tariffs", 0, "rate"]``; None if ``key`` is not a key path."""
    if not _KEY_PATH.fullmatch(key):
        return None
    return [name if name else int(position) for name, position in _STEP.findall(key)]


def _override(tree: _Node, text: str) -> None:
    """Apply one ``key.path=value`` override (the value is read as YAML).

    A list entry is named by its position, as errors print it (``tariffs[0].rate``), or by
    its id (``tariffs.autos_232.rate``).
    """
    loc = Location(f"--set {text}")
    key, sep, value_text = text.partition("=")
    steps = _override_steps(key.strip())
    if not sep or not steps:
        raise _error(
            loc,
            (),
            "expected key.path=value",
            expected="e.g. parameters.pass_through=0.8 or tariffs[0].rate=30",
        )
    if steps[0] == "extends":
        raise _error(loc, ("extends",), "'extends' cannot be overridden; set it in the file")
    value = _to_node(load_yaml(value_text, loc.file)[0], {}, loc.file)
    node, path = tree, ()
    for depth, step in enumerate(steps):
        last = depth == len(steps) - 1
        named = f"[{step}]" if isinstance(step, int) else f"key {step!r}"
        if isinstance(node.value, dict) and isinstance(step, str):
            key = next((k for k in node.value if str(k) == step), step)
            if last:
                node.value[key] = value
            elif key not in node.value:
                if isinstance(steps[depth + 1], int):
                    unset = format_path((*path, key))
                    raise _error(
                        loc,
                        (*path, key, steps[depth + 1]),
                        f"{unset} is not set, so it has no [{steps[depth + 1]}]",
                        expected=f"{unset}=[...] to set the whole list",
                    )
                node.value[key] = _Node({}, loc)
        elif isinstance(node.value, list):
            key = _list_entry(node.value, step, path, loc)
            if last:
                node.value[key] = value
        elif isinstance(node.value, dict):
            message = f"{format_path(path)} is a block of keys, not a list, so it has no {named}"
            raise _error(loc, (*path, step), message)
        else:
            message = f"{format_path(path)} holds a single value, so it has no {named}"
            raise _error(loc, (*path, step), message)
        path = (*path, key)
        if not last:
            node = node.value[key]


def _list_entry(entries: list[_Node], step: str | int, path: KeyPath, loc: Location) -> int:
    """The position of the list entry that ``step`` names: ``[position]`` or an entry's id."""
    whole = f"{format_path(path)}=[...] to set the whole list"
    if isinstance(step, int):
        if step < len(entries):
            return step
        count = f"{len(entries)} entries" if len(entries) != 1 else "1 entry"
        raise _error(
            loc,
            (*path, step),
            f"{format_path(path)} has {count}, so it has no [{step}]",
            expected=f"[0] to [{len(entries) - 1}]" if entries else whole,
        )
    ids = [_entry_id(entry) for entry in entries]
    if step in ids:
        return ids.index(step)
    known = [i for i in ids if i is not None]
    raise _error(
        loc,
        (*path, step),
        f"no entry with id {step!r} in {format_path(path)}",
        expected="an id: " + ", ".join(known) if known else whole,
        hint=f"an entry by position is written {format_path((*path, int(step)))}"
        if step.isdigit()
        else did_you_mean(step, known),
    )


# -- checks that need the data set or several fields ------------------------------------


def _each(path: KeyPath, codes: CodeList | None, kind: str) -> Iterator[tuple[KeyPath, str, str]]:
    if codes is not None and codes != "all":
        for i, code in enumerate(codes):
            yield (*path, i), code, kind


def _codes_used(s: Scenario) -> Iterator[tuple[KeyPath, str, str]]:
    """(key path, code, "region" or "sector") for every code the scenario names."""
    yield from _each(("regions",), s.regions, "region")
    yield from _each(("sectors",), s.sectors, "sector")
    for i, t in enumerate(s.tariffs):
        p = ("tariffs", i)
        yield (*p, "imposer"), t.imposer, "region"
        yield from _each((*p, "partners"), t.partners, "region")
        yield from _each((*p, "sectors"), t.sectors, "sector")
        yield from _each((*p, "exempt_partners"), t.exempt_partners, "region")
        yield from _each((*p, "exempt_sectors"), t.exempt_sectors, "sector")
    for i, r in enumerate(s.retaliation):
        p = ("retaliation", i)
        yield (*p, "imposer"), r.imposer, "region"
        yield (*p, "target"), r.target, "region"
        yield from _each((*p, "sectors"), r.sectors, "sector")
        yield from _each((*p, "trigger", "sectors"), r.trigger.sectors, "sector")
    if (ai := s.shocks.ai_capex) is not None:
        p = ("shocks", "ai_capex")
        yield (*p, "region"), ai.region, "region"
        yield (*p, "sector"), ai.sector, "sector"
        for code in ai.origin_shares or {}:
            yield (*p, "origin_shares", code), code, "region"
    if (g := s.shocks.gold) is not None:
        yield ("shocks", "gold", "sector"), g.sector, "sector"
        for code in g.origin_shares:
            yield ("shocks", "gold", "origin_shares", code), code, "region"
    for i, d in enumerate(s.shocks.demand):
        yield ("shocks", "demand", i, "region"), d.region, "region"
        yield from _each(("shocks", "demand", i, "sectors"), d.sectors, "sector")
    for name in ("capital_inflows", "exchange_rates"):
        for i, shock in enumerate(getattr(s.shocks, name)):
            yield ("shocks", name, i, "region"), shock.region, "region"
    for code in s.parameters.elasticities:
        yield ("parameters", "elasticities", code), code, "sector"


def _names_a_modelled_code(path: KeyPath) -> bool:
    """Codes the model must find as a region, group or sector (not lists and shares)."""
    return path[0] not in ("regions", "sectors") and "origin_shares" not in path


def _code_issues(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """Unknown data set, region or sector codes."""
    available = dataset.available_datasets()
    if s.data not in available:
        yield Issue.at(
            locate(("data",)),
            ("data",),
            f"unknown data set {s.data!r}",
            "one of " + (", ".join(available) or "(none installed)"),
            did_you_mean(s.data, available),
        )
        return
    data = dataset.load_dataset(s.data)
    valid = {"region": data.codes, "sector": list(data.sectors)}
    if rest := list(_group_rest_issues(s, data, locate)):
        yield from rest  # the codes that follow cannot be checked against such a list
        return
    kept = data.aggregate(s.regions, s.sectors)
    modelled = {"region": kept.codes, "sector": list(kept.sectors)}
    first: dict[tuple[KeyPath, str], KeyPath] = {}  # (list, code) -> where it is first listed
    for path, code, kind in _codes_used(s):
        if isinstance(path[-1], int) and (path[:-1], code) in first:
            yield Issue.at(
                locate(path),
                path,
                f"{kind} {code!r} is listed twice",
                hint=f"remove one: it is also {format_path(first[path[:-1], code])}",
            )
            continue
        if isinstance(path[-1], int):
            first[path[:-1], code] = path
        if code not in valid[kind]:
            yield Issue.at(
                locate(path),
                path,
                f"unknown {kind} {code!r}",
                f"a {kind} of data set {s.data}: " + ", ".join(valid[kind]),
                code_hint(code, kind, valid[kind]) or did_you_mean(code, valid[kind]),
            )
        elif path == ("shocks", "ai_capex", "region") and code in data.groups:
            yield Issue.at(
                locate(path),
                path,
                f"{code} is a group of regions; AI capex needs one region",
                "one of " + ", ".join(data.groups[code]),
            )
        elif _names_a_modelled_code(path) and code not in modelled[kind]:
            yield Issue.at(
                locate(path),
                path,
                f"{kind} {code!r} is not modelled separately: the scenario's '{kind}s' list "
                "merges it into another",
                f"add {code} to '{kind}s'",
            )


def _group_rest_issues(s: Scenario, data: dataset.BaseData, locate: Locate) -> Iterator[Issue]:
    """A group listed in ``regions`` with its rest (EU_OTHER) as its only member: the rest
    would hold the whole group, and the group would vanish."""
    for group, members in data.groups.items():
        if s.regions and group in s.regions and set(s.regions) & set(members) == {members[-1]}:
            path = ("regions", s.regions.index(members[-1]))
            yield Issue.at(
                locate(path),
                path,
                f"{members[-1]} is the rest of group {group} (what its members listed apart "
                f"leave); listed with {group} and none of its other members, it would hold the "
                "whole group",
                hint=f"list {group} alone for the whole group, or {group} with "
                f"{' or '.join(members[:-1])} to show them apart",
            )


def _months_used(s: Scenario) -> Iterator[tuple[KeyPath, str]]:
    """(key path, month) for every shock window's start and end.

    Points of a path (AI capex, exchange rates) may lie outside the horizon: a path describes
    a trajectory, and the model reads it where the horizon needs it.
    """
    for name in ("demand", "capital_inflows"):
        for i, shock in enumerate(getattr(s.shocks, name)):
            yield ("shocks", name, i, "start"), shock.start
            if shock.end is not None:
                yield ("shocks", name, i, "end"), shock.end


def _date_issues(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """Dates and months outside the scenario's horizon; shock windows that end before start."""
    first = dt.date.fromisoformat(s.start + "-01")
    year, month = map(int, s.end.split("-"))
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    horizon = f"the scenario runs from {s.start} to {s.end}"
    hint = "move the date, or widen the scenario's 'start' and 'end'"
    dates = [(("tariffs", i, "effective"), t.effective) for i, t in enumerate(s.tariffs)]
    dates += [(("retaliation", i, "truce"), r.truce) for i, r in enumerate(s.retaliation)]
    for path, date in dates:
        if date is not None and not first <= date <= last:
            message = f"{date} is outside the horizon: {horizon}"
            yield Issue.at(locate(path), path, message, f"a date from {first} to {last}", hint)
    for path, month in _months_used(s):
        if not month_index(s.start) <= month_index(month) <= month_index(s.end):
            message = f"{month} is outside the horizon: {horizon}"
            yield Issue.at(locate(path), path, message, f"a month from {s.start} to {s.end}", hint)
    for name in ("demand", "capital_inflows"):
        for i, shock in enumerate(getattr(s.shocks, name)):
            if shock.end is not None and month_index(shock.end) < month_index(shock.start):
                path = ("shocks", name, i, "end")
                message = f"'end' ({shock.end}) is before 'start' ({shock.start})"
                yield Issue.at(locate(path), path, message)


def _self_target_issues(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """Tariffs a region levies on itself; retaliation against oneself."""
    for i, t in enumerate(s.tariffs):
        if t.partners != "all" and t.imposer in t.partners:
            path = ("tariffs", i, "partners", t.partners.index(t.imposer))
            message = f"{t.imposer} levies this tariff, so it cannot also be one of its partners"
            yield Issue.at(locate(path), path, message, hint=f"remove {t.imposer}")
    for i, r in enumerate(s.retaliation):
        if r.imposer == r.target:
            path = ("retaliation", i, "target")
            yield Issue.at(locate(path), path, "a region cannot retaliate against itself")


def _gold_issues(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """A gold arbitrage cost at or above its full spread, one of them the data set's value.

    (Both set in the scenario are compared by the schema.)"""
    g = s.parameters.gold
    cost, full = g.cost_usd_per_oz, g.full_spread_usd_per_oz
    if (cost is None) == (full is None) or s.data not in dataset.available_datasets():
        return
    given, default = ("cost_usd_per_oz", "full_spread_usd_per_oz")[:: 1 if full is None else -1]
    row = DATA_DEFAULTS[f"gold.{default}"]
    values = dataset.load_dataset(s.data).parameters
    if row not in values:
        return
    cost, full = (cost, values[row]) if full is None else (values[row], full)
    if cost >= full:
        path = ("parameters", "gold", given)
        message = (
            f"'full_spread_usd_per_oz' ({full:g}) must be above 'cost_usd_per_oz' ({cost:g}); "
            f"{default} is data set {s.data}'s value"
        )
        yield Issue.at(locate(path), path, message, hint=f"set parameters.gold.{default} too")


def _export_scale_issues(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """Scale in exporting switched on without its elasticity (no data set has a sourced value
    yet: docs/mechanisms.md section 16)."""
    if s.mechanisms.export_scale and s.parameters.export_scale_elasticity is None:
        path = ("mechanisms", "export_scale")
        yield Issue.at(
            locate(path),
            path,
            "scale in exporting needs parameters.export_scale_elasticity: the bundled data "
            "have no sourced value for it",
            hint="set parameters.export_scale_elasticity (from -0.3 to 1; docs/mechanisms.md "
            "section 16 shows what -0.1 to -0.3 do), or leave mechanisms.export_scale off",
        )


def _ai_capex_issues(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """AI capex further below its 2024 average than the base year's purchases it comes out of.

    A negative value is less AI hardware bought than in 2024: the model takes it out of the
    region's base-year purchases of the sector, from each origin by its share (the import
    content) and from home producers (the rest). Taking more than a supplier sold would make
    purchases negative, and the model breaks down (outputs of NaN).
    """
    ai = s.shocks.ai_capex
    if ai is None or min(ai.path.values()) >= 0 or s.data not in dataset.available_datasets():
        return
    from simulator.policy.shocks import ai_origin_shares  # the model's origin mix

    data = dataset.load_dataset(s.data).aggregate(s.regions, s.sectors)
    if ai.region not in data.regions or ai.sector not in data.sectors:
        return  # an unknown or merged code, reported as such
    r, k = data.region_index(ai.region), data.sector_index(ai.sector)
    monthly = data.flows[:, r, k] / 12.0
    shares = ai_origin_shares(ai, data)
    # customs value taken from each supplier per $bn of capex (imports pay the base rate)
    taken = ai.import_content * shares / (1.0 + data.base_tariff[:, r, k])
    taken[r] = 1.0 - ai.import_content
    limits = np.where(taken > 0, monthly / np.where(taken > 0, taken, 1.0), np.inf)
    o = int(np.argmin(limits))
    month = min(ai.path, key=ai.path.__getitem__)
    value = ai.path[month]
    if -value > limits[o]:
        path = ("shocks", "ai_capex", "path", month)
        supplier = "its own producers" if o == r else data.regions[o]
        message = (
            f"AI capex {-value:g} $bn a month below its 2024 average would cut {ai.region}'s "
            f"purchases of {ai.sector} from {supplier} by {-value * taken[o]:.3g} $bn a month, "
            f"more than they were in the base year ({monthly[o]:.3g} $bn a month)"
        )
        expected = f"at least {-limits[o]:.3g}, given this import content and these origin shares"
        hint = "a negative value is less AI capex than in 2024, so at most what 2024 held"
        yield Issue.at(locate(path), path, message, expected, hint)


def _rate_warnings(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """Rates between 0 and 1 percent: probably a share (0.25) meant as a percent (25)."""
    rates = [(("tariffs", i, "rate"), t.rate) for i, t in enumerate(s.tariffs)]
    rates += [(("retaliation", i, "rate"), r.rate) for i, r in enumerate(s.retaliation)]
    for path, rate in rates:
        if rate is not None and 0 < rate < 1:
            yield Issue.at(
                locate(path),
                path,
                f"a rate of {rate:g} % is tiny: rates are in percent",
                hint=f"did you mean {rate * 100:g} (percent)?",
            )


MANY_FIRMS = 5_000_000
"""Above this many firms, a run gets a warning of the memory it needs."""
BYTES_PER_FIRM = 80
"""Memory a firm agent takes in a run (benchmarks/engine.py: 333 MB at 1M firms, 657 MB at
5M), for the warning about very large firm counts."""


def _size_warnings(s: Scenario, locate: Locate) -> Iterator[Issue]:
    """A firm count large enough to need gigabytes of memory."""
    if s.firms.count > MANY_FIRMS:
        gigabytes = 0.3 + s.firms.count * BYTES_PER_FIRM / 1e9
        yield Issue.at(
            locate(("firms", "count")),
            ("firms", "count"),
            f"{s.firms.count:,} firms need about {gigabytes:.1f} GB of memory per run",
            hint="a continuum of firms (count: 0) is the limit of many firms, without sampling "
            "noise and without the memory",
        )


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sha256(raw: dict[str, Any]) -> str:
    """Hash of the canonical JSON of a scenario mapping (sorted keys, no spaces)."""
    text = json.dumps(
        _canonical(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()
