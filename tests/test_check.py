"""`readinglist check` on a fixture project holding one mistake per file, exact messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator import cli
from generator.check import check_project, tag_key
from generator.content import render_file

FIXTURE = Path(__file__).parent / "fixtures" / "check"
THEMES = Path(__file__).resolve().parent.parent / "themes"

EXPECTED = """\
config.yaml:5: error: unknown key 'feed_sise'; did you mean 'feed_size'?
content/papers/Bad_Name.md: warning: file name is not a slug; the page will be 'bad-name' \
(rename the file to bad-name.md)
content/papers/bad-date.md:3: error: date: expected a date as YYYY-MM-DD (or YYYY-MM, YYYY), \
got 'soon'
content/papers/bad-yaml.md:3: error: invalid YAML in front matter: a list opened with '[' here \
is not closed (expected ',' or ']', but got '<stream end>' on line 4)
content/papers/duplicate.md:3: error: title: same paper as \
content/papers/landmark-attention.md:2; keep one file
content/papers/impossible-date.md:3: error: date: expected a date as YYYY-MM-DD (or YYYY-MM, \
YYYY), got '2024-02-30'
content/papers/landmark-attention.md:2: error: title: same paper as \
content/papers/duplicate.md:3; keep one file
content/papers/link.md:3: warning: url: 'www.example.org/paper.html' is not an http(s) link; \
it will not be shown
content/papers/missing-title.md:1: error: title: missing; every paper needs a title
content/papers/no-front-matter.md:1: error: missing front matter: the file must start with a \
'---' line
content/papers/notes.txt: warning: not a .md file; ignored
content/papers/rating.md:3: error: rating: expected a rating from 1 to 5, got 7
content/papers/status.md:3: error: status: expected one of unread, reading, read, got 'done'
content/papers/sub/rating.md: error: slug 'rating' is already used by \
content/papers/rating.md; rename one of the files
content/papers/tag-plural.md:4: warning: tags: 'llms' looks like the tag 'LLM' used in 2 \
files; use one spelling
content/papers/tag-separator.md:3: warning: tags: 'long_context' looks like the tag \
'long-context' used in 2 files; use one spelling
content/papers/unknown-key.md:3: warning: athors: unknown key; did you mean 'authors'?
content/papers/wrong-type.md:3: error: authors: expected a list of text, e.g. [a, b]
"""


@pytest.fixture
def in_fixture(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(FIXTURE)
    monkeypatch.setenv("NO_COLOR", "1")
    return FIXTURE


def test_every_mistake_with_its_exact_message(in_fixture, capsys):
    assert cli.main(["check"]) == 1
    captured = capsys.readouterr()
    assert captured.err == EXPECTED
    assert captured.out == ("Checked config.yaml and 17 content files: 12 errors, 6 warnings; "
                            "failed.\n")


def test_each_mistake_file_has_exactly_one_message(in_fixture):
    result = check_project(Path("config.yaml"))
    per_file: dict[str, int] = {}
    for d in result.diagnostics:
        per_file[d.path] = per_file.get(d.path, 0) + 1
    papers = sorted(p.relative_to(FIXTURE).as_posix() for p in
                    (FIXTURE / "content" / "papers").rglob("*") if p.is_file())
    assert "content/papers/also-good.md" not in per_file
    assert {p: per_file.get(p, 0) for p in papers if not p.endswith("also-good.md")} == \
        {p: 1 for p in papers if not p.endswith("also-good.md")}


def test_json_format_is_the_same_list(in_fixture, capsys):
    assert cli.main(["check", "--format", "json"]) == 1
    captured = capsys.readouterr()
    items = json.loads(captured.out)
    assert captured.err == ""
    lines = [f"{d['path']}:{d['line']}: {d['severity']}: {d['message']}" if d["line"] else
             f"{d['path']}: {d['severity']}: {d['message']}" for d in items]
    assert "\n".join(lines) + "\n" == EXPECTED
    assert set(items[0]) == {"path", "line", "severity", "message"}


def test_config_option_from_another_folder(monkeypatch, capsys):
    monkeypatch.chdir(FIXTURE.parent.parent.parent)  # the repo root
    assert cli.main(["--config", "tests/fixtures/check/config.yaml", "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tests/fixtures/check/config.yaml:5: error: unknown key 'feed_sise'")
    assert "tests/fixtures/check/content/papers/rating.md:3: error: rating:" in err


def make_project(root: Path, papers: dict[str, str], config: str = "") -> Path:
    (root / "content" / "papers").mkdir(parents=True)
    (root / "config.yaml").write_text(f"themes_dir: {THEMES}\n{config}", encoding="utf-8")
    for name, text in papers.items():
        (root / "content" / "papers" / name).write_text(text, encoding="utf-8")
    return root / "config.yaml"


def paper(title: str, **front) -> str:
    return render_file({"title": title, **front})


def test_clean_project_passes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, {"a.md": paper("A", tags=["llm"]), "b.md": paper("B")})
    assert cli.main(["check"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ("Checked config.yaml and 2 content files: 0 errors, 0 warnings; "
                            "passed.\n")


def test_control_characters_from_a_file_are_shown_not_sent_to_the_terminal(
        tmp_path, monkeypatch, capsys):
    """A message quoting a file's text (here a footnote's label) shows an escape sequence
    in it as \\xNN: sent as is, it recoloured or cleared the terminal."""
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, {"a.md": paper("A") + "A note[^\x1b[2Jz].\n",
                            "b.md": paper("B") + "A note[^\x9b31m].\n"})
    cli.main(["check"])
    err = capsys.readouterr().err
    assert err.count("cites no footnote") == 2
    assert "[^\\x1b[2Jz]" in err and "[^\\x9b31m]" in err
    assert not any(ch in err for ch in "\x1b\x9b")


def test_warnings_pass_unless_strict(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    make_project(tmp_path, {"a.md": paper("A", tags=["LLM"]), "b.md": paper("B", tags=["llm"])})
    assert cli.main(["check"]) == 0
    assert cli.main(["check", "--strict"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("content/papers/b.md:4: warning: tags: 'llm' looks like the tag "
                              "'LLM' used in 1 file; use one spelling") == 2
    assert captured.out.splitlines() == [
        "Checked config.yaml and 2 content files: 0 errors, 1 warning; passed.",
        "Checked config.yaml and 2 content files: 0 errors, 1 warning; failed (--strict: "
        "warnings fail).",
    ]


def test_config_values_outside_their_set(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_project(tmp_path, {"a.md": paper("A")}, "default_status: done\n")
    assert cli.main(["check", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == [{
        "path": "config.yaml", "line": 2, "severity": "error",
        "message": "'default_status' must be one of unread, reading, read, got 'done'"}]


def test_missing_config_file_is_an_error_only_when_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check", "--config", "nope.yaml"]) == 1
    assert "nope.yaml: error: config file not found" in capsys.readouterr().err


def test_check_writes_nothing(tmp_path, monkeypatch):
    project = tmp_path / "p"
    shutil.copytree(FIXTURE, project)
    (project / "config.yaml").write_text(f"themes_dir: {THEMES}\n", encoding="utf-8")
    before = sorted((p, p.stat().st_mtime_ns) for p in project.rglob("*"))
    monkeypatch.chdir(project)
    cli.main(["check"])
    assert sorted((p, p.stat().st_mtime_ns) for p in project.rglob("*")) == before


@pytest.mark.parametrize(("a", "b"), [
    ("LLM", "llms"), ("long-context", "long_context"), ("Long Context", "long-context"),
    ("benchmark", "benchmarks"),
])
def test_tag_variants_share_a_key(a, b):
    assert tag_key(a) == tag_key(b)


@pytest.mark.parametrize(("a", "b"), [("llm", "vlm"), ("class", "clas"), ("rag", "rags-x")])
def test_different_tags_keep_different_keys(a, b):
    assert tag_key(a) != tag_key(b)
