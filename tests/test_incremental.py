"""Incremental builds: what the cache reuses is exactly what a cold build would make.

Every test compares an incremental build, byte for byte, with a cold build of the same
content (in memory, no cache), and checks that only what depends on a change was made.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import read_tree, write_sample_project

import generator.content as content
import generator.parallel as parallel
import generator.search as search
from generator.build import build, build_to_disk
from generator.cache import (
    CACHE_DIR,
    FORMAT,
    BuildCache,
    CacheStore,
    Manifest,
    code_version,
    scan_inputs,
)
from generator.config import load_config
from generator.content import edit_front_matter
from generator.diagnostics import BuildError
from generator.serve import DevServer, IncrementalBuild
from generator.theme import load_theme

PAPER = "relu2-wins"  # the sample paper whose notes and title the tests edit
# parts an edit of PAPER makes at most: its page, its neighbours', and (when its card
# changes: it had no notes) the lists, feeds, queue and stats that show it; of ~150
EDIT_PARTS = 30


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


@pytest.fixture
def project(tmp_path: Path):
    """A built sample project -> (config, site folder, papers folder)."""
    config_path = write_sample_project(tmp_path / "project")
    config, problems = load_config(config_path)
    assert not problems
    out = config.output_path
    build_to_disk(config)
    return config, out, config.papers_path


def cold(config) -> dict[str, bytes]:
    """What a build from nothing makes of the project as it is now."""
    return dict(build(config).files)


def append_notes(papers: Path, slug: str, text: str) -> None:
    with (papers / f"{slug}.md").open("a", encoding="utf-8") as handle:
        handle.write(f"\n{text}\n")


def spy(monkeypatch, owner: Any, name: str, pick: Callable[..., Any]) -> list[Any]:
    """The calls of ``owner.name`` from now on (in this process, and in workers forked
    after: their own copies), each as ``pick(*args)``."""
    calls: list[Any] = []
    real = getattr(owner, name)

    def called(*args: Any, **kwargs: Any) -> Any:
        calls.append(pick(*args))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, called)
    return calls


def test_nothing_changed_makes_and_writes_nothing(project):
    config, out, _ = project
    before = stats(out)
    result = build_to_disk(config)
    assert result.made == 0
    assert stats(out) == before
    assert dict(result.files) == read_tree(out)
    # the cache keeps itself out of git (and backups)
    assert (config.root / CACHE_DIR / ".gitignore").read_text().endswith("*\n")


def test_editing_notes_remakes_that_paper_page_only(project):
    config, out, papers = project
    append_notes(papers, PAPER, "First notes.")  # (a card shows that a paper has notes)
    build_to_disk(config)
    before, times = read_tree(out), stats(out)
    append_notes(papers, PAPER, "A new thought about *ReLU²*.")
    result = build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    diff = changed(before, after)
    assert {p for p in diff if p.endswith(".html")} == {f"papers/{PAPER}/index.html"}
    # besides the page: the data that carries notes (JSON, the feeds: its tags' too) and
    # the search index
    assert diff - {f"papers/{PAPER}/index.html"} <= {
        "papers.json", "feed.xml", "tags/efficiency/feed.xml", "tags/sparsity/feed.xml"} | {
        p for p in after if p.startswith("search/")}
    assert b"A new thought about" in after[f"papers/{PAPER}/index.html"]
    # files whose bytes did not change were not rewritten
    now = stats(out)
    assert all(now[p] == times[p] for p in after if p not in diff)
    # far fewer parts made than a whole site (pages listing the paper, its neighbours)
    assert 0 < result.made < EDIT_PARTS


def test_footnote_edits_build_what_a_cold_build_makes(project):
    """Footnotes are numbered and named by the paper alone: adding one, editing its note
    and citing another first (which renumbers both) remake that paper's page (and the
    data carrying its notes), as a cold build makes them."""
    config, out, papers = project
    file = papers / f"{PAPER}.md"
    append_notes(papers, PAPER, "Sparse.[^a]\n\n[^a]: At 90%.")
    build_to_disk(config)
    assert read_tree(out) == cold(config)
    for old, new in [("At 90%.", "At 95%."), ("Sparse.[^a]", "Fast.[^b] Sparse.[^a]\n\n"
                                                               "[^b]: On a GPU.")]:
        before = read_tree(out)
        file.write_text(file.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        build_to_disk(config)
        after = read_tree(out)
        assert after == cold(config)
        assert {p for p in changed(before, after) if p.endswith(".html")} == \
            {f"papers/{PAPER}/index.html"}
    page = after[f"papers/{PAPER}/index.html"].decode()
    assert f'<li id="fn-{PAPER}--1"><p>On a GPU.' in page
    assert f'<li id="fn-{PAPER}--2"><p>At 95%.' in page


def test_a_notes_edit_leaves_the_lists_that_show_its_card_alone(project, monkeypatch):
    """A card shows whether a paper has notes, not the notes: an edit of notes the paper
    had already does not make the pages that list it again (nor read the cards they
    show). A status is on the card: they are, and both builds are as cold ones."""
    from generator.render import Renderer

    config, out, papers = project
    append_notes(papers, PAPER, "First notes.")
    build_to_disk(config, jobs=1)
    made = spy(monkeypatch, Renderer, "render", lambda self, page: page.path)
    append_notes(papers, PAPER, "Only the page itself.")
    build_to_disk(config, jobs=1)
    built = set(made)
    assert f"papers/{PAPER}/index.html" in built
    assert all(p.startswith("papers/") for p in built), built  # itself and its neighbours
    assert read_tree(out) == cold(config)
    made.clear()
    append_notes(papers, PAPER, "And again.")  # (its card was kept under its older view)
    build_to_disk(config, jobs=1)
    assert made and all(p.startswith("papers/") for p in made), made
    made.clear()
    text = (papers / f"{PAPER}.md").read_text(encoding="utf-8")
    assert "\nstatus: reading\n" in text
    (papers / f"{PAPER}.md").write_text(text.replace("\nstatus: reading\n", "\nstatus: read\n"),
                                        encoding="utf-8")
    build_to_disk(config, jobs=1)
    assert "index.html" in made  # the home page shows its card
    assert b"status-read" in read_tree(out)["index.html"]
    assert read_tree(out) == cold(config)


def test_a_scan_reads_only_the_files_whose_stat_changed(project, monkeypatch):
    import generator.content as content

    config, out, papers = project
    monkeypatch.setattr(content, "RACY_NS", 0)  # (utime just set every ctime to now)
    build_to_disk(config)  # records the stats
    read = spy(monkeypatch, content, "_read", lambda path, *size: path)
    assert build_to_disk(config).made == 0 and read == []
    append_notes(papers, PAPER, "Read again.")
    build_to_disk(config)
    assert [Path(p).stem for p in read] == [PAPER]
    assert read_tree(out) == cold(config)


def test_the_cache_holds_however_the_command_line_names_the_project(project, monkeypatch):
    """The same project from another folder, by a relative, absolute or ``..`` path: the
    site and every file's stat are kept, and no content file is read again."""
    config, out, papers = project
    monkeypatch.setattr(content, "RACY_NS", 0)  # (the files were written just now)
    build_to_disk(config)  # records the stats
    read = spy(monkeypatch, content, "_read", lambda path, *size: path)
    before = stats(out)
    root = config.root.resolve()
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    for cwd, named in ((root, "config.yaml"), (root.parent, f"{root.name}/config.yaml"),
                       (elsewhere, str(root / "config.yaml")),
                       (elsewhere, f"../{root.name}/config.yaml"), (root, "config.yaml")):
        monkeypatch.chdir(cwd)
        moved, problems = load_config(Path(named))
        assert not problems
        assert build_to_disk(moved).made == 0, (cwd, named)
        assert stats(out) == before and read == [], (cwd, named)
    append_notes(papers, PAPER, "Edited, then built from elsewhere.")
    monkeypatch.chdir(elsewhere)
    moved = load_config(Path(f"../{root.name}/config.yaml"))[0]
    result = build_to_disk(moved)
    assert [Path(p).stem for p in read] == [PAPER]
    # its page, its neighbours', and (its card now says it has notes) the lists, feeds,
    # queue and stats that show it: not the site's 130 parts
    assert 0 < result.made < EDIT_PARTS
    assert read_tree(out) == cold(config)


