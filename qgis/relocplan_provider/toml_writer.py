"""A small TOML writer for scenario files (strings, numbers, booleans, inline tables)."""

import math
import re

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def string(value):
    """A TOML basic string: backslashes, quotes and control characters escaped;
    other characters (Chinese included) written as they are, in UTF-8."""
    out = []
    for ch in str(value):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key(name):
    return name if _BARE_KEY.match(name) else string(name)


def value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"not a finite number: {v}")
        return repr(v) if v != int(v) or abs(v) >= 1e15 else f"{v:.1f}"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }" if v else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return string(v)


class Document:
    """Tables in the order they are added; each a list of (key, value, comment)."""

    def __init__(self, header=""):
        self.header = header
        self.tables = []

    def table(self, name, comment=""):
        entries = []
        self.tables.append((name, comment, entries))
        return _Table(entries)

    def text(self):
        lines = [f"# {line}".rstrip() for line in self.header.splitlines()] if self.header else []
        for name, comment, entries in self.tables:
            if lines:
                lines.append("")
            if comment:
                lines.extend(f"# {c}".rstrip() for c in comment.splitlines())
            lines.append("[" + ".".join(key(p) for p in name.split(".")) + "]")
            for k, v, c in entries:
                lines.append(f"{key(k)} = {value(v)}" + (f"  # {c}" if c else ""))
        return "\n".join(lines) + "\n"


class _Table:
    def __init__(self, entries):
        self.entries = entries

    def set(self, k, v, comment=""):
        self.entries.append((k, v, comment))
        return self
