"""Listing parsers: the five real listings against their hand-checked gold parse, plus the
robustness the importer needs for pasted text it has never seen."""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.listings import detect_format, parse_listing
from generator.listings.common import extract_urls, normalize_text, parse_date, split_lines
from generator.listings.compact import parse_byline, split_byline
from generator.listings.hf import organization_name
from generator.model import FORMATS, Entry, Listing

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = sorted(p.stem for p in (FIXTURES / "listings").glob("*.txt"))
YEAR = 2026


@cache
def raw(name: str) -> str:
    return (FIXTURES / "listings" / f"{name}.txt").read_text(encoding="utf-8")


@cache
def gold(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "gold" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def parsed(name: str) -> Listing:
    return parse_listing(raw(name), f"{name}.txt", year=YEAR)


def as_gold(entry: Entry) -> dict[str, Any]:
    """An entry in the shape of a gold entry (the abstract as start/end/length)."""
    return {
        "title": entry.title, "authors": list(entry.authors),
        "authors_truncated": entry.authors_truncated, "author_count": entry.author_count,
        "organizations": list(entry.organizations), "date": entry.date,
        "date_text": entry.date_text, "venue": entry.venue, "category": entry.category,
        "score": entry.score, "has_code": entry.has_code, "comments": entry.comments,
        "abstract_start": entry.abstract[:80], "abstract_end": entry.abstract[-60:],
        "abstract_length": len(entry.abstract), "urls": list(entry.urls),
    }


def without_lines(listing: Listing) -> list[Entry]:
    """Entries with line numbers zeroed, for comparing texts that differ only in layout."""
    return [Entry(**{**entry.__dict__, "line": 0}) for entry in listing.entries]


# --- the five real listings ----------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_gold_listing_level(name: str) -> None:
    expected = gold(name)
    listing = parsed(name)
    assert detect_format(raw(name)) == expected["format"]
    assert listing.format == expected["format"]
    assert listing.page_date == expected["page_date"]
    assert len(listing.entries) == expected["entry_count"] == len(expected["entries"])
    assert listing.diagnostics == ()


GOLD_ENTRIES = [(name, i) for name in NAMES for i in range(len(gold(name)["entries"]))]


@pytest.mark.parametrize(("name", "index"), GOLD_ENTRIES,
                         ids=[f"{name[:3]}-#{i + 1}" for name, i in GOLD_ENTRIES])
def test_gold_entry(name: str, index: int) -> None:
    expected = {k: v for k, v in gold(name)["entries"][index].items() if k != "notes"}
    entries = parsed(name).entries
    assert index < len(entries), f"{name}: entry #{index + 1} missing"
    got = as_gold(entries[index])
    wrong = {key: (got[key], expected[key]) for key in expected if got[key] != expected[key]}
    assert not wrong, f"{name} entry #{index + 1}: fields (got, gold): {wrong}"


@pytest.mark.parametrize("name", NAMES)
def test_entry_lines_point_at_entry_starts(name: str) -> None:
    lines = raw(name).split("\n")
    fmt = gold(name)["format"]
    for entry in parsed(name).entries:
        first = lines[entry.line - 1]
        if fmt == "acl-anthology":
            assert first == "pdf"
        elif fmt == "hf-daily-papers":
            assert first == entry.title
        else:
            assert first.endswith(entry.date_text + ("Code" if entry.has_code else ""))


# --- layout variations must not change the parse ----------------------------------------

VARIANTS = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "cr": lambda t: t.replace("\n", "\r"),
    "unicode-line-separators": lambda t: "".join(  # U+2028, U+2029, NEL in turn
        part + "\u2028\u2029\x85"[n % 3] for n, part in enumerate(t.split("\n")))[:-1],
    "bom": lambda t: "\ufeff" + t,
    "nbsp": lambda t: t.replace(" ", "\u00a0"),
    "thin-and-ideographic-spaces": lambda t: t.replace(", ", ",\u2009").replace(
        "• ", "•\u3000"),
    "trailing-whitespace": lambda t: t.replace("\n", " \t\n"),
    "trailing-newline": lambda t: t + "\n",
    "leading-blank-lines": lambda t: "\n\n  \n" + t,
}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_layout_variants_parse_the_same(name: str, variant: str) -> None:
    text = VARIANTS[variant](raw(name))
    listing = parse_listing(text, "x.txt", year=YEAR)
    assert listing.format == gold(name)["format"]
    assert listing.page_date == parsed(name).page_date
    assert listing.diagnostics == ()
    if variant == "leading-blank-lines":
        assert without_lines(listing) == without_lines(parsed(name))
    else:
        assert listing.entries == parsed(name).entries


@pytest.mark.parametrize("name", NAMES)
def test_extra_blank_lines_change_only_line_numbers(name: str) -> None:
    listing = parse_listing(raw(name).replace("\n", "\n\n\n"), "x.txt", year=YEAR)
    assert without_lines(listing) == without_lines(parsed(name))
    assert listing.diagnostics == ()
    assert [e.line for e in listing.entries] == [3 * e.line - 2 for e in parsed(name).entries]


def test_normalize_text_handles_bom_line_ends_and_unicode_spaces() -> None:
    assert normalize_text("\ufeffa\r\nb\rc\u00a0d\u2003e\x00f\tg") == "a\nb\nc d ef g"
    # Unicode's line separators end lines only in a text that has no other line ends
    assert normalize_text("a\u2028b\u2029c\x85d") == "a\nb\nc\nd"
    assert normalize_text("a\u2028b\nc\x85d") == "a b\nc d"


# --- stray page text ---------------------------------------------------------------------

ACL = "000_ff23be9fabf58e73"
HF = "001_577e5b2b9d487c00"
COMPACT = "002_ae8b9bc7ec52ca07"


def test_acl_page_chrome_is_skipped_and_reported() -> None:
    text = ("Yutao Sun\n\nAlso published as: Y. Sun\n\n" + raw(ACL) + "\n\nCo-authors\nLi Dong\n"
            "5\nshow all...\nVenues\nACL 3\nFix data\n\nACL materials are Copyright © 1963–2025 "
            "ACL; other materials are copyrighted by their respective copyright holders.\n")
    listing = parse_listing(text, "acl.txt", year=YEAR)
    assert without_lines(listing) == without_lines(parsed(ACL))
    # Chrome lines ("Co-authors", "Venues", …) go silently and split the text; what is
    # between them and fits no paper is reported, as warnings.
    assert [(d.severity, d.line) for d in listing.diagnostics] == [
        ("warning", 1), ("warning", 133), ("warning", 137)]
    assert "'Li Dong'" in listing.diagnostics[1].message


def test_acl_authors_on_one_line_and_labels_on_one_line() -> None:
    text = ("2024\npdf bib abs\nA Title\nAnn Lee | Bo Chen\nSome Venue\nAn abstract.\n"
            "2023\npdf\nOnly Author Paper\nCai Wu\nVenue 2\n")
    listing = parse_listing(text, "a.txt", year=YEAR)
    assert listing.format == "acl-anthology"
    first, second = listing.entries
    assert (first.title, first.authors, first.venue, first.abstract, first.date) == (
        "A Title", ("Ann Lee", "Bo Chen"), "Some Venue", "An abstract.", "2024")
    assert (second.authors, second.venue, second.abstract, second.date, second.line) == (
        ("Cai Wu",), "Venue 2", "", "2023", 8)
    assert listing.diagnostics == ()


def test_acl_garbled_paper_keeps_the_others() -> None:
    lines = raw(ACL).split("\n")
    start = lines.index("Fine-Grained Legal Argument-Pair Extraction via Coarse-Grained "
                        "Pre-training")
    venue = next(i for i in range(start, len(lines)) if lines[i].startswith("Proceedings"))
    del lines[start + 1: venue + 2]  # authors, venue and abstract lost
    listing = parse_listing("\n".join(lines), "acl.txt", year=YEAR)
    assert len(listing.entries) == 6
    broken = listing.entries[3]
    assert (broken.title, broken.authors, broken.venue, broken.abstract) == (
        lines[start], (), None, "")
    assert {d.line for d in listing.diagnostics} == {start - 2}
    assert all(d.severity == "warning" for d in listing.diagnostics)
    assert without_lines(listing)[4:] == without_lines(parsed(ACL))[4:]


