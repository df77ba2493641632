"""Filters, sorts, facets and the BibTeX shard of search (generator/search.py's facets.js
and bib.js, made by generator/plan.py; search.js's query()).

A built list with varied statuses, ratings, notes, tags, years and venues
(tests/filterlist.py): the shards hold exactly each paper's facts and each list page's
papers, bib.js holds papers.bib's entries, and search.js (in Node, with the shipped
lunr.js) filters, scopes, sorts and counts exactly as the papers say.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import filterlist
import pytest
from conftest import write_list
from filterlist import PAPERS, rating, status
from test_search import LUNR_JS, NODE, SEARCH_JS, needs_node

from generator import search
from generator.model import Paper
from generator.reading import facts_of

REPO = Path(__file__).resolve().parent.parent
FILTER_SCRIPT = REPO / "tests/js/filter_query.js"
BY_SLUG = {p["slug"]: p for p in PAPERS}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filterlist.build(tmp_path_factory.mktemp("filters"))


def doc_slugs(site: Path) -> list[str]:
    return [row[0] for row in filterlist.shard(site, "docs")["docs"]]


def test_paper_facts_are_three_digits() -> None:
    paper = Paper(slug="x", title="X", status="reading", rating=4, notes="n", has_code=True,
                  pdf="https://e.org/x.pdf")
    assert search.fact_digits(facts_of(paper, "unread")) == "147"
    assert search.fact_digits(facts_of(Paper(slug="y", title="Y"), "read")) == "200"
    assert search.fact_digits(facts_of(Paper(slug="z", title="Z", notes="  \n"),
                                       "unread")) == "000"


def test_facets_hold_each_papers_facts_in_document_order(site: Path) -> None:
    facets = filterlist.shard(site, "facets")
    order = doc_slugs(site)
    assert facets["docCount"] == len(order) == len(PAPERS)
    assert facets["statuses"] == ["unread", "reading", "read"]
    for d, slug in enumerate(order):
        p = BY_SLUG[slug]
        front = p["front"]
        digits = facets["facts"][3 * d:3 * d + 3]
        flags = (1 if p["notes"] else 0) | (2 if front["has_code"] else 0) | \
            (4 if front["pdf"] else 0)
        assert digits == f"{['unread', 'reading', 'read'].index(status(p))}{rating(p)}{flags}"
        assert facets["added"][d] == int(front["added"].replace("-", ""))


def test_facets_memberships_are_the_list_pages(site: Path) -> None:
    """Per kind, each term's papers are exactly those its list page counts."""
    facets = filterlist.shard(site, "facets")
    order = doc_slugs(site)
    assert facets["kinds"] == ["tags", "authors", "years", "venues"]
    for k, kind in enumerate(facets["kinds"]):
        for t, (folder, name, count) in enumerate(facets["terms"][k]):
            members = {order[d] for d, ids in enumerate(facets["members"][k]) if t in ids}
            assert len(members) == count
            page = (site / folder / "index.html").read_text(encoding="utf-8")
            assert f"{count} paper" in page, (folder, count)
            if kind == "tags":
                expect = {p["slug"] for p in PAPERS if name.lower() in
                          [x.lower() for x in p["front"]["tags"]]}
                assert members == expect, name
            if kind == "venues":
                assert members == {p["slug"] for p in PAPERS if p["front"]["venue"] == name}
    llm = next(t for t in facets["terms"][0] if t[0] == "tags/llm")
    assert llm[2] == sum(1 for p in PAPERS if {"LLM", "llm"} & set(p["front"]["tags"]))


def test_bib_shard_holds_the_entries_of_papers_bib(site: Path) -> None:
    entries = filterlist.shard(site, "bib")["entries"]
    keys = filterlist.bibtex_keys(site)
    assert set(entries) == set(keys) == {p["slug"] for p in PAPERS}
    bib = (site / "papers.bib").read_text(encoding="utf-8")
    assert "\n".join(entries[s] for s in sorted(entries, key=keys.__getitem__)) == bib
    for slug, entry in entries.items():
        assert entry.startswith("@") and "{" + keys[slug] + "," in entry.split("\n")[0]


def test_facets_payload_joins_its_parts() -> None:
    payload = json.loads(search.facets_payload('"added":[],"kinds":[],"terms":[],"members":[]',
                                               iter(["001", "210"]), 2))
    assert payload["facts"] == "001210" and payload["part"] == "facets"


