"""Safe YAML loading that rejects duplicate keys and remembers where every key was written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.scenario.errors import Issue, KeyPath, ScenarioError, format_path

Position = tuple[int, int]

MAX_NODES = 20_000
"""Most values in one YAML file (the largest bundled scenario has about 500)."""
MAX_FILE_BYTES = 1_000_000
"""Largest YAML file read, in bytes (the largest bundled scenario has about 15,000)."""

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present
_MERGE_TAG = "tag:yaml.org,2002:merge"


class PositionLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader (plain data only) that records the 1-based (line, column) of every key.

    ``positions`` maps a key path such as ``("tariffs", 0, "rate")`` to where its key (or, for
    a list item, the item) starts. A key given twice in one mapping is an error.
    """

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.text = stream
        self.filename = filename
        self.positions: dict[KeyPath, Position] = {}

    def load(self) -> Any:
        """Parse the single document and return its data (None for an empty file)."""
        self._check_size()
        node = self.get_single_node()
        if node is None:
            return None
        self._record(node, (), node.start_mark, set())
        return self.construct_document(node)

    def _check_size(self) -> None:
        """Count parser events first (cheap), so a huge file fails before it is composed."""
        events = _BaseLoader(self.text)
        try:
            for _ in range(2 * MAX_NODES + 10):  # a key and its value are two events
                if not events.check_event():
                    return
                event = events.get_event()
            raise self._error(event.start_mark, (), f"more than {MAX_NODES} values")
        finally:
            events.dispose()

    def _record(self, node: yaml.Node, path: KeyPath, mark: yaml.Mark, active: set[int]) -> None:
        """Record the position of ``path`` and of everything below it."""
        if len(self.positions) >= MAX_NODES:
            raise self._error(node.start_mark, path, f"more than {MAX_NODES} values")
        if id(node) in active:
            raise self._error(node.start_mark, path, "an alias refers to a block containing it")
        self.positions[path] = _position(mark)
        if isinstance(node, yaml.SequenceNode):
            children = [(i, item.start_mark, item) for i, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            children = self._mapping_children(node, path)
        else:
            return
        active.add(id(node))
        for key, child_mark, child in children:
            self._record(child, (*path, key), child_mark, active)
        active.discard(id(node))

    def _mapping_children(
        self, node: yaml.MappingNode, path: KeyPath
    ) -> list[tuple[Any, yaml.Mark, yaml.Node]]:
        """The mapping's (key, key position, value node), after checking for duplicate keys."""
        first_seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node.start_mark, path, "a key must be a plain name")
            key = self.construct_object(key_node)
            if key in first_seen:
                first = first_seen[key].line + 1
                message = f"duplicate key {key!r}: also given at line {first}"
                raise self._error(key_node.start_mark, (*path, key), message)
            first_seen[key] = key_node.start_mark
        self.flatten_mapping(node)  # YAML merge keys (<<: *anchor) first, explicit keys win
        children = {self.construct_object(k): (k.start_mark, v) for k, v in node.value}
        return [(key, mark, value) for key, (mark, value) in children.items()]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date; an impossible one (2025-02-30) stays text, for the schema to report."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

    def _error(self, mark: yaml.Mark, path: KeyPath, message: str) -> ScenarioError:
        line, column = _position(mark)
        return ScenarioError([Issue(self.filename, line, column, format_path(path), message)])


PositionLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", PositionLoader.construct_yaml_timestamp
)


def _position(mark: yaml.Mark) -> Position:
    return mark.line + 1, mark.column + 1


def read_yaml_text(path: Path, name: str) -> str:
    """The text of a YAML file, refused before reading if it is not a bounded, regular file.

    Raises :class:`ScenarioError` (naming ``name``, never quoting the content) for a missing,
    unreadable, special, oversized or non-UTF-8 file.
    """

    def refuse(message: str, hint: str | None = None) -> ScenarioError:
        return ScenarioError([Issue(name, None, None, "", message, hint=hint)])

    try:
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not a regular file"
            raise refuse(f"cannot read the file: {what if path.exists() else 'no such file'}")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise refuse(
                f"the file is {size:,} bytes; tradesim reads YAML files of at most "
                f"{MAX_FILE_BYTES:,} bytes",
                "a scenario says only what differs from the scenario it extends",
            )
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"the file is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("cannot read the file: not UTF-8 text") from None


def load_yaml(text: str, filename: str) -> tuple[Any, dict[KeyPath, Position]]:
    """Parse YAML text; return the data and the position of every key path.

    Syntax errors, duplicate keys and unsafe tags raise :class:`ScenarioError` with
    ``filename:line:column`` and the parser's explanation.
    """
    try:
        loader = PositionLoader(text, filename)
        try:
            return loader.load(), loader.positions
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:  # "expected ..., but found ..." or "... (while ...)"
            but = exc.problem.startswith("but")
            problem = f"{exc.context}, {problem}" if but else f"{problem} ({exc.context})"
        if "nesting depth" in problem:  # libyaml's word for it
            problem = "nested too deeply"
        line, column = _position(mark) if mark else (None, None)
        raise ScenarioError(
            [Issue(filename, line, column, "", f"invalid YAML: {problem}")]
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        message = f"invalid YAML: character #x{exc.character:04x}: {exc.reason}"
        raise ScenarioError([Issue(filename, line, column, "", message)]) from None
    except RecursionError:
        message = "invalid YAML: nested too deeply"
        raise ScenarioError([Issue(filename, None, None, "", message)]) from None
