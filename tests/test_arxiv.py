"""arXiv listing pages as people copy them: list pages (/new, /recent) from Chrome and
Firefox, search results, sloppy copies (cut at both ends, pasted twice, with the page's
header and footer), read by structure; then imported and built end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.content import read_front_matter
from generator.listings import detect_format, parse_listing
from generator.model import Entry

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
THEMES = Path(__file__).resolve().parent.parent / "themes"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fields(entry: Entry) -> tuple:
    return (entry.arxiv, entry.title, entry.authors, entry.authors_truncated,
            entry.author_count, entry.date, entry.category, entry.venue, entry.abstract)


def test_a_new_submissions_page_copied_from_chrome() -> None:
    """Chrome copies no `Title:`/`Authors:` labels (arXiv hides them); the header, the
    section titles and the footer are page text, not papers."""
    listing = parse_listing(read("new-chrome.txt"), "new.txt", year=2026)
    assert listing.format == "arxiv-listing"
    assert listing.diagnostics == ()
    assert listing.page_date == "2024-12-06"
    got = {e.arxiv: e for e in listing.entries}
    assert list(got) == ["2412.04261", "2412.04305", "2412.04388", "2412.03950", "2306.01234"]
    aya = got["2412.04261"]
    assert aya.title == ("Aya Expanse: Combining Research Breakthroughs for a New "
                         "Multilingual Frontier")
    assert aya.authors[2] == "Daniel D'souza" and len(aya.authors) == 6
    assert (aya.author_count, aya.authors_truncated) == (6, False)
    assert (aya.date, aya.category, aya.url) == (
        "2024-12-06", "cs.CL", "https://arxiv.org/abs/2412.04261")
    assert aya.abstract.startswith("We introduce the Aya Expanse model family")
    assert got["2412.04305"].title == (
        r"Reasoning about $\mathcal{O}(n)$ Programs, with Tests: A Study of Small Models")
    assert got["2412.04305"].authors == ("Mei Tanaka",)
    french = got["2412.04388"]
    assert french.authors == ("Élodie Müller", "François Lefèvre", "Zoë Ñúñez-García, Jr.")
    assert french.venue == "Actes de TALN 2024, pages 12-24"
    cut = got["2412.03950"]  # a cross-list, its long author list cut by arXiv
    assert (cut.category, cut.authors_truncated, cut.author_count, len(cut.authors)) == (
        "cs.LG", True, 30, 7)
    assert got["2306.01234"].date == "2023"  # replaced: dated by its identifier


def test_a_recent_page_copied_from_firefox_dates_each_paper_by_its_day() -> None:
    """Firefox keeps blank lines, the item number on a line of its own and the labels;
    a /recent page has no abstracts and a heading per day."""
    listing = parse_listing(read("recent-firefox.txt"), "recent.txt", year=2026)
    assert listing.diagnostics == ()
    assert [(e.arxiv, e.date, e.title) for e in listing.entries] == [
        ("2412.05001", "2024-12-06", "Token Budgets for Chain-of-Thought: When Less Is More"),
        ("2412.05002", "2024-12-06", "Retrieval Heads, Revisited"),
        ("2412.04001", "2024-12-05", "Calibrated Uncertainty for Generative Models of Text"),
    ]
    assert listing.entries[1].authors == ("K. Yamada", "J.-P. Martin", "A. O'Neill")
    assert listing.entries[2].category == "stat.ML"
    assert listing.entries[2].venue == "Transactions on Machine Learning Research, 2024"
    assert all(e.abstract == "" for e in listing.entries)


def test_search_results_give_categories_submitted_dates_and_the_abstract_shown() -> None:
    listing = parse_listing(read("search-chrome.txt"), "search.txt", year=2026)
    assert listing.diagnostics == ()
    first, second, old = listing.entries
    assert (first.arxiv, first.category, first.date) == ("2412.01234", "cs.CL", "2024-12-03")
    assert first.authors == ("Alice Smith", "Bob Jones", "Chen Wei")
    assert first.abstract.endswith("removes the bias …")  # cut by the page: kept as shown
    assert second.abstract.endswith("within a point of exact search.")  # expanded: whole
    assert (second.category, second.date, second.venue) == ("cs.IR", "2024-11-28", "SIGIR 2025")
    assert (old.arxiv, old.category, old.date, old.url) == (
        "hep-th/9901001", "hep-th", "1999-01-01", "https://arxiv.org/abs/hep-th/9901001")


@pytest.mark.parametrize("name", ["new-chrome.txt", "recent-firefox.txt", "search-chrome.txt"])
def test_the_format_is_detected(name: str) -> None:
    assert detect_format(read(name)) == "arxiv-listing"


def _labelled(text: str) -> str:
    """The page as a browser that copies arXiv's hidden labels gives it."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if i >= 1 and lines[i - 1].startswith("[") and "arXiv:" in lines[i - 1]:
            line = "Title: " + line
        elif i >= 2 and lines[i - 2].startswith("[") and "arXiv:" in lines[i - 2]:
            line = "Authors: " + line
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("variant", ["labels", "crlf-nbsp", "blank-lines", "number-alone"])
def test_every_browsers_copy_reads_the_same(variant: str) -> None:
    text = read("new-chrome.txt")
    if variant == "labels":
        changed = _labelled(text)
    elif variant == "crlf-nbsp":
        changed = text.replace("\n", "\r\n").replace(" ", "\u00a0", 40)
    elif variant == "blank-lines":
        changed = text.replace("\n", "\n\n")
    else:
        changed = text.replace("] arXiv:", "]\narXiv:")
    assert changed != text
    want = [fields(e) for e in parse_listing(text, "a.txt", year=2026).entries]
    listing = parse_listing(changed, "a.txt", year=2026)
    assert [fields(e) for e in listing.entries] == want
    assert listing.diagnostics == ()


