"""Import from reference managers: BibTeX, CSL-JSON and RIS in the shapes the tools export,
matched to the papers already in the list by DOI, arXiv id, then title."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from generator import cli
from generator.content import render_file
from generator.listings import parse_listing
from generator.model import Entry, normalize_title

FIXTURES = Path(__file__).parent / "fixtures" / "references"


def read(name: str) -> list[Entry]:
    listing = parse_listing((FIXTURES / name).read_text(encoding="utf-8"), name, year=2026)
    assert listing.diagnostics == (), listing.diagnostics
    return list(listing.entries)


def read_text(text: str) -> list[Entry]:
    listing = parse_listing(text, "mine.bib", year=2026)
    assert listing.diagnostics == (), listing.diagnostics
    return list(listing.entries)


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


# --- the shapes people have --------------------------------------------------------------

@pytest.mark.parametrize(("name", "format"), [
    ("acl-anthology.bib", "bibtex"), ("zotero-better-bibtex.bib", "bibtex"),
    ("arxiv.bib", "bibtex"), ("dblp.bib", "bibtex"), ("google-scholar.bib", "bibtex"),
    ("latex-and-macros.bib", "bibtex"), ("zotero.json", "csl-json"), ("zotero.ris", "ris"),
])
def test_the_format_is_told_by_content_whatever_the_file_is_called(name, format):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert parse_listing(text, "export.txt", year=2026).format == format


@pytest.mark.parametrize(("text", "format"), [
    ("\ufeffTY  - JOUR\r\nTI  - Solo Record\r\nPY  - 2020\r\nER  - \r\n", "ris"),
    ("\ufeff@article{a,\r\n  title = {Solo Entry},\r\n  year = {2020}\r\n}\r\n", "bibtex"),
    ('\ufeff[{"id": "a", "title": "Solo Item"}]', "csl-json")])
def test_a_one_entry_export_with_a_bom_is_told_by_content(text, format):
    """Windows tools write a BOM; with one entry it stands right before the "@" or "TY"."""
    listing = parse_listing(text, "export.txt", year=2026)
    assert (listing.format, len(listing.entries), listing.diagnostics) == (format, 1, ())


def test_acl_anthology_bibtex():
    (e,) = read("acl-anthology.bib")
    assert e.title == "FocusLLM: Precise Understanding of Long Context by Dynamic Condensing"
    assert e.authors == ("Zhenyu Li", "Yike Zhang", "Tengyu Pan", "Yutao Sun", "Zhichao Duan")
    assert not e.authors_truncated
    assert e.date == "2025-07"
    assert e.venue == ("Proceedings of the 63rd Annual Meeting of the Association for "
                       "Computational Linguistics (Volume 1: Long Papers)")
    assert (e.doi, e.url, e.pages) == ("10.18653/v1/2025.acl-long.1",
                                       "https://aclanthology.org/2025.acl-long.1/", "1–18")
    assert e.publisher == "Association for Computational Linguistics"
    assert e.citation_key == "li-etal-2025-focusllm" and e.line == 1
    assert e.abstract.startswith("Empowering LLMs") and "present FocusLLM, a" in e.abstract


def test_zotero_better_bibtex_braces_keywords_and_file_fields():
    (e,) = read("zotero-better-bibtex.bib")
    assert e.title == "A Length-Extrapolatable Transformer"
    assert e.authors[0] == "Yutao Sun" and len(e.authors) == 9
    assert e.date == "2023-07" and e.pages == "14590–14604"
    assert e.keywords == ("long context", "position embedding", "Transformers")
    assert e.citation_key == "sunLengthExtrapolatableTransformer2023" and e.line == 2
    assert e.venue.startswith("Proceedings of the 61st Annual Meeting")


def test_arxiv_misc_with_eprint():
    (e,) = read("arxiv.bib")
    assert (e.arxiv, e.venue, e.date) == ("2305.16300", None, "2023")
    assert e.authors == ("Amirkeivan Mohtashami", "Martin Jaggi")


def test_dblp_long_booktitle_and_bibsource():
    (e,) = read("dblp.bib")
    assert e.venue == ("Proceedings of the 61st Annual Meeting of the Association for "
                       "Computational Linguistics (Volume 1: Long Papers), ACL 2023, Toronto, "
                       "Canada, July 9-14, 2023")
    assert e.doi == "10.18653/V1/2023.ACL-LONG.816" and e.citation_key.startswith("DBLP:")


def test_google_scholar_and_others():
    (e,) = read("google-scholar.bib")
    assert e.authors_truncated and len(e.authors) == 10 and e.authors[0] == "Shengding Hu"
    assert (e.arxiv, e.venue, e.date) == ("2404.06395", None, "2024")


def test_latex_accents_macros_institutions_and_comments():
    first, gemma = read("latex-and-macros.bib")
    assert first.authors == ("Noëmi Vadász", "Çağrı Çöltekin", "Nikola Ljubešić")
    assert first.title == "JSI and Wikipedia: Measuring the × factor"
    assert first.venue == ("Proceedings of the 2024 Conference on Empirical Methods in "
                           "Natural Language Processing")
    assert first.publisher == "Association for Computational Linguistics"
    assert first.date == "2024-11-12" and first.line == 7
    assert gemma.authors == ("Gemma Team",) and gemma.date == "2024-03-13"


@pytest.mark.parametrize("howpublished", [
    r"\url{https://github.com/huggingface/transformers}",
    "https://github.com/huggingface/transformers"])
def test_a_link_in_howpublished_is_the_url_not_the_venue(howpublished):
    """Software and web pages are cited as @misc with the link in howpublished."""
    text = ("@misc{wolf2020transformers,\n  title = {Transformers: State-of-the-Art Natural "
            "Language Processing},\n  author = {{Hugging Face}},\n"
            f"  howpublished = {{{howpublished}}},\n  year = 2020,\n"
            "  note = {Accessed: 2023-05-01}\n}\n")
    (entry,) = read_text(text)
    assert (entry.venue, entry.url) == (None, "https://github.com/huggingface/transformers")
    kept = read_text(text.replace("  year", "  url = {https://huggingface.co},\n  year"))
    assert kept[0].url == "https://huggingface.co"
    (talk,) = read_text("@misc{t, title = {A Talk}, howpublished = {Keynote at ACL}}")
    assert talk.venue == "Keynote at ACL"


@pytest.mark.parametrize(("written", "seen"), [
    (r"Sorting in $\mathcal{O}(n \log n)$ Time", "Sorting in O(n log n) Time"),
    (r"{$\log$}-Linear Attention", "log-Linear Attention"),
    (r"Beyond $\arg\max$: $\ell_2$ Bounds via $\sqrt{n}$", "Beyond arg max: ℓ_2 Bounds via √n"),
    (r"The {\LaTeX} Companion", "The LaTeX Companion"),
    (r"Codes in $\{0,1\}^n$ for \$100", "Codes in {0,1}^n for $100")])
def test_math_operators_and_symbols_in_a_title_read_as_printed(written, seen):
    """latexcodec knows accents and Greek, not \\log or \\ell: they must not vanish."""
    (entry,) = read_text(f"@inproceedings{{k,\n  title = {{{written}}},\n  year = 2024\n}}\n")
    assert entry.title == seen


def test_macros_joined_with_hash_and_written_in_any_case():
    """Hand-kept files build values from @string macros with '#': "Proc. of " # acl."""
    text = ('@string{acl = "Annual Meeting of the {ACL}"}\n'
            '@STRING{ProcACL = "Proceedings of the " # ACL}\n'
            "@inproceedings{a,\n"
            "  title = {{C}# and F# in Practice}, author = {Lee, Ann},\n"
            '  booktitle = procacl # " 2020", year = 2020, month = Jan,\n'
            '  publisher = "ACL" # {, Inc.}}\n')
    (entry,) = read_text(text)
    assert entry.title == "C# and F# in Practice"  # '#' inside braces is text
    assert entry.venue == "Proceedings of the Annual Meeting of the ACL 2020"
    assert entry.publisher == "ACL, Inc." and entry.date == "2020-01"


