"""The one YAML loader: PyYAML's SafeLoader with aliases and nesting bounded while the document is composed.

SafeLoader shares an aliased node rather than copying it, so nine lines of anchors (a "billion laughs") load in
milliseconds; the cost comes later, in whatever walks the data as a tree: a validator that quoted the value it
got printed 3.8 MB for six levels and took minutes for nine. So the aliases are counted as what they stand for
(the nodes of the anchored part, its own aliases included) and refused past MAX_ALIAS_NODES, and nesting (aliases
included) past MAX_DEPTH; deep nesting alone would otherwise end in a RecursionError inside the composer.

Every YAML the project reads goes through here: studybot.yaml, bank files, study plans, meeting files (read_yaml)
and study items' headers (a subclass of BoundedLoader). Syntax errors stay yaml.YAMLError, as their readers word
them with the line; a bound exceeded or a character YAML forbids is Refused, with the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, SequenceNode

from safeio.limits import DEFAULT_LIMITS, MAX_ALIAS_NODES, MAX_DEPTH, Limits, Refused
from safeio.text import read_text

__all__ = ["BoundedLoader", "load_yaml", "read_yaml"]


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses (Refused, with the line) aliases standing for more than MAX_ALIAS_NODES nodes in
    all, nesting deeper than MAX_DEPTH, an alias inside the part it names, and characters YAML does not allow."""

    def __init__(self, stream: str) -> None:
        self._depth = 0  # of the node being composed
        self._expanded = 0  # nodes the document's aliases stand for so far
        self._open: set[str] = set()  # anchors whose node is still being composed
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth), aliases counted in
        super().__init__(stream)

    def check_printable(self, data: str) -> None:
        # PyYAML's own error says "unacceptable character #x0001 … position 49"; a str is checked whole, at once
        found = self.NON_PRINTABLE.search(data)
        if found:
            raise Refused(f"有不允许的字符（U+{ord(found.group()):04X}）：YAML 文件中不能有控制字符，请删去后再试",
                          data.count("\n", 0, found.start()) + 1)

    def compose_document(self) -> Node | None:
        self._expanded = 0
        self._sizes.clear()  # ids of the last document's nodes may be reused
        return super().compose_document()

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.check_event()  # parses the next event into current_event, without taking it
        event: Event = self.current_event
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor) if event.anchor is not None else None
            if target is not None:
                self._check_alias(str(event.anchor), target, line)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Refused(f"YAML 嵌套超过 {MAX_DEPTH} 层，已拒绝读取", line)
        anchor = getattr(event, "anchor", None)  # scalars and collections have one; the end of a document has not
        if anchor is not None:
            self._open.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)

    def _check_alias(self, anchor: str, target: Node, line: int | None) -> None:
        name = anchor if len(anchor) <= 20 else anchor[:20] + "…"
        if anchor in self._open:
            raise Refused(f"YAML 别名 *{name} 引用了包含它自己的内容，无法展开", line)
        nodes, depth = self._size(target)
        self._expanded += nodes
        if self._expanded > MAX_ALIAS_NODES:
            raise Refused(f"YAML 别名 *{name} 展开后超过 {MAX_ALIAS_NODES} 项（疑似「别名炸弹」），已拒绝读取", line)
        if self._depth + depth > MAX_DEPTH:
            raise Refused(f"YAML 嵌套超过 {MAX_DEPTH} 层（算上别名 *{name} 的内容），已拒绝读取", line)

    def _size(self, node: Node) -> tuple[int, int]:
        """How many nodes `node` stands for and how deep it nests, its aliases expanded; a finished node's parts
        are finished too, so this never meets an open anchor, and nests at most MAX_DEPTH deep."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        nodes, depth = 1, 1
        for child in children:
            child_nodes, child_depth = self._size(child)
            nodes, depth = nodes + child_nodes, max(depth, child_depth + 1)
            if nodes > MAX_ALIAS_NODES:
                break  # enough to refuse: the rest need not be counted
        self._sizes[id(node)] = (nodes, depth)
        return nodes, depth


def load_yaml(text: str, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """The data in `text`; yaml.YAMLError for a syntax error, Refused past a bound."""
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader


def read_yaml(path: Path, limits: Limits = DEFAULT_LIMITS, *, gbk: bool = False,
              loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """The data in the YAML file `path`: safeio.text.read_text (size, encoding; GB18030 too when `gbk`), then
    load_yaml. OSError is the caller's to word."""
    return load_yaml(read_text(path, limits, gbk=gbk), loader)