def test_acl_text_after_a_paper_without_abs_is_not_its_abstract() -> None:
    text = "2025\npdf\nbib\nT\nA B\nVenue\nSome footer text that is not an abstract.\n"
    listing = parse_listing(text, "a.txt", year=YEAR)
    (entry,) = listing.entries
    assert (entry.venue, entry.abstract) == ("Venue", "")
    assert [(d.severity, d.line) for d in listing.diagnostics] == [("warning", 7)]


def test_acl_year_like_line_inside_an_abstract_is_text() -> None:
    text = "2025\npdf\nbib\nabs\nT\nA B\nV\nWe started in\n2023\nand went on.\n"
    (entry,) = parse_listing(text, "a.txt", year=YEAR).entries
    assert entry.abstract == "We started in 2023 and went on."


def test_hf_chrome_and_bylines_are_skipped() -> None:
    text = ("Hugging Face\nModels\nDatasets\nOur Blog\n"
            + raw(HF).replace("\nSmall Language Model Makes",
                              "\nSubmitted by\nakhaliq\nSmall Language Model Makes")
            + "\n\nSystem theme\nCompany\nTOS\nPrivacy\nStatus page")
    listing = parse_listing(text, "hf.txt", year=YEAR)
    assert without_lines(listing) == without_lines(parsed(HF))
    assert listing.page_date == "2026-05-27"
    # Known chrome goes silently; unknown short lines are reported as warnings ("Hugging
    # Face" is not chrome: it can be an organisation in a card's footer).
    assert [(d.severity, d.line) for d in listing.diagnostics] == [
        ("warning", 1), ("warning", 4), ("warning", 355)]


def test_hf_garbled_date_is_reported_and_parsing_continues() -> None:
    text = raw(HF).replace("·\nMay 6\n", "·\nMayy 6\n", 1)
    listing = parse_listing(text, "hf.txt", year=YEAR)
    assert len(listing.entries) == 42
    assert listing.entries[0].date is None and listing.entries[0].author_count == 8
    assert listing.entries[1:] == parsed(HF).entries[1:]
    assert [(d.severity, d.line) for d in listing.diagnostics] == [
        ("warning", 17), ("warning", 19)]
    assert "no date" in listing.diagnostics[0].message


def test_hf_footer_variants() -> None:
    abstract = "We study things carefully and report what we found. " * 5
    text = (f"Daily Papers\n\nJan 7, 2026\n\n3\nFirst\n\n{abstract}\n\n  • 1 author\n·\n"
            f"May 15\n4\n12\n\nSecond\n\n{abstract}\n\ngoogle Google DeepMind\n·\n"
            f"Dec 30, 2025 7\n\n-\nThird\n\n{abstract}\n\n·\nFeb 30\n")
    listing = parse_listing(text, "hf.txt", year=2025)
    assert listing.format == "hf-daily-papers"
    assert listing.page_date == "2026-01-07"
    first, second, third = listing.entries
    # "4" on its own line then "12": the comment count, then the next card's upvote line.
    assert (first.author_count, first.date, first.comments, first.upvotes) == (
        1, "2025-05-15", 4, 3)
    assert (second.organizations, second.author_count, second.date, second.comments,
            second.upvotes) == (("Google DeepMind",), None, "2025-12-30", 7, 12)
    assert (third.date, third.date_text, third.author_count, third.organizations,
            third.upvotes) == (None, "Feb 30", None, (), None)
    assert [d.message for d in listing.diagnostics] == [
        "'Feb 30' is not a valid date; left empty"]


def test_hf_footerless_papers_and_organisation_with_author_count() -> None:
    abstract = "We study things carefully and report what we found in detail. " * 4
    text = (f"No Footer Here\n\n{abstract}\nAlso None\n\n{abstract}\n\nWith Both\n\n"
            f"{abstract}\n\nqwen Qwen\n  • 5 authors\n·\nMay 2\n\nLast No Footer\n{abstract}")
    listing = parse_listing(text, "hf.txt", year=YEAR)
    assert listing.format == "hf-daily-papers"
    assert [(e.title, e.line, e.date) for e in listing.entries] == [
        ("No Footer Here", 1, None), ("Also None", 4, None), ("With Both", 8, "2026-05-02")]
    assert (listing.entries[2].organizations, listing.entries[2].author_count) == (("Qwen",), 5)
    assert all(e.abstract == abstract.strip() for e in listing.entries)
    # The text ends after a title and an abstract: the copy may have cut that card's
    # footer off, so it is not imported, and a warning names its line.
    (diagnostic,) = listing.diagnostics
    assert (diagnostic.severity, diagnostic.line) == ("warning", 17)
    assert "'Last No Footer'" in diagnostic.message and "not imported" in diagnostic.message


@pytest.mark.parametrize(("line", "name"), [
    ("tencent Tencent", "Tencent"), ("RTP-LLM RTP-LLM", "RTP-LLM"), ("nvidia NVIDIA", "NVIDIA"),
    ("google Google DeepMind", "Google DeepMind"), ("Qwen", "Qwen"),
    ("allen-ai Ai2 (Allen Institute)", "Ai2 (Allen Institute)"),
])
def test_hf_organization_name(line: str, name: str) -> None:
    assert organization_name(line) == name


def test_compact_garbled_entry_in_the_middle() -> None:
    lines = raw(COMPACT).split("\n")
    lines[12] = "garbage here"  # entry #5's "AISep 4, 2024" line
    listing = parse_listing("\n".join(lines), "c.txt", year=YEAR)
    assert len(listing.entries) == 49
    assert listing.entries[:4] == parsed(COMPACT).entries[:4]
    assert listing.entries[4:] == parsed(COMPACT).entries[5:]
    (diagnostic,) = listing.diagnostics
    assert (diagnostic.severity, diagnostic.line) == ("error", 13)
    assert "lines 13-15" in diagnostic.message and "expected an entry" in diagnostic.message


def test_compact_missing_lines() -> None:
    text = "CLMay 5\nLGApr 15\nA TitleAnn Lee, Bo Chen\nCVJan 2, 2024Code\nB TitleCai Wu\n"
    listing = parse_listing(text, "c.txt", year=YEAR)
    assert [e.title for e in listing.entries] == ["A Title"]
    assert [(d.severity, d.line) for d in listing.diagnostics] == [
        ("error", 1), ("warning", 3), ("warning", 4)]
    # The text ends before the last entry's abstract: a cut copy, so no paper.
    assert "ends inside an entry" in listing.diagnostics[-1].message


def test_compact_entry_fields() -> None:
    text = ("42.5CLMarch 5, 2024Code\nA TitleAnn Lee, Bo Chen · org-a, org_b\nAbs (https://x.org/a).\n"
            "ROSept 9\nB TitleCai Wu et al.\nWe study how the thing works and report it.\n")
    first, second = parse_listing(text, "c.txt", year=YEAR).entries
    assert (first.score, first.category, first.date, first.date_text, first.has_code) == (
        42.5, "CL", "2024-03-05", "March 5, 2024", True)
    assert (first.authors, first.authors_truncated, first.author_count, first.organizations) == (
        ("Ann Lee", "Bo Chen"), False, 2, ("org-a", "org_b"))
    assert first.urls == ("https://x.org/a",)
    assert (second.score, second.date, second.has_code, second.authors_truncated,
            second.author_count) == (None, "2026-09-09", False, True, None)


# --- compact title/author split traps --------------------------------------------------