def test_better_bibtex_biblatex_names_in_the_extended_format():
    """Better BibTeX (BibLaTeX) writes a name with a particle as key=value parts."""
    text = ("@article{smith2023Survey,\n"
            "  title = {A {{Survey}} of {{Things}}},\n"
            "  author = {Smith, John and family=Berg, given=Anna, prefix=van den, "
            "useprefix=false and family={Ruiz}, given={Jos{\\'e}}, prefix={de la}, "
            "suffix={Jr.} and {Gemma Team}},\n"
            "  date = {2023-05},\n  journaltitle = {Nature Machine Intelligence},\n}\n")
    (entry,) = read_text(text)
    assert entry.authors == ("John Smith", "Anna van den Berg", "José de la Ruiz, Jr.",
                             "Gemma Team")


@pytest.mark.parametrize("author", [
    "Smith, John and", "and Smith, John", "Smith, John AND\n", "Smith, John and and"])
def test_a_stray_and_in_a_hand_edited_author_list_is_no_name(author):
    text = f"@article{{k,\n  author = {{{author}}},\n  title = {{T}}\n}}\n"
    (entry,) = read_text(text)
    assert entry.authors == ("John Smith",)
    (two,) = read_text(text.replace(author, "Smith, John and and Doe, Jane"))
    assert two.authors == ("John Smith", "Jane Doe")


@pytest.mark.parametrize(("date", "iso"), [
    ("2022-07-17/2022-07-23", "2022-07-17"), ("2023-05/2023-06", "2023-05"),
    ("2024-03-13/..", "2024-03-13"), ("2023-05?", "2023-05"), ("2023-05-01~", "2023-05-01")])
def test_a_biblatex_date_range_or_uncertain_date_keeps_its_precision(date, iso):
    """BibLaTeX's date field holds ranges (a conference's days) and EDTF's ? and ~ marks."""
    text = ("@inproceedings{dePaula2022,\n  title = {On the {{Limits}} of {{Scaling}}},\n"
            f"  author = {{de Paula, Ana}},\n  date = {{{date}}},\n"
            "  eventtitle = {{{ICML}} 2022},\n}\n")
    (entry,) = read_text(text)
    assert entry.date == iso


@pytest.mark.parametrize(("text", "name"), [
    ("@article{brownLanguageModelsAre2020,\n  title = {Language {{Models}} Are {{Few-Shot "
     "Learners}}},\n  author = {Brown, Tom B.},\n  year = {2020},\n  journal = "
     "{arXiv:2005.14165 [cs]},\n  eprint = {2005.14165},\n  archiveprefix = {arXiv}\n}\n",
     "zotero.bib"),
    ("TY  - JOUR\nTI  - Language Models are Few-Shot Learners\nAU  - Brown, Tom B.\n"
     "T2  - arXiv:2005.14165 [cs]\nDA  - 2020/07/22/\nPY  - 2020\n"
     "UR  - http://arxiv.org/abs/2005.14165\nER  - \n", "zotero.ris"),
    ('[{"id": "x", "type": "article-journal", "title": "Language Models are Few-Shot '
     'Learners", "container-title": "arXiv:2005.14165 [cs.CL]", "issued": {"date-parts": '
     '[[2020]]}}]', "zotero.json"),
    ("@article{brown2020language,\n  title={Language Models are Few-Shot Learners},\n"
     "  author={Brown, Tom B.},\n  journal={ArXiv},\n  year={2020},\n"
     "  volume={abs/2005.14165}\n}\n", "semantic-scholar.bib"),
    ("@ARTICLE{2020arXiv200514165B,\n  author = {{Brown}, Tom B.},\n  title = "
     '"{Language Models are Few-Shot Learners}",\n  journal = {arXiv e-prints},\n'
     "  year = 2020,\n  eid = {arXiv:2005.14165},\n  eprint = {2005.14165}\n}\n",
     "ads.bib")])
def test_an_arxiv_preprint_is_no_venue_however_the_export_names_it(text, name):
    """Zotero filed arXiv papers as journal articles in "arXiv:ID [cs]"; Semantic Scholar
    writes "ArXiv" with the id as volume "abs/ID"; NASA ADS "arXiv e-prints"."""
    listing = parse_listing(text, name, year=2026)
    (entry,) = listing.entries
    assert (entry.venue, entry.volume) == (None, None)
    assert entry.arxiv == "2005.14165"


def test_links_in_an_exported_abstract_are_the_papers_links_as_on_a_page():
    """The README's `links`: URLs found in the abstract, whatever the paper came from."""
    abstract = ("We release code at \\url{https://github.com/epfml/landmark-attention} and "
                "a demo (https://example.org/demo).")
    (bib,) = read_text(f"@misc{{k, title = {{Landmark Attention}}, abstract = {{{abstract}}}}}")
    ris = parse_listing("TY  - JOUR\nTI  - Landmark Attention\nAB  - Code: "
                        "https://github.com/epfml/landmark-attention.\nER  - \n", "a.ris",
                        year=2026).entries[0]
    csl = parse_listing(json.dumps([{"title": "Landmark Attention", "abstract": "See "
                                     "https://github.com/epfml/landmark-attention"}]),
                        "a.json", year=2026).entries[0]
    assert bib.urls == ("https://github.com/epfml/landmark-attention", "https://example.org/demo")
    assert ris.urls == csl.urls == ("https://github.com/epfml/landmark-attention",)


def test_mendeleys_escaped_urls_and_dois_are_links_again():
    """Mendeley Desktop writes an underscore in a url or doi as {\\_}; others \\_ or \\url{}."""
    text = ("@article{Lee2019,\nauthor = {Lee, Ann},\ndoi = {10.1162/tacl{\\_}a{\\_}00001},\n"
            "title = {{A Title}},\nurl = {http://www.example.com/a{\\_}b/{\\~{}}user?x=1{\\&}y=2},"
            "\nyear = {2019}\n}\n"
            "@misc{k2, title = {T2}, url = {\\url{https://github.com/a\\_b}}}\n")
    first, second = read_text(text)
    assert first.doi == "10.1162/tacl_a_00001"
    assert first.url == "http://www.example.com/a_b/~user?x=1&y=2"
    assert second.url == "https://github.com/a_b"


def test_zotero_csl_json():
    sun, gemma = read("zotero.json")
    assert sun.title == "A Length-Extrapolatable Transformer"
    assert sun.authors == ("Yutao Sun", "Li Dong") and sun.date == "2023-07"
    assert sun.doi == "10.18653/v1/2023.acl-long.816" and sun.pages == "14590–14604"
    assert sun.keywords == ("long context", "position embedding")
    assert sun.citation_key is None  # Zotero's item URL is no citation key
    assert sun.line == 2  # its "{"
    assert gemma.authors == ("Gemma Team",) and gemma.arxiv == "2403.08295"
    assert gemma.date == "2024-03-13" and gemma.citation_key == "gemma2024"


