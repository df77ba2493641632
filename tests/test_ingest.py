"""Import without loss: merge, idempotence, hand edits, atomic writes, safe slugs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import ingest
from generator.content import edit_front_matter, parse_paper, read_front_matter
from generator.ingest import apply_plan, plan_import
from generator.model import Entry, Listing, new_slug

HF = "hf-daily-papers"


def listing(*entries: Entry, source: str = "a.txt", fmt: str = HF) -> Listing:
    return Listing(source=source, format=fmt, entries=tuple(entries))


def entry(title: str = "Landmark Attention: Random-Access Infinite Context Length",
          **kw) -> Entry:
    base = dict(abstract="We present landmark attention. Code: https://github.com/x/y",
                authors_truncated=True, author_count=2, date="2026-01-02", upvotes=3,
                urls=("https://github.com/x/y",), line=1)
    base.update(kw)
    return Entry(title=title, **base)


def run(papers: Path, *listings: Listing, added: str = "2026-11-22") -> ingest.ImportPlan:
    plan = plan_import(listings, papers, added=added)
    apply_plan(plan, papers)
    return plan


def only_file(papers: Path) -> Path:
    files = sorted(papers.glob("*.md"))
    assert len(files) == 1, files
    return files[0]


def test_creates_one_file_per_paper_with_front_matter_and_empty_notes(tmp_path: Path) -> None:
    plan = run(tmp_path, listing(entry(), entry("Another Paper", date="2026-02-03")))
    assert plan.summary() == "2 created, 0 updated, 0 unchanged, 0 skipped"
    path = tmp_path / "landmark-attention-random-access-infinite-context-length.md"
    data, body, _ = read_front_matter(path.read_text())
    assert data["title"] == "Landmark Attention: Random-Access Infinite Context Length"
    assert str(data["date"]) == "2026-01-02"
    assert data["links"] == ["https://github.com/x/y"]
    assert data["sources"] == [{"file": "a.txt", "format": HF}]
    assert str(data["added"]) == "2026-11-22"
    assert data["tags"] == [] and data["status"] == "unread"
    assert body == ""
    paper, problems = parse_paper(path.read_text(), str(path), path.stem)
    assert paper is not None and problems == []


def test_same_paper_in_two_listings_is_one_merged_file(tmp_path: Path) -> None:
    short = entry(abstract="Short.", upvotes=1, comments=4, organizations=("Tencent",),
                  date="2026")
    full = entry("landmark attention:  random-access infinite context length",
                 abstract="A much longer abstract than the other one.", upvotes=None, comments=2,
                 organizations=("NVIDIA",), authors=("Amirkeivan Mohtashami", "Martin Jaggi"),
                 authors_truncated=False, author_count=None)
    plan = run(tmp_path, listing(short, source="one.txt"),
               listing(full, source="two.txt", fmt="compact-listing"))
    assert plan.count("create") == 1
    data, _, _ = read_front_matter(only_file(tmp_path).read_text())
    assert data["authors"] == ["Amirkeivan Mohtashami", "Martin Jaggi"]
    assert "authors_truncated" not in data and "author_count" not in data
    assert str(data["date"]) == "2026-01-02" and "year" not in data  # most precise wins
    assert data["abstract"] == "A much longer abstract than the other one."
    assert data["organizations"] == ["Tencent", "NVIDIA"]
    assert data["upvotes"] == 1 and data["comments"] == 4  # the larger count is the newer
    assert data["sources"] == [{"file": "one.txt", "format": HF},
                               {"file": "two.txt", "format": "compact-listing"}]


def test_title_match_ignores_case_punctuation_spacing_and_unicode_form(tmp_path: Path) -> None:
    run(tmp_path, listing(entry("Mem-α: Learning Memory")))
    plan = run(tmp_path, listing(entry("MEM–α  learning memory", abstract="longer " * 30),
                                 source="b.txt"))
    assert plan.count("update") == 1 and plan.count("create") == 0
    assert len(list(tmp_path.glob("*.md"))) == 1


def test_reimport_is_idempotent_and_does_not_touch_files(tmp_path: Path) -> None:
    source = listing(entry(), entry("Second Paper"))
    run(tmp_path, source)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*.md")}
    os.utime(tmp_path)  # any write would bump the files' mtimes past these
    plan = run(tmp_path, source, added="2030-01-01")
    assert plan.summary() == "0 created, 0 updated, 2 unchanged, 0 skipped"
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*.md")}
    assert after == before


HAND_EDITED = """---
# My own comment about this paper, keep it!
title: "Landmark Attention: Random-Access Infinite Context Length"
date: 2026-01-02
upvotes: 3
abstract: 'We present landmark attention. Code: https://github.com/x/y'
links:
- https://github.com/x/y
sources:
- file: a.txt
  format: hf-daily-papers