SPLITS = [
    ("Efficient Long-Context ModelingMiniCPM Team, Wenhao An, Yingfa Chen et al.",
     "Efficient Long-Context Modeling", ("MiniCPM Team", "Wenhao An", "Yingfa Chen")),
    ("Tool Learning with GPT-4Yujia Qin, Shengding Hu, Yankai Lin et al.",
     "Tool Learning with GPT-4", ("Yujia Qin", "Shengding Hu", "Yankai Lin")),
    ("Can Foundation Models Use Tools?Yujia Qin, Shengding Hu et al.",
     "Can Foundation Models Use Tools?", ("Yujia Qin", "Shengding Hu")),
    ("Tool Learning with Large Language Models (LLMs)Yujia Qin, Shengding Hu et al.",
     "Tool Learning with Large Language Models (LLMs)", ("Yujia Qin", "Shengding Hu")),
    ("Tool Learning for LLMsYujia Qin, Shengding Hu", "Tool Learning for LLMs",
     ("Yujia Qin", "Shengding Hu")),
    ("Tool Learning for LLMYujia Qin, Shengding Hu", "Tool Learning for LLM",
     ("Yujia Qin", "Shengding Hu")),
    ("Efficient Inference with MoEYujia Qin, Xu Han et al.", "Efficient Inference with MoE",
     ("Yujia Qin", "Xu Han")),
    ("Serving with DeepSeekYujia Qin, Xu Han, Zhiyuan Liu et al.", "Serving with DeepSeek",
     ("Yujia Qin", "Xu Han", "Zhiyuan Liu")),
    ("Data Management Part IYudong Wang, Zixuan Fu et al.", "Data Management Part I",
     ("Yudong Wang", "Zixuan Fu")),
    ("ReLU$^2$ Wins: Sparse LLMsZhengyan Zhang, Yixin Song, Guanghui Yu et al.",
     "ReLU$^2$ Wins: Sparse LLMs", ("Zhengyan Zhang", "Yixin Song", "Guanghui Yu")),
    ("Hybrid Attention for Long ContextsZhen Leng Thai, Yingfa Chen, Zihan Zhou et al.",
     "Hybrid Attention for Long Contexts", ("Zhen Leng Thai", "Yingfa Chen", "Zihan Zhou")),
    ("From MOOC to MAIC: LLM-driven AgentsDaniel Zhang-li, Jifan Yu et al.",
     "From MOOC to MAIC: LLM-driven Agents", ("Daniel Zhang-li", "Jifan Yu")),
    ("Learning, Reasoning, and PlanningXu Han, Tianyu Gao", "Learning, Reasoning, and Planning",
     ("Xu Han", "Tianyu Gao")),
    ("More Data, More Relations: A ReviewXu Han, Tianyu Gao, Yankai Lin et al.",
     "More Data, More Relations: A Review", ("Xu Han", "Tianyu Gao", "Yankai Lin")),
    ("A Short PaperYujia Qin", "A Short Paper", ("Yujia Qin",)),
    ("Deep Residual LearningKaiming He", "Deep Residual Learning", ("Kaiming He",)),
    ("Convolutional NetworksYann LeCun, Yoshua Bengio", "Convolutional Networks",
     ("Yann LeCun", "Yoshua Bengio")),
    ("Models at ScaleMcKay Smith, John Doe", "Models at Scale", ("McKay Smith", "John Doe")),
    ("Few-Shot LearnersTom B. Brown, Benjamin Mann et al.", "Few-Shot Learners",
     ("Tom B. Brown", "Benjamin Mann")),
    ("Towards AGIMaria de la Cruz, Jan van der Berg", "Towards AGI",
     ("Maria de la Cruz", "Jan van der Berg")),
    ("Coding (ARC) Foundation ModelsGLM-4.5 Team, Aohan Zeng et al.",
     "Coding (ARC) Foundation Models", ("GLM-4.5 Team", "Aohan Zeng")),
    ("Sparse-DenseXu Han, Yi Li", "Sparse-Dense", ("Xu Han", "Yi Li")),
    ("Attention Is All You NeedAshish Vaswani, Noam Shazeer et al.", "Attention Is All You Need",
     ("Ashish Vaswani", "Noam Shazeer")),
    ("Sprachmodelle für ÜbersetzungenJosé García, Zoë Müller", "Sprachmodelle für Übersetzungen",
     ("José García", "Zoë Müller")),
    # names in a script without capitals (no split point was found: the whole line became
    # the title), and an apostrophe inside a name (the split fell after "O'")
    ("A Survey of Legal AI李明, 王伟, 张三 et al.", "A Survey of Legal AI",
     ("李明", "王伟", "张三")),
    ("Legal AI: 2.0李明, Ann Lee", "Legal AI: 2.0", ("李明", "Ann Lee")),
    ("LLMs in 2024: A ReviewMaria van der Berg, Ahmed bin Salman, O'Brien Kelly et al.",
     "LLMs in 2024: A Review", ("Maria van der Berg", "Ahmed bin Salman", "O'Brien Kelly")),
    ("Models at ScaleAnn O’Neil, Bo Chen", "Models at Scale", ("Ann O’Neil", "Bo Chen")),
]


@pytest.mark.parametrize(("line", "title", "authors"), SPLITS, ids=[s[1] for s in SPLITS])
def test_compact_title_author_split(line: str, title: str, authors: tuple[str, ...]) -> None:
    byline, best = split_byline(line)
    assert best is not None
    assert (best.title, best.authors) == (title, authors)
    assert byline.truncated == line.endswith("et al.")


def test_compact_long_untruncated_author_list() -> None:
    names = ", ".join(f"{first} {last}" for first, last in zip(
        ["Ann", "Bo", "Cai", "Dan", "Eve", "Fay", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu"],
        ["Lee", "Chen", "Wu", "Xu", "Li", "Ma", "Ho", "Yu", "Qi", "Hu", "Sun", "Zhao"],
        strict=True))
    _, best = split_byline("Scaling Laws, Revisited" + names)
    assert best is not None
    assert best.title == "Scaling Laws, Revisited" and len(best.authors) == 12


def test_compact_byline_parts() -> None:
    byline = parse_byline("A TitleAnn Lee, Bo Chen et al. · tencent-ai, tsinghua")
    assert (byline.names_part, byline.truncated, byline.organizations) == (
        "A TitleAnn Lee, Bo Chen", True, ("tencent-ai", "tsinghua"))
    assert parse_byline("Title · with a dot inside, Ann Lee").organizations == ()


def test_compact_listing_uses_its_usual_name_count() -> None:
    """A title part that could pass for a name is kept in the title when the listing
    always shows three names before "et al."."""
    entry = "CLMay 5\n{}\nWe study how the thing works and report what we found.\n"
    text = "".join(entry.format(line) for line in [
        "First PaperAnn Lee, Bo Chen, Cai Wu et al.",
        "Second PaperDan Xu, Eve Li, Fay Ma et al.",
        "Planning, Acting, ReasoningGus Ho, Hal Yu, Ida Qi et al.",
    ])
    entries = parse_listing(text, "c.txt", year=YEAR).entries
    assert [e.title for e in entries] == ["First Paper", "Second Paper",
                                         "Planning, Acting, Reasoning"]


def test_compact_unsplittable_byline_is_kept_as_title() -> None:
    listing = parse_listing("CLMay 5\nno names here at all\nWe study how the thing works and "
                            "report what we found.\n", "c.txt", year=YEAR)
    (entry,) = listing.entries
    assert (entry.title, entry.authors) == ("no names here at all", ())
    assert listing.diagnostics[0].line == 2


# --- shared helpers ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "urls"), [
    (r"see \url{https://x}.", ("https://x",)),
    ("(https://x),", ("https://x",)),
    ("https://x{here}.", ("https://x",)),
    ("https://x{https://x}.", ("https://x", "https://x")),
    ("https://x/ .", ("https://x/",)),
    ("at https://github.com/a/b. And http://y.org/p?q=1!", (
        "https://github.com/a/b", "http://y.org/p?q=1")),
    ("bare domain cuge.baai.ac.cn is not a URL", ()),
    ("'https://x/a'", ("https://x/a",)),
])
def test_extract_urls(text: str, urls: tuple[str, ...]) -> None:
    assert extract_urls(text) == urls


@pytest.mark.parametrize(("text", "iso"), [
    ("May 15", "2026-05-15"), ("Sep 9, 2025", "2025-09-09"), ("March 5, 2024", "2024-03-05"),
    ("Sept 9", "2026-09-09"), ("Feb 29", None), ("Feb 29, 2024", "2024-02-29"),
    ("Foo 3", None), ("May", None),
])
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text, YEAR) == iso