def test_csl_name_particles_are_part_of_the_name():
    """CSL splits "Ludwig van Beethoven" and "Anna van den Berg" into particles."""
    text = json.dumps([{"id": "a", "type": "article", "title": "T", "author": [
        {"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"},
        {"family": "Berg", "given": "Anna", "non-dropping-particle": "van den"},
        {"family": "Gaulle", "given": "Charles", "non-dropping-particle": "de",
         "suffix": "Jr."}]}], indent="\t")
    (entry,) = parse_listing(text, "lib.json", year=2026).entries
    assert entry.authors == ("Ludwig van Beethoven", "Anna van den Berg",
                             "Charles de Gaulle, Jr.")
    nulls = json.dumps([{"title": "T", "author": [
        {"family": "Sun", "given": None, "non-dropping-particle": None},
        {"family": None, "given": "Plato"}, {"family": None, "literal": None}]}])
    (entry,) = parse_listing(nulls, "lib.json", year=2026).entries
    assert entry.authors == ("Sun", "Plato")  # a null part is no part, not "None"


@pytest.mark.parametrize(("issued", "iso"), [
    ({"raw": "May 1, 2023"}, "2023-05-01"), ({"raw": "1 May 2023"}, "2023-05-01"),
    ({"literal": "Sept. 2021"}, "2021-09"), ({"raw": "2023-05-01"}, "2023-05-01"),
    ({"date-parts": [["2023", 5]]}, "2023-05"), ({"literal": "Spring 2023"}, "2023"),
    ({"edtf": "2023-05-01/2023-05-03"}, "2023-05-01"), ("2023-05-01", "2023-05-01")])
def test_a_csl_date_written_as_text_keeps_what_it_says(issued, iso):
    """CSL dates may be "raw" or "literal" text, in the order people write them."""
    text = json.dumps({"id": "a", "type": "article-journal", "title": "T", "issued": issued})
    (entry,) = parse_listing(text, "item.json", year=2026).entries
    assert entry.date == iso


def test_zoteros_rich_text_in_a_title_is_not_shown_as_tags():
    """Zotero keeps <i>, <sub>, nocase spans in titles and exports them to CSL-JSON and RIS
    as they are (its BibTeX export turns them into LaTeX)."""
    title = ('Growth of <i>E. coli</i> in H<sub>2</sub>O on the <span class="nocase">iPhone'
             '</span> and <span style="font-variant:small-caps;">Lisp</span> < 3 <b>now</b>')
    seen = "Growth of E. coli in H2O on the iPhone and Lisp < 3 now"
    csl = json.dumps([{"id": "a", "type": "article-journal", "title": title}])
    ris = f"TY  - JOUR\nTI  - {title}\nER  - \n"
    assert [e.title for e in parse_listing(csl, "lib.json", year=2026).entries] == [seen]
    assert [e.title for e in parse_listing(ris, "lib.ris", year=2026).entries] == [seen]


def test_mendeleys_text_symbols_in_an_abstract_are_the_characters_they_name():
    """Mendeley writes "<" as {\\textless} and Zotero "'" as \\textquoteright: the abstract
    and title keep the characters, not the empty space a dropped command leaves."""
    text = ("@article{Sun2023,\nabstract = {We show that {\\textless}b{\\textgreater}length"
            "{\\textless}/b{\\textgreater} works {\\&} 50{\\%} better; a{\\textbar}b, "
            "x{\\textasciicircum}2, a{\\textunderscore}b.},\n"
            "author = {Sun, Yutao},\nmendeley-groups = {Thesis/Long context},\n"
            "title = {{Don{\\textquoteright}t Stop {\\textquotedbl}Now{\\textquotedbl}}},\n"
            "year = {2023}\n}\n")
    (entry,) = read_text(text)
    assert entry.abstract == "We show that <b>length</b> works & 50% better; a|b, x^2, a_b."
    assert entry.title == 'Don\u2019t Stop "Now"'


def test_mendeleys_several_links_in_one_url_field_are_each_a_link():
    """Mendeley writes every URL of an item in its url field, a space apart."""
    text = ("@article{Sun2023,\nauthor = {Sun, Yutao},\ntitle = {{A Title}},\n"
            "url = {http://arxiv.org/abs/2212.10554 https://aclanthology.org/2023.acl-long.816},"
            "\nyear = {2023}\n}\n")
    (entry,) = read_text(text)
    assert entry.url == "http://arxiv.org/abs/2212.10554"
    assert entry.urls == ("https://aclanthology.org/2023.acl-long.816",)


def test_mendeleys_own_tags_are_keywords_too():
    """Mendeley writes the user's tags in mendeley-tags, beside the paper's keywords."""
    text = ("@article{Sun2023,\nauthor = {Sun, Yutao},\nkeywords = {long context,position "
            "embedding},\nmendeley-groups = {Thesis},\nmendeley-tags = {to read,long context},"
            "\ntitle = {{A Title}},\nyear = {2023}\n}\n")
    (entry,) = read_text(text)
    assert entry.keywords == ("long context", "position embedding", "to read")


def test_ris():
    sun, landmark = read("zotero.ris")
    assert sun.authors == ("Yutao Sun", "Li Dong", "Furu Wei") and sun.date == "2023-07"
    assert sun.venue.startswith("Proceedings of the 61st") and sun.pages == "14590–14604"
    assert sun.keywords == ("long context", "position embedding") and sun.line == 1
    assert landmark.arxiv == "2305.16300" and landmark.line == 19


def test_an_endnote_ris_abstract_in_n2_over_several_lines():
    """EndNote writes the abstract as N2 (RIS's other abstract tag), A1/T1/Y1, ER without
    its trailing space, and wraps long values onto lines without a tag."""
    text = ("TY  - JOUR\r\nA1  - He, K.\r\nT1  - Deep residual learning\r\n"
            "JF  - Proceedings of CVPR\r\nY1  - 2016/06/27\r\n"
            "N2  - Deeper neural networks are more difficult to train. We present a\r\n"
            "residual learning framework.\r\nKW  - residual\r\nER  -\r\n")
    (entry,) = parse_listing(text, "endnote.ris", year=2026).entries
    assert entry.abstract == ("Deeper neural networks are more difficult to train. We present "
                              "a residual learning framework.")
    assert (entry.authors, entry.date) == (("K. He",), "2016-06-27")


@pytest.mark.parametrize(("da", "iso"), [
    ("NOV 15", "1997-11-15"), ("NOV", "1997-11"), ("FAL", "1997"), ("JAN-FEB", "1997-01"),
    ("1997/11/15/", "1997-11-15"), ("", "1997")])
def test_a_web_of_science_month_and_day_takes_the_year_from_py(da, iso):
    """Web of Science writes DA as "NOV 15", the year in PY only."""
    text = ("TY  - JOUR\nAU  - Hochreiter, S\nTI  - Long short-term memory\n"
            f"T2  - NEURAL COMPUTATION\nDA  - {da}\nPY  - 1997\nVL  - 9\n"
            "DO  - 10.1162/neco.1997.9.8.1735\nAN  - WOS:A1997YA04500007\nER  -\n\n")
    (entry,) = parse_listing(text, "savedrecs.ris", year=2026).entries
    assert entry.date == iso


def test_endnotes_primary_authors_in_a1_come_before_its_authors_in_au():
    """EndNote writes the first authors as A1 and the rest as AU: the list keeps that order."""
    text = ("TY  - CPAPER\nA1  - Sun, Yutao\nA1  - Dong, Li\nAU  - Patra, Barun\n"
            "T1  - A Length-Extrapolatable Transformer\nT2  - Proceedings of ACL\n"
            "PY  - 2023///\nDA  - 2023/07//\nUR  - https://aclanthology.org/2023.acl-long.816\n"
            "L1  - internal-pdf://0123456789/Sun-2023.pdf\nER  - \n")
    (entry,) = parse_listing(text, "endnote.ris", year=2026).entries
    assert entry.authors == ("Yutao Sun", "Li Dong", "Barun Patra")
    assert (entry.date, entry.url) == ("2023-07", "https://aclanthology.org/2023.acl-long.816")