def run_queries(site: Path, queries: list[dict], tmp: Path) -> list[dict]:
    if NODE is None:
        pytest.fail("Node.js is required when CI is set")
    req = tmp / f"filters-{random.random():.12f}.json"
    req.write_text(json.dumps({"lunr": str(LUNR_JS), "searchJs": str(SEARCH_JS),
                               "site": str(site), "queries": queries}), encoding="utf-8")
    proc = subprocess.run([NODE, str(FILTER_SCRIPT), str(req)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def slugs_where(test) -> set[str]:
    return {p["slug"] for p in PAPERS if test(p)}


@needs_node
def test_filters_select_exactly_the_papers_with_those_facts(site: Path, tmp_path: Path) -> None:
    cases = {
        "status:read": lambda p: status(p) == "read",
        "status:unread": lambda p: status(p) == "unread",
        "-status:read": lambda p: status(p) != "read",
        "rating:5": lambda p: rating(p) == 5,
        "rating:>=4": lambda p: rating(p) >= 4,
        "rating:>3": lambda p: rating(p) > 3,
        "rating:<=2": lambda p: 0 < rating(p) <= 2,
        "rating:<2": lambda p: rating(p) == 1,
        "rating:none": lambda p: rating(p) == 0,
        "rating:>0": lambda p: rating(p) > 0,
        "rating:>=0": lambda p: rating(p) > 0,  # rated papers only, as every comparison
        "has:notes": lambda p: bool(p["notes"]),
        "-has:notes": lambda p: not p["notes"],
        "has:code": lambda p: bool(p["front"]["has_code"]),
        "has:pdf": lambda p: bool(p["front"]["pdf"]),
        "in:tags/llm": lambda p: bool({"LLM", "llm"} & set(p["front"]["tags"])),
        "status:read in:tags/rag": lambda p: status(p) == "read" and "rag" in p["front"]["tags"],
        "attention status:reading": lambda p: status(p) == "reading" and (
            "attention" in p["front"]["title"].lower() or "attention" in p["front"]["abstract"]
            or "attention-study" in p["front"]["tags"]),
    }
    answers = run_queries(site, [{"q": q} for q in cases], tmp_path)
    for (q, test), answer in zip(cases.items(), answers, strict=True):
        assert set(answer["slugs"]) == slugs_where(test), q
        assert len(answer["slugs"]) == len(set(answer["slugs"]))
        assert answer["pendingWithoutFacets"], q  # filters wait for facets.js
        assert not answer["hints"], (q, answer["hints"])


@needs_node
def test_a_scope_is_its_list_and_sorts_order_the_results(site: Path, tmp_path: Path) -> None:
    order = doc_slugs(site)
    queries = [{"q": "", "scope": "tags/rag"},
               {"q": "status:read", "scope": "tags/rag", "sort": "rating"},
               {"q": "", "sort": "date"}, {"q": "", "sort": "added"},
               {"q": "", "sort": "rating"}, {"q": "", "sort": "title"},
               {"q": "study", "sort": "relevance"}, {"q": "", "sort": "relevance"},
               {"q": "", "sort": "added-oldest"}]
    a = run_queries(site, queries, tmp_path)
    rag = slugs_where(lambda p: "rag" in p["front"]["tags"])
    assert set(a[0]["slugs"]) == rag and a[0]["sort"] == "date"
    expect = sorted(rag & slugs_where(lambda p: status(p) == "read"),
                    key=lambda s: (-rating(BY_SLUG[s]), order.index(s)))
    assert a[1]["slugs"] == expect
    assert a[2]["slugs"] == order  # newest first: the document order
    dates = [BY_SLUG[s]["front"]["date"] for s in a[2]["slugs"]]
    assert dates == sorted(dates, reverse=True)
    assert a[3]["slugs"] == sorted(order, key=lambda s: (
        -int(BY_SLUG[s]["front"]["added"].replace("-", "")), order.index(s)))
    assert a[4]["slugs"] == sorted(order, key=lambda s: (-rating(BY_SLUG[s]), order.index(s)))
    assert a[5]["slugs"] == sorted(order, key=lambda s: (
        BY_SLUG[s]["front"]["title"].lower(), order.index(s)))
    assert a[6]["sort"] == "relevance" and a[7]["sort"] == "date"  # no words: no relevance
    assert a[8]["sort"] == "added-oldest" and a[8]["slugs"] == sorted(order, key=lambda s: (
        int(BY_SLUG[s]["front"]["added"].replace("-", "")), order.index(s)))


@needs_node
def queue_pages(tmp_path: Path, front: dict[str, str]) -> tuple[dict[int, str], Path]:
    """A list of these papers (slug -> its front matter after the date), built with two
    papers a page and with all on one: the queue page of each, and the second site."""
    from generator.build import build

    texts = {slug: f"---\ndate: 2023-05-05\n{more}---\n" for slug, more in front.items()}
    queues = {}
    for size in (2, 0):  # two papers of each kind a page (and a link to the rest); all
        config = write_list(tmp_path, texts, f"title: T\npage_size: {size}\n")
        files_out = build(config).files
        queues[size] = files_out["queue/index.html"].decode("utf-8")
    site = tmp_path / "site"
    for path, data in files_out.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_bytes(data)
    return queues, site


def queue_cards(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="\.\./papers/([^/]+)/', html)


def linked_query(html: str, text: str) -> dict[str, str]:
    """The search a link of the queue page opens (its text: ``text``)."""
    link = re.search(rf'<a href="\.\./(search/index\.html\?[^"]+)">{text}', html)
    assert link is not None, text
    params = parse_qs(urlsplit(link[1].replace("&amp;", "&")).query)
    return {"q": params["q"][0], "sort": params["sort"][0]}


@needs_node
def test_the_queues_link_lists_the_unread_papers_in_the_queues_order(tmp_path: Path) -> None:
    """The queue shows the first unread papers, oldest added first; its link opens the
    search page on all of them in that order: papers added the same day (here with one
    date, titles and slugs in opposite orders) alike, those with no date added last."""
    files = {"zeta": ("Alpha notes", "2024-02-01"), "alpha": ("Zeta notes", "2024-02-01"),
             "mid": ("Mid notes", "2024-02-01"), "old": ("Old notes", "2024-01-15"),
             "new": ("New notes", "2024-03-01"), "done": ("Done notes", "2024-01-01")}
    front = {slug: f"title: {title}\nadded: {day}\n"
                   f"status: {'read' if slug == 'done' else 'unread'}\n"
             for slug, (title, day) in files.items()} | {"undated": "title: Undated notes\n"}
    queues, site = queue_pages(tmp_path, front)
    everything = queue_cards(queues[0])
    assert everything[0] == "old" and everything[-2:] == ["new", "undated"]
    assert sorted(everything[1:4]) == ["alpha", "mid", "zeta"]
    assert queue_cards(queues[2]) == everything[:2]
    [answer] = run_queries(site, [linked_query(queues[2], "all unread papers")], tmp_path)
    assert answer["slugs"] == everything


@needs_node
def test_the_queues_link_lists_the_papers_being_read_in_the_queues_order(tmp_path: Path
                                                                          ) -> None:
    """Papers being read: the most recently added first, as many as the unread; the rest
    a link away, in the same order (same-day ties and no date added alike)."""
    added = {"zeta": "2024-02-01", "alpha": "2024-02-01", "mid": "2024-02-01",
             "old": "2024-01-15", "new": "2024-03-01"}
    front = {slug: f"title: {slug.title()} notes\nadded: {day}\nstatus: reading\n"
             for slug, day in added.items()} | {"undated": "title: Undated\nstatus: reading\n"}
    queues, site = queue_pages(tmp_path, front)
    everything = queue_cards(queues[0])
    assert everything[0] == "new" and everything[-2:] == ["old", "undated"]
    assert sorted(everything[1:4]) == ["alpha", "mid", "zeta"]
    assert queue_cards(queues[2]) == everything[:2]
    assert "6 being read, 0 unread" in queues[2] and "all papers being read" not in queues[0]
    [answer] = run_queries(site, [linked_query(queues[2], "all papers being read")], tmp_path)
    assert answer["slugs"] == everything


@needs_node
def test_facet_counts_are_over_every_result(site: Path, tmp_path: Path) -> None:
    [a] = run_queries(site, [{"q": "status:read"}], tmp_path)
    read = [p for p in PAPERS if status(p) == "read"]
    counts = a["counts"]
    assert counts["total"] == len(read)
    assert counts["status"] == [0, 0, len(read)]
    assert counts["rating"] == [sum(1 for p in read if rating(p) == r) for r in range(6)]
    tags = {folder: n for folder, _, n in counts["tags"]}
    assert tags.get("tags/rag", 0) == sum(1 for p in read if "rag" in p["front"]["tags"])
    venues = {name: n for _, name, n in counts["venues"]}
    assert venues.get("NeurIPS", 0) == sum(1 for p in read if p["front"]["venue"] == "NeurIPS")


@needs_node
def test_unknown_fields_and_bad_values_give_hints_never_text(site: Path, tmp_path: Path) -> None:
    queries = ["stauts:read", "foo:bar", "status:done", "rating:9", "has:slides",
               "in:tags/nope", "stauts:read attention", "status:",
               # names every JavaScript object answers to, and a rating no paper can have
               "has:constructor", "has:__proto__", "has:toString", "status:constructor",
               "rating:0", "rating:<=0", "rating:=0"]
    a = run_queries(site, [{"q": q} for q in queries], tmp_path)
    assert "did you mean status:?" in a[0]["hints"][0] and a[0]["slugs"] == []
    assert "no field foo:" in a[1]["hints"][0] and "status:" in a[1]["hints"][0]
    assert a[1]["slugs"] == [] and a[1]["empty"]
    for answer in a[2:6]:
        assert answer["hints"] and answer["slugs"] == []
    assert a[6]["slugs"] and "did you mean status:?" in a[6]["hints"][0]
    assert "status:read" in a[7]["hints"][0]
    for answer in a[8:]:
        assert answer["hints"] and answer["slugs"] == [], answer


def test_bib_script_patched_after_an_edit_is_what_the_entries_make() -> None:
    before = {"a": "@misc{a,\n  title = {A's \\emph{x}}\n}\n", "b": "@misc{b,\n  title = {B}\n}\n"}
    after = dict(before, a="@misc{a,\n  title = {A's \\emph{y} \"q\"}\n}\n")
    old = search.shard_script("bib", search.bib_payload(before))
    patched = search.patch_bib_script(old, [("a", before["a"], after["a"])])
    assert patched == search.shard_script("bib", search.bib_payload(after))
    assert search.patch_bib_script(old, [("a", "not there", after["a"])]) is None