# --- what cannot be parsed ---------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   \n\n\t\n", "\ufeff", "\x00\x01\x02\n" * 50])
def test_empty_listing(text: str) -> None:
    listing = parse_listing(text, "e.txt", year=YEAR)
    assert listing.entries == ()
    assert [(d.severity, d.message) for d in listing.diagnostics] == [
        ("error", "empty listing: the file has no text")]


@pytest.mark.parametrize("text", [
    "hello world\nthis is not a listing\n",
    bytes(range(256)).decode("latin-1"),
    bytes(range(7, 256, 3)).decode("utf-8", errors="replace") * 20,
])
def test_unknown_format(text: str) -> None:
    assert detect_format(text) is None
    listing = parse_listing(text, "u.txt", year=YEAR)
    assert listing.entries == ()
    (diagnostic,) = listing.diagnostics
    assert diagnostic.severity == "error"
    assert all(name in diagnostic.message for name in FORMATS)
    assert "--format" in diagnostic.message


def test_bytes_are_accepted() -> None:
    data = raw(COMPACT).encode("utf-8")
    assert parse_listing(data, "c.txt", year=YEAR).entries == parsed(COMPACT).entries  # type: ignore[arg-type]


def test_format_override() -> None:
    forced = parse_listing(raw(COMPACT), "c.txt", year=YEAR, format="compact-listing")
    assert forced.entries == parsed(COMPACT).entries
    wrong = parse_listing(raw(HF), "h.txt", year=YEAR, format="compact-listing")
    assert wrong.format == "compact-listing" and wrong.entries == ()
    assert wrong.diagnostics[-1].severity == "error"
    assert "--format" in wrong.diagnostics[-1].message
    bad = parse_listing(raw(HF), "h.txt", year=YEAR, format="nope")
    assert bad.entries == () and "known formats" in bad.diagnostics[0].message


def test_detect_format_on_small_samples() -> None:
    assert detect_format("CLMay 5\nA TitleAnn Lee\nAbstract.") == "compact-listing"
    assert detect_format("pdf\nbib\nA Title\nAnn Lee\nVenue") == "acl-anthology"
    assert detect_format("Title\nAbstract\n  • 3 authors\n·\nMay 5") == "hf-daily-papers"
    assert detect_format("") is None


# --- property-based: no text makes the parsers raise -----------------------------------

REAL_LINES = sorted({line for name in NAMES for line in raw(name).split("\n")}
                    | {line for name in ("hf-today", "compact-author")
                       for line in (FIXTURES / "layouts" / f"{name}.txt").read_text(
                           encoding="utf-8").split("\n")})
STRUCTURE = ["pdf", "bib", "abs", "|", "2025", "·", "  • 3 authors", "May 15 1",
             "99.7CLApr 30Code", "Daily Papers", "", "Co-authors", "Submitted by", "12", "-",
             "Weekly", "Jan 29", "Oct 22, 2025 3", "h-index11", "45 Papers", "Novelty33%",
             "Carnegie Mellon University", "nvidia NVIDIA", "Yujia Qin, Xu Han et al. · thu"]
line_text = st.one_of(st.sampled_from(REAL_LINES), st.sampled_from(STRUCTURE), st.text())
listing_text = st.one_of(
    st.text(),
    st.lists(line_text, max_size=40).map("\n".join),
    st.lists(st.sampled_from(REAL_LINES + STRUCTURE), max_size=80).map("\r\n".join),
)


def check_listing(listing: Listing) -> None:
    assert isinstance(listing, Listing)
    for entry in listing.entries:
        assert isinstance(entry.title, str) and entry.title
        assert entry.line >= 1
        assert entry.title == " ".join(entry.title.split())
    for diagnostic in listing.diagnostics:
        assert diagnostic.severity in ("error", "warning") and diagnostic.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=listing_text, fmt=st.sampled_from([None, *FORMATS]))
def test_parse_listing_never_raises(text: str, fmt: str | None) -> None:
    detected = detect_format(text)
    assert detected is None or detected in FORMATS
    check_listing(parse_listing(text, "p.txt", year=YEAR, format=fmt))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_shuffled_real_entries_never_raise(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    lines = raw(name).split("\n")
    picked = data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=60))
    check_listing(parse_listing("\n".join(lines[i] for i in picked), "p.txt", year=YEAR))


def test_split_lines_numbers_match_the_file() -> None:
    assert split_lines("a\r\n\r\nb\rc\n") == [(1, "a"), (3, "b"), (4, "c")]


# --- the layouts people copy today (issue 14) --------------------------------------------
# tests/fixtures/layouts/*.txt lay sample papers out as today's pages do; the .json next to
# each says what must be read (written from the same data, not by this parser). See
# tests/fixtures/layouts/make_layouts.py.

LAYOUTS = FIXTURES / "layouts"
LAYOUT_FORMATS = {"hf-today": "hf-daily-papers", "compact-author": "compact-listing"}


@cache
def layout_text(name: str) -> str:
    return (LAYOUTS / f"{name}.txt").read_text(encoding="utf-8")


@cache
def layout_data(name: str) -> dict[str, Any]:
    return json.loads((LAYOUTS / f"{name}.json").read_text(encoding="utf-8"))


def as_entry(data: dict[str, Any]) -> Entry:
    """An expected entry of a layout fixture, as the Entry the parser should return."""
    return Entry(
        title=data["title"], abstract=data["abstract"], authors=tuple(data["authors"]),
        authors_truncated=data["authors_truncated"], author_count=data["author_count"],
        organizations=tuple(data["organizations"]), date=data["date"],
        date_text=data["date_text"], venue=data["venue"], category=data["category"],
        score=data["score"], has_code=data["has_code"], upvotes=data["upvotes"],
        comments=data["comments"], urls=tuple(data["urls"]), line=0)


@pytest.mark.parametrize("name", LAYOUT_FORMATS)
def test_todays_layout_imports_field_for_field(name: str) -> None:
    listing = parse_listing(layout_text(name), f"{name}.txt", year=YEAR)
    assert detect_format(layout_text(name)) == listing.format == LAYOUT_FORMATS[name]
    assert listing.diagnostics == ()  # no "skipped line" for '-' or the header block
    assert listing.page_date == layout_data(name)["page_date"]
    expected = [as_entry(e) for e in layout_data(name)["entries"]]
    got = without_lines(listing)
    assert len(got) == len(expected)
    for index, (mine, want) in enumerate(zip(got, expected, strict=True)):
        wrong = {k: (getattr(mine, k), v) for k, v in want.__dict__.items()
                 if getattr(mine, k) != v}
        assert not wrong, f"{name} entry #{index + 1}: fields (got, expected): {wrong}"
    lines = layout_text(name).split("\n")
    for entry, (first, _) in zip(listing.entries, layout_data(name)["spans"], strict=True):
        # HF: the title line (the upvote line is above it); compact: the meta line.
        assert entry.line - 1 == (first + 2 if name == "hf-today" else first)
        assert lines[entry.line - 1].strip() in (entry.title, lines[first])


def test_todays_hf_layout_keeps_upvotes_and_comments_apart() -> None:
    first, second, third, *_ = parse_listing(layout_text("hf-today"), "h.txt",
                                             year=YEAR).entries
    assert (first.upvotes, first.comments) == (12, 3)  # "12" above, "Oct 22, 2025 3" below
    assert (second.upvotes, second.comments) == (None, None)  # "-" above, no count below
    assert (third.upvotes, third.comments, third.organizations) == (
        41, 2, ("Carnegie Mellon University",))


BROWSER_VARIANTS = {
    **VARIANTS,
    "no-blank-lines": lambda t: "\n".join(ln for ln in t.split("\n") if ln.strip()),
    "no-bullet-glyph": lambda t: t.replace("  • ", "  "),
    "doubled-blank-lines": lambda t: t.replace("\n", "\n\n"),
}


