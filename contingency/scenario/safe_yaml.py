"""Scenario YAML read defensively: plain data only, bounded in depth, every key once.

A scenario needs mappings, lists, strings, numbers, booleans and dates, nested a few levels. So
aliases and anchors are refused (an "alias bomb" of 600 bytes expands to gigabytes), nesting is
capped at :data:`MAX_YAML_DEPTH` (deeper input exhausts the recursion limit), a key given twice
is an error (YAML would keep the last one without a word), and so are explicit tags other than
the plain ones, merge keys, numbers too long for any bound, and impossible dates. Problems are
``(field, message, got, key, values)``: ``got`` a 1-tuple holding the value quoted, or empty;
``key`` and ``values`` the message's catalogue key (``problem.<name>``, the English text read
from ``contingency/i18n/en.json``) and values, so it can be shown in any language.

:func:`read_mapping` reads in this process; :func:`read_mapping_bounded` (for uploads) runs
this file as a child process, ``python -I safe_yaml.py MEMORY_BYTES CPU_S``, file on stdin and
a pickle on stdout, limited in memory (RLIMIT_AS), processor time (RLIMIT_CPU) and wall time.
The module imports only PyYAML and the standard library, so the child starts in a few tens of
milliseconds.
"""

from __future__ import annotations

import collections
import datetime
import functools
import hashlib
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1_000_000
MAX_YAML_DEPTH = 20
"""Deepest nesting of mappings and lists read (a scenario needs five levels)."""
MAX_NUMBER_CHARS = 100
"""Longest number read; any allowed value has fewer than 20 digits, and Python refuses to
convert more than 4,300."""

UPLOAD_TIMEOUT_S = 10.0
"""Wall time allowed to read an upload (a scenario file reads in well under a second)."""
UPLOAD_MEMORY_BYTES = 512 * 2**20
"""Memory allowed to read an upload (the worst 1 MB file needs about 350 MB)."""
EXIT_MEMORY = 3
"""The child's exit code when reading runs out of the memory it is allowed."""

RawProblem = tuple[str, str, tuple[Any, ...], str, dict[str, Any]]

_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_NUMBER_TAGS = {_CORE + "int", _CORE + "float"}


@functools.cache
def _english() -> dict[str, str]:
    path = os.path.join(os.path.dirname(__file__), os.pardir, "i18n", "en.json")
    with open(path, encoding="utf-8") as f:
        texts: dict[str, str] = json.load(f)
    return texts


def _raw(where: str, name: str, got: tuple[Any, ...] = (), **values: Any) -> RawProblem:
    """A problem at ``where`` with the message ``problem.<name>`` of the catalogues."""
    key = f"problem.{name}"
    return (where, _english()[key].format(**values), got, key, values)


class _Refused(yaml.YAMLError):
    """A YAML feature a scenario never needs, found at ``mark``."""

    def __init__(self, name: str, mark: yaml.Mark, **values: Any):
        super().__init__(name)
        self.name, self.values = name, values
        self.mark = mark


class _ScenarioLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and anchors and caps nesting while composing."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("yaml_alias", event.start_mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused("yaml_depth", event.start_mark, depth=MAX_YAML_DEPTH)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _field(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _check_scalar(
    loader: _ScenarioLoader, node: ScalarNode, path: tuple[Any, ...]
) -> list[RawProblem]:
    where = _field(path)
    if node.tag not in _PLAIN_TAGS:
        return [_raw(where, "yaml_tag", tag=_short_tag(node.tag))]
    if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
        digits = sum(c.isdigit() for c in node.value)
        return [_raw(where, "yaml_digits", (node.value,), digits=digits)]
    if node.tag == _CORE + "timestamp":
        try:
            loader.construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            return [_raw(where, "yaml_bad_date", (node.value,), reason=str(exc))]
    return []


def _key_identity(loader: _ScenarioLoader, node: ScalarNode) -> Any:
    """What the key becomes in the mapping (so ``1``, ``1.0`` and ``true`` are one key)."""
    try:
        return loader.construct_object(node)
    except Exception:  # reported by _check_scalar
        return (node.tag, node.value)


