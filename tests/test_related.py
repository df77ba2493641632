"""Related papers: the tf-idf neighbours (generator/related.py) and their section on every
paper page, with links that resolve to the papers' pages."""

from __future__ import annotations

import posixpath
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PUBLISHED, REPO

from generator.build import build
from generator.config import load_config
from generator.model import Paper
from generator.related import RELATED_COUNT, related_papers


def paper(slug: str, title: str, abstract: str = "", tags: tuple[str, ...] = ()) -> Paper:
    return Paper(slug=slug, title=title, abstract=abstract, tags=tags)


# A small list: two papers on sparse attention kernels, one on cooking, one on proteins,
# and papers on unrelated subjects that make the common words common.
PAPERS = [
    paper("sparse-kernels", "Block-Sparse Attention Kernels for Long Context",
          "We write block-sparse attention kernels on GPUs; sparse attention scales to "
          "long context windows with little loss."),
    paper("sparse-windows", "Sliding Windows and Sparse Attention",
          "Sparse attention over sliding windows keeps long context cheap; our kernels "
          "are block-sparse."),
    paper("bread", "Sourdough Bread at Home", "Flour, water, salt and a starter: baking "
          "sourdough bread with a long fermentation."),
    paper("proteins", "Protein Folding with Language Models",
          "Language models predict protein structure from sequence alone."),
    paper("speech", "Speech Recognition for Low-Resource Languages",
          "Speech recognition models trained on little data in many languages."),
    paper("retrieval", "Retrieval for Question Answering",
          "Dense retrieval of passages improves question answering with language models."),
]


def test_the_obvious_nearest_paper_comes_first():
    related = related_papers(PAPERS)
    assert related["sparse-kernels"][0] == "sparse-windows"
    assert related["sparse-windows"][0] == "sparse-kernels"
    # every list: other papers only, at most five, each once
    for slug, near in related.items():
        assert slug not in near
        assert len(near) == len(set(near)) <= RELATED_COUNT
    assert set(related) == {p.slug for p in PAPERS}


def test_a_paper_that_shares_no_term_has_none():
    related = related_papers([*PAPERS, paper("zebra", "Zebra Stripes", "Zebras, stripes.")])
    assert related["zebra"] == ()
    assert all("zebra" not in near for near in related.values())


def test_latex_commands_are_no_shared_words():
    """Two papers whose abstracts share only LaTeX commands (``\\times``, ``\\textbf``) are
    not related; the words the LaTeX shows are."""
    latex = [paper("kernels-speedup", "Fused Kernels", "A 3$\\times$ \\textbf{speedup}."),
             paper("dough", "Dough Rising", "Yeast at 2$\\times$ \\textbf{warmth}."),
             paper("speedup-again", "Quantised Serving", "Another speedup of serving.")]
    related = related_papers([*PAPERS, *latex])
    assert "dough" not in related["kernels-speedup"]
    assert related["kernels-speedup"][:1] == ("speedup-again",)