@pytest.mark.parametrize("variant", BROWSER_VARIANTS)
@pytest.mark.parametrize("name", LAYOUT_FORMATS)
def test_todays_layouts_read_the_same_from_any_browser(name: str, variant: str) -> None:
    text = BROWSER_VARIANTS[variant](layout_text(name))
    listing = parse_listing(text, "x.txt", year=YEAR)
    assert listing.format == LAYOUT_FORMATS[name]
    assert listing.diagnostics == ()
    assert without_lines(listing) == [as_entry(e) for e in layout_data(name)["entries"]]


@pytest.mark.parametrize(("line", "name"), [
    ("Carnegie Mellon University", "Carnegie Mellon University"),
    ("University of Massachusetts Amherst", "University of Massachusetts Amherst"),
    ("Microsoft", "Microsoft"), ("Shanghai AI Laboratory", "Shanghai AI Laboratory"),
    ("Hong Kong University of Science and Technology",
     "Hong Kong University of Science and Technology"),
    ("AI at Meta", "AI at Meta"), ("Sea AI Lab", "Sea AI Lab"), ("Qwen Qwen", "Qwen"),
    ("deepseek-ai DeepSeek", "DeepSeek"), ("cmu Carnegie Mellon University",
                                           "Carnegie Mellon University"),
    ("HuggingFaceTB Hugging Face Smol Models Research",
     "Hugging Face Smol Models Research"),
    ("BAAI Beijing Academy of Artificial Intelligence",
     "Beijing Academy of Artificial Intelligence"),
])
def test_hf_organization_display_names_stay_whole(line: str, name: str) -> None:
    assert organization_name(line) == name


# --- partial copies, pages pasted twice ---------------------------------------------------

HF_CHROME = ["Get trending papers in your email inbox once a day!", "Subscribe", "Daily",
             "Weekly", "Monthly", "Jan 29"]
ACL_CHROME = ["Co-authors", "Li Dong", "5", "show all...", "Venues", "ACL 3", "Fix data",
              "ACL materials are Copyright © 1963–2025 ACL; other materials are copyrighted "
              "by their respective copyright holders.", "Yutao Sun", "Also published as: Y. Sun"]
COMPACT_CHROME = ["Yujia Qin", "Computation and Language", "h-index11", "45papers",
                  "520citations", "Novelty33%", "AI Score52", "45 Papers"]
_YEAR_LINE = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True)
class Cards:
    """A listing as whole cards: each card's entry and its first and last line (0-based).

    A card whose end is only known from what follows it (an HF card without footer ends
    where the next card starts) counts that next line as its last. ``heading`` is, for
    ACL, the line of the year heading that dates the card."""

    format: str
    lines: list[str]
    entries: list[Entry]
    spans: list[tuple[int, int]]
    headings: list[int | None]
    chrome: list[str]
    votes: bool = False  # HF today: each card's first line is its upvote line, 2 above the title


def _sample_cards(name: str) -> Cards:
    lines = raw(name).split("\n")
    entries = without_lines(parsed(name))
    starts = [e.line - 1 for e in parsed(name).entries]
    fmt = gold(name)["format"]
    spans: list[tuple[int, int]] = []
    headings: list[int | None] = []
    for k, start in enumerate(starts):
        following = starts[k + 1] if k + 1 < len(starts) else len(lines)
        if fmt == "acl-anthology":
            first = lines.index(entries[k].title, start) - 1  # the last label line
            last = following - 1
            while _YEAR_LINE.fullmatch(lines[last]):
                last -= 1
            heading = max(i for i in range(start) if _YEAR_LINE.fullmatch(lines[i]))
            spans.append((first, last))
            headings.append(heading)
            continue
        headings.append(None)
        if fmt == "compact-listing":
            spans.append((start, start + 2))
        elif entries[k].date_text is None:
            # No footer: whole once the next card's title and abstract show (a lone line
            # after it could as well be its own organisation line, cut from its footer).
            spans.append((start, following + 2))
        else:
            spans.append((start, lines.index("·", start) + 1))
    chrome = {"acl-anthology": ACL_CHROME, "hf-daily-papers": HF_CHROME,
              "compact-listing": COMPACT_CHROME}[fmt]
    return Cards(fmt, lines, entries, spans, headings, chrome)


def _layout_cards(name: str) -> Cards:
    data = layout_data(name)
    entries = [as_entry(e) for e in data["entries"]]
    fmt = LAYOUT_FORMATS[name]
    return Cards(fmt, layout_text(name).split("\n"), entries,
                 [(a, b) for a, b in data["spans"]], [None] * len(entries),
                 HF_CHROME if fmt == "hf-daily-papers" else COMPACT_CHROME,
                 votes=fmt == "hf-daily-papers")


CARDS = {**{name: _sample_cards for name in NAMES}, **dict.fromkeys(LAYOUT_FORMATS, _layout_cards)}
PASTE_VARIANTS = {"as-is": lambda t: t, "crlf": VARIANTS["crlf"], "nbsp": VARIANTS["nbsp"],
                  "no-blank-lines": BROWSER_VARIANTS["no-blank-lines"]}


def whole_cards(cards: Cards, start: int, stop: int, *, votes_seen: bool = True
                ) -> list[Entry]:
    """The entries of the cards that lines[start:stop] holds whole, as they must be read.

    Without ``votes_seen`` (a paste of today's HF cards in which no upvote line above a
    title survived) nothing shows the layout, so a card is read in the older layout, from
    its title, without upvotes."""
    found = []
    for entry, (first, last), heading in zip(cards.entries, cards.spans, cards.headings,
                                              strict=True):
        if cards.votes and not votes_seen:
            first += 2
            entry = Entry(**{**entry.__dict__, "upvotes": None})
        if start <= first and last < stop:
            if heading is not None and heading < start:  # the year heading was cut off
                entry = Entry(**{**entry.__dict__, "date": None, "date_text": None})
            found.append(entry)
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_cut_and_doubled_pastes_import_exactly_the_whole_cards(data: st.DataObject) -> None:
    """Cut a listing at random lines at both ends, paste it twice with page chrome between:
    the papers are exactly the whole cards, with their own fields; never a fragment, never
    a chrome line; and no error (a cut card is a warning that names its line)."""
    name = data.draw(st.sampled_from(sorted(CARDS)))
    cards = CARDS[name](name)
    n = len(cards.lines)
    a, b = sorted(data.draw(st.tuples(st.integers(0, n), st.integers(0, n))))
    c, d = sorted(data.draw(st.tuples(st.integers(0, n), st.integers(0, n))))
    variant = data.draw(st.sampled_from(sorted(PASTE_VARIANTS)))
    text = "\n".join([*cards.lines[a:b], "", *cards.chrome, "", *cards.lines[c:d]])
    listing = parse_listing(PASTE_VARIANTS[variant](text), "paste.txt", year=YEAR,
                            format=cards.format)
    votes_seen = any(a <= first and first + 2 < b or c <= first and first + 2 < d
                     for first, _ in cards.spans)
    expected = (whole_cards(cards, a, b, votes_seen=votes_seen)
                + whole_cards(cards, c, d, votes_seen=votes_seen))
    assert without_lines(listing) == expected
    if expected:
        assert [d for d in listing.diagnostics if d.severity == "error"] == []
        assert all(d.line is not None for d in listing.diagnostics)
    if len(expected) >= 2:
        assert detect_format(text) == cards.format


def test_hf_copy_starting_inside_an_abstract_makes_no_paper() -> None:
    lines = layout_text("hf-today").split("\n")
    start = lines.index("Long-CLIP: Unlocking the Long-Text Capability of CLIP") + 2
    listing = parse_listing("\n".join(lines[start:]), "h.txt", year=YEAR)
    assert listing.entries[0].title.startswith("Simple Hack for Transformers")
    assert len(listing.entries) == 13
    (warned,) = listing.diagnostics
    assert (warned.severity, warned.line) == ("warning", 1)
    assert "starts inside a paper" in warned.message


def test_hf_copy_ending_inside_a_card_makes_no_paper() -> None:
    lines = layout_text("hf-today").split("\n")
    end = lines.index("Microsoft")  # the card's organisation line, before its '·' and date
    listing = parse_listing("\n".join(lines[:end + 1]), "h.txt", year=YEAR)
    assert listing.entries[-1].title.startswith("Ada-LEval")
    (warned,) = listing.diagnostics
    assert warned.severity == "warning" and warned.line == end - 5  # the card's upvote line
    assert "ends inside a paper" in warned.message