def test_ris_names_with_a_suffix():
    """RIS writes a name "Last, First, Suffix"."""
    text = ("TY  - CONF\nTI  - Names\nAU  - Smith, John, Jr.\nAU  - King, Martin Luther, III\n"
            "AU  - Lee, Ann\nAU  - OpenAI\nAU  - Doe, Jane,\nER  - \n")
    (entry,) = parse_listing(text, "lib.ris", year=2026).entries
    assert entry.authors == ("John Smith, Jr.", "Martin Luther King, III", "Ann Lee", "OpenAI",
                             "Jane Doe")


def test_a_record_number_is_no_citation_key():
    """EndNote numbers its records in RIS's ID, and CSL ids may be numbers: the site's
    papers.bib must not cite them as @article{12,…}. A word key is kept."""
    ris = ("TY  - JOUR\nAU  - Sun, Yutao\nTI  - A Length-Extrapolatable Transformer\n"
           "PY  - 2023\nID  - 12\nER  - \nTY  - ELEC\nAU  - OpenAI\n"
           "TI  - GPT-4 Technical Report\nPY  - 2023\nID  - openai2023gpt4\nER  - \n")
    assert [e.citation_key for e in parse_listing(ris, "endnote.ris", year=2026).entries] \
        == [None, "openai2023gpt4"]
    csl = '[{"id": 7, "title": "A"}, {"id": "7", "title": "B"}, {"id": "sun2023", "title": "C"}]'
    assert [e.citation_key for e in parse_listing(csl, "lib.json", year=2026).entries] \
        == [None, None, "sun2023"]


def test_ris_text_outside_records_is_reported_and_a_missing_er_loses_nothing():
    text = ("Provider: JSTOR http://www.jstor.org\nDatabase: JSTOR\n\n"  # an export header
            "TY  - JOUR\nTI  - First\nER  - \n"
            "TI  - orphan\nAU  - Doe, Jane\n\n"  # two lines between ER and the next TY
            "TY  - JOUR\nTI  - Second\n"  # no ER: the record ends at the next TY
            "TY  - CONF\nTI  - Third\nER  - \nER  - \n\x1a")
    listing = parse_listing(text, "lib.ris", year=2026, format="ris")
    assert [(e.title, e.line) for e in listing.entries] == [
        ("First", 4), ("Second", 10), ("Third", 12)]
    assert [str(d) for d in listing.diagnostics] == [
        "lib.ris:7: warning: these 2 lines are outside any record (not between a TY and its "
        "ER) and ignored"]


# --- bad input ---------------------------------------------------------------------------

def test_a_malformed_entry_and_a_duplicate_key_are_reported_and_the_rest_read():
    text = ("@article{good1, title={First}, year={2020}}\n"
            "@article{broken, title = {Unclosed\n"
            "@misc{good2, title={Second}}\n"
            "@misc{good2, title={Second again}}\n"
            "@misc{untitled, year={2021}}\n")
    listing = parse_listing(text, "mine.bib", year=2026)
    assert [e.title for e in listing.entries] == ["First", "Second"]
    assert [str(d) for d in listing.diagnostics] == [
        "mine.bib:2: error: this BibTeX entry does not parse (unbalanced braces or quotes?): "
        "'@article{broken, title = {Unclosed'; it is skipped",
        "mine.bib:4: error: duplicate citation key 'good2'; this entry is skipped",
        "mine.bib:5: error: entry 'untitled' has no title; it is skipped"]


def test_entries_without_a_key_are_all_read():
    """JabRef keeps entries whose key is not made yet: "@Article{," is no key, and two
    of them are no duplicate."""
    text = ("% Encoding: UTF-8\n\n@Article{,\n  author = {Doe, Jane},\n  title  = {First},\n"
            "  year   = {2020},\n}\n\n@Article{k,\n  title = {Keyed},\n}\n\n"
            "@InProceedings{ ,\n  title  = {Second},\n}\n\n@Misc{k,\n  title = {Again},\n}\n")
    listing = parse_listing(text, "jabref.bib", year=2026)
    assert [(e.title, e.citation_key, e.line) for e in listing.entries] == [
        ("First", None, 3), ("Keyed", "k", 9), ("Second", None, 13)]
    assert [str(d) for d in listing.diagnostics] == [
        "jabref.bib:17: error: duplicate citation key 'k'; this entry is skipped"]


def test_a_missing_comma_or_a_field_given_twice_is_named():
    """Hand edits: BibTeX would stop at both; the entry is read and the line named."""
    text = ("@article{first,\n  title = {Attention} year = {2017},\n}\n"
            "@article{twice,\n  title = {Kept},\n  Title = {Dropped},\n  title = {Again},\n"
            "  year = 2020\n}\n")
    listing = parse_listing(text, "mine.bib", year=2026)
    assert [(e.title, e.date) for e in listing.entries] == [
        ("Attention year = 2017", None), ("Kept", "2020")]
    assert [str(d) for d in listing.diagnostics] == [
        "mine.bib:1: warning: entry 'first': title has text after its value, 'year = {2017}' "
        "(a comma missing?); it is read as written",
        "mine.bib:4: warning: entry 'twice': title is given more than once; the first is read"]


def test_broken_json_names_its_line():
    listing = parse_listing('[\n  {"title": "A",}\n]', "lib.json", year=2026, format="csl-json")
    assert [str(d) for d in listing.diagnostics] == [
        "lib.json:2: error: not valid JSON: Expecting property name enclosed in double quotes"]


@pytest.mark.parametrize("text", [
    '[{"id": "a", "title": "A"},\n {"title": "B"} {"title": "C"}]',  # a comma missing
    '[{"title": "A"},\n {"title": "B"},\n]', '{"title": "A"}\n{"title": "B"}', "[", "",
    '[{"title": "A"}] x', "5 6"])