def test_a_content_file_is_read_whole_whatever_its_stat_said(tmp_path):
    """One read when the size is as stat'ed; the whole file when it is not (it changed
    between the stat and the read), never a part of it."""
    file = tmp_path / "a.md"
    data = b"---\ntitle: A\n---\n" + b"x" * 70_000
    file.write_bytes(data)
    for size in (len(data), -1, 0, 10, len(data) - 1, len(data) + 5, 1 << 20):
        assert content._read(str(file), size) == data, size
    file.write_bytes(b"")
    assert content._read(str(file), 0) == b"" and content._read(str(file), 5) == b""


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(project):
    config, out, papers = project
    file = papers / f"{PAPER}.md"
    text, st = file.read_text(encoding="utf-8"), file.stat()
    swapped = text.replace("ReLU", "RELU", 1)
    assert swapped != text and len(swapped) == len(text)
    file.write_text(swapped, encoding="utf-8")
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    build_to_disk(config)
    assert read_tree(out) == cold(config)
    assert b"RELU" in read_tree(out)[f"papers/{PAPER}/index.html"]


def test_a_file_edited_right_after_a_scan_is_read_again(project):
    """Racy clean: an edit within the clock tick of the last scan could keep every stat
    field (on file systems with coarse timestamps), so such a file is always hashed."""

    config, _, papers = project
    theme, _ = load_theme(config)
    first = scan_inputs(config, theme.folders)
    file = papers / f"{PAPER}.md"
    st = file.stat()
    file.write_text(file.read_text(encoding="utf-8").replace("ReLU", "RELU", 1),
                    encoding="utf-8")
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))
    known = dict(first.known)
    shown = next(s.shown for s in first.sources if s.slug == PAPER)
    stat = os.stat(file)  # pretend the file system could not tell the two versions apart
    known[shown] = ((stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino),
                    known[shown][1])
    last = Manifest("", 0, [], {}, sources=known, scanned_ns=first.scanned_ns)
    again = scan_inputs(config, theme.folders, last)
    assert next(s for s in again.sources if s.slug == PAPER).digest != \
        next(s for s in first.sources if s.slug == PAPER).digest


