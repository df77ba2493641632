"""`readinglist import` end to end: the bundled content is reproducible, bad input is reported."""

from __future__ import annotations

import filecmp
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from generator.cli import main
from generator.content import parse_paper
from generator.model import Paper

REPO = Path(__file__).resolve().parent.parent
LISTINGS = sorted((REPO / "content" / "listings").glob("*.txt"))
SHIPPED = REPO / "content" / "papers"
EPOCH = "1795305600"  # 2026-11-22, the `added` date of the bundled content


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    (tmp_path / "config.yaml").write_text("title: Test\n")
    shutil.copytree(REPO / "themes", tmp_path / "themes")
    return tmp_path


# What the bundled list's owner wrote on top of the imported files (tags, statuses,
# ratings, notes): everything else in each file is the importer's.
USER_FIELDS = ("tags", "status", "rating", "notes")


def _papers(folder: Path) -> dict[str, Paper]:
    papers = {}
    for path in sorted(folder.glob("*.md")):
        paper, problems = parse_paper(path.read_text(encoding="utf-8"), path.name, path.stem)
        assert paper is not None and not problems, problems
        papers[path.name] = paper
    return papers


def test_import_reproduces_the_bundled_content(project: Path, capsys) -> None:
    """A fresh import gives every bundled file, as the importer wrote it before its owner
    tagged, rated and annotated it."""
    assert main(["import", *map(str, LISTINGS), "--year", "2026"]) == 0
    assert capsys.readouterr().out.strip().endswith(
        "183 created, 0 updated, 0 unchanged, 0 skipped")
    ours, shipped = _papers(project / "content" / "papers"), _papers(SHIPPED)
    assert sorted(ours) == sorted(shipped)
    for name, paper in ours.items():
        assert replace(paper, **{f: getattr(shipped[name], f) for f in USER_FIELDS}) == \
            shipped[name], name
    edited = [n for n in ours if any(getattr(ours[n], f) != getattr(shipped[n], f)
                                     for f in USER_FIELDS)]
    assert len(edited) >= 30  # the bundled list shows tags, statuses, ratings and notes


def test_import_over_the_bundled_content_keeps_every_edit(project: Path, capsys) -> None:
    """Re-importing the listings over the owner's edits changes nothing, byte for byte,
    and rewrites no file."""
    ours = project / "content" / "papers"
    shutil.copytree(SHIPPED, ours)
    stamps = {p: p.stat().st_mtime_ns for p in ours.iterdir()}
    for _ in range(2):
        assert main(["import", *map(str, LISTINGS), "--year", "2026"]) == 0
        assert capsys.readouterr().out.strip().endswith(
            "0 created, 0 updated, 183 unchanged, 0 skipped")
        cmp = filecmp.dircmp(ours, SHIPPED)
        assert cmp.left_only == [] and cmp.right_only == []
        _, mismatch, errors = filecmp.cmpfiles(ours, SHIPPED, cmp.common_files, shallow=False)
        assert mismatch == [] and errors == []
        assert {p: p.stat().st_mtime_ns for p in ours.iterdir()} == stamps
    papers = _papers(ours)
    assert sum(1 for p in papers.values() if p.notes.strip()) >= 5
    assert {p.status for p in papers.values()} == {"unread", "reading", "read"}
    assert sum(1 for p in papers.values() if p.rating) >= 5
    assert sum(1 for p in papers.values() if p.tags) >= 30