def test_json_that_json_refuses_is_refused_with_its_line(text):
    """Read item by item (for each item's line), the file is still JSON or nothing."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        expected = [f"lib.json:{exc.lineno}: error: not valid JSON: {exc.msg}"]
    listing = parse_listing(text, "lib.json", year=2026, format="csl-json")
    assert [str(d) for d in listing.diagnostics] == expected
    assert not listing.entries


def test_json_nested_too_deeply_is_an_error_not_a_crash(project, capsys):
    (project / "deep.json").write_text("[\n" + "[" * 100_000 + "]" * 100_000 + "\n]")
    (project / "deeper.json").write_text('{"title": "A", "author": ' + "[" * 100_000 +
                                         "]" * 100_000 + "}")
    assert cli.main(["import", "deep.json", "deeper.json"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "deep.json:2: error: not valid JSON: nested too deeply to read",
        "deeper.json:1: error: not valid JSON: nested too deeply to read"]


def test_each_csl_item_is_named_by_the_line_it_starts_on():
    text = ('[\n  {"id": "same", "title": "First"},\n  42,\n'
            '  {"id": "same",\n   "title": ""},\n  {"title": "Last",\n "id": "same"}\n]\n')
    listing = parse_listing(text, "lib.json", year=2026, format="csl-json")
    assert [str(d) for d in listing.diagnostics] == [
        "lib.json:3: error: item 2 is not an object; it is skipped",
        "lib.json:4: error: item 'same' has no title; it is skipped"]
    assert [(e.title, e.line) for e in listing.entries] == [("First", 2), ("Last", 6)]
    one = parse_listing('\n\n {"title": "Alone"}', "one.json", year=2026, format="csl-json")
    assert [(e.title, e.line) for e in one.entries] == [("Alone", 3)]


# --- one paper, one file -----------------------------------------------------------------

@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    return tmp_path


def hf_page(title: str, abstract: str, footer: str) -> str:
    """A Hugging Face Daily Papers page of one card, as a browser copies it."""
    return f"Daily\nWeekly\nMonthly\n\nJan 29\n\n12\n\n{title}\n\n{abstract}\n\n{footer}\n"


def test_a_paper_seen_on_a_page_then_in_a_bib_is_one_file_with_every_author(project, capsys):
    (project / "hf.txt").write_text(hf_page(
        "A Length-Extrapolatable Transformer",
        "Position modeling plays a critical role in Transformers. In this paper, we focus on "
        "length extrapolation, i.e., training on short texts while evaluating longer ones.",
        "  • 9 authors\n·\nDec 20, 2022 3"), encoding="utf-8")
    assert cli.main(["import", "hf.txt", "--year", "2026"]) == 0
    (paper,) = (project / "content" / "papers").glob("*.md")
    assert front(paper)["author_count"] == 9 and "authors" not in front(paper)
    text = paper.read_text().replace("status: unread", "status: read\nrating: 4\nmine: kept")
    paper.write_text(text + "\nMy notes.\n")
    assert cli.main(["import", str(FIXTURES / "zotero-better-bibtex.bib")]) == 0
    assert list((project / "content" / "papers").glob("*.md")) == [paper]
    data = front(paper)
    assert data["authors"][0] == "Yutao Sun" and len(data["authors"]) == 9
    assert "author_count" not in data
    assert str(data["date"]) == "2022-12-20"  # the page's day beats the bib's month
    assert len(data["abstract"]) > 100  # the longest abstract
    assert data["doi"] == "10.18653/v1/2023.acl-long.816"
    assert data["citation_key"] == "sunLengthExtrapolatableTransformer2023"
    assert data["keywords"] == ["long context", "position embedding", "Transformers"]
    assert (data["status"], data["rating"], data["mine"]) == ("read", 4, "kept")
    assert [s["format"] for s in data["sources"]] == ["hf-daily-papers", "bibtex"]
    assert paper.read_text().endswith("\nMy notes.\n")
    # The same paper again, by DOI under another title, and by arXiv id: still one file.
    assert cli.main(["import", str(FIXTURES / "zotero.ris")]) == 0
    assert len(list((project / "content" / "papers").glob("*.md"))) == 2  # + Landmark
    assert cli.main(["import", str(FIXTURES / "arxiv.bib")]) == 0
    assert len(list((project / "content" / "papers").glob("*.md"))) == 2


def test_a_paper_from_a_bib_then_seen_on_a_page_keeps_its_whole_author_list(project, capsys):
    """A library's paper with every author, then the same paper on a Hugging Face page
    ("2 authors"): still every author, not the first few of a longer list ("et al.")."""
    assert cli.main(["import", str(FIXTURES / "zotero.ris")]) == 0
    landmark = project / "content" / "papers" / \
        "landmark-attention-random-access-infinite-context-length.md"
    assert front(landmark)["authors"] == ["Amirkeivan Mohtashami", "Martin Jaggi"]
    (project / "hf.txt").write_text(hf_page(
        "Landmark Attention: Random-Access Infinite Context Length for Transformers",
        "While transformers have shown remarkable success in natural language processing, "
        "their attention mechanism's large memory requirements have limited them.",
        "  • 2 authors\n·\nMay 25, 2023 1"), encoding="utf-8")
    assert cli.main(["import", "hf.txt", "--year", "2026"]) == 0
    data = front(landmark)
    assert data["authors"] == ["Amirkeivan Mohtashami", "Martin Jaggi"]
    assert "authors_truncated" not in data and "author_count" not in data
    assert str(data["date"]) == "2023-05-25"


def test_a_doi_matches_whatever_the_title_says(project):
    (project / "content" / "papers" / "mine.md").write_text(
        "---\ntitle: My own name for it\ndoi: 10.18653/V1/2023.ACL-LONG.816\n"
        "url: https://example.org/mine\n---\n")
    assert cli.main(["import", str(FIXTURES / "zotero.json")]) == 0
    data = front(project / "content" / "papers" / "mine.md")
    assert data["title"] == "My own name for it"  # the user's title wins
    assert data["url"] == "https://example.org/mine"  # and so does the user's url
    assert data["authors"] == ["Yutao Sun", "Li Dong"]


def test_a_latin_1_or_utf_16_file_keeps_its_accents(project, capsys):
    """An old JabRef file in Windows-1252, an EndNote RIS in UTF-16: read, with a warning
    for the one that is not Unicode; a damaged byte in a UTF-8 file garbles nothing else."""
    (project / "old.bib").write_bytes(
        "% Encoding: windows-1252\n\n@Article{Mueller2020,\n  author = {Müller, Jörg},\n"
        "  title  = {Café Society – a “study”},\n  year   = {2020},\n}\n".encode("cp1252"))
    (project / "endnote.ris").write_bytes(
        "TY  - JOUR\r\nAU  - Zoë, Ana\r\nTI  - Über Alles\r\nPY  - 2021\r\nER  - \r\n"
        .encode("utf-16"))
    (project / "damaged.bib").write_bytes(
        "@misc{d,\n  title = {Société ".encode() + b"\xff" + " Naïve},\n}\n".encode())
    assert cli.main(["import", "old.bib", "endnote.ris", "damaged.bib"]) == 0
    papers = project / "content" / "papers"
    assert front(papers / "cafe-society-a-study.md")["title"] == "Café Society – a “study”"
    assert front(papers / "cafe-society-a-study.md")["authors"] == ["Jörg Müller"]
    assert front(papers / "uber-alles.md")["authors"] == ["Ana Zoë"]
    assert front(papers / "societe-naive.md")["title"] == "Société \ufffd Naïve"
    assert capsys.readouterr().err.splitlines() == [
        "old.bib:4: warning: not UTF-8: read as Latin-1 (Windows-1252); check the accents, "
        "or save the file as UTF-8",
        "damaged.bib:2: warning: bytes here are not UTF-8 (the rest of the file is) and are "
        "read as '\ufffd'"]


def test_an_import_with_a_bad_entry_exits_1_and_imports_the_rest(project, capsys):
    (project / "mine.bib").write_text("@misc{a, title={Fine}}\n@misc{b, title={Broken\n")
    assert cli.main(["import", "mine.bib"]) == 1
    captured = capsys.readouterr()
    assert "mine.bib:2: error: this BibTeX entry does not parse" in captured.err
    assert "1 created" in captured.out
    assert (project / "content" / "papers" / "fine.md").exists()


def test_new_files_read_as_pure_python_pyyaml_would_write_them():
    """Files are dumped with libyaml's emitter for speed: the same text as PyYAML's own,
    on every bundled paper and every fixture."""
    from generator.content import FENCE, _yaml_value, read_front_matter, render_file

    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "content" / "papers").glob("*.md"))
    assert len(files) > 100
    for file in files + sorted((root / "tests" / "fixtures").rglob("*.md")):
        try:
            data, _, _ = read_front_matter(file.read_text(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - the broken-content fixtures
            continue
        values = {k: _yaml_value(k, v) for k, v in data.items() if v is not None}
        python = yaml.dump(values, Dumper=yaml.SafeDumper, allow_unicode=True,
                           sort_keys=False, width=90, default_flow_style=False)
        assert render_file(data) == f"{FENCE}\n{python}{FENCE}\n", file


# --- round trip: the site's papers.bib imports back into the same metadata ---------------

WORD = st.from_regex(r"[A-Z][a-z]{2,9}|[a-z]{3,9}|[0-9]{1,3}|LLM|&", fullmatch=True)
NAME = st.from_regex(r"[A-Z][a-z]{1,9}( van der)? [A-Z][a-zé]{1,11}(, Jr\.|, III)?",
                     fullmatch=True)
DATE = st.one_of(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)).map(str),
                 st.integers(1990, 2030).map(lambda y: f"{y}-{1 + y % 12:02d}"))
PAPER = st.fixed_dictionaries({
    "title": st.lists(WORD, min_size=2, max_size=10).map(" ".join).filter(
        lambda t: t[0].isalnum()),
    "authors": st.lists(NAME, min_size=1, max_size=6, unique=True),
    "date": DATE,
}, optional={
    "venue": st.sampled_from(["Proceedings of ACL 2024", "Transactions of the ACL",
                              "Findings of EMNLP 2023"]),
    "doi": st.from_regex(r"10\.[0-9]{4,5}/[a-z0-9][a-z0-9._\-#%]{1,18}[a-z0-9]",
                         fullmatch=True),
    "arxiv": st.from_regex(r"2[0-4][01][0-9]\.[0-9]{5}", fullmatch=True),
    "pages": st.integers(1, 900).map(lambda p: f"{p}\u2013{p + 11}"),
    "volume": st.integers(1, 60).map(str),
    "publisher": st.sampled_from(["Association for Computational Linguistics", "PMLR"]),
    "citation_key": st.from_regex(r"[a-z]{3,8}[0-9]{4}[a-z]{2,6}", fullmatch=True),
    "url": st.from_regex(r"https://example\.org/[a-z]{1,8}", fullmatch=True),
    "authors_truncated": st.just(True),
})
METADATA = ("title", "authors", "authors_truncated", "date", "venue", "doi", "arxiv",
            "pages", "volume", "publisher", "citation_key", "url")


@settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(papers=st.lists(PAPER, min_size=1, max_size=6,
                       unique_by=lambda p: normalize_title(p["title"])))
def test_the_sites_papers_bib_imports_back_into_the_same_metadata(tmp_path_factory, papers):
    from generator.build import build
    from generator.config import load_config

    root = tmp_path_factory.mktemp("roundtrip")
    folder = root / "content" / "papers"
    folder.mkdir(parents=True)
    keys = [p.get("citation_key") for p in papers]
    for i, paper in enumerate(papers):
        if paper.get("citation_key") is not None and paper["citation_key"] in keys[:i]:
            del paper["citation_key"]  # (a key names one paper)
        (folder / f"paper-{i}.md").write_text(render_file(paper), encoding="utf-8")
    config, problems = load_config(root / "config.yaml", {})
    bib = build(config, jobs=1).files["papers.bib"].decode("utf-8")
    listing = parse_listing(bib, "papers.bib", year=2026)
    assert listing.format == "bibtex" and listing.diagnostics == ()
    back = {normalize_title(e.title): e for e in listing.entries}
    assert len(back) == len(papers)
    for paper in papers:
        entry = back[normalize_title(paper["title"])]
        for name in METADATA:
            want = paper.get(name)
            got = getattr(entry, name)
            if name == "authors":
                want, got = list(want), list(got)
            elif name == "authors_truncated":
                want = bool(want)
            elif name == "citation_key" and want is None:
                want = got  # the key the site gave it, now the entry's own
            assert got == want, (name, paper, bib)


def test_a_sites_papers_json_is_not_read_as_one_csl_item(tmp_path):
    """(It was: one paper, titled as the site.) Its papers.bib is the export to import."""
    from generator.build import build
    from generator.config import load_config

    folder = tmp_path / "content" / "papers"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text(render_file({"title": "Landmark Attention"}))
    config, _ = load_config(tmp_path / "config.yaml", {})
    text = build(config, jobs=1).files["papers.json"].decode("utf-8")
    listing = parse_listing(text, "papers.json", year=2026)
    assert listing.entries == ()
    assert [str(d) for d in listing.diagnostics] == [
        "papers.json:1: error: a readinglist site's papers.json, not CSL-JSON: import that "
        "site's papers.bib, which holds the same papers"]


@pytest.mark.slow
def test_a_bib_imported_into_the_bundled_list_builds(tmp_path, monkeypatch, capsys):
    root = Path(__file__).resolve().parent.parent
    for name in ("content", "themes"):
        shutil.copytree(root / name, tmp_path / name)
    shutil.copyfile(root / "config.yaml", tmp_path / "config.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    before = len(list((tmp_path / "content/papers").glob("*.md")))
    bib = "\n".join((FIXTURES / n).read_text() for n in (
        "acl-anthology.bib", "arxiv.bib", "latex-and-macros.bib", "google-scholar.bib"))
    (tmp_path / "mine.bib").write_text(bib)
    assert cli.main(["import", "mine.bib"]) == 0
    out = capsys.readouterr().out
    # FocusLLM and Landmark Attention are in the bundled list (from its pages): updated
    assert "3 created, 2 updated" in out, out
    assert "Dates without a year" not in out  # (a .bib shows every year)
    assert len(list((tmp_path / "content/papers").glob("*.md"))) == before + 3
    focus = front(tmp_path / "content/papers/focusllm-precise-understanding-of-long-context-by"
                             "-dynamic.md")
    assert focus["doi"] == "10.18653/v1/2025.acl-long.1"
    assert focus["citation_key"] == "li-etal-2025-focusllm"
    assert cli.main(["check"]) == 0
    assert cli.main(["build"]) == 0
    bibtex = (tmp_path / "site" / "papers.bib").read_text()
    assert "@inproceedings{li-etal-2025-focusllm," in bibtex
    entry = bibtex[bibtex.index("@inproceedings{li-etal-2025-focusllm,"):]
    entry = entry[:entry.index("\n}\n")]
    assert re.search(r"doi += \{10\.18653/v1/2025\.acl-long\.1\}", entry)
    assert re.search(r"pages += \{1--18\}", entry) and "month     = jul" in entry
    assert "Junjie Fang" in entry  # the page's nine authors beat the bib's five
    page = (tmp_path / "site/papers/ljubesic2024" / "index.html")
    assert not page.exists()  # (pages are named by title, not key)
    assert any("Ljubešić" in p.read_text() for p in (tmp_path / "site/papers").glob(
        "jsi-and-wikipedia*/index.html"))


def test_a_large_library_read_in_pieces_reads_as_it_does_whole(monkeypatch):
    """On every core, in pieces cut where entries start: the same entries and messages,
    lines counted from the file's start, a key repeated across pieces still reported."""
    from generator.listings import references

    entries = [f"@misc{{k{i},\n  title = {{Paper number {i}}},\n  year = {{20{i % 30:02d}}}\n}}"
               for i in range(400)]
    entries[350] = "@misc{k7,\n  title = {A repeated key}\n}"
    entries[200] = "@misc{broken,\n  title = {Unclosed\n"
    text = "\n".join(entries) + "\n"
    monkeypatch.setattr(references, "PIECE_MIN", 10**9)
    whole = references.parse_bibtex(text, "lib.bib")
    monkeypatch.setattr(references, "PIECE_MIN", 1000)
    monkeypatch.setattr("generator.parallel.default_jobs", lambda: 3)
    pieces = references.parse_bibtex(text, "lib.bib")
    assert pieces.entries == whole.entries and len(whole.entries) == 398
    assert sorted(map(str, pieces.diagnostics)) == sorted(map(str, whole.diagnostics))
    assert sorted(map(str, whole.diagnostics)) == [
        "lib.bib:1400: error: duplicate citation key 'k7'; this entry is skipped",
        "lib.bib:801: error: this BibTeX entry does not parse (unbalanced braces or quotes?): "
        "'@misc{broken,'; it is skipped"]