def test_the_same_papers_in_any_order_give_the_same_lists():
    expected = related_papers(PAPERS)
    shuffled = PAPERS[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert related_papers(shuffled) == expected


def test_equally_near_papers_come_in_slug_order():
    """Two copies of one paper are exactly as near to a third: the smaller slug first,
    whichever order they come in."""
    twin = ("Sparse Attention Kernels", "Block-sparse attention kernels for long context.")
    papers = [paper("query", "Sparse attention kernels", "Sparse attention for long context."),
              paper("twin-b", *twin), paper("twin-a", *twin),
              *PAPERS[2:]]
    assert related_papers(papers)["query"][:2] == ("twin-a", "twin-b")
    assert related_papers(papers[::-1])["query"][:2] == ("twin-a", "twin-b")


def test_tags_count():
    """Papers with nothing in common but a tag are related by it; without it, not."""
    untagged = [paper("knots", "Tying Knots", "Sailors tie knots in ropes."),
                paper("glaciers", "Melting Glaciers", "Ice sheets retreat every summer."),
                *PAPERS[2:]]
    assert "glaciers" not in related_papers(untagged)["knots"]
    tagged = [paper("knots", "Tying Knots", "Sailors tie knots in ropes.", ("hobbies",)),
              paper("glaciers", "Melting Glaciers", "Ice sheets retreat every summer.",
                    ("Hobbies",)),
              *PAPERS[2:]]
    assert related_papers(tagged)["knots"] == ("glaciers",)


def test_a_shared_rare_word_weighs_more_than_a_shared_common_one():
    papers = [paper("a", "Mamba state spaces", "Selective state spaces with mamba."),
              paper("b", "Mamba for vision", "Vision with mamba blocks."),
              paper("c", "State of the art", "A state of the art survey."),
              paper("d", "State machines", "Finite state machines."),
              paper("e", "State estimation", "Kalman state estimation.")]
    assert related_papers(papers)["a"][0] == "b"


# --- the section on the paper pages of the bundled list ---------------------------------

class _Related(HTMLParser):
    """A paper page's h1 and the links of its "Related papers" section (by its h2)."""

    def __init__(self) -> None:
        super().__init__()
        self.heading: list[str] = []
        self.section = 0  # depth of <section> while inside the related one
        self.in_h2 = False
        self.h2: list[str] = []
        self.links: list[str] = []
        self.texts: list[str] = []
        self.in_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and self.section:
            self.section += 1
        elif tag == "section" and ("class", "related") in attrs:
            self.section = 1
        elif tag == "h2":
            self.in_h2 = True
            self.h2.append("")
        elif tag == "a" and self.section:
            self.links.append(dict(attrs)["href"] or "")
            self.texts.append("")
            self.in_link = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.section:
            self.section -= 1
        elif tag == "h2":
            self.in_h2 = False
        elif tag == "a":
            self.in_link = False

    def handle_data(self, data: str) -> None:
        if self.in_h2:
            self.h2[-1] += data
        if self.in_link:
            self.texts[-1] += data


@pytest.fixture(scope="module")
def bundled() -> dict[str, bytes]:
    if not any((REPO / "content" / "papers").glob("*.md")):
        pytest.skip("no bundled papers")
    config, _ = load_config(REPO / "config.yaml", PUBLISHED)
    return dict(build(config).files)


def test_every_paper_page_links_to_five_related_papers(bundled):
    pages = [p for p in bundled if p.startswith("papers/") and p.endswith("/index.html")]
    assert len(pages) > RELATED_COUNT
    for path in pages:
        found = _Related()
        found.feed(bundled[path].decode("utf-8"))
        assert "Related papers" in found.h2, path
        assert len(found.links) == RELATED_COUNT, path
        targets = [posixpath.normpath(posixpath.join(posixpath.dirname(path), link))
                   for link in found.links]
        assert all(not link.startswith(("/", "http:", "https:", "file:"))
                   for link in found.links)  # relative: from file:// and under a sub-path
        assert all(target in bundled for target in targets), (path, targets)
        assert path not in targets and len(set(targets)) == RELATED_COUNT
        # each link shows the title as the paper's own page does, and its year
        html = bundled[path].decode("utf-8")
        section = html.split('<section class="related"')[1].split("</section>")[0]
        shown = re.findall(r'<li><a href="[^"]+">(.*?)</a>(?: <span class="related-year">'
                           r"\((\d{4})\)</span>)?</li>", section)
        assert len(shown) == RELATED_COUNT, path
        for target, (title, year) in zip(targets, shown, strict=True):
            page = bundled[target].decode("utf-8")
            assert title == page.split('<h1 class="paper-title">')[1].split("</h1>")[0]
            crumbs = page.split('<p class="breadcrumb">')[1].split("</p>")[0]
            assert (f'<a href="../../years/{year}/index.html">{year}</a>' in crumbs) if year \
                else "years/" not in crumbs


def test_a_page_without_related_papers_has_no_section(tmp_path: Path):
    from conftest import write_sample_project

    config, _ = load_config(write_sample_project(tmp_path / "p"))
    papers = config.papers_path
    (papers / "zebra.md").write_text("---\ntitle: Zebra Stripes\nabstract: Zebras.\n---\n",
                                     encoding="utf-8")
    files = build(config).files
    assert b"Related papers" not in files["papers/zebra/index.html"]
    assert b'class="related"' not in files["papers/zebra/index.html"]
