"""YAML reading that keeps line numbers and reads values the way a person means them.

PyYAML follows YAML 1.1, where `no`, `on` and `off` are booleans and `0123` is an octal
number: a district called `No` or an INSEE code `01053` would silently change. The
resolver here keeps YAML 1.2's narrower rules (true/false, decimal numbers without
leading zeros, ISO dates) and leaves everything else as text. The composed node tree is
kept so every problem can point at a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

PathItem = str | int


class SiteYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like implicit types and tolerant dates."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's class registry)

    def construct_yaml_timestamp(self, node: Node) -> Any:  # type: ignore[override]
        # `2029-02-30` looks like a date but is not one: keep it as text so validation
        # reports it at its line instead of the YAML reader crashing without one.
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[arg-type]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[arg-type]


SiteYamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", SiteYamlLoader.construct_yaml_timestamp
)
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$",
        list("-+0123456789."),
    ),
    (
        "tag:yaml.org,2002:timestamp",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$",
        list("0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^<<$", ["<"]),
):
    SiteYamlLoader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


Duplicate = tuple[list[PathItem], str, int, int]


def compose_and_construct(text: str) -> tuple[Node | None, Any, list[Duplicate]]:
    """The node tree, the Python value and the repeated keys of a one-document YAML text.

    Raises `yaml.MarkedYAMLError` (with a line and column) on a syntax error.
    """
    loader = SiteYamlLoader(text)
    try:
        node = loader.get_single_node()
        # Before construction: merging `<<` keys rewrites mappings in place, and an
        # override of a merged key is not a repetition.
        duplicates = list(duplicate_keys(node))
        data = loader.construct_document(node) if node is not None else None
        return node, data, duplicates
    finally:
        loader.dispose()


def line_of(node: Node) -> int:
    """1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _mapping_entry(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    # The last occurrence wins, like the constructed value.
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found = (key_node, value_node)
    return found


def locate(root: Node | None, path: Sequence[PathItem], *, key: bool = False) -> int | None:
    """Line of the value at `path` (of its key if `key`), else of its deepest ancestor.

    A missing field thus points at the mapping that lacks it, an extra field at itself.
    """
    if root is None:
        return None
    node: Node = root
    line = line_of(root)
    for i, item in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, MappingNode) and isinstance(item, str):
            entry = _mapping_entry(node, item)
            if entry is None:
                return line
            node = entry[0] if (key and last) else entry[1]
        elif (
            isinstance(node, SequenceNode) and isinstance(item, int) and 0 <= item < len(node.value)
        ):
            node = node.value[item]
        else:
            return line
        line = line_of(node)
    return line


def duplicate_keys(root: Node | None) -> Iterator[Duplicate]:
    """(path of the mapping, key, first line, repeated line) for each repeated key."""
    if root is None:
        return
    stack: list[tuple[Node, list[PathItem]]] = [(root, [])]
    visited: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in visited:  # an alias points at a node already walked
            continue
        visited.add(id(node))
        if isinstance(node, MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, ScalarNode) else None
                if name is not None:
                    if name in seen and name != "<<":
                        yield path, name, seen[name], line_of(key_node)
                    else:
                        seen[name] = line_of(key_node)
                stack.append((value_node, [*path, name if name is not None else "?"]))
        elif isinstance(node, SequenceNode):
            stack.extend((child, [*path, i]) for i, child in enumerate(node.value))
