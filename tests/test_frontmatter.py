"""Front matter as the content loader reads it (PyYAML, with libyaml when built with it):
the values it gives, and the same answer from libyaml and from pure-Python PyYAML."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.content import _Loader, _PyLoader, read_front_matter, split_front_matter

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


def front_matters() -> list[tuple[str, str]]:
    found = []
    for path in sorted([*(ROOT / "content" / "papers").glob("*.md"),
                        *(ROOT / "tests" / "fixtures").rglob("*.md")]):
        try:
            found.append((path.name, split_front_matter(path.read_text("utf-8"))[0]))
        except Exception:  # noqa: BLE001 - files that are meant to be broken
            continue
    return found


def test_the_bundled_files_read_alike_with_libyaml_and_without():
    files = front_matters()
    assert len(files) > 150
    for name, text in files:
        try:
            expected = yaml.load(text, Loader=_PyLoader)
        except yaml.YAMLError:
            continue
        assert same(yaml.load(text, Loader=_Loader), expected), name


@pytest.mark.parametrize("text, expected", [
    ("title: C# and F#\nyear: 2024\n", {"title": "C# and F#", "year": 2024}),
    ("title: 'It''s'\n", {"title": "It's"}),
    ("title: 'two\n  lines'\nrating: 4\n", {"title": "two lines", "rating": 4}),
    ("abstract: one\n  -two\n  *three\n  [four]\n", {"abstract": "one -two *three [four]"}),
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
    ("authors:\n- A\n -B\n", {"authors": ["A -B"]}),
])
def test_front_matter_values(text, expected):
    data, _, _ = read_front_matter(f"---\n{text}---\n")
    assert same(data, expected), data


@pytest.mark.parametrize("front, line, start", [
    ('title: T\ntags: [rag, long\nyear: 2024\n', 3, "a list opened with '[' here is not closed"),
    ('title: T\nauthors: {a: 1\nyear: 2024\n', 3, "a mapping opened with '{' here is not closed"),
    ('title: "T\nyear: 2024\n', 2, "a quoted value opened here is not closed"),
    ('title: T\n  bad: x\n', 3, "mapping values are not allowed here"),
])
def test_a_yaml_error_is_named_where_it_starts(front: str, line: int, start: str):
    """An unclosed bracket or quote is named on the line that opens it (the parser only
    notices at a later key, or at the end); other errors where the parser stops."""
    from generator.content import parse_paper

    paper, problems = parse_paper(f"---\n{front}---\nNotes.\n", "p.md", "p")
    assert paper is None
    [problem] = [str(d) for d in problems]
    assert problem.startswith(f"p.md:{line}: error: invalid YAML in front matter: {start}")


def test_config_yaml_errors_are_named_where_they_start(tmp_path: Path):
    from generator.config import load_config

    (tmp_path / "config.yaml").write_text("title: Mine\nnav: [a, b\npage_size: 20\n")
    _, problems = load_config(tmp_path / "config.yaml", {})
    assert [str(d) for d in problems] == [
        f"{tmp_path / 'config.yaml'}:2: error: invalid YAML: a list opened with '[' here is "
        "not closed (expected ',' or ']', but got ':' on line 3)"]


@pytest.mark.parametrize("front, message", [
    ("rating: true\n", "rating: expected a whole number, got true"),
    ("author_count: false\n", "author_count: expected a whole number, got false"),
    ("has_code: yes please\n", "has_code: expected true or false, got 'yes please'"),
    ("score: [1, 2]\n", "score: expected a number, got [1, 2]"),
    ("date: {year: 2024}\n", "date: expected a date as YYYY-MM-DD (or YYYY-MM, YYYY), got "
                             "{year: 2024}"),
    ("status: 3.5\n", "status: expected one of unread, reading, read, got 3.5"),
])
def test_a_wrong_value_is_shown_as_yaml_spells_it(front: str, message: str):
    """The value a message names is spelled as the user wrote it in YAML (``true``, not
    Python's ``True``; ``null``, not ``None``)."""
    from generator.content import parse_paper

    _, problems = parse_paper(f"---\ntitle: T\n{front}---\n", "p.md", "p")
    assert f"p.md:3: error: {message}" in [str(d) for d in problems]


def test_a_wrong_config_value_is_shown_as_yaml_spells_it(tmp_path: Path):
    from generator.config import load_config

    (tmp_path / "config.yaml").write_text("title: T\npage_size: true\nfeed_size: [3]\n")
    _, problems = load_config(tmp_path / "config.yaml")
    shown = [d.message for d in problems]
    assert "'page_size' must be a whole number, got true" in shown, shown
    assert "'feed_size' must be a whole number, got [3]" in shown, shown
