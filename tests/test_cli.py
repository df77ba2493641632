"""The `readinglist` verbs: help and version, `new`, tag/status/rate edits without loss,
`import --dry-run`, exit statuses, NO_COLOR."""

from __future__ import annotations

import io
import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from generator import __version__, cli
from generator.content import parse_paper, read_front_matter, render_file

ROOT = Path(__file__).resolve().parent.parent
THEMES = ROOT / "themes"
LISTINGS = ROOT / "tests" / "fixtures" / "listings"
COMMANDS = ["init", "import", "build", "serve", "check", "new", "tag", "status", "rate"]

HAND_EDITED = """\
---
# My notes on this one; keep this comment.
title: Landmark Attention
authors:
  - Amirkeivan Mohtashami   # first author
  - Martin Jaggi
date: 2023-05-25
my_key: {nested: [1, 2]}   # an unknown key, mine
tags: [LLM, long-context]
status: unread
---

Some *notes*.

---
A horizontal rule above, not front matter.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny project in a temp folder, as the working folder; NO_COLOR and a fixed date."""
    papers = tmp_path / "content" / "papers"
    papers.mkdir(parents=True)
    (tmp_path / "config.yaml").write_text(f"title: Test\nthemes_dir: {THEMES}\n",
                                          encoding="utf-8")
    (papers / "landmark-attention.md").write_text(HAND_EDITED, encoding="utf-8")
    (papers / "focusllm.md").write_text(render_file({
        "title": "FocusLLM: Scaling LLM's Context by Parallel Decoding",
        "date": "2024-08-21", "tags": ["LLM"], "status": "reading"}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    return tmp_path


def run(*argv: str) -> int:
    return cli.main(list(argv))


def status(*argv: str) -> int:
    """The command's exit status, as the shell sees it (argparse's usage errors exit 2)."""
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def papers(project: Path) -> dict[str, str]:
    folder = project / "content" / "papers"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


# --- help, version, usage --------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(command, "--help")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: readinglist {command}")
    assert "examples:\n  readinglist " + command in out
    assert "--config PATH" in out
    # an example is shown as written: a long one goes on after a backslash, never joined
    # into one overlong line
    lines = out.split("examples:\n")[1].splitlines()
    assert all(len(line) <= 100 for line in lines), lines
    assert all(next_.startswith("      --") for line, next_ in itertools.pairwise(lines)
               if line.endswith("\\"))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_example_is_a_command_line_the_parser_takes(command, capsys):
    """Each example, its continued lines joined as a shell joins them, is parsed as given
    (what a pipe feeds, and the `$(…)` inside `$EDITOR "$(…)"`, aside); a run of spaces
    only ever lines up a comment."""
    with pytest.raises(SystemExit):
        run(command, "--help")
    examples = capsys.readouterr().out.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    for line in re.sub(r" *\\\n\s*", " ", examples).splitlines():
        assert re.fullmatch(r"\s*\S+( \S+)*( {2,}# .*)?", line), line
        line = re.sub(r'^\s*\$EDITOR "\$\((.*)\)"$', r"\1", line).split(" | ")[0]
        words = shlex.split(line, comments=True)
        assert words[0] == "readinglist" and command in words, line
        args = cli.build_parser().parse_args(words[1:])
        assert args.run is getattr(cli, f"cmd_{command}"), line


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        run("--help")
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"    {command} " in out


@pytest.mark.parametrize("argv,meant", [
    (["buidl"], "build"), (["import", "--format", "bibtx", "x.bib"], "bibtex"),
    (["status", "some-paper", "raed"], "read"), (["new", "--status", "Raeding", "T"], "reading"),
])
def test_a_misspelt_command_or_choice_names_the_one_meant(capsys, argv, meant):
    assert status(*argv) == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and err.endswith(f"; did you mean '{meant}'?\n"), err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        run("--version")
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"readinglist {__version__}\n"


def test_no_command_is_a_usage_error(capsys):
    assert run() == 2
    assert capsys.readouterr().out.startswith("usage: readinglist")


def test_bad_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        run("rate", "x", "9")
    assert exit_.value.code == 2
    assert "expected a whole number from 1 to 5 (or 'none'), got '9'" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_a_port_out_of_range_is_a_command_line_mistake(project, capsys, port):
    """(It reached the socket: an internal error, exit status 3.)"""
    with pytest.raises(SystemExit) as exit_:
        run("serve", "--port", port)
    assert exit_.value.code == 2
    assert f"argument --port/-p: expected a port number from 0 to 65535, got '{port}'" in \
        capsys.readouterr().err


@pytest.mark.parametrize("command", [["check"], ["build"], ["new", "A Paper"],
                                     ["status", "focusllm", "read"]])
def test_a_config_that_is_not_utf8_is_a_config_error(project, capsys, command):
    """(An internal error, exit status 3, from every command.)"""
    (project / "config.yaml").write_bytes("title: Café\n".encode("latin-1"))
    before = papers(project)
    assert run(*command) == 1
    assert "config.yaml:1: error: not UTF-8 text (invalid continuation byte); save it as " \
           "UTF-8\n" in capsys.readouterr().err
    assert papers(project) == before and not (project / "site").exists()


def test_a_config_that_cannot_be_read_is_a_config_error(project, capsys):
    (project / "config.yaml").unlink()
    (project / "config.yaml").mkdir()
    assert run("check") == 1
    assert "config.yaml: error: cannot read: Is a directory\n" in capsys.readouterr().err


def test_config_before_or_after_the_command(project, tmp_path_factory, capsys):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    os.chdir(elsewhere)
    config = str(project / "config.yaml")
    assert run("--config", config, "status", "focusllm", "read") == 0
    assert run("status", "focusllm", "unread", "--config", config) == 0
    assert "status: unread" in papers(project)["focusllm.md"]
    assert run("build", "--config", str(project)) == 0  # the list's folder is as good
    assert (project / "site" / "index.html").is_file() and not (elsewhere / "site").exists()
    assert run("status", "focusllm", "read") == 2  # no project here: no such paper
    assert "no paper with this slug or path" in capsys.readouterr().err


def test_module_entry_point_runs(project):
    done = subprocess.run([sys.executable, "-m", "generator", "--version"],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, f"readinglist {__version__}\n")


def test_the_command_exits_at_once_with_its_status_and_all_its_output(project):
    """`python -m generator` ends with os._exit after a command: what it printed, what it
    wrote and its exit status are all there."""
    done = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=project,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Built 2 papers, ")
    assert " files into site in " in done.stdout  # the path as typed, not absolute
    assert (project / "site" / "index.html").is_file()
    (project / "content" / "papers" / "focusllm.md").write_text("---\ntitle: [\n---\n",
                                                                 encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=project,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "focusllm.md" in done.stdout + done.stderr
    assert "Build failed" in done.stdout + done.stderr


# --- new -------------------------------------------------------------------------------

def test_new_writes_a_well_formed_entry_and_prints_its_path(project, capsys):
    assert run("new", "Attention Is All You Need", "--author", "Ashish Vaswani",
               "--author", "Noam Shazeer", "--tag", "transformers", "--tag", "attention",
               "--url", "https://arxiv.org/abs/1706.03762", "--date", "2017-06-12",
               "--venue", "NeurIPS 2017") == 0
    assert capsys.readouterr().out == "content/papers/attention-is-all-you-need.md\n"
    text = (project / "content/papers/attention-is-all-you-need.md").read_text()
    assert text == """\
---
title: Attention Is All You Need
authors:
- Ashish Vaswani
- Noam Shazeer
date: 2017-06-12
venue: NeurIPS 2017
added: 2026-01-01
tags:
- transformers
- attention
status: unread
url: https://arxiv.org/abs/1706.03762
---
"""
    paper, problems = parse_paper(text, "x.md", "attention-is-all-you-need")
    assert problems == [] and paper is not None
    assert paper.authors == ("Ashish Vaswani", "Noam Shazeer")


def test_new_minimal_entry(project, capsys):
    assert run("new", "A Paper", "--status", "reading", "--date", "2024") == 0
    path = project / capsys.readouterr().out.strip()
    data, body, _ = read_front_matter(path.read_text())
    assert data == {"title": "A Paper", "year": 2024, "added": __import__("datetime").date(
        2026, 1, 1), "tags": [], "status": "reading"}
    assert body == ""


def test_new_gives_a_unique_slug_and_never_overwrites(project, capsys):
    (project / "content/papers/landmark.md").write_text("hand-made, not front matter\n")
    assert run("new", "Landmark") == 0
    assert capsys.readouterr().out == "content/papers/landmark-2.md\n"
    assert (project / "content/papers/landmark.md").read_text() == \
        "hand-made, not front matter\n"


def test_a_paper_titled_in_chinese_is_named_apart_and_found_by_its_title(project, capsys):
    assert run("new", "大型语言模型的推理能力研究") == 0
    assert run("new", "大型语言模型的对齐") == 0
    first, second = capsys.readouterr().out.split()
    assert first != second and first.startswith("content/papers/paper-")
    assert run("status", "大型语言模型的推理能力研究", "read") == 0
    assert "status: read" in (project / first).read_text(encoding="utf-8")
    assert "status: read" not in (project / second).read_text(encoding="utf-8")


def test_new_rejects_a_paper_already_there(project, capsys):
    before = papers(project)
    assert run("new", "landmark attention!") == 1
    err = capsys.readouterr().err
    assert err == ("new: error: a paper with this title is already in "
                   "content/papers/landmark-attention.md\n")
    assert papers(project) == before


@pytest.mark.parametrize(("args", "message"), [
    (["Fresh Paper", "--date", "soon"],
     "argument --date: expected YYYY-MM-DD (or YYYY-MM, YYYY), got 'soon'"),
    (["Fresh Paper", "--date", "2024-02-30"],
     "argument --date: expected YYYY-MM-DD (or YYYY-MM, YYYY), got '2024-02-30'"),
    (["Fresh Paper", "--url", "www.x.org"],
     "argument --url: expected an http(s) link, got 'www.x.org'"),
    (["Fresh Paper", "--pdf", "file:///a.pdf"],
     "argument --pdf: expected an http(s) link, got 'file:///a.pdf'"),
    (["  "], "argument title: the title is empty"),
    (["Fresh Paper", "--status", "done"], "argument --status: invalid choice: 'done'"),
])
def test_new_rejects_bad_values_as_command_line_mistakes(project, capsys, args, message):
    before = papers(project)
    assert status("new", *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: readinglist new") and \
        f"readinglist new: error: {message}" in err
    assert papers(project) == before


def test_new_passes_check(project, capsys):
    run("new", "Checked Paper", "--tag", "long-context", "--author", "A. Person")
    assert run("check") == 0


# --- tag, status, rate -----------------------------------------------------------------

def test_tag_adds_and_removes_without_touching_anything_else(project, capsys):
    assert run("tag", "landmark-attention", "--add", "memory", "--remove", "llm") == 0
    assert capsys.readouterr().out == \
        "  updated content/papers/landmark-attention.md (-LLM, +memory)\n"
    text = papers(project)["landmark-attention.md"]
    assert text == HAND_EDITED.replace("tags: [LLM, long-context]\n",
                                       "tags:\n- long-context\n- memory\n")


def test_a_tag_is_removed_in_any_spelling_add_knows_it_by(project, capsys):
    """`--add "long context"` to a paper tagged long-context says it is there already;
    `--remove "long context"` left it there."""
    assert run("tag", "focusllm", "--add", "long-context") == 0
    assert run("tag", "focusllm", "--add", "Long Context") == 0
    assert "already tagged 'long-context'" in capsys.readouterr().out
    assert run("tag", "focusllm", "--remove", "long context") == 0
    assert capsys.readouterr().out == "  updated content/papers/focusllm.md (-long-context)\n"
    assert tags(project) == ["LLM"]


def test_a_tag_is_written_and_removed_as_the_site_names_it(project, capsys):
    """The site collapses a tag's spaces and ignores its case: so do tag's --add and
    --remove (a tag kept with its spaces showed as another spelling in every file)."""
    assert run("tag", "focusllm", "--add", "  long   context ", "--add", "  ") == 0
    assert capsys.readouterr().out == \
        "  updated content/papers/focusllm.md (+long context)\n"
    assert tags(project) == ["LLM", "long context"]
    assert run("tag", "focusllm", "--remove", " LONG  Context") == 0
    assert tags(project) == ["LLM"]
    capsys.readouterr()
    # (it said '(+long context already tagged 'LLM')', as if of the tag added)
    assert run("tag", "focusllm", "--add", "long context", "--add", "llm") == 0
    assert capsys.readouterr().out == \
        "  updated content/papers/focusllm.md (+long context, llm: already tagged 'LLM')\n"


def tags(project: Path) -> list[str]:
    return read_front_matter(papers(project)["focusllm.md"])[0]["tags"]


def test_status_and_rate_change_one_line_each(project, capsys):
    assert run("status", "landmark-attention", "read") == 0
    assert run("rate", "content/papers/landmark-attention.md", "5") == 0
    text = papers(project)["landmark-attention.md"]
    assert text == HAND_EDITED.replace("status: unread\n", "status: read\nrating: 5\n")
    assert run("rate", "landmark-attention", "none") == 0
    assert papers(project)["landmark-attention.md"] == \
        HAND_EDITED.replace("status: unread\n", "status: read\n")
    assert run("rate", "landmark-attention", "none") == 0  # nothing to remove
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "  updated content/papers/landmark-attention.md (status: read)",
        "  updated content/papers/landmark-attention.md (rating: 5)",
        "  updated content/papers/landmark-attention.md (rating removed)",
        "unchanged content/papers/landmark-attention.md (no rating)",
    ]


def test_a_status_is_taken_in_any_case_as_the_site_shows_it(project, capsys):
    """The site shows "Read"; a status typed that way, on the command line or in the
    front matter, is that status (a word that is no status is still an error)."""
    assert run("status", "landmark-attention", "Reading") == 0
    assert "status: reading\n" in papers(project)["landmark-attention.md"]
    path = project / "content/papers/landmark-attention.md"
    path.write_text(path.read_text().replace("status: reading", "status: READ "))
    paper, problems = parse_paper(path.read_text(), "x.md", "landmark-attention")
    assert problems == [] and paper is not None and paper.status == "read"
    assert run("check") == 0
    path.write_text(path.read_text().replace("status: READ ", "status: done"))
    assert status("check") == 1
    assert "error: status: expected one of unread, reading, read, got 'done'" in \
        capsys.readouterr().err


def test_an_edited_keys_own_comments_are_kept(project, capsys):
    """A comment at the end of the line being rewritten stays on it; one after a list item
    stays after the list; a '#' inside a quoted value is not a comment."""
    path = project / "content/papers/landmark-attention.md"
    path.write_text(HAND_EDITED.replace(
        "tags: [LLM, long-context]\nstatus: unread\n",
        "tags:   # mine\n- LLM   # the big one\n- 'C# #1'\nstatus: unread  # since May\n"
        "rating: 2 # meh\n"))
    assert run("status", "landmark-attention", "read") == 0
    assert run("tag", "landmark-attention", "--add", "memory") == 0
    assert run("rate", "landmark-attention", "none") == 0
    assert path.read_text() == HAND_EDITED.replace(
        "tags: [LLM, long-context]\nstatus: unread\n",
        "tags:   # mine\n- LLM\n- 'C# #1'\n- memory\n# the big one\n"
        "status: read  # since May\n# meh\n")
    data, _, _ = read_front_matter(path.read_text())
    assert data["tags"] == ["LLM", "C# #1", "memory"] and data["status"] == "read"


def test_many_papers_at_once_and_unchanged_files_are_not_rewritten(project, capsys):
    folder = project / "content/papers"
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.md")}
    assert run("tag", "landmark-attention", "focusllm", "--add", "llm") == 0
    assert run("status", "focusllm", "reading") == 0
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.md")}
    assert after == before
    assert capsys.readouterr().out.splitlines() == [
        "unchanged content/papers/landmark-attention.md (llm: already tagged 'LLM')",
        "unchanged content/papers/focusllm.md (llm: already tagged 'LLM')",
        "unchanged content/papers/focusllm.md (status: reading)",
    ]
    assert run("rate", "landmark-attention", "focusllm", "4") == 0
    assert all("rating: 4\n" in text for text in papers(project).values())


def test_unknown_slug_names_close_matches_and_changes_nothing(project, capsys):
    before = papers(project)
    assert run("status", "focusllm", "landmark-atention", "read") == 2
    captured = capsys.readouterr()
    assert captured.err == ("landmark-atention: error: no paper with this slug or path in "
                            "content/papers; did you mean 'landmark-attention'?\n")
    assert captured.out == "Nothing changed.\n"
    assert papers(project) == before
    assert run("rate", "focusllmm", "3") == 2
    assert "did you mean 'focusllm'?" in capsys.readouterr().err


def test_a_misspelt_start_of_a_long_slug_names_its_paper(project, capsys):
    """Slugs are long, so people type their start: a typo there still gets a suggestion."""
    long = project / "content/papers/ring-attention-with-blockwise-transformers-for-near.md"
    long.write_text(render_file({"title": "Ring Attention with Blockwise Transformers"}),
                    encoding="utf-8")
    assert run("rate", "ring-atention", "4") == 2
    assert capsys.readouterr().err == (
        "ring-atention: error: no paper with this slug or path in content/papers; did you "
        "mean 'ring-attention-with-blockwise-transformers-for-near'?\n")
    # a start two slugs share: both suggested; nothing typed: no suggestion, a message
    (project / "content/papers/ring-attention-is-all-you-need.md").write_text(
        render_file({"title": "Ring Attention Is All You Need"}), encoding="utf-8")
    assert run("rate", "ring-atention", "4") == 2
    assert capsys.readouterr().err.endswith(
        "did you mean 'ring-attention-is-all-you-need', "
        "'ring-attention-with-blockwise-transformers-for-near'?\n")
    assert run("rate", "", "4") == 2
    assert capsys.readouterr().err == ("'': error: no slug given: name a paper by its slug, "
                                       "the start of it, or its file\n")


def test_a_unique_start_of_a_slug_names_its_paper(project, capsys):
    assert run("status", "landm", "read") == 0
    assert capsys.readouterr().out == (
        "'landm' is content/papers/landmark-attention.md\n"
        "  updated content/papers/landmark-attention.md (status: read)\n")
    assert "status: read" in papers(project)["landmark-attention.md"]


def test_a_paper_named_loosely_or_by_its_title_is_found(project, capsys):
    """A slug typed in capitals or with spaces around it, or the title copied from the
    page, names its paper (each was 'no paper with this slug'), and the command says
    which; text that makes no slug at all still names none."""
    for ref, slug in [("FocusLLM", "focusllm"), (" landmark-attention ", "landmark-attention"),
                      ("Ring Attention with Blockwise Transformers for Near-Infinite Context",
                       "ring-attention-with-blockwise-transformers-for-near"),
                      ("RING attention", "ring-attention-with-blockwise-transformers-for-near")]:
        (project / f"content/papers/{slug}.md").write_text("---\ntitle: T\n---\n")
        assert run("status", ref, "reading") == 0
        assert capsys.readouterr().out == (
            f"'{ref}' is content/papers/{slug}.md\n"
            f"  updated content/papers/{slug}.md (status: reading)\n")
    assert run("status", "注意", "read") == 2
    assert capsys.readouterr().err == "注意: error: no paper with this slug or path in " \
                                      "content/papers\n"


def test_an_ambiguous_start_lists_the_candidates_and_changes_nothing(project, capsys):
    (project / "content/papers/landmark-tokens.md").write_text("---\ntitle: Landmark Tokens\n---\n")
    before = papers(project)
    assert run("rate", "landmark", "focusllm", "4") == 2
    captured = capsys.readouterr()
    assert captured.err == ("landmark: error: names 2 papers: landmark-attention, "
                            "landmark-tokens; give more of the slug\n")
    assert captured.out == "Nothing changed.\n"
    assert papers(project) == before


def test_tag_needs_something_to_do(project, capsys):
    assert run("tag", "focusllm") == 2
    err = capsys.readouterr().err
    assert "give --add TAG and/or --remove TAG" in err and "to add the tag" not in err
    # the tag typed where a paper goes: the command meant is shown, and nothing changes
    before = (project / "content/papers").glob("*.md")
    saved = {p: p.read_bytes() for p in before}
    assert run("tag", "focusllm", "long context") == 2
    assert capsys.readouterr().err.endswith(
        "(to add the tag 'long context': readinglist tag focusllm --add 'long context')\n")
    assert {p: p.read_bytes() for p in saved} == saved


def test_broken_file_is_reported_and_left_alone(project, capsys):
    broken = project / "content/papers/broken.md"
    broken.write_text("---\ntitle: [unclosed\n")
    assert run("status", "broken", "focusllm", "read") == 1
    captured = capsys.readouterr()
    assert captured.err == ("content/papers/broken.md:1: error: front matter is not closed: "
                            "add a '---' line after it; fix it by hand first\n")
    assert "  updated content/papers/focusllm.md (status: read)" in captured.out
    assert broken.read_text() == "---\ntitle: [unclosed\n"



def test_an_edit_keeps_the_files_crlf_line_ends(project, capsys):
    """Only the edited key's lines change, as the README says: in a file saved with CRLF
    the other lines are not rewritten with LF."""
    crlf = project / "content/papers/windows.md"
    crlf.write_bytes(b"---\r\ntitle: Saved on Windows\r\nstatus: unread\r\n---\r\n\r\n"
                     b"Notes,\r\non two lines.\r\n")
    assert run("status", "windows", "read") == 0
    assert run("tag", "windows", "--add", "os") == 0
    assert crlf.read_bytes() == (b"---\r\ntitle: Saved on Windows\r\ntags:\r\n- os\r\n"
                                 b"status: read\r\n---\r\n\r\nNotes,\r\non two lines.\r\n")


def test_an_edit_keeps_the_files_byte_order_mark(project, capsys):
    """A file Notepad saved (a BOM, CRLF) keeps both: only the edited key's line changes."""
    notepad = project / "content/papers/notepad.md"
    notepad.write_bytes(b"\xef\xbb\xbf---\r\ntitle: Saved in Notepad\r\nstatus: unread\r\n"
                        b"---\r\n\r\nNotes.\r\n")
    assert run("status", "notepad", "read") == 0
    assert notepad.read_bytes() == (b"\xef\xbb\xbf---\r\ntitle: Saved in Notepad\r\n"
                                    b"status: read\r\n---\r\n\r\nNotes.\r\n")


def test_a_file_that_is_not_utf8_is_reported_and_left_alone(project, capsys):
    """(It was an internal error, exit status 3, and the other papers were not edited.)"""
    broken = project / "content/papers/latin1.md"
    broken.write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    assert run("rate", "latin1", "focusllm", "4") == 1
    captured = capsys.readouterr()
    assert captured.err == ("content/papers/latin1.md:2: error: not UTF-8 text (invalid "
                            "continuation byte); save it as UTF-8\n")
    assert "  updated content/papers/focusllm.md (rating: 4)" in captured.out
    assert broken.read_bytes() == b"---\ntitle: Caf\xe9\n---\n"
    # check and build name the line of the first byte that is not UTF-8, as the edit did
    assert run("check") == 1
    assert run("build") == 1
    assert capsys.readouterr().err.count("content/papers/latin1.md:2: error: not UTF-8 text "
                                         "(invalid continuation byte); save it as UTF-8") == 2

# --- import ----------------------------------------------------------------------------

def test_import_dry_run_writes_nothing(project, capsys):
    listing = LISTINGS / "001_577e5b2b9d487c00.txt"
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    contents = papers(project)
    assert run("import", str(listing), "--year", "2026", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would create content/papers/" in out
    assert "Dry run, nothing written: " in out
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert papers(project) == contents
    would = out.count("would create")
    assert run("import", str(listing), "--year", "2026") == 0
    assert len(papers(project)) == len(contents) + would


def test_import_of_a_missing_file_fails(project, capsys):
    (project / "good.txt").write_text("CL Mar 16, 2022 Code\nA Paper\n")
    before = papers(project)
    assert run("import", "good.txt", "nope.txt", "--year", "2026") == 2
    captured = capsys.readouterr()
    assert "nope.txt: error: cannot read: No such file or directory" in captured.err
    assert "Nothing imported." in captured.out
    assert papers(project) == before


@pytest.mark.parametrize("year", ["26", "0026", "twenty", "20266"])
def test_import_takes_a_four_digit_year(project, capsys, year):
    (project / "good.txt").write_text("CL Mar 16, 2022 Code\nA Paper\n")
    assert status("import", "good.txt", "--year", year) == 2
    assert "argument --year: expected a four-digit year such as 2025" in capsys.readouterr().err


def test_unknown_verb_is_a_command_line_mistake(project, capsys):
    assert status("publish") == 2
    assert "invalid choice: 'publish'" in capsys.readouterr().err


def test_an_internal_error_is_one_line_without_traceback(project, capsys, monkeypatch):
    from generator import check

    def broken(path):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(check, "check_project", broken)
    assert run("check") == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("readinglist: internal error in 'check' at cli.py:")
    assert "ZeroDivisionError: division by zero" in err and "please report it" in err


# --- colours ---------------------------------------------------------------------------

class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colours_on_a_terminal_unless_no_color(project, monkeypatch):
    (project / "content/papers/bad.md").write_text("---\ntitle: X\nrating: 9\n---\n")
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(sys, "stderr", TTY())
    assert run("check") == 1
    coloured = sys.stderr.getvalue()
    assert "\033[1;31merror\033[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys, "stderr", TTY())
    assert run("check") == 1
    plain = sys.stderr.getvalue()
    assert "\033[" not in plain
    assert plain == "content/papers/bad.md:3: error: rating: expected a rating from 1 to 5, " \
                    "got 9\n"


def test_commands_run_in_the_content_folder_work_on_its_list(project: Path, monkeypatch,
                                                             capsys):
    """People edit entries in content/papers/ and run `new` or `tag` there: that was a list
    of its own (every setting its default), and `new` made content/papers/content/papers/.
    A folder inside a list's content folder is that list's."""
    papers_dir = project / "content" / "papers"
    monkeypatch.chdir(papers_dir)
    assert run("new", "A Paper Made Here") == 0
    assert capsys.readouterr().out.strip() == "a-paper-made-here.md"
    assert (papers_dir / "a-paper-made-here.md").is_file()
    assert not (papers_dir / "content").exists()
    assert run("tag", "focusllm", "--add", "rag") == 0
    assert "rag" in read_front_matter((papers_dir / "focusllm.md").read_text())[0]["tags"]
    assert run("build") == 0
    assert (project / "site" / "papers" / "a-paper-made-here" / "index.html").is_file()
    assert not (papers_dir / "site").exists()


def test_a_folder_beside_a_list_is_not_taken_for_it(tmp_path: Path, monkeypatch):
    """Only the content folder of a list is the list's: a new folder next to it (or below a
    home folder holding some other config.yaml) starts a list of its own, as before."""
    (tmp_path / "config.yaml").write_text("title: Above\n")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    own = tmp_path / "elsewhere"
    own.mkdir()
    monkeypatch.chdir(own)
    assert run("new", "Mine") == 0
    assert (own / "content" / "papers" / "mine.md").is_file()
    assert list((tmp_path / "content" / "papers").iterdir()) == []
