"""A standards YAML file (a firm's, a template, or text pasted in the console) read once with
the line of every node, so each problem the validator finds is reported as FILE:LINE: PATH.
Used by the `propdesk` command line (cli.py, beside app.py) and the console's YAML upload.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

@dataclass
class Loaded:
    """A standards file read with the line of every document path (1-based)."""

    name: str  # as shown in messages
    document: Any = None
    lines: dict[str, int] = field(default_factory=dict)
    error: str | None = None  # `FILE:LINE: yaml: problem` when the file could not be read
    error_line: int = 0  # LINE of that error
    problem: str | None = None  # its problem alone

    def line_of(self, path: str) -> int:
        """The line of the deepest node that exists for ``path`` (its nearest ancestor if it is absent)."""
        path = str(path)
        candidates = [path]
        # The API checks the request body {"standards": doc}: its paths may carry that prefix.
        if path == "standards" or path.startswith("standards."):
            candidates.append(path[len("standards"):].lstrip("."))
        for candidate in candidates:
            probe = candidate
            while probe:
                if probe in self.lines:
                    return self.lines[probe]
                probe = _parent(probe)
        return self.lines.get("", 1)


_LAST_SEGMENT = re.compile(r"(?:\.[^.\[\]]*|\[\d+\])$")


def _parent(path: str) -> str:
    match = _LAST_SEGMENT.search(path)
    return path[: match.start()] if match else ""


def _index(node: Any, lines: dict[str, int]) -> None:
    """Map each path under ``node`` to the line of its key (mappings) or item (sequences)."""
    import yaml

    scalar_loader = yaml.SafeLoader("")

    def key_names(key: Any) -> list[str]:
        names = [key.value]
        if key.tag != "tag:yaml.org,2002:str":  # `yes:` is True, `1:` is 1: the validator sees str() of those
            try:
                names.append(str(scalar_loader.construct_object(key)))
            except Exception:  # noqa: BLE001 — a key we cannot read just keeps its text
                pass
        return names

    def walk(node: Any, path: str, on_path: frozenset[int]) -> None:
        if id(node) in on_path:  # a recursive alias
            return
        on_path = on_path | {id(node)}
        if isinstance(node, yaml.MappingNode):
            # Later keys win, as they do when the mapping is constructed (duplicates, merges).
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                for name in key_names(key):
                    child = f"{path}.{name}" if path else name
                    lines[child] = key.start_mark.line + 1
                    walk(value, child, on_path)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}[{i}]"
                lines[child] = item.start_mark.line + 1
                walk(item, child, on_path)

    walk(node, "", frozenset())


def load_standards(path: str) -> Loaded:
    """Read a YAML file once: its document and the line index of its node tree."""
    name = "<stdin>" if path == "-" else path
    loaded = Loaded(name)
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        loaded.error = f"{name}: cannot read ({exc.strerror or exc})"
        return loaded
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        loaded.error = f"{name}:{line}: yaml: not UTF-8 ({exc.reason})"
        return loaded
    return read_standards_text(text, name)


def read_standards_text(text: str, name: str) -> Loaded:
    """YAML text (a file's, or pasted in the console) read once: its document and the line
    index of its node tree, or the line and problem that stopped the reading."""
    import yaml

    loaded = Loaded(name)
    loader = yaml.SafeLoader(text)
    node = None
    try:
        node = loader.get_single_node()
        if node is not None:
            # Constructing first also flattens `<<:` merge keys into the node tree, so merged
            # keys are indexed at the line where their value is written.
            loaded.document = loader.construct_document(node)
            loaded.lines[""] = node.start_mark.line + 1
            _index(node, loaded.lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "cannot be read"
        if exc.context and exc.problem and exc.context_mark and exc.context_mark.line + 1 != line:
            problem += f" ({exc.context} on line {exc.context_mark.line + 1})"
        loaded.error, loaded.error_line, loaded.problem = f"{name}:{line}: yaml: {problem}", line, problem
    except (yaml.YAMLError, ValueError) as exc:  # e.g. a date like 2026-02-30
        line = _failing_scalar_line(node) if isinstance(exc, ValueError) else 1
        problem = _one_line(str(exc))
        loaded.error, loaded.error_line, loaded.problem = f"{name}:{line}: yaml: {problem}", line, problem
    finally:
        loader.dispose()
    return loaded


def _failing_scalar_line(root: Any) -> int:
    """The line of the first scalar that cannot be constructed (a date like 2026-02-30)."""
    import yaml

    scalar_loader = yaml.SafeLoader("")
    pending, seen = [root], set()
    while pending:
        node = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                scalar_loader.construct_object(node)
            except ValueError:
                return node.start_mark.line + 1
            except Exception:  # noqa: BLE001 — tags only a full document gives meaning to (merge keys)
                pass
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            pending.extend(reversed([n for pair in node.value for n in pair]))
    return 1


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def problem_lines(loaded: Loaded, fields: dict[str, Any]) -> list[str]:
    """`FILE:LINE: PATH: reason`, sorted by line (then path)."""
    rows = sorted((loaded.line_of(path), str(path), _one_line(reason)) for path, reason in fields.items())
    return [f"{loaded.name}:{line}: {path}: {reason}" for line, path, reason in rows]


def check(loaded: Loaded) -> tuple[Any, list[str]]:
    """Run the domain validator; returns (Standards or None, problem lines)."""
    from ..domain import standards as rules
    from ..domain.errors import InvalidInput

    if loaded.error:
        return None, [loaded.error]
    try:
        return rules.check_document(loaded.document), []
    except InvalidInput as exc:
        fields = exc.fields or {"standards": exc.message}
        return None, problem_lines(loaded, fields)