added: 2026-11-01
tags: [long-context, attention]   # inline comment
status: reading
rating: 4
reviewer: Jane   # an unknown key of the user's
---

## My notes

Works like *landmarks* in a book.
"""


def test_hand_edited_file_keeps_notes_user_fields_unknown_keys_and_comments(
        tmp_path: Path) -> None:
    path = tmp_path / "landmark.md"
    path.write_text(HAND_EDITED)
    plan = run(tmp_path, listing(entry(upvotes=12, abstract="We present landmark attention. "
                                        "It is great. Code: https://github.com/x/y")))
    assert plan.summary() == "0 created, 1 updated, 0 unchanged, 0 skipped"
    text = path.read_text()
    assert "# My own comment about this paper, keep it!\n" in text
    assert "tags: [long-context, attention]   # inline comment\n" in text
    assert "reviewer: Jane   # an unknown key of the user's\n" in text
    assert text.endswith("---\n\n## My notes\n\nWorks like *landmarks* in a book.\n")
    data, _, _ = read_front_matter(text)
    assert data["upvotes"] == 12
    # the file's abstract may be the user's: a page's longer one does not replace it
    assert data["abstract"] == "We present landmark attention. Code: https://github.com/x/y"
    assert data["status"] == "reading" and data["rating"] == 4
    assert str(data["added"]) == "2026-11-01"
    # The lines of keys the import did not change are byte for byte the same.
    unchanged = [ln for ln in HAND_EDITED.splitlines()
                 if not ln.startswith(("upvotes:", "author_count", "authors_"))]
    for line in unchanged:
        assert line in text.splitlines()


def test_failed_import_half_way_leaves_every_file_whole(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path, listing(entry("First"), entry("Second"), entry("Third")))
    before = {p.name: p.read_text() for p in tmp_path.glob("*.md")}
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(ingest.os, "replace", failing_replace)
    plan = plan_import([listing(entry("First", upvotes=9), entry("Second", upvotes=9),
                                entry("Third", upvotes=9))], tmp_path, added="2026-11-22")
    with pytest.raises(OSError):
        apply_plan(plan, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no temp files left
    for path in tmp_path.glob("*.md"):
        data, _, _ = read_front_matter(path.read_text())
        assert data["upvotes"] in (3, 9)
        assert path.read_text() == before[path.name] or data["upvotes"] == 9


def test_a_file_saved_while_the_import_runs_is_left_as_saved(tmp_path: Path) -> None:
    """An import reads the folder, then writes: a file the user saves in between (notes
    typed while a big import runs), or one made meanwhile, keeps what they wrote; the
    import says so, with an error, and a second import merges into it."""
    apply_plan(plan_import([listing(entry("First", upvotes=3))], tmp_path,
                           added="2026-01-01"), tmp_path)
    (first,) = tmp_path.glob("*.md")
    plan = plan_import([listing(entry("First", upvotes=9), entry("Second", upvotes=9))],
                       tmp_path, added="2026-01-02")
    saved = first.read_text() + "My notes, saved just now.\n"
    first.write_text(saved)
    second = next(c.path for c in plan.changes if c.action == "create")
    second.write_text("---\ntitle: Second\n---\nWritten by hand meanwhile.\n")
    left = apply_plan(plan, tmp_path)
    assert first.read_text() == saved
    assert second.read_text().endswith("Written by hand meanwhile.\n")
    assert {(d.severity, d.path, d.message.split(";")[0]) for d in left} == {
        ("error", str(second), "appeared while the import ran"),
        ("error", str(first), "changed while the import ran")}
    again = plan_import([listing(entry("First", upvotes=9))], tmp_path, added="2026-01-02")
    assert apply_plan(again, tmp_path) == []
    data, body, _ = read_front_matter(first.read_text())
    assert data["upvotes"] == 9 and body.endswith("My notes, saved just now.\n")


def test_an_update_keeps_the_files_crlf_line_ends(tmp_path: Path) -> None:
    """A file saved with CRLF (Windows, git's autocrlf) is updated line by line like any
    other: only the updated key's lines change, and every line keeps its CRLF."""
    run(tmp_path, listing(entry("First", upvotes=3)))
    (first,) = tmp_path.glob("*.md")
    lf = first.read_bytes() + b"My notes,\non two lines.\n"
    first.write_bytes(lf.replace(b"\n", b"\r\n"))
    run(tmp_path, listing(entry("First", upvotes=9)))
    assert first.read_bytes() == lf.replace(b"upvotes: 3", b"upvotes: 9").replace(
        b"\n", b"\r\n")


def test_an_update_keeps_the_files_byte_order_mark(tmp_path: Path) -> None:
    """A file saved with a BOM (Windows Notepad) keeps it through an update."""
    run(tmp_path, listing(entry("First", upvotes=3)))
    (first,) = tmp_path.glob("*.md")
    saved = b"\xef\xbb\xbf" + first.read_bytes() + b"My notes.\n"
    first.write_bytes(saved)
    run(tmp_path, listing(entry("First", upvotes=9)))
    assert first.read_bytes() == saved.replace(b"upvotes: 3", b"upvotes: 9")


def test_slugs_are_safe_unique_and_ascii(tmp_path: Path) -> None:
    titles = ["../../etc/passwd", "Mem-α: Memory", "MC#: Mixture", "Scales++ Attention",
              "", "???", "A" * 300, "Same Title", "Same Title!",
              "Große Modelle: Łódź, Øresund, Þing, Æther"]
    plan = plan_import([listing(*(entry(t) for t in titles))], tmp_path, added="2026-01-01")
    apply_plan(plan, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert all(p.parent == tmp_path for p in tmp_path.rglob("*.md"))
    assert all(n.isascii() and "/" not in n and not n.startswith(".") for n in names)
    assert "etc-passwd.md" in names and "mem-alpha-memory.md" in names
    assert "mcsharp-mixture.md" in names and "scalespp-attention.md" in names
    # letters Unicode does not decompose are spelled out, not dropped
    assert "grosse-modelle-lodz-oresund-thing-aether.md" in names
    assert max(len(n) for n in names) <= 64
    # "Same Title" and "Same Title!" are one paper; "" and "???" have no title: skipped.
    assert plan.count("create") == len(titles) - 3
    assert plan.count("skip") == 2


NON_LATIN = ["大型语言模型的推理能力研究", "大型语言模型的对齐", "日本語の大規模言語モデル",
             "한국어 언어 모델의 추론", "Модели языка для русского", "LLM 推理能力", "LLM 对齐"]


def test_titles_in_other_scripts_have_names_of_their_own(tmp_path: Path) -> None:
    """A title a slug cannot spell (no Latin letters, or some dropped) is named with a
    hash of it: each paper its own name, the same in whatever order papers arrive."""
    names = []
    for order in (NON_LATIN, NON_LATIN[::-1]):
        folder = tmp_path / str(len(names))
        for title in order:  # one import each: the order they come in
            apply_plan(plan_import([listing(entry(title))], folder, added="2026-01-01"),
                       folder)
        names.append({parse_paper(p.read_text(), p.name, p.stem)[0].title: p.name
                      for p in folder.glob("*.md")})
    assert names[0] == names[1] and len(set(names[0].values())) == len(NON_LATIN)
    assert all(n.isascii() and len(n) <= 64 for n in names[0].values())
    assert names[0]["LLM 推理能力"].startswith("llm-")
    assert names[0]["大型语言模型的推理能力研究"].startswith("paper-")
    # a title in Latin letters only is named as before, without a hash
    assert new_slug("Große Modelle: Łódź") == "grosse-modelle-lodz"


def test_the_readme_names_files_as_import_does() -> None:
    """The README's examples of names with a hash are the names a new file gets."""
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"`([^`]+)` is `([a-z0-9-]+-[0-9a-f]{8})\.md`", readme)
    assert len(examples) >= 2
    for title, name in examples:
        assert ingest.title_slug(title) == name, title


@pytest.mark.parametrize("title, name", [
    (r"Reasoning about $\mathcal{O}(n)$ Programs", "reasoning-about-o-n-programs.md"),
    (r"The \texttt{lm-eval} Harness", "the-lm-eval-harness.md"),
    (r"\'{E}valuer les mod\`{e}les", "evaluer-les-modeles.md"),
    (r"$k$NN-LM Revisited", "knn-lm-revisited.md"),
    ("Plain *and* `marked` Words", "plain-and-marked-words.md"),
])
def test_a_new_file_is_named_by_the_words_its_title_shows(tmp_path: Path, title: str,
                                                           name: str) -> None:
    """Not by its LaTeX commands (``mathcal``, ``texttt``) or a letter split off its
    accent: the name is the title as its page shows it."""
    run(tmp_path, listing(entry(title)))
    assert [p.name for p in tmp_path.glob("*.md")] == [name]
    # and the same listing again finds it (by its title) rather than naming a second file
    assert run(tmp_path, listing(entry(title))).summary().startswith("0 created")


def test_unreadable_existing_file_is_left_alone_and_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\nnotes\n")
    plan = run(tmp_path, listing(entry()))
    assert broken.read_text() == "---\ntitle: [unclosed\n---\nnotes\n"
    assert any("broken.md" in d.path and d.line for d in plan.diagnostics)
    assert plan.count("create") == 1


# --- property: random user edits survive random re-imports -----------------------------

user_values = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.integers(-1000, 1000), st.booleans(),
    st.lists(st.text(alphabet="abcdefghij-", min_size=1, max_size=8), max_size=4))