def test_page_chrome_is_never_a_paper_wherever_it_stands() -> None:
    text = layout_text("hf-today")
    doubled = text + "\n\nWeekly\n\nDaily\n\nMonthly\n\n" + text
    listing = parse_listing(doubled, "h.txt", year=YEAR)
    titles = [e.title for e in listing.entries]
    assert titles == [e["title"] for e in layout_data("hf-today")["entries"]] * 2
    assert listing.diagnostics == ()


def test_compact_author_header_between_two_pages() -> None:
    text = layout_text("compact-author")
    doubled = text + "\n\n" + text.replace("Yujia Qin\nComputation", "Xu Han\nMachine Learning")
    listing = parse_listing(doubled, "c.txt", year=YEAR)
    assert without_lines(listing) == [as_entry(e) for e in layout_data("compact-author")[
        "entries"]] * 2
    assert listing.diagnostics == ()


def test_compact_author_layout_names_line_is_not_the_abstract() -> None:
    text = ("CLApr 17, 2023\nTool Learning with Foundation Models\n\nYujia Qin, Shengding Hu, "
            "Yankai Lin et al. · tsinghua\n\nHumans possess an extraordinary ability.\n"
            "CLMay 5\nA Short Paper\nAnn Lee, Bo Chen\nWe show a thing and measure it well.\n")
    first, second = parse_listing(text, "c.txt", year=YEAR).entries
    assert (first.title, first.authors, first.organizations, first.abstract) == (
        "Tool Learning with Foundation Models", ("Yujia Qin", "Shengding Hu", "Yankai Lin"),
        ("tsinghua",), "Humans possess an extraordinary ability.")
    assert (second.title, second.authors, second.author_count, second.authors_truncated) == (
        "A Short Paper", ("Ann Lee", "Bo Chen"), 2, False)


@pytest.mark.parametrize(("forced", "sample"), [
    ("hf-daily-papers", ACL), ("compact-listing", ACL), ("acl-anthology", HF),
    ("compact-listing", HF), ("hf-daily-papers", COMPACT), ("acl-anthology", COMPACT),
])
def test_forced_format_that_does_not_fit_invents_nothing(forced: str, sample: str) -> None:
    listing = parse_listing(raw(sample), "x.txt", year=YEAR, format=forced)
    assert listing.entries == ()
    (diagnostic,) = listing.diagnostics
    assert diagnostic.severity == "error"
    assert f"does not look like {forced}" in diagnostic.message
    assert f"it looks like {gold(sample)['format']}" in diagnostic.message


def test_a_lone_card_without_its_upvote_line_is_read_in_the_pastes_layout() -> None:
    """After chrome, one card whose upvote line the copy cut off: in a paste of today's
    layout it is a piece of a card, not a paper of the older layout."""
    lines = layout_text("hf-today").split("\n")
    first, last = layout_data("hf-today")["spans"][1]
    text = "\n".join([*lines, "", *HF_CHROME, "", *lines[first + 1:last + 1]])
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert without_lines(listing) == [as_entry(e) for e in layout_data("hf-today")["entries"]]
    (warned,) = listing.diagnostics
    assert warned.severity == "warning" and "starts inside a paper" in warned.message


def test_hugging_face_as_an_organisation_is_not_page_chrome() -> None:
    text = layout_text("hf-today").replace("\nMicrosoft\n", "\nHugging Face\n")
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert listing.diagnostics == ()
    assert ("Hugging Face",) in [e.organizations for e in listing.entries]


def test_submitted_by_inside_a_card_does_not_split_it() -> None:
    text = layout_text("hf-today").replace("\n41\n", "\n41\nSubmitted by\nakhaliq\n")
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert without_lines(listing) == [as_entry(e) for e in layout_data("hf-today")["entries"]]
    assert listing.diagnostics == ()


def test_compact_copy_ending_before_the_abstract_takes_no_page_text_for_it() -> None:
    """The copy ends after a title; page text follows before the next page's header."""
    text = (layout_text("compact-author") + "\n\nCLApr 17, 2023\nTool Learning with "
            "Foundation Models\nFollow\nTsinghua University\n" + "\n".join(COMPACT_CHROME)
            + "\n")
    listing = parse_listing(text, "c.txt", year=YEAR)
    assert without_lines(listing) == [as_entry(e) for e in layout_data("compact-author")[
        "entries"]]
    (warned,) = listing.diagnostics
    assert warned.severity == "warning" and "ends inside an entry" in warned.message


def test_todays_card_is_read_by_position_whatever_the_abstract_length() -> None:
    text = ("Jan 29\n\n7\n\nA Title\n\nA short abstract, cut by the page …\n\n"
            "Carnegie Mellon University\n·\nOct 22, 2025 3\n\n-\n\nB Title\n\n"
            "Another short abstract …\n\n  • 2 authors\n·\nJan 3\n")
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert [(e.title, e.abstract, e.organizations, e.upvotes, e.comments, e.author_count)
            for e in listing.entries] == [
        ("A Title", "A short abstract, cut by the page …", ("Carnegie Mellon University",), 7,
         3, None),
        ("B Title", "Another short abstract …", (), None, None, 2)]
    assert listing.diagnostics == ()