def _check(
    loader: _ScenarioLoader, node: Node, path: tuple[Any, ...], out: list[RawProblem]
) -> None:
    """Collect what cannot be read as plain scenario data, with field paths."""
    if isinstance(node, ScalarNode):
        out += _check_scalar(loader, node, path)
        return
    if node.tag not in (_CORE + "map", _CORE + "seq"):
        out.append(_raw(_field(path), "yaml_tag", tag=_short_tag(node.tag)))
        return
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check(loader, item, (*path, i), out)
        return
    assert isinstance(node, MappingNode)
    first_line: dict[Any, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        if not isinstance(key, ScalarNode):
            out.append(_raw(_field(path), "yaml_key_not_plain", line=line))
            continue
        if key.tag == _CORE + "merge":
            out.append(_raw(_field((*path, key.value)), "yaml_merge"))
            continue
        key_path = (*path, key.value)
        bad_key = _check_scalar(loader, key, key_path)
        out += bad_key
        ident = (key.tag, key.value) if bad_key else _key_identity(loader, key)
        if ident in first_line:
            twice = _raw(_field(key_path), "yaml_key_twice", first=first_line[ident], second=line)
            out.append(twice)
        else:
            first_line[ident] = line
        _check(loader, value, key_path, out)


def read_mapping(raw: bytes) -> tuple[dict[str, Any] | None, list[RawProblem]]:
    """Parse scenario YAML from bytes into a mapping, or say what is wrong with it."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [_raw("", "file_too_large", (len(raw),), limit=MAX_FILE_BYTES)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [_raw("", "not_utf8")]
    loader = _ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        data = None
        if node is not None:
            problems: list[RawProblem] = []
            _check(loader, node, (), problems)
            if problems:
                return None, problems
            data = loader.construct_document(node)
    except _Refused as exc:
        where = f"line {exc.mark.line + 1}, column {exc.mark.column + 1}"
        return None, [_raw(where, exc.name, **exc.values)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(top level)"
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [_raw(where, "yaml_malformed", reason=reason)]
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:  # a guard, not expected
        return None, [("(top level)", f"cannot read the YAML: {type(exc).__name__}", (), "", {})]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        return None, [_raw("(top level)", "not_mapping", (type(data).__name__,))]
    return data, []


class _PlainData(pickle.Unpickler):
    """Unpickles what the YAML reader builds: plain containers, numbers, strings, dates."""

    _ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("datetime", n) for n in ("datetime", "date", "timedelta", "timezone")
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


_CACHE: collections.OrderedDict[tuple[str, float, int], bytes] = collections.OrderedDict()
_CACHE_LOCK = threading.Lock()  # the board's sessions run in threads


def _run_child(raw: bytes, timeout_s: float, memory_bytes: int) -> tuple[bytes | None, str]:
    """This file as a child process under limits: its pickled result, or why there is none.
    Results for the last few files are kept: the board reads its upload on every rerun."""
    key = (hashlib.sha256(raw).hexdigest(), timeout_s, memory_bytes)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key], ""
    cpu_s = max(1, int(timeout_s) + 1)
    cmd = [sys.executable, "-I", __file__, str(memory_bytes), str(cpu_s)]
    try:
        res = subprocess.run(cmd, input=raw, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return None, f"reading the file took longer than {timeout_s:g} s"
    if res.returncode == EXIT_MEMORY:
        return None, f"reading the file needs more than {memory_bytes / 2**20:,.0f} MB of memory"
    if res.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return None, f"reading the file took more than {cpu_s} s of processor time"
    if res.returncode != 0:
        return None, f"the YAML reader stopped unexpectedly (exit code {res.returncode})"
    with _CACHE_LOCK:
        _CACHE[key] = res.stdout
        while len(_CACHE) > 8:
            _CACHE.popitem(last=False)
    return res.stdout, ""


def read_mapping_bounded(
    raw: bytes, *, timeout_s: float = UPLOAD_TIMEOUT_S, memory_bytes: int = UPLOAD_MEMORY_BYTES
) -> tuple[dict[str, Any] | None, list[RawProblem]]:
    """:func:`read_mapping` in a child process limited to ``memory_bytes`` of memory (RLIMIT_AS
    above its start-up size) and ``timeout_s`` seconds, for files from outside."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [_raw("", "file_too_large", (len(raw),), limit=MAX_FILE_BYTES)]
    payload, why = _run_child(raw, timeout_s, memory_bytes)
    if payload is None:
        return None, [("(top level)", why, (), "", {})]
    loaded: tuple[dict[str, Any] | None, list[RawProblem]] = _PlainData(io.BytesIO(payload)).load()
    return loaded


def _address_space_bytes() -> int:
    """Virtual memory this process uses now (Linux; 0 where unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child_main(memory_bytes: int, cpu_s: int) -> None:
    import resource

    limit = _address_space_bytes() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    try:
        result = read_mapping(sys.stdin.buffer.read(MAX_FILE_BYTES + 1))
        pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)


if __name__ == "__main__":
    _child_main(int(sys.argv[1]), int(sys.argv[2]))