def _sloppy() -> str:
    """A copy cut inside the first paper (from its authors) and inside the last (after
    its title): what a drag-select over part of the page gives."""
    lines = read("new-chrome.txt").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("John Dang"))
    end = next(i for i, line in enumerate(lines) if line == "An Old Paper, Revised") + 1
    return "\n".join(lines[start:end])


def test_a_copy_cut_at_both_ends_imports_the_whole_papers_only() -> None:
    listing = parse_listing(_sloppy(), "cut.txt", year=2026)
    assert [e.arxiv for e in listing.entries] == ["2412.04305", "2412.04388", "2412.03950"]
    assert [(d.severity, d.line) for d in listing.diagnostics] == [
        ("warning", 1), ("warning", 24)]
    assert "the copy starts inside a paper" in listing.diagnostics[0].message
    assert "the copy ends inside a paper" in listing.diagnostics[1].message


def test_a_page_pasted_twice_imports_each_paper_once() -> None:
    twice = _sloppy() + "\n" + _sloppy()
    listing = parse_listing(twice, "twice.txt", year=2026)
    assert [e.arxiv for e in listing.entries] == ["2412.04305", "2412.04388", "2412.03950"]
    assert all(d.severity == "warning" for d in listing.diagnostics)
    assert [re.search(r"the copy (starts|ends) inside a paper", d.message)[1]  # type: ignore
            for d in listing.diagnostics] == ["starts", "ends"] * 2
    whole = parse_listing(_sloppy() + "\n\n" + read("new-chrome.txt"), "x.txt", year=2026)
    assert sorted(e.arxiv for e in whole.entries) == [
        "2306.01234", "2412.03950", "2412.04261", "2412.04305", "2412.04388"]


def test_a_paper_missing_its_authors_between_papers_is_named() -> None:
    text = read("recent-firefox.txt").replace("Authors: Priya Raman, Tomás Ortega\n", "")
    text = text.replace("Comments: Accepted at EMNLP 2024 Findings\n", "")
    listing = parse_listing(text, "r.txt", year=2026)
    assert [e.arxiv for e in listing.entries] == ["2412.05002", "2412.04001"]
    (problem,) = listing.diagnostics
    assert problem.line == 17 and "paper 2412.05001 has no authors" in problem.message


def test_an_authors_papers_repeating_their_lines_are_each_read() -> None:
    """An author's page (arxiv.org/a/…) repeats the author line and the subjects paper
    after paper: text repeated, but no second copy of the page (no identifier again)."""
    lines = []
    for n in range(1, 5):
        lines += [f"[{n}] arXiv:2401.0{n}000 [pdf, other]", f"Lectures on the Standard Model {n}",
                  "Andrzej J. Buras, Jennifer Girrbach-Noe", "Comments: 31 pages, 4 figures",
                  "Subjects: High Energy Physics - Phenomenology (hep-ph); High Energy "
                  "Physics - Experiment (hep-ex)"]
    listing = parse_listing("\n".join(lines), "a.txt", year=2026)
    assert [e.title[-1] for e in listing.entries] == ["1", "2", "3", "4"]
    assert listing.diagnostics == ()