def test_editing_a_title_updates_every_page_that_shows_it(project):
    config, out, papers = project
    file = papers / f"{PAPER}.md"
    file.write_text(edit_front_matter(file.read_text(), {"title": "Squared ReLU Wins Again"}))
    build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    site = build(config)
    for path, data in after.items():
        if path.endswith(".html") and b"Squared ReLU Wins Again" in data:
            assert path == f"papers/{PAPER}/index.html" or path in site.files
    showing = {p for p, data in after.items() if b"Squared ReLU Wins Again" in data}
    assert "index.html" in showing  # the home page's card
    assert "tags/efficiency/index.html" in showing  # its term pages
    assert "tags/sparsity/index.html" in showing
    # its neighbours' previous/next links
    assert sum(p.startswith("papers/") and p != f"papers/{PAPER}/index.html"
               for p in showing) >= 1


def test_deleting_a_paper_removes_its_pages(project):
    config, out, papers = project
    assert (out / "papers" / "mem-alpha" / "index.html").exists()
    assert (out / "authors" / "ryuichi-takanobu" / "index.html").exists()
    (papers / "mem-alpha.md").unlink()
    build_to_disk(config)
    assert not (out / "papers" / "mem-alpha").exists()
    assert not (out / "authors" / "ryuichi-takanobu").exists()  # its only paper
    assert read_tree(out) == cold(config)


def test_adding_a_paper_makes_only_the_pages_that_show_it(project, monkeypatch):
    """The home page shows how many papers there are; the other pages do not, so they are
    not made again when a paper is added (as an import does): only its page, its
    neighbours', the pages whose related papers change, the lists and indexes it joins,
    and the home page."""
    from generator.render import Renderer

    config, out, papers = project
    before = read_tree(out)
    rendered = spy(monkeypatch, Renderer, "render", lambda self, page: page.path)
    (papers / "new-one.md").write_text("---\ntitle: A New One\nauthors: [Ada Lovelace]\n"
                                       "date: 2020-02-01\ntags: [efficiency]\n---\nNotes.\n")
    build_to_disk(config)
    made = set(rendered)  # (not what the cold build below renders)
    after = read_tree(out)
    assert after == cold(config)
    shows = {p for p, data in after.items() if p.endswith(".html") and b"A New One" in data}
    assert shows <= made
    papers_made = {p for p in made if p.startswith("papers/")}
    # its page, its neighbours', those whose related papers changed: those that changed
    assert papers_made == {p for p in after if p.startswith("papers/") and
                           before.get(p) != after[p]}
    assert len(papers_made) < len({p for p in after if p.startswith("papers/")})
    assert not [p for p in made if p.startswith("venues/")]  # it has no venue
    # of the lists of its kinds, only those it joins (and the indexes of them all)
    assert {p for p in made if p.startswith(("authors/", "tags/"))} == {
        "authors/index.html", "authors/ada-lovelace/index.html", "tags/index.html",
        "tags/efficiency/index.html"}
    assert len(made) < len([p for p in after if p.endswith(".html")])


