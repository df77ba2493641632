"""A site's shape: what of its papers decides the site model, its pages and their keys.

A paper's *shape* is its slug, file, title, date, year, authors, tags, venue and when it was
added: every field the site model (``build_site``), the page list (``site_pages``), the
BibTeX keys, the feed's order and the sitemap read. An edit that leaves every shape as it
was (notes, an abstract, a status, a rating, links...) leaves all of those as they were,
so a build may take them from the last build instead of making them anew from 10,000
papers: see ``generator.plan``. ``tests/test_shape.py`` builds all of them from
stand-ins that refuse every other field.

Kept on disk, the site model holds ``PaperShape`` stand-ins: the shape fields only, so it
loads quickly. Any other field of a stand-in is read from the paper's content file (its
parse, as ``complete_with`` is told) on first use: nothing that reads more than the shape
can see a wrong value, it only costs a lookup.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from generator.model import Paper
from generator.site import Site

SHAPE_FIELDS = ("slug", "path", "title", "date", "year", "authors", "tags", "venue", "added")
_Complete = Callable[[str], Paper]  # a content file's shown path -> its paper, parsed
_COMPLETE: list[_Complete] = []  # how stand-ins are completed in this build


def shape_of(paper: Paper) -> tuple[Any, ...]:
    """The fields of a paper the site's shape is made of."""
    return tuple(getattr(paper, name) for name in SHAPE_FIELDS)


def shape_id(papers: Iterable[Paper], page_size: int, settings: str) -> str:
    """One hash of the shapes of a site's papers (in site order), the page size (which
    decides the list pages) and the settings (config and code version)."""
    data = marshal.dumps((page_size, settings, [shape_of(p) for p in papers]), 0)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def complete_with(complete: _Complete | None) -> None:
    """Set how this build completes stand-ins (None: it has none to complete)."""
    _COMPLETE[:] = [complete] if complete is not None else []


class PaperShape(Paper):
    """A paper's shape standing in for the paper; every other field is read from the full
    paper, found by its file's path on first use (see ``complete_with``)."""

    def _full(self) -> Paper:
        full = self.__dict__.get("_paper")
        if full is None:
            if not _COMPLETE:
                raise RuntimeError(f"{self.path}: a paper's shape was read as the paper, "
                                   "with no way to complete it in this build")
            full = self.__dict__["_paper"] = _COMPLETE[0](self.path)
        return full

    def __getstate__(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in SHAPE_FIELDS}


def _completing(name: str) -> property:
    return property(lambda self: getattr(self._full(), name))


for _field in dataclasses.fields(Paper):
    if _field.name not in SHAPE_FIELDS:
        setattr(PaperShape, _field.name, _completing(_field.name))


def stand_in(paper: Paper) -> PaperShape:
    return _stand_in_of(shape_of(paper))


def _stand_in_of(values: tuple[Any, ...]) -> PaperShape:
    shape = object.__new__(PaperShape)
    shape.__dict__.update(zip(SHAPE_FIELDS, values, strict=True))
    return shape


def _reduce_to_stand_in(paper: Paper) -> tuple[Any, ...]:
    return _stand_in_of, (shape_of(paper),)


@dataclass
class SiteShape:
    """The site model of one shape (``id``: its ``shape_id``) and the paths of its pages
    (a build after an edit makes Page objects only for the pages the edit touches)."""

    id: str
    site: Site
    paths: tuple[str, ...]

    def reducers(self) -> dict[type, Callable[[Any], Any]]:
        """How to pickle it as kept on disk: each paper as its stand-in (see
        ``CacheStore.write``: a pickler's ``dispatch_table``)."""
        return {Paper: _reduce_to_stand_in}

    def with_papers(self, papers: Iterable[Paper]) -> Site:
        """The site model with these papers (of this shape) in place of the ones it has."""
        new = {p.slug: p for p in papers}
        placed = tuple(dataclasses.replace(p, paper=new[p.slug]) if p.slug in new else p
                       for p in self.site.papers)
        return Site(placed, self.site.indexes, {p.slug: p for p in placed})