def test_names_with_a_suffix_or_a_comma_are_written_as_bibtex_reads_them_back():
    """... and the citation key is the surname's, not the suffix's."""
    from generator.feeds import bibtex_entry, bibtex_keys
    from generator.model import Paper

    names = ("John Smith, Jr.", "Maria de la Cruz, Jr.", "Martin Luther King, III",
             "Google, Inc.", "Plato, Jr.", "Ludwig van Beethoven")
    entry = bibtex_entry(Paper(slug="x", title="T", authors=names, date="2020"), "k")
    assert "author = {Smith, Jr., John and de la Cruz, Jr., Maria and King, III, Martin " \
           "Luther and {Google, Inc.} and {Plato, Jr.} and Ludwig van Beethoven}" in entry
    assert read_text(entry)[0].authors == names
    papers = [Paper(slug=f"p{i}", title="Names Matter", authors=(name,), date="2020")
              for i, name in enumerate(names[:3])]
    assert list(bibtex_keys(papers).values()) == ["smith2020names", "cruz2020names",
                                                  "king2020names"]


def test_a_key_the_reference_manager_gave_is_kept_when_a_made_up_key_is_the_same(tmp_path):
    """The user's LaTeX cites sun2023length from Zotero: another paper whose key is only
    worked out from its surname, year and title word takes the suffix, not this one."""
    from generator.build import build
    from generator.config import load_config

    folder = tmp_path / "content" / "papers"
    folder.mkdir(parents=True)
    (folder / "a-length-study.md").write_text(
        "---\ntitle: Length Study\nauthors: [Yutao Sun]\ndate: 2023-01-02\n---\n")
    (folder / "b-the-transformer.md").write_text(
        "---\ntitle: A Length-Extrapolatable Transformer\nauthors: [Yutao Sun]\n"
        "date: 2023-07-01\ncitation_key: sun2023length\n---\n")
    config, problems = load_config(tmp_path / "config.yaml", {})
    bib = build(config, jobs=1).files["papers.bib"].decode("utf-8")
    keys = {e.title: e.citation_key for e in read_text(bib)}
    assert keys == {"A Length-Extrapolatable Transformer": "sun2023length",
                    "Length Study": "sun2023lengthb"}


