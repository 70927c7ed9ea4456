"""Reading a YAML config file safely: bounded size, depth and alias expansion, no duplicate keys.

``yaml.safe_load`` alone accepts inputs that hang or crash what comes after it: a
"billion laughs" file (nested aliases: 1 KB on disk, gigabytes once walked), a
50 MB list, 100,000 nested brackets (RecursionError), a key given twice (the last
one silently wins). Every such input here is a :class:`ConfigError` naming the
file and the line, raised before anything walks the document.
"""
from __future__ import annotations

import stat
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from training.errors import ConfigError

MAX_CONFIG_BYTES = 1 << 20  # ST's configs are about 2 KB
MAX_DEPTH = 32  # nesting of sections, lists and mappings, aliases expanded
MAX_EXPANDED_NODES = 100_000  # values once every alias is expanded
_MERGE_TAG = "tag:yaml.org,2002:merge"


def read_config_text(path: Path) -> str:
    """The file's text: a regular file of at most 1 MiB, UTF-8 (a BOM is allowed)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: not a regular file; a config is a YAML text file")
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {info.st_size} bytes; a config holds at most {MAX_CONFIG_BYTES} bytes")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: byte 0x{data[exc.start]:02x} at offset {exc.start} is not "
                          f"UTF-8; save the config as UTF-8 text") from exc


def safe_load_config(text: str, source: str):
    """Parse with the safe loader under the limits above; the document as plain Python data."""
    loader = _GuardedLoader(text, source)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from exc
    finally:
        loader.dispose()


class _GuardedLoader(yaml.SafeLoader):
    def __init__(self, text: str, source: str):
        super().__init__(text)
        self._source, self._depth = source, 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise ConfigError(f"{self._source}: line {line}: nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value if isinstance(node, MappingNode) else ():
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise ConfigError(f"{self._source}: line {key_node.start_mark.line + 1}: key {key_node.value!r} "
                                  f"is given twice (first on line {seen[key]}); keep one")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _check_expansion(root, source: str) -> None:
    """Size and depth of the document with every alias expanded, counted without expanding it."""
    memo: dict[int, tuple[int, int]] = {}
    try:
        size, depth = _measure(root, memo, set(), source)
    except RecursionError:
        size, depth = MAX_EXPANDED_NODES + 1, MAX_DEPTH + 1
    if size > MAX_EXPANDED_NODES:
        raise ConfigError(f"{source}: the aliases (*name) expand to more than {MAX_EXPANDED_NODES} values; "
                          f"a config this large is not supported")
    if depth > MAX_DEPTH:
        raise ConfigError(f"{source}: once aliases (*name) are expanded, values are nested more than "
                          f"{MAX_DEPTH} levels deep")


def _measure(node, memo: dict, active: set, source: str) -> tuple[int, int]:
    """(values, depth) of ``node`` expanded; shared (aliased) nodes are measured once."""
    if id(node) in memo:
        return memo[id(node)]
    if id(node) in active:
        raise ConfigError(f"{source}: line {node.start_mark.line + 1}: an alias refers to the value that contains it")
    if isinstance(node, SequenceNode):
        children = node.value
    elif isinstance(node, MappingNode):
        children = [child for pair in node.value for child in pair]
    else:
        children = []
    active.add(id(node))
    size, depth = 1, 0
    for child in children:
        child_size, child_depth = _measure(child, memo, active, source)
        size, depth = min(size + child_size, MAX_EXPANDED_NODES + 1), max(depth, child_depth)
    active.discard(id(node))
    memo[id(node)] = (size, depth + 1)
    return memo[id(node)]