_words = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1,
                 max_size=12)


@settings(max_examples=60, deadline=None)
@given(papers=st.lists(st.tuples(
    st.lists(_words, min_size=1, max_size=12).map(" ".join),
    st.lists(st.lists(_words, min_size=2, max_size=3).map(" ".join), min_size=1,
             max_size=8),
    st.lists(_words, min_size=8, max_size=40).map(lambda w: " ".join(w) + ".")),
    min_size=1, max_size=6))
def test_any_titles_and_names_are_read_by_structure(papers) -> None:
    """Whatever the words, the lines after an identifier are its title and its authors:
    nothing depends on what the titles say."""
    lines = ["Showing new listings for Monday, 2 December 2024"]
    for n, (title, names, abstract) in enumerate(papers, start=1):
        lines += [f"[{n}] arXiv:2412.{n:05d} [pdf, other]", title, ", ".join(names),
                  "Subjects: Computation and Language (cs.CL)", abstract]
    listing = parse_listing("\n".join(lines), "p.txt", year=2026)
    assert [(e.title, e.authors, e.abstract) for e in listing.entries] == [
        (" ".join(t.split()), tuple(names), " ".join(a.split())) for t, names, a in papers]


def test_import_and_build_an_arxiv_page(tmp_path: Path, monkeypatch, capsys) -> None:
    """End to end: each paper one file with its arXiv id and link, the site's BibTeX an
    arXiv eprint; importing the page again changes nothing, and a BibTeX export of one of
    its papers merges into that paper's file by the arXiv id."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(f"title: T\nthemes_dir: {THEMES}\n")
    page = tmp_path / "arxiv.txt"
    page.write_text(read("new-chrome.txt"), encoding="utf-8")
    assert main(["import", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("5 created, 0 updated, 0 unchanged, 0 skipped")
    assert "without a year" not in out  # (every date an arXiv page shows has its year)
    papers = tmp_path / "content" / "papers"
    data, _, _ = read_front_matter((papers / "sparse-attention-at-scale.md").read_text())
    assert (data["arxiv"], data["url"], data["author_count"], data["authors_truncated"]) == (
        "2412.03950", "https://arxiv.org/abs/2412.03950", 30, True)
    assert main(["import", str(page)]) == 0
    assert capsys.readouterr().out.strip().endswith("0 created, 0 updated, 5 unchanged, 0 skipped")
    bib = tmp_path / "one.bib"
    bib.write_text("@misc{zhang24, title={Sparse attention at scale: a study}, author={Zhang, "
                   "Wei and Na, Li}, year={2024}, eprint={2412.03950}, archivePrefix={arXiv}, "
                   "doi={10.48550/arXiv.2412.03950}}\n")
    assert main(["import", str(bib)]) == 0
    assert sorted(p.name for p in papers.iterdir()) == sorted([
        "aya-expanse-combining-research-breakthroughs-for-a-new.md",
        "reasoning-about-o-n-programs-with-tests-a-study-of-small.md",
        "evaluer-les-modeles-de-langue-en-francais.md", "sparse-attention-at-scale.md",
        "an-old-paper-revised.md"])
    assert main(["build"]) == 0
    page_html = (tmp_path / "site/papers/sparse-attention-at-scale/index.html").read_text()
    assert "eprint        = {2412.03950}" in page_html
    assert 'href="https://arxiv.org/abs/2412.03950"' in page_html


def test_a_papers_own_page_is_read_up_to_its_cite_as_line() -> None:
    """arxiv.org/abs/…: the labels are shown (``Title:Aya…``, no space), the metadata is a
    table (a tab after each label), the identifier comes last ("Cite as:"), dated by the
    first version; the page's menus and its submission history are passed over."""
    page = read("abs-chrome.txt")
    listing = parse_listing(page, "abs.txt", year=2026)
    assert listing.format == "arxiv-listing" and listing.diagnostics == ()
    (aya,) = listing.entries
    assert (aya.arxiv, aya.date, aya.category, aya.venue, aya.line) == (
        "2412.04261", "2024-12-05", "cs.CL", "Findings of EMNLP 2025", 8)
    assert aya.title.startswith("Aya Expanse: Combining") and len(aya.authors) == 6
    assert aya.abstract.startswith("We introduce the Aya Expanse model family")
    other = page.replace("2412.04261", "2412.09999").replace("Aya Expanse", "Aya Vision")
    two = parse_listing(page + "\n" + other + "\n" + page, "abs.txt", year=2026)
    assert [(e.arxiv, e.title[:10]) for e in two.entries] == [
        ("2412.04261", "Aya Expans"), ("2412.09999", "Aya Vision")]
    cut = "\n".join(page.split("\n")[9:])  # from below its Authors: line
    listing = parse_listing(cut, "abs.txt", year=2026)
    assert listing.entries == ()
    assert "shows no 'Title:' and 'Authors:' lines" in listing.diagnostics[0].message