@pytest.mark.parametrize("last", ["et al.", "et al", "Et Al.", "others"])
def test_an_et_al_at_the_end_of_the_authors_is_bibtexs_and_others(tmp_path, last):
    """"et al." copied as the last author is no person "al., et": BibTeX writes "and others",
    which reads back as a truncated list."""
    from generator.build import build
    from generator.config import load_config

    folder = tmp_path / "content" / "papers"
    folder.mkdir(parents=True)
    (folder / "p.md").write_text(f"---\ntitle: A Paper\nauthors: [Yutao Sun, {last}]\n"
                                 "date: 2024-03\n---\n")
    config, problems = load_config(tmp_path / "config.yaml", {})
    bib = build(config, jobs=1).files["papers.bib"].decode("utf-8")
    assert "  author = {Yutao Sun and others},\n" in bib
    (entry,) = read_text(bib)
    assert (entry.authors, entry.authors_truncated) == (("Yutao Sun",), True)


@pytest.mark.parametrize("venue", ["arXiv", "arXiv preprint arXiv:2305.16300", "CoRR",
                                   "bioRxiv"])
def test_a_preprint_servers_name_as_the_venue_is_no_proceedings(tmp_path, venue):
    """venue: arXiv is where a preprint is, not a conference: @misc with howpublished, not
    @inproceedings with booktitle = {arXiv} (no reference manager files it so)."""
    from generator.build import build
    from generator.config import load_config

    folder = tmp_path / "content" / "papers"
    folder.mkdir(parents=True)
    (folder / "p.md").write_text(f"---\ntitle: A Paper\nauthors: [Yutao Sun]\n"
                                 f"date: 2024-03\nvenue: {venue}\n---\n")
    (folder / "q.md").write_text("---\ntitle: The arXiv Paper\nauthors: [Li Dong]\n"
                                 "date: 2024-03\nvenue: Learning from arXiv Workshop\n---\n")
    config, problems = load_config(tmp_path / "config.yaml", {})
    bib = build(config, jobs=1).files["papers.bib"].decode("utf-8")
    assert "@misc{sun2024paper,\n" in bib and f"  howpublished = {{{venue}}},\n" in bib
    assert "@inproceedings{dong2024arxiv,\n" in bib


def test_a_teams_name_is_one_name_in_papers_bib():
    """"Gemma Team" unbraced is, to BibTeX, first name Gemma and surname Team ("Team, G."
    in a bibliography); a team's or an organisation's name among the authors is braced
    whole, and a person's name (Li Ai) is not."""
    from generator.feeds import bibtex_entry
    from generator.model import Paper

    names = ("Gemma Team", "Ada Lovelace", "DeepSeek-AI", "Meta AI", "Li Ai", "OpenAI")
    entry = bibtex_entry(Paper(slug="x", title="T", authors=names, date="2024"), "k")
    assert "author = {{Gemma Team} and Ada Lovelace and {DeepSeek-AI} and {Meta AI} and " \
           "Li Ai and OpenAI}" in entry
    assert read_text(entry)[0].authors == names


def test_a_name_with_the_word_and_is_one_name_in_papers_bib():
    """BibTeX splits an author list at the word "and" in any case: a surname "And" (or
    "AND") is braced, so the names around it stay apart and whole. (Found by the
    round-trip property test: "Anna van der And" came back as "Anna van der".)"""
    from generator.feeds import bibtex_entry
    from generator.model import Paper

    names = ("Anna van der And", "Bo AND Li", "Cy And, Jr.", "Andrew Sand")
    entry = bibtex_entry(Paper(slug="x", title="T", authors=names, date="2024"), "k")
    assert "author = {Anna van der {And} and Bo {AND} Li and {And}, Jr., Cy and " \
           "Andrew Sand}" in entry
    assert read_text(entry)[0].authors == names


@pytest.mark.parametrize("title", [
    "A $5 Model and 50% of C# x_1 ~ y", "Set {a} and } odd", "Pay $0: Free Lunch"])
def test_a_titles_dollar_and_odd_braces_survive_the_sites_papers_bib(title):
    """A dollar sign that opens no $…$ pair is text: written \\$ (not the start of math),
    and the \\textbraceleft{} written for an unbalanced brace reads back as one."""
    from generator.feeds import bibtex_entry
    from generator.model import Paper

    entry = bibtex_entry(Paper(slug="x", title=title, date="2020"), "k")
    assert read_text(entry)[0].title == title


def test_a_doi_with_underscores_or_hashes_survives_the_round_trip():
    """papers.bib writes a DOI verbatim, as biblatex reads its doi field (a \\_ there
    is a backslash in the link); importing it, or DBLP's escaped DOIs, gives the DOI back."""
    import bibtexparser

    from generator.feeds import bibtex_entry
    from generator.model import Paper

    wiley = "10.1002/(SICI)1097-4636(199601)30:1<1::AID-JBM1>3.0.CO;2-#"
    for value in (wiley, "10.1162/tacl_a_00001", "10.1000/abc%20def"):
        entry = bibtex_entry(Paper(slug="x", title="T", date="2020", doi=value), "k")
        assert read_text(entry)[0].doi == value
        (parsed,) = bibtexparser.parse_string(entry).entries
        assert parsed.fields_dict["doi"].value == value, entry
    (escaped,) = read_text("@article{k, title = {T}, doi = {10.1162/TACL\\_A\\_00001}}")
    assert escaped.doi == "10.1162/TACL_A_00001"


