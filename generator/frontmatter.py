"""Front matter in the plain shape most files have, read without PyYAML's constructors.

Reading a paper's front matter with PyYAML (libyaml's parser, then PyYAML's Python-level
composer, resolver and constructors) was two thirds of parsing a content file: about 0.9 s
of CPU for 10,000 files. Almost every file is in the shape ``readinglist import`` writes
and people write by hand: top-level ``key: value`` lines, values that are plain or quoted
scalars (possibly folded over indented lines), ``[]``/``{}``, block lists of scalars or of
one-level mappings, and one-level mappings of scalars. ``PlainReader.read`` reads exactly that
subset and returns None for anything else (comments, anchors, tags, block scalars, flow
collections, escapes, blank lines inside a value, tabs, duplicate keys...), which the caller
then gives to PyYAML. Within the subset the result is PyYAML's own, type for type: every
plain scalar is resolved by PyYAML's resolver and, when it is not a string, made by the
loader's constructors (so ``yes`` is True, ``1:30`` is 90 and dates are dates, as YAML 1.1
says). ``tests/test_frontmatter.py`` holds the two to the same results.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_ENTRY = re.compile(r"\n(?=[^ \n-])")  # where a top-level key's line starts
_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +(.*?))? *")
_BLANK = re.compile(r"\n *(?:\n|\Z)")  # a line of nothing but spaces
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_STR = "tag:yaml.org,2002:str"


class _NotPlain(Exception):
    """The text is outside the subset: PyYAML reads it."""


class PlainReader:
    """Reads front matter in the subset (``read``), resolving plain scalars as ``loader``
    (a loader of the class the caller would load with) does."""

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        # the first characters of implicitly typed scalars (None: any may be)
        resolvers = loader.yaml_implicit_resolvers
        self.implicit = None if None in resolvers else frozenset(resolvers)
        self.resolved: dict[str, Any] = {}  # short plain scalars (names, dates...) by text
        self.lines: dict[str, tuple[str, Any]] = {}  # short one-line entries: (key, value)

    def read(self, text: str) -> dict[str, Any] | None:
        """Front-matter text -> the mapping PyYAML would load, or None when the text is
        outside the subset (see the module's docstring)."""
        text = text.rstrip(" \n")
        # (printable as Python has it: within YAML's printable set, and no tab, no
        # Unicode line break, no BOM; a line break is all the rest may have)
        if not text or not text.replace("\n", " ").isprintable() or _BLANK.search(text):
            return None
        data: dict[str, Any] = {}
        lines = self.lines  # ("status: unread", "tags: []"...: many files have the same)
        try:
            for entry in _ENTRY.split(text):
                found = lines.get(entry)
                if found is None:
                    found = self._entry(entry)
                    if len(entry) <= 64 and "\n" not in entry:
                        lines[entry] = found
                key, value = found
                if key in data:
                    return None
                data[key] = value if value != [] and value != {} else type(value)()
        except _NotPlain:
            return None
        return data

    def _entry(self, entry: str) -> tuple[str, Any]:
        """A top-level key's lines -> (key, value)."""
        line, _, rest = entry.partition("\n")
        match = _KEY_LINE.fullmatch(line)
        if match is None:
            raise _NotPlain
        key = self.key(match.group(1))
        first = match.group(2)
        if first:
            if rest[:1] == "-" or "\n-" in rest:
                raise _NotPlain
            return key, self.scalar(first, rest)
        if not rest:
            return key, None
        head = rest.partition("\n")[0]
        item = head.lstrip(" ")
        indent = len(head) - len(item)
        if item.startswith("- "):
            return key, self._sequence(rest, indent)
        if indent == 0:
            raise _NotPlain
        return key, self._mapping(rest, indent)

    def _sequence(self, text: str, dash: int) -> list[Any]:
        """Block-list lines, every dash at column ``dash`` -> the list."""
        if _stray(dash).search("\n" + text):  # a line at the dashes' indent or left of
            raise _NotPlain                      # it that does not start an item
        items = []
        for item in ("\n" + text).split("\n" + " " * dash + "- ")[1:]:
            line = item.partition("\n")[0]
            match = _KEY_LINE.fullmatch(line)
            if match is not None:  # a mapping: its first key on the dash's line
                items.append(self._mapping(" " * (dash + 2) + item, dash + 2))
            elif not line.strip() or line.lstrip().startswith("- "):
                raise _NotPlain
            else:
                first, _, rest = item.partition("\n")
                items.append(self.scalar(first.strip(" "), rest))
        return items

    def _mapping(self, text: str, indent: int) -> dict[str, Any]:
        """Lines of a one-level mapping, its keys at column ``indent``, its values scalars
        -> the mapping."""
        if _shallow(indent).search("\n" + text):
            raise _NotPlain
        data: dict[str, Any] = {}
        for entry in re.split("\n(?=" + " " * indent + "[^ ])", text):
            line, _, rest = entry.partition("\n")
            match = _KEY_LINE.fullmatch(line[indent:])
            if match is None or not match.group(2) or line[indent] == " ":
                raise _NotPlain
            key = self.key(match.group(1))
            if key in data:
                raise _NotPlain
            data[key] = self.scalar(match.group(2), rest)
        return data

    def scalar(self, first: str, rest: str) -> Any:
        """A scalar that starts as ``first`` (after its key or dash, no spaces around)
        and goes on over the lines ``rest`` (more indented; maybe none) -> its value."""
        if rest:
            if rest[0] != " ":
                raise _NotPlain
            folded = " ".join([first, *[line.strip(" ") for line in rest.split("\n")]])
        else:
            folded = first
        if first == "[]" or first == "{}":
            if rest:
                raise _NotPlain
            return [] if first == "[]" else {}
        if first[0] == "'" or first[0] == '"':
            return _quoted(folded)
        # (a plain scalar may not start with an indicator, nor hold ": " or " #"; a line
        # it goes on to may start with any other character: YAML reads it as text)
        if first[0] in _INDICATORS or folded[-1] == ":" or ": " in folded or " #" in folded:
            raise _NotPlain
        return self.plain(folded)

    def plain(self, text: str) -> Any:
        """A plain scalar (already folded) -> its value, as PyYAML resolves it."""
        if self.implicit is not None and text[0] not in self.implicit:  # a string
            return text
        found = self.resolved.get(text, self)
        if found is not self:
            return found
        tag = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        if tag == _STR:
            value: Any = text
        else:
            try:
                value = self.loader.construct_object(yaml.ScalarNode(tag, text), deep=True)
            except Exception:  # noqa: BLE001 - PyYAML's own reading says what is wrong
                raise _NotPlain from None
            finally:
                self.loader.constructed_objects.clear()
        if len(text) <= 32:
            self.resolved[text] = value
        return value

    def key(self, text: str) -> str:
        if self.plain(text) != text:  # yes, no, on, off, null, true...: not string keys
            raise _NotPlain
        return text


_PATTERNS: dict[tuple[str, int], re.Pattern[str]] = {}


def _shallow(indent: int) -> re.Pattern[str]:
    """A line indented less than ``indent``, after a line break."""
    found = _PATTERNS.get(("shallow", indent))
    if found is None:
        found = _PATTERNS["shallow", indent] = re.compile(rf"\n(?! {{{indent}}})")
    return found


def _stray(dash: int) -> re.Pattern[str]:
    """A line, after a line break, that neither starts a list item (a dash at column
    ``dash``) nor is indented more than the dash."""
    found = _PATTERNS.get(("stray", dash))
    if found is None:
        found = _PATTERNS["stray", dash] = re.compile(
            rf"\n(?! {{{dash}}}- | {{{dash + 1}}})")
    return found


def _quoted(text: str) -> str:
    """A single- or double-quoted scalar, its line breaks folded to spaces -> its text;
    no escapes in double quotes."""
    quote, text = text[0], text[1:]
    if quote == '"':
        end = text.find('"')
        if "\\" in text or end < 0 or text[end + 1:].strip(" "):
            raise _NotPlain
        return text[:end]
    parts = text.split("''")
    last = parts[-1]
    end = last.find("'")
    if end < 0 or last[end + 1:].strip(" ") or any("'" in part for part in parts[:-1]):
        raise _NotPlain
    parts[-1] = last[:end]
    return "'".join(parts)