def test_layout_fixtures_are_what_make_layouts_writes() -> None:
    """The fixtures and the script that lays them out from the samples do not drift."""
    spec = importlib.util.spec_from_file_location("make_layouts", LAYOUTS / "make_layouts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, make in (("hf-today", module.hf_today), ("compact-author", module.compact_author)):
        text, data = make()
        assert text == layout_text(name)
        assert data == layout_data(name)


# Buttons and banners of a site the parsers do not know: short lines, not paper text.
UNKNOWN_CHROME = ["Load more", "Home", "Sign in", "Show more", "12 / 50", "Back to top"]


def test_compact_unknown_chrome_after_a_cut_entry_is_no_paper() -> None:
    """A copy ending just after an entry's meta line, then a "Load more" button and a
    menu, then the page pasted again: the button is no title, the menu no abstract."""
    lines = raw(COMPACT).split("\n")
    first_paste = lines[:10]  # ends with entry #4's meta line
    assert first_paste[-1] == "LGMar 26, 2022"
    listing = parse_listing("\n".join([*first_paste, *UNKNOWN_CHROME, *lines]), "c.txt",
                            year=YEAR)
    assert without_lines(listing) == (without_lines(parsed(COMPACT))[:3]
                                      + without_lines(parsed(COMPACT)))
    warned, *chrome = listing.diagnostics
    assert (warned.severity, warned.line) == ("warning", 10)
    assert "ends inside an entry" in warned.message
    # the page text after it, where the second copy of the page starts, is reported too
    assert [(d.severity, d.line) for d in chrome] in ([], [("warning", 11)])


def test_compact_a_whole_entry_with_a_short_abstract_mid_paste_is_kept() -> None:
    """Between two entries, an entry whose names do not split from its title (an
    organisation, names in Chinese) and whose abstract is short is still an entry: only a
    short first line that splits into nothing reads as a button."""
    text = ("CLMar 16, 2022Code\n"
            "LEVEN: A Large-Scale Chinese Legal Event Detection DatasetFeng Yao, Chaojun Xiao, "
            "Xiaozhi Wang et al. · tsinghua\n"
            "Recognizing facts is the most fundamental step in making judgments, hence "
            "detecting events in the legal documents is important.\n"
            "CLMar 17, 2022\n"
            "A Survey of Legal Judgment Prediction Datasets Across Many Courts 李明, 王伟\n"
            "Short abstract here.\n"
            "CLMar 18, 2022\n"
            "Another Great Paper On Retrieval Augmented GenerationAlice Smith, Bob Jones\n"
            "We study retrieval augmented generation and we show that it is very good at "
            "many tasks here.\n")
    listing = parse_listing(text, "c.txt", year=YEAR)
    assert len(listing.entries) == 3
    assert listing.entries[1].line == 4 and listing.entries[1].abstract == "Short abstract here."


def test_hf_unknown_chrome_before_a_cut_card_footer_is_no_paper() -> None:
    """The second paste starts at a card's footer, right after page text the parser does
    not know: two short lines there are no title and abstract."""
    lines = raw(HF).split("\n")
    footer = lines.index("  • 8 authors")  # the first card's footer: '• 8 authors', '·', date
    listing = parse_listing("\n".join([*lines, "", *UNKNOWN_CHROME, "", *lines[footer:]]),
                            "h.txt", year=YEAR)
    titles = [e.title for e in listing.entries]
    assert titles == [e.title for e in parsed(HF).entries] + [
        e.title for e in parsed(HF).entries[1:]]
    assert not set(UNKNOWN_CHROME) & set(titles)
    assert {d.severity for d in listing.diagnostics} == {"warning"}
    assert "starting 'Load more'" in listing.diagnostics[0].message


# --- how browsers copy a card's inline parts -----------------------------------------------

FOOTER = re.compile(r"\n *• (\d+ authors?)\n·\n")
ORG_FOOTER = re.compile(r"\n(Carnegie Mellon University|nvidia NVIDIA|Microsoft)\n·\n")
INLINE_COPIES = {
    # Chrome: the footer's inline parts on one line, with tabs between them
    "footer-tabs": lambda t: ORG_FOOTER.sub(r"\n\1\t·\t", FOOTER.sub(r"\n  • \1\t·\t", t)),
    # Safari: with spaces between them
    "footer-spaces": lambda t: ORG_FOOTER.sub(r"\n\1 · ", FOOTER.sub(r"\n• \1 · ", t)),
    # the separator shown as a bullet, and the count's bullet on a line of its own
    "bullet-separator": lambda t: t.replace("\n·\n", "\n•\n").replace("  • ", "•\n"),
    # direction isolates and marks around the footer's parts (dir="auto" on user text)
    "bidi-isolates": lambda t: t.replace("\n  • ", "\n\u2068• ").replace(
        " authors\n", " authors\u2069\u200e\n"),
}


@pytest.mark.parametrize("variant", INLINE_COPIES)
@pytest.mark.parametrize("name", [HF, "hf-today"])
def test_hf_footer_copied_inline_reads_the_same(name: str, variant: str) -> None:
    """A footer whose parts a browser copied on one line (tabs or spaces between them, a
    '•' for the '·') is the same footer: no card loses its count, date or comments."""
    text = raw(name) if name in NAMES else layout_text(name)
    changed = INLINE_COPIES[variant](text)
    assert changed != text
    listing = parse_listing(changed, "x.txt", year=YEAR)
    want = parsed(name) if name in NAMES else parse_listing(text, "x.txt", year=YEAR)
    assert listing.diagnostics == ()
    assert [(e.title, e.author_count, e.organizations, e.date, e.comments, e.upvotes)
            for e in listing.entries] == [
        (e.title, e.author_count, e.organizations, e.date, e.comments, e.upvotes)
        for e in want.entries]


def test_acl_labels_with_direction_marks_are_labels() -> None:
    text = raw(ACL).replace("\npdf\n", "\n\u200epdf\u200e\n")
    assert without_lines(parse_listing(text, "a.txt", year=YEAR)) == without_lines(parsed(ACL))


SHORT_ABSTRACTS = ["We extract entities from long texts.", "Code: https://github.com/a/b.",
                   "A \"simple\" baseline (no tuning)."]


@pytest.mark.parametrize("abstract", SHORT_ABSTRACTS)
@pytest.mark.parametrize("card", [0, 1, 26, 27, 29, 41])
def test_hf_older_card_with_a_very_short_abstract_is_a_paper(card: int, abstract: str) -> None:
    """(issue: such a card was taken for page chrome, a button and a menu item, and
    dropped.) The card's title is followed by a one-sentence abstract, in the older layout
    without upvote lines; the cards are the first, one in the middle, the one without
    footer, one with an organisation footer and the last."""
    lines = raw(HF).split("\n")
    want = list(parsed(HF).entries)
    at = want[card].line  # its title's line; the abstract is two lines below (1-based)
    assert lines[at + 1] == want[card].abstract
    lines[at + 1] = abstract
    want[card] = Entry(**{**want[card].__dict__, "abstract": abstract,
                          "urls": extract_urls(abstract)})
    listing = parse_listing("\n".join(lines), "h.txt", year=YEAR)
    assert listing.diagnostics == ()
    assert listing.entries == tuple(want)


# --- a page pasted twice with text between the copies that the parser does not know --------

OFFSETS = [(2, 1), (2, 2), (3, 3), (4, 2)]  # lines into the cut cards


@pytest.mark.parametrize("between", [["Load more"], ["Back to top", "Home"], []],
                         ids=["button", "two-links", "nothing"])
@pytest.mark.parametrize(("cut", "start"), OFFSETS)
@pytest.mark.parametrize("name", sorted(CARDS))
def test_overlapping_copies_with_unknown_text_between(name: str, cut: int, start: int,
                                                      between: list[str]) -> None:
    """The first copy ends inside a paper, the second starts inside an earlier one, with
    a button the parser does not know (or nothing) between them: each copy gives exactly
    its whole papers, with their own fields. (A line before a cut card's abstract was
    its title; the footer or venue of the second copy's first card went to the first
    copy's last, cut, card; a year heading reached across the join.)"""
    cards = CARDS[name](name)
    middle = len(cards.spans) // 2
    end = cards.spans[middle][0] + cut  # inside the middle card
    begin = cards.spans[middle - 2][0] + start  # inside a card the first copy holds whole
    text = "\n".join([*cards.lines[:end], *between, *cards.lines[begin:]])
    listing = parse_listing(text, "paste.txt", year=YEAR)
    assert without_lines(listing) == (whole_cards(cards, 0, end)
                                      + whole_cards(cards, begin, len(cards.lines)))
    assert [d for d in listing.diagnostics if d.severity == "error"] == []


def test_unknown_line_before_a_cut_cards_abstract_is_not_its_title() -> None:
    """(issue: a chrome line the parser does not know, right before a cut card's
    abstract, became that card's title.) The page pasted twice, the second copy starting
    at a card's abstract after a button: the button makes no paper, and the card that the
    first copy holds whole is imported once, under its own title."""
    lines = raw(HF).split("\n")
    card = parsed(HF).entries[1]
    abstract_at = card.line + 1  # 0-based: two lines below the title
    text = "\n".join([*lines, "", "Load more", "", *lines[abstract_at:]])
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert [e.title for e in listing.entries] == (
        [e.title for e in parsed(HF).entries] + [e.title for e in parsed(HF).entries[2:]])
    assert {d.severity for d in listing.diagnostics} == {"warning"}
    assert any(d.line == len(lines) + 4 and "starts inside a paper" in d.message
               for d in listing.diagnostics)


@pytest.mark.parametrize("pager", ["Previous 1 2 3 Next", "« 1 2 … 9 »", "1 2 3"])
@pytest.mark.parametrize("name", [ACL, HF, "hf-today"])
def test_a_pager_between_two_pages_is_page_chrome(name: str, pager: str) -> None:
    """Page 1 then page 2 (here: the same cards) with the pager copied as one line
    between them: the pager is no paper, no organisation and no abstract."""
    text = raw(name) if name in NAMES else layout_text(name)
    want = without_lines(parse_listing(text, "x.txt", year=YEAR))
    listing = parse_listing(f"{text}\n\n{pager}\n\n{text}", "x.txt", year=YEAR)
    assert without_lines(listing) == want * 2
    assert listing.diagnostics == ()


@pytest.mark.parametrize(("meta", "category", "has_code"), [
    ("CLMar 16, 2022Data", "CL", False), ("CLMar 16, 2022CodeData", "CL", True),
    ("CLMar 16, 2022 Data Code", "CL", True), ("CL LGMar 16, 2022Code", "CL", True),
    ("99.7CL, LG, AIApr 30", "CL", False), ("LG CLMar 16, 2022", "LG", False),
])
def test_compact_data_marker_and_several_categories(meta: str, category: str,
                                                    has_code: bool) -> None:
    """A 'Data' marker after the date, and a paper in several categories, still make a
    meta line (the whole listing was 'not recognised', or its entries lost)."""
    lines = raw(COMPACT).split("\n")
    lines[0] = meta
    listing = parse_listing("\n".join(lines), "c.txt", year=YEAR)
    assert listing.format == "compact-listing" and listing.diagnostics == ()
    first = listing.entries[0]
    assert (first.category, first.has_code) == (category, has_code)
    assert first.title == parsed(COMPACT).entries[0].title
    assert without_lines(listing)[1:] == without_lines(parsed(COMPACT))[1:]


@pytest.mark.parametrize(("shown", "upvotes"), [("1.2k", 1200), ("3k", 3000), ("1.0K", 1000)])
def test_hf_thousands_of_upvotes_as_the_page_shortens_them(shown: str, upvotes: int) -> None:
    """A card with more than 999 upvotes shows '1.2k' above its title; the card was lost
    (an error) and its footer reported as having no card."""
    text = layout_text("hf-today").replace("\n\n12\n\n", f"\n\n{shown}\n\n", 1)
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert listing.diagnostics == ()
    want = [as_entry(e) for e in layout_data("hf-today")["entries"]]
    want[0] = Entry(**{**want[0].__dict__, "upvotes": upvotes})
    assert without_lines(listing) == want


@pytest.mark.parametrize("between", [["Load more"], ["Back to top", "Home"], []],
                         ids=["button", "two-links", "nothing"])
@pytest.mark.parametrize("name", sorted(CARDS))
def test_two_copies_from_the_same_place_with_unknown_text_between(name: str,
                                                                  between: list[str]) -> None:
    """Both copies start at the same line inside a paper (the selection started there
    twice), the first ends inside a later one: the text between them (a button the
    parser does not know, or nothing) is no paper's title, and no paper takes lines of
    the other copy."""
    cards = CARDS[name](name)
    middle = len(cards.spans) // 2
    begin, end = cards.spans[1][0] + 2, cards.spans[middle][0] + 2
    text = "\n".join([*cards.lines[begin:end], *between, *cards.lines[begin:]])
    listing = parse_listing(text, "paste.txt", year=YEAR, format=cards.format)
    assert without_lines(listing) == (whole_cards(cards, begin, end)
                                      + whole_cards(cards, begin, len(cards.lines)))
    assert [d for d in listing.diagnostics if d.severity == "error"] == []


@pytest.mark.parametrize("authors", [3, 4, 5])
def test_acl_copy_cut_inside_the_authors_then_the_page_again(authors: int) -> None:
    """The first copy ends inside a paper's author list; after a button the second copy
    starts at that paper's labels, so only its title and authors repeat. The paper is
    imported once, whole, with all its authors and its venue (the button was its venue,
    and it lost the authors after the cut)."""
    cards = CARDS[ACL](ACL)
    labels, _ = cards.spans[3]
    title = labels + 1
    end = title + 2 * authors  # the title, then names with "|" lines between them
    begin = labels - 2  # 'pdf', 'bib', 'abs' are the three lines ending at `labels`
    assert cards.lines[begin] == "pdf"
    text = "\n".join([*cards.lines[:end], "Show more", *cards.lines[begin:]])
    listing = parse_listing(text, "a.txt", year=YEAR)
    assert without_lines(listing) == (whole_cards(cards, 0, end)
                                      + whole_cards(cards, begin, len(cards.lines)))
    assert [d for d in listing.diagnostics if d.severity == "error"] == []


@pytest.mark.parametrize("between", [["Back to top", "Home"], ["Load more"]],
                         ids=["two-links", "button"])
def test_hf_today_a_card_cut_after_its_title_joined_to_another_cut_card(
        between: list[str]) -> None:
    """Today's layout: the first part of a copy ends after a card's upvote line and
    title, the second (further down the page) starts at another card's abstract. The
    lines after the upvote line are no card (one of them was read as the title of the
    other card's abstract and footer); both cut cards are skipped with a warning. (With
    nothing between them the two pieces make a card like any other.)"""
    cards = CARDS["hf-today"]("hf-today")
    (vote, _), (other, _) = cards.spans[3], cards.spans[6]
    end, begin = vote + 3, other + 4  # the upvote line, the title; the abstract on
    assert cards.lines[begin].startswith(cards.entries[6].abstract[:40])
    text = "\n".join([*cards.lines[:end], *between, *cards.lines[begin:]])
    listing = parse_listing(text, "h.txt", year=YEAR)
    assert without_lines(listing) == (whole_cards(cards, 0, end)
                                      + whole_cards(cards, begin, len(cards.lines)))
    assert {d.severity for d in listing.diagnostics} == {"warning"}


@pytest.mark.parametrize("between", [[], ["Load more"], ["Back to top", "Home"]],
                         ids=["nothing", "button", "two-links"])
@pytest.mark.parametrize("copies", [2, 3])
@pytest.mark.parametrize("name", sorted(CARDS))
def test_a_whole_page_pasted_again_and_again(name: str, copies: int,
                                             between: list[str]) -> None:
    """Every copy gives all its papers, whatever stands between the copies: the third
    copy of a compact listing lost its first entry (its meta line went to the copy
    before), and an ACL page's last paper took the button for the end of its abstract
    and was skipped as cut."""
    text = raw(name) if name in NAMES else layout_text(name)
    once = without_lines(parse_listing(text, "x.txt", year=YEAR))
    listing = parse_listing("\n".join([text, *between] * (copies - 1) + [text]), "x.txt",
                            year=YEAR)
    assert without_lines(listing) == once * copies
    assert all(d.severity == "warning" and "skipped line" in d.message
               and any(f"starting {line!r}" in d.message for line in between)
               for d in listing.diagnostics)


@pytest.mark.parametrize("where", ["after-the-last-paper", "between-two-years"])
def test_acl_page_text_after_an_abstract_is_not_part_of_it(where: str) -> None:
    """A button the parser does not know after an abstract was the abstract's end (and
    after the last paper made it look cut, so the paper was skipped); now it is skipped
    with a warning that names its line."""
    lines = raw(ACL).split("\n")
    at = len(lines) if where == "after-the-last-paper" else lines.index("2024")
    text = "\n".join([*lines[:at], "Show more", *lines[at:]])
    listing = parse_listing(text, "a.txt", year=YEAR)
    assert without_lines(listing) == without_lines(parsed(ACL))
    (warned,) = listing.diagnostics
    assert (warned.severity, warned.line) == ("warning", at + 1)
    assert "starting 'Show more'" in warned.message


def test_compact_page_text_in_a_cut_entrys_abstract_place_is_no_abstract() -> None:
    """A copy ends after an entry's title/authors line; after a counter the parser does
    not know, another part of the page follows (nothing repeats). The counter was that
    entry's abstract; now the entry is a cut one, skipped with a warning."""
    lines = raw(COMPACT).split("\n")
    text = "\n".join([*lines[:11], "12 / 50", *lines[30:]])  # entry #4 ends at its byline
    listing = parse_listing(text, "c.txt", year=YEAR)
    entries = without_lines(parsed(COMPACT))
    assert without_lines(listing) == entries[:3] + entries[10:]
    (warned,) = listing.diagnostics
    assert (warned.severity, warned.line) == ("warning", 10)
    assert "ends inside an entry" in warned.message


@pytest.mark.parametrize("prefix", ["Published on ", "Published ", "Published: ", "Submitted on "])
@pytest.mark.parametrize("name", [HF, "hf-today"])
def test_hf_footer_date_with_a_published_prefix(name: str, prefix: str) -> None:
    """The footer's date as other views of the page show it ('Published May 6'): the
    same date and comment count (it was no date: the footer was reported dateless and
    the card lost its date, or was cut off from it)."""
    text = raw(name) if name in NAMES else layout_text(name)
    listing = parse_listing(text.replace("\n·\n", f"\n·\n{prefix}"), "x.txt", year=YEAR)
    assert listing.diagnostics == ()
    assert without_lines(listing) == without_lines(parse_listing(text, "x.txt", year=YEAR))