def test_a_doi_written_as_its_link_is_the_doi_in_papers_bib_and_the_page_link():
    """biblatex links https://doi.org/ + the doi field: a doi written as a link (or as
    doi:…) gave https://doi.org/https://doi.org/…; a brace would end the field."""
    import bibtexparser

    from generator.feeds import bibtex_entry
    from generator.model import Paper
    from generator.render import _external_links

    for value in ("https://doi.org/10.1162/tacl_a_00001", "http://dx.doi.org/10.1162/tacl_a_00001",
                  "doi:10.1162/tacl_a_00001", " 10.1162/tacl_a_00001 "):
        paper = Paper(slug="x", title="T", date="2020", doi=value)
        (parsed,) = bibtexparser.parse_string(bibtex_entry(paper, "k")).entries
        assert parsed.fields_dict["doi"].value == "10.1162/tacl_a_00001", value
        (link,) = _external_links(paper)
        assert link.url == "https://doi.org/10.1162/tacl_a_00001", value
    braced = Paper(slug="x", title="T", date="2020", doi="10.1000/a{b}")
    (parsed,) = bibtexparser.parse_string(bibtex_entry(braced, "k")).entries
    assert parsed.fields_dict["doi"].value == "10.1000/a%7Bb%7D"
    # no LaTeX for a style that prints the field as text (plainnat's \\doi{…})
    sly = Paper(slug="x", title="T", date="2020", doi="10.1/\\input{/etc/passwd}^^5c",
                url="https://e.org/\\write18{rm}")
    entry = bibtex_entry(sly, "k")
    assert "\\" not in entry and "^^" not in entry
    (parsed,) = bibtexparser.parse_string(entry).entries
    assert parsed.fields_dict["doi"].value == "10.1/%5Cinput%7B/etc/passwd%7D%5E%5E5c"
    # a "#" is part of the DOI, not the page link's fragment
    wiley = Paper(slug="x", title="T", date="2020", doi="10.1002/(SICI)1-4<1::AID>3.0.CO;2-#")
    assert _external_links(wiley)[0].url == \
        "https://doi.org/10.1002/(SICI)1-4%3C1::AID%3E3.0.CO;2-%23"


def test_a_paper_known_only_by_its_author_count_is_cited_title_first():
    """A listing that showed only "• 5 authors": the references start with the title, not
    with the year, and the page says the names are not known."""
    from generator.feeds import bibtex_entry, citation_markdown, citation_text
    from generator.model import Paper

    paper = Paper(slug="ada-leval", title="Ada-LEval: Evaluating long-context LLMs",
                  author_count=5, date="2024-04-09", venue="ACL 2024")
    assert citation_text(paper, paper.title, "https://x.org/p") == \
        "Ada-LEval: Evaluating long-context LLMs. 2024. ACL 2024. https://x.org/p"
    assert citation_markdown(paper, paper.title) == \
        "Ada-LEval: Evaluating long-context LLMs (2024). *ACL 2024*."
    assert "author" not in bibtex_entry(paper, "adaleval2024")
    named = Paper(slug="x", title="T", authors=("Ada One",), date="2024")
    assert citation_text(named, "T") == "Ada One. 2024. T."
    assert citation_markdown(named, "T") == "Ada One (2024). T."


def test_the_page_of_a_paper_without_names_says_so(tmp_path):
    from generator.build import build
    from generator.config import load_config

    papers = tmp_path / "content" / "papers"
    papers.mkdir(parents=True)
    (papers / "ada.md").write_text(render_file({"title": "Ada-LEval", "author_count": 5,
                                                "date": "2024-04-09"}))
    config, _ = load_config(tmp_path / "config.yaml", {})
    page = build(config, jobs=1).files["papers/ada/index.html"].decode()
    assert '<p class="byline">5 authors (names not in the listing)</p>' in page


# --- what kind of paper it is --------------------------------------------------------------

KINDS_BIB = """@Article{nc, title = {Sparse Coding in Cortex}, journal = {Neural Computation},
  year = {2019}}
@InProceedings{acl, title = {Parsing Fast}, booktitle = {Proceedings of ACL}, year = {2020}}
@online{blog, title = {A Blog Post}, url = {https://example.org/post}, year = {2021}}
@thesis{phd, title = {My Thesis}, school = {MIT}, year = {2022}}
@patent{pat, title = {A Patent}, year = {2023}}
@article{pre, title = {A Preprint}, journal = {arXiv preprint arXiv:2401.00001}, year = {2024}}
"""


def test_the_kind_of_paper_each_format_gives_is_read_as_a_bibtex_entry_type():
    """A reference manager says what a paper is (@article, TY JOUR, "article-journal"):
    kept as a BibTeX entry type; a kind BibTeX has no type for (a patent) is none."""
    kinds = {e.citation_key: e.entry_type for e in read_text(KINDS_BIB)}
    assert kinds == {"nc": "article", "acl": "inproceedings", "blog": "misc",
                     "phd": "phdthesis", "pat": None, "pre": "article"}
    csl = json.dumps([{"id": f"k{i}", "type": t, "title": f"T{i}"} for i, t in
                      enumerate(["article-journal", "paper-conference", "chapter", "map"])])
    assert [e.entry_type for e in read_text(csl)] == ["article", "inproceedings",
                                                      "incollection", None]
    ris = "".join(f"TY  - {t}\nTI  - T{i}\nER  - \n\n" for i, t in
                  enumerate(["JOUR", "CPAPER", "THES", "MAP"]))
    assert [e.entry_type for e in read_text(ris)] == ["article", "inproceedings",
                                                      "phdthesis", None]


def test_papers_bib_keeps_the_entry_type_the_reference_manager_gave(project: Path, capsys):
    """A journal whose name does not say so ("Neural Computation") stays an @article in the
    site's papers.bib, and its page's metadata names it a journal; a preprint whose
    "journal" was only arXiv is @misc; a file without a type is told by its venue."""
    from generator.build import build
    from generator.config import load_config

    (project / "library.bib").write_text(KINDS_BIB, encoding="utf-8")
    (project / "content" / "papers").mkdir(parents=True, exist_ok=True)
    (project / "content" / "papers" / "mine.md").write_text(
        "---\ntitle: Mine\nvenue: Neural Computation\n---\n", encoding="utf-8")
    assert cli.main(["import", "library.bib"]) == 0
    assert front(project / "content" / "papers" / "sparse-coding-in-cortex.md")[
        "entry_type"] == "article"
    config, _ = load_config(project / "config.yaml", {})
    files = build(config, jobs=1).files
    bib = files["papers.bib"].decode()
    entries = {m[2]: m[1] for m in re.finditer(r"@(\w+)\{([^,]+),", bib)}
    by_title = {t: re.search(r"@(\w+)\{[^@]*?title\s*=\s*\{+" + re.escape(t), bib)[1]
                for t in ("Sparse Coding in Cortex", "Parsing Fast", "A Blog Post",
                          "My Thesis", "A Patent", "A Preprint", "Mine")}
    assert by_title == {"Sparse Coding in Cortex": "article", "Parsing Fast": "inproceedings",
                        "A Blog Post": "misc", "My Thesis": "phdthesis", "A Patent": "misc",
                        "A Preprint": "misc", "Mine": "inproceedings"}, entries
    assert re.search(r"journal +\= \{Neural Computation\}", bib)
    assert re.search(r"school +\= \{MIT\}", bib)  # (a thesis's venue)
    page = files["papers/sparse-coding-in-cortex/index.html"].decode()
    assert '<meta name="citation_journal_title" content="Neural Computation">' in page


def test_an_entry_type_that_bibtex_has_not_is_a_warning():
    from generator.content import parse_paper

    paper, problems = parse_paper("---\ntitle: T\nentry_type: blogpost\n---\n", "t", "t.md")
    assert paper is not None and paper.entry_type is None
    assert [(d.severity, d.line, d.message.split(":")[0]) for d in problems] == [
        ("warning", 3, "entry_type")]
    paper, problems = parse_paper("---\ntitle: T\nentry_type: Article\n---\n", "t", "t.md")
    assert paper is not None and paper.entry_type == "article" and problems == []
