"""Builds after an edit that keeps the site's shape (``site.Shape``): they take the site
model, pages and keys from the last build, and must still make a cold build's bytes.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from conftest import read_tree, write_sample_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_search import needs_node

import generator.plan as plan_module
from generator.build import build, build_to_disk
from generator.cache import CACHE_DIR, BuildCache
from generator.config import load_config
from generator.content import edit_front_matter, load_papers
from generator.feeds import (
    bibtex_keys,
    feed_papers,
    key_base,
    papers_bib,
    papers_json,
    patch_papers_bib,
    patch_papers_json,
    sitemap,
)
from generator.model import Paper
from generator.render import site_pages
from generator.site import Shape, build_site, shape_of

PAPER = "relu2-wins"


@pytest.fixture
def project(tmp_path: Path):
    config, problems = load_config(write_sample_project(tmp_path / "project"))
    assert not problems
    build_to_disk(config)
    return config


@pytest.fixture
def edits(monkeypatch) -> list[int | None]:
    """How each build planned: the number of files it took as edits, None: from scratch."""
    seen: list[int | None] = []
    real = plan_module._edit

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        seen.append(len(found.papers) if found is not None else None)
        return found

    monkeypatch.setattr(plan_module, "_edit", spy)
    return seen


def edit(config, slug: str, **updates) -> None:
    path = config.papers_path / f"{slug}.md"
    path.write_text(edit_front_matter(path.read_text(encoding="utf-8"), updates),
                    encoding="utf-8")


def append_notes(config, slug: str, text: str) -> None:
    with (config.papers_path / f"{slug}.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\n{text}\n")


# --- the shape is all the site model, pages and global keys read ----------------------

def sample_papers(tmp_path: Path) -> list[Paper]:
    config, _ = load_config(write_sample_project(tmp_path / "p"))
    papers, _ = load_papers(config.papers_path)
    return papers


def test_the_site_model_pages_and_keys_read_only_the_shape(tmp_path):
    """Built from shapes, which hold nothing else, nothing may read past the shape."""
    papers = sample_papers(tmp_path)
    shapes = [shape_of(p) for p in papers]
    with pytest.raises(AttributeError):
        shapes[0].abstract  # type: ignore[attr-defined]  # noqa: B018 - it is not there
    site, _ = build_site(shapes)
    full, _ = build_site(papers)
    assert [(p.url, p.authors, p.tags, p.venue, p.year, p.prev, p.next) for p in site.papers] \
        == [(p.url, p.authors, p.tags, p.venue, p.year, p.prev, p.next) for p in full.papers]
    assert site.indexes == full.indexes
    assert site_pages(site, 2) == site_pages(full, 2)
    assert bibtex_keys(shapes, key_base) == bibtex_keys(papers, key_base)
    assert [p.slug for p in feed_papers(site, 3)] == [p.slug for p in feed_papers(full, 3)]
    config, _ = load_config(tmp_path / "p" / "config.yaml")
    pages = [p.path for p in site_pages(full)]
    assert sitemap(site, config, pages) == sitemap(full, config, pages)


def test_the_pages_of_some_papers_are_every_page_that_reads_them(tmp_path):
    """What a build after an edit keys again: exactly the pages whose keys read one of the
    edited papers (its page, its neighbours', every list page with its card)."""
    from generator.render import Ref, Refs

    papers = sample_papers(tmp_path)
    site, _ = build_site(papers)
    every = site_pages(site, 2)

    def reads(page, only: set[str]) -> bool:
        slugs = set(page.cards)
        for value in page.context.values():
            if isinstance(value, Ref):
                slugs.add(value.slug)
            elif isinstance(value, Refs):
                slugs.update(value.slugs)
        return bool(slugs & only)

    slugs = [p.slug for p in site.papers]
    for only in [{s} for s in slugs] + [set(slugs[:2]), set(slugs[::3]), set()]:
        assert site_pages(site, 2, only=only) == [p for p in every if reads(p, only)]
    assert len(site_pages(site, 0, only={slugs[0]})) > 3  # its page, a list, its terms


def test_the_kept_site_model_is_plain_shapes(tmp_path):
    """What the next build reuses holds each paper's shape, as plain values, and no more."""
    import pickle

    papers = sample_papers(tmp_path)
    site, _ = build_site(papers)
    again = pickle.loads(pickle.dumps(site))
    assert [p.shape for p in again.papers] == sorted(
        (shape_of(p) for p in papers), key=lambda s: [p.slug for p in site.papers].index(s.slug))
    assert all(type(p.shape) is Shape for p in again.papers)
    # every field the paper's own, but the abstract, which only the related papers read:
    # of it, a digest
    fields = {f.name for f in dataclasses.fields(Shape)} - {"abstract_digest"}
    assert fields < {f.name for f in dataclasses.fields(Paper)}
    assert all(getattr(shape_of(papers[0]), name) == getattr(papers[0], name)
               for name in fields)
    assert shape_of(papers[0]) != shape_of(dataclasses.replace(papers[0], abstract="Other."))


# --- patching the big data files -------------------------------------------------------

def test_patched_papers_json_and_bib_equal_made_ones(tmp_path):
    papers = sample_papers(tmp_path)
    config, _ = load_config(tmp_path / "p" / "config.yaml")
    site, _ = build_site(papers)
    by_slug = {p.slug: p for p in papers}
    keys = bibtex_keys(papers, key_base)
    from generator.feeds import bibtex_entry, papers_json_row

    def json_of(site, papers, keys, config) -> bytes:
        return papers_json(site, config, lambda placed: papers_json_row(
            placed, papers[placed.slug], keys[placed.slug]))

    for at in ({0}, {2}, {len(papers) - 1}, {0, 3, len(papers) - 1}):
        edits = {site.papers[i].slug: dataclasses.replace(
            by_slug[site.papers[i].slug], notes=f"new notes {i}", abstract="new") for i in at}
        site2, _ = build_site([edits.get(p.slug, p) for p in papers])
        papers2 = {p.slug: edits.get(p.slug, p) for p in papers}
        rows = {i: papers_json_row(site2.papers[i], papers2[site2.papers[i].slug],
                                   keys[site2.papers[i].slug]) for i in at}
        assert patch_papers_json(json_of(site, by_slug, keys, config), rows, len(papers)) == \
            json_of(site2, papers2, keys, config)
    edited = edits[site.papers[0].slug]
    row = rows[0]
    assert patch_papers_json(b"not json\n", {0: row}, len(papers)) is None
    assert patch_papers_json(json_of(site, by_slug, keys, config), {0: row}, len(papers) + 1) \
        is None
    entries = {p.slug: bibtex_entry(p, keys[p.slug]) for p in papers}
    new = bibtex_entry(edited, keys[edited.slug])
    assert patch_papers_bib(papers_bib(entries, keys), [(entries[edited.slug], new)]) == \
        papers_bib(entries | {edited.slug: new}, keys)
    assert patch_papers_bib(b"@misc{other,\n}", [(entries[edited.slug], new)]) is None


# --- builds ---------------------------------------------------------------------------

def test_a_notes_edit_reuses_the_plan_and_builds_the_cold_site(project, edits):
    append_notes(project, PAPER, "A new thought.")
    build_to_disk(project)
    assert edits == [1]
    assert read_tree(project.output_path) == dict(build(project).files)


@pytest.mark.parametrize("updates", [
    {"status": "read", "rating": 4},
    {"pdf": "https://example.org/x.pdf", "doi": "10.1/xyz"},
])
def test_edits_outside_the_shape_are_edits(project, edits, updates):
    edit(project, PAPER, **updates)
    build_to_disk(project)
    assert edits == [1]
    assert read_tree(project.output_path) == dict(build(project).files)


@pytest.mark.parametrize("updates", [
    {"title": "A different title"},
    {"abstract": "A new abstract with *Markdown* and $x^2$."},  # (related papers read it)
    {"tags": ["new-tag"]},
    {"date": "2020-01-02"},
    {"authors": ["Someone Else"]},
])
def test_edits_to_the_shape_plan_the_site_afresh(project, edits, updates):
    edit(project, PAPER, **updates)
    build_to_disk(project)
    assert edits == [None]
    assert read_tree(project.output_path) == dict(build(project).files)


@needs_node
def test_a_github_link_added_in_an_edit_makes_has_code_find_the_paper(project, edits,
                                                                      tmp_path):
    """The paper page labels a code host's link "Code"; has:code (search/facets.js) finds
    the paper by it too, also after a build that takes the edit on its own."""
    from test_search_filters import run_queries

    [before] = run_queries(project.output_path, [{"q": "has:code"}], tmp_path)
    assert "focusllm" in before["slugs"]  # (a GitHub link, no "Code" flag from a listing)
    assert "mem-alpha" not in before["slugs"]
    edit(project, "mem-alpha", links=["https://github.com/example/mem-alpha"])
    build_to_disk(project)
    assert edits == [1]
    assert read_tree(project.output_path) == dict(build(project).files)
    page = (project.output_path / "papers/mem-alpha/index.html").read_text(encoding="utf-8")
    assert '<span class="link-label">Code</span> github.com/example/mem-alpha' in page
    [after] = run_queries(project.output_path, [{"q": "has:code"}], tmp_path)
    assert set(after["slugs"]) == set(before["slugs"]) | {"mem-alpha"}


def test_a_theme_reading_every_paper_completes_them_from_the_content(tmp_path, edits):
    """List pages that show abstracts read papers the edit did not touch: their stand-ins
    are completed from the parsed content (from the cache, or the file itself)."""
    theme = tmp_path / "mytheme" / "templates"
    theme.mkdir(parents=True)
    (theme / "index.html").write_text(
        '{% extends "!theme/index.html" %}{% block content %}{{ super() }}'
        "{% for p in papers %}<p>{{ p.abstract_html }}</p>{% endfor %}{% endblock %}",
        encoding="utf-8")
    config, _ = load_config(write_sample_project(
        tmp_path / "project", extra_config=f"theme_overrides: {theme.parent.as_posix()}\n"))
    build_to_disk(config)
    append_notes(config, PAPER, "Edited.")
    for name in (config.root / CACHE_DIR).glob("parsed-*.pickle"):
        name.unlink()  # completed from the files themselves
    build_to_disk(config)
    assert edits[-1] == 1
    assert read_tree(config.output_path) == dict(build(config).files)


def test_a_lost_shape_file_plans_afresh(project, edits):
    (project.root / CACHE_DIR / "shape.pickle").write_bytes(b"garbage")
    append_notes(project, PAPER, "Edited.")
    build_to_disk(project)
    assert edits == [None]
    append_notes(project, PAPER, "Edited again.")  # the shape was written anew
    build_to_disk(project)
    assert edits == [None, 1]
    assert read_tree(project.output_path) == dict(build(project).files)


def test_a_parse_error_in_an_edit_is_reported_as_in_a_full_build(project, edits):
    from generator.diagnostics import BuildError

    path = project.papers_path / f"{PAPER}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("title:", "title: [", 1),
                    encoding="utf-8")
    before = read_tree(project.output_path)
    with pytest.raises(BuildError) as raised:
        build_to_disk(project)
    assert raised.value.diagnostics[0].path.endswith(f"{PAPER}.md")
    assert read_tree(project.output_path) == before


EDITS = st.lists(st.tuples(
    st.sampled_from(["notes", "abstract", "status", "rating", "title", "tags", "links",
                     "revert", "add", "delete"]),
    st.sampled_from(["focusllm", "relu2-wins", "mem-alpha", "undated-notes", "xss"]),
    st.integers(0, 3)), min_size=1, max_size=5)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=EDITS)