def test_a_page_is_keyed_by_the_fields_it_reads_and_by_all_of_what_else_it_reads():
    import jinja2

    from generator.render import PageKeys, Ref, chain_reads, template_reads
    from generator.site import Index, Term

    env = jinja2.Environment(loader=jinja2.DictLoader({
        "t.html": "{{ index.url }}{{ term.count }}{% for k, v in stats.items() %}{% endfor %}"}))
    keys = PageKeys({}, None, {"a": "1"}, "salt", reads=template_reads(env))
    names = chain_reads(keys._reads, ("t.html",))
    one = Term("tag", "x", "x", "tags/x/index.html", ("a",))
    index = Index("tags", "tag", "Tags", "tags/index.html", (one,))
    more = Index("tags", "tag", "Tags", "tags/index.html", (one, one))
    assert keys.read_token(index, names, "index") == keys.read_token(more, names, "index")
    # a property (term.count) and a mapping's items(): all of the value
    assert keys.read_token(one, names, "term") != keys.read_token(
        Term("tag", "x", "x", "tags/x/index.html", ("a", "b")), names, "term")
    assert keys.read_token({"a": 1}, names, "stats") != keys.read_token({"a": 2}, names,
                                                                        "stats")
    assert keys.read_token(Ref("a"), names, "paper") == keys.token(Ref("a"))


def test_adding_a_paper_adds_its_pages(project):
    config, out, papers = project
    (papers / "new-one.md").write_text("---\ntitle: A New One\nauthors: [Ada Lovelace]\n"
                                       "date: 2026-02-01\ntags: [efficiency]\n---\nNotes.\n")
    build_to_disk(config)
    assert (out / "papers" / "new-one" / "index.html").exists()
    assert (out / "authors" / "ada-lovelace" / "index.html").exists()
    assert read_tree(out) == cold(config)


def test_a_template_override_rebuilds_every_page(project):
    config, out, _ = project
    before = read_tree(out)
    cards = config.root / "overrides" / "templates" / "partials"
    cards.mkdir(parents=True)
    shutil.copy(config.theme_path / "templates" / "partials" / "paper_card.html",
                cards / "paper_card.html")
    with (cards / "paper_card.html").open("a") as handle:
        handle.write("<!-- overridden -->\n")
    result = build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    assert result.made >= len([p for p in after if p.endswith(".html")])
    assert b"<!-- overridden -->" in after["index.html"]
    # an override of a template no page uses still rebuilds everything (keys hash the theme)
    (config.root / "overrides" / "templates" / "unused.html").write_text("x")
    assert build_to_disk(config).made >= len([p for p in after if p.endswith(".html")])
    assert read_tree(out) != before


def test_a_stylesheet_edit_makes_the_static_files_again_not_the_pages(project):
    """Pages are made from templates, never from static files: a theme author restyling
    the site (in the dev server too) waits for a copy, not for every page."""
    config, out, _ = project
    before = stats(out)
    css = config.root / "overrides" / "static" / "css"
    css.mkdir(parents=True)
    shutil.copy(config.theme_path / "static" / "css" / "style.css", css / "style.css")
    with (css / "style.css").open("a") as handle:
        handle.write(".card-title { letter-spacing: 0.01em; }\n")
    result = build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    assert after["static/css/style.css"].endswith(b"letter-spacing: 0.01em; }\n")
    now = stats(out)
    remade = {p for p in now if before.get(p) != now[p]}
    assert remade and all(p.startswith("static/") for p in remade), remade
    assert result.made == 1  # the static files


def test_a_config_change_rebuilds_everything(project):
    config, out, _ = project
    config_path = config.root / "config.yaml"
    config_path.write_text(config_path.read_text().replace(
        "title: Sample reading list", "title: Another title"))
    config, _ = load_config(config_path)
    result = build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    assert all(b"Another title" in data for p, data in after.items() if p.endswith(".html")
               and p != "404.html")
    assert result.made >= len([p for p in after if p.endswith(".html")])


def test_edit_and_revert_builds_the_cold_site_byte_for_byte(project):
    config, out, papers = project
    original = read_tree(out)
    file = papers / f"{PAPER}.md"
    text = file.read_text()
    append_notes(papers, PAPER, "Temporary.")
    file2 = papers / "focusllm.md"
    text2 = file2.read_text()
    file2.write_text(edit_front_matter(text2, {"tags": ["long-context", "renamed"]}))
    build_to_disk(config)
    assert read_tree(out) != original
    file.write_text(text)
    file2.write_text(text2)
    build_to_disk(config)
    assert read_tree(out) == original == cold(config)


def test_a_corrupt_or_old_cache_is_ignored(project):
    config, out, papers = project
    cache = config.root / CACHE_DIR
    files = sorted(cache.glob("*.pickle"))
    assert files
    for i, file in enumerate(files):
        if i % 2:
            file.write_bytes(b"not a pickle")
        else:  # readable, but of an older format
            file.write_bytes(pickle.dumps((FORMAT - 1, "old", {"x": 1})))
    append_notes(papers, PAPER, "After the cache broke.")
    build_to_disk(config)
    assert read_tree(out) == cold(config)
    # and a cache of the right format whose contents lie is not trusted either
    for file in cache.glob("parsed-*.pickle"):
        stored = pickle.loads(file.read_bytes())
        value = {key: (None, []) for key in stored[2]}  # every paper "unusable"
        file.write_bytes(pickle.dumps((stored[0], "another code version", value)))
    build_to_disk(config)
    assert read_tree(out) == cold(config)


