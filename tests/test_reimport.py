"""Importing again never loses a byte the user wrote and never duplicates a paper the user
edited: end to end through `readinglist import`, then reading the files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.content import edit_front_matter, read_front_matter
from generator.ingest import identities, with_line_ends

REPO = Path(__file__).resolve().parent.parent
LISTINGS = REPO / "tests" / "fixtures" / "listings"
ACL = LISTINGS / "000_ff23be9fabf58e73.txt"
HF = LISTINGS / "001_577e5b2b9d487c00.txt"
COMPACT = LISTINGS / "002_ae8b9bc7ec52ca07.txt"
EPOCH = "1795305600"  # 2026-11-22

FOCUS = "focusllm-precise-understanding-of-long-context-by-dynamic.md"
SMALL = "small-language-model-makes-an-effective-long-text-extractor.md"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    (tmp_path / "config.yaml").write_text("title: Test\n")
    return tmp_path


def _import(*files: Path | str) -> int:
    return main(["import", *map(str, files), "--year", "2026"])


def _files(project: Path) -> set[str]:
    return {p.relative_to(project / "content/papers").as_posix()
            for p in (project / "content/papers").rglob("*.md")}


def _front(path: Path) -> dict:
    return read_front_matter(path.read_text(encoding="utf-8"))[0]


def _retitle(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert f"title: {old}\n" in text
    path.write_text(text.replace(f"title: {old}\n", f"title: {new}\n", 1), encoding="utf-8")


# --- 1. a title the user edited ---------------------------------------------------------

@pytest.mark.parametrize("listing, name, old, new", [
    (ACL, FOCUS, "'FocusLLM: Precise Understanding of Long Context by Dynamic Condensing'",
     "'FocusLLM: Precise Understanding of Long Contexts by Dynamic Condensing'"),
    (ACL, FOCUS, "'FocusLLM: Precise Understanding of Long Context by Dynamic Condensing'",
     "FocusLLM"),
    (HF, SMALL, "Small Language Model Makes an Effective Long Text Extractor",
     "Small Language Model Makes an Effective Long-Text Extractor (SeNER)"),
    (COMPACT, "tool-learning-with-foundation-models.md", "Tool Learning with Foundation Models",
     "Tool learning with foundation models (survey)"),
])
def test_a_retitled_paper_is_not_imported_twice(project: Path, capsys, listing: Path,
                                                 name: str, old: str, new: str) -> None:
    """The same page pasted again after the user fixed or shortened a title: the file is
    matched (by its name, first author and year, or its abstract), the user's title stays,
    and nothing else changes."""
    assert _import(listing) == 0
    path = project / "content/papers" / name
    _retitle(path, old, new)
    before, files = path.read_bytes(), _files(project)
    capsys.readouterr()
    assert _import(listing) == 0
    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out, out
    assert _files(project) == files
    assert path.read_bytes() == before


def test_a_retitled_and_renamed_paper_is_matched_by_its_abstract(project: Path, capsys) -> None:
    assert _import(HF) == 0
    path = project / "content/papers" / SMALL
    _retitle(path, "Small Language Model Makes an Effective Long Text Extractor", "SeNER")
    moved = project / "content/papers/ner/sener.md"
    moved.parent.mkdir()
    path.rename(moved)
    before, files = moved.read_bytes(), _files(project)
    capsys.readouterr()
    assert _import(HF) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert _files(project) == files and moved.read_bytes() == before


BIB = """@inproceedings{{li-etal-2025-focusllm,
    title = "{title}",
    author = "Li, Zhenyu and Zhang, Yike",
    booktitle = "Proceedings of ACL",
    year = "2025",
    {ids}
}}
"""


@pytest.mark.parametrize("first, second", [
    ('doi = "10.18653/v1/2025.acl-long.1"', 'doi = "https://doi.org/10.18653/v1/2025.acl-long.1"'),
    ('doi = "https://dx.doi.org/10.18653/V1/2025.ACL-LONG.1"',
     'doi = "10.18653/v1/2025.acl-long.1"'),
    ('url = "https://aclanthology.org/2025.acl-long.1/"',
     'url = "http://aclanthology.org/2025.acl-long.1.pdf"'),
    ('url = "https://aclanthology.org/2025.acl-long.1/"', 'doi = "10.18653/v1/2025.acl-long.1"'),
    ('eprint = "2408.11745v2", archivePrefix = "arXiv"',
     'url = "https://arxiv.org/pdf/2408.11745"'),
    ('url = "https://arxiv.org/abs/2408.11745v1"',
     'url = "https://huggingface.co/papers/2408.11745"'),
    ('doi = "10.48550/arXiv.2408.11745"',
     'eprint = "2408.11745", archivePrefix = "arXiv"'),
    ('url = "https://openreview.net/forum?id=AbC12xYz"',
     'url = "https://openreview.net/pdf?id=AbC12xYz"'),
])
def test_a_retitled_paper_is_matched_by_its_identifier(project: Path, capsys, first: str,
                                                       second: str) -> None:
    """A reference-manager entry carries an identifier, written differently by another
    source: the file whose title the user changed is found by it, and keeps the title."""
    title = "FocusLLM: Precise Understanding of Long Context by Dynamic Condensing"
    (project / "one.bib").write_text(BIB.format(title=title, ids=first), encoding="utf-8")
    assert _import("one.bib") == 0
    [name] = _files(project)
    path = project / "content/papers" / name
    _retitle(path, f"'{title}'", "FocusLLM (ACL 2025)")
    renamed = path.with_name("focus.md")
    path.rename(renamed)
    (project / "two.bib").write_text(BIB.format(title=title + " (extended)", ids=second),
                                     encoding="utf-8")
    capsys.readouterr()
    assert _import("two.bib") == 0
    out = capsys.readouterr().out
    assert "0 created, 1 updated" in out, out  # the second source is recorded
    assert _files(project) == {"focus.md"}
    assert _front(renamed)["title"] == "FocusLLM (ACL 2025)"


@pytest.mark.parametrize("value, expected", [
    ({"doi": "https://doi.org/10.1000/ABC"}, ["doi:10.1000/abc"]),
    ({"doi": "doi:10.1000/abc."}, ["doi:10.1000/abc"]),
    ({"arxiv": "arXiv:2404.06395v3"}, ["arxiv:2404.06395"]),
    ({"url": "https://arxiv.org/pdf/2404.06395v2.pdf"}, ["arxiv:2404.06395"]),
    ({"url": "https://arxiv.org/html/2404.06395v2/"}, ["arxiv:2404.06395"]),
    ({"url": "https://huggingface.co/papers/2404.06395?from=daily"}, ["arxiv:2404.06395"]),
    ({"pdf": "https://www.aclweb.org/anthology/P19-1001.pdf"}, ["acl:p19-1001"]),
    ({"url": "https://github.com/org/repo"}, []),  # a link, not the paper's identity
])
def test_identities_are_normalised(value: dict, expected: list[str]) -> None:
    assert identities(value) == expected


def test_different_papers_with_similar_titles_stay_two_files(project: Path, capsys) -> None:
    """Names that slug alike are not enough: a different first author, a different year,
    a title cut to the same slug or one with no Latin letters makes another paper."""
    first = """@article{{a{n}, title = "{title}", author = "{author}", year = "{year}"}}\n"""
    pairs = [
        (("Graph Attention Networks", "Petar Velickovic", 2018),
         ("Graph Attention Networks!?", "Shaked Brody", 2018)),
        (("Deep Residual Learning", "Kaiming He", 2016),
         ("Deep Residual-Learning", "Kaiming He", 2017)),
        (("On the Limits of Very Long Context Windows in Large Language Model Inference, Part I",
          "Ann Lee", 2024),
         ("On the Limits of Very Long Context Windows in Large Language Model Inference, Part II",
          "Ann Lee", 2024)),
        (("\u6df1\u5ea6\u5b66\u4e60", "Wei Wang", 2020),
         ("\u6df1\u5c42\u7f51\u7edc", "Wei Wang", 2020)),
    ]
    text = "".join(first.format(n=i, title=t, author=a, year=y)
                   for i, (pair, _) in enumerate(pairs) for t, a, y in [pair])
    (project / "one.bib").write_text(text, encoding="utf-8")
    assert _import("one.bib") == 0
    for path in (project / "content/papers").glob("*.md"):  # every title edited
        raw = path.read_text(encoding="utf-8")
        title = _front(path)["title"]
        path.write_text(raw.replace(f"title: {title}", f"title: {title} [edited]", 1)
                        if f"title: {title}\n" in raw else raw.replace(
                            "title: '", "title: '[edited] ", 1), encoding="utf-8")
    text = "".join(first.format(n=i, title=t, author=a, year=y)
                   for i, (_, pair) in enumerate(pairs) for t, a, y in [pair])
    (project / "two.bib").write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert _import("two.bib") == 0
    assert "4 created, 0 updated" in capsys.readouterr().out
    assert len(_files(project)) == 8


# --- 2. the user's bytes ----------------------------------------------------------------

def _changed_hf(project: Path) -> Path:
    """The Hugging Face page saved again, now showing 7 comments on one card."""
    changed = HF.read_text(encoding="utf-8").replace("  • 3 authors\n·\nFeb 11, 2025",
                                                     "  • 3 authors\n·\nFeb 11, 2025 7")
    (project / HF.name).write_text(changed, encoding="utf-8")
    return project / HF.name


NOTES = [
    "\r\nMy notes.\r\n\r\n- point one  \r\n- point two\t\r\n",  # CRLF body, LF front
    "\nMixed\r\nline\rends\n\r\n  indented \t\n",
    "\nNo newline at the end.  ",
    "\r\n",
]


@pytest.mark.parametrize("front_end", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("notes", NOTES)
def test_merging_import_keeps_the_notes_byte_for_byte(project: Path, capsys, front_end: str,
                                                      bom: bytes, notes: str) -> None:
    assert _import(HF) == 0
    path = project / "content/papers" / SMALL
    front = path.read_text(encoding="utf-8").rstrip("\n")  # "---\n...\n---"
    front = front.replace("tags: []\n", "tags: [ner]   # mine  \n")
    raw = bom + (front.replace("\n", front_end) + front_end + notes).encode("utf-8")
    path.write_bytes(raw)
    capsys.readouterr()
    assert _import(_changed_hf(project)) == 0
    assert "1 updated" in capsys.readouterr().out
    after = path.read_bytes()
    head, body = after.split(b"---" + front_end.encode(), 2)[1:]
    assert body == notes.encode("utf-8")  # every byte of the notes
    assert after.startswith(bom + b"---" + front_end.encode())
    assert b"tags: [ner]   # mine  " + front_end.encode() in head
    assert b"comments: 7" + front_end.encode() in head
    assert after.replace(b"comments: 7" + front_end.encode(), b"") == raw


@pytest.mark.parametrize("command", [["tag", SMALL[:-3], "--add", "ner"],
                                     ["status", SMALL[:-3], "read"],
                                     ["rate", SMALL[:-3], "4"]])
def test_edits_from_the_command_line_keep_the_notes_and_reimport_is_unchanged(
        project: Path, capsys, command: list[str]) -> None:
    assert _import(HF) == 0
    path = project / "content/papers" / SMALL
    notes = b"\r\nNotes\r\nwith CRLF  \r\n\tand a tab"
    path.write_bytes(path.read_bytes().rstrip(b"\n") + b"\n" + notes)
    assert main(command) == 0
    assert path.read_bytes().endswith(b"---\n" + notes)
    edited, files = path.read_bytes(), _files(project)
    capsys.readouterr()
    assert _import(HF) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert path.read_bytes() == edited and _files(project) == files


# --- 3. more of what users do -------------------------------------------------------------

def test_hand_edited_authors_are_kept(project: Path, capsys) -> None:
    assert _import(ACL) == 0
    path = project / "content/papers" / FOCUS
    text = path.read_text(encoding="utf-8")
    assert "- Zhenyu Li\n" in text
    path.write_text(text.replace("- Zhenyu Li\n", "- Zhenyu Li (李振宇)\n"), encoding="utf-8")
    before = path.read_bytes()
    capsys.readouterr()
    assert _import(ACL) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_a_paper_moved_into_a_subfolder_is_updated_where_it_is(project: Path, capsys) -> None:
    assert _import(HF) == 0
    path = project / "content/papers" / SMALL
    moved = project / "content/papers/2025/ner" / SMALL
    moved.parent.mkdir(parents=True)
    path.rename(moved)
    files = _files(project)
    capsys.readouterr()
    assert _import(_changed_hf(project)) == 0
    assert "0 created, 1 updated" in capsys.readouterr().out
    assert _files(project) == files
    assert _front(moved)["comments"] == 7


def test_an_author_list_the_user_corrected_is_kept(project: Path, capsys) -> None:
    """The page split one name in two (or listed someone twice): the user's whole list
    is kept over the page's whole list, however long each is."""
    assert _import(ACL) == 0
    path = project / "content/papers" / FOCUS
    text = path.read_text(encoding="utf-8")
    assert "- Rong Han\n- Zixuan Wang\n" in text
    path.write_text(text.replace("- Rong Han\n- Zixuan Wang\n", "- Rong Han-Zixuan Wang\n"),
                    encoding="utf-8")
    before = path.read_bytes()
    capsys.readouterr()
    assert _import(ACL) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_a_paper_added_by_hand_is_found_by_the_identifier_the_user_wrote(
        project: Path, capsys) -> None:
    """`readinglist new` with an arXiv link, a DOI link typed in by hand: an export of the
    paper, under its real title and with bare ids, fills that file in and creates none."""
    assert main(["new", "FocusLLM notes", "--url", "https://arxiv.org/abs/2408.11745v2"]) == 0
    assert main(["new", "Graph attention (Velickovic)"]) == 0
    path = project / "content/papers/graph-attention-velickovic.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("status: unread\n", "status: unread\n"
                                 "doi: https://doi.org/10.48550/ARXIV.1710.10903\n"),
                    encoding="utf-8")
    files = _files(project)
    (project / "refs.bib").write_text(
        BIB.format(title="FocusLLM: Precise Understanding of Long Context by Dynamic "
                   "Condensing", ids='eprint = "2408.11745", archivePrefix = "arXiv"')
        + BIB.format(title="Graph Attention Networks",
                     ids='doi = "10.48550/arXiv.1710.10903"').replace("li-etal-2025-focusllm",
                                                                     "gat"),
        encoding="utf-8")
    capsys.readouterr()
    assert _import("refs.bib") == 0
    assert "0 created, 2 updated" in capsys.readouterr().out
    assert _files(project) == files
    focus = _front(project / "content/papers/focusllm-notes.md")
    assert focus["title"] == "FocusLLM notes" and focus["arxiv"] == "2408.11745"
    assert focus["url"] == "https://arxiv.org/abs/2408.11745v2"  # the user's, kept
    gat = _front(path)
    assert gat["title"] == "Graph attention (Velickovic)"
    assert gat["doi"] == "https://doi.org/10.48550/ARXIV.1710.10903"


