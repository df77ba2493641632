"""Errors are values: every stage returns diagnostics instead of raising on bad input."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in one file, printed gcc-style as ``path:line: severity: message``."""

    path: str
    line: int | None
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"

    def shown(self) -> Diagnostic:
        """This diagnostic with an absolute path named as messages show it (``shown_path``:
        relative to the working folder when inside it); a relative path stays as written."""
        if not os.path.isabs(self.path):
            return self
        return Diagnostic(shown_path(self.path), self.line, self.severity, self.message)

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "severity": self.severity,
                "message": self.message}


def error(path: str, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(path, line, "error", message)


def warning(path: str, line: int | None, message: str) -> Diagnostic:
    return Diagnostic(path, line, "warning", message)


def bad_byte_line(exc: UnicodeDecodeError) -> int:
    """The line of the first byte that is not UTF-8."""
    return bytes(exc.object[:exc.start]).count(b"\n") + 1


def not_utf8(path: str, exc: UnicodeDecodeError) -> Diagnostic:
    """A file an editor saved in another encoding, named at its first bad byte."""
    return error(path, bad_byte_line(exc), f"not UTF-8 text ({exc.reason}); save it as UTF-8")


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def utf8_text(data: bytes, path: str) -> str | Diagnostic:
    """A file's bytes as UTF-8 text (line ends and a BOM as they are), or the error to show.
    UTF-16, which Notepad saves as "Unicode" and Windows PowerShell's ``>`` writes, is named:
    by its BOM, or without one by a NUL byte (which no text holds; UTF-16 puts one in every
    ASCII character, so it decodes as UTF-8 and read as a file without front matter)."""
    if data.startswith(_UTF16_BOMS):
        return error(path, 1, "UTF-16 text (Notepad's 'Unicode'); save it as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        return error(path, data.count(b"\n", 0, nul) + 1, "a NUL byte: UTF-16 text or not "
                                                           "text at all; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return not_utf8(path, exc)


def universal_text(data: bytes, path: str) -> str | Diagnostic:
    """``utf8_text`` with every line end made "\\n" (CRLF and CR too), as ``open()`` reads
    text: what the build, check, the config and the edits parse."""
    text = utf8_text(data, path)
    if isinstance(text, Diagnostic):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def as_written(value: Any, limit: int = 60) -> str:
    """A value read from YAML as a message shows it: spelled as YAML spells it (``true``,
    ``null``, ``[a, b]``, ``2020-01-01``, not Python's ``True``...), text in quotes, on one
    line and cut at ``limit`` characters."""
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = yaml.safe_dump(value, default_flow_style=True, width=10**6,
                                  allow_unicode=True)
        except yaml.YAMLError:  # (not a YAML value: shown as Python shows it)
            text = repr(value)
        text = text.removesuffix("\n").removesuffix("\n...").strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def has_errors(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


class BuildError(Exception):
    """Raised at a stage boundary when diagnostics forbid going on; carries them all."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))

    def __reduce__(self) -> tuple[type[BuildError], tuple[list[Diagnostic]]]:
        return (BuildError, (self.diagnostics,))  # raised in a worker, re-raised here


def shown_path(path: Path | str) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    text = str(path)
    try:
        rel = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        return text
    return text if rel.startswith("..") else rel