user_keys = st.sampled_from(["tags", "status", "rating", "reviewer", "my_score", "x-note"])
notes = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                       blacklist_characters="\r\x00\x0b\x0c\x1c\x1d\x1e"
                                                            "\x85\u2028\u2029"),
                max_size=200)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.dictionaries(user_keys, user_values, max_size=4), body=notes,
       upvotes=st.integers(0, 500), abstract=st.text(min_size=1, max_size=300),
       comment=st.text(alphabet="abc xyz#!", max_size=20))
def test_random_user_edits_survive_random_reimports(tmp_path_factory, edits, body, upvotes,
                                                    abstract, comment) -> None:
    papers = tmp_path_factory.mktemp("papers")
    run(papers, listing(entry()))
    path = only_file(papers)
    text = path.read_text()
    user_block = yaml.safe_dump(edits, allow_unicode=True, sort_keys=True) if edits else ""
    comment_line = f"# {comment}\n"
    text = text.replace("tags: []\nstatus: unread\n", comment_line + user_block)
    text = text + "\n" + body
    path.write_text(text)
    expected_user, expected_body, _ = read_front_matter(text)
    run(papers, listing(entry(upvotes=upvotes, abstract=abstract.strip() or "x")))
    new_text = path.read_text()
    data, new_body, _ = read_front_matter(new_text)
    assert new_body == expected_body
    assert comment_line in new_text
    for key, value in edits.items():
        assert data[key] == value
    assert data["upvotes"] == max(upvotes, 3)


@pytest.mark.parametrize("value", ["Short.", "A longer abstract. " * 12, "Two\nlines.",
                                   ["a", "b"], "ends with # a hash"])
def test_a_comment_ending_an_updated_line_stays_out_of_the_value(value) -> None:
    """A comment at the end of a key's line stays on the new first line only where it is
    still a comment: never inside a value folded over several lines or quoted."""
    text = "---\ntitle: T\nabstract: Old.   # from arXiv\nstatus: read\n---\nNotes.\n"
    new = edit_front_matter(text, {"abstract": value})
    data, body, _ = read_front_matter(new)
    assert data == {"title": "T", "abstract": value, "status": "read"} and body == "Notes.\n"
    assert "# from arXiv" in new
    assert new.startswith("---\ntitle: T\nabstract:")
