"""Listing text -> ``Listing``: detect which page a paste came from and parse its papers.

Four page formats are known (``generator.model.FORMATS``): ACL Anthology author pages,
Hugging Face Daily Papers pages, compact listings and arXiv listings; and three
reference-manager exports (``generator.listings.references``): BibTeX, CSL-JSON and RIS,
told apart by content.
Parsing never raises on any text: whatever cannot be read becomes a ``Diagnostic`` with a
line number and what was expected, and parsing goes on with the next entry.

Pasted text is often a sloppy copy: cut at both ends, a page pasted twice, page chrome in
between. Each parser splits the text at the page chrome it knows, and where a repeat of
earlier text shows that a second copy starts (``common.copy_restarts``), and treats the
two ends of every piece as places where a copy may have been cut: an incomplete entry there is a
warning, never a paper. Text that fits no entry *between* entries is an error when it
reads like paper text, because a paper was probably lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from generator.diagnostics import Diagnostic, error, warning
from generator.listings import acl, arxiv, compact, hf, references
from generator.listings.common import Line, ParseResult, split_lines
from generator.model import FORMATS, Listing

__all__ = ["FORMATS", "decode_file", "detect_format", "parse_listing"]

Parser = Callable[[Sequence[Line], str, int], ParseResult]
_PARSERS: dict[str, Parser] = {
    acl.FORMAT: acl.parse,
    hf.FORMAT: hf.parse,
    compact.FORMAT: compact.parse,
    arxiv.FORMAT: arxiv.parse,
}
_SCORERS: dict[str, Callable[[Sequence[Line]], int]] = {
    acl.FORMAT: acl.score,
    hf.FORMAT: hf.score,
    compact.FORMAT: compact.score,
    arxiv.FORMAT: arxiv.score,
}
# What each format's evidence is, for the message when a forced --format does not fit.
_SIGNS: dict[str, str] = {
    acl.FORMAT: "'pdf'/'bib'/'abs' lines before a title",
    hf.FORMAT: "'·' lines and '• N authors' footers",
    compact.FORMAT: "lines like '99.7CLApr 30Code'",
    arxiv.FORMAT: "lines like '[1] arXiv:2412.04261 [pdf, html, other]'",
}
UNKNOWN = "unknown"  # Listing.format when the format could not be told
_HTML_START = re.compile(r"\A\ufeff?\s*(?:<!doctype html|<html[\s>]|<\?xml[^>]*>\s*<html)", re.I)


def _as_text(text: str | bytes) -> str:
    """Tolerate bytes from a caller that read the file in binary mode."""
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return text


def decode_file(data: bytes, source: str) -> tuple[str, Diagnostic | None]:
    """A listing file's bytes -> (its text, a warning when it is not UTF-8).

    Exports are UTF-8, but an older JabRef, BibTeX or EndNote file may be Latin-1
    (Windows-1252), and EndNote can write UTF-16: its accents are read, not replaced by
    U+FFFD. A UTF-8 file with a damaged byte stays UTF-8 (read as Windows-1252, every
    accent in it would be garbled)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        as_utf8 = data.decode("utf-8", errors="replace")
    if any(ord(c) > 127 and c != "\ufffd" for c in as_utf8):
        return as_utf8, warning(source, line, "bytes here are not UTF-8 (the rest of the "
                                              "file is) and are read as '\ufffd'")
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, warning(source, line, "not UTF-8: read as Latin-1 (Windows-1252); check "
                                       "the accents, or save the file as UTF-8")


def _detect(lines: Sequence[Line]) -> str | None:
    """The format with the most structural evidence; None if there is none or a tie."""
    scores = sorted(((scorer(lines), name) for name, scorer in _SCORERS.items()), reverse=True)
    (best, name), (runner_up, _) = scores[0], scores[1]
    return name if best > runner_up else None


def detect_format(text: str) -> str | None:
    """Which of ``FORMATS`` the text is in, judged by its structure; None if it is unclear."""
    return _detect(split_lines(_as_text(text)))


def parse_listing(text: str, source: str, *, year: int, format: str | None = None) -> Listing:
    """Parse one pasted listing or reference-manager export; ``year`` dates entries whose
    date shows no year.

    ``format`` skips detection. Problems are reported in ``Listing.diagnostics``; the
    function never raises on bad text.
    """
    text = _as_text(text)
    exported = format if format in references.PARSERS else \
        None if format else references.detect(text, source)
    if exported is not None:  # BibTeX, CSL-JSON, RIS: a file format, not a page's text
        found = references.PARSERS[exported](text, source)
        return Listing(source, exported, None, tuple(found.entries),
                       tuple(sorted(found.diagnostics, key=lambda d: d.line or 0)))
    lines = split_lines(text)
    known = ", ".join(FORMATS)
    if not lines:
        return Listing(source, format or UNKNOWN,
                       diagnostics=(error(source, None, "empty listing: the file has no text"),))
    if format is not None and format not in _PARSERS:
        return Listing(source, UNKNOWN, diagnostics=(error(
            source, None, f"unknown format {format!r}; known formats: {known}"),))
    if format is not None and _SCORERS[format](lines) == 0:
        # Read as a format it is not, a page yields invented papers (venue lines as
        # titles): refuse, and say which format it does look like.
        guess = _detect(lines)
        hint = f"; it looks like {guess}" if guess else ""
        return Listing(source, format, diagnostics=(error(
            source, None, f"the text does not look like {format} ({_SIGNS[format]} not "
            f"found){hint}; nothing imported from it. Leave out --format to detect the "
            "format."),))
    chosen = format or _detect(lines)
    if chosen is None and _HTML_START.match(text):  # "Save page as...", not the page's text
        return Listing(source, UNKNOWN, diagnostics=(error(
            source, 1, "this is a saved web page (HTML), not its text: open the page in a "
            "browser, select all, copy, and paste into a text file to import"),))
    if chosen is None:
        return Listing(source, UNKNOWN, diagnostics=(error(
            source, None, f"could not recognise the listing format; known formats: {known}. "
            "Use --format NAME to say which one it is."),))
    result = _PARSERS[chosen](lines, source, year)
    diagnostics = sorted(result.diagnostics, key=lambda d: d.line or 0)
    if not result.entries:
        diagnostics.append(error(
            source, None, f"no papers found in this {chosen} listing"
            + ("" if format is None else "; is --format right?")))
    return Listing(source, chosen, result.page_date, tuple(result.entries), tuple(diagnostics))
