"""The quick front-matter reader (generator.frontmatter) against PyYAML: wherever it gives
an answer it is PyYAML's, type for type, and it answers for the files people have."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.content import _PLAIN, _Loader, _PyLoader, parse_paper, split_front_matter
from generator.frontmatter import PlainReader

ROOT = Path(__file__).resolve().parent.parent


def same(a: Any, b: Any) -> bool:
    """Equal and of one type all the way down (True is not 1, 1.0 is not 1), in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def pyyaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        return exc


def check(text: str) -> Any:
    """The quick reader's answer, asserted to be PyYAML's whenever it gives one."""
    fast = PlainReader(_PyLoader("")).read(text)
    if fast is not None:
        expected = pyyaml(text)
        assert same(fast, expected), f"{text!r}: {fast!r} != {expected!r}"
    return fast


def front_matters() -> list[tuple[str, str]]:
    found = []
    for path in sorted([*(ROOT / "content" / "papers").glob("*.md"),
                        *(ROOT / "tests" / "fixtures").rglob("*.md")]):
        try:
            found.append((path.name, split_front_matter(path.read_text("utf-8"))[0]))
        except Exception:  # noqa: BLE001 - files that are meant to be broken
            continue
    return found


def test_the_bundled_files_read_as_pyyaml_reads_them_and_almost_all_quickly():
    files = front_matters()
    assert len(files) > 150
    quick = [name for name, text in files if check(text) is not None]
    assert len(quick) >= 0.95 * len(files)


@pytest.mark.parametrize("text, expected", [
    ("title: A study: of things\n", None),  # ": " in a plain scalar is an error in YAML
    ("title: C# and F#\nyear: 2024\n", {"title": "C# and F#", "year": 2024}),
    ("title: x # a comment\n", None),
    ("title: 'It''s'\n", {"title": "It's"}),
    ('title: "say ""hi"""\n', None),
    ("title: 'two\n  lines'\nrating: 4\n", {"title": "two lines", "rating": 4}),
    ("abstract: one\n  -two\n  *three\n  [four]\n", {"abstract": "one -two *three [four]"}),
    ("on: 1\n", None),  # a key YAML 1.1 reads as True
    ("flag: yes\nnone: ~\ntime: 1:30\n", {"flag": True, "none": None, "time": 90}),
    ("date: 2024-02-30\n", {"date": "2024-02-30"}),  # kept as text, see content._timestamp
    ("date: 2024-02-03\n", {"date": dt.date(2024, 2, 3)}),
    ("tags: []\nlinks: {}\nnotes:\n", {"tags": [], "links": {}, "notes": None}),
    ("authors:\n- A\n- B\n  C\n", {"authors": ["A", "B C"]}),
    ("authors:\n  - A\n  - B\n", {"authors": ["A", "B"]}),
    ("sources:\n- file: a.txt\n  format: acl\n- file: b\n", {
        "sources": [{"file": "a.txt", "format": "acl"}, {"file": "b"}]}),
    ("links:\n  pdf: https://x.org/a.pdf\n  code: https://github.com/a/b\n", {
        "links": {"pdf": "https://x.org/a.pdf", "code": "https://github.com/a/b"}}),
    ("a: 1\na: 2\n", None),  # duplicate keys: PyYAML's call
    ("title: x\n\nyear: 1\n", None),  # a blank line: left to PyYAML
    ("abstract: |\n  kept\n", None),
    ("title: &a x\nalso: *a\n", None),
    ("tags: [a, b]\n", None),
    ("title:\tx\n", None),
    ("authors:\n- A\n -B\n", {"authors": ["A -B"]}),
    ("- a\n- b\n", None),
    ("just text\n", None),
    ("", None),
])
def test_the_subset_and_what_is_left_to_pyyaml(text, expected):
    fast = check(text)
    assert same(fast, expected), fast
    if expected is not None:
        assert _PLAIN.read(text) is not None  # (the reader content.py uses, too)


_ODD = st.lists(st.sampled_from([*"ab Zé-:#'\"[]{},&*!|>%@`?~\\\t\n\xa0\u2028\ufeff",
                                 "yes", "no", "on", "null", "1", "0x1F", "1:30", "2024-02-03",
                                 ".5", ": ", " #", "''", "- ", "  "]), max_size=12).map("".join)
_PLAIN_WORDS = st.lists(st.sampled_from(["word", "a", "Zoë", "C#", "it's", "(x)", "-y", "1",
                                         "yes", "2024-02-03", "x:y", "long" * 8]),
                        max_size=12).map(" ".join)
