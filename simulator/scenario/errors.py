"""Scenario errors that name the file, line, key path, the allowed values and a likely fix."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, Discriminator, Tag, ValidationError
from pydantic.fields import FieldInfo

from simulator.scenario.schema import MAX_RATE_PCT, RatePct, yaml_number

KeyPath = tuple[Any, ...]


@dataclass(frozen=True)
class Location:
    """Where a value was written: a file (or ``--set ...``), 1-based line and column."""

    file: str | None = None
    line: int | None = None
    column: int | None = None


def locator(
    file: str, positions: Mapping[KeyPath, tuple[int, int]]
) -> Callable[[KeyPath], Location]:
    """Where a key path was written in a parsed YAML file (``positions`` from ``load_yaml``):
    the path itself, or the nearest parent written in the file."""

    def locate(key_path: KeyPath) -> Location:
        while key_path not in positions and key_path:
            key_path = key_path[:-1]
        return Location(file, *positions.get(key_path, (None, None)))

    return locate


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario, with where it is and what would be accepted."""

    file: str | None
    line: int | None
    column: int | None
    path: str
    message: str
    expected: str | None = None
    hint: str | None = None

    @classmethod
    def at(
        cls,
        loc: Location,
        path: KeyPath,
        message: str,
        expected: str | None = None,
        hint: str | None = None,
    ) -> Issue:
        """An issue at a location and a key path such as ``("tariffs", 2, "rate")``."""
        return cls(loc.file, loc.line, loc.column, format_path(path), message, expected, hint)

    def __str__(self) -> str:
        where = ":".join(str(x) for x in (self.file, self.line, self.column) if x is not None)
        text = ": ".join(x for x in (where, self.path, self.message) if x)
        if self.expected:
            text += f" (expected: {self.expected})"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ScenarioError(Exception):
    """A scenario that cannot be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @classmethod
    def simple(cls, message: str, file: str | None = None) -> ScenarioError:
        """An error with a single message and no position."""
        return cls([Issue(file, None, None, "", message)])


def format_path(path: KeyPath) -> str:
    """``("tariffs", 2, "rate")`` → ``tariffs[2].rate``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text.lstrip(".")


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice (ignoring case), or None."""
    by_lower = {c.lower(): c for c in choices}
    text = str(word).lower()
    match = difflib.get_close_matches(text, list(by_lower), n=1, cutoff=0.6)
    if match:
        return f"did you mean {by_lower[match[0]]!r}?"
    starting = [c for lower, c in by_lower.items() if text and lower.startswith(text)]
    return "did you mean " + " or ".join(map(repr, starting)) + "?" if starting else None


def show(value: Any) -> str:
    """A value as a user wrote it in YAML, shortened."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a block of keys"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return yaml_number(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def issues_from_validation(
    error: ValidationError,
    model: type[BaseModel],
    data: Any,
    locate: Callable[[KeyPath], Location],
    own_file: str | None = None,
) -> list[Issue]:
    """Translate a pydantic error about ``data`` into issues at the recorded positions.

    ``own_file`` is the file being loaded (as its locations name it), preferred over the
    files it extends when a check across fields could be shown at either key."""

    def latest(paths: list[KeyPath]) -> KeyPath:
        """Of the keys a check across fields names, the one written last: on the command
        line, else in the file given (not in a file it extends), else the first named."""
        files = [locate(p).file or "" for p in paths]
        for wanted in ("--set", own_file):
            for path, file in zip(paths, files, strict=True):
                if wanted and file.startswith(wanted):
                    return path
        return paths[0]

    grouped: dict[KeyPath, list[dict[str, Any]]] = {}
    for err in error.errors(include_url=False):
        grouped.setdefault(latest(_data_paths(err, data)), []).append(err)
    issues = []
    for path, errs in grouped.items():
        if len(errs) == 1:
            message, expected, hint = _describe(errs[0], model, path, data)
        else:  # one error per member of a union such as "'all' or a list of codes"
            message = f"invalid value {show(errs[0]['input'])}"
            expected = " or ".join(e["msg"].removeprefix("Input should be ") for e in errs)
            hint = _null_hint(path) if errs[0]["input"] is None else None
        issues.append(Issue.at(locate(path), path, message, expected, hint))
    return issues


def _data_paths(err: dict[str, Any], data: Any) -> list[KeyPath]:
    """The error's path in the user's data (pydantic's union and dict-key tags dropped); for
    a check across fields, one path per key its message quotes, in order."""
    path: list[Any] = []
    node = data
    for step in err["loc"]:
        if (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        ):
            node = node[step]
        elif isinstance(step, str) and ("[" in step or "]" in step):
            continue  # a tag such as "literal['all']", "list[str]" or "[key]"
        else:
            node = None
        path.append(step)
    # A check across fields names first the key it is about ("'end' must be after 'start'").
    message = _message(err)
    across = err["type"] == "value_error" and isinstance(node, dict) and re.match(r"'\w+'", message)
    if across and (quoted := [k for k in re.findall(r"'(\w+)'", message) if k in node]):
        return [(*path, key) for key in quoted]
    return [tuple(path)]


def _message(err: dict[str, Any]) -> str:
    cause = err.get("ctx", {}).get("error")
    return str(cause) if cause is not None else err["msg"]


def _describe(
    err: dict[str, Any], model: type[BaseModel], path: KeyPath, data: Any = None
) -> tuple[str, str | None, str | None]:
    """Message, expected values and hint for one pydantic error about ``data`` at ``path``."""
    kind, value = err["type"], err["input"]
    parent = _model_at(model, path[:-1], data)
    if kind == "extra_forbidden":
        allowed = list(parent.model_fields) if parent else []
        hint = _elsewhere_hint(model, path[-1]) or did_you_mean(path[-1], allowed)
        return f"unknown key {path[-1]!r}", "one of " + ", ".join(allowed), hint
    if kind == "missing":
        field = parent.model_fields.get(path[-1]) if parent else None
        return "this key is required but missing", field.description if field else None, None
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", err["ctx"]["expected"])
        return (
            f"{show(value)} is not allowed",
            "one of " + ", ".join(allowed),
            did_you_mean(value, allowed),
        )
    if kind == "value_error":
        field = parent.model_fields.get(path[-1]) if parent and path else None
        message, expected = _message(err), None
        if field and _is_rate(field) and not message.startswith("expected a rate"):
            expected = f"a number in percent between 0 and {MAX_RATE_PCT:g}"
        hint = _FINITE_HINT if message.startswith("expected a finite number") else None
        return message, expected, hint
    if kind == "finite_number":
        bounds = _bounds_text(_annotation_at(model, path, data))
        expected = f"a number {bounds}" if bounds else None
        return f"expected a finite number, got {_show_number(value)}", expected, _FINITE_HINT
    if kind in _BOUND_ERRORS:  # the whole range, not only the side that was crossed
        bounds = _bounds_text(_annotation_at(model, path, data))
        expected = f"a number {bounds}" if bounds else err["msg"].removeprefix("Input should be ")
        hint = None
        share = (bounds or "").startswith("from 0 to 1")
        # a whole number from 2 to 100 for a share is a percent (pass_through: 95)
        if share and isinstance(value, int | float) and 2 <= value <= 100 and value % 1 == 0:
            hint = f"a share is from 0 to 1, not a percent: did you mean {value / 100:g}?"
        return f"invalid value {_show_number(value)}", expected, hint
    if kind == "invalid_key":
        return f"the key {show(value)} is not text", None, "put the key in quotes"
    if kind == "string_type" and isinstance(value, int | float | dt.date):
        return f"invalid value {show(value)}", "text", f"put it in quotes: '{show(value)}'"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        expected = "a block of keys (key: value lines, indented under this key)"
    elif kind == "too_short" and not value:
        expected = f"at least {err['ctx']['min_length']} entry"
        return "cannot be empty", expected, "give at least one entry, or leave the key out"
    elif kind in {"too_short", "too_long"} and isinstance(value, list):
        field = parent.model_fields.get(path[-1]) if parent and path else None
        ctx = err["ctx"]
        count = (
            f"at least {ctx['min_length']}"
            if kind == "too_short"
            else f"at most {ctx['max_length']}"
        )
        expected = (f"{field.description}: " if field and field.description else "") + count
        return f"invalid value a list of {len(value)}", expected + " entries", None
    else:
        expected = err["msg"].removeprefix("Input should be ")
    hint = _null_hint(path) if value is None else None
    return f"invalid value {show(value)}", expected, hint


_FINITE_HINT = "YAML reads .nan as not-a-number and .inf as infinity (so is 1e400): give a number"
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_SIGNS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def _show_number(value: Any) -> str:
    """A value given for a number: text YAML left unread (``1e308``) is shown unquoted."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return show(value)
        return value.strip()
    return show(value)


def _annotation_at(model: type[BaseModel], path: KeyPath, data: Any = None) -> Any:
    """The annotation (with its constraints) of the value at a key path in ``data``, or None.

    List indices and dict keys step into items; a union told apart by a discriminator (a
    sweep's ``vary`` entry) is resolved by the value written in ``data``."""
    tp: Any = model
    node = data
    for step in path:
        tp = _unwrap(tp, node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(step) if isinstance(step, str) else None
            if field is None:
                return None
            tp = field.rebuild_annotation()
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        else:
            return None
        node = _child(node, step)
    return _resolve_discriminated(tp, node)


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _resolve_discriminated(tp: Any, node: Any) -> Any:
    """The member of a discriminated union (``Annotated[A | B, Discriminator(f)]``) that
    ``f(node)`` tags; any other annotation as it is."""
    if get_origin(tp) is not Annotated or node is None:
        return tp
    found = [m for m in tp.__metadata__ if isinstance(m, Discriminator)]
    if not found or not callable(found[0].discriminator):
        return tp
    tag = found[0].discriminator(node)
    for member in get_args(get_args(tp)[0]):
        tags = [m.tag for m in getattr(member, "__metadata__", ()) if isinstance(m, Tag)]
        if tag in tags:
            return member
    return tp


def _constraints(tp: Any) -> dict[str, Any]:
    """The numeric bounds (``ge``, ``gt``, ``le``, ``lt``) an annotation carries."""
    found: dict[str, Any] = {}
    origin = get_origin(tp)
    if origin is Annotated:
        found |= _constraints(get_args(tp)[0])
        items = list(tp.__metadata__)
        while items:
            item = items.pop()
            if isinstance(item, FieldInfo):
                items += item.metadata
            for attr in _SIGNS:
                if getattr(item, attr, None) is not None:
                    found[attr] = getattr(item, attr)
    elif origin in (typing.Union, types.UnionType):
        for member in get_args(tp):
            found |= _constraints(member)
    return found


def _bounds_text(tp: Any) -> str:
    """An annotation's bounds in words: ``from 0 to 1``, ``> 0``, ``> 0 and ≤ 100``."""
    found = {k: _number_text(v) for k, v in _constraints(tp).items()}
    if "ge" in found and "le" in found:
        return f"from {found['ge']} to {found['le']}"
    return " and ".join(f"{_SIGNS[k]} {found[k]}" for k in _SIGNS if k in found)


def _number_text(value: float) -> str:
    """``10000`` → ``10,000``; ``0.25`` → ``0.25``."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _is_rate(field: FieldInfo) -> bool:
    """Whether a field holds a rate in percent (``RatePct``, perhaps ``| None``)."""
    return field.rebuild_annotation() == RatePct or RatePct in get_args(field.annotation)


def _null_hint(path: KeyPath) -> str:
    key = path[-1] if path else "the key"
    return f"{key!r} is present but empty; give it a value, or remove it to use the default"


def _unwrap(tp: Any, node: Any = None) -> Any:
    """``X | None`` → ``X``; ``Annotated[X, ...]`` → ``X``; a discriminated union → the
    member ``node`` (the value written, if given) belongs to."""
    while True:
        tp = _resolve_discriminated(tp, node)
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _model_at(model: type[BaseModel], path: KeyPath, data: Any = None) -> type[BaseModel] | None:
    """The schema block at a key path (list indices and dict keys step into items)."""
    tp = _unwrap(_annotation_at(model, path, data), _child_at(data, path))
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _child_at(data: Any, path: KeyPath) -> Any:
    for step in path:
        data = _child(data, step)
    return data


def schema_blocks(
    model: type[BaseModel], prefix: str = ""
) -> Iterator[tuple[str, type[BaseModel]]]:
    """(key path such as ``retaliation[].trigger``, block) for a model and every nested block."""
    yield prefix, model
    for name, field in model.model_fields.items():
        tp, key = _unwrap(field.annotation), f"{prefix}.{name}".lstrip(".")
        if get_origin(tp) is list:
            tp, key = _unwrap(get_args(tp)[0]), key + "[]"
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            yield from schema_blocks(tp, key)


def _elsewhere_hint(model: type[BaseModel], key: Any) -> str | None:
    """A hint for a key that is valid, but in another block."""
    blocks = [path or "the top level" for path, b in schema_blocks(model) if key in b.model_fields]
    return f"{key!r} belongs under {' or '.join(blocks)}" if blocks else None