def test_two_sources_with_different_identifiers_after_a_title_edit(project: Path,
                                                                   capsys) -> None:
    """The ACL export (a DOI) imported, the title edited, then arXiv's export (its id
    only): the same paper, by its name, first author and year. Another paper of the
    same name, author and year but with another DOI is another paper."""
    title = "FocusLLM: Precise Understanding of Long Context"
    (project / "acl.bib").write_text(
        BIB.format(title=title, ids='doi = "10.18653/v1/2025.acl-long.1"'), encoding="utf-8")
    assert _import("acl.bib") == 0
    path = project / "content/papers/focusllm-precise-understanding-of-long-context.md"
    _retitle(path, f"'{title}'", "FocusLLM")
    (project / "arxiv.bib").write_text(  # (the DOI that arXiv gives its papers)
        BIB.format(title=title, ids='eprint = "2408.11745", archivePrefix = "arXiv", '
                   'doi = "10.48550/arXiv.2408.11745"'), encoding="utf-8")
    (project / "other.bib").write_text(
        BIB.format(title=title, ids='doi = "10.18653/v1/2025.acl-long.2"'), encoding="utf-8")
    capsys.readouterr()
    assert _import("arxiv.bib") == 0
    assert "0 created, 1 updated" in capsys.readouterr().out
    assert _front(path)["arxiv"] == "2408.11745" and _front(path)["title"] == "FocusLLM"
    assert _import("other.bib") == 0
    assert "1 created, 0 updated" in capsys.readouterr().out
    assert len(_files(project)) == 2