def test_a_title_that_reads_like_page_text_is_still_a_title() -> None:
    """arXiv's menus ("Search", "About") are passed over between papers only: a paper's
    own lines are its own, whatever they say."""
    text = ("[1] arXiv:2412.00001 [pdf]\nSearch\nAnn Lee, Bo Chen\nSubjects: Information "
            "Retrieval (cs.IR)\n[2] arXiv:2412.00002 [pdf]\nAbout\nCy Dee\n"
            "Subjects: Information Retrieval (cs.IR)\n")
    listing = parse_listing(text, "s.txt", year=2026)
    assert [(e.title, e.authors) for e in listing.entries] == [
        ("Search", ("Ann Lee", "Bo Chen")), ("About", ("Cy Dee",))]


def test_search_results_with_their_categories_on_the_identifier_line() -> None:
    """arXiv's search page shows a result's identifier, links and category tags side by
    side (inline blocks): most copies give them on one line, a DOI tag after them."""
    text = read("search-chrome.txt")
    joined = re.sub(r"(arXiv:\S+ \[[a-z, ]*\])\n([a-z].*)\n", r"\1  \2\n", text)
    assert joined.count("\n") == text.count("\n") - 3
    listing = parse_listing(joined, "s.txt", year=2026)
    assert listing.format == "arxiv-listing" and listing.diagnostics == ()
    assert [fields(e) for e in listing.entries] == [
        fields(e) for e in parse_listing(text, "s.txt", year=2026).entries]
    tagged = joined.replace("[pdf, html]  cs.IR", "[pdf, html]  cond-mat.stat-mech cs.IR "
                            "doi 10.1145/3626772.3657700")
    second = parse_listing(tagged, "s.txt", year=2026).entries[1]
    assert (second.arxiv, second.category, second.doi) == (
        "2411.09876", "cond-mat.stat-mech", "10.1145/3626772.3657700")


def test_a_title_shaped_like_a_category_is_a_title() -> None:
    """A list page's first line after the identifier is its title, even one that looks
    like a search result's category tags ("e-values", "cs.AI")."""
    text = ("[1] arXiv:2412.00001 [pdf]\ne-values\nAnn Lee\nSubjects: Statistics Theory "
            "(math.ST)\n[2] arXiv:2412.00002 [pdf]\nTitle: cs.AI\nAuthors: Bo Chen, Cy Dee\n"
            "Subjects: Artificial Intelligence (cs.AI)\n")
    listing = parse_listing(text, "t.txt", year=2026)
    assert [(e.title, e.authors) for e in listing.entries] == [
        ("e-values", ("Ann Lee",)), ("cs.AI", ("Bo Chen", "Cy Dee"))]


def test_the_javascript_note_on_the_authors_line_is_no_author() -> None:
    text = read("new-chrome.txt").replace(
        "(23 additional authors not shown)\nYou must", "(23 additional authors not shown) You must")
    cut = {e.arxiv: e for e in parse_listing(text, "n.txt", year=2026).entries}["2412.03950"]
    assert (cut.authors[-1], cut.authors_truncated, cut.author_count) == ("Piotr Nowak", True, 30)