_TEXT = st.one_of(_PLAIN_WORDS, _PLAIN_WORDS, _ODD)
_SCALAR = st.one_of(_TEXT, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=True), st.dates())
_KEYS = st.one_of(st.sampled_from(["title", "authors", "date", "tags", "links", "notes"]),
                  st.sampled_from(["yes", "on", "null", "y", "n", "_x", "x1"]), _TEXT)
_VALUE = st.one_of(_SCALAR, st.lists(_SCALAR, max_size=4),
                   st.lists(st.dictionaries(_KEYS, _SCALAR, max_size=3), max_size=3),
                   st.dictionaries(_KEYS, _SCALAR, max_size=3))


_IDS = st.sampled_from(["title", "authors", "date", "tags", "links", "notes", "x_1"])
_USUAL = st.one_of(_PLAIN_WORDS, st.integers(), st.dates(), st.booleans(), st.none())
_USUAL_DATA = st.dictionaries(_IDS, st.one_of(
    _USUAL, st.lists(_USUAL, max_size=3), st.dictionaries(_IDS, _USUAL, max_size=2),
    st.lists(st.dictionaries(_IDS, _USUAL, min_size=1, max_size=2), max_size=2)), max_size=5)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_USUAL_DATA, st.dictionaries(_KEYS, _VALUE, max_size=6)),
       st.integers(10, 120), st.booleans(),
       st.sampled_from([2, 4]), st.sampled_from([False, None]))
def test_whatever_pyyaml_writes_reads_back_alike(data, width, unicode, indent, flow):
    text = yaml.safe_dump(data, sort_keys=False, width=width, allow_unicode=unicode,
                          indent=indent, default_flow_style=flow)
    check(text)


# front matter written by hand: entries in the shapes the reader takes, with values and
# indents that are sometimes outside them (a key YAML reads as a bool, ": " in a value...)
_WORD = st.sampled_from([
    "a", "b c", "Zoë", "yes", "no", "on", "null", "~", "1", "0x1F", "1:30", "2024-02-03",
    "2024-02-30", ".5", "-1", "a: b", "a #b", "C#", "'q'", "'it''s'", "'a", '"d"', '"e\\"',
    "[]", "{}", "[a]", "x:", "-x", "*x", "&x", "!x", "|", ">", "%", "?", "- x", "''", "(y)"])
_TEXT_VALUE = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
_KEY = st.sampled_from(["title", "authors", "tags", "yes", "on", "y", "null", "a_b", "x1"])
_INDENT = st.sampled_from(["", " ", "  ", "   "])
_PAIR = st.tuples(_KEY, _TEXT_VALUE).map(lambda kv: f"{kv[0]}: {kv[1]}")
_GOES_ON = st.lists(st.tuples(_INDENT, _TEXT_VALUE).map("".join), max_size=2).map(
    lambda lines: "".join("\n " + line for line in lines))
_ENTRY = st.tuples(_KEY, st.one_of(
    st.just(""),
    st.tuples(_TEXT_VALUE, _GOES_ON).map(lambda t: " " + t[0] + t[1]),
    st.tuples(_INDENT, st.lists(st.tuples(st.one_of(_TEXT_VALUE, _PAIR), _GOES_ON).map(
        "".join), min_size=1, max_size=3)).map(
        lambda t: "".join(f"\n{t[0]}- {item}" for item in t[1])),
    st.tuples(_INDENT, st.lists(st.lists(_PAIR, min_size=1, max_size=2), min_size=1,
                                max_size=2)).map(
        lambda t: "".join(f"\n{t[0]}- " + f"\n{t[0]}  ".join(pairs) for pairs in t[1])),
    st.tuples(_INDENT, st.lists(_PAIR, min_size=1, max_size=3)).map(
        lambda t: "".join(f"\n{t[0]}{pair}" for pair in t[1])),
)).map(lambda t: t[0] + ":" + t[1])


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ENTRY, min_size=1, max_size=5).map("\n".join))
@example("title: 'a\n  b'\n")
@example("authors:\n- - a\n")
@example("x:\n  y: 'a\n   b'\n")
def test_any_text_is_read_as_pyyaml_reads_it_or_left_to_it(text):
    fast = check(text)
    if fast is not None:
        assert isinstance(pyyaml(text), dict)


def test_a_paper_parses_alike_either_way(monkeypatch):
    """parse_paper gives the same paper and messages when every file goes to PyYAML."""
    files = [p for p in sorted((ROOT / "content" / "papers").glob("*.md"))][:60]
    quick = [parse_paper(p.read_text("utf-8"), p.name, p.stem) for p in files]
    monkeypatch.setattr(_PLAIN, "read", lambda text: None)
    slow = [parse_paper(p.read_text("utf-8"), p.name, p.stem) for p in files]
    assert quick == slow
