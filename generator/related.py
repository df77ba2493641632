"""Related papers: each paper's nearest papers by TF-IDF over its title, abstract and tags.

    papers ─terms→ bags of terms ─tf-idf→ unit vectors, pruned ─inverted index→ top 5

A paper's terms are the words of its title and abstract as the search indexes them
(the words their LaTeX shows, ``markdown.tex_words``; ``search.Stemmer``: NFKC, lower
case, lunr's stop words out, Porter stems), a title word
counted ``TITLE_WEIGHT`` times, and each tag as one term of its own (``#long-context``)
counted ``TAG_WEIGHT`` times. A term's weight in a paper is ``(1 + log tf) * log(N / df)``,
each paper's vector is scaled to length 1, and two papers' similarity is the dot product
of their vectors (their cosine).

Comparing every pair is quadratic (50 million pairs at 10,000 papers) and far too slow in
Python, so the vectors are pruned first: a term in more than ``COMMON_SHARE`` of the papers
(and more than ``COMMON_MIN`` of them) says little and is dropped, as is a term of one
paper only (it cannot be shared); each paper keeps its ``KEPT_TERMS`` heaviest terms
(``KEPT_TERMS_LARGE`` in a list of thousands), and each term lists, in the inverted index,
only the ``TERM_PAPERS`` papers it weighs most in. A paper's candidates are the papers
listed under its kept terms, scored by the sum of the weight products over those terms;
the ``count`` best are its related papers, ties broken by slug. The result depends only on
the papers' slugs, titles, abstracts and tags, never on the order they are given in.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from operator import mul

from generator.markdown import tex_words
from generator.model import Paper
from generator.search import Stemmer, words

RELATED_COUNT = 5
TITLE_WEIGHT = 2  # a title word counts as this many abstract words
TAG_WEIGHT = 3  # a tag counts as this many abstract words
COMMON_SHARE = 0.1  # terms in more than this share of the papers are dropped...
COMMON_MIN = 50  # ...when they are in more papers than this (small lists keep them all)
KEPT_TERMS = 16  # each paper's heaviest terms: the only ones compared...
KEPT_TERMS_LARGE = 8  # ...or these many, in a list of more than LARGE papers
LARGE = 2000
TERM_PAPERS = 12  # under each term, the papers it weighs most in: the only ones found by it

Vector = list[tuple[str, float]]  # (term, weight): a paper's kept terms, in its order


def paper_terms(paper: Paper, stemmer: Stemmer) -> Counter[str]:
    """A paper's terms with their counts: abstract words, title words (weighted), tags."""
    bag = Counter(stemmer.terms(tex_words(paper.abstract)))
    for term in stemmer.terms(tex_words(paper.title)):
        bag[term] += TITLE_WEIGHT
    for tag in paper.tags:
        name = "-".join(words(tag))
        if name:
            bag["#" + name] += TAG_WEIGHT
    return bag


def tf_idf_vectors(bags: list[Counter[str]], kept: int = KEPT_TERMS) -> list[Vector]:
    """Bags of terms -> each bag's ``kept`` heaviest tf-idf weights, taken from its vector
    of length 1 (terms in one bag only, or too common, weigh nothing and are left out).
    A bag's terms are kept in its order (the paper's), all of them on a tie."""
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(bags)
    most = max(COMMON_SHARE * n, COMMON_MIN)
    idf = {term: math.log(n / d) if 1 < d < n and d <= most else 0.0
           for term, d in df.items()}
    tf = [0.0, *(1.0 + math.log(count) for count in range(1, 1 + max(
        (max(bag.values(), default=0) for bag in bags), default=0)))]
    vectors = []
    for bag in bags:  # (maps, not a loop per term: a bag has a hundred terms and more)
        weights = list(map(mul, map(tf.__getitem__, bag.values()), map(idf.__getitem__, bag)))
        norm = math.hypot(*weights)
        # the terms at least as heavy as the kept-th heaviest (more on a tie), in bag order
        top = heapq.nlargest(kept, weights)
        least = max(top[-1], 1e-12) if top else math.inf  # (a weight of 0: not a term)
        vectors.append([(term, weight / norm)
                        for term, weight in zip(bag, weights, strict=True) if weight >= least])
    return vectors


def nearest(vectors: list[Vector], count: int = RELATED_COUNT,
            per_term: int = TERM_PAPERS) -> list[tuple[int, ...]]:
    """Each vector's ``count`` most similar others (indexes), best first, ties broken by
    index; none for a vector that shares no term with another."""
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, vector in enumerate(vectors):
        for term, weight in vector:
            postings.setdefault(term, []).append((i, weight))
    for listed in postings.values():
        if len(listed) > per_term:
            listed.sort(key=lambda entry: (-entry[1], entry[0]))
            del listed[per_term:]
    out = []
    for i, vector in enumerate(vectors):
        scores: dict[int, float] = {}
        get = scores.get
        for term, weight in vector:
            for j, other in postings[term]:
                scores[j] = get(j, 0.0) + weight * other
        scores.pop(i, None)
        best = heapq.nsmallest(count, [(-score, j) for j, score in scores.items()])
        out.append(tuple(j for _, j in best))
    return out


def related_papers(papers: Iterable[Paper], count: int = RELATED_COUNT
                   ) -> dict[str, tuple[str, ...]]:
    """Slug -> the slugs of the ``count`` papers nearest to it, best first (ties by slug);
    a paper that shares no term with another has none."""
    ordered = sorted(papers, key=lambda p: p.slug)  # (index order is slug order: ties)
    stemmer = Stemmer()
    kept = KEPT_TERMS if len(ordered) <= LARGE else KEPT_TERMS_LARGE
    vectors = tf_idf_vectors([paper_terms(p, stemmer) for p in ordered], kept)
    slugs = [p.slug for p in ordered]
    return {slug: tuple(slugs[j] for j in near)
            for slug, near in zip(slugs, nearest(vectors, count), strict=True)}