@settings(max_examples=200, deadline=None)
@given(front_ends=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=4, max_size=4),
       body=st.lists(st.tuples(st.text(st.characters(blacklist_categories=("Cs",),
                                                     blacklist_characters="\r\n\x0b\x0c"
                                                     "\x1c\x1d\x1e\x85\u2028\u2029"),
                                       max_size=8),
                               st.sampled_from(["\n", "\r\n", "\r", ""])), max_size=6),
       bom=st.booleans())
def test_with_line_ends_keeps_every_line_an_edit_did_not_write(front_ends: list[str],
                                                               body: list[tuple[str, str]],
                                                               bom: bool) -> None:
    lines = ["---", "title: T", "status: unread", "---"]
    notes = "".join(text + end for text, end in body)
    raw = ("\ufeff" if bom else "") + "".join(
        line + end for line, end in zip(lines, front_ends, strict=True)) + notes
    was = raw.encode("utf-8")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    new = edit_front_matter(text, {"status": "read", "rating": 4}, order=("status", "rating"))
    out = with_line_ends(new, was)
    assert out.endswith(notes.encode("utf-8"))
    assert out.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n") == \
        ("\ufeff" if bom else "") + new.lstrip("\ufeff")
    assert out.startswith(("\ufeff" if bom else "").encode() + b"---" + front_ends[0].encode())


