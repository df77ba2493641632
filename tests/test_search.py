"""Search index (generator/search.py) and query engine (themes/default/static/js/search.js).

The Python side builds the index parts; Node loads them with the SHIPPED lunr.js and
search.js (tests/js/query_index.js) and answers a fixed query set over the bundled papers.
We check the expected top results, that our engine, lunr.js on the same index, lunr.js on
the serialized index and lunr.js on a plain index built by lunr.py's own Builder all rank
alike, that lunr.py replays the same clauses to the same ranking, and that no input makes
the query parser throw.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import pickle
import random
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import search
from generator.config import Config
from generator.content import load_papers, parse_paper, render_file
from generator.model import Paper

REPO = Path(__file__).resolve().parent.parent
LUNR_JS = REPO / "themes/default/static/vendor/lunr/lunr.min.js"
LUNR_LICENSE = REPO / "themes/default/static/vendor/lunr/LICENSE"
SEARCH_JS = REPO / "themes/default/static/js/search.js"
QUERY_SCRIPT = REPO / "tests/js/query_index.js"
# sha256 of lunr.min.js in the npm package lunr@2.3.9
LUNR_MIN_SHA256 = "0c50d9002b85780a842afffb567bb54ede402dae7c6dc5997a018614d8044fc8"

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None and not os.environ.get("CI"),
    reason="Node.js is not installed (the JavaScript half of search is tested with it)")

# tags and notes are the user's: the tests set their own (the bundled list's owner may
# change theirs)
TAGS = {
    "focusllm-precise-understanding-of-long-context-by-dynamic": ("long-context", "memory"),
    "landmark-attention-random-access-infinite-context-length": ("long-context", "attention"),
    "infllm-training-free-long-context-extrapolation-for-llms": ("long-context",),
    "prism-pre-alignment-via-black-box-on-policy-distillation": ("distillation",),
    "pre-train-prompt-and-predict-a-systematic-survey-of": ("survey",),
}
NOTES = {
    "a-length-extrapolatable-transformer": "Read with *xPos* in mind. Open question: does "
                                           "blockwise causal attention hurt retrieval?",
    "landmark-attention-random-access-infinite-context-length": "Compare with FocusLLM; "
                                                               "reread section 3.",
}


def bundled_papers() -> list[Paper]:
    """The repo's bundled papers, with a few tags and notes added."""
    papers, problems = load_papers(REPO / "content" / "papers", REPO)
    assert papers and not [p for p in problems if p.severity == "error"]
    return [dataclasses.replace(p, tags=TAGS.get(p.slug, ()), notes=NOTES.get(p.slug, ""))
            for p in papers]


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    return bundled_papers()