def test_every_library_the_build_renders_with_is_in_the_code_version():
    """A cache made with another version of a library that shapes the output (markdown-it,
    its footnote plugin, Jinja...) is not reused: each library a build module imports is
    one whose version the code version holds (the importers' and the server's are not
    part of the output)."""
    import ast
    import importlib.metadata
    import sys

    from generator.cache import LIBRARIES

    package = Path(content.__file__).parent
    distributions = importlib.metadata.packages_distributions()
    wanted = {name.lower().replace("-", "_") for name in LIBRARIES}
    for file in sorted(package.rglob("*.py")):
        if "listings" in file.parts or file.name == "serve.py":
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "generator":
                    continue
                dists = {d.lower().replace("-", "_") for d in distributions.get(top, [top])}
                assert dists & wanted, f"{file.name} imports {top}, not in LIBRARIES"


def test_an_edit_rewrites_only_the_cache_shards_it_changes(project):
    config, out, papers = project
    cache = config.root / CACHE_DIR

    def shards() -> dict[str, tuple[int, int]]:
        return {name: stat for name, stat in stats(cache).items()
                if name.startswith(("parsed-", "memo-"))}

    before = shards()
    assert len(before) > 8 and not (cache / "parsed.pickle").exists()
    assert build_to_disk(config).made == 0  # nothing changed: nothing rewritten
    assert shards() == before
    append_notes(papers, PAPER, "One more thought.")
    build_to_disk(config)
    after = shards()
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert any(name.startswith("parsed-") for name in rewritten)
    assert len(rewritten) <= 12, rewritten  # the paper's old and new entries' shards
    assert read_tree(out) == cold(config)
    # and the next build reads them all back: nothing to make
    assert build_to_disk(config).made == 0


def search_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {p: data for p, data in files.items() if p.startswith("search/")}


@pytest.fixture
def papers_read(monkeypatch) -> list[str]:
    """The slugs of the papers the search index reads (in-process builds: small sites)."""
    return spy(monkeypatch, search, "field_texts", lambda paper: paper.slug)


def test_the_search_index_reads_only_the_papers_that_changed(project, papers_read):
    """.cache/search.pickle keeps the index: the next build reads only the changed papers
    and makes the bytes a cold build makes."""
    config, out, papers = project
    assert isinstance(CacheStore(config.root / CACHE_DIR, out).read("search"),
                      search.SearchMemo)
    file = papers / f"{PAPER}.md"
    edits = [
        ("notes", lambda: append_notes(papers, PAPER, "A zorblaxing new thought."), [PAPER]),
        ("added", lambda: (papers / "new-one.md").write_text(
            "---\ntitle: A Quuxotic New One\nauthors: [Ada Lovelace]\ndate: 2026-02-01\n"
            "---\nNotes.\n"), ["new-one"]),
        ("removed", lambda: (papers / "mem-alpha.md").unlink(), []),
        ("title", lambda: file.write_text(edit_front_matter(file.read_text(),
                                                            {"title": "Squared ReLU"})),
         [PAPER]),
    ]
    for name, change, read in edits:
        change()
        papers_read.clear()
        build_to_disk(config)
        assert papers_read == read, name
        assert search_files(read_tree(out)) == search_files(cold(config)), name
    assert read_tree(out) == cold(config)


def test_the_dev_server_keeps_the_search_index_too(project, papers_read):
    config, _, papers = project
    cache = BuildCache()
    build(config, cache=cache)
    append_notes(papers, PAPER, "Seen by the dev server's index.")
    papers_read.clear()
    again = build(config, cache=cache)
    assert papers_read == [PAPER]
    assert dict(again.files) == cold(config)