def test_any_sequence_of_edits_builds_the_cold_site(tmp_path_factory, steps):
    """On disk and in memory (the dev server), after every step of a random sequence of
    edits, the site is byte for byte a cold build of the content."""
    root = tmp_path_factory.mktemp("edits")
    config, _ = load_config(write_sample_project(root))
    build_to_disk(config)
    cache = BuildCache()
    build(config, cache=cache)
    originals = {p.name: p.read_text(encoding="utf-8")
                 for p in config.papers_path.glob("*.md")}
    for kind, slug, n in steps:
        path = config.papers_path / f"{slug}.md"
        if kind == "revert":
            path.write_text(originals[path.name], encoding="utf-8")
        elif kind == "delete":
            path.unlink(missing_ok=True)
        elif kind == "add":
            if path.exists():
                continue
            path.write_text(originals[path.name], encoding="utf-8")
        elif not path.exists():
            continue
        elif kind == "notes":  # (footnotes, renumbered as they come)
            append_notes(config, slug, f"Note {n}.[^n{n}]\n\n[^n{n}]: Foot {n}." if n % 2
                         else f"Note {n}.")
        elif kind == "abstract":
            edit(config, slug, abstract=f"Abstract number {n}.")
        elif kind == "status":
            edit(config, slug, status=["unread", "reading", "read", "read"][n])
        elif kind == "rating":
            edit(config, slug, rating=n + 1)
        elif kind == "title":
            # (one paper, one title; in Chinese too: the index's pairs of letters)
            edit(config, slug, title=f"Retitled {slug} {n}" if n < 3 else f"大型语言模型 {slug}")
        elif kind == "tags":
            edit(config, slug, tags=[f"tag-{n}"])
        elif kind == "links":  # (a code host's link: has:code, in search/facets.js)
            edit(config, slug, links=[["https://github.com/x/y", "https://example.org/y",
                                       "https://gitlab.com/x/y"][n % 3]] if n else [])
        expected = dict(build(config).files)
        build_to_disk(config)
        assert read_tree(config.output_path) == expected
        assert dict(build(config, cache=cache).files) == expected
    shutil.rmtree(root)