def test_an_abstract_of_several_paragraphs_is_read_whole() -> None:
    """arXiv shows an abstract's paragraphs on lines of their own (on a list page and on a
    paper's own page); a list page's abstract is the text after its subjects, whatever
    it says."""
    text = read("new-chrome.txt").replace(
        "monolingual models.\n", "monolingual models.\nWe release the weights, and an "
        "evaluation suite of twelve languages.\n").replace(
        "We revisit an old question with new data and find that the answer holds up, with "
        "some caveats about tokenisation that we discuss in detail.", "Erratum").replace(
        "Subjects: Computation and Language (cs.CL)\nSmall", "ACM-class: I.2.7\n"
        "Subjects: Computation and Language (cs.CL)\nSmall")
    listing = parse_listing(text, "n.txt", year=2026)
    assert listing.diagnostics == ()
    got = {e.arxiv: e.abstract for e in listing.entries}
    assert got["2412.04261"].endswith("monolingual models. We release the weights, and an "
                                      "evaluation suite of twelve languages.")
    assert got["2306.01234"] == "Erratum"
    assert got["2412.04305"].startswith("Small language models")  # (past a line unknown)
    page = read("abs-chrome.txt").replace(
        "this https URL.\n", "this https URL.\nA second paragraph tells how we trained them.\n")
    (aya,) = parse_listing(page, "abs.txt", year=2026).entries
    assert aya.abstract.endswith("this https URL. A second paragraph tells how we trained them.")


def test_a_copy_ending_before_the_last_papers_subjects_skips_that_paper() -> None:
    """Each paper on a list page shows its subjects: the last one copied without them is
    cut (its abstract lost), so it is skipped with a warning, as one cut after its title."""
    lines = read("new-chrome.txt").split("\n")
    end = next(i for i, line in enumerate(lines) if line == "Ana Silva, Bruno Costa") + 1
    listing = parse_listing("\n".join(lines[:end]), "cut.txt", year=2026)
    assert [e.arxiv for e in listing.entries][-1] == "2412.03950"
    (problem,) = listing.diagnostics
    assert (problem.severity, problem.line) == ("warning", end - 2)
    assert "the copy ends inside a paper" in problem.message


def test_a_part_of_the_page_then_the_whole_page_keeps_each_papers_whole_copy() -> None:
    """A part copied first (it ends inside an abstract, under no heading), then the whole
    page with its header: each paper once, as the whole page shows it, and the second
    copy's header is page text, no paper's."""
    text = read("new-chrome.txt")
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("[2] arXiv:"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Nous présentons"))
    part = "\n".join([*lines[start:end], "Nous présentons un banc d'essai pour évaluer"])
    listing = parse_listing(part + "\n" + text, "p.txt", year=2026)
    assert listing.diagnostics == ()
    whole = {e.arxiv: fields(e) for e in parse_listing(text, "w.txt", year=2026).entries}
    assert sorted(fields(e) for e in listing.entries) == sorted(whole.values())


def test_a_papers_own_page_pasted_after_a_list_is_not_read_into_its_last_paper() -> None:
    """A list copied without its footer, then a paper's own page: the page's `Title:`,
    `Authors:` and `Abstract:` lines are not the last listed paper's."""
    lines = read("new-chrome.txt").split("\n")
    end = next(i for i, line in enumerate(lines) if line.startswith("We revisit")) + 1
    listing = parse_listing("\n".join(lines[:end]) + "\n" + read("abs-chrome.txt"), "m.txt",
                            year=2026)
    old = listing.entries[-1]
    assert (old.arxiv, old.title, old.authors) == (
        "2306.01234", "An Old Paper, Revised", ("Ana Silva", "Bruno Costa"))
    assert old.abstract.startswith("We revisit an old question")
    assert {d.severity for d in listing.diagnostics} == {"warning"}
    assert any("starting 'Title:Aya Expanse" in d.message for d in listing.diagnostics)


def test_a_copy_ending_before_the_last_papers_abstract_on_a_new_page_skips_it() -> None:
    """On a /new page every paper shows its abstract after its subjects: the last one
    copied without it is cut. (A /recent page shows none: there its subjects end it.)"""
    lines = read("new-chrome.txt").split("\n")
    end = next(i for i, line in enumerate(lines) if line.startswith("Small language")) - 1
    assert lines[end].startswith("Subjects:")
    listing = parse_listing("\n".join(lines[:end + 1]), "cut.txt", year=2026)
    assert [e.arxiv for e in listing.entries] == ["2412.04261"]
    (problem,) = listing.diagnostics
    assert problem.severity == "warning" and "the copy ends inside a paper" in problem.message
    recent = read("recent-firefox.txt")
    cut = recent[:recent.index("Subjects: Computation and Language (cs.CL); Information")]
    cut += "Subjects: Computation and Language (cs.CL)\n"
    assert [e.arxiv for e in parse_listing(cut, "r.txt", year=2026).entries] == [
        "2412.05001", "2412.05002"]