def test_a_broken_search_cache_is_ignored(project, papers_read):
    config, out, papers = project
    file = config.root / CACHE_DIR / "search.pickle"
    good = file.read_bytes()
    for i, data in enumerate([b"", b"not a pickle", good[:len(good) // 2],
                              pickle.dumps((FORMAT, code_version(), {"not": "a memo"})),
                              pickle.dumps((FORMAT - 1, code_version(), None))]):
        file.write_bytes(data)
        append_notes(papers, PAPER, f"After the search cache broke ({i}).")
        papers_read.clear()
        build_to_disk(config)
        assert len(papers_read) > 1  # read afresh
        assert read_tree(out) == cold(config)


def test_a_build_from_nothing_does_not_read_the_search_cache(project):
    """No last build to go on (an in-memory build without a cache, or a first build):
    the index is made from the papers, whatever .cache/search.pickle says."""
    config, out, _ = project
    store = CacheStore(config.root / CACHE_DIR, out)
    memo = store.read("search")
    memo.papers = {key: paper._replace(row='["lies"]') for key, paper in memo.papers.items()}
    store.write("search", memo)
    assert b'"lies"' not in b"".join(search_files(cold(config)).values())


def test_a_file_changed_in_the_site_by_hand_is_made_again(project):
    config, out, _ = project
    page = out / "papers" / PAPER / "index.html"
    good = page.read_bytes()
    page.write_bytes(b"vandalised")
    (out / "tags" / "efficiency" / "index.html").unlink()
    result = build_to_disk(config)
    assert page.read_bytes() == good
    assert read_tree(out) == cold(config)
    assert 0 < result.made < 5


def test_a_failed_build_leaves_the_site_untouched(project):
    config, out, papers = project
    before, times = read_tree(out), stats(out)
    append_notes(papers, PAPER, "An edit that will not be published yet.")
    (papers / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    with pytest.raises(BuildError, match="invalid YAML"):
        build_to_disk(config)
    assert read_tree(out) == before and stats(out) == times
    # a template error is found before anything is written, too
    (papers / "broken.md").unlink()
    overrides = config.root / "overrides" / "templates"
    overrides.mkdir(parents=True)
    (overrides / "paper.html").write_text("{% extends 'base.html' %}{% block content %}"
                                          "{{ paper.no_such_field }}{% endblock %}")
    with pytest.raises(BuildError, match="template error"):
        build_to_disk(config)
    assert read_tree(out) == before and stats(out) == times
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    (overrides / "paper.html").unlink()
    build_to_disk(config)
    assert read_tree(out) == cold(config)
    assert b"An edit that will not be published yet." in read_tree(out)[
        f"papers/{PAPER}/index.html"]


def test_the_dev_server_cache_reuses_work_in_memory(project):
    config, _, papers = project
    cache = BuildCache()
    first = build(config, cache=cache)
    assert first.made > 0
    assert build(config, cache=cache).made == 0
    append_notes(papers, PAPER, "Seen by the dev server.")
    again = build(config, cache=cache)
    assert 0 < again.made < EDIT_PARTS
    assert dict(again.files) == cold(config)


def test_the_dev_server_builds_incrementally(project):
    config, _, papers = project
    dev = DevServer(config.root / "config.yaml", config, port=0)
    assert isinstance(dev.build, IncrementalBuild)
    assert dev.rebuild().ok
    assert dev.build(config).made == 0
    append_notes(papers, PAPER, "Served.")
    report = dev.rebuild()
    assert report.ok and report.reloaded
    assert dev.state.files == cold(config)


def test_another_output_folder_gets_its_own_manifest(project, tmp_path):
    config, out, papers = project
    other = tmp_path / "elsewhere"
    build_to_disk(config, other)
    assert read_tree(other) == read_tree(out)
    append_notes(papers, PAPER, "Only rebuilt where asked.")
    build_to_disk(config, other)
    assert read_tree(other) == cold(config)
    assert read_tree(out) != read_tree(other)
    build_to_disk(config)
    assert read_tree(out) == read_tree(other)


def test_parallel_and_serial_builds_are_identical(project, monkeypatch):
    """The forked workers (on for big sites) make the same bytes as one process."""
    config, out, papers = project
    if not parallel.can_fork():  # e.g. another test left threads running: a test bug
        pytest.fail("cannot fork here, so the parallel path would go untested")
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    serial = dict(build(config, jobs=1).files)
    forked = dict(build(config, jobs=2).files)
    assert forked == serial
    shutil.rmtree(config.root / CACHE_DIR)
    shutil.rmtree(out)
    build_to_disk(config, jobs=2)
    assert read_tree(out) == serial
    kept = config.root / CACHE_DIR / "search.pickle"
    before = kept.stat().st_mtime_ns
    append_notes(papers, PAPER, "Edited while forking.")
    build_to_disk(config, jobs=2)
    assert kept.stat().st_mtime_ns > before  # the index, made in a child, kept by it
    assert read_tree(out) == dict(build(config, jobs=1).files)


def test_a_theme_showing_the_count_on_every_page_gets_every_page_made_again(project):
    """Keys follow what the templates read: an override that puts the paper count in the
    footer of every page makes every page again when a paper is added."""
    config, out, papers = project
    base = config.root / "overrides" / "templates" / "base.html"
    base.parent.mkdir(parents=True)
    base.write_text((config.theme_path / "templates" / "base.html").read_text().replace(
        "<footer class=\"site-footer\">", "<footer class=\"site-footer\">{{ counts.papers }}"))
    build_to_disk(config)
    (papers / "new-one.md").write_text("---\ntitle: A New One\ndate: 2020-02-01\n---\n")
    build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    pages = [p for p in after if p.endswith(".html") and p != "404.html"]
    assert all(b'<footer class="site-footer">8' in after[p] for p in pages)


def test_a_full_rebuild_by_workers_keeps_what_they_found_in_the_memo(project, monkeypatch):
    """Workers that take BibTeX entries and cards from the last build's memo (a build that
    plans the whole site again: a paper added, say) do not lose them for the next build,
    whose edit then patches papers.bib rather than making every entry again."""
    import generator.feeds as feeds

    config, out, papers = project
    if not parallel.can_fork():
        pytest.fail("cannot fork here, so the parallel path would go untested")
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    (papers / "new-one.md").write_text("---\ntitle: A New One\nauthors: [Ada Lovelace]\n"
                                       "date: 2020-02-01\n---\nNotes.\n")
    build_to_disk(config, jobs=2)  # the whole site planned again, made by workers
    made = spy(monkeypatch, feeds, "bibtex_entry", lambda paper, key: paper.slug)
    append_notes(papers, PAPER, "Edited after the workers' build.")
    build_to_disk(config, jobs=2)
    assert made == [PAPER]
    assert read_tree(out) == cold(config)


def test_the_search_index_of_an_edit_starts_before_the_site_shape_is_read(
        project, monkeypatch):
    """In the workers, an edit's index is made from the search memo alone (the last
    build's order); when the edit turns out to change a paper's shape it is dropped and
    made afresh, and a memo that is not the last build's is not trusted."""
    config, out, papers = project
    if not parallel.can_fork():
        pytest.fail("cannot fork here, so the parallel path would go untested")
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    cancelled: list[str] = []
    from generator.make import Background

    real_cancel = Background.cancel
    monkeypatch.setattr(Background, "cancel", lambda self, part: (
        cancelled.append(part.name), real_cancel(self, part))[1])
    build_to_disk(config, jobs=2)
    append_notes(papers, PAPER, "Indexed early.")
    build_to_disk(config, jobs=2)
    assert read_tree(out) == cold(config) and not cancelled
    # a new title: not an edit of the last build after all
    path = papers / f"{PAPER}.md"
    path.write_text(edit_front_matter(path.read_text(), {"title": "Retitled"}))
    build_to_disk(config, jobs=2)
    assert cancelled == ["search"]
    assert read_tree(out) == cold(config)
    # a search memo that is not the last build's (an older one): made the usual way
    cancelled.clear()
    kept = config.root / CACHE_DIR / "search.pickle"
    older = kept.read_bytes()
    append_notes(papers, PAPER, "Indexed, then forgotten.")
    build_to_disk(config, jobs=2)
    kept.write_bytes(older)
    append_notes(papers, PAPER, "With an older memo.")
    build_to_disk(config, jobs=2)
    assert not cancelled
    assert read_tree(out) == cold(config)


def test_a_build_from_nothing_reads_and_parses_each_file_once_in_the_workers(
        project, monkeypatch):
    """With no cache, the workers that parse the files read and hash them too: this
    process reads none, and the site (and the next build's reuse) is as before."""
    config, out, papers = project
    if not parallel.can_fork():
        pytest.fail("cannot fork here, so the parallel path would go untested")
    expected = cold(config)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    read_here = spy(monkeypatch, content, "_read", lambda path, *size: path)
    shutil.rmtree(config.root / CACHE_DIR)
    shutil.rmtree(out)
    build_to_disk(config, jobs=2)
    assert read_tree(out) == expected
    assert [p for p in read_here if p.endswith(".md")] == []
    append_notes(papers, PAPER, "Edited after a build from nothing.")
    result = build_to_disk(config, jobs=2)
    assert read_tree(out) == cold(config)
    assert 0 < result.made < EDIT_PARTS  # the first build's manifest and plan were kept
    # the dev server's first build, in memory, likewise; then its next one reuses it
    cache = BuildCache()
    read_here.clear()
    assert dict(build(config, cache=cache, jobs=2).files) == read_tree(out)
    assert [p for p in read_here if p.endswith(".md")] == []
    append_notes(papers, PAPER, "Edited in the dev server.")
    assert 0 < build(config, cache=cache, jobs=2).made < EDIT_PARTS


def test_a_folder_not_built_by_us_is_still_refused(project, tmp_path):
    config, _, _ = project
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(BuildError, match="refusing to replace"):
        build_to_disk(config, precious)
    assert os.listdir(precious) == ["thesis.tex"]


def test_the_names_templates_read_include_every_context_name_they_use():
    """Page keys leave out values no template reads: every name a template loads must be
    found, in the template or any it extends, includes or imports."""
    import jinja2

    from generator.render import chain_reads, names_read, template_reads

    env = jinja2.Environment(loader=jinja2.DictLoader({
        "base.html": "{% block body %}{% endblock %}{{ config.title }}",
        "page.html": "{% extends 'base.html' %}{% block body %}{% for x in items %}"
                     "{{ x.name }}{% endfor %}{% include 'part.html' %}{% endblock %}",
        "part.html": "{% if counts %}{{ root ~ page_url }}{% endif %}",
        "home.html": "{% extends 'base.html' %}{% from 'macros.html' import m %}{{ m() }}",
        "macros.html": "{% macro m() %}{{ stats }}{% endmacro %}",
        "other.html": "{% include ['part.html', 'x.html'] %}{{ title }}",
        "dynamic.html": "{% include which %}",
    }))
    reads = template_reads(env)
    found = names_read(reads)
    assert found is not None
    assert {"config", "items", "counts", "root", "page_url", "stats", "which"} <= found
    assert not found & {"name", "body", "canonical"}
    # each page by its own chain: a value only the home page shows keys no other page
    page = chain_reads(reads, ("page.html",))
    assert page is not None and {"config", "items", "counts", "root", "page_url"} <= set(page)
    assert "stats" not in page
    assert page["config"] == {"title"} and page["items"] is None  # attributes, or all of it
    home = chain_reads(reads, ("home.html",))
    assert home is not None and {"config", "stats"} <= set(home) and "counts" not in home
    other = chain_reads(reads, ("missing.html", "other.html"))
    assert other is not None and {"title", "counts", "root"} <= set(other)
    assert chain_reads(reads, ("dynamic.html",)) is None  # an expression: every name
    both = jinja2.Environment(loader=jinja2.DictLoader({
        "a.html": "{{ index.url }}{% include 'b.html' %}", "b.html": "{{ index.title }}",
        "c.html": "{{ index.url }}{% include 'd.html' %}", "d.html": "{{ m(index) }}"}))
    assert chain_reads(template_reads(both), ("a.html",)) == {"index": {"url", "title"}}
    assert chain_reads(template_reads(both), ("c.html",))["index"] is None  # passed on whole
    broken = jinja2.Environment(loader=jinja2.DictLoader({"a.html": "{% for %}"}))
    assert template_reads(broken) is None and names_read(None) is None  # every name counts


def related_links(html: bytes) -> list[str]:
    """The links of a paper page's "Related papers" section, in order."""
    import re

    text = html.decode("utf-8")
    if 'class="related"' not in text:
        return []
    section = text.split('<section class="related"')[1].split("</section>")[0]
    return re.findall(r'<a href="([^"]+)"', section)


def test_an_abstract_edit_remakes_the_related_papers_of_other_pages(project):
    """Related papers read every paper's title, abstract and tags: an abstract rewritten to
    be about another paper's subject puts it first among that paper's related papers, as a
    cold build does."""
    config, out, papers = project
    target = "papers/undated-notes/index.html"  # "Undated Notes on Attention"
    before = read_tree(out)
    assert related_links(before[target])[:1] != ["../../papers/mem-alpha/index.html"]
    path = papers / "mem-alpha.md"
    path.write_text(edit_front_matter(path.read_text(encoding="utf-8"), {
        "abstract": "Undated notes on attention: notes, undated, on attention."}),
        encoding="utf-8")
    build_to_disk(config)
    after = read_tree(out)
    assert after == cold(config)
    assert related_links(after[target])[0] == "../../papers/mem-alpha/index.html"


def test_a_notes_edit_keeps_the_related_papers_and_the_pages_that_name_it(project,
                                                                           monkeypatch):
    """Notes are not read by the related papers, nor shown of a related paper: an edit of
    them is an edit of the last build (its related lists kept), which makes again the
    edited paper's page and its neighbours', not every page that names it."""
    from generator.render import Renderer

    config, out, papers = project
    before = read_tree(out)
    named = {p for p, html in before.items() if p.startswith("papers/") and
             "../../papers/focusllm/index.html" in related_links(html)}
    assert named
    link = b'href="../../papers/focusllm/index.html" rel='
    neighbours = {p for p, html in before.items() if p.startswith("papers/") and link in html}
    assert named - neighbours  # pages that name it as related only
    rendered = spy(monkeypatch, Renderer, "render", lambda self, page: page.path)
    append_notes(papers, "focusllm", "A new thought.")
    build_to_disk(config)
    made = {p for p in rendered if p.startswith("papers/")}  # (not the cold build's)
    assert read_tree(out) == cold(config)
    assert made <= {"papers/focusllm/index.html"} | neighbours
    assert not made & (named - neighbours)