def test_dry_run_writes_nothing_and_says_what_would_happen(project: Path, capsys) -> None:
    assert main(["import", str(LISTINGS[0]), "--year", "2026", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would create content/papers/focusllm-precise-understanding-of-long-context-by" in out
    assert out.strip().endswith("Dry run, nothing written: 6 created, 0 updated, 0 unchanged, "
                                "0 skipped")
    assert not (project / "content" / "papers").exists()


def test_year_defaults_to_this_year_and_says_so(project: Path, capsys) -> None:
    assert main(["import", str(LISTINGS[1])]) == 0
    assert "Dates without a year are read as 2026" in capsys.readouterr().out


def test_a_page_whose_every_date_has_its_year_does_not_speak_of_dates_without_one(
        project: Path, capsys) -> None:
    """An ACL Anthology page dates its papers by year headings: --year changes nothing."""
    assert main(["import", str(LISTINGS[0]), "--format", "acl-anthology", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dates without a year" not in out and "6 created" in out


@pytest.mark.parametrize("name,data,message", [
    ("empty.txt", b"", "empty.txt: error: empty listing"),
    ("blank.txt", b"\n\n   \n", "blank.txt: error: empty listing"),
    ("prose.txt", b"Dear diary,\nToday I read nothing.\n", "prose.txt: error: could not "
                                                            "recognise the listing format"),
    ("binary.bin", bytes(range(256)) * 8, "binary.bin"),
    ("saved.html", b"\xef\xbb\xbf\n<!DOCTYPE html>\n<html lang=en><head><title>Daily Papers - "
                   b"Hugging Face</title></head><body><h3>A Paper</h3></body></html>\n",
     "saved.html:1: error: this is a saved web page (HTML), not its text: open the page in a "
     "browser, select all, copy, and paste into a text file to import"),
])
def test_bad_files_are_reported_and_nothing_is_imported(project: Path, capsys, name: str,
                                                        data: bytes, message: str) -> None:
    (project / name).write_bytes(data)
    assert main(["import", name, "--year", "2026"]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert "0 created, 0 updated, 0 unchanged" in captured.out
    assert not list((project / "content").rglob("*.md")) if (project / "content").exists() \
        else True


def test_missing_file_is_an_error(project: Path, capsys) -> None:
    assert main(["import", "nope.txt"]) == 2  # a mistake on the command line
    assert "nope.txt: error: cannot read" in capsys.readouterr().err


def test_garbled_entry_in_a_good_listing_is_reported_and_the_rest_imported(
        project: Path, capsys) -> None:
    lines = LISTINGS[2].read_text(encoding="utf-8").split("\n")
    lines[6] = "@@@ ### a header line mangled beyond recognition"  # the 3rd entry's first line
    (project / "garbled.txt").write_text("\n".join(lines), encoding="utf-8")
    assert main(["import", "garbled.txt", "--year", "2026"]) == 1  # an entry was lost
    captured = capsys.readouterr()
    assert "garbled.txt:7: error:" in captured.err
    assert "49 created, 0 updated, 0 unchanged, 1 skipped" in captured.out
    assert not list((project / "content" / "papers").glob("muser*"))


def test_crlf_bom_and_nbsp_import_the_same_papers(project: Path, capsys) -> None:
    text = LISTINGS[1].read_text(encoding="utf-8")
    noisy = "\ufeff" + text.replace("\n", "\r\n").replace("  • ", "\u00a0 • ")
    (project / "noisy.txt").write_text(noisy, encoding="utf-8", newline="")
    assert main(["import", "noisy.txt", "--year", "2026"]) == 0
    assert "42 created" in capsys.readouterr().out


def test_user_edits_survive_reimport_of_a_changed_listing(project: Path, capsys) -> None:
    hf = LISTINGS[1]
    assert main(["import", str(hf), "--year", "2026"]) == 0
    path = project / "content/papers/small-language-model-makes-an-effective-long-text-extractor.md"
    text = path.read_text(encoding="utf-8")
    edited = text.replace("tags: []\nstatus: unread\n",
                          "tags: [ner, long-context]  # mine\nstatus: read\nrating: 5\n"
                          "# keep this comment\nreviewed_by: me\n") + "\nGreat paper.\n"
    path.write_text(edited, encoding="utf-8")
    changed = hf.read_text(encoding="utf-8").replace("  • 3 authors\n·\nFeb 11, 2025",
                                                     "  • 3 authors\n·\nFeb 11, 2025 7")
    (project / hf.name).write_text(changed, encoding="utf-8")  # the page, saved again later
    capsys.readouterr()
    assert main(["import", hf.name, "--year", "2026"]) == 0
    assert "1 updated" in capsys.readouterr().out
    after = path.read_text(encoding="utf-8")
    assert "comments: 7\n" in after
    assert after.replace("comments: 7\n", "") == edited  # every other byte as the user left it


def test_overlapping_second_paste_merges_and_keeps_every_edit(project: Path, capsys) -> None:
    """The page imported, a paper edited, then the page copied again in two overlapping
    halves from another browser (footers on one line with tabs, CRLF) with a button
    between them: no paper is created (none titled by the button), nothing the user
    wrote changes, and the only warnings name the two cut cards and the button."""
    hf = LISTINGS[1]
    assert main(["import", str(hf), "--year", "2026"]) == 0
    papers = project / "content" / "papers"
    before = {p.name for p in papers.glob("*.md")}
    path = papers / "small-language-model-makes-an-effective-long-text-extractor.md"
    edited = path.read_text(encoding="utf-8").replace(
        "tags: []\nstatus: unread\n", "tags: [ner]  # mine\nstatus: reading\nrating: 3\n"
    ) + "\nMy notes.\n"
    path.write_text(edited, encoding="utf-8")
    lines = hf.read_text(encoding="utf-8").split("\n")
    halves = [*lines[:200], "", "Load more", "", *lines[150:]]
    text = "\r\n".join(halves).replace("\r\n  • ", "\r\n• ").replace(
        " authors\r\n·\r\n", " authors\t·\t")
    (project / "again.txt").write_text(text, encoding="utf-8", newline="")
    capsys.readouterr()
    assert main(["import", "again.txt", "--year", "2026"]) == 0
    out, err = capsys.readouterr()
    assert "0 created" in out and "0 skipped" in out
    assert {p.name for p in papers.glob("*.md")} == before
    assert [line.split(": ")[1] for line in err.splitlines()] == ["warning"] * 3
    after = path.read_text(encoding="utf-8")
    assert after == edited.replace("  format: hf-daily-papers\n", "  format: hf-daily-papers\n"
                                   "- file: again.txt\n  format: hf-daily-papers\n", 1)


OLD_IMPORTER_FILE = """---
title: Small Language Model Makes an Effective Long Text Extractor
author_count: 3
authors_truncated: true
date: 2025-02-11
upvotes: 7
abstract: Named Entity Recognition (NER) is a fundamental problem.
sources:
- file: 001_577e5b2b9d487c00.txt
  format: hf-daily-papers
added: 2026-11-22
tags: [ner]  # mine
status: read
# keep this comment
reviewed_by: me
---

Great paper.
"""


def _old_list(project: Path, comments: int) -> Path:
    """A file the old importer wrote (``upvotes: 7``), and hf.txt: the bundled Hugging Face
    page with ``comments`` after that paper's date. Returns the file."""
    papers = project / "content" / "papers"
    papers.mkdir(parents=True)
    path = papers / "small-language-model-makes-an-effective-long-text-extractor.md"
    path.write_text(OLD_IMPORTER_FILE, encoding="utf-8")
    changed = LISTINGS[1].read_text(encoding="utf-8").replace(
        "  • 3 authors\n·\nFeb 11, 2025", f"  • 3 authors\n·\nFeb 11, 2025 {comments}")
    (project / "hf.txt").write_text(changed, encoding="utf-8")
    return path


def test_reimporting_an_old_list_moves_upvotes_to_comments(project: Path, capsys) -> None:
    """Importers before `comments` existed stored the number after the date as `upvotes`."""
    path = _old_list(project, comments=7)
    assert main(["import", "hf.txt", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "small-language-model-makes-an-effective-long-text-extractor.md (comments, links, " \
        "sources, upvotes)" in out
    after = path.read_text(encoding="utf-8")
    assert "upvotes:" not in after
    # The value moved to `comments`, in the same place; the user's lines are untouched.
    before_abstract = OLD_IMPORTER_FILE.split("abstract:")[0].replace("upvotes:", "comments:")
    assert after.startswith(before_abstract)
    assert after.endswith(OLD_IMPORTER_FILE[OLD_IMPORTER_FILE.index("added:"):])
    # Importing again changes nothing.
    assert main(["import", "hf.txt", "--year", "2026"]) == 0
    assert "0 updated" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == after


def test_an_upvotes_value_that_cannot_be_placed_is_left_with_a_warning(
        project: Path, capsys) -> None:
    path = _old_list(project, comments=9)
    assert main(["import", "hf.txt", "--year", "2026"]) == 0  # a warning only
    captured = capsys.readouterr()
    assert ("small-language-model-makes-an-effective-long-text-extractor.md:6: warning: "
            "upvotes: 7 may be a comment count") in captured.err
    after = path.read_text(encoding="utf-8")
    assert "upvotes: 7\n" in after and "comments: 9\n" in after


def test_user_comments_key_is_left_alone(project: Path, capsys) -> None:
    papers = project / "content" / "papers"
    papers.mkdir(parents=True)
    path = papers / "small-language-model-makes-an-effective-long-text-extractor.md"
    mine = OLD_IMPORTER_FILE.replace("reviewed_by: me\n", "comments: read it twice\n")
    path.write_text(mine, encoding="utf-8")
    changed = LISTINGS[1].read_text(encoding="utf-8").replace(
        "  • 3 authors\n·\nFeb 11, 2025", "  • 3 authors\n·\nFeb 11, 2025 7")
    (project / "hf.txt").write_text(changed, encoding="utf-8")
    assert main(["import", "hf.txt", "--year", "2026"]) == 0
    after = path.read_text(encoding="utf-8")
    assert "comments: read it twice\n" in after and "upvotes: 7\n" in after
    paper, problems = parse_paper(after, str(path), path.stem)
    assert paper is not None and paper.comments is None
    assert paper.extra["comments"] == "read it twice"
    assert not [d for d in problems if "comments" in d.message]


def test_forced_format_that_does_not_fit_imports_nothing(project: Path, capsys) -> None:
    assert main(["import", str(LISTINGS[0]), "--format", "hf-daily-papers"]) == 1
    captured = capsys.readouterr()
    assert "error: the text does not look like hf-daily-papers" in captured.err
    assert "it looks like acl-anthology" in captured.err
    assert "0 created, 0 updated, 0 unchanged" in captured.out
    assert not (project / "content" / "papers").exists()


def test_one_unreadable_file_among_good_ones_is_a_command_line_mistake(
        project: Path, capsys) -> None:
    """Exit 2 and nothing imported: the command names a file that is not there, so the
    user fixes the command and runs it again, rather than importing part of it."""
    before = sorted((project / "content" / "papers").glob("*.md"))
    assert main(["import", "nope.txt", str(LISTINGS[0]), "--year", "2026"]) == 2
    captured = capsys.readouterr()
    assert "nope.txt: error: cannot read" in captured.err
    assert "Nothing imported." in captured.out
    assert sorted((project / "content" / "papers").glob("*.md")) == before


def test_warnings_alone_exit_0(project: Path, capsys) -> None:
    """A page pasted twice, cut at both ends: the cut cards are warnings, not errors."""
    lines = LISTINGS[1].read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[30:200] + ["Daily", "Weekly", "Monthly"] + lines[100:300])
    (project / "twice.txt").write_text(text, encoding="utf-8")
    assert main(["import", "twice.txt", "--year", "2026"]) == 0
    captured = capsys.readouterr()
    assert "twice.txt:1: warning: skipped lines 1-5" in captured.err
    assert "error" not in captured.err and "ends inside a paper" in captured.err
    assert "skipped" in captured.out


def test_paper_page_shows_comments_and_upvotes(sample_site: Path) -> None:
    page = (sample_site / "papers" / "hf-tencent" / "index.html").read_text(encoding="utf-8")
    assert "<dt>Upvotes</dt><dd>12</dd>" in page
    assert "<dt>Comments</dt><dd>3</dd>" in page
    other = (sample_site / "papers" / "focusllm" / "index.html").read_text(encoding="utf-8")
    assert "<dt>Comments</dt>" not in other and "<dt>Upvotes</dt>" not in other