def test_an_arxiv_listing_finds_a_retitled_paper_by_its_id(project: Path, capsys) -> None:
    page = REPO / "tests" / "fixtures" / "arxiv" / "new-chrome.txt"
    assert _import(page) == 0
    path = project / "content/papers/aya-expanse-combining-research-breakthroughs-for-a-new.md"
    title = _front(path)["title"]
    _retitle(path, title if f"title: {title}\n" in path.read_text(encoding="utf-8")
             else f"'{title}'", "Aya Expanse")
    before, files = path.read_bytes(), _files(project)
    capsys.readouterr()
    assert _import(page) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert _files(project) == files and path.read_bytes() == before


SEARCH = REPO / "tests" / "fixtures" / "arxiv" / "search-chrome.txt"
RETRIEVAL = "long-context-retrieval-without-positional-bias.md"
FULL_ABSTRACT = ("Large language models lose track of facts placed in the middle of long inputs. "
                 "We propose a training-free reordering of retrieved passages that removes the "
                 "bias and recovers most of the lost accuracy.")


def _bibtex_with_full_abstract(project: Path) -> Path:
    """The same paper (same arXiv id) exported by a reference manager, whole abstract."""
    bib = project / "export.bib"
    bib.write_text("@misc{smith2024,\n  title = {Long-Context Retrieval Without Positional "
                   "Bias},\n  author = {Smith, Alice and Jones, Bob and Wei, Chen},\n"
                   "  year = {2024},\n  eprint = {2412.01234},\n  archivePrefix = {arXiv},\n"
                   f"  abstract = {{{FULL_ABSTRACT}}},\n}}\n", encoding="utf-8")
    return bib