@pytest.fixture(scope="module")
def site(papers: list[Paper], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only the search/*.js files for the bundled papers."""
    root = tmp_path_factory.mktemp("search-site")
    write_outputs(root, search.search_outputs(papers, Config()))
    return root


def write_outputs(root: Path, outputs: dict[str, bytes]) -> None:
    for rel, data in outputs.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def node(request: dict, tmp: Path) -> dict:
    """Run tests/js/query_index.js on a request -> its JSON answer."""
    if NODE is None:
        pytest.fail("Node.js is required when CI is set")
    req = {"lunr": str(LUNR_JS), "searchJs": str(SEARCH_JS), **request}
    path = tmp / f"request-{random.random():.12f}.json"
    path.write_text(json.dumps(req), encoding="utf-8")
    proc = subprocess.run([NODE, str(QUERY_SCRIPT), str(path)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# --- plain lunr.py reference index ---------------------------------------------------

def plain_lunr_py_index(papers: list[Paper]):
    """The same papers and fields through lunr.py's own Builder (our word splitting and
    lunr.js's stemmer as its pipeline, since lunr.py's stemmer differs from lunr.js's)."""
    from lunr.builder import Builder
    from lunr.pipeline import Pipeline
    from lunr.stemmer import stemmer as lunr_stemmer

    def stop(token, i=None, tokens=None):
        return None if token.string in search.STOP_WORDS else token

    def stem(token, i=None, tokens=None):
        return token.update(lambda s, m=None: search.porter_stem(s))

    if "readinglistStop" not in Pipeline.registered_functions:
        Pipeline.register_function(stop, "readinglistStop")
        Pipeline.register_function(stem, "readinglistStem")
    builder = Builder()
    builder.pipeline.add(Pipeline.registered_functions["readinglistStop"],
                         Pipeline.registered_functions["readinglistStem"])
    builder.search_pipeline.add(lunr_stemmer)  # serialized as "stemmer", as lunr.js expects
    builder.ref("id")
    for f in search.FIELDS:
        builder.field(f.name, boost=f.boost)
    for i, paper in enumerate(search.document_order(papers)):
        texts = search.field_texts(paper)
        builder.add({"id": str(i), **{f.name: search.words(texts[f.name])
                                      for f in search.FIELDS}})
    return builder.build()


@pytest.fixture(scope="module")
def plain(papers: list[Paper], tmp_path_factory: pytest.TempPathFactory):
    index = plain_lunr_py_index(papers)
    path = tmp_path_factory.mktemp("plain") / "plain.json"
    path.write_text(json.dumps(index.serialize()), encoding="utf-8")
    return index, path


# --- the query set -------------------------------------------------------------------

# query -> slugs that must be the first results, in order (a set: in any order)
EXPECTED_TOP: dict[str, list[str] | set[str]] = {
    # title words
    "length extrapolatable": ["a-length-extrapolatable-transformer"],
    "landmark attention": ["landmark-attention-random-access-infinite-context-length"],
    # a surname: title/author hits rank above abstract hits
    "author:sun": {"copris-efficient-and-stable-reinforcement-learning-via",
                   "focusllm-precise-understanding-of-long-context-by-dynamic",
                   "maximum-score-routing-for-mixture-of-experts",
                   "the-self-improvement-paradox-can-language-models-bootstrap",
                   "fine-grained-legal-argument-pair-extraction-via-coarse",
                   "a-length-extrapolatable-transformer",
                   "why-can-gpt-learn-in-context-language-models-secretly"},
    # a tag
    "tag:long-context": {"focusllm-precise-understanding-of-long-context-by-dynamic",
                         "landmark-attention-random-access-infinite-context-length",
                         "infllm-training-free-long-context-extrapolation-for-llms"},
    # a prefix, and the typed-prefix rule
    "extrapolat*": ["a-length-extrapolatable-transformer"],
    "extrapolatab": ["a-length-extrapolatable-transformer"],
    # a fuzzy typo
    "extrapolatible~2": ["a-length-extrapolatable-transformer"],
    "landmrk~1": ["landmark-attention-random-access-infinite-context-length"],
    # venue acronym, notes
    "venue:acl": {"the-self-improvement-paradox-can-language-models-bootstrap",
                  "focusllm-precise-understanding-of-long-context-by-dynamic",
                  "maximum-score-routing-for-mixture-of-experts",
                  "a-length-extrapolatable-transformer",
                  "why-can-gpt-learn-in-context-language-models-secretly"},
    "notes:xpos": ["a-length-extrapolatable-transformer"],
    "+landmark -retrieval": [],
}
# query -> every result must satisfy this predicate on the Paper (the last word typed
# is also a prefix: author:sun also finds "Sunny")
EVERY_RESULT = {
    "author:sun": lambda p: any(w.startswith("sun") for a in p.authors
                                for w in search.words(a)),
    "year:2023": lambda p: p.display_year == 2023,
    "title:attention": lambda p: any(w.startswith("attention") or
                                     search.porter_stem(w) == "attent"
                                     for w in search.words(p.title)),
    "tag:long-context": lambda p: "long-context" in p.tags,
}
QUERIES = [
    *EXPECTED_TOP, *EVERY_RESULT,
    "attention", "long context", "sparse attention", '"long context"', "question?", "question",
    "distill*", "distill", "distillation", "module*", "modules", "modul", "transfomer~1",
    "transformer", "survey", "+reasoning -survey", "-survey", "year:2024 reasoning",
    "atten", "atte", "mixture-of-experts", "mixture of experts", "qwen2.5", "gpt-4o",
    "Mem-α", "the", "a", "author:", "*", '"unbalanced quote', "~", "^", "org:tencent",
    "abstract:retrieval", "title:\"long context\"", '-"long context" memory', "sun",
]


@pytest.fixture(scope="module")
def answers(site: Path, plain, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("node")
    return node({"site": str(site), "plain": str(plain[1]), "queries": QUERIES,
                 "dump": str(tmp / "decoded.json")}, tmp) | {"dump": tmp / "decoded.json"}


# --- Python only ---------------------------------------------------------------------

def test_words_split_like_the_browser_will():
    assert search.words("Qwen2.5-VL: e.g., GPT-4o’s “long-context” ReLU$^2$, 3.5x") == [
        "qwen2.5", "vl", "e", "g", "gpt", "4o", "s", "long", "context", "relu", "2", "3.5x"]
    assert search.words("question?") == ["question"]
    assert search.words("ﬁne-tuning Ｆｕｌｌ-width") == ["fine", "tuning", "full", "width"]
    assert search.words("Mem-α, Müller, 北京大学") == ["mem", "α", "müller", "北京", "京大",
                                                      "大学"]


def test_cjk_runs_are_indexed_as_pairs_of_letters():
    """Chinese and Japanese have no spaces between words, Korean none between a word and
    its particles: a run is its overlapping pairs (a query finds any part of 2+ letters),
    a lone letter a word of its own; other letters next to a run are words of their own."""
    assert search.words("大型语言模型的推理能力") == [
        "大型", "型语", "语言", "言模", "模型", "型的", "的推", "推理", "理能", "能力"]
    assert search.words("大規模言語モデルにおける推論") == [
        "大規", "規模", "模言", "言語", "語モ", "モデ", "デル", "ルに", "にお", "おけ", "ける",
        "る推", "推論"]
    assert search.words("언어 모델의 추론") == ["언어", "모델", "델의", "추론"]
    assert search.words("Qwen2.5の推論, GPT-4o与RAG") == [
        "qwen2.5", "の推", "推論", "gpt", "4o", "与", "rag"]
    # full-width and half-width forms are the usual ones (NFKC)
    assert search.words("ＬＬＭ推理 ﾃﾞｰﾀｾｯﾄ") == ["llm", "推理", "デー", "ータ", "タセ", "セッ",
                                                  "ット"]
    # a letter outside the Basic Multilingual Plane counts as one
    assert search.words("𠮷野家") == ["𠮷野", "野家"]
    # iteration and closing marks are letters of the run they stand in (人々, 〆切, 〼)
    assert search.words("書類の〆切は人々〼") == [
        "書類", "類の", "の〆", "〆切", "切は", "は人", "人々", "々〼"]
    stemmer = search.Stemmer()
    assert stemmer.terms("推理 the 与 LLMs") == ["推理", "与", "llm"]  # pairs are not stemmed


def test_terms_drop_stop_words_and_stem_like_lunr_js():
    stemmer = search.Stemmer()
    assert stemmer.terms("The Distillation of Modules, and a question?") == [
        "distil", "modul", "question"]
    # lunr.py's own stemmer differs from lunr.js on words ending in y: that would make
    # "survey" typed in the browser miss every survey; ours is lunr.js's
    from lunr.stemmer import stemmer as lunr_py_stemmer
    from lunr.token import Token
    assert lunr_py_stemmer(Token("survey")).string == "survei"
    assert search.porter_stem("survey") == "survey"


def test_outputs_are_ascii_scripts_that_push_their_part(papers):
    out = search.search_outputs(papers, Config())
    assert sorted(out) == ["search/docs.js", "search/meta.js", "search/text.js"]
    for rel, data in out.items():
        text = data.decode("ascii")
        part = rel.split("/")[1][:-3]
        assert text.startswith("/* readinglist search index")
        assert f"(self.readinglistSearch=self.readinglistSearch||[]).push(['{part}',JSON.parse('" \
            in text
        assert "fetch(" not in text and "XMLHttpRequest" not in text


def payload(data: bytes) -> dict:
    text = data.decode("ascii")
    literal = text[text.index("JSON.parse('") + len("JSON.parse('"):text.rindex("')")]
    return json.loads(re.sub(r"\\(.)", r"\1", literal))


def test_result_data_beside_the_index_and_small(papers):
    out = search.search_outputs(papers, Config())
    meta, text = payload(out["search/meta.js"]), payload(out["search/text.js"])
    docs = payload(out["search/docs.js"])
    assert "docs" not in text and "docs" not in meta and docs["url"] == "papers/{slug}/index.html"
    assert meta["partFields"] == ["title", "author", "tag", "org", "venue", "year"]
    assert text["partFields"] == ["abstract", "notes"]
    assert len(docs["docs"]) == len(papers) == meta["docCount"] == docs["docCount"]
    by_slug = {d[0]: d for d in docs["docs"]}
    d = by_slug["a-length-extrapolatable-transformer"]
    assert d[1:5] == ["A Length-Extrapolatable Transformer",
                      ["Yutao Sun", "Li Dong", "Barun Patra", "et al."], 2023,
                      "Proceedings of the 61st Annual Meeting of the Association…"]
    assert d[5].startswith("Position modeling plays a critical role") and len(d[5]) <= 141
    assert all(len(doc) == 6 and len(doc[5]) <= search.SNIPPET_CHARS + 1 for doc in docs["docs"])
    # no abstract is shipped whole
    assert all(p.abstract[:400] not in out["search/docs.js"].decode("ascii")
               for p in papers if len(p.abstract) > 400)


def test_output_is_deterministic_whatever_the_input_order(papers):
    first = search.search_outputs(papers, Config())
    shuffled = papers[:]
    random.Random(4).shuffle(shuffled)
    assert search.search_outputs(shuffled, Config()) == first
    assert search.search_outputs(list(reversed(papers)), Config()) == first


def test_a_memo_skips_unchanged_papers_without_changing_the_output(papers):
    memo = search.SearchMemo()
    assert search.search_outputs(papers, Config(), memo) == search.search_outputs(papers, Config())
    assert len(memo.papers) == len(papers)
    edited = [dataclasses.replace(p, notes="Zyxwords appear here.") if i == 3 else p
              for i, p in enumerate(papers)][:-1]
    assert search.search_outputs(edited, Config(), memo) == \
        search.search_outputs(edited, Config())
    assert len(memo.papers) == len(edited)  # the removed paper and the old text are forgotten


def _terms_by_part(papers: list[Paper]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """-> (a word of each term, per term the papers (slugs) with it in a meta field)."""
    stemmer = search.Stemmer()
    word_of: dict[str, str] = {}
    meta: dict[str, set[str]] = {}
    for p in papers:
        texts = search.field_texts(p)
        for f in search.FIELDS:
            for w in search.words(texts[f.name]):
                if stemmer[w]:
                    word_of.setdefault(stemmer[w], w)
                    if f.part == "meta":
                        meta.setdefault(stemmer[w], set()).add(p.slug)
    return word_of, meta


def _changes(papers: list[Paper]) -> dict[str, list[Paper]]:
    """Edits a build may see, between them every way the vocabulary can change."""
    word_of, meta = _terms_by_part(papers)
    text_only = sorted(t for t in word_of if t not in meta and t.isalpha())
    stemmer = search.Stemmer()
    by_slug = {p.slug: i for i, p in enumerate(papers)}
    titles = {p.slug: set(stemmer.terms(p.title)) for p in papers}
    in_text = {t for p in papers for t in stemmer.terms(p.abstract + " " + p.notes)}
    # a term in one paper's meta fields only, from its title: also in abstracts, or not
    lone = {t in in_text: (t, slug) for t, (slug, *more) in sorted(meta.items())
            if not more and t in titles[slug]}

    def edit(slug: str, **change: object) -> list[Paper]:
        out = list(papers)
        out[by_slug[slug]] = dataclasses.replace(papers[by_slug[slug]], **change)
        return out

    one = papers[5].slug
    many_new = " ".join(f"{c}qzx{c}" for c in "abcdefghijklmnop")  # 16 runs to renumber
    return {
        "notes, known words": edit(one, notes=papers[5].notes + "\nAttention and retrieval."),
        "notes, new words": edit(one, notes="Zyxwords qwertyish."),
        "notes, many new words": edit(one, notes=many_new),
        "notes gone": edit(NOTES_SLUG, notes=""),
        "title, new words": edit(one, title="Quuxified Attention Everywhere"),
        "title, a word only abstracts had": edit(one, title=f"On {word_of[text_only[0]]}"),
        "title, its only word in abstracts too": edit(lone[True][1], title="Plain"),
        "title, its only word anywhere": edit(lone[False][1], title="Plain"),
        "a paper added": [*papers, dataclasses.replace(papers[7], slug="added",
                                                       title="An Added Zorblax Paper")],
        "a paper removed": papers[:7] + papers[8:],
        "most papers removed": papers[:20],
        "a date changed": edit(one, date="1999-01-01", year=1999),
        "a paper twice": [*papers, papers[3]],
        "no papers": [],
    }


NOTES_SLUG = "a-length-extrapolatable-transformer"


def test_an_updated_index_is_the_index_made_from_nothing(papers):
    """Whatever changed, a memo brought up to date gives the bytes of a cold build; then
    back again, and through pickle (as .cache/ keeps it)."""
    start = search.SearchMemo()
    first = search.search_outputs(papers, Config(), start)
    kept = pickle.dumps(start)
    for name, changed in _changes(papers).items():
        memo = pickle.loads(kept)
        assert search.search_outputs(changed, Config(), memo) == \
            search.search_outputs(changed, Config()), name
        assert len(memo.papers) == len(changed), name
        memo = pickle.loads(pickle.dumps(memo))
        assert search.search_outputs(papers, Config(), memo) == first, name


def test_renumbering_keeps_rows_up_to_the_first_changed_id(papers):
    """A word new to the site renumbers the terms after it: rows that end before keep
    their text, longer rows are patched or re-encoded, and the ids stay sorted."""
    memo = search.SearchMemo()
    search.search_outputs(papers, Config(), memo)
    before = dict(memo.papers)
    edited = [dataclasses.replace(papers[0], title=papers[0].title + " Zzzqx")] + papers[1:]
    search.search_outputs(edited, Config(), memo)
    first = memo.vocab.index("zzzqx")
    assert first < memo.meta_count  # (after it: a few non-ASCII terms, the text-only ones)
    kept = patched = 0
    for key, paper in memo.papers.items():
        assert all(list(row) == sorted(row) for row in paper.id_rows())
        if key not in before:
            continue
        for old, row, now in zip(before[key].id_rows(), paper.encoded, before[key].encoded,
                                 strict=True):
            if max(old, default=0) < first:  # all its ids below the new one's: as it was
                assert row is now
                kept += 1
            else:
                assert row != now
                patched += len(old) > 32
    assert kept and patched


@given(st.text(alphabet="aZ09 .,-_'\n\tq.5", max_size=40))
@settings(max_examples=300, deadline=None)
def test_ascii_words_split_like_the_regex(text):
    """words()'s quick way for ASCII text (dots only ending sentences) is the regex's."""
    assert search.words(text) == search._ASCII_WORD.findall(text.lower())


@given(st.text(alphabet="ab1 $*_-:/'`[]#&<\\.\n\t\u00a0", max_size=40),
       st.text(alphabet=" \n\t\u00a0\u2028", max_size=3))
@settings(max_examples=300, deadline=None)
def test_a_snippet_skips_markdown_only_where_it_would_change_nothing(text, space):
    """A plain abstract cut just after a space is not parsed as Markdown: same snippet."""
    from generator.markdown import plain_inline

    paper = Paper(slug="x", title="X", abstract=text + space)
    expected = " ".join(search._MARKUP.sub("", plain_inline(text + space)).split())
    assert search.snippet_source(paper) == expected


def test_paper_key_changes_with_everything_the_index_reads():
    paper = Paper(slug="x", title="A Title", authors=("Ada Lovelace",), date="2023-05-01",
                  venue="Proceedings of ACL", category="CL", organizations=("An Org",),
                  abstract="An abstract.", tags=("a-tag",), notes="Some notes.")

    def read(p: Paper) -> tuple:
        return search.field_texts(p), search.result_row(p)

    seen = set()
    for f in dataclasses.fields(Paper):
        value = getattr(paper, f.name)
        if f.name in ("date", "year"):
            other: object = "1999-01-01" if f.name == "date" else 1999
        elif isinstance(value, bool):
            other = not value
        elif isinstance(value, str) or value is None:
            other = (value or "") + " Zq 2020-01-01"
        elif isinstance(value, tuple):
            other = (*value, "Zq") if not value or isinstance(value[0], str) else ()
        elif isinstance(value, int):
            other = value + 1
        elif isinstance(value, dict):
            other = {**value, "zq": 1}
        else:
            other = value
        changed = dataclasses.replace(paper, **{f.name: other})
        if read(changed) != read(paper):
            seen.add(f.name)
            assert search.paper_key(changed) != search.paper_key(paper), f.name
    assert seen >= {"slug", "title", "authors", "authors_truncated", "organizations", "tags",
                    "venue", "category", "year", "abstract", "notes"}


def test_document_order_is_newest_first_then_slug(papers):
    ordered = search.document_order(papers)
    keys = [p.sort_date for p in ordered]
    assert keys == sorted(keys, reverse=True)
    assert ordered[-1].sort_date == ""


def test_no_papers():
    out = search.search_outputs([], Config())
    meta, docs = payload(out["search/meta.js"]), payload(out["search/docs.js"])
    assert meta["docCount"] == 0 and docs["docs"] == [] and meta["terms"] == []


def test_snippet_strips_markup_and_cuts_at_a_word():
    p = Paper(slug="x", title="X", abstract="We present **FocusLLM**, a `framework` with "
              "\\textbf{dynamic} $O(n)$ condensing. " + "word " * 60)
    snip = search.snippet_source(p)
    assert snip.startswith("We present FocusLLM, a framework with dynamic O(n) condensing.")
    assert snip.endswith("word…") and len(snip) <= search.SNIPPET_CHARS + 1
    assert search.snippet_source(Paper(slug="y", title="Y", notes="Only *notes*.")) == "Only notes."


def test_venue_acronyms_are_searchable():
    p = Paper(slug="x", title="X", venue="Findings of the Association for Computational "
              "Linguistics: EMNLP 2024", category="CL")
    assert search.words(search.field_texts(p)["venue"])[-2:] == ["acl", "cl"]
    naacl = Paper(slug="y", title="Y", venue="Proceedings of the 2024 Conference of the North "
                  "American Chapter of the Association for Computational Linguistics")
    assert {"naacl", "acl"} <= set(search.words(search.field_texts(naacl)["venue"]))


# --- Node: the shipped lunr.js and search.js ----------------------------------------

def test_shipped_lunr_is_the_npm_package():
    data = LUNR_JS.read_bytes()
    assert hashlib.sha256(data).hexdigest() == LUNR_MIN_SHA256
    assert b"lunr - http://lunrjs.com" in data[:200] and b"2.3.9" in data[:200]
    npm_copy = REPO / "node_modules/lunr/lunr.min.js"
    if npm_copy.exists():
        assert npm_copy.read_bytes() == data
    licence = LUNR_LICENSE.read_text(encoding="utf-8")
    assert "Oliver Nightingale" in licence and "Permission is hereby granted" in licence
    package = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    assert package["devDependencies"]["lunr"] == "2.3.9"
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/lunr"]["version"] == "2.3.9"


@needs_node
def test_stems_and_words_agree_with_the_browser(papers, tmp_path):
    texts = [t for p in papers for t in (p.title, p.abstract, ", ".join(p.authors))]
    texts += ["ﬁne-tuning Ｆｕｌｌ-width Mem-α Müller 北京大学 qwen2.5 1.2.3 a.b 𝐀𝐁 😀x",
              "İstanbul ΟΔΟΣ straße e\u0301te\u0301 x\u00b2 ½ Ⅻ", "don’t can't l'état O(L^{3/2})",
              "大型语言模型的推理能力研究 Qwen2.5の推論 ＬＬＭ与RAG 𠮷野家 々〇 ﾃﾞｰﾀｾｯﾄ",
              "대규모 언어 모델의 추론 능력 ᄀᄁ ㄱㄴ ⺀⼀ 豈 ｶﾞ ー・"]
    vocab = sorted({w for t in texts for w in search.words(t)})
    extra = ["survey", "key", "deploying", "sky", "try", "why", "yield", "yttrium", "agreed",
             "relational", "conditional", "generalization", "happy", "feed", "hopping", "ab"]
    got = node({"words": texts, "stems": vocab + extra, "terms": texts[:50]}, tmp_path)
    assert got["words"] == [search.words(t) for t in texts]
    assert got["stems"] == [search.porter_stem(w) for w in vocab + extra]
    stemmer = search.Stemmer()
    assert got["terms"] == [stemmer.terms(t) for t in texts[:50]]


# letters of every script next to each other, CJK punctuation, kana marks, emoji and
# their modifiers, compatibility forms NFKC changes, marks that combine, dots and digits
_MIXED = ("語言模型的推理々〆〇〼ーｰ・、。「」（）ｶﾞﾃﾞｰﾀ한국어ᄀᄁㄱ가각ก่าภาษาไทยالعربيةабв "
          "ΑΣς İIıß3.5.a_-'’…😀👍🏽\u200b\u200d\u00a0\u3000\ufe0e\u0301e\u0308ﬁ①²½Ⅻ"
          "ＬＬＭ𠮷𪚲⼀⺀豈㍿㊀\U0002f800")


# (letters joined by hand: st.text would draw from the union of both alphabets, evenly)
_LETTERS = st.one_of(st.sampled_from(_MIXED),
                    # (assigned in this Python's Unicode: Node's may be newer)
                    st.characters(blacklist_categories=("Cs", "Cn", "Co")))


@needs_node
@given(st.lists(st.lists(_LETTERS, max_size=40).map("".join), min_size=30, max_size=30))
@settings(max_examples=30, deadline=None)
def test_python_and_the_browser_split_any_text_alike(tmp_path_factory, texts):
    """The index's words and a query's are the same for any mix of scripts: search.py's
    words and terms (CJK pairs, stop words, stems) are search.js's."""
    got = node({"words": texts, "terms": texts}, tmp_path_factory.mktemp("mixed"))
    assert got["words"] == [search.words(t) for t in texts]
    stemmer = search.Stemmer()
    assert got["terms"] == [stemmer.terms(t) for t in texts]


@needs_node
def test_decoded_index_equals_a_plain_lunr_py_index(answers, plain):
    """What the browser reconstructs from the shipped parts is lunr.py's own index."""
    ours = json.loads(answers["dump"].read_text(encoding="utf-8"))
    theirs = plain[0].serialize()
    assert ours["version"] == theirs["version"] == "2.3.9"
    assert ours["fields"] == theirs["fields"] == [f.name for f in search.FIELDS]
    assert ours["pipeline"] == theirs["pipeline"] == ["stemmer"]
    our_terms = {t: p["_index"] for t, p in ours["invertedIndex"]}
    their_terms = {t: p["_index"] for t, p in theirs["invertedIndex"]}
    assert set(our_terms) == set(their_terms)
    pairs = zip(ours["invertedIndex"], sorted(theirs["invertedIndex"]), strict=True)
    for (t, p), (t2, p2) in pairs:
        assert t == t2
        assert {f: sorted(p[f]) for f in ours["fields"]} == \
            {f: sorted(p2[f]) for f in theirs["fields"]}, t

    def by_term(vectors, ids):
        names = {i: t for t, i in ids.items()}
        return {ref: dict(zip((names[i] for i in el[::2]), el[1::2], strict=True))
                for ref, el in vectors}

    a = by_term(ours["fieldVectors"], our_terms)
    b = by_term(theirs["fieldVectors"], their_terms)
    assert list(a) == list(b)  # same field refs, same (paper by paper) order
    for ref in a:
        assert a[ref].keys() == b[ref].keys(), ref
        for term, score in a[ref].items():  # JS Math.round vs Python round: <= 0.001
            assert abs(score - b[ref][term]) <= 0.0010001, (ref, term)
    assert sum(a[r][t] != b[r][t] for r in a for t in a[r]) == 0


def slugs(rows: list) -> list[str]:
    return [r[2] for r in rows]


@needs_node
@pytest.mark.parametrize("query", list(EXPECTED_TOP))
def test_expected_top_results(answers, query):
    got = slugs(answers["results"][query]["full"])
    want = EXPECTED_TOP[query]
    if isinstance(want, set):
        assert set(got[:len(want)]) == want, got
    else:
        assert got[:len(want)] == want, got
    if query == "+landmark -retrieval":
        assert got == []  # the landmark paper mentions retrieval ("random-access")


@needs_node
@pytest.mark.parametrize("query", list(EVERY_RESULT))
def test_field_filters_restrict_every_result(answers, papers, query):
    by_slug = {p.slug: p for p in papers}
    got = slugs(answers["results"][query]["full"])
    assert got
    for slug in got:
        assert EVERY_RESULT[query](by_slug[slug]), (query, slug)


@needs_node
def test_lunr_traps(answers):
    r = answers["results"]
    # trailing punctuation is cleaned like the index was
    assert slugs(r["question?"]["full"]) == slugs(r["question"]["full"]) != []
    # a wildcard skips the stemmer: distill* must still find "distil", module* "modul"
    for prefix, word in (("distill*", "distill"), ("module*", "modules")):
        assert set(slugs(r[word]["full"])) <= set(slugs(r[prefix]["full"])) != set()
    assert "distil" in [c["term"] for c in r["distill*"]["clauses"]]
    assert "prism-pre-alignment-via-black-box-on-policy-distillation" in \
        slugs(r["distill*"]["full"])
    # a partial word already matches ("atte" on its way to attention)
    assert set(slugs(r["attention"]["full"])) <= set(slugs(r["atte"]["full"]))
    # surnames are words: the author list was joined into text
    assert "a-length-extrapolatable-transformer" in slugs(r["sun"]["full"])[:8]
    # the fuzzy typo finds transformers
    assert set(slugs(r["transformer"]["full"])) <= set(slugs(r["transfomer~1"]["full"]))
    # mixture-of-experts is three words, as it was indexed
    assert slugs(r["mixture-of-experts"]["full"]) == slugs(r["mixture of experts"]["full"])


@needs_node
def test_phrases_and_presence(answers, site):
    r = answers["results"]
    phrase = r['"long context"']["full"]
    assert phrase and phrase[0][3] is True  # the exact phrase comes first
    assert set(slugs(phrase)) <= set(slugs(r["long context"]["full"]))
    firsts = [row for row in phrase if row[3]]
    assert all(row[3] for row in phrase[:len(firsts)])
    # -"phrase" drops papers showing the phrase, keeps the rest
    neg = slugs(r['-"long context" memory']["full"])
    assert neg and not set(neg) & {row[2] for row in firsts}
    # +must -not
    must = slugs(r["+reasoning -survey"]["full"])
    assert must and not set(must) & set(slugs(r["survey"]["full"]))
    meta = {d[0]: d for d in payload((site / "search/docs.js").read_bytes())["docs"]}
    both = slugs(r["year:2024 reasoning"]["full"])
    assert both and all(meta[s][3] == 2024 for s in both)


@needs_node
def test_malformed_queries_give_hints_not_errors(answers):
    r = answers["results"]
    assert r["author:"]["empty"] and "author:" in " ".join(r["author:"]["hints"])
    assert r["*"]["empty"] and r["*"]["hints"]
    assert r["~"]["empty"] and r["^"]["empty"]
    assert r["the"]["full"] or r["the"]["hints"]  # "the" is a prefix of "their", "theory"
    assert r["a"]["full"] == [] and "too common" in " ".join(r["a"]["hints"])
    assert r['"unbalanced quote']["hints"]


@needs_node
def test_highlights_mark_the_matched_words(answers):
    marks = answers["results"]["landmark attention"]["marks"][0]
    assert "Landmark" in marks and "Attention" in marks
    assert "Sun" in answers["results"]["author:sun"]["marks"][0]
    assert any(m.lower().startswith("extrapolat")
               for m in answers["results"]["extrapolat*"]["marks"][0])


@needs_node
@pytest.mark.parametrize("query", QUERIES)
def test_every_engine_ranks_alike(answers, query):
    """Ours (typed arrays), lunr.js on the same data, lunr.js on the serialized index and
    lunr.js on a plain lunr.py index: the same papers, order and scores."""
    r = answers["results"][query]
    for other in ("lunr", "loaded", "plain"):
        assert [row[0] for row in r[other]] == [row[0] for row in r["full"]], other
        for a, b in zip(r["full"], r[other], strict=True):
            assert abs(a[1] - b[1]) <= 1e-9 * max(1, abs(a[1])), (other, a, b)
    # our executor is lunr.Index#query, score for score (the sums may differ in the last
    # bit when a prefix expands in another order)
    def ranked(rows):
        return [ref for ref, _ in sorted(rows, key=lambda x: (-round(x[1], 9), int(x[0])))]

    assert ranked(r["fast"]) == ranked(r["raw"])
    for a, b in zip(sorted(r["fast"]), sorted(r["raw"]), strict=True):
        assert a[0] == b[0] and abs(a[1] - b[1]) <= 1e-12 * max(1, b[1])


@needs_node
@pytest.mark.parametrize("query", QUERIES)
def test_lunr_py_ranks_like_lunr_js(answers, plain, query):
    """The same clauses replayed in lunr.py on the same (serialized) index."""
    from lunr.index import Index
    from lunr.query import Query, QueryPresence

    index = Index.load(json.loads(answers["dump"].read_text(encoding="utf-8")))
    clauses = answers["results"][query]["clauses"]
    if not clauses:
        return
    q = index.create_query()
    for c in clauses:
        q.clause(term=c["term"], fields=c["fields"], boost=c["boost"], use_pipeline=False,
                 edit_distance=c["editDistance"],
                 wildcard=Query.WILDCARD_TRAILING if c["wildcard"] else Query.WILDCARD_NONE,
                 presence=QueryPresence.PROHIBITED if c["presence"] == "prohibited"
                 else QueryPresence.OPTIONAL)
    py = [(r["ref"], r["score"]) for r in index.query(q)]
    js = [tuple(x) for x in answers["results"][query]["raw"]]
    assert len(py) == len(js)
    key = lambda rows: sorted(rows, key=lambda x: (-round(x[1], 9), int(x[0])))  # noqa: E731
    for (ref_py, s_py), (ref_js, s_js) in zip(key(py), key(js), strict=True):
        assert ref_py == ref_js and abs(s_py - s_js) <= 1e-9 * max(1, s_js)


@needs_node
def test_title_and_author_hits_need_only_the_first_part(answers):
    r = answers["results"]
    assert slugs(r["landmark attention"]["meta"])[0] == \
        "landmark-attention-random-access-infinite-context-length"
    assert set(slugs(r["author:sun"]["meta"])) == set(slugs(r["author:sun"]["full"]))
    assert set(slugs(r["tag:long-context"]["meta"])) == EXPECTED_TOP["tag:long-context"]
    assert r["abstract:retrieval"]["metaPending"] is True  # waits for the abstracts
    assert answers["fields"]["meta"] == ["title", "author", "tag", "org", "venue", "year"]


MALFORMED = [
    "", " ", "author:", "author: ", "title:", "*", "**", "***x", "~", "~~", "^", "^^", "^2",
    "x^", "x^0", "x^-1", "x~-1", "x~99", "x~1.5", '"', '""', '"""', '"unbalanced', 'a "b',
    "+", "-", "+-", "-+x", "++x", "--x", ":", "::", "a:b:c", "author::sun", "(", ")", "[a",
    "{", "\\", "\\\\", "/", "'", "`", "?", "!", "question?", "atten*", "*atten", "at*ten",
    "transfomer~1", "author:sun*", 'title:"long', "year:20", "year:2024..2025", "tag:",
    "-author:", "+title:", "venue:acl~", "\u0000", "\u2028", "\ud7ff", "😀", "𝐀*",
    "Ａ:b", "constructor", "__proto__", "hasOwnProperty", "toString*", "__proto__:x",
    "title:constructor", "x" * 300, "a " * 200, "*" * 50 + "a", "~" * 30, "+" * 30,
    "https://example.com/x?y=1", "e.g.", "C++", "C#", "naïve", "İ", "ß~2", "3.5*",
    "语言模型", "推", "-推", "推*", "推理~1", "推理^2", '"推', '-"推理能力"', "-语言模型",
    "title:推理能力", "+모델의", "ｶﾞ", "𠮷", "𠮷野家", "ー", "々", "LLM推理", "推理gpt",
]


@needs_node
def test_parser_never_throws(site, tmp_path):
    got = node({"parser": MALFORMED, "parserEngine": str(site)}, tmp_path)
    bad = {q: r for q, r in got["parser"].items() if not r["ok"]}
    assert not bad, bad
    assert got["parser"]["author:"]["groups"] == []
    assert got["parser"]["atten*"]["groups"] == [["atten", "optional", "*", ["atten*"]]]
    assert got["parser"]["transfomer~1"]["groups"] == [
        ["transfomer", "optional", "*", ["transfom~1"]]]
    assert got["parser"]["author:sun*"]["groups"] == [
        ["sun", "required", "author", ["sun*", "sun"]]]
    assert got["parser"]['a "b']["phrases"] == []
    # a CJK run: its pairs of letters, each as it is (no stem, no prefix, no typo)
    assert got["parser"]["语言模型"]["groups"] == [
        [w, "optional", "*", [w]] for w in ("语言", "言模", "模型")]
    assert got["parser"]["推理~1"]["groups"] == [["推理", "optional", "*", ["推理"]]]
    assert got["parser"]["推理gpt"]["groups"] == [
        ["推理", "optional", "*", ["推理"]], ["gpt", "optional", "*", ["gpt*"]]]
    # an excluded run of several pairs is no group (it drops the papers with all of them)
    assert got["parser"]["-语言模型"]["groups"] == []
    assert got["parser"]["title:推理能力"]["groups"] == [
        [w, "required", "title", [w]] for w in ("推理", "理能", "能力")]


@needs_node
@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list('ab "*~^+-:().?\\é😀title:author:'
                                                      '推理모델ｶﾞ𠮷')) |
                        st.characters(), max_size=30), min_size=10, max_size=10))
def test_parser_never_throws_on_random_input(tmp_path_factory, inputs):
    tmp = tmp_path_factory.mktemp("fuzz")
    got = node({"parser": inputs}, tmp)
    assert all(r["ok"] for r in got["parser"].values()), got["parser"]


# --- scale --------------------------------------------------------------------------

def synthetic(n: int) -> list[Paper]:
    """n papers from the benchmark's synthetic generator (benchmarks/synth.py)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_bench_synth", REPO / "benchmarks/synth.py")
    assert spec and spec.loader
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    out = []
    for slug, front, notes in synth.synthetic_papers(n):
        paper, _ = parse_paper(render_file(front, notes), f"{slug}.md", slug)
        assert paper is not None
        out.append(paper)
    return out


@pytest.mark.slow
@needs_node
def test_two_thousand_papers_stay_small_and_searchable(tmp_path):
    """(How fast is measured by benchmarks/run.py, not here: a timed test fails on a busy
    machine and says nothing on a quiet one.)"""
    papers = synthetic(2000)
    out = search.search_outputs(papers, Config())
    first = len(gzip.compress(out["search/meta.js"])) + len(gzip.compress(out["search/docs.js"]))
    assert first < 600_000  # what a page downloads before its first result
    write_outputs(tmp_path, out)
    got = node({"site": str(tmp_path), "queries": ["attention", "long context", "atte",
                                                   "author:sun", "distill*", "reasoning~1"]},
               tmp_path)
    assert got["results"]["attention"]["full"]
    assert all(got["results"][query]["full"] for query in ["long context", "atte",
                                                            "author:sun", "distill*"])


def test_result_rows_show_titles_and_snippets_as_text_not_markup() -> None:
    from generator.search import result_row

    paper = Paper(slug="relu", title="ReLU$^2$ Wins: *Sparse* LLMs",
                  abstract="We present **FocusLLM** with $O(n^2)$ cost and \\textbf{bold} words.")
    row = result_row(paper)
    assert row[1] == "ReLU² Wins: Sparse LLMs"
    assert row[5] == "We present FocusLLM with O(n²) cost and bold words."


def test_result_rows_list_the_names_each_whole_as_the_cards_space_them() -> None:
    """A name may hold a comma: the row lists names, so search.js never splits one."""
    from generator.search import result_row

    row = result_row(Paper(slug="x", title="X", authors=("Lovelace,  Ada", "Babbage, C.")))
    assert row[2] == ["Lovelace, Ada", "Babbage, C."]
    many = result_row(Paper(slug="y", title="Y", authors=("A", "B", "C", "D")))
    assert many[2] == ["A", "B", "C", "et al."]
    cut = result_row(Paper(slug="z", title="Z", authors=("A",), authors_truncated=True))
    assert cut[2] == ["A", "et al."]
    assert result_row(Paper(slug="w", title="W", organizations=("Org",)))[2] == ["Org"]
    assert result_row(Paper(slug="v", title="V"))[2] == []
    # no names, only a count (a listing's "• 5 authors"): what the card says
    assert result_row(Paper(slug="u", title="U", author_count=5))[2] == ["5 authors"]
    assert result_row(Paper(slug="t", title="T", author_count=1))[2] == ["1 author"]


@needs_node
def test_a_title_is_searched_as_it_is_shown(tmp_path):
    """A title written with LaTeX is found by the words its page and its result show, not
    by the commands it is written with (in the browser, by lunr.js)."""
    papers = [Paper(slug="bridges", title='Schr\\"odinger Bridges for \\textbf{Sparse} Data'),
              Paper(slug="big-o", title="$\\mathcal{O}(n)$ Attention"),
              Paper(slug="plain", title="Plain Attention")]
    write_outputs(tmp_path, search.search_outputs(papers, Config()))
    got = node({"site": str(tmp_path), "queries": ["Schrödinger", "title:sparse", "textbf",
                                                   "mathcal", "attention"]}, tmp_path)
    found = {q: slugs(r["full"]) for q, r in got["results"].items()}
    assert found["Schrödinger"] == ["bridges"] and found["title:sparse"] == ["bridges"]
    assert found["textbf"] == [] and found["mathcal"] == []
    assert sorted(found["attention"]) == ["big-o", "plain"]


@needs_node
def test_abstracts_and_notes_are_searched_by_the_words_their_latex_shows(tmp_path):
    """An abstract or notes written with LaTeX (as arXiv and the ACL Anthology give them)
    are found by the words they show: a command's name is no word, an accent joins its
    letter, braces do not split a word."""
    papers = [Paper(slug="speed", title="Speed", abstract="A 3.00$\\times$ speedup, "
                    "\\textbf{JustRL} na\\\"ively, and Schr{\\\"o}dinger bridges."),
              Paper(slug="notes", title="Notes", notes="See \\emph{Sch\\\"{o}lkopf} at "
                    "$\\mathcal{O}(n)$ cost."),
              Paper(slug="times", title="Times", abstract="Three times faster.")]
    write_outputs(tmp_path, search.search_outputs(papers, Config()))
    got = node({"site": str(tmp_path), "queries": [
        "times", "textbf", "emph", "mathcal", "justrl", "naïvely", "Schrödinger",
        "Schölkopf", "cost"]}, tmp_path)
    found = {q: slugs(r["full"]) for q, r in got["results"].items()}
    assert found["times"] == ["times"]
    assert found["textbf"] == found["emph"] == found["mathcal"] == []
    assert found["justrl"] == found["naïvely"] == found["Schrödinger"] == ["speed"]
    assert found["Schölkopf"] == found["cost"] == ["notes"]


# --- Chinese, Japanese, Korean -------------------------------------------------------

CJK_PAPERS = [
    Paper(slug="zh-llm", title="大型语言模型的推理能力研究", authors=("张伟", "李娜"), year=2024,
          abstract="本文研究大型语言模型在数学推理任务上的表现。", tags=("推理",)),
    Paper(slug="zh-vision", title="视觉模型的压缩方法", authors=("王芳",), year=2023,
          abstract="我们提出一种新的压缩方法。"),
    Paper(slug="zh-rag", title="LLM 与 RAG", year=2022, notes="待读：关于检索增强生成的综述。"),
    Paper(slug="ja-llm", title="大規模言語モデルにおける推論の評価", authors=("山田太郎",),
          year=2024, abstract="ＬＬＭの推論能力をベンチマークで評価する。"),
    Paper(slug="ja-data", title="ﾃﾞｰﾀｾｯﾄ構築の手法", year=2021),
    Paper(slug="ko-llm", title="대규모 언어 모델의 추론 능력", authors=("김민수",), year=2024,
          abstract="우리는 새로운 벤치마크를 제안한다."),
    Paper(slug="en-llm", title="Reasoning in Large Language Models", authors=("Ada Lovelace",),
          year=2023, abstract="We study how LLMs reason about mathematics."),
]
# query -> the papers found (a set: in any order; a list: in this order)
CJK_FOUND: dict[str, set[str] | list[str]] = {
    "语言模型": {"zh-llm"},  # inside the title: not zh-vision (模型 only), nor 言語モデル
    "推理": {"zh-llm"},
    "模型": {"zh-llm", "zh-vision"},
    "推理能力研究": {"zh-llm"},
    "语言推理": set(),  # both words are there, but not as one run
    "型": {"zh-llm", "zh-vision"},  # a lone letter: every paper with it anywhere
    "推": {"zh-llm", "ja-llm"},  # 推理, 推論
    "与": {"zh-rag"},  # a lone letter standing alone
    "LLM 推理": {"zh-llm", "zh-rag", "ja-llm", "en-llm"},  # either word, as ever
    "+LLM +推論": {"ja-llm"},
    "llm -语言模型": {"zh-rag", "ja-llm", "en-llm"},
    "-语言模型 模型": {"zh-vision"},  # excludes the papers with the whole run only
    # alone, as -word alone: every paper without it
    "-语言模型": {"zh-vision", "zh-rag", "ja-llm", "ja-data", "ko-llm", "en-llm"},
    "-模型": {"zh-rag", "ja-llm", "ja-data", "ko-llm", "en-llm"},
    "-推理 llm": {"zh-rag", "ja-llm", "en-llm"},
    '"推理能力"': {"zh-llm"},
    "title:推理": {"zh-llm"},
    "abstract:数学": {"zh-llm"},
    "title:数学": set(),
    "tag:推理": {"zh-llm"},
    "notes:检索": {"zh-rag"},
    "author:张伟": {"zh-llm"},
    "张": {"zh-llm"},
    "モデル": {"ja-llm"},
    "ﾓﾃﾞﾙ": {"ja-llm"},  # half-width katakana is katakana
    "言語モデル": {"ja-llm"},
    "推論の評価": {"ja-llm"},  # kana and kanji in one run
    "データセット": {"ja-data"},
    "모델": {"ko-llm"},  # the word without its particle (모델의)
    "모델의": {"ko-llm"},
    "언어 모델": {"ko-llm"},
    "벤치마크": {"ko-llm"},
    "reasoning": {"en-llm"},  # Latin words as before
    "title:language": {"en-llm"},
    "languag*": {"en-llm"},
}
# query -> (a paper found, what its result marks in title | authors | venue | snippet)
CJK_MARKS = {
    "语言模型": ("zh-llm", ["语言模型", "语言模型"]),  # the title, the snippet
    "推": ("zh-llm", ["推", "推"]),
    "LLM 推理": ("zh-llm", ["推理", "推理"]),
    "LLM 推理 ": ("ja-llm", ["ＬＬＭ"]),  # full-width, as written
    "ﾓﾃﾞﾙ": ("ja-llm", ["モデル"]),
    "データセット": ("ja-data", ["ﾃﾞｰﾀｾｯﾄ"]),  # half-width, as written
    "모델": ("ko-llm", ["모델"]),
    "推論の評価": ("ja-llm", ["推論の評価"]),
}


@pytest.fixture(scope="module")
def cjk_answers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("cjk-site")
    write_outputs(root, search.search_outputs(CJK_PAPERS, Config()))
    plain = root / "plain.json"
    plain.write_text(json.dumps(plain_lunr_py_index(CJK_PAPERS).serialize()), encoding="utf-8")
    return node({"site": str(root), "plain": str(plain), "queries": list(CJK_FOUND)}, root)


@needs_node
@pytest.mark.parametrize("query", list(CJK_FOUND))
def test_cjk_queries_find_the_papers_holding_them(cjk_answers, query):
    """lunr.js on the built index: a run of 2+ letters finds the papers holding it, a
    lone letter those holding it anywhere; field queries, +, - and mixed queries work."""
    r = cjk_answers["results"][query]
    got = slugs(r["full"])
    want = CJK_FOUND[query]
    assert (set(got) if isinstance(want, set) else got) == want, got
    assert len(got) == len(set(got))
    for other in ("lunr", "loaded", "plain"):  # every engine alike
        assert slugs(r[other]) == got, other


@needs_node
def test_cjk_results_mark_the_run(cjk_answers):
    r = cjk_answers["results"]
    assert r['"推理能力"']["full"][0][3] is True  # the run as shown: a phrase hit
    for query, (slug, marks) in CJK_MARKS.items():
        at = slugs(r[query.strip()]["full"]).index(slug)
        assert r[query.strip()]["marks"][at] == marks, query


@needs_node
def test_cjk_highlights_map_back_to_the_text_as_written(tmp_path):
    """A mark covers the letters of the query's run as written, whatever NFKC made of them
    (ｶﾞ is one letter, ガ), and never the letters around it."""
    texts = ["ｶﾞｲﾄﾞﾗｲﾝ", "大型语言模型的", "𠮷野家の牛丼", "GPT-4o的推理"]
    got = node({"marks": [[q, t] for q in ("ガイド", "语言模型", "野家", "推理", "𠮷")
                          for t in texts]}, tmp_path)["marks"]
    marked = {(q, t): m for (q, t), m in zip(
        [(q, t) for q in ("ガイド", "语言模型", "野家", "推理", "𠮷") for t in texts], got,
        strict=True)}
    assert marked["ガイド", "ｶﾞｲﾄﾞﾗｲﾝ"] == ["ｶﾞｲﾄﾞ"]
    assert marked["语言模型", "大型语言模型的"] == ["语言模型"]
    assert marked["野家", "𠮷野家の牛丼"] == ["野家"]
    assert marked["𠮷", "𠮷野家の牛丼"] == ["𠮷"]
    assert marked["推理", "GPT-4o的推理"] == ["推理"]
    assert all(not m for (q, t), m in marked.items() if q == "推理" and t != "GPT-4o的推理")


def test_cjk_papers_are_related_by_their_shared_words():
    from generator.related import related_papers

    related = related_papers(CJK_PAPERS)
    assert related["zh-llm"][0] == "zh-vision"  # 模型: the only words they share
    assert "zh-llm" in related["zh-vision"]
    assert related["ko-llm"] == ()  # shares no word with any other paper


def test_a_list_without_cjk_letters_indexes_as_before(papers):
    """Latin text never goes through the CJK split: its words are the old regex's."""
    for p in papers:
        for text in search.field_texts(p).values():
            if not search._CJK.search(text):
                assert search.words(text) == (
                    search._ASCII_WORD.findall(text.lower()) if text.isascii() else
                    search._WORD.findall(unicodedata.normalize("NFKC", text).lower()))