def test_an_abstract_cut_as_the_page_showed_it_is_completed(project: Path, capsys) -> None:
    """arXiv's search results cut an abstract at "… ▽ More": a later source with the whole
    abstract completes it."""
    assert _import(SEARCH) == 0
    path = project / "content/papers" / RETRIEVAL
    assert _front(path)["abstract"].endswith("removes the bias …")
    capsys.readouterr()
    assert _import(_bibtex_with_full_abstract(project)) == 0
    assert "0 created, 1 updated" in capsys.readouterr().out
    assert _front(path)["abstract"] == FULL_ABSTRACT


@pytest.mark.parametrize("edit", [
    # trimmed to its first sentence
    lambda abstract: abstract.split(". ")[0] + ".",
    # trimmed, and the cut marked by hand with three dots (no page cuts so)
    lambda abstract: abstract.split(". ")[0] + "...",
    # the "…" taken off and the cut sentence finished by hand, a typo fixed
    lambda abstract: abstract.replace("removes the bias …", "removes it.").replace(
        "lose track", "lose track (mostly)"),
])
def test_an_abstract_the_user_edited_is_kept(project: Path, capsys, edit) -> None:
    """A shorter or different abstract in the file may be the user's: no import replaces
    it, not even with a longer one."""
    assert _import(SEARCH) == 0
    path = project / "content/papers" / RETRIEVAL
    text = path.read_text(encoding="utf-8")
    mine = edit(_front(path)["abstract"])
    path.write_text(edit_front_matter(text, {"abstract": mine}, order=("abstract",)),
                    encoding="utf-8")
    before = path.read_bytes()
    capsys.readouterr()
    assert _import(_bibtex_with_full_abstract(project)) == 0
    assert _import(SEARCH) == 0
    assert _front(path)["abstract"] == mine  # (the export added its citation key)
    assert path.read_bytes().split(b"arxiv:")[0] == before.split(b"arxiv:")[0]
